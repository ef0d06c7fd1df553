"""Collusion resilience of the coalitions without a vendor from the count game
(``proofs.general.count_game_coalitions``, decision 0131): derived for every j and all
counts, equal to the exact region of every such coalition of the analysed shapes, and
planted modelling errors caught."""

from __future__ import annotations

import pytest
import sympy

from proofs.general import count_proof
from proofs.general.count_game_coalitions import (
    COALITION_GAMES,
    DEVELOPER_WITH_OWNERS,
    OWNERS_ONLY,
    Planted,
    collusion_resilience,
    honest_value,
    owners_game,
)
from proofs.general.closed_form import F, P, V, m, n
from proofs.general.count_game import Others
from proofs.general.export import counted
from proofs.market_game import MarketGameShape

SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 1, 4),
          MarketGameShape(2, 2, 2), MarketGameShape(3, 1, 2))


@pytest.fixture(scope="module")
def analysed(analysis):
    return counted([(shape, analysis(shape)) for shape in SHAPES])


def test_both_classes_are_derived_for_every_j_and_all_counts():
    derived = {d.subject: d for build, families in COALITION_GAMES for d in count_proof.derive(build(), families)}
    assert set(derived) == {OWNERS_ONLY, DEVELOPER_WITH_OWNERS}
    for derivation in derived.values():
        assert derivation.derived and derivation.counts == "real counts", derivation.differences
        assert derivation.conditions >= 3


def test_every_coalition_without_a_vendor_is_its_exact_region(analysed):
    agreements = [a for a in count_proof.coalition_cross_check(analysed)
                  if a["subject"] in (OWNERS_ONLY, DEVELOPER_WITH_OWNERS)]
    # 1 owner: dev1+owner1; 2 owners: 2 + 1 + 1; 3 owners: 3 + 3 + 3 + 1 (each with 1 or 2 vendors)
    assert {(a["owners"], a["vendors"], a["steps"]): 0 for a in agreements}.keys() == {
        (s.data_owners, s.vendors, s.steps) for s in SHAPES}
    assert len(agreements) == 4 * 1 + 2 * 4 + 10
    assert {a["player"] for a in agreements} >= {"owner1+owner2+owner3", "dev1+owner1+owner2+owner3", "dev1+owner2"}
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


@pytest.mark.parametrize("planted", [Planted(denial_honest=True), Planted(false_dispute_convicts=True)], ids=str)
def test_a_planted_modelling_error_is_caught(analysed, planted):
    agreements = count_proof.coalition_cross_check(analysed, planted)
    caught = [a for a in agreements if not a["agrees"]]
    assert caught and all(a["points"] for a in caught)
    if planted.false_dispute_convicts:
        # only a coalition with the developer disputes: the owners alone are unaffected
        assert {a["subject"] for a in caught} == {DEVELOPER_WITH_OWNERS}
    game = owners_game(developer=True, planted=planted)
    [family] = [f for build, families in COALITION_GAMES for f in families if f[1] == DEVELOPER_WITH_OWNERS]
    assert not count_proof.derive(game, (family,))[0].equivalent


def test_the_coalition_game_writes_the_others_moves_out():
    """Everyone honest, the developer with two owners gets the model and pays n prices and m
    fees, two of the prices to its members; the others' moves are not nodes of the game."""
    game = owners_game(developer=True, owners=2)
    assert sympy.expand(honest_value(game) - (V - n * P - m * F + 2 * P)) == 0
    assert collusion_resilience(game)
    with pytest.raises(ValueError):
        honest_value(Others([]))
