"""Argument attacks: hostile chaincode arguments, and arguments fuzzed with Hypothesis.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reference.attacks.arena import FUZZ_EXAMPLES, Arena, Verdict, on_network, try_refused, verdict_of_refusal, with_status_named
from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
from reference.clients.crypto import canonical_json
from reference.clients.gateway import NetworkGateway
from reference.clients.world import PURPOSE
from reference.ledger.messages import create_signed_proposal


def _raw_call(arena: Arena, gateway: NetworkGateway, function: str, raw: bytes) -> None:
    before = arena.world.snapshot()
    result = gateway.client.submit(CHAINCODE_NAME, function, [raw],
                                   timestamp=arena.clock.now())
    outcome = gateway.outcome_of(function, {}, arena.clock.now(), result)
    verdict_of_refusal(with_status_named(outcome), before, arena.world.snapshot(), "MKT_MALFORMED_ARGS")


def duplicate_keys(arena: Arena) -> None:
    treasury = on_network(arena.world.treasury.gateway)
    _raw_call(arena, treasury, "fund", b'{"recipient": "owner1", "amount": 1, "amount": 9}')


def endless_deadline_window(arena: Arena) -> None:
    developer = arena.world.developers["dev1"]
    vendors = list(arena.fresh_vendors(1))
    terms = developer.job_terms("model1", ["data1"], vendors)
    try_refused(arena, on_network(developer.gateway), "request_training", {
        "job": "job-forever", "model": "model1", "datasets": ["data1"], "vendors": vendors,
        "purpose": PURPOSE, **terms, "window": 10**15}, "MKT_MALFORMED_ARGS")


def mint_beyond_the_protocol_bound(arena: Arena) -> None:
    try_refused(arena, on_network(arena.world.treasury.gateway), "fund", {"recipient": "owner1", "amount": 10**30},
         "MKT_MALFORMED_ARGS")


def deeply_nested_argument(arena: Arena) -> None:
    raw = b'{"recipient": "owner1", "amount": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    _raw_call(arena, on_network(arena.world.treasury.gateway), "fund", raw)


def lone_surrogate(arena: Arena) -> None:
    _raw_call(arena, on_network(arena.world.developers["dev1"].gateway), "register_model",
              b'{"model": "m\\ud800", "commitment": "' + b"ab" * 32 + b'"}')


def fuzzed_chaincode_arguments(arena: Arena) -> None:
    """Hypothesis: every function, hostile JSON (any types, an unknown field) or arbitrary
    bytes, evaluated on an endorsing peer; every answer must be a refusal with an MKT_ code
    (never accepted, never status 500)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    functions = sorted(MarketplaceChaincode().transactions)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)
    hostile_object = st.dictionaries(st.sampled_from(
        ["job", "amount", "recipient", "role", "dataset", "vendor", "digest", "steps",
         "window", "treasury", "rules", "model", "commitment"]), json_values, max_size=6).map(
        lambda fields: canonical_json({**fields, "zz_fuzz": 1})
        if _encodable(fields) else b"{}{")
    payloads = hostile_object | st.binary(max_size=200)
    peer = arena.network.peers[0]
    gateway = on_network(arena.world.developers["dev1"].gateway)
    answers: Counter[str] = Counter()
    failures: list[str] = []

    @settings(max_examples=FUZZ_EXAMPLES, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(functions), payloads)
    def probe(function: str, payload: bytes) -> None:
        _, signed = create_signed_proposal(gateway.identity, arena.network.channel_id,
                                        CHAINCODE_NAME, function, (payload,),
                                        arena.clock.now())
        response = peer.process_proposal(signed, endorse=True)
        status, message = response.response.status, response.response.message
        if response.endorsement is not None or status < 400:
            failures.append(f"accepted {function}({payload[:60]!r})")
        elif status >= 500 or not message.startswith("MKT_"):
            failures.append(f"status {status} for {function}({payload[:60]!r}): {message[:80]}")
        else:
            answers[message.split(":", 1)[0]] += 1

    before = arena.world.snapshot()
    probe()
    if failures:
        outcome = "accepted" if any(f.startswith("accepted") for f in failures) else "crashed"
        raise Verdict(outcome, None, f"{len(failures)} bad answer(s), first: {failures[0]}")
    if arena.world.snapshot() != before:
        raise Verdict("accepted", None, "fuzzing changed the world state")
    code, _ = answers.most_common(1)[0]
    raise Verdict("refused", code, f"{sum(answers.values())} hostile calls refused: "
                  + ", ".join(f"{name} x{count}" for name, count in answers.most_common()))


def _encodable(value: Any) -> bool:
    try:
        canonical_json(value)
    except (TypeError, ValueError):
        return False
    return True
