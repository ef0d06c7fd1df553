"""The synthesised stake regions (``reference/chaincode/regions.json``): loading,
validation, and enforcement per job shape on the ledger.

The World's jobs: ``data1`` alone has 2 steps, ``data1`` + ``data2`` 4 steps; prices 10,
fees 4, costs 2, misuse values 6, G = 2, q = 1/2. The fixture regions below are made up
for the tests; they are not the proofs' regions.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import reference.chaincode.regions as regions_module
from reference.chaincode.regions import (
    EMPTY_REGIONS_DOCUMENT,
    REGIONS_FORMAT,
    load_regions,
    load_regions_document,
    regions_from_json_value,
)
from reference.chaincode.rules import JobTerms, RulesError, load_params_document, load_rules
from reference.chaincode.memory import MemoryLedger
from reference.clients.gateway import MarketClock, MemoryGateway
from reference.clients.treasury import init_market
from reference.clients.world import World


def fixture_document() -> dict[str, Any]:
    return {
        "format": REGIONS_FORMAT,
        "generator": "tests/reference/test_chaincode_regions.py",
        "assumes": "made up for the tests",
        "shapes": [
            {"datasets": 1, "vendors": 1, "steps": 2,
             "constraints": [
                 {"name": "weak_immunity (dev1)", "code": "STAKE_BELOW_MINIMUM",
                  "require": "Bv >= 50 * F_j", "from": ["weak_immunity (dev1)"]},
                 {"name": "collusion_resilience (dev1+owner1+vendor1)",
                  "code": "BOND_BELOW_MINIMUM", "require": "Bd >= 4 * P + C"}],
             "not_enforceable": [
                 {"require": "V - P - F >= 0", "reason": "mentions the model's value V",
                  "from": ["weak_immunity (dev1)"]}]},
            {"datasets": 2, "vendors": 2, "steps": 9,
             "constraints": [{"name": "never met", "code": "STAKE_BELOW_MINIMUM",
                              "require": "Bv >= 10 * 1000 * 1000"}],
             "not_enforceable": []},
        ],
    }


REQUEST = {"job": "j", "model": "model1", "datasets": ["data1"], "vendors": ["vendor1"],
           "purpose": "training", "steps": 2, "window": 10}


def request(world: World, **changes: Any):
    return world.developers["dev1"].gateway.submit("request_training", {**REQUEST, **changes})


# --- enforcement ------------------------------------------------------------------------

def test_a_job_of_an_exported_shape_must_lie_in_its_region() -> None:
    """Shape (1 dataset, 1 vendor, 2 steps): the parameters file asks Bv >= 28 (an audited
    developer is made whole) and Bd >= G + P + F - C = 14; the region asks Bv >= 50 F_j =
    200 and Bd >= 4P + C = 42."""
    world = World(regions_document=fixture_document())
    terms = world.developers["dev1"].job_terms("model1", ["data1"], ["vendor1"])
    assert (terms["steps"], terms["vendor_stake"], terms["owner_bond"]) == (2, 200, 42)
    stakes = {"vendor_stake": 200, "developer_bond": terms["developer_bond"], "owner_bond": 42}
    refused = request(world, **{**stakes, "vendor_stake": 199})
    assert refused.code == "MKT_STAKE_BELOW_MINIMUM"
    assert refused.payload["protocol_code"] == "STAKE_BELOW_MINIMUM"
    assert "synthesised incentive region of shape 1 dataset, 1 vendor, 2 steps" in refused.message
    assert "weak_immunity (dev1)" in refused.message and "Bv >= 50 * F_j" in refused.message
    refused = request(world, **{**stakes, "owner_bond": 41})
    assert refused.code == "MKT_BOND_BELOW_MINIMUM"
    assert "synthesised incentive region" in refused.message
    assert "collusion_resilience (dev1+owner1+vendor1)" in refused.message
    assert world.ledger.value("job/j") is None
    assert request(world, **stakes).ok
    assert world.job("j").vendor_stake == 200


def test_the_parameters_file_is_checked_before_the_region() -> None:
    """A job that breaks both is refused with the parameters file's constraint."""
    world = World(regions_document=fixture_document())
    refused = request(world, vendor_stake=11, developer_bond=2, owner_bond=42)
    assert refused.code == "MKT_STAKE_BELOW_MINIMUM"
    assert "q * Bv >= W" in refused.message and "synthesised" not in refused.message


