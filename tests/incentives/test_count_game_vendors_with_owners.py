"""Collusion resilience of k >= 1 vendors with j owners and no developer from the count game
(``proofs.general.count_game_vendors_with_owners``, decision 0140): derived for every j, k
and all counts, equal to the exact region of every such coalition of the analysed shapes
(its vendors' positions included), the misuse lemma, and planted modelling errors caught."""

from __future__ import annotations

import pytest
import sympy
import z3

from proofs.general import count_proof
from proofs.general.coalition_values import compare_values
from proofs.general.closed_form import Bd, Bv, C, F, G, K, P, n, q
from proofs.general.count_game import Chance, Leaf, Node, Span, Subject, candidates
from proofs.general.count_game_coalitions import collusion_resilience, honest_value
from proofs.general.count_game_vendors_with_owners import (
    VENDORS_WITH_OWNERS,
    VENDORS_WITH_OWNERS_GAMES,
    Coalition,
    Planted,
    coalition_of,
    misuse_as_modelled,
    misuse_lemma,
    vendors_owners_game,
)
from proofs.general.export import counted
from proofs.market_game import MarketGameShape

SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 1, 4),
          MarketGameShape(2, 2, 2), MarketGameShape(1, 3, 2))


@pytest.fixture(scope="module")
def analysed(analysis):
    return counted([(shape, analysis(shape)) for shape in SHAPES])


def test_the_class_is_derived_for_every_j_k_and_all_counts():
    [(build, families)] = VENDORS_WITH_OWNERS_GAMES
    [derivation] = count_proof.derive(build(), families)
    assert derivation.subject == VENDORS_WITH_OWNERS
    assert derivation.eliminated and derivation.equivalent and derivation.counts == "real counts", \
        derivation.differences
    # the binding deviations at k = m: every member lazy (q*(Bv + F) - k*C), and a misuse
    # found with chance q and reported, convicting a member (q*(Bv + F - k*C - n*K))
    assert any(c.startswith("Bv*q - C*m + F*q >= 0 where") for c in derivation.region)
    assert "Bv*q - C*m*q + F*q - K*n*q >= 0 where n >= 0" in derivation.region


def found_misuse(game: Node) -> Subject:
    """The node of a found misuse under the honest grant (the class's spans skipped)."""
    while isinstance(game, Span):
        game = game.child
    assert isinstance(game, Subject)
    released = game.child("grant")
    assert isinstance(released, Subject)
    misuse = released.child("misuse_data")
    assert isinstance(misuse, Chance)
    found = misuse.branches[0][2]
    assert isinstance(found, Subject)
    return found


def test_any_number_of_misuses_adds_nothing():
    assert misuse_lemma()


def test_the_lemma_sees_a_let_pass_where_the_misuse_gains():
    """The lemma's premise that a found misuse can be let pass only where it gains nothing:
    a game whose let-pass is open whatever the owners fails it."""
    game = vendors_owners_game(outsider=False)
    assert misuse_as_modelled(game)
    found = found_misuse(game)
    ignored = found.child("ignore")
    assert isinstance(ignored, Span)
    found.children[1] = ("ignore", ignored.child)
    assert not misuse_as_modelled(game)


def test_every_coalition_of_the_class_is_its_exact_region(analysed):
    agreements = [a for a in count_proof.coalition_cross_check(analysed) if a["subject"] == VENDORS_WITH_OWNERS]
    # 1x1, 2x1 (3), 1x1 T=4: owners with the vendor; 1x2: 4; 2x2: 10; 1x3: 11
    assert len(agreements) == 1 + 4 + 3 + 1 + 10 + 11
    assert {a["player"] for a in agreements} >= {"owner1+vendor2", "vendor2+vendor3", "owner1+vendor1+vendor2+vendor3",
                                                 "owner1+owner2+vendor1+vendor2", "owner2+vendor1"}
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


@pytest.mark.parametrize("planted, class_differs", [(Planted(lazy_keeps_fee=True), True),
                                                    (Planted(members_uncompensated=True), False)], ids=str)
