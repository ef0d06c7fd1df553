"""The per-shape analysis on the large shapes (3 owners x 3 vendors, T = 2 and T = 8):
every property's region holds at the spec's stake rule, with its formula confirmed by Z3;
the honest profile pays what the protocol promises; property 5's minimum stakes are
exactly the intersection of the regions. Minutes per shape, so only with
``AIMARKET_LARGE_CHECKS=1`` (``make check-large``; decision 0097)."""

import os

import pytest

from proofs.incentives.analysis import analyse
from proofs.incentives.report import LARGE_SHAPES, honest_play_result, minimum_stakes_result, region_result

pytestmark = pytest.mark.skipif(os.environ.get("AIMARKET_LARGE_CHECKS") != "1",
                                reason="minutes per shape: run with AIMARKET_LARGE_CHECKS=1 (make check-large)")


@pytest.mark.parametrize("shape", LARGE_SHAPES, ids=lambda shape: f"{shape.data_owners}x{shape.vendors}-T{shape.steps}")
def test_every_property_holds_at_the_stake_rule_on_large_shapes(shape):
    regions = analyse(shape)
    players = 1 + shape.data_owners + shape.vendors
    coalitions = 2 ** players - players - 2
    assert len(regions) == 2 * players + 1 + coalitions
    failing = [result.name + ": " + result.detail for result in (region_result(r, shape) for r in regions)
               if not result.holds]
    assert failing == []
    assert honest_play_result(shape).holds
    assert minimum_stakes_result(regions, shape).holds