def test_jobs_of_other_shapes_are_checked_against_the_parameters_file_only() -> None:
    """(1 dataset, 2 vendors, 2 steps) and (2 datasets, 2 vendors, 4 steps) are not
    exported: the least stakes of the parameters file are accepted. The exported shape
    (2, 2, 9) differs from the second only in its steps."""
    world = World(regions_document=fixture_document())
    reference = World(regions_document=EMPTY_REGIONS_DOCUMENT)
    for job_id, datasets, vendors in (("j1", ["data1"], ["vendor1", "vendor2"]),
                                      ("j2", ["data1", "data2"], ["vendor1", "vendor3"])):
        terms = world.developers["dev1"].job_terms("model1", datasets, vendors)
        assert terms == reference.developers["dev1"].job_terms("model1", datasets, vendors)
        outcome = world.developers["dev1"].gateway.submit("request_training", {
            **REQUEST, "job": job_id, "datasets": datasets, "vendors": vendors, **terms})
        assert outcome.ok, outcome.message


def test_a_market_whose_genesis_recorded_no_regions_enforces_none() -> None:
    ledger, clock = MemoryLedger(), MarketClock()
    admin = MemoryGateway(ledger, "admin", "MarketOrg", clock, "admin")
    treasury = MemoryGateway(ledger, "treasury", "MarketOrg", clock)
    outcome = admin.submit("init_market", {
        "treasury": {"name": treasury.name, "organisation": treasury.organisation,
                     "public_key": treasury.public_key.hex()},
        "rules": load_params_document()})
    assert outcome.ok
    assert "regions" not in ledger.value("market/config")


def test_genesis_records_the_regions_and_refuses_a_bad_document() -> None:
    world = World(regions_document=fixture_document())
    assert world.ledger.value("market/config")["regions"] == fixture_document()
    ledger, clock = MemoryLedger(), MarketClock()
    admin = MemoryGateway(ledger, "admin", "MarketOrg", clock, "admin")
    treasury = MemoryGateway(ledger, "treasury", "MarketOrg", clock)
    bad = fixture_document()
    bad["shapes"][0]["constraints"][0]["require"] = "Bv >= V"
    outcome = init_market(admin, treasury, None, bad)
    assert outcome.code == "MKT_MALFORMED_ARGS"
    assert "regions" in outcome.message and "unknown quantities ['V']" in outcome.message
    assert ledger.value("market/config") is None
    assert init_market(admin, treasury, None, fixture_document()).ok


def test_the_default_market_records_the_shipped_regions_file() -> None:
    world = World()
    assert world.ledger.value("market/config")["regions"] == load_regions_document()


def test_the_shipped_regions_file_is_valid() -> None:
    """``aimarket regions`` writes it from the incentive proofs; when it is absent the
    market enforces no region."""
    regions = load_regions()
    if not regions_module.DEFAULT_REGIONS_PATH.exists():
        assert regions.shapes == ()
    keys = [shape.key for shape in regions.shapes]
    assert len(keys) == len(set(keys))


def test_region_constraints_with_vendor_quantities_hold_for_every_vendor() -> None:
    document = fixture_document()
    document["shapes"] = [{"datasets": 1, "vendors": 2, "steps": 3, "constraints": [
        {"name": "per vendor", "code": "STAKE_BELOW_MINIMUM", "require": "Bv >= 10 * C_j"}]}]
    regions = regions_from_json_value(document)
    rules = load_rules()
    cheap = JobTerms([10], [4, 4], [3, 3], [6], 3, 30, 100, 100)
    assert regions.first_failure(rules, cheap) is None
    dear = JobTerms([10], [4, 4], [4, 4], [6], 3, 30, 100, 100)
    failure = regions.first_failure(rules, dear)
    assert failure is not None
    region, constraint = failure
    assert region is not None and region.key == (1, 2, 3) and constraint.name == "per vendor"
    other_shape = JobTerms([10], [4, 4], [4, 4], [6], 4, 30, 100, 100)
    assert regions.first_failure(rules, other_shape) is None


def test_the_market_constants_of_the_rules_are_used_in_the_region() -> None:
    document = fixture_document()
    document["shapes"] = [{"datasets": 1, "vendors": 1, "steps": 2, "constraints": [
        {"name": "G and q", "code": "BOND_BELOW_MINIMUM", "require": "Ba >= G / q"}]}]
    regions = regions_from_json_value(document)
    rules = load_rules()  # G = 2, q = 1/2: Ba >= 4
    assert regions.first_failure(rules, JobTerms([1], [1], [1], [0], 2, 9, 4, 9)) is None
    assert regions.first_failure(rules, JobTerms([1], [1], [1], [0], 2, 9, 3, 9)) is not None


# --- validation ---------------------------------------------------------------------------

