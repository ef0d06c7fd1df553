"""Collusion resilience of the developer with j >= 1 owners and k >= 1 vendors from the count
game (``proofs.general.count_game_mixed_coalitions``, decision 0135): derived for every j, k
and all counts, the misuse lemmas, the let-pass diagonal against the game written out,
equal to the exact region of every such coalition of the analysed shapes, and planted
modelling errors caught."""

from __future__ import annotations

import pytest
import sympy

from proofs.general import count_proof
from proofs.general.closed_form import C, F, P, V, m, n
from proofs.general.count_game_coalitions import collusion_resilience, honest_value
from proofs.general.count_game_mixed_coalitions import (
    DEVELOPER_WITH_OWNERS_AND_VENDORS,
    MIXED_COALITION_GAMES,
    Planted,
    mixed_class_game,
    mixed_game,
    mixed_misuse_lemma,
    non_member_first_is_covered,
)
from proofs.general.export import counted
from proofs.general.theorem import equivalent
from proofs.market_game import MarketGameShape

SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 1, 4),
          MarketGameShape(2, 2, 2), MarketGameShape(1, 3, 2))

PLANTED = (Planted(defective_bond_kept=True), Planted(misuse_let_pass=True), Planted(complaint_pays_members=False))


@pytest.fixture(scope="module")
def analysed(analysis):
    return counted([(shape, analysis(shape)) for shape in SHAPES])


def ours(agreements: list[dict]) -> list[dict]:
    return [a for a in agreements if a["subject"] == DEVELOPER_WITH_OWNERS_AND_VENDORS]


def test_the_class_is_derived_for_every_j_and_k_and_all_counts():
    [(build, families)] = MIXED_COALITION_GAMES
    [derivation] = count_proof.derive(build(), families)
    assert derivation.subject == DEVELOPER_WITH_OWNERS_AND_VENDORS
    assert derivation.eliminated and derivation.equivalent and derivation.counts == "real counts", \
        derivation.differences
    # the binding deviations: a member's false complaint, and a member owner's defective
    # dataset complained about, each followed by a member's off-chain training (k = 1)
    assert any(c.startswith("Bv + C*m - C - F*m + F + G - P*n >= 0") for c in derivation.region)
    assert any(c.startswith("Bd + C*m - C - F*m + F - P*n + P >= 0") for c in derivation.region)


def test_any_number_of_misuses_and_a_misuse_let_pass_add_nothing():
    assert mixed_misuse_lemma()
    assert non_member_first_is_covered()
    # the lemma's premises are checked in the game: a let-pass that is not the unfound
    # continuation (its gain left out) fails them, though the regions cannot show it
    assert not mixed_misuse_lemma(Planted(let_pass_without_gain=True))


@pytest.mark.parametrize("coalition", [(1, 1, (1, 1, 1)), (2, 1, (2, 1, 1))], ids=str)
def test_the_let_pass_diagonal_gives_the_region_of_the_game_written_out(coalition):
    """Every owner a member (j = n): a found misuse may be let pass. The game written out has
    every pair of continuations as a candidate; the diagonal the class game writes gives the
    same region (Z3 at the shape), with far fewer conditions."""
    owners, vendors, shape = coalition
    diagonal = count_proof.at_shape(collusion_resilience(mixed_game(owners, vendors, True)), shape)
    written_out = count_proof.at_shape(collusion_resilience(mixed_game(owners, vendors, True, written_out=True)),
                                       shape)
    assert len(written_out) > 3 * len(diagonal)
    same, points = equivalent(diagonal, written_out, shape)
    assert same, points


def test_every_developer_owners_and_vendors_coalition_is_its_exact_region(analysed):
    agreements = ours(count_proof.coalition_cross_check(analysed))
    # 1x2 and 2x1: 2 each; 2x2: 3 owner sets x 3 vendor sets less everyone; 1x3: 7 less everyone
    assert len(agreements) == 2 + 2 + 8 + 6
    assert {a["player"] for a in agreements} >= {
        "dev1+owner1+vendor2",  # a non-member is the first vendor
        "dev1+owner1+owner2+vendor1",  # every owner a member: a found misuse may be let pass
        "dev1+owner1+vendor2+vendor3"}
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


@pytest.mark.parametrize("planted", PLANTED, ids=str)
def test_a_planted_modelling_error_is_caught(analysed, planted):
    caught = [a for a in ours(count_proof.coalition_cross_check(analysed, mixed_planted=planted)) if not a["agrees"]]
    assert caught and all(a["points"] for a in caught)
    [(_, families)] = MIXED_COALITION_GAMES
    assert not count_proof.derive(mixed_game(planted=planted), families)[0].equivalent


def test_a_let_pass_needs_every_owner_in_the_coalition(analysed):
    """The planted let-pass changes only the coalitions that leave an owner out."""
    caught = [a for a in ours(count_proof.coalition_cross_check(analysed, mixed_planted=Planted(misuse_let_pass=True)))
              if not a["agrees"]]
    assert {a["player"] for a in caught} == {"dev1+owner1+vendor1", "dev1+owner2+vendor1",
                                             "dev1+owner1+vendor2", "dev1+owner2+vendor2",
                                             "dev1+owner1+vendor1+vendor2", "dev1+owner2+vendor1+vendor2"}


def test_the_coalition_game_values_the_honest_play():
    """Everyone honest, the developer with two owners and two vendors gets the model, pays
    n prices and m fees (two of each to its members), and the members pay their compute;
    one coalition of a shape is fixed with its position."""
    game = mixed_game(2, 2, True)
    assert sympy.expand(honest_value(game) - (V - n * P - m * F + 2 * P + 2 * F - 2 * C)) == 0
    assert collusion_resilience(game)
    # a non-member first among the vendors: after a defective grant no member can misuse
    first, later = (collusion_resilience(mixed_class_game(subject, 3))
                    for subject in ("dev1+owner1+vendor1", "dev1+owner1+vendor2"))
    assert len(later) < len(first)
    assert len(collusion_resilience(mixed_class_game("dev1+owner1+vendor2+vendor3+vendor1", 3))) == len(first)