def test_a_planted_modelling_error_is_caught(analysed, planted, class_differs):
    """Both errors are caught by the cross-check. Only the first also changes the class's
    region: the second weakens the condition of coalitions with owners, while the class's
    region, which holds for every j, is set by the coalitions of vendors alone (j = 0)."""
    agreements = [a for a in count_proof.coalition_cross_check(analysed, owners_vendors_planted=planted)
                  if a["subject"] == VENDORS_WITH_OWNERS]
    caught = [a for a in agreements if not a["agrees"]]
    assert caught and all(a["points"] for a in caught)
    [(_, families)] = VENDORS_WITH_OWNERS_GAMES
    games = (vendors_owners_game(planted=planted, outsider=True), vendors_owners_game(planted=planted, outsider=False))
    assert count_proof.derive(games, families)[0].equivalent is not class_differs


def test_positions_are_read_from_the_coalition():
    assert coalition_of("owner1+vendor1+vendor3", 3) == Coalition(1, 2, 1)
    assert coalition_of("vendor2+vendor3", 3) == Coalition(0, 2, 0)
    assert coalition_of("owner1+owner2+vendor1+vendor2", 2) == Coalition(2, 2, 2)


def test_the_coalition_game_values_the_honest_play_and_the_defective_grant():
    """Everyone honest, two owners and one vendor of a 3 x 2 job get two prices, a fee, and
    pay the compute; a defective grant complained about by the vendor outside costs a bond."""
    game = vendors_owners_game(Coalition(2, 1, 1), outsider=True)
    assert sympy.expand(honest_value(game) - (2 * P + F - C)) == 0
    values = {c.value for c in candidates(game, "best")}
    assert P - Bd in values and 2 * P - Bv - G in values
    assert collusion_resilience(game)


def test_a_member_misuse_reported_gains_on_the_other_datasets_only():
    """The found and reported misuse: the misuser's stake pays every owner K, the members'
    own datasets' loss cancels their part of the gain."""
    game = vendors_owners_game(Coalition(1, 1, 1), outsider=True)
    found = found_misuse(game)
    report = found.child("report_misuse")
    assert isinstance(report, Leaf)
    assert sympy.expand(report.payoff - ((n - 1) * K * q + P - Bv + K)) == 0
    ignored = found.child("ignore")
    assert isinstance(ignored, Span) and ignored.behaviour.low == n


def test_the_step_of_the_lemma_needs_its_premise():
    """Without ``q*(H - D) >= w`` the induction step fails (Z3 finds a point): the lemma is
    not vacuous."""
    w, d, y, h, p = z3.Reals("w d y h p")
    step = z3.Solver()
    step.add(p > 0, p <= 1, y <= h, w + p * d + (1 - p) * y > h)
    assert step.check() == z3.sat


VALUE_SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 2, 2),
                MarketGameShape(2, 2, 2), MarketGameShape(3, 1, 2), MarketGameShape(1, 1, 4))


@pytest.mark.parametrize("shape", VALUE_SHAPES, ids=str)
def test_every_coalition_reaches_the_spec_s_values_exactly(shape):
    """Value by value: the coalition's reachable summed payoffs in the spec-built game equal
    the count game's (every member vendor with its own misuse opportunity)."""
    results = compare_values(shape)
    assert results and all(r["equal"] for r in results), [r for r in results if not r["equal"]]


def test_the_value_check_sees_an_error_the_regions_cannot(analysed):
    """A false complaint that costs nothing changes a condition the others imply: every
    region still agrees, but the values differ for every coalition of 1 x 2."""
    planted = Planted(complaint_free=True)
    agreements = [a for a in count_proof.coalition_cross_check(analysed, owners_vendors_planted=planted)
                  if a["subject"] == VENDORS_WITH_OWNERS]
    assert agreements and all(a["agrees"] for a in agreements)
    results = compare_values(MarketGameShape(1, 2, 2), planted)
    assert results and not any(r["equal"] for r in results)