def _set(path: list, value: Any):
    def change(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path: list):
    def change(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


@pytest.mark.parametrize("change, problem", [
    (_set(["format"], "aimarket/stake-rules/v1"), r"format: must be 'aimarket/stake-regions/v1'"),
    (_delete(["format"]), r"missing fields \['format'\]"),
    (_delete(["shapes"]), r"missing fields \['shapes'\]"),
    (_delete(["generator"]), r"missing fields \['generator'\]"),
    (_set(["extra"], 1), r"unknown fields \['extra'\]"),
    (_set(["assumes"], 3), r"assumes: must be a string"),
    (_set(["shapes"], {}), r"shapes: must be a list"),
    (_set(["shapes", 0], [1, 1, 2]), r"shapes\[0\]: must be an object"),
    (_delete(["shapes", 1, "steps"]), r"shapes\[1\]: missing fields \['steps'\]"),
    (_set(["shapes", 0, "vendor"], 1), r"shapes\[0\]: unknown fields \['vendor'\]"),
    (_set(["shapes", 0, "datasets"], 0), r"shapes\[0\]\.datasets: must be a whole number >= 1"),
    (_set(["shapes", 0, "vendors"], -2), r"shapes\[0\]\.vendors: must be a whole number >= 1"),
    (_set(["shapes", 0, "steps"], True), r"shapes\[0\]\.steps: must be a whole number >= 1"),
    (_set(["shapes", 0, "steps"], "2"), r"shapes\[0\]\.steps: must be a whole number >= 1"),
    (_set(["shapes", 0, "constraints"], "Bv >= 1"), r"shapes\[0\]\.constraints: must be a list"),
    (_set(["shapes", 0, "constraints", 1, "code"], "WRONG_ROLE"),
     r"shapes\[0\]\.constraints\[1\]\.code: must be one of"),
    (_set(["shapes", 0, "constraints", 1, "require"], "Bd >= 4 ** P"),
     r"shapes\[0\]\.constraints\[1\]\.require: unexpected"),
    (_set(["shapes", 0, "constraints", 1, "require"], "Bd >= 4 * P +"),
     r"shapes\[0\]\.constraints\[1\]\.require: formula .* ends too early"),
    (_set(["shapes", 0, "constraints", 0, "require"], "Bv >= K * q"),
     r"shapes\[0\]\.constraints\[0\]\.require: unknown quantities \['K'\]"),
    (_set(["shapes", 0, "constraints", 0, "why"], "x"), r"shapes\[0\]\.constraints\[0\]: must be"),
    (_delete(["shapes", 0, "constraints", 0, "name"]), r"shapes\[0\]\.constraints\[0\]: must be"),
    (_set(["shapes", 0, "constraints", 0, "from"], "weak_immunity"),
     r"shapes\[0\]\.constraints\[0\]\.from: must be a list of strings"),
    (_delete(["shapes", 0, "not_enforceable", 0, "reason"]),
     r"shapes\[0\]\.not_enforceable\[0\]: missing fields \['reason'\]"),
    (_set(["shapes", 0, "minimum_stakes"], {"Bx": "0"}),
     r"shapes\[0\]\.minimum_stakes: must be an object whose keys are among"),
    (_set(["shapes", 0, "minimum_stakes"], {"Bv": 3}),
     r"shapes\[0\]\.minimum_stakes\.Bv: must be a formula"),
    (_set(["shapes", 0, "minimum_stakes"], {"Bv": "max(P, K)"}),
     r"shapes\[0\]\.minimum_stakes\.Bv: unknown quantities \['K'\]"),
    (_set(["shapes", 0, "minimum_stakes"], {"Bd": "max(P,"}),
     r"shapes\[0\]\.minimum_stakes\.Bd: "),
    (_set(["shapes", 0, "not_enforceable", 0, "require"], ""),
     r"shapes\[0\]\.not_enforceable\[0\]\.require: must be a non-empty string"),
])
def test_malformed_regions_documents_are_refused_naming_the_field(change, problem: str) -> None:
    document = copy.deepcopy(fixture_document())
    regions_from_json_value(document)  # the fixture itself is valid
    change(document)
    with pytest.raises(RulesError, match=problem):
        regions_from_json_value(document)


def test_a_duplicate_shape_is_refused() -> None:
    document = fixture_document()
    document["shapes"].append(copy.deepcopy(document["shapes"][0]))
    with pytest.raises(RulesError, match=r"shapes\[2\]: the shape 1 dataset, 1 vendor, 2 steps "
                                         r"is also shapes\[0\]"):
        regions_from_json_value(document)


def test_not_enforceable_formulas_are_not_parsed() -> None:
    """They may mention quantities the ledger cannot know (the model's value V)."""
    regions = regions_from_json_value(fixture_document())
    assert [constraint.text for constraint in regions.shapes[0].constraints] == [
        "Bv >= 50 * F_j", "Bd >= 4 * P + C"]


def test_an_empty_document_enforces_nothing() -> None:
    regions = regions_from_json_value(EMPTY_REGIONS_DOCUMENT)
    assert regions.shapes == ()
    assert regions.first_failure(load_rules(), JobTerms([1], [1], [1], [0], 2, 0, 0, 0)) is None


# --- loading ------------------------------------------------------------------------------

def test_a_regions_file_is_loaded_from_a_configured_path(tmp_path: Path) -> None:
    path = tmp_path / "regions.json"
    path.write_text(json.dumps(fixture_document()), encoding="utf-8")
    assert load_regions_document(path) == fixture_document()
    assert [shape.key for shape in load_regions(path).shapes] == [(1, 1, 2), (2, 2, 9)]


def test_a_bad_regions_file_names_the_file_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "regions.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RulesError, match="not JSON"):
        load_regions_document(path)
    document = fixture_document()
    document["shapes"][0]["datasets"] = 0
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(RulesError, match=r"regions\.json: shapes\[0\]\.datasets"):
        load_regions(path)


def test_a_missing_file_is_no_regions_only_for_the_default_path(tmp_path: Path,
                                                                 monkeypatch) -> None:
    missing = tmp_path / "absent.json"
    with pytest.raises(RulesError, match="no such regions file"):
        load_regions_document(missing)
    monkeypatch.setattr(regions_module, "DEFAULT_REGIONS_PATH", missing)
    assert load_regions_document(missing) == EMPTY_REGIONS_DOCUMENT
    assert load_regions(missing).shapes == ()


@pytest.mark.parametrize("datasets, vendors", [
    (["data1"], ["vendor1"]), (["data1"], ["vendor1", "vendor2"]),
])
def test_the_shipped_regions_are_enforced_for_the_shapes_the_world_can_request(
        datasets: list[str], vendors: list[str]) -> None:
    """For a World job whose shape the shipped file exports: the developer's least stakes
    (parameters file and region) are accepted, and where the region asks more than the
    parameters file, one token less is refused naming the region."""
    world = World()
    developer = world.developers["dev1"]
    terms = developer.job_terms("model1", datasets, vendors)
    region = load_regions().region_for(len(datasets), len(vendors), terms["steps"])
    assert region is not None, (f"the shipped regions file has no shape ({len(datasets)}, "
                                f"{len(vendors)}, {terms['steps']})")
    floor = World(regions_document=EMPTY_REGIONS_DOCUMENT).developers["dev1"].job_terms(
        "model1", datasets, vendors)
    args = {**REQUEST, "datasets": datasets, "vendors": vendors}
    for stake in ("vendor_stake", "developer_bond", "owner_bond"):
        assert terms[stake] >= floor[stake]
        if terms[stake] > floor[stake]:
            refused = developer.gateway.submit("request_training",
                                               {**args, **terms, stake: terms[stake] - 1})
            assert refused.code in ("MKT_STAKE_BELOW_MINIMUM", "MKT_BOND_BELOW_MINIMUM")
            assert f"synthesised incentive region of shape {region.describe()}" in refused.message
    assert developer.gateway.submit("request_training", {**args, **terms}).ok


def test_a_region_applies_only_to_jobs_inside_the_proofs_scope() -> None:
    """The games give a job's datasets one price and misuse value and its vendors one fee
    and cost; the region of the shape is enforced on such jobs only (elsewhere nothing is
    proved, and the parameters file alone decides, as in the spec)."""
    regions = regions_from_json_value(fixture_document())
    rules = load_rules()

    def terms(**changes: Any) -> JobTerms:
        base = {"prices": [10, 10], "fees": [4, 4], "costs": [2, 2], "misuse_values": [6, 6],
                "steps": 9, "vendor_stake": 5, "developer_bond": 5, "owner_bond": 5}
        return JobTerms(**{**base, **changes})

    assert regions.first_failure(rules, terms()) is not None  # "never met" applies
    for uneven in ({"prices": [10, 11]}, {"fees": [4, 5]}, {"costs": [2, 3]},
                   {"misuse_values": [6, 0]}):
        assert regions.applicable(terms(**uneven)) is None, uneven
        assert regions.first_failure(rules, terms(**uneven)) is None, uneven
