"""The general incentive region of ``reference/chaincode/regions.json``: every job must lie
in it, whatever its shape — also jobs far outside the per-shape analysis (5 datasets,
4 vendors, 1000 steps). The chaincode reads the JSON only; these tests use the committed file."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from reference.chaincode.regions import load_regions, load_regions_document
from reference.chaincode.rules import JobTerms, StakeRules, least_stakes, load_params_document, load_rules
from reference.clients.world import World

# 5 datasets (price 10, misuse value 6 each), 4 vendors (fee 40, cost 2 each), T = 1000
PRICES, FEES, COSTS, MISUSE, STEPS = [10] * 5, [40] * 4, [2] * 4, [6] * 5, 1000


def permissive() -> StakeRules:
    """The market constants of the shipped parameters file (G = 2, q = 1/2) with none of
    its constraints: only the general region (and the safety floor) binds."""
    rules = load_rules()
    return StakeRules(rules.dispute_cost, rules.audit_probability, (), "tests: no parameters-file constraint")


def terms(vendor_stake: int, developer_bond: int, owner_bond: int) -> JobTerms:
    return JobTerms(PRICES, FEES, COSTS, MISUSE, STEPS, vendor_stake, developer_bond, owner_bond)


def test_a_job_outside_the_per_shape_set_is_refused_below_the_general_rule_and_accepted_at_it() -> None:
    regions, rules = load_regions(), load_rules()
    assert regions.general, "regions.json holds the general region"
    assert regions.region_for(5, 4, STEPS) is None and regions.applicable(terms(0, 0, 0)) is None
    vendor_stake, developer_bond, owner_bond = least_stakes(permissive(), PRICES, FEES, COSTS, MISUSE, STEPS,
                                                            regions.general)
    # the developer's expected immunity: Bv >= N_v*F_j/q - F_j + G*(R+1) + P/q = 320 - 40 + 22 + 100
    assert vendor_stake == 402
    # the owner bond outweighs the margins of the vendors cut out: (N_v - 1)(F_j - C_j) + P - P/N_d
    assert owner_bond == 3 * 38 + 40
    assert regions.first_failure(rules, terms(vendor_stake, developer_bond, owner_bond)) is None
    for below in (terms(vendor_stake - 1, developer_bond, owner_bond), terms(vendor_stake, developer_bond, owner_bond - 1)):
        failure = regions.first_failure(rules, below)
        assert failure is not None
        region, constraint = failure
        assert region is None  # the general region, not a shape's
        assert constraint.code.name in ("STAKE_BELOW_MINIMUM", "BOND_BELOW_MINIMUM")


def test_the_spec_rule_meets_the_general_region_for_that_job() -> None:
    """The parameters file states the spec's rule; its least stakes lie inside the general
    region (what the theorem proves for every shape)."""
    regions, rules = load_regions(), load_rules()
    stakes = least_stakes(rules, PRICES, FEES, COSTS, MISUSE, STEPS)
    assert regions.first_failure(rules, terms(*stakes)) is None
    general = least_stakes(permissive(), PRICES, FEES, COSTS, MISUSE, STEPS, regions.general)
    assert all(spec >= least for spec, least in zip(stakes, general))


def general_only_document() -> dict[str, Any]:
    document = copy.deepcopy(load_regions_document())
    document["shapes"] = []
    return document


def test_the_chaincode_refuses_a_job_below_the_general_region() -> None:
    """On the ledger: with a parameters file that asks almost nothing and the general region
    only, a request below the region is refused naming it, and one at it is accepted."""
    params = load_params_document()
    params = {**params, "constraints": [{"name": "anything", "code": "STAKE_BELOW_MINIMUM", "require": "Bv >= 0"}]}
    world = World(rules_document=params, regions_document=general_only_document())
    least = world.developers["dev1"].job_terms("model1", ["data1", "data2"], ["vendor1", "vendor3"])
    request = {"job": "j", "model": "model1", "datasets": ["data1", "data2"], "vendors": ["vendor1", "vendor3"],
               "purpose": "training", "window": 10, **least}
    gateway = world.developers["dev1"].gateway
    refused = gateway.submit("request_training", {**request, "vendor_stake": least["vendor_stake"] - 1})
    assert refused.code == "MKT_STAKE_BELOW_MINIMUM"
    assert "general incentive region (every shape)" in refused.message
    assert gateway.submit("request_training", request).ok


def test_a_regions_file_without_a_general_section_enforces_none() -> None:
    document = copy.deepcopy(load_regions_document())
    del document["general"]
    from reference.chaincode.regions import regions_from_json_value
    regions = regions_from_json_value(document)
    assert regions.general == ()
    assert regions.first_failure(load_rules(), terms(0, 0, 0)) is None
    assert dataclasses.replace(regions, general=load_regions().general).first_failure(load_rules(), terms(0, 0, 0))


def test_a_job_whose_vendor_is_paid_below_its_cost_is_left_to_the_parameters_file() -> None:
    """The proofs assume F_j >= C_j (participation); outside it the general region does not bind."""
    regions = load_regions()
    losing = JobTerms(PRICES, [1] * 4, [5] * 4, MISUSE, STEPS, 0, 0, 0)
    assert not regions.general_applies(losing)
    assert regions.first_failure(load_rules(), losing) is None
    assert regions.constraints_for(losing) == ()


def test_a_malformed_general_section_is_refused_naming_the_field() -> None:
    import pytest
    from reference.chaincode.regions import regions_from_json_value
    from reference.chaincode.rules import RulesError
    document = copy.deepcopy(load_regions_document())
    document["general"]["constraints"][0]["require"] = "Bv >= V"
    with pytest.raises(RulesError, match=r"general\.constraints\[0\]\.require: unknown quantities \['V'\]"):
        regions_from_json_value(document)
    document["general"] = {"constraints": []}
    with pytest.raises(RulesError, match=r"general: missing fields \['statement'\]"):
        regions_from_json_value(document)
