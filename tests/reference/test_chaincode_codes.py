"""Every marketplace action refused once for each of its codes, in a real state, and the
refusal changes nothing — generated from the spec's worked examples.

The per-code cases are the worked examples of :mod:`spec.examples` (the same ones the
conformance vectors come from): each refused example of a ledger action is turned into a
vector (``conformance.generate.build_vector``) and run on the reference through the
conformance suite's reference runner (an embedded network: real keys, encryption,
training, endorsement and validation). Each story is run once and the refusals that
continue it are submitted in turn, as the coverage vectors probe them. The test checks
the chaincode's code is the example's, that the projected state is the spec's, and that
every peer's committed state is byte for byte what it was before the refused call.

Beside them: a few more refusals the spec can express, written as variants of the
examples' stories (the examples hold one refusal per code; these pin the order of two
checks) and checked against the spec first; and the refusals only the chaincode can
express (Merkle proofs of a transcript, signed misuse artefacts), written by hand on the
in-memory ledger, each saying why the examples cannot hold it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from conformance.conform import run_vector
from conformance.generate import WORLD_GENESIS, Planned, build_vector, story_names
from conformance.projection import difference_items
from conformance.reference_runner import ReferenceRunner
from reference.chaincode.codes import PROTOCOL_CODE_OF, MarketCode, protocol_code
from reference.clients.gateway import MemoryGateway, NetworkGateway
from reference.clients.world import World
from spec import examples as worked
from spec.actions import CATALOGUE, Call, call
from spec.examples import Example
from spec.machine import step
from spec.rejections import Rejection
from spec.state import genesis

R = Rejection

VARIANTS: tuple[Example, ...] = (
    Example("a licence allows no purpose", "register_dataset", R.INVALID_LICENCE,
            worked.SETUP.calls + (call("register_dataset", "owner1", dataset="data9", commitment=109,
                                       price=2, misuse_value=1, purposes=frozenset(), expiry=50,
                                       max_uses=2),)),
    Example("confirm_inputs: the deadline is checked before the delivery evidence",
            "confirm_inputs", R.DEADLINE_PASSED,
            worked.LICENSED_DEFECTIVE.then(worked.ACCEPT["vendor1"], worked.ACCEPT["vendor2"],
                                           worked.TICK, worked.TICK).calls
            + (worked.CONFIRM["vendor1"],)),
    Example("dispute: the conviction is checked before the transcript", "dispute_result",
            R.ALREADY_CONVICTED,
            worked.CONFIRMED.then(worked.submit("vendor2", worked.lazy("vendor2")), worked.TICK,
                                  worked.TICK, call("timeout", "owner1", job="job1")).calls
            + (replace(worked.DISPUTE, args=worked.DISPUTE.args.with_item(
                "transcript", worked.honest("vendor1")[:-1])),)),
    Example("resolve: the bisection is checked before the deadline", "resolve_step",
            R.BISECTION_UNFINISHED,
            worked.QUERIED.then(worked.TICK, worked.TICK).calls
            + (call("resolve_step", "owner2", job="job1"),)),
)
"""Refusals the spec expresses that the examples do not: a second way to a code whose
first way is an example, chosen so that two of the action's checks fail at once."""

REFUSED: tuple[Example, ...] = tuple(
    example for example in worked.examples() + VARIANTS
    if example.expected is not None and CATALOGUE[example.action].kind == "ledger")


@pytest.fixture(scope="module")
def runner() -> Iterator[ReferenceRunner]:
    runner = ReferenceRunner()
    try:
        yield runner
    finally:
        runner.close()


def committed(runner: ReferenceRunner) -> list[Any]:
    """Every peer's committed key-value pairs (with versions) of the current market."""
    assert runner.market is not None
    return [peer.store.range_scan(runner.market.chaincode, "", "") for peer in runner.network.peers]


@pytest.mark.parametrize("example", VARIANTS, ids=[example.name for example in VARIANTS])
def test_a_variant_is_refused_by_the_spec_with_its_code(example: Example) -> None:
    market = genesis(worked.WORLD.dispute_cost, worked.WORLD.audit_probability)
    for made in example.calls[:-1]:
        result = step(market, made)
        assert result.accepted, f"{example.name}: {made.action} refused {result.rejection}"
        market = result.market
    assert step(market, example.calls[-1]).rejection == example.expected


def stories() -> dict[tuple[Call, ...], list[Example]]:
    """The refused examples grouped by the story they continue, in the examples' order."""
    grouped: dict[tuple[Call, ...], list[Example]] = {}
    for example in REFUSED:
        grouped.setdefault(example.calls[:-1], []).append(example)
    return grouped


STORIES = stories()
NAMES = story_names()
STORY_IDS = [f"{NAMES.get(story, 'story')}-{index}" for index, story in enumerate(STORIES)]


@pytest.mark.parametrize("story", list(STORIES), ids=STORY_IDS)
def test_refused_with_the_protocol_code_and_nothing_changes(runner: ReferenceRunner,
                                                            story: tuple[Call, ...]) -> None:
    """The story is run once; then every refused example that continues it is submitted in
    turn: a refusal changes nothing, so each finds the story's state."""
    result = run_vector(runner, build_vector("codes/story", "coverage", "story", WORLD_GENESIS,
                                             [Planned(made) for made in story]))
    assert result.passed, result.message
    for example in STORIES[story]:
        last = build_vector(f"codes/{example.action}", "coverage", example.name, WORLD_GENESIS,
                            [Planned(made) for made in example.calls]).steps[-1]
        assert example.expected is not None, example.name  # a refused example
        assert last.outcome == example.expected.value, example.name
        before = committed(runner)
        assert runner.step(last.call) == example.expected.value, example.name
        assert committed(runner) == before, f"{example.name}: the refusal changed the committed state"
        assert difference_items(last.state, runner.project()) == [], example.name


