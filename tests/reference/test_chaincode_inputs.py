"""Bad input at the chaincode level gets a specific code naming the field and changes
nothing; the reference-only codes (no protocol counterpart) each fire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.chaincode.memory import MemoryLedger
from reference.clients.gateway import MarketClock, MemoryGateway, NetworkGateway
from reference.clients.treasury import init_market
from reference.clients.world import World


def refused(world: World, gateway: MemoryGateway | NetworkGateway, function: str, args, code: str) -> str:
    before = world.snapshot()
    outcome = gateway.submit(function, args)
    assert outcome.code == code, outcome.message
    assert world.snapshot() == before
    return outcome.message


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.mark.parametrize("raw, field", [
    ([b"not json"], "args"),
    ([b"[1, 2]"], "args"),
    ([b'{"recipient": "owner1", "amount": 1}', b"{}"], "args"),
    ([b"\xff\xfe"], "args"),
    ([b'{"recipient": "owner1", "amount": NaN}'], "args"),
])
def test_undecodable_arguments(world: World, raw, field: str) -> None:
    message = refused(world, world.treasury.gateway, "fund", raw, "MKT_MALFORMED_ARGS")
    assert f"{field}:" in message


@pytest.mark.parametrize("function, args, field", [
    ("fund", {"amount": 5}, "recipient"),
    ("fund", {"recipient": "owner1", "amount": "5"}, "amount"),
    ("fund", {"recipient": "owner1", "amount": True}, "amount"),
    ("fund", {"recipient": "owner1", "amount": 1.5}, "amount"),
    ("fund", {"recipient": "owner1", "amount": 10**31}, "amount"),
    ("fund", {"recipient": "own/er1", "amount": 5}, "recipient"),
    ("fund", {"recipient": "owner1", "amount": 5, "memo": "hi"}, "memo"),
    ("request_training", {"job": "j", "model": "model1", "datasets": "data1", "vendors": [],
                          "purpose": "training", "steps": 4, "window": 1, "vendor_stake": 1,
                          "developer_bond": 1, "owner_bond": 1}, "datasets"),
    ("request_training", {"job": "j", "model": "model1", "datasets": ["data1", 7],
                          "vendors": [], "purpose": "training", "steps": 4, "window": 1,
                          "vendor_stake": 1, "developer_bond": 1, "owner_bond": 1}, "datasets[1]"),
    ("register_model", {"model": "m", "commitment": "ABC"}, "commitment"),
    ("register_model", {"model": "m", "commitment": "AB" * 32}, "commitment"),
    ("register_vendor", {"fee": 1, "cost": 1, "capacity": 1, "exchange_public_key": "00"},
     "exchange_public_key"),
    ("grant_access", {"job": "j", "dataset": "data1", "delivery_digest": "ab" * 32,
                      "key_digests": {"vendor1": "zz"}, "receipts": {}}, "key_digests.vendor1"),
    ("grant_access", {"job": "j", "dataset": "data1", "delivery_digest": "ab" * 32,
                      "key_digests": {}, "receipts": {"vendor1": "xyz"}}, "receipts.vendor1"),
    ("submit_result", {"job": "job1", "transcript_root": "ab" * 32, "steps": 4,
                       "final_digest": "ab" * 32}, "final_proof"),
    ("submit_result", {"job": "job1", "transcript_root": "ab" * 32, "steps": 4,
                       "final_digest": "ab" * 32, "final_proof": None,
                       "step_digests": ["ab" * 32, "AB" * 32]}, "step_digests[1]"),
    ("request_training", {"job": "j", "model": "model1", "datasets": ["data1"],
                          "vendors": ["vendor1"], "purpose": "training", "steps": 100_001,
                          "window": 1, "vendor_stake": 1, "developer_bond": 1,
                          "owner_bond": 1}, "steps"),
    ("resolve_step", {"job": "job1", "recipe": [], "pre_state": {}, "batch": []}, "recipe"),
    ("register_identity", {"role": "wizard"}, "role"),
    ("register_identity", {"role": "vendor", "organisation": "SomeoneElsesOrg"}, "organisation"),
])
def test_malformed_fields_are_named(world: World, function: str, args: dict, field: str) -> None:
    gateway = (world.treasury.gateway if function == "fund"
               else world.gateway("newcomer", "VendorsOrg") if function == "register_identity"
               else world.developers["dev1"].gateway)
    raw = [json.dumps(args).encode()]  # plain JSON: floats included
    message = refused(world, gateway, function, raw, "MKT_MALFORMED_ARGS")
    assert message.startswith(f"MKT_MALFORMED_ARGS: {field}:"), message


def test_argument_form_is_checked_before_the_protocol_rules(world: World) -> None:
    # mallory is not registered, but her malformed call is refused for its form first
    refused(world, world.mallory, "fund", {"recipient": 3, "amount": 1}, "MKT_MALFORMED_ARGS")


def test_unknown_function(world: World) -> None:
    refused(world, world.treasury.gateway, "mint_for_free", {}, "MKT_UNKNOWN_FUNCTION")


def test_market_must_be_initialised_once_by_an_admin() -> None:
    ledger = MemoryLedger()
    clock = MarketClock()
    admin = MemoryGateway(ledger, "admin", "MarketOrg", clock, "admin")
    treasury = MemoryGateway(ledger, "treasury", "MarketOrg", clock)
    owner = MemoryGateway(ledger, "owner1", "OwnersOrg", clock)
    assert owner.submit("register_identity", {"role": "data_owner"}).code == "MKT_NOT_INITIALISED"
    assert init_market(treasury, treasury).code == "MKT_NOT_CHANNEL_ADMIN"
    assert init_market(admin, treasury).ok
    assert init_market(admin, treasury).code == "MKT_ALREADY_INITIALISED"
    bad_rules = {"format": "aimarket/stake-rules/v1", "market": {"dispute_cost": 1,
                 "audit_probability": "1/2"}, "constraints": [
                 {"name": "x", "code": "STAKE_BELOW_MINIMUM", "require": "__import__('os')"}]}
    outcome = init_market(admin, treasury, bad_rules)
    assert outcome.code == "MKT_MALFORMED_ARGS" and "rules" in outcome.message
    assert owner.submit("register_identity", {"role": "data_owner"}).ok


def test_grant_receipts_must_be_the_owners_signatures_for_exactly_the_vendors() -> None:
    world = World()
    world.to_status("REQUESTED")
    owner1 = world.owners["owner1"]
    good = owner1.grant_arguments(world.job(), "data1")
    forged = {**good, "receipts": {vendor: world.owners["owner2"].gateway.sign(b"x").hex()
                                   for vendor in good["receipts"]}}
    refused(world, owner1.gateway, "grant_access", forged, "MKT_BAD_DELIVERY_RECEIPT")
    other_digest = {**good, "delivery_digest": "00" * 32}  # receipts signed another digest
    refused(world, owner1.gateway, "grant_access", other_digest, "MKT_BAD_DELIVERY_RECEIPT")
    missing = {**good, "key_digests": {"vendor1": good["key_digests"]["vendor1"]}}
    refused(world, owner1.gateway, "grant_access", missing, "MKT_BAD_DELIVERY_RECEIPT")
    assert owner1.gateway.submit("grant_access", good).ok


def test_resolve_step_evidence_must_open_the_commitments() -> None:
    world = World()
    world.must(world.dispute("vendor2", lazy_from_step=2))
    world.bisect_to_resolve()
    job = world.job()
    helper = world.vendors["vendor1"]
    assert job.dispute is not None
    low = job.dispute.low
    good: dict[str, Any] = {"job": "job1", "recipe": world.recipe.to_json_value(),
            "pre_state": helper.open_state("job1", low).to_json_value(),
            "batch": helper.open_batch("job1", low)}
    dev = world.developers["dev1"].gateway
    other_recipe = {**good["recipe"], "learning_rate": good["recipe"]["learning_rate"] + 1}
    wrong_state = helper.open_state("job1", low + 1).to_json_value()
    tampered_row = [dict(row) for row in good["batch"]]
    tampered_row[0]["row"] = "00" + tampered_row[0]["row"][2:]
    shuffled = list(reversed(good["batch"]))
    for bad in ({**good, "recipe": other_recipe}, {**good, "pre_state": wrong_state},
                {**good, "batch": tampered_row}, {**good, "batch": shuffled},
                {**good, "batch": good["batch"][:-1]}):
        refused(world, dev, "resolve_step", bad, "MKT_BAD_STEP_EVIDENCE")
    outcome = dev.submit("resolve_step", good)
    assert outcome.ok and outcome.payload["verdicts"][0]["offence"] == "WRONG_COMPUTATION"


def test_refusals_carry_both_codes_in_the_payload(world: World) -> None:
    outcome = world.mallory.submit("fund", {"recipient": "owner1", "amount": 1})
    assert outcome.payload == {"code": "MKT_UNKNOWN_ACTOR", "protocol_code": "UNKNOWN_ACTOR",
                               "reason": outcome.payload["reason"]}
    assert isinstance(world.mallory, MemoryGateway)  # raw argument bytes: the in-memory gateway
    malformed = world.mallory.submit("fund", [b"{"])
    assert malformed.payload["protocol_code"] is None
    assert json.loads(json.dumps(malformed.payload))  # plain JSON


def _nesting_too_deep_char_by_char(text: str, max_depth: int) -> bool:
    """The bracket scan spelled out one character at a time (the oracle)."""
    return _depth_char_by_char(text) > max_depth + 1


def test_the_nesting_check_agrees_with_a_character_scan() -> None:
    import random

    from reference.chaincode import arguments

    generator = random.Random(15)
    for _ in range(3000):
        text = "".join(generator.choice('[]{}"\\a\n') for _ in range(generator.randint(0, 60)))
        if generator.random() < 0.4:  # near the limit, with strings and escapes after it
            text = "[" * generator.randint(arguments.MAX_DEPTH - 2, arguments.MAX_DEPTH + 4) + text
        assert arguments._nesting_too_deep(text) == _nesting_too_deep_char_by_char(
            text, arguments.MAX_DEPTH), repr(text)


_OLD_JSON_STRING = r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)'
"""The string pattern the nesting scan used before decision 0105 (the plain form)."""


def _depth_char_by_char(text: str) -> int:
    """The deepest bracket nesting outside strings, one character at a time (the oracle)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet='[]{}"\\a\n\u00e9,:0', max_size=80))
