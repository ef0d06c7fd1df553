"""The stake-rules file: its formula language, exact evaluation, and enforcement."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from reference.chaincode.regions import EMPTY_REGIONS_DOCUMENT
from reference.chaincode.rules import (
    JobTerms,
    RulesError,
    least_stakes,
    load_params_document,
    load_rules,
    parse_expression,
    evaluate,
    rules_from_json_value,
)
from reference.clients.world import World


def test_the_shipped_file_states_the_protocol_minimums() -> None:
    rules = load_rules()
    assert rules.dispute_cost == 2 and rules.audit_probability == Fraction(1, 2)
    assert [constraint.text for constraint in rules.constraints] == [
        "Bv >= P", "q * Bv >= W", "q * (Bv + F_j) >= C_j + W",
        "q * (Bv + F_j - G * (R + 1)) >= P + F", "q * (Bv + F_j) >= q * (P + F) + W",
        "Ba >= G * R", "Bd >= G + P", "Bd >= G + P + F - C"]
    assert rules.constraints[-1].name == "owner bond outweighs the vendors' margins"
    assert rules.constraints[-1].code.value == "MKT_BOND_BELOW_MINIMUM"


@pytest.mark.parametrize("fees, costs, least_bond", [
    ([40, 40], [15, 15], 2 + 200 + 80 - 30),  # margins 50: the new rule decides
    ([40, 40], [15, 65], 2 + 200),  # margins cancel out: G + P decides
    ([4], [9], 2 + 200),  # a cost above the fee cannot lower the bond below G + P
])
def test_the_owner_bond_outweighs_the_vendors_margins(fees, costs, least_bond) -> None:
    """Decision 0012: Bd >= G + P + F - C, C the sum of the vendors' declared costs, on
    top of Bd >= G + P."""
    rules = load_rules()
    prices, misuse = [100, 100], [60, 60]
    assert least_stakes(rules, prices, fees, costs, misuse, 224)[2] == least_bond
    terms = JobTerms(prices, fees, costs, misuse, 224, 10**6, 10**6, least_bond - 1)
    failure = rules.first_failure(terms)
    assert failure is not None and failure.code.value == "MKT_BOND_BELOW_MINIMUM"
    assert rules.first_failure(JobTerms(prices, fees, costs, misuse, 224, 10**6, 10**6,
                                        least_bond)) is None


def test_the_owner_bond_rule_is_enforced_on_the_ledger() -> None:
    """job1 (P = 20, F = 8, C = 4): Bd = G + P = 22 no longer suffices, 26 does."""
    world = World(regions_document=EMPTY_REGIONS_DOCUMENT)
    dev = world.developers["dev1"]
    terms = dev.job_terms("model1", ["data1", "data2"], ["vendor1", "vendor2"])
    assert terms["owner_bond"] == 26
    args = {"job": "j", "model": "model1", "datasets": ["data1", "data2"],
            "vendors": ["vendor1", "vendor2"], "purpose": "training", "window": 10, **terms}
    refused = dev.gateway.submit("request_training", {**args, "owner_bond": 25})
    assert refused.code == "MKT_BOND_BELOW_MINIMUM"
    assert refused.payload["protocol_code"] == "BOND_BELOW_MINIMUM"
    assert "owner bond outweighs the vendors' margins" in refused.message
    assert "Bd >= G + P + F - C" in refused.message
    assert dev.gateway.submit("request_training", args).ok


@pytest.mark.parametrize("prices, fees, costs, misuse, steps", [
    ([100, 100], [40, 40], [15, 15], [60, 60], 224),
    ([10], [4], [2], [6], 1),
    ([3, 5, 7], [1, 9], [200, 1], [11, 0, 4], 37),  # skipping plus misuse decides: (200 + 15) * 2 - 1
    ([10, 20], [4, 4], [50, 2], [6, 6], 4),  # skipping plus misuse decides: (50 + 12) * 2 - 4
    ([10, 20, 30], [4], [2], [0, 0, 0], 2),  # the owner bond covers G + P = 2 + 60
    ([0], [0], [0], [50], 1024),
    ([10], [4], [2], [60], 4),  # the misuse conviction's bound decides: 10 + 4 + 120 - 4
])
def test_least_stakes_are_the_specifications_minimums(prices, fees, costs, misuse, steps) -> None:
    """The shipped file with its market constants gives the least stakes the published
    spec's ``minimum_stakes`` gives (the spec is read here, by the test, never by the
    reference)."""
    from spec.params import minimum_stakes
    rules = load_rules()
    assert least_stakes(rules, prices, fees, costs, misuse, steps) == minimum_stakes(
        prices, fees, costs, misuse, rules.audit_probability, rules.dispute_cost, steps)


def test_least_stakes_match_the_closed_form() -> None:
    rules = load_rules()
    prices, fees, costs, misuse = [100, 100], [40, 40], [15, 15], [60, 60]
    steps = 224  # R = 8
    vendor, developer, owner = least_stakes(rules, prices, fees, costs, misuse, steps)
    closed_form = max(200, 120, Fraction(120, Fraction(1, 2)), Fraction((15 + 120) * 2) - 40,
                      Fraction(280) * 2 - 40 + 2 * 9)
    assert vendor == closed_form == 538 and developer == 2 * 8 and owner == 2 + 200 + 80 - 30
    terms = JobTerms(prices, fees, costs, misuse, steps, vendor - 1, developer, owner)
    failure = rules.first_failure(terms)
    assert failure is not None and failure.name == "an audited developer is made whole"


@pytest.mark.parametrize("text, value", [
    ("1/3 * 3", Fraction(1)),
    ("0.1 + 0.2", Fraction(3, 10)),
    ("-(2 - 5) * 2", Fraction(6)),
    ("max(1, 7/2, 3) - min(4, 2)", Fraction(3, 2)),
    ("2 * q + Bv / 4", Fraction(2, 3) + Fraction(5, 2)),
])
def test_expressions_are_exact(text: str, value: Fraction) -> None:
    assert evaluate(parse_expression(text), {"q": Fraction(1, 3), "Bv": Fraction(10)}) == value


@pytest.mark.parametrize("text", [
    "__import__('os').system('true') >= 0", "Bv >= P;", "Bv ** 2 >= P", "Bv >=", "Bv P",
    "(Bv >= P", "Bv >= V", "exp(Bv) >= 1", "Bv = P", "",
])
def test_anything_but_the_grammar_is_refused(text: str) -> None:
    document = copy.deepcopy(load_params_document())
    document["constraints"] = [{"name": "x", "code": "STAKE_BELOW_MINIMUM", "require": text}]
    with pytest.raises(RulesError):
        rules_from_json_value(document)


@pytest.mark.parametrize("change, problem", [
    (lambda d: d.update(format="v0"), "format"),
    (lambda d: d["market"].update(audit_probability="0"), "audit_probability"),
    (lambda d: d["market"].update(audit_probability="3/2"), "audit_probability"),
    (lambda d: d["market"].update(dispute_cost=-1), "dispute_cost"),
    (lambda d: d.update(constraints=[]), "constraints"),
    (lambda d: d["constraints"][0].update(code="WRONG_ROLE"), "code"),
    (lambda d: d.update(extra=1), "unknown fields"),
])
def test_malformed_parameter_documents(change, problem: str) -> None:
    document = copy.deepcopy(load_params_document())
    change(document)
    with pytest.raises(RulesError, match=problem):
        rules_from_json_value(document)


def test_division_by_zero_fails_the_constraint() -> None:
    document = copy.deepcopy(load_params_document())
    document["constraints"] = [{"name": "ratio", "code": "BOND_BELOW_MINIMUM",
                                "require": "Ba / (Bd - Bd) >= 0"}]
    rules = rules_from_json_value(document)
    terms = JobTerms([1], [1], [1], [1], 4, 100, 100, 100)
    failure = rules.first_failure(terms)
    assert failure is not None and failure.name == "ratio"


def test_a_stricter_rules_file_is_enforced_on_the_ledger() -> None:
    document = copy.deepcopy(load_params_document())
    document["source"] = "a synthesised region (test)"
    document["constraints"].append({"name": "stake twice the fees per vendor",
                                    "code": "STAKE_BELOW_MINIMUM", "require": "Bv >= 100 * F_j"})
    world = World(rules_document=document, regions_document=EMPTY_REGIONS_DOCUMENT)
    assert world.developers["dev1"].job_terms("model1", ["data1"], ["vendor1"])["vendor_stake"] == 400
    dev = world.developers["dev1"].gateway
    args = {"job": "j", "model": "model1", "datasets": ["data1"], "vendors": ["vendor1"],
            "purpose": "training", "steps": 2, "window": 10, "vendor_stake": 399,
            "developer_bond": 100, "owner_bond": 100}
    assert dev.submit("request_training", args).code == "MKT_STAKE_BELOW_MINIMUM"
    assert dev.submit("request_training", {**args, "vendor_stake": 400}).ok


def test_the_safety_floor_holds_whatever_the_file_says() -> None:
    document = copy.deepcopy(load_params_document())
    document["constraints"] = [{"name": "anything goes", "code": "STAKE_BELOW_MINIMUM",
                                "require": "Bv >= 0"}]
    world = World(rules_document=document, regions_document=EMPTY_REGIONS_DOCUMENT)
    dev = world.developers["dev1"].gateway
    args = {"job": "j", "model": "model1", "datasets": ["data1"], "vendors": ["vendor1"],
            "purpose": "training", "steps": 2, "window": 10, "vendor_stake": 9,
            "developer_bond": 100, "owner_bond": 100}
    outcome = dev.submit("request_training", args)  # Bv = 9 < P = 10: a false complaint could not pay
    assert outcome.code == "MKT_STAKE_BELOW_MINIMUM" and "Bv >= P" in outcome.message
    assert dev.submit("request_training", {**args, "owner_bond": 1}).code == "MKT_STAKE_BELOW_MINIMUM"
    # Bv = 10 covers the price but not the misuse compensation W / q = 6 / (1/2) = 12
    outcome = dev.submit("request_training", {**args, "vendor_stake": 10})
    assert outcome.code == "MKT_STAKE_BELOW_MINIMUM" and "q * Bv >= W" in outcome.message
    # T = 2: one round, so a false dispute pays the respondent at most G * R = 2
    outcome = dev.submit("request_training", {**args, "vendor_stake": 12, "developer_bond": 1})
    assert outcome.code == "MKT_BOND_BELOW_MINIMUM" and "Ba >= G * R" in outcome.message
    assert dev.submit("request_training", {**args, "vendor_stake": 12, "owner_bond": 1}).code \
        == "MKT_BOND_BELOW_MINIMUM"
    # a defective-inputs conviction pays G and the other owners' prices: Bd >= G + P = 12
    outcome = dev.submit("request_training", {**args, "vendor_stake": 12, "developer_bond": 2,
                                              "owner_bond": 11})
    assert outcome.code == "MKT_BOND_BELOW_MINIMUM" and "Bd >= G + P" in outcome.message
    assert dev.submit("request_training", {**args, "vendor_stake": 12, "developer_bond": 2,
                                           "owner_bond": 12}).ok
