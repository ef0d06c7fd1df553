"""Collusion resilience of the developer with k >= 1 vendors from the count game
(``proofs.general.count_game_vendor_coalitions``, decision 0132): derived for every k and all
counts, equal to the exact region of every such coalition of the analysed shapes, the
misuse lemma, and planted modelling errors caught."""

from __future__ import annotations

import pytest
import sympy

from proofs.general import count_proof
from proofs.general.closed_form import C, F, P, V, m, n
from proofs.general.count_game_coalitions import collusion_resilience, honest_value
from proofs.general.count_game_vendor_coalitions import (
    DEVELOPER_WITH_VENDORS,
    VENDOR_COALITION_GAMES,
    Planted,
    developer_vendors_game,
    vendor_misuse_lemma,
)
from proofs.general.export import counted
from proofs.market_game import MarketGameShape

SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 1, 4),
          MarketGameShape(2, 2, 2), MarketGameShape(1, 3, 2))


@pytest.fixture(scope="module")
def analysed(analysis):
    return counted([(shape, analysis(shape)) for shape in SHAPES])


def test_the_class_is_derived_for_every_k_and_all_counts():
    [(build, families)] = VENDOR_COALITION_GAMES
    [derivation] = count_proof.derive(build(), families)
    assert derivation.subject == DEVELOPER_WITH_VENDORS
    assert derivation.eliminated and derivation.equivalent and derivation.counts == "real counts", \
        derivation.differences
    # the binding deviation: a member's false complaint, then a member trains off-chain
    assert any(c.startswith("Bv + C*m - C - F*m + F + G - P*n >= 0") for c in derivation.region)


def test_any_number_of_misuses_adds_nothing():
    assert vendor_misuse_lemma()


def test_every_developer_and_vendors_coalition_is_its_exact_region(analysed):
    agreements = [a for a in count_proof.coalition_cross_check(analysed) if a["subject"] == DEVELOPER_WITH_VENDORS]
    # 1x1, 2x1, 1x1 (T=4): dev1+vendor1; 1x2, 2x2: 3 each; 1x3: 7
    assert len(agreements) == 3 + 3 + 3 + 7
    assert {a["player"] for a in agreements} >= {"dev1+vendor2", "dev1+vendor1+vendor3", "dev1+vendor1+vendor2+vendor3"}
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


@pytest.mark.parametrize("planted", [Planted(no_offchain_deal=True), Planted(complaint_free=True)], ids=str)
def test_a_planted_modelling_error_is_caught(analysed, planted):
    agreements = [a for a in count_proof.coalition_cross_check(analysed, vendor_planted=planted)
                  if a["subject"] == DEVELOPER_WITH_VENDORS]
    caught = [a for a in agreements if not a["agrees"]]
    assert caught and all(a["points"] for a in caught)
    [(_, families)] = VENDOR_COALITION_GAMES
    assert not count_proof.derive(developer_vendors_game(planted=planted), families)[0].equivalent


def test_the_coalition_game_values_the_honest_play():
    """Everyone honest, the developer with two vendors gets the model, pays n prices and m
    fees (two to its members), and the members pay their compute."""
    game = developer_vendors_game(vendors=2)
    assert sympy.expand(honest_value(game) - (V - n * P - m * F + 2 * F - 2 * C)) == 0
    assert collusion_resilience(game)
