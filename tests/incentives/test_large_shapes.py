"""The per-shape analysis on the large shapes (3 owners x 3 vendors, T = 2 and T = 8):
every property's region holds at the spec's stake rule, with its formula confirmed by Z3;
the honest profile pays what the protocol promises; property 5's minimum stakes are
exactly the intersection of the regions. Then the every-shape results with those shapes
and :data:`proofs.general.large_shapes.DERIVATION_SHAPES` added: every promised family
derived at degree two (decision 0115). Minutes per shape, so only with
``AIMARKET_LARGE_CHECKS=1`` (``make check-large``; decision 0097)."""

import os

import pytest

from proofs.general.large_shapes import DERIVATION_SHAPES, every_shape_results_with
from proofs.general.report import EVERY_SHAPE, PREMISE_SHAPES, PROPERTIES
from proofs.incentives.report import LARGE_SHAPES, SHAPES, honest_play_result, minimum_stakes_result, region_result

pytestmark = pytest.mark.skipif(os.environ.get("AIMARKET_LARGE_CHECKS") != "1",
                                reason="minutes per shape: run with AIMARKET_LARGE_CHECKS=1 (make check-large)")


@pytest.mark.parametrize("shape", LARGE_SHAPES, ids=lambda shape: f"{shape.data_owners}x{shape.vendors}-T{shape.steps}")
def test_every_property_holds_at_the_stake_rule_on_large_shapes(shape, analysis):
    regions = analysis(shape)
    players = 1 + shape.data_owners + shape.vendors
    coalitions = 2 ** players - players - 2
    assert len(regions) == 2 * players + 1 + coalitions
    failing = [result.name + ": " + result.detail for result in (region_result(r, shape) for r in regions)
               if not result.holds]
    assert failing == []
    assert honest_play_result(shape).holds
    assert minimum_stakes_result(regions, shape).holds


def test_every_family_is_derived_at_degree_two_with_the_large_shapes(analysis):
    analysed = [(shape, analysis(shape)) for shape in SHAPES + PREMISE_SHAPES]
    added = [(shape, analysis(shape)) for shape in LARGE_SHAPES + DERIVATION_SHAPES]
    results = {result.name: result for result in every_shape_results_with(analysed, added)}
    assert all(results[name].holds and results[name].instance == EVERY_SHAPE for name in PROPERTIES)
    assert results["general_region"].holds, results["general_region"].detail
    families = {(name, entry["subject"]): entry for name in PROPERTIES
                for entry in results[name].data["derivation"]["families"]}
    assert len(families) == 12
    # every promised family derived (its spare points agreeing) among degree-two regions
    assert [key for key, entry in families.items() if not (entry["derived"] and entry["degree"] == 2)] == []
    # the two the make check shapes leave affine are raised by the added shapes
    raised = {key[1]: entry for key, entry in families.items() if entry["degree_from_check_shapes"] == 1}
    assert set(raised) == {"the developer with j >= 1 owners and k >= 1 vendors",
                           "j >= 2 owners, no vendor, no developer"}
    # owners alone (no condition) needs all six added shapes for fifteen unisolvent points
    owners = raised["j >= 2 owners, no vendor, no developer"]
    assert owners["points"] == 16 and owners["unseen_degree_two"] == []
    assert sorted(owners["needed_shapes"]) == sorted(owners["added_shapes"])
    assert "3x3 T=2" in raised["the developer with j >= 1 owners and k >= 1 vendors"]["added_shapes"]
