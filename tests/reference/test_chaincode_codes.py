"""Every marketplace action refused once for each of its codes, in a real state, and the
refusal changes nothing. Runs on the in-memory ledger (``reference/chaincode/memory.py``)
with real keys, encryption and training (``reference/clients/world.py``).

Each case builds a fresh world, brings it to the state the case needs, then makes one
call; the test checks the chaincode's code maps to the protocol code the case names and
that the committed state is byte for byte what it was before the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from reference.chaincode.codes import PROTOCOL_CODE_OF, MarketCode, protocol_code
from reference.clients.gateway import MemoryGateway
from reference.clients.world import World


@dataclass(frozen=True)
class Case:
    action: str
    code: str
    arrange: Callable[[World], tuple[MemoryGateway, dict]]
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.action}-{self.code}" + (f"-{self.name}" if self.name else "")


def gw(world: World, name: str) -> MemoryGateway:
    if name == "mallory":
        return world.mallory
    if name == "treasury":
        return world.treasury.gateway
    for group in (world.owners, world.developers, world.vendors):
        if name in group:
            return group[name].gateway
    raise KeyError(name)


def request_args(world: World, **changes) -> dict:
    developer = world.developers["dev1"]
    terms = developer.job_terms("model1", ["data1", "data2"], ["vendor1", "vendor2"])
    args = {"job": "job1", "model": "model1", "datasets": ["data1", "data2"],
            "vendors": ["vendor1", "vendor2"], "purpose": "training", "window": 100, **terms}
    args.update(changes)
    return args


def dataset_args(world: World, **changes) -> dict:
    args = {"dataset": "data9", "commitment": "ab" * 32, "train_rows_root": "cd" * 32,
            "train_rows": 16, "feature_count": 30, "price": 1, "misuse_value": 1,
            "purposes": ["training"], "expiry": world.clock.now() + 1000, "max_uses": 1}
    args.update(changes)
    return args


def vendor_args(**changes) -> dict:
    return {"fee": 1, "cost": 1, "capacity": 1, "exchange_public_key": "11" * 32, **changes}


def at(status: str, actor: str, function: str, args_of: Callable[[World], dict],
       then: Callable[[World], None] | None = None) -> Callable[[World], tuple[MemoryGateway, dict]]:
    """Arrange: job1 honestly brought to ``status`` (None: nothing), then ``then``."""
    def arrange(world: World):
        if status:
            world.to_status(status)
        if then:
            then(world)
        return gw(world, actor), {"_function": function, **args_of(world)}
    return arrange


def late(world: World) -> None:
    world.clock.advance(101)


def grant_args(world: World, dataset: str = "data1", job: str = "job1", owner: str = "owner1"):
    job_record = world.job(job)
    owner_client = world.owners[world.dataset_owner[dataset]]
    args = owner_client.grant_arguments(job_record, dataset)
    return args


def open_at_midpoint(world: World, side: str) -> dict:
    job = world.job()
    position = job.dispute.midpoint
    if side == "claimant":
        from reference.training.merkle import inclusion_proof
        claim = world.developers["dev1"].jobs["job1"].claimant_digests
        return {"job": "job1", "digest": claim[position - 1].hex(),
                "proof": inclusion_proof(claim, position - 1).to_json_value()}
    return {"job": "job1", **world.vendors[job.dispute.respondent].open_digest("job1", position)}


def disputed(world: World) -> None:
    world.dispute()


def query_made(world: World) -> None:
    world.dispute()
    world.must(world.developers["dev1"].query("job1"))


def resolving(world: World) -> None:
    world.dispute()
    world.bisect_to_resolve()


def vendor2_convicted(world: World) -> None:
    """Training started, vendor1 submitted and vendor2 fell silent: the timeout convicts
    vendor2 and job1 is DELIVERED (a conviction by re-execution would end the job,
    decision 0031)."""
    world.to_status("CONFIRMED")
    vendor1 = world.vendors["vendor1"]
    vendor1.train("job1")
    world.must(vendor1.submit("job1"))
    world.clock.advance(101)
    world.must(world.owners["owner1"].gateway.submit("timeout", {"job": "job1"}))
    assert world.job().status == "DELIVERED"


def resolve_args(world: World) -> dict:
    job = world.job()
    helper = world.vendors["vendor1"]
    low = job.dispute.low if job.dispute else 0
    return {"job": "job1", "recipe": world.recipe.to_json_value(),
            "pre_state": helper.open_state("job1", low).to_json_value(),
            "batch": helper.open_batch("job1", low)}


def misuse_args(world: World, vendor: str = "vendor1", purpose: str = "resale") -> dict:
    return {"job": "job1", "vendor": vendor,
            "artefact": world.vendors[vendor].sign_misuse("job1", "data1", purpose)}


def defective_data2(world: World) -> None:
    """owner2 delivers (and signs for) an envelope other than data2's commitment; job1 is
    RUNNING."""
    world.owners["owner2"].defective_datasets.add("data2")
    world.to_status("RUNNING")


def second_job_on_vendor2(world: World) -> None:
    """vendor2 (capacity 1) takes job2 first; job1 is LICENSED."""
    world.to_status("LICENSED")
    world.must(world.request("job2", datasets=("data1",), vendors=("vendor2",)))
    world.grant_all("job2")
    world.accept_all("job2")


def unfunded_vendor_job(world: World) -> None:
    """job1 with a vendor that has no tokens, LICENSED."""
    poor = world.gateway("vendor4", "VendorsOrg")
    world.must(poor.submit("register_identity", {"role": "vendor"}))
    world.must(poor.submit("register_vendor", vendor_args(fee=4, cost=2)))
    world.vendors["vendor4"] = type(world.vendors["vendor1"])(poor)
    world.must(world.request(vendors=("vendor1", "vendor4")))
    world.grant_all()


def data3_used_up(world: World) -> None:
    """data3 (one licensed use) granted in job0; job1 over data3 is REQUESTED."""
    world.must(world.treasury.fund("owner3", 1000))
    world.must(world.request("job0", datasets=("data3",), vendors=("vendor1",)))
    world.grant_all("job0")


def data3_requested_twice(world: World) -> None:
    """Two jobs over data3 requested; granting one exhausts the licence for the other."""
    world.must(world.treasury.fund("owner3", 1000))
    world.must(world.request("job1", datasets=("data3",), vendors=("vendor1",)))
    world.must(world.request("job2", datasets=("data3",), vendors=("vendor3",)))
    world.grant_all("job2")


def owner3_poor_job(world: World) -> None:
    world.must(world.request("job1", datasets=("data3",), vendors=("vendor1",)))


def expired_dataset(world: World) -> None:
    owner = world.owners["owner1"]
    world.must(owner.register_dataset("data-short", owner.datasets["data1"].plaintext, price=1,
                                      misuse_value=1, purposes=["training"],
                                      expiry=world.clock.now() + 5, max_uses=5))
    world.clock.advance(6)


R = "REQUESTED"
L = "LICENSED"
RUN = "RUNNING"
C = "CONFIRMED"
D = "DELIVERED"

CASES: list[Case] = [
    # register_identity
    Case("register_identity", "ALREADY_REGISTERED",
         lambda w: (gw(w, "owner1"), {"_function": "register_identity", "role": "data_owner"})),
    Case("register_identity", "ROLE_RESERVED",
         lambda w: (w.gateway("newcomer", "MarketOrg"),
                    {"_function": "register_identity", "role": "treasury"})),
    # fund
    Case("fund", "UNKNOWN_ACTOR", at("", "mallory", "fund", lambda w: {"recipient": "owner1", "amount": 5})),
    Case("fund", "WRONG_ROLE", at("", "owner1", "fund", lambda w: {"recipient": "owner1", "amount": 5})),
    Case("fund", "UNKNOWN_IDENTITY", at("", "treasury", "fund", lambda w: {"recipient": "nobody", "amount": 5})),
    Case("fund", "NON_POSITIVE_AMOUNT", at("", "treasury", "fund", lambda w: {"recipient": "owner1", "amount": 0})),
    # register_dataset
    Case("register_dataset", "UNKNOWN_ACTOR", at("", "mallory", "register_dataset", dataset_args)),
    Case("register_dataset", "WRONG_ROLE", at("", "dev1", "register_dataset", dataset_args)),
    Case("register_dataset", "DATASET_EXISTS",
         at("", "owner1", "register_dataset", lambda w: dataset_args(w, dataset="data2"))),
    Case("register_dataset", "INVALID_LICENCE",
         at("", "owner1", "register_dataset", lambda w: dataset_args(w, purposes=[])), "no-purpose"),
    Case("register_dataset", "INVALID_LICENCE",
         at("", "owner1", "register_dataset", lambda w: dataset_args(w, max_uses=0)), "no-use"),
    Case("register_dataset", "NEGATIVE_AMOUNT",
         at("", "owner1", "register_dataset", lambda w: dataset_args(w, price=-1))),
    # register_model
    Case("register_model", "UNKNOWN_ACTOR",
         at("", "mallory", "register_model", lambda w: {"model": "m9", "commitment": "ee" * 32})),
    Case("register_model", "WRONG_ROLE",
         at("", "vendor1", "register_model", lambda w: {"model": "m9", "commitment": "ee" * 32})),
    Case("register_model", "MODEL_EXISTS",
         at("", "dev2", "register_model", lambda w: {"model": "model1", "commitment": "ee" * 32})),
    # register_vendor
    Case("register_vendor", "UNKNOWN_ACTOR", at("", "mallory", "register_vendor", lambda w: vendor_args())),
    Case("register_vendor", "WRONG_ROLE", at("", "dev1", "register_vendor", lambda w: vendor_args())),
    Case("register_vendor", "VENDOR_EXISTS", at("", "vendor1", "register_vendor", lambda w: vendor_args())),
    Case("register_vendor", "INVALID_CAPACITY",
         lambda w: (_new_vendor(w), {"_function": "register_vendor", **vendor_args(capacity=0)})),
    Case("register_vendor", "NEGATIVE_AMOUNT",
         lambda w: (_new_vendor(w), {"_function": "register_vendor", **vendor_args(cost=-1)})),
    # request_training
    Case("request_training", "UNKNOWN_ACTOR", at("", "mallory", "request_training", request_args)),
    Case("request_training", "WRONG_ROLE", at("", "owner1", "request_training", request_args)),
    Case("request_training", "JOB_EXISTS", at(R, "dev1", "request_training", request_args)),
    Case("request_training", "UNKNOWN_MODEL",
         at("", "dev1", "request_training", lambda w: request_args(w, model="model9"))),
    Case("request_training", "NOT_MODEL_OWNER",
         at("", "dev1", "request_training", lambda w: request_args(w, model="model2"))),
    Case("request_training", "INVALID_PARTIES",
         at("", "dev1", "request_training", lambda w: request_args(w, datasets=["data1", "data1"]))),
    Case("request_training", "UNKNOWN_DATASET",
         at("", "dev1", "request_training", lambda w: request_args(w, datasets=["data1", "data9"]))),
    Case("request_training", "UNKNOWN_VENDOR",
         at("", "dev1", "request_training", lambda w: request_args(w, vendors=["vendor1", "dev2"]))),
    Case("request_training", "INVALID_TERMS",
         at("", "dev1", "request_training", lambda w: request_args(w, steps=0))),
    Case("request_training", "PURPOSE_NOT_LICENSED",
         at("", "dev1", "request_training", lambda w: request_args(w, purpose="advertising"))),
    Case("request_training", "LICENCE_EXPIRED",
         at("", "dev1", "request_training", lambda w: request_args(w, datasets=["data-short"]),
            then=expired_dataset)),
    Case("request_training", "LICENCE_EXHAUSTED",
         at("", "dev1", "request_training", lambda w: request_args(w, job="job5", datasets=["data3"]),
            then=data3_used_up)),
    Case("request_training", "STAKE_BELOW_MINIMUM",
         at("", "dev1", "request_training",
            lambda w: request_args(w, vendor_stake=request_args(w)["vendor_stake"] - 1))),
    Case("request_training", "BOND_BELOW_MINIMUM",
         at("", "dev1", "request_training",
            lambda w: request_args(w, developer_bond=request_args(w)["developer_bond"] - 1))),
    Case("request_training", "INSUFFICIENT_FUNDS",
         at("", "dev2", "request_training", lambda w: request_args(w, model="model2"))),
    # grant_access
    Case("grant_access", "UNKNOWN_ACTOR", at(R, "mallory", "grant_access", grant_args)),
    Case("grant_access", "WRONG_ROLE", at(R, "vendor1", "grant_access", grant_args)),
    Case("grant_access", "UNKNOWN_JOB",
         at(R, "owner1", "grant_access", lambda w: {**grant_args(w), "job": "job9"})),
    Case("grant_access", "WRONG_STATUS", at(L, "owner1", "grant_access", grant_args)),
    Case("grant_access", "DATASET_NOT_IN_JOB",
         at(R, "owner1", "grant_access", lambda w: {**grant_args(w), "dataset": "data3"})),
    Case("grant_access", "NOT_JOB_PARTY", at(R, "owner2", "grant_access", grant_args)),
    Case("grant_access", "ALREADY_ANSWERED",
         at(R, "owner1", "grant_access", grant_args,
            then=lambda w: w.must(w.owners["owner1"].grant("job1", "data1")))),
    Case("grant_access", "DEADLINE_PASSED", at(R, "owner1", "grant_access", grant_args, then=late)),
    Case("grant_access", "LICENCE_EXHAUSTED",
         at("", "owner3", "grant_access", lambda w: grant_args(w, "data3"), then=data3_requested_twice)),
    Case("grant_access", "INSUFFICIENT_FUNDS",
         at("", "owner3", "grant_access", lambda w: grant_args(w, "data3"), then=owner3_poor_job)),
    # deny_access
    Case("deny_access", "UNKNOWN_ACTOR",
         at(R, "mallory", "deny_access", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("deny_access", "WRONG_ROLE",
         at(R, "dev1", "deny_access", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("deny_access", "UNKNOWN_JOB",
         at(R, "owner1", "deny_access", lambda w: {"job": "job9", "dataset": "data1"})),
    Case("deny_access", "WRONG_STATUS",
         at(L, "owner1", "deny_access", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("deny_access", "DATASET_NOT_IN_JOB",
         at(R, "owner1", "deny_access", lambda w: {"job": "job1", "dataset": "data3"})),
    Case("deny_access", "NOT_JOB_PARTY",
         at(R, "owner2", "deny_access", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("deny_access", "ALREADY_ANSWERED",
         at(R, "owner1", "deny_access", lambda w: {"job": "job1", "dataset": "data1"},
            then=lambda w: w.must(w.owners["owner1"].grant("job1", "data1")))),
    Case("deny_access", "DEADLINE_PASSED",
         at(R, "owner1", "deny_access", lambda w: {"job": "job1", "dataset": "data1"}, then=late)),
    # accept_job
    Case("accept_job", "UNKNOWN_ACTOR", at(L, "mallory", "accept_job", lambda w: {"job": "job1"})),
    Case("accept_job", "WRONG_ROLE", at(L, "dev1", "accept_job", lambda w: {"job": "job1"})),
    Case("accept_job", "UNKNOWN_JOB", at(L, "vendor1", "accept_job", lambda w: {"job": "job9"})),
    Case("accept_job", "WRONG_STATUS", at(R, "vendor1", "accept_job", lambda w: {"job": "job1"})),
    Case("accept_job", "NOT_JOB_PARTY", at(L, "vendor3", "accept_job", lambda w: {"job": "job1"})),
    Case("accept_job", "ALREADY_ANSWERED",
         at(L, "vendor1", "accept_job", lambda w: {"job": "job1"},
            then=lambda w: w.must(w.vendors["vendor1"].accept("job1")))),
    Case("accept_job", "DEADLINE_PASSED", at(L, "vendor1", "accept_job", lambda w: {"job": "job1"}, then=late)),
    Case("accept_job", "VENDOR_AT_CAPACITY",
         at("", "vendor2", "accept_job", lambda w: {"job": "job1"}, then=second_job_on_vendor2)),
    Case("accept_job", "INSUFFICIENT_FUNDS",
         at("", "vendor4", "accept_job", lambda w: {"job": "job1"}, then=unfunded_vendor_job)),
    # confirm_inputs
    Case("confirm_inputs", "UNKNOWN_ACTOR", at(RUN, "mallory", "confirm_inputs", lambda w: {"job": "job1"})),
    Case("confirm_inputs", "WRONG_ROLE", at(RUN, "owner1", "confirm_inputs", lambda w: {"job": "job1"})),
    Case("confirm_inputs", "UNKNOWN_JOB", at(RUN, "vendor1", "confirm_inputs", lambda w: {"job": "job9"})),
    Case("confirm_inputs", "WRONG_STATUS", at(L, "vendor1", "confirm_inputs", lambda w: {"job": "job1"})),
    Case("confirm_inputs", "NOT_JOB_PARTY", at(RUN, "vendor3", "confirm_inputs", lambda w: {"job": "job1"})),
    Case("confirm_inputs", "ALREADY_ANSWERED", at(C, "vendor1", "confirm_inputs", lambda w: {"job": "job1"})),
    Case("confirm_inputs", "DEADLINE_PASSED",
         at(RUN, "vendor1", "confirm_inputs", lambda w: {"job": "job1"}, then=late)),
    Case("confirm_inputs", "INPUTS_DEFECTIVE",
         at("", "vendor1", "confirm_inputs", lambda w: {"job": "job1"}, then=defective_data2)),
    Case("confirm_inputs", "DEADLINE_PASSED",
         at("", "vendor1", "confirm_inputs", lambda w: {"job": "job1"},
            then=lambda w: (defective_data2(w), late(w))), "before-the-delivery-check"),
    # complain_inputs
    Case("complain_inputs", "UNKNOWN_ACTOR",
         at(RUN, "mallory", "complain_inputs", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("complain_inputs", "WRONG_ROLE",
         at(RUN, "owner2", "complain_inputs", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("complain_inputs", "UNKNOWN_JOB",
         at(RUN, "vendor1", "complain_inputs", lambda w: {"job": "job9", "dataset": "data1"})),
    Case("complain_inputs", "WRONG_STATUS",
         at(L, "vendor1", "complain_inputs", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("complain_inputs", "NOT_JOB_PARTY",
         at(RUN, "vendor3", "complain_inputs", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("complain_inputs", "ALREADY_ANSWERED",
         at(C, "vendor1", "complain_inputs", lambda w: {"job": "job1", "dataset": "data1"})),
    Case("complain_inputs", "DEADLINE_PASSED",
         at(RUN, "vendor1", "complain_inputs", lambda w: {"job": "job1", "dataset": "data1"}, then=late)),
    Case("complain_inputs", "DATASET_NOT_IN_JOB",
         at(RUN, "vendor1", "complain_inputs", lambda w: {"job": "job1", "dataset": "data3"})),
    # submit_result
    Case("submit_result", "UNKNOWN_ACTOR", at(C, "mallory", "submit_result", lambda w: _result_args(w))),
    Case("submit_result", "WRONG_ROLE", at(C, "dev1", "submit_result", lambda w: _result_args(w))),
    Case("submit_result", "UNKNOWN_JOB",
         at(C, "vendor1", "submit_result", lambda w: {**_result_args(w), "job": "job9"})),
    Case("submit_result", "WRONG_STATUS",
         at(C, "vendor1", "submit_result", lambda w: _result_args(w),
            then=lambda w: w.submit_all())),
    Case("submit_result", "NOT_JOB_PARTY", at(C, "vendor3", "submit_result", lambda w: _result_args(w))),
    Case("submit_result", "INPUTS_NOT_CONFIRMED",
         at(RUN, "vendor1", "submit_result", lambda w: _result_args(w), then=lambda w: w.deliver())),
    Case("submit_result", "ALREADY_ANSWERED",
         at(C, "vendor1", "submit_result", lambda w: _result_args(w),
            then=lambda w: (w.vendors["vendor1"].train("job1"),
                            w.must(w.vendors["vendor1"].submit("job1"))))),
    Case("submit_result", "DEADLINE_PASSED",
         at(C, "vendor1", "submit_result", lambda w: _result_args(w), then=late)),
    Case("submit_result", "INVALID_TRANSCRIPT",
         at(C, "vendor1", "submit_result", lambda w: {**_result_args(w), "steps": 3}), "length"),
    Case("submit_result", "INVALID_TRANSCRIPT",
         at(C, "vendor1", "submit_result", lambda w: {**_result_args(w), "final_digest": "00" * 32}),
         "unproved-final"),
    Case("submit_result", "INVALID_TRANSCRIPT",
         at(C, "vendor1", "submit_result",
            lambda w: {**_result_args(w), "step_digests": _result_args(w)["step_digests"][:-1]}),
         "too-few-published-digests"),
    Case("submit_result", "INVALID_TRANSCRIPT",
         at(C, "vendor1", "submit_result",
            lambda w: {**_result_args(w), "step_digests": ["00" * 32] + _result_args(w)["step_digests"][1:]}),
         "published-digests-not-the-leaves"),
    # accept_result
    Case("accept_result", "UNKNOWN_ACTOR", at(D, "mallory", "accept_result", lambda w: {"job": "job1"})),
    Case("accept_result", "WRONG_ROLE", at(D, "vendor1", "accept_result", lambda w: {"job": "job1"})),
    Case("accept_result", "UNKNOWN_JOB", at(D, "dev1", "accept_result", lambda w: {"job": "job9"})),
    Case("accept_result", "WRONG_STATUS", at(C, "dev1", "accept_result", lambda w: {"job": "job1"})),
    Case("accept_result", "NOT_JOB_PARTY", at(D, "dev2", "accept_result", lambda w: {"job": "job1"})),
    Case("accept_result", "DEADLINE_PASSED",
         at(D, "dev1", "accept_result", lambda w: {"job": "job1"}, then=late)),
    # dispute_result
    Case("dispute_result", "UNKNOWN_ACTOR", at(D, "mallory", "dispute_result", lambda w: _claim_args(w))),
    Case("dispute_result", "WRONG_ROLE", at(D, "vendor1", "dispute_result", lambda w: _claim_args(w))),
    Case("dispute_result", "UNKNOWN_JOB",
         at(D, "dev1", "dispute_result", lambda w: {**_claim_args(w), "job": "job9"})),
    Case("dispute_result", "WRONG_STATUS", at(C, "dev1", "dispute_result", lambda w: _claim_args(w, honest=False))),
    Case("dispute_result", "NOT_JOB_PARTY", at(D, "dev2", "dispute_result", lambda w: _claim_args(w))),
    Case("dispute_result", "DEADLINE_PASSED",
         at(D, "dev1", "dispute_result", lambda w: _claim_args(w), then=late)),
    Case("dispute_result", "VENDOR_NOT_IN_JOB",
         at(D, "dev1", "dispute_result", lambda w: {**_claim_args(w), "vendor": "vendor3"})),
    Case("dispute_result", "ALREADY_CONVICTED",
         at("", "dev1", "dispute_result", lambda w: _claim_args(w, vendor="vendor2"),
            then=vendor2_convicted)),
    Case("dispute_result", "ALREADY_CONVICTED",
         at("", "dev1", "dispute_result", lambda w: {**_claim_args(w, vendor="vendor2"), "steps": 5},
            then=vendor2_convicted), "before-the-transcript-check"),
    Case("dispute_result", "INVALID_TRANSCRIPT",
         at(D, "dev1", "dispute_result", lambda w: {**_claim_args(w), "steps": 5})),
    Case("dispute_result", "NO_DISAGREEMENT",
         at(D, "dev1", "dispute_result", lambda w: _claim_args(w, honest=True))),
    # bisect_query
    Case("bisect_query", "UNKNOWN_ACTOR",
         at("", "mallory", "bisect_query", lambda w: open_at_midpoint(w, "claimant"), then=disputed)),
    Case("bisect_query", "WRONG_ROLE",
         at("", "vendor2", "bisect_query", lambda w: open_at_midpoint(w, "claimant"), then=disputed)),
    Case("bisect_query", "UNKNOWN_JOB",
         at("", "dev1", "bisect_query", lambda w: {**open_at_midpoint(w, "claimant"), "job": "job9"},
            then=disputed)),
    Case("bisect_query", "WRONG_STATUS",
         at(D, "dev1", "bisect_query", lambda w: {"job": "job1", "digest": "00" * 32, "proof": None})),
    Case("bisect_query", "NOT_JOB_PARTY",
         at("", "dev2", "bisect_query", lambda w: open_at_midpoint(w, "claimant"), then=disputed)),
    Case("bisect_query", "BISECTION_FINISHED",
         at("", "dev1", "bisect_query", lambda w: {"job": "job1", "digest": "00" * 32, "proof": None},
            then=resolving)),
    Case("bisect_query", "NOT_YOUR_TURN",
         at("", "dev1", "bisect_query", lambda w: {"job": "job1", "digest": "00" * 32, "proof": None},
            then=query_made)),
    Case("bisect_query", "DEADLINE_PASSED",
         at("", "dev1", "bisect_query", lambda w: open_at_midpoint(w, "claimant"),
            then=lambda w: (disputed(w), late(w)))),
    Case("bisect_query", "NOT_COMMITTED",
         at("", "dev1", "bisect_query",
            lambda w: {**open_at_midpoint(w, "claimant"), "digest": "00" * 32}, then=disputed)),
    # bisect_answer
    Case("bisect_answer", "UNKNOWN_ACTOR",
         at("", "mallory", "bisect_answer", lambda w: open_at_midpoint(w, "respondent"), then=query_made)),
    Case("bisect_answer", "WRONG_ROLE",
         at("", "dev1", "bisect_answer", lambda w: open_at_midpoint(w, "respondent"), then=query_made)),
    Case("bisect_answer", "UNKNOWN_JOB",
         at("", "vendor2", "bisect_answer", lambda w: {**open_at_midpoint(w, "respondent"), "job": "job9"},
            then=query_made)),
    Case("bisect_answer", "WRONG_STATUS",
         at(D, "vendor2", "bisect_answer", lambda w: {"job": "job1", "digest": "00" * 32, "proof": None})),
    Case("bisect_answer", "NOT_JOB_PARTY",
         at("", "vendor1", "bisect_answer", lambda w: open_at_midpoint(w, "respondent"), then=query_made)),
    Case("bisect_answer", "BISECTION_FINISHED",
         at("", "vendor2", "bisect_answer", lambda w: {"job": "job1", "digest": "00" * 32, "proof": None},
            then=resolving)),
    Case("bisect_answer", "NOT_YOUR_TURN",
         at("", "vendor2", "bisect_answer", lambda w: {"job": "job1", "digest": "00" * 32, "proof": None},
            then=disputed)),
    Case("bisect_answer", "DEADLINE_PASSED",
         at("", "vendor2", "bisect_answer", lambda w: open_at_midpoint(w, "respondent"),
            then=lambda w: (query_made(w), late(w)))),
    Case("bisect_answer", "NOT_COMMITTED",
         at("", "vendor2", "bisect_answer",
            lambda w: {**open_at_midpoint(w, "respondent"), "digest": "00" * 32}, then=query_made)),
    # resolve_step
    Case("resolve_step", "UNKNOWN_ACTOR", at("", "mallory", "resolve_step", resolve_args, then=resolving)),
    Case("resolve_step", "UNKNOWN_JOB",
         at("", "dev1", "resolve_step", lambda w: {**resolve_args(w), "job": "job9"}, then=resolving)),
    Case("resolve_step", "WRONG_STATUS", at(D, "dev1", "resolve_step", resolve_args)),
    Case("resolve_step", "BISECTION_UNFINISHED", at("", "dev1", "resolve_step", resolve_args, then=disputed)),
    Case("resolve_step", "BISECTION_UNFINISHED",
         at("", "dev1", "resolve_step", resolve_args, then=lambda w: (disputed(w), late(w))),
         "before-the-deadline-check"),
    Case("resolve_step", "DEADLINE_PASSED",
         at("", "dev1", "resolve_step", resolve_args, then=lambda w: (resolving(w), late(w)))),
    # report_misuse
    Case("report_misuse", "UNKNOWN_ACTOR", at(RUN, "mallory", "report_misuse", misuse_args)),
    Case("report_misuse", "WRONG_ROLE", at(RUN, "dev1", "report_misuse", misuse_args)),
    Case("report_misuse", "UNKNOWN_JOB",
         at(RUN, "owner1", "report_misuse", lambda w: {**misuse_args(w), "job": "job9"})),
    Case("report_misuse", "WRONG_STATUS", at(L, "owner1", "report_misuse", misuse_args)),
    Case("report_misuse", "NOT_JOB_PARTY", at(RUN, "owner3", "report_misuse", misuse_args)),
    Case("report_misuse", "VENDOR_NOT_IN_JOB",
         at(RUN, "owner1", "report_misuse", lambda w: misuse_args(w, vendor="vendor3"))),
    Case("report_misuse", "EVIDENCE_MISSING",
         at(RUN, "owner1", "report_misuse", lambda w: {**misuse_args(w), "artefact": None}), "none"),
    Case("report_misuse", "EVIDENCE_MISSING",
         at(RUN, "owner1", "report_misuse", lambda w: misuse_args(w, purpose="training")),
         "licensed-use"),
    Case("report_misuse", "EVIDENCE_MISSING",
         at(RUN, "owner1", "report_misuse",
            lambda w: {**misuse_args(w), "artefact": {**misuse_args(w)["artefact"],
                                                      "signature": misuse_args(w, "vendor2")["artefact"]["signature"]}}),
         "wrong-signer"),
    # timeout
    Case("timeout", "UNKNOWN_ACTOR", at(R, "mallory", "timeout", lambda w: {"job": "job1"}, then=late)),
    Case("timeout", "UNKNOWN_JOB", at(R, "dev1", "timeout", lambda w: {"job": "job9"}, then=late)),
    Case("timeout", "WRONG_STATUS",
         at(R, "dev1", "timeout", lambda w: {"job": "job1"},
            then=lambda w: (w.must(w.owners["owner1"].deny("job1", "data1")), late(w))), "terminal"),
    Case("timeout", "DEADLINE_NOT_PASSED", at(R, "dev1", "timeout", lambda w: {"job": "job1"})),
]


def _new_vendor(world: World) -> MemoryGateway:
    newcomer = world.gateway("vendor9", "VendorsOrg")
    world.must(newcomer.submit("register_identity", {"role": "vendor"}))
    return newcomer


def _result_args(world: World) -> dict:
    vendor = world.vendors["vendor1"]
    if vendor.state_of("job1").run is None:
        vendor.train("job1")
    transcript = vendor.run_of("job1").transcript
    steps = transcript.step_count
    return {"job": "job1", "transcript_root": transcript.root.hex(), "steps": steps,
            "final_digest": transcript.step_digests[-1].hex(),
            "final_proof": transcript.inclusion_proof(steps - 1).to_json_value(),
            "step_digests": [digest.hex() for digest in transcript.step_digests]}


def _claim_args(world: World, honest: bool = False, vendor: str = "vendor1") -> dict:
    """A claim against ``vendor``: its own transcript (``honest``) or with another final."""
    from reference.training.merkle import inclusion_proof, merkle_root
    respondent = world.vendors[vendor]
    if respondent.state_of("job1").run is None:
        respondent.train("job1")
    digests = list(respondent.run_of("job1").transcript.step_digests)
    if not honest:
        digests[-1] = bytes(32)
    steps = len(digests)
    return {"job": "job1", "vendor": vendor, "transcript_root": merkle_root(digests).hex(),
            "steps": steps, "final_digest": digests[-1].hex(),
            "final_proof": inclusion_proof(digests, steps - 1).to_json_value()}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_refused_with_the_protocol_code_and_nothing_changes(case: Case) -> None:
    world = World()
    gateway, args = case.arrange(world)
    function = args.pop("_function")
    before = world.snapshot()
    outcome = gateway.submit(function, args)
    assert not outcome.ok, f"{case.id} was accepted"
    assert protocol_code(MarketCode(outcome.code)) == case.code, outcome.message
    assert outcome.payload["protocol_code"] == case.code
    assert world.snapshot() == before


def test_every_code_of_every_ledger_action_has_a_case() -> None:
    """The cases cover the protocol's catalogue, read from the published spec."""
    from spec.actions import CATALOGUE
    wanted = {(action.name, code.value) for action in CATALOGUE.values() if action.kind == "ledger"
              for code in action.rejections}
    covered = {(case.action, case.code) for case in CASES}
    assert wanted - covered == set()
    assert covered - wanted == set()


def test_chaincode_codes_map_one_to_one_onto_the_protocol_codes() -> None:
    from spec.rejections import Rejection
    assert set(PROTOCOL_CODE_OF.values()) == {code.value for code in Rejection}
    assert len(set(PROTOCOL_CODE_OF.values())) == len(PROTOCOL_CODE_OF)


def test_the_documented_mapping_table_is_the_one_in_the_code() -> None:
    import re
    from pathlib import Path
    text = (Path(__file__).parents[2] / "docs" / "reference-chaincode.md").read_text()
    documented = dict(re.findall(r"^\| `(MKT_[A-Z_]+)` \| `([A-Z_]+)` \|", text, re.MULTILINE))
    assert documented == {code.value: protocol for code, protocol in PROTOCOL_CODE_OF.items()}
