"""Worked examples: every action accepted once, and refused once for each of its codes.

Each :class:`Example` is a complete run from genesis: the setup of a small world, the
moves that bring a job to the right phase, and a last call whose outcome is the point of
the example (accepted, or refused with one particular code). Reading them is the fastest
way to learn the rules; the tests check each one, and the conformance suite turns them
into vectors that any implementation must reproduce.

The world of the examples (:data:`WORLD`): owners ``owner1`` and ``owner2`` with datasets
``data1`` and ``data2``; developers ``dev1`` (funded, with ``model1``) and ``dev2`` (not
funded, with ``model2``); vendors ``vendor1``, ``vendor2`` (the job's) and ``vendor3``
(not in the job); job ``job1`` by ``dev1`` over both datasets with vendors 1 and 2, four
training steps, deadlines one tick after each phase starts. A secret-shared job's state
fault is named only with four vendors: those examples run in a world of their own
(:data:`QUARTET`: the same owners and datasets, ``dev1``, vendors 1 to 4 all in ``job1``,
two steps).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from spec.actions import ENVIRONMENT, Call, call
from spec.machine import step
from spec.rejections import Rejection
from spec.state import TREASURY, Market, Role, genesis
from spec.transcript import divergent_transcript, honest_transcript, initial_digest, tampered_transcript
from spec.world import (
    PURPOSE,
    Instance,
    JobTemplate,
    commitment_of,
    model_commitment,
    request_call,
    setup_calls,
)

R = Rejection

JOB = JobTemplate("job1", "dev1", ("data1", "data2"), ("vendor1", "vendor2"))

WORLD = Instance(data_owners=2, developers=2, vendors=3, jobs=(JOB,), steps=4, window=1,
                 vendor_capacity=1, licence_uses=2, licence_expiry=50)


@dataclass(frozen=True)
class Example:
    """A run from genesis whose last call is accepted (``expected`` is None) or refused."""

    name: str
    action: str
    expected: Rejection | None
    calls: tuple[Call, ...]


class Story:
    """Builds runs: every call added with :meth:`then` must be accepted."""

    def __init__(self, calls: tuple[Call, ...] = ()):
        self.calls = calls

    def then(self, *calls: Call) -> Story:
        return Story(self.calls + calls)

    def market(self) -> Market:
        market = genesis(WORLD.dispute_cost, WORLD.audit_probability)
        for index, each in enumerate(self.calls):
            result = step(market, each)
            if not result.accepted:
                raise AssertionError(f"story step {index} {each.action} by {each.actor} was "
                                     f"refused: {result.rejection and result.rejection.value}")
            market = result.market
        return market


def start(vendor: str) -> int:
    """The agreed initial digest of ``vendor`` in job1 (see spec.transcript)."""
    position = JOB.vendors.index(vendor)
    model = model_commitment(WORLD.model_of(JOB.developer))
    return initial_digest(model, [commitment_of(d) for d in JOB.datasets], position)


def honest(vendor: str) -> tuple[int, ...]:
    return honest_transcript(start(vendor), WORLD.steps)


def lazy(vendor: str, first_wrong: int = 3) -> tuple[int, ...]:
    return divergent_transcript(start(vendor), WORLD.steps, first_wrong)


TICK = call("tick", ENVIRONMENT)
SETUP = Story(tuple(setup_calls(WORLD)))
REQUEST = request_call(WORLD, JOB)
REQUESTED = SETUP.then(REQUEST)


def grant(dataset: str, defective: bool = False, job: str = "job1") -> Call:
    owner = "owner" + dataset.removeprefix("data")
    delivered = commitment_of(dataset) + (1 if defective else 0)
    return call("grant_access", owner, job=job, dataset=dataset,
                delivery_digest=delivered, key_digest=commitment_of(dataset) * 3)


RICH = SETUP.then(*[call("fund", TREASURY, recipient=party, amount=100)
                    for party in ("dev1", "owner1", "owner2", "vendor1", "vendor2")])
"""The setup with enough tokens for several jobs at once."""


LICENSED = REQUESTED.then(grant("data1"), grant("data2"))
LICENSED_DEFECTIVE = REQUESTED.then(grant("data1", defective=True), grant("data2"))
ACCEPT = {vendor: call("accept_job", vendor, job="job1") for vendor in JOB.vendors}
RUNNING = LICENSED.then(ACCEPT["vendor1"], ACCEPT["vendor2"])
CONFIRM = {vendor: call("confirm_inputs", vendor, job="job1") for vendor in JOB.vendors}
CONFIRMED = RUNNING.then(CONFIRM["vendor1"], CONFIRM["vendor2"])


def submit(vendor: str, transcript: tuple[int, ...]) -> Call:
    return call("submit_result", vendor, job="job1", transcript=transcript)


DELIVERED = CONFIRMED.then(submit("vendor1", honest("vendor1")), submit("vendor2", honest("vendor2")))
DELIVERED_LAZY = CONFIRMED.then(submit("vendor1", lazy("vendor1")), submit("vendor2", honest("vendor2")))
DISPUTE = call("dispute_result", "dev1", job="job1", vendor="vendor1", transcript=honest("vendor1"))
DISPUTED = DELIVERED_LAZY.then(DISPUTE)
# Four steps: the first query opens step 2; both agree there, so the interval becomes [2, 4].
QUERY = call("bisect_query", "dev1", job="job1", digest=honest("vendor1")[1])
QUERIED = DISPUTED.then(QUERY)
ANSWER = call("bisect_answer", "vendor1", job="job1", digest=lazy("vendor1")[1])
# Second round: the midpoint of [2, 4] is step 3, where the lazy transcript is wrong.
ROUND_TWO = QUERIED.then(ANSWER, call("bisect_query", "dev1", job="job1", digest=honest("vendor1")[2]))
NARROWED = ROUND_TWO.then(call("bisect_answer", "vendor1", job="job1", digest=lazy("vendor1")[2]))
FALSE_DISPUTE = DELIVERED.then(call("dispute_result", "dev1", job="job1", vendor="vendor1",
                                    transcript=lazy("vendor1", first_wrong=1)))
MISUSED = CONFIRMED.then(call("misuse_data", "vendor1", job="job1"))

# A state fault of a secret-shared job is named by the public checks only with at least
# 3t + 1 = 4 vendors (decision 0081), more than the world above has: a world of its own for
# those examples, with the same genesis (dispute cost and audit probability) as WORLD.
QUARTET_JOB = JobTemplate("job1", "dev1", ("data1", "data2"),
                          ("vendor1", "vendor2", "vendor3", "vendor4"))
QUARTET = Instance(data_owners=2, developers=1, vendors=4, jobs=(QUARTET_JOB,), steps=2,
                   window=1, vendor_capacity=1, licence_uses=2, licence_expiry=50)


def quartet_start(vendor: str) -> int:
    """The agreed initial digest of ``vendor`` in the four-vendor job1."""
    model = model_commitment(QUARTET.model_of(QUARTET_JOB.developer))
    return initial_digest(model, [commitment_of(d) for d in QUARTET_JOB.datasets],
                          QUARTET_JOB.vendors.index(vendor))


def quartet_submit(vendor: str, first_wrong: int | None = None) -> Call:
    """``vendor``'s transcript in the four-vendor job: honest, or lazy from ``first_wrong``."""
    first = quartet_start(vendor)
    transcript = (honest_transcript(first, QUARTET.steps) if first_wrong is None else
                  divergent_transcript(first, QUARTET.steps, first_wrong))
    return submit(vendor, transcript)