def test_every_code_of_every_ledger_action_has_an_example() -> None:
    """The generated cases cover the protocol's catalogue, read from the published spec."""
    wanted = {(action.name, code) for action in CATALOGUE.values() if action.kind == "ledger"
              for code in action.rejections}
    assert {(example.action, example.expected) for example in REFUSED} == wanted


# --- refusals only the chaincode can express ------------------------------------------------

@dataclass(frozen=True)
class Case:
    """A refusal written against the reference's own client API: ``why`` says why no worked
    example can hold it."""

    action: str
    code: str
    name: str
    why: str
    arrange: Callable[[World], tuple[MemoryGateway | NetworkGateway, dict[str, Any]]]


def result_args(world: World, **changes: Any) -> dict[str, Any]:
    vendor = world.vendors["vendor1"]
    if vendor.state_of("job1").run is None:
        vendor.train("job1")
    transcript = vendor.run_of("job1").transcript
    steps = transcript.step_count
    args = {"job": "job1", "transcript_root": transcript.root.hex(), "steps": steps,
            "final_digest": transcript.step_digests[-1].hex(),
            "final_proof": transcript.inclusion_proof(steps - 1).to_json_value(),
            "step_digests": [digest.hex() for digest in transcript.step_digests]}
    return {**args, **changes}


def submitting(changes: Callable[[dict[str, Any]], dict[str, Any]]
               ) -> Callable[[World], tuple[MemoryGateway | NetworkGateway, dict[str, Any]]]:
    def arrange(world: World) -> tuple[MemoryGateway | NetworkGateway, dict[str, Any]]:
        world.to_status("CONFIRMED")
        return world.vendors["vendor1"].gateway, {"_function": "submit_result",
                                                   **changes(result_args(world))}
    return arrange


def misuse_args(world: World, vendor: str = "vendor1", purpose: str = "resale") -> dict[str, Any]:
    return {"job": "job1", "vendor": vendor,
            "artefact": world.vendors[vendor].sign_misuse("job1", "data1", purpose)}


def reporting(args_of: Callable[[World], dict[str, Any]]
              ) -> Callable[[World], tuple[MemoryGateway | NetworkGateway, dict[str, Any]]]:
    def arrange(world: World) -> tuple[MemoryGateway | NetworkGateway, dict[str, Any]]:
        world.to_status("RUNNING")
        return world.owners["owner1"].gateway, {"_function": "report_misuse", **args_of(world)}
    return arrange


TRANSCRIPT_PROOF = ("the spec's transcript is its list of step digests; the chaincode's is a "
                    "Merkle root with a proof of the final digest and the published digests")
SIGNED_ARTEFACT = ("the spec's misuse artefact is a fact of the market; the chaincode's is a "
                   "statement signed by the vendor, naming a purpose")

CASES: tuple[Case, ...] = (
    Case("submit_result", "INVALID_TRANSCRIPT", "unproved-final", TRANSCRIPT_PROOF,
         submitting(lambda args: {**args, "final_digest": "00" * 32})),
    Case("submit_result", "INVALID_TRANSCRIPT", "too-few-published-digests", TRANSCRIPT_PROOF,
         submitting(lambda args: {**args, "step_digests": args["step_digests"][:-1]})),
    Case("submit_result", "INVALID_TRANSCRIPT", "published-digests-not-the-leaves", TRANSCRIPT_PROOF,
         submitting(lambda args: {**args, "step_digests": ["00" * 32] + args["step_digests"][1:]})),
    Case("report_misuse", "EVIDENCE_MISSING", "licensed-use", SIGNED_ARTEFACT,
         reporting(lambda w: misuse_args(w, purpose="training"))),
    Case("report_misuse", "EVIDENCE_MISSING", "wrong-signer", SIGNED_ARTEFACT,
         reporting(lambda w: {**misuse_args(w), "artefact": {
             **misuse_args(w)["artefact"], "signature": misuse_args(w, "vendor2")["artefact"]["signature"]}})),
)


@pytest.mark.parametrize("case", CASES, ids=[f"{case.action}-{case.code}-{case.name}" for case in CASES])
def test_chaincode_only_refusal_with_the_protocol_code_and_nothing_changes(case: Case) -> None:
    assert case.why
    world = World()
    gateway, args = case.arrange(world)
    function = args.pop("_function")
    before = world.snapshot()
    outcome = gateway.submit(function, args)
    assert not outcome.ok, f"{case.action}-{case.name} was accepted"
    assert protocol_code(MarketCode(outcome.code)) == case.code, outcome.message
    assert outcome.payload["protocol_code"] == case.code
    assert world.snapshot() == before


def test_chaincode_codes_map_one_to_one_onto_the_protocol_codes() -> None:
    assert set(PROTOCOL_CODE_OF.values()) == {code.value for code in Rejection}
    assert len(set(PROTOCOL_CODE_OF.values())) == len(PROTOCOL_CODE_OF)


def test_the_documented_mapping_table_is_the_one_in_the_code() -> None:
    text = (Path(__file__).parents[2] / "docs" / "reference-chaincode.md").read_text()
    documented = dict(re.findall(r"^\| `(MKT_[A-Z_]+)` \| `([A-Z_]+)` \|", text, re.MULTILINE))
    assert documented == {code.value: protocol for code, protocol in PROTOCOL_CODE_OF.items()}
