"""Dominance solvability from the count game (``proofs.general.count_game_dominance``,
decision 0131): derived for all counts, equal to the exact per-shape regions and to the
spec's game node by node, and planted modelling errors caught."""

from __future__ import annotations

import pytest

from proofs.general import count_proof
from proofs.general.closed_form import R
from proofs.general.count_game_dominance import SPEC, Variant, dominance_game
from proofs.general.dominance_nodes import node_check
from proofs.general.export import counted
from proofs.market_game import MarketGameShape

SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 1, 4))
NODE_SHAPES = SHAPES + (MarketGameShape(2, 1, 4), MarketGameShape(2, 2, 2), MarketGameShape(1, 3, 2),
                        MarketGameShape(3, 1, 2), MarketGameShape(2, 2, 4), MarketGameShape(1, 2, 8), MarketGameShape(3, 2, 2))
PLANTED = {
    "the developer disputes the first lazy vendor": Variant(disputed="first"),
    "no misuse move": Variant(misuse=False),
    "a true dispute one round short": Variant(dispute_rounds=R - 1),
}


@pytest.fixture(scope="module")
def analysed(analysis):
    return counted([(shape, analysis(shape)) for shape in SHAPES])


def derivation(variant: Variant = SPEC) -> count_proof.CountDerivation:
    [derived] = count_proof.derive(dominance_game(variant), count_proof.DOMINANCE_FAMILIES)
    return derived


def test_dominance_solvability_is_derived_for_all_counts():
    derived = derivation()
    assert derived.eliminated and derived.equivalent and derived.counts == "real counts", derived.differences
    assert derived.derived and derived.conditions > 30
    # the three closed-form conditions are among the derived ones
    region = " ; ".join(derived.region)
    for condition in ("Bv + F - G*R - G >= 0", "Bv*q - C + F*q >= 0", "Bv*q - K*n*q >= 0"):
        assert condition in region


def test_the_count_game_is_the_exact_region_on_analysed_shapes(analysed):
    agreements = count_proof.cross_check(analysed, dominance_game(), count_proof.DOMINANCE_FAMILIES)
    assert len(agreements) == len(SHAPES)
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


@pytest.mark.parametrize("shape", NODE_SHAPES, ids=str)
def test_the_count_game_is_the_spec_s_game_node_by_node(shape):
    check = node_check(shape)
    assert check["differences"] > 10
    assert check["agrees"], check


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_a_planted_modelling_error_is_caught(analysed, name):
    variant = PLANTED[name]
    assert not derivation(variant).equivalent
    agreements = count_proof.cross_check(analysed, dominance_game(variant), count_proof.DOMINANCE_FAMILIES)
    assert not all(a["agrees"] for a in agreements)
    assert not all(node_check(shape, dominance_game(variant))["agrees"] for shape in NODE_SHAPES[:2])


def test_the_position_of_the_disputed_vendor_matters_only_with_several_vendors(analysed):
    """Disputing the first lazy vendor lets a later lazy one escape: the exact region of a
    shape with two vendors refutes it, one vendor cannot tell."""
    agreements = count_proof.cross_check(analysed, dominance_game(PLANTED["the developer disputes the first lazy vendor"]),
                                         count_proof.DOMINANCE_FAMILIES)
    verdicts = {(a["owners"], a["vendors"], a["steps"]): a["agrees"] for a in agreements}
    assert verdicts == {(1, 1, 2): True, (1, 2, 2): False, (2, 1, 2): True, (1, 1, 4): True}
    check = node_check(MarketGameShape(1, 2, 2), dominance_game(PLANTED["the developer disputes the first lazy vendor"]))
    assert check["only_in_count_game"] == ["a vendor: -C >= 0"] and not check["only_in_spec_game"]