QUARTET_CONFIRMED = Story(tuple(setup_calls(QUARTET))).then(
    request_call(QUARTET, QUARTET_JOB), grant("data1"), grant("data2"),
    *[call("accept_job", vendor, job="job1") for vendor in QUARTET_JOB.vendors],
    *[call("confirm_inputs", vendor, job="job1") for vendor in QUARTET_JOB.vendors])
# vendor3 skips the work of step 2: its state check point is the odd one out of four
QUARTET_LAZY = QUARTET_CONFIRMED.then(*[
    quartet_submit(vendor, 2 if vendor == "vendor3" else None) for vendor in QUARTET_JOB.vendors])
# vendor2 and vendor3 both skip step 2: two points of four off, the check names nobody
QUARTET_TWO_LAZY = QUARTET_CONFIRMED.then(*[
    quartet_submit(vendor, 2 if vendor in ("vendor2", "vendor3") else None)
    for vendor in QUARTET_JOB.vendors])


def examples() -> tuple[Example, ...]:
    """Every example, in catalogue order of their actions."""
    cases: list[Example] = []

    def add(name: str, story: Story, last: Call, expected: Rejection | None = None) -> None:
        cases.append(Example(name, last.action, expected, story.calls + (last,)))

    # register_identity
    add("a new data owner registers", Story(), call("register_identity", "owner1",
        role=Role.DATA_OWNER, organisation="owners"))
    add("a name registers twice", SETUP, call("register_identity", "owner1",
        role=Role.VENDOR, organisation="x"), R.ALREADY_REGISTERED)
    add("nobody registers as treasury", SETUP, call("register_identity", "eve",
        role=Role.TREASURY, organisation="x"), R.ROLE_RESERVED)
    # fund
    add("the treasury funds a developer", SETUP, call("fund", TREASURY, recipient="dev2", amount=5))
    add("an unknown signer funds", SETUP, call("fund", "mallory", recipient="dev1", amount=5),
        R.UNKNOWN_ACTOR)
    add("a developer tries to mint", SETUP, call("fund", "dev1", recipient="dev1", amount=5),
        R.WRONG_ROLE)
    add("funding an unknown recipient", SETUP, call("fund", TREASURY, recipient="mallory", amount=5),
        R.UNKNOWN_IDENTITY)
    add("funding zero tokens", SETUP, call("fund", TREASURY, recipient="dev1", amount=0),
        R.NON_POSITIVE_AMOUNT)
    # register_dataset
    dataset = dict(dataset="data9", commitment=109, price=2, misuse_value=1,
                   purposes=frozenset({PURPOSE}), expiry=50, max_uses=2)
    add("an owner registers a dataset", SETUP, call("register_dataset", "owner1", **dataset))
    add("an unknown signer registers a dataset", SETUP,
        call("register_dataset", "mallory", **dataset), R.UNKNOWN_ACTOR)
    add("a vendor registers a dataset", SETUP, call("register_dataset", "vendor1", **dataset),
        R.WRONG_ROLE)
    add("a dataset name is taken", SETUP,
        call("register_dataset", "owner2", **{**dataset, "dataset": "data1"}), R.DATASET_EXISTS)
    add("a licence allows no use", SETUP,
        call("register_dataset", "owner1", **{**dataset, "max_uses": 0}), R.INVALID_LICENCE)
    add("a negative price", SETUP,
        call("register_dataset", "owner1", **{**dataset, "price": -1}), R.NEGATIVE_AMOUNT)
    # register_model
    add("a developer registers a model", SETUP, call("register_model", "dev1", model="model9",
                                                    commitment=99))
    add("an unknown signer registers a model", SETUP,
        call("register_model", "mallory", model="model9", commitment=99), R.UNKNOWN_ACTOR)
    add("an owner registers a model", SETUP,
        call("register_model", "owner1", model="model9", commitment=99), R.WRONG_ROLE)
    add("a model name is taken", SETUP,
        call("register_model", "dev2", model="model1", commitment=99), R.MODEL_EXISTS)
    # register_vendor
    newcomer = SETUP.then(call("register_identity", "vendor9", role=Role.VENDOR, organisation="v9"))
    offer = dict(fee=1, cost=1, capacity=1)
    add("a vendor publishes an offer", newcomer, call("register_vendor", "vendor9", **offer))
    add("an unknown signer publishes an offer", SETUP, call("register_vendor", "mallory", **offer),
        R.UNKNOWN_ACTOR)
    add("a developer publishes an offer", SETUP, call("register_vendor", "dev1", **offer),
        R.WRONG_ROLE)
    add("a vendor publishes a second offer", SETUP, call("register_vendor", "vendor1", **offer),
        R.VENDOR_EXISTS)
    add("an offer without capacity", newcomer,
        call("register_vendor", "vendor9", **{**offer, "capacity": 0}), R.INVALID_CAPACITY)
    add("an offer with a negative fee", newcomer,
        call("register_vendor", "vendor9", **{**offer, "fee": -1}), R.NEGATIVE_AMOUNT)
    # request_training
    def request(**changes) -> Call:
        return call("request_training", changes.pop("actor", "dev1"), **{**REQUEST.args, **changes})
    add("a developer requests training", SETUP, REQUEST)
    add("an unknown signer requests", SETUP, request(actor="mallory"), R.UNKNOWN_ACTOR)
    add("a vendor requests", SETUP, request(actor="vendor1"), R.WRONG_ROLE)
    add("a job name is taken", REQUESTED, REQUEST, R.JOB_EXISTS)
    add("an unknown model", SETUP, request(model="model9"), R.UNKNOWN_MODEL)
    add("somebody else's model", SETUP, request(model="model2"), R.NOT_MODEL_OWNER)
    add("the same vendor twice", SETUP, request(vendors=("vendor1", "vendor1")), R.INVALID_PARTIES)
    add("an unknown dataset", SETUP, request(datasets=("data1", "data9")), R.UNKNOWN_DATASET)
    add("an unknown vendor", SETUP, request(vendors=("vendor1", "vendor9")), R.UNKNOWN_VENDOR)
    add("zero training steps", SETUP, request(steps=0), R.INVALID_TERMS)
    add("a purpose the licence does not allow", SETUP, request(purpose="advertising"),
        R.PURPOSE_NOT_LICENSED)
    late = SETUP.then(*[TICK] * 51)
    add("an expired licence", late, REQUEST, R.LICENCE_EXPIRED)
    used_up = RICH.then(REQUEST, grant("data1"), request(job="job2"), grant("data1", job="job2"))
    add("a licence with no use left", used_up, request(job="job3"), R.LICENCE_EXHAUSTED)
    add("a vendor stake below the minimum", SETUP, request(vendor_stake=1), R.STAKE_BELOW_MINIMUM)
    add("a developer bond below the minimum", SETUP, request(developer_bond=0), R.BOND_BELOW_MINIMUM)
    poor = SETUP.then(call("register_model", "dev2", model="model3", commitment=33))
    add("a developer that cannot pay", poor, request(actor="dev2", model="model2"),
        R.INSUFFICIENT_FUNDS)
    # grant_access and deny_access share their first checks
    for action in ("grant_access", "deny_access"):
        def answer(**changes) -> Call:
            actor = changes.pop("actor", "owner1")
            base: dict[str, object] = {"job": "job1", "dataset": "data1"}
            if action == "grant_access":
                base.update(delivery_digest=101, key_digest=303)
            return call(action, actor, **{**base, **changes})
        add(f"{action}: an owner answers", REQUESTED, answer())
        add(f"{action}: unknown signer", REQUESTED, answer(actor="mallory"), R.UNKNOWN_ACTOR)
        add(f"{action}: a vendor answers", REQUESTED, answer(actor="vendor1"), R.WRONG_ROLE)
        add(f"{action}: unknown job", REQUESTED, answer(job="job9"), R.UNKNOWN_JOB)
        add(f"{action}: after licensing", LICENSED, answer(), R.WRONG_STATUS)
        add(f"{action}: a dataset not in the job", REQUESTED.then(call(
            "register_dataset", "owner1", **dataset)), answer(dataset="data9"), R.DATASET_NOT_IN_JOB)
        add(f"{action}: another owner's dataset", REQUESTED, answer(actor="owner2"), R.NOT_JOB_PARTY)
        add(f"{action}: answering twice", REQUESTED.then(grant("data1")), answer(),
            R.ALREADY_ANSWERED)
        add(f"{action}: after the deadline", REQUESTED.then(TICK, TICK), answer(), R.DEADLINE_PASSED)
    # data1 allows two uses: job2 and job3 take them while job1 waits for its grant
    add("grant_access: a licence used up meanwhile", RICH.then(
        REQUEST, request(job="job2"), grant("data1", job="job2"),
        request(job="job3"), grant("data1", job="job3")),
        grant("data1"), R.LICENCE_EXHAUSTED)
    drained = RICH.then(REQUEST,
                        call("register_identity", "owner9", role=Role.DATA_OWNER, organisation="o9"),
                        call("register_dataset", "owner9", **dataset),
                        request(job="job2", datasets=("data9",)))
    add("grant_access: an owner that cannot lock its bond", drained, call(
        "grant_access", "owner9", job="job2", dataset="data9", delivery_digest=109, key_digest=1),
        R.INSUFFICIENT_FUNDS)
    # accept_job
    add("a vendor accepts", LICENSED, ACCEPT["vendor1"])
    add("accept: unknown signer", LICENSED, call("accept_job", "mallory", job="job1"), R.UNKNOWN_ACTOR)
    add("accept: an owner accepts", LICENSED, call("accept_job", "owner1", job="job1"), R.WRONG_ROLE)
    add("accept: unknown job", LICENSED, call("accept_job", "vendor1", job="job9"), R.UNKNOWN_JOB)
    add("accept: before licensing", REQUESTED, ACCEPT["vendor1"], R.WRONG_STATUS)
    add("accept: a vendor not in the job", LICENSED, call("accept_job", "vendor3", job="job1"),
        R.NOT_JOB_PARTY)
    add("accept: twice", LICENSED.then(ACCEPT["vendor1"]), ACCEPT["vendor1"], R.ALREADY_ANSWERED)
    add("accept: after the deadline", LICENSED.then(TICK, TICK), ACCEPT["vendor1"], R.DEADLINE_PASSED)
    busy = RICH.then(REQUEST, request(job="job2"), grant("data1"), grant("data2"),
                     grant("data1", job="job2"), grant("data2", job="job2"), ACCEPT["vendor1"])
    add("accept: a vendor at capacity", busy, call("accept_job", "vendor1", job="job2"),
        R.VENDOR_AT_CAPACITY)
    broke_vendor = SETUP.then(
        call("register_identity", "vendor8", role=Role.VENDOR, organisation="v8"),
        call("register_vendor", "vendor8", **offer),
        request(vendors=("vendor1", "vendor8")), grant("data1"), grant("data2"))
    add("accept: a vendor that cannot lock its stake", broke_vendor,
        call("accept_job", "vendor8", job="job1"), R.INSUFFICIENT_FUNDS)
    # confirm_inputs and complain_inputs share their first checks
    for action, extra in (("confirm_inputs", {}), ("complain_inputs", {"dataset": "data1"})):
        move = call(action, "vendor1", job="job1", **extra)
        add(f"{action}: accepted", RUNNING if action == "confirm_inputs" else LICENSED_DEFECTIVE.then(
            ACCEPT["vendor1"], ACCEPT["vendor2"]), move)
        add(f"{action}: unknown signer", RUNNING, replace(move, actor="mallory"), R.UNKNOWN_ACTOR)
        add(f"{action}: an owner reports", RUNNING, replace(move, actor="owner1"), R.WRONG_ROLE)
        add(f"{action}: unknown job", RUNNING, Call(action, "vendor1", move.args.with_item("job", "job9")),
            R.UNKNOWN_JOB)
        add(f"{action}: before running", LICENSED, move, R.WRONG_STATUS)
        add(f"{action}: a vendor not in the job", RUNNING, replace(move, actor="vendor3"),
            R.NOT_JOB_PARTY)
        add(f"{action}: after confirming", RUNNING.then(CONFIRM["vendor1"]), move, R.ALREADY_ANSWERED)
        add(f"{action}: after the deadline", RUNNING.then(TICK, TICK), move, R.DEADLINE_PASSED)
    add("confirm_inputs: the ledger shows a defective delivery", LICENSED_DEFECTIVE.then(
        ACCEPT["vendor1"], ACCEPT["vendor2"]), CONFIRM["vendor1"], R.INPUTS_DEFECTIVE)
    add("complain_inputs: false complaint is accepted and convicts the vendor", RUNNING,
        call("complain_inputs", "vendor1", job="job1", dataset="data1"))
    with_data9 = RUNNING.then(call("register_dataset", "owner1", **dataset))
    add("complain_inputs: a dataset not in the job", with_data9,
        call("complain_inputs", "vendor1", job="job1", dataset="data9"), R.DATASET_NOT_IN_JOB)
    # submit_result
    move = submit("vendor1", honest("vendor1"))
    add("a vendor submits its transcript", CONFIRMED, move)
    add("submit: unknown signer", CONFIRMED, replace(move, actor="mallory"), R.UNKNOWN_ACTOR)
    add("submit: a developer submits", CONFIRMED, replace(move, actor="dev1"), R.WRONG_ROLE)
    add("submit: unknown job", CONFIRMED, Call("submit_result", "vendor1",
                                               move.args.with_item("job", "job9")), R.UNKNOWN_JOB)
    add("submit: before running", LICENSED, move, R.WRONG_STATUS)
    add("submit: a vendor not in the job", CONFIRMED, replace(move, actor="vendor3"), R.NOT_JOB_PARTY)
    add("submit: before confirming inputs", RUNNING, move, R.INPUTS_NOT_CONFIRMED)
    add("submit: before the other vendor confirmed", RUNNING.then(CONFIRM["vendor1"]), move,
        R.INPUTS_NOT_CONFIRMED)
    add("submit: twice", CONFIRMED.then(move), move, R.ALREADY_ANSWERED)
    add("submit: after the deadline", CONFIRMED.then(TICK, TICK), move, R.DEADLINE_PASSED)
    add("submit: a transcript of the wrong length", CONFIRMED,
        submit("vendor1", honest("vendor1")[:2]), R.INVALID_TRANSCRIPT)
    # accept_result
    move = call("accept_result", "dev1", job="job1")
    add("the developer accepts the result", DELIVERED, move)
    add("accept_result: unknown signer", DELIVERED, replace(move, actor="mallory"), R.UNKNOWN_ACTOR)
    add("accept_result: a vendor accepts", DELIVERED, replace(move, actor="vendor1"), R.WRONG_ROLE)
    add("accept_result: unknown job", DELIVERED, call("accept_result", "dev1", job="job9"),
        R.UNKNOWN_JOB)
    add("accept_result: before delivery", CONFIRMED, move, R.WRONG_STATUS)
    add("accept_result: another developer", DELIVERED, replace(move, actor="dev2"), R.NOT_JOB_PARTY)
    add("accept_result: after the deadline", DELIVERED.then(TICK, TICK), move, R.DEADLINE_PASSED)
    # dispute_result
    add("the developer disputes a lazy vendor", DELIVERED_LAZY, DISPUTE)
    add("dispute: unknown signer", DELIVERED_LAZY, replace(DISPUTE, actor="mallory"), R.UNKNOWN_ACTOR)
    add("dispute: an owner disputes", DELIVERED_LAZY, replace(DISPUTE, actor="owner1"), R.WRONG_ROLE)
    add("dispute: unknown job", DELIVERED_LAZY, Call("dispute_result", "dev1",
                                                     DISPUTE.args.with_item("job", "job9")),
        R.UNKNOWN_JOB)
    add("dispute: before delivery", CONFIRMED, DISPUTE, R.WRONG_STATUS)
    add("dispute: another developer", DELIVERED_LAZY, replace(DISPUTE, actor="dev2"), R.NOT_JOB_PARTY)
    add("dispute: after the deadline", DELIVERED_LAZY.then(TICK, TICK), DISPUTE, R.DEADLINE_PASSED)
    add("dispute: a vendor not in the job", DELIVERED_LAZY,
        Call("dispute_result", "dev1", DISPUTE.args.with_item("vendor", "vendor3")),
        R.VENDOR_NOT_IN_JOB)
    add("dispute: a claim of the wrong length", DELIVERED_LAZY,
        Call("dispute_result", "dev1", DISPUTE.args.with_item("transcript", honest("vendor1")[:3])),
        R.INVALID_TRANSCRIPT)
    add("dispute: nothing to disagree about", DELIVERED, DISPUTE, R.NO_DISAGREEMENT)
    # bisect_query and bisect_answer
    for action, story, move, actor, wrong_turn_story in (
            ("bisect_query", DISPUTED, QUERY, "dev1", QUERIED),
            ("bisect_answer", QUERIED, ANSWER, "vendor1", DISPUTED)):
        other_role = "owner1"
        add(f"{action}: accepted", story, move)
        add(f"{action}: unknown signer", story, replace(move, actor="mallory"), R.UNKNOWN_ACTOR)
        add(f"{action}: wrong role", story, replace(move, actor=other_role), R.WRONG_ROLE)
        add(f"{action}: unknown job", story, Call(action, actor, move.args.with_item("job", "job9")),
            R.UNKNOWN_JOB)
        add(f"{action}: no dispute", DELIVERED_LAZY, move, R.WRONG_STATUS)
        outsider = "dev2" if action == "bisect_query" else "vendor2"
        add(f"{action}: not a side of the dispute", story, replace(move, actor=outsider),
            R.NOT_JOB_PARTY)
        add(f"{action}: after narrowing to one step", NARROWED, move, R.BISECTION_FINISHED)
        add(f"{action}: out of turn", wrong_turn_story, move, R.NOT_YOUR_TURN)
        add(f"{action}: after the deadline", story.then(TICK, TICK), move, R.DEADLINE_PASSED)
        add(f"{action}: a digest not in the committed transcript", story,
            Call(action, actor, move.args.with_item("digest", move["digest"] + 1)), R.NOT_COMMITTED)
    # resolve_step
    move = call("resolve_step", "owner2", job="job1")
    add("anyone resolves the narrowed dispute", NARROWED, move)
    add("resolve: unknown signer", NARROWED, replace(move, actor="mallory"), R.UNKNOWN_ACTOR)
    add("resolve: unknown job", NARROWED, call("resolve_step", "owner2", job="job9"), R.UNKNOWN_JOB)
    add("resolve: no dispute", DELIVERED, move, R.WRONG_STATUS)
    add("resolve: not yet narrowed", QUERIED, move, R.BISECTION_UNFINISHED)
    add("resolve: after the deadline", NARROWED.then(TICK, TICK), move, R.DEADLINE_PASSED)
    add("the developer that leaves the narrowed step unresolved times out", NARROWED.then(
        TICK, TICK), call("timeout", "owner1", job="job1"))
    add("a silent respondent's committed digest is opened for it", QUERIED.then(TICK, TICK),
        call("timeout", "owner1", job="job1"))
    silent = CONFIRMED.then(submit("vendor2", lazy("vendor2")), TICK, TICK,
                            call("timeout", "owner1", job="job1"))
    add("dispute: a vendor already convicted", silent, DISPUTE, R.ALREADY_CONVICTED)
    # convict_shared_step
    tampered = CONFIRMED.then(submit("vendor1", tampered_transcript(start("vendor1"), WORLD.steps, 2)),
                              submit("vendor2", honest("vendor2")))
    convict = call("convict_shared_step", "dev1", job="job1", vendor="vendor1", step=2,
                   check="sender")
    add("the developer convicts a vendor its own step record names", tampered, convict)
    add("convict: unknown signer", tampered, replace(convict, actor="mallory"), R.UNKNOWN_ACTOR)
    add("convict: an owner convicts", tampered, replace(convict, actor="owner1"), R.WRONG_ROLE)
    add("convict: unknown job", tampered,
        Call("convict_shared_step", "dev1", convict.args.with_item("job", "job9")), R.UNKNOWN_JOB)
    add("convict: before delivery", CONFIRMED, convict, R.WRONG_STATUS)
    add("convict: another developer", tampered, replace(convict, actor="dev2"), R.NOT_JOB_PARTY)
    add("convict: after the deadline", tampered.then(TICK, TICK), convict, R.DEADLINE_PASSED)
    add("convict: a vendor not in the job", tampered,
        Call("convict_shared_step", "dev1", convict.args.with_item("vendor", "vendor3")),
        R.VENDOR_NOT_IN_JOB)
    add("convict: a vendor already convicted", silent, convict, R.ALREADY_CONVICTED)
    add("convict: a lazy vendor of a two-vendor job is not named by the state check",
        DELIVERED_LAZY, call("convict_shared_step", "dev1", job="job1", vendor="vendor1", step=3,
                             check="state"), R.NO_PUBLIC_FAULT)
    state_charge = call("convict_shared_step", "dev1", job="job1", vendor="vendor3", step=2,
                        check="state")
    add("the developer convicts the vendor the state check of a four-vendor job names",
        QUARTET_LAZY, state_charge)
    add("convict: an honest vendor of a four-vendor job is not named", QUARTET_LAZY,
        Call("convict_shared_step", "dev1", state_charge.args.with_item("vendor", "vendor2")),
        R.NO_PUBLIC_FAULT)
    add("convict: two vendors off at one step are named by no check", QUARTET_TWO_LAZY,
        state_charge, R.NO_PUBLIC_FAULT)
    add("after a conviction by re-execution the job is over: no second dispute",
        NARROWED.then(move), call("dispute_result", "dev1", job="job1", vendor="vendor2",
                                  transcript=lazy("vendor2", 1)), R.WRONG_STATUS)
    add("a false dispute is resolved against the developer", FALSE_DISPUTE.then(
        call("bisect_query", "dev1", job="job1", digest=lazy("vendor1", 1)[1]),
        call("bisect_answer", "vendor1", job="job1", digest=honest("vendor1")[1]),
        call("bisect_query", "dev1", job="job1", digest=lazy("vendor1", 1)[0]),
        call("bisect_answer", "vendor1", job="job1", digest=honest("vendor1")[0])), move)
    # report_misuse
    move = call("report_misuse", "owner1", job="job1", vendor="vendor1")
    add("an owner reports misuse with evidence", MISUSED, move)
    add("report: unknown signer", MISUSED, replace(move, actor="mallory"), R.UNKNOWN_ACTOR)
    add("report: a developer reports", MISUSED, replace(move, actor="dev1"), R.WRONG_ROLE)
    add("report: unknown job", MISUSED, call("report_misuse", "owner1", job="job9", vendor="vendor1"),
        R.UNKNOWN_JOB)
    add("report: job not running", LICENSED, move, R.WRONG_STATUS)
    outsider_owner = MISUSED.then(call("register_identity", "owner9", role=Role.DATA_OWNER,
                                       organisation="o9"))
    add("report: an owner outside the job", outsider_owner, replace(move, actor="owner9"),
        R.NOT_JOB_PARTY)
    add("report: a vendor not in the job", MISUSED,
        call("report_misuse", "owner1", job="job1", vendor="vendor3"), R.VENDOR_NOT_IN_JOB)
    add("report: no evidence", CONFIRMED, move, R.EVIDENCE_MISSING)
    # timeout
    move = call("timeout", "owner1", job="job1")
    add("a silent vendor times out", RUNNING.then(TICK, TICK), move)
    add("only the vendor that has not confirmed is convicted", RUNNING.then(
        CONFIRM["vendor1"], TICK, TICK), move)
    add("a vendor fell silent: the submitted result stays open to audit", CONFIRMED.then(
        submit("vendor1", honest("vendor1")), TICK, TICK), move)
    add("timeout: unknown signer", RUNNING.then(TICK, TICK), replace(move, actor="mallory"),
        R.UNKNOWN_ACTOR)
    add("timeout: unknown job", RUNNING.then(TICK, TICK), call("timeout", "owner1", job="job9"),
        R.UNKNOWN_JOB)
    add("timeout: an ended job", DELIVERED.then(call("accept_result", "dev1", job="job1"), TICK, TICK),
        move, R.WRONG_STATUS)
    add("timeout: before the deadline", RUNNING, move, R.DEADLINE_NOT_PASSED)
    # tick
    add("the clock ticks", SETUP, TICK)
    # misuse_data
    move = call("misuse_data", "vendor1", job="job1")
    add("a vendor misuses data", CONFIRMED, move)
    add("misuse: unknown signer", CONFIRMED, replace(move, actor="mallory"), R.UNKNOWN_ACTOR)
    add("misuse: an owner", CONFIRMED, replace(move, actor="owner1"), R.WRONG_ROLE)
    add("misuse: unknown job", CONFIRMED, call("misuse_data", "vendor1", job="job9"), R.UNKNOWN_JOB)
    add("misuse: before the data is released", LICENSED, move, R.WRONG_STATUS)
    add("misuse: a vendor not in the job", CONFIRMED, replace(move, actor="vendor3"), R.NOT_JOB_PARTY)
    add("misuse: twice", MISUSED, move, R.ALREADY_ANSWERED)
    return tuple(cases)