def test_the_fast_bracket_scan_is_the_plain_one(text: str) -> None:
    """Both ways of removing strings (the quote split when there is no backslash, the
    unrolled pattern otherwise) leave what the plain pattern leaves, and the depth is the
    character scan's."""
    import re

    from reference.chaincode import arguments

    plain = re.compile(_OLD_JSON_STRING, re.DOTALL).sub("", text)
    assert arguments._outside_strings(text) == plain
    assert arguments._JSON_STRING.sub("", text) == plain
    assert arguments._bracket_depth(text) == _depth_char_by_char(text)


def test_the_quote_split_is_taken_only_without_escapes() -> None:
    """An escaped quote would end a string early if the split were used on it: the check
    sees the bracket after it as inside the string, as it is."""
    from reference.chaincode import arguments

    text = '{"a":"\\"[[[[","b":[1]}'
    assert arguments._bracket_depth(text) == 2
    assert "".join(text.split('"')[0::2]) != arguments._outside_strings(text)


def test_a_digest_list_is_checked_item_by_item() -> None:
    from reference.chaincode.arguments import Arguments
    from reference.chaincode.codes import Rejected

    good = ["ab" * 32, "0" * 64]
    assert Arguments({"d": good}).digest_list("d", 8) == good
    assert Arguments({"d": []}).digest_list("d", 8) == []
    # two digests in one item, split by a line break, are not two items
    with pytest.raises(Rejected, match=r"d\[1\]"):
        Arguments({"d": [good[0], good[0] + "\n" + good[1]]}).digest_list("d", 8)
    with pytest.raises(Rejected, match=r"d\[2\]"):
        Arguments({"d": [good[0], good[1], "AB" * 32]}).digest_list("d", 8)
