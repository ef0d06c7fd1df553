"""The chaincode accepts every action of the protocol, and every way a job ends pays out
exactly what the rules say, conserving tokens.

World (``reference/clients/world.py``): prices 10 per dataset, misuse values 6, fees 4,
costs 2, dispute cost G = 2, audit probability q = 1/2; job1 has two datasets, two
vendors and T = 4 steps (R = 2 rounds), so the least stakes are Bv = 58
(``(P + F)/q - F_j + G(R + 1) = 56 - 4 + 6``), Ba = G·R = 4, Bd = G + P + F - C = 2 + 20 +
8 - 4 = 26 (decision 0012: the bond outweighs the vendors' margins), and the developer
deposits P + F + Ba = 20 + 8 + 4 = 32. A misuse conviction pays each owner
W / q = 12; a false dispute pays the respondent G per round it answered itself.
"""

from __future__ import annotations

import json

import pytest

from reference.chaincode.contract import CHAINCODE_NAME
from reference.chaincode.records import DisputeRecord
from reference.clients.evidence_checker import EvidenceChecker
from reference.clients.gateway import MemoryGateway, Outcome
from reference.clients.ledger_reader import LedgerTransaction
from reference.ledger import TxValidationCode
from reference.clients.world import World
from reference.ledger.identity import Certificate

PARTIES = ("owner1", "owner2", "dev1", "vendor1", "vendor2", "treasury")


def dispute_of(world: World) -> DisputeRecord:
    """job1's dispute, which the test expects open."""
    dispute = world.job().dispute
    assert dispute is not None
    return dispute


def present(move: Outcome | None) -> Outcome:
    """A dispute move the test expects the developer to make."""
    assert move is not None
    return move


def balances(world: World) -> dict[str, int]:
    return {name: world.balance(name) for name in PARTIES}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in PARTIES if after[name] != before[name]}


def assert_closed_and_conserved(world: World, job_id: str = "job1") -> None:
    accounts = world.accounts()
    assert accounts["conserved"] and accounts["no_negative"]
    assert accounts["escrows"][job_id] == 0
    job = world.job(job_id)
    assert job.payouts is not None
    paid = sum(amount for _, amount in job.payouts)
    assert paid == sum(job.deposits.values())
    assert_the_evidence_checker_agrees(world)


def assert_the_evidence_checker_agrees(world: World) -> None:
    """The independent evidence checker, run over every accepted call of the world as if
    read from a block store, recomputes every verdict, payout, final status and model
    delivery with its own code and agrees."""
    transactions = [
        LedgerTransaction(block=position, position=0, tx_id=call.tx_id,
                          code=TxValidationCode.VALID, timestamp=call.timestamp,
                          creator=Certificate(call.creator.org, call.creator.name,
                                              call.creator.role, call.creator.public_key),
                          chaincode=CHAINCODE_NAME, function=call.function,
                          args=call.args, writes=call.writes)
        for position, call in enumerate(world.ledger.committed)]
    report = EvidenceChecker().run(transactions)
    assert report.ok, report.to_json_value()


def test_least_stakes_of_job1() -> None:
    world = World()
    terms = world.developers["dev1"].job_terms("model1", ["data1", "data2"], ["vendor1", "vendor2"])
    assert terms == {"steps": 4, "vendor_stake": 58, "developer_bond": 4, "owner_bond": 26}


def run_to_end(world: World, ending: str) -> None:
    """Drive job1 to one of the ways a job ends."""
    dev, owner1, vendor1 = world.developers["dev1"], world.owners["owner1"], world.vendors["vendor1"]
    if ending == "settled":
        world.to_status("DELIVERED")
        world.must(dev.accept("job1"))
    elif ending == "cancelled":
        world.to_status("REQUESTED")
        world.must(owner1.grant("job1", "data1"))
        world.must(world.owners["owner2"].deny("job1", "data2"))
    elif ending == "expired-requested":
        world.to_status("REQUESTED")
        world.must(owner1.grant("job1", "data1"))
        world.clock.advance(101)
        world.must(world.vendors["vendor2"].gateway.submit("timeout", {"job": "job1"}))
    elif ending == "expired-licensed":
        world.to_status("LICENSED")
        world.must(vendor1.accept("job1"))
        world.clock.advance(101)
        world.must(dev.gateway.submit("timeout", {"job": "job1"}))
    elif ending == "defective-inputs":
        owner1.defective_datasets.add("data1")
        world.to_status("RUNNING")
        world.deliver()
        check = vendor1.state_of("job1").check
        assert check is not None and check.problem_dataset == "data1"
        world.must(vendor1.report_inputs("job1"))
    elif ending == "false-complaint":
        vendor1.plan_false_complaint("job1", "data1")
        world.to_status("RUNNING")
        world.deliver()
        check = vendor1.state_of("job1").check
        assert check is not None and check.problem_dataset is None
        world.must(vendor1.report_inputs("job1"))
    elif ending == "wrong-computation":
        convict_lazy_vendor2(world)  # the conviction ends the job (decision 0031)
    elif ending == "false-dispute":
        world.must(world.dispute("vendor2", lazy_from_step=None))
        world.bisect_to_resolve()
        world.must(dev.resolve("job1", world.vendors))
    elif ending == "false-dispute-half-answered":
        # the developer presses a false claim; vendor2 answers the first round, falls silent
        # in the second (timeout opens its digest for it), then wins at resolve_step
        world.must(world.dispute("vendor2", lazy_from_step=None))
        world.must(dev.query("job1"))
        world.must(world.vendors["vendor2"].answer("job1"))
        world.must(dev.query("job1"))
        world.clock.advance(101)
        world.must(dev.gateway.submit("timeout", {"job": "job1"}))
        assert (dispute_of(world).turn, dispute_of(world).answers) == ("resolve", 1)
        world.must(world.vendors["vendor2"].resolve("job1"))
    elif ending == "false-claim-concedes":
        world.must(world.dispute("vendor2", lazy_from_step=None))
        assert dev.dispute_move("job1", world.vendors) is None  # the claim is false: silence
        world.clock.advance(101)
        world.must(world.vendors["vendor2"].gateway.submit("timeout", {"job": "job1"}))
    elif ending == "misuse":
        world.to_status("RUNNING")
        artefact = vendor1.sign_misuse("job1", "data2", "resale")
        world.must(world.owners["owner2"].report_misuse("job1", "vendor1", artefact))
    elif ending == "silent-vendors":
        world.to_status("RUNNING")
        world.clock.advance(101)
        world.must(world.owners["owner1"].gateway.submit("timeout", {"job": "job1"}))
    elif ending == "unconfirmed-vendor":
        # vendor1 confirmed and waits (it cannot submit before vendor2 confirms); only
        # vendor2, which never confirmed, missed the deadline (decision 0011)
        world.to_status("RUNNING")
        world.deliver()
        world.must(vendor1.report_inputs("job1"))
        world.clock.advance(101)
        world.must(world.owners["owner1"].gateway.submit("timeout", {"job": "job1"}))
    elif ending == "confirmed-none-submitted":
        world.to_status("CONFIRMED")
        world.clock.advance(101)
        world.must(world.owners["owner1"].gateway.submit("timeout", {"job": "job1"}))
    elif ending in ("one-silent-vendor", "one-silent-vendor-then-silence"):
        # training started, vendor1 submitted, vendor2 fell silent: vendor2 is convicted
        # and vendor1's result stays open to the developer (DELIVERED), who accepts it or
        # lets the fresh deadline pass
        deliver_with_vendor2_silent(world)
        if ending == "one-silent-vendor":
            world.must(dev.accept("job1"))
        else:
            world.clock.advance(101)
            world.must(vendor1.gateway.submit("timeout", {"job": "job1"}))
    elif ending == "one-silent-vendor-lazy-other":
        # vendor1 skipped the work from step 2 and vendor2 fell silent: the audit of the
        # one submitted result still convicts vendor1
        vendor1.plan_lazy("job1", 2)
        deliver_with_vendor2_silent(world)
        dev.spot_checks = 4  # one result to audit: check every step
        assert dev.audit("job1", world.vendors).respondents == ["vendor1"]
        world.must(dev.dispute("job1"))
        world.bisect_to_resolve()
        world.must(dev.resolve("job1", world.vendors))
    elif ending == "silent-developer-delivered":
        world.to_status("DELIVERED")
        world.clock.advance(101)
        world.must(vendor1.gateway.submit("timeout", {"job": "job1"}))
    elif ending == "silent-claimant":
        world.must(world.dispute("vendor2", lazy_from_step=2))
        world.clock.advance(101)
        world.must(world.vendors["vendor2"].gateway.submit("timeout", {"job": "job1"}))
    elif ending == "silent-respondent":
        # vendor2 (lazy) never answers: each timeout opens its committed digest for it,
        # the bisection still narrows to the step it skipped, and resolve_step convicts it
        world.must(world.dispute("vendor2", lazy_from_step=2))
        while dispute_of(world).turn != "resolve":
            world.must(present(dev.dispute_move("job1", world.vendors)))
            world.clock.advance(101)
            world.must(dev.gateway.submit("timeout", {"job": "job1"}))
        assert (dispute_of(world).rounds, dispute_of(world).answers) == (2, 0)
        world.must(present(dev.dispute_move("job1", world.vendors)))
    elif ending == "unresolved-step":
        # the claim is true, but the developer leaves the narrowed step unresolved: the
        # claimant bears the burden of proof and is convicted; the lazy vendor is paid
        world.must(world.dispute("vendor2", lazy_from_step=2))
        world.bisect_to_resolve()
        world.clock.advance(101)
        world.must(world.owners["owner1"].gateway.submit("timeout", {"job": "job1"}))
    else:
        raise ValueError(ending)


def deliver_with_vendor2_silent(world: World) -> None:
    """Both vendors confirm, vendor1 submits, vendor2 never does: the running deadline's
    timeout convicts vendor2 and job1 goes to DELIVERED with a fresh deadline."""
    world.to_status("CONFIRMED")
    vendor1 = world.vendors["vendor1"]
    vendor1.train("job1")
    world.must(vendor1.submit("job1"))
    world.clock.advance(101)
    outcome = world.must(world.owners["owner1"].gateway.submit("timeout", {"job": "job1"}))
    job = world.job()
    assert (job.status, job.deadline, job.payouts) == ("DELIVERED", outcome.time + 100, None)
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("vendor2", "MISSED_DEADLINE")]
    assert outcome.payload["new_verdicts"][0]["convicted"] == "vendor2"


def convict_lazy_vendor2(world: World) -> None:
    """vendor2 skipped the work from step 2; the developer disputes it and resolve_step
    convicts it, which ends job1 (one re-execution per job, decision 0031)."""
    world.must(world.dispute("vendor2", lazy_from_step=2))
    world.bisect_to_resolve()
    world.must(world.developers["dev1"].resolve("job1", world.vendors))
    assert world.job().status == "RESOLVED"


# Amounts: prices 10, fees 4, Bv = 58, Ba = 4, Bd = G + P + F - C = 26, G = 2, W / q = 12 per dataset; the
# developer deposits 32. A false dispute pays the respondent G per round it answered.
VENDOR2_FORFEIT = 4 + 58
# ending: (final status, verdicts, model delivered, net change of every party that changed)
ENDINGS = {
    "settled": ("SETTLED", [], True,
                {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": 4, "dev1": -28}),
    "cancelled": ("CANCELLED", [], False, {}),
    "expired-requested": ("EXPIRED", [], False, {}),
    "expired-licensed": ("EXPIRED", [], False, {}),
    # owner1's bond (26) pays owner2 its price (its data was released), the complainant
    # G = 2, and the rest (26 - 2 - 10 = 14) to the treasury
    "defective-inputs": ("RESOLVED", [("owner1", "DEFECTIVE_INPUTS")], False,
                         {"owner1": -26, "owner2": 10, "vendor1": 2, "treasury": 14}),
    "false-complaint": ("RESOLVED", [("vendor1", "FALSE_COMPLAINT")], False,
                        {"owner1": 10, "owner2": 10, "vendor1": -58, "treasury": 38}),
    "wrong-computation": ("RESOLVED", [("vendor2", "WRONG_COMPUTATION")], False,
                          {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": -58,
                           "dev1": -32 + 4 + VENDOR2_FORFEIT}),
    # two rounds, both answered: the whole bond G * 2 = 4 to vendor2, nothing to the treasury
    "false-dispute": ("RESOLVED", [("dev1", "FALSE_DISPUTE")], True,
                      {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": 4 + 4, "dev1": -32}),
    # two rounds, one answered: G to vendor2, the rest of the bond to the treasury
    "false-dispute-half-answered": ("RESOLVED", [("dev1", "FALSE_DISPUTE")], True,
                                    {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": 4 + 2,
                                     "dev1": -32, "treasury": 2}),
    # the developer concedes a false claim by silence: no round answered, the bond to the treasury
    "false-claim-concedes": ("RESOLVED", [("dev1", "MISSED_DEADLINE")], True,
                             {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": 4, "dev1": -32,
                              "treasury": 4}),
    "misuse": ("RESOLVED", [("vendor1", "DATA_MISUSE")], False,
               {"owner1": 10 + 12, "owner2": 10 + 12, "vendor2": 4, "vendor1": -58,
                "dev1": -32 + 4 + (4 + 58 - 24)}),
    "silent-vendors": ("RESOLVED", [("vendor1", "MISSED_DEADLINE"), ("vendor2", "MISSED_DEADLINE")],
                       False,
                       {"owner1": 10, "owner2": 10, "vendor1": -58, "vendor2": -58, "dev1": 96}),
    # vendor1 confirmed and is paid fee and stake; vendor2 forfeits both to the developer
    "unconfirmed-vendor": ("RESOLVED", [("vendor2", "MISSED_DEADLINE")], False,
                           {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": -58, "dev1": 34}),
    "confirmed-none-submitted": ("RESOLVED", [("vendor1", "MISSED_DEADLINE"),
                                              ("vendor2", "MISSED_DEADLINE")], False,
                                 {"owner1": 10, "owner2": 10, "vendor1": -58, "vendor2": -58,
                                  "dev1": 96}),
    "one-silent-vendor": ("RESOLVED", [("vendor2", "MISSED_DEADLINE")], False,
                          {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": -58, "dev1": 34}),
    "one-silent-vendor-then-silence": ("RESOLVED", [("vendor2", "MISSED_DEADLINE")], False,
                                       {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": -58,
                                        "dev1": 34}),
    "one-silent-vendor-lazy-other": ("RESOLVED", [("vendor2", "MISSED_DEADLINE"),
                                                  ("vendor1", "WRONG_COMPUTATION")], False,
                                     {"owner1": 10, "owner2": 10, "vendor1": -58, "vendor2": -58,
                                      "dev1": 96}),
    "silent-developer-delivered": ("SETTLED", [], True,
                                   {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": 4,
                                    "dev1": -28}),
    "silent-claimant": ("RESOLVED", [("dev1", "MISSED_DEADLINE")], True,
                        {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": 4, "dev1": -32,
                         "treasury": 4}),
    "silent-respondent": ("RESOLVED", [("vendor2", "WRONG_COMPUTATION")], False,
                          {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": -58,
                           "dev1": -32 + 4 + VENDOR2_FORFEIT}),
    # both rounds answered: vendor2 (lazy, but never shown wrong) gets fee, stake and G * 2
    "unresolved-step": ("RESOLVED", [("dev1", "MISSED_DEADLINE")], True,
                        {"owner1": 10, "owner2": 10, "vendor1": 4, "vendor2": 4 + 4, "dev1": -32}),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_every_ending_pays_by_the_rules_and_conserves_tokens(ending: str) -> None:
    world = World()
    before = balances(world)
    run_to_end(world, ending)
    status, verdicts, model_delivered, changes = ENDINGS[ending]
    job = world.job()
    assert job.status == status
    assert [(verdict.convicted, verdict.offence) for verdict in job.verdicts] == verdicts
    assert job.model_delivered is model_delivered
    assert delta(before, balances(world)) == changes
    assert sum(changes.values()) == 0
    assert_closed_and_conserved(world)
    capacity = {name: world.ledger.value(f"offer/{name}")["active_jobs"] for name in ("vendor1", "vendor2")}
    assert capacity == {"vendor1": 0, "vendor2": 0}


def test_training_starts_only_once_every_vendor_confirmed_its_inputs() -> None:
    """``submit_result`` is refused (INPUTS_NOT_CONFIRMED) while any vendor of the job has
    not confirmed its inputs, even for a vendor that confirmed; once the last vendor
    confirms, the result is accepted. A late false complaint therefore ends the job before
    an honest vendor can have spent its work: it gets its stake back."""
    world = World()
    vendor1, vendor2 = world.vendors["vendor1"], world.vendors["vendor2"]
    world.to_status("RUNNING")
    world.deliver()
    world.must(vendor1.report_inputs("job1"))
    assert world.job().confirmed == ["vendor1"]
    vendor1.train("job1")
    refused = vendor1.submit("job1")
    assert refused.code == "MKT_INPUTS_NOT_CONFIRMED"
    assert refused.payload["protocol_code"] == "INPUTS_NOT_CONFIRMED"
    assert "vendor2" in refused.message
    assert world.job().results == {}
    world.must(vendor2.report_inputs("job1"))
    world.must(vendor1.submit("job1"))
    assert set(world.job().results) == {"vendor1"}


def test_a_late_false_complaint_leaves_the_confirmed_vendor_whole() -> None:
    world = World()
    vendor1, vendor2 = world.vendors["vendor1"], world.vendors["vendor2"]
    before = balances(world)
    vendor2.plan_false_complaint("job1", "data1")
    world.to_status("RUNNING")
    world.deliver()
    world.must(vendor1.report_inputs("job1"))
    vendor1.train("job1")
    assert vendor1.submit("job1").code == "MKT_INPUTS_NOT_CONFIRMED"
    world.must(vendor2.report_inputs("job1"))  # the false complaint ends the job
    assert [(v.convicted, v.offence) for v in world.job().verdicts] == [("vendor2", "FALSE_COMPLAINT")]
    assert delta(before, balances(world)) == {"owner1": 10, "owner2": 10, "vendor2": -58,
                                              "treasury": 38}
    assert_closed_and_conserved(world)


def test_every_ledger_action_is_accepted_somewhere() -> None:
    accepted = set()
    for ending in ("settled", "cancelled", "false-complaint", "false-dispute", "misuse",
                   "silent-vendors"):
        world = World()
        run_to_end(world, ending)
        accepted |= {json.loads(payload)["action"] for _, payload in world.ledger.events}
    assert accepted == {
        "init_market", "register_identity", "fund", "register_dataset", "register_model",
        "register_vendor", "request_training", "grant_access", "deny_access", "accept_job",
        "confirm_inputs", "complain_inputs", "submit_result", "accept_result", "dispute_result",
        "bisect_query", "bisect_answer", "resolve_step", "report_misuse", "timeout"}


def test_the_resolved_step_verdict_carries_its_evidence() -> None:
    world = World()
    run_to_end(world, "wrong-computation")
    verdict = world.job().verdicts[0]
    evidence = verdict.evidence
    assert evidence["step"] == 3  # the lazy vendor skipped step index 2: state after 3 steps
    assert evidence["expected"] == evidence["claimant_digest"] != evidence["respondent_digest"]
    honest = world.vendors["vendor1"].run_of("job1").transcript
    assert evidence["pre_state"] == honest.step_digests[1].hex()
    assert evidence["expected"] == honest.step_digests[2].hex()


def test_a_move_on_the_deadline_is_on_time_and_one_second_later_is_late() -> None:
    world = World()
    world.to_status("REQUESTED")
    deadline = world.job().deadline
    world.clock.current = deadline
    world.must(world.owners["owner1"].grant("job1", "data1"))
    early = world.developers["dev1"].gateway.submit("timeout", {"job": "job1"})
    assert early.code == "MKT_DEADLINE_NOT_PASSED"
    world.clock.current = deadline + 1
    late = world.owners["owner2"].grant("job1", "data2")
    assert late.code == "MKT_DEADLINE_PASSED"


def test_phase_deadlines_restart_from_the_signed_timestamp() -> None:
    world = World()
    world.to_status("REQUESTED")
    world.clock.advance(40)
    world.grant_all()
    job = world.job()
    assert job.status == "LICENSED" and job.deadline == world.clock.now() + 100


def test_a_signer_with_a_registered_name_but_another_key_is_unknown() -> None:
    world = World()
    impostor = world.gateway("owner1", "OwnersOrg")  # same name and organisation, new key
    outcome = impostor.submit("register_dataset", {
        "dataset": "fake", "commitment": "ab" * 32, "train_rows_root": "cd" * 32,
        "train_rows": 4, "feature_count": 30, "price": 1, "misuse_value": 1,
        "purposes": ["training"], "expiry": world.clock.now() + 10, "max_uses": 1})
    assert outcome.code == "MKT_UNKNOWN_ACTOR"
    other_org = world.gateway("owner1", "VendorsOrg")
    owner_gateway = world.owners["owner1"].gateway
    # the in-memory gateways whose key and certificate the test swaps
    assert isinstance(other_org, MemoryGateway) and isinstance(owner_gateway, MemoryGateway)
    other_org.signing_key = owner_gateway.signing_key
    other_org.public_key = owner_gateway.public_key
    from reference.ledger.chaincode_api import Creator
    other_org.creator = Creator("VendorsOrg", "owner1", "client", other_org.public_key)
    assert other_org.submit("deny_access", {"job": "j", "dataset": "d"}).code == \
        "MKT_UNKNOWN_ACTOR"


def test_the_data_key_reaches_only_the_jobs_staked_vendors() -> None:
    world = World()
    world.to_status("LICENSED")
    owner1 = world.owners["owner1"]
    with pytest.raises(PermissionError):
        owner1.deliver("job1", "data1", "vendor1")  # not every vendor has staked yet
    world.accept_all()
    with pytest.raises(PermissionError):
        owner1.deliver("job1", "data1", "vendor3")  # not a vendor of the job
    delivery = owner1.deliver("job1", "data1", "vendor1")
    from reference.clients.crypto import KeyUnwrapError, WrappedKey, unwrap_data_key
    with pytest.raises(KeyUnwrapError):  # another vendor's key cannot open it
        unwrap_data_key(WrappedKey.from_bytes(delivery.wrapped_key),
                        world.vendors["vendor3"].exchange_key, job_id="job1",
                        dataset_id="data1", recipient_id="vendor1")


def test_two_lazy_vendors_one_re_execution_ends_the_job() -> None:
    """job1 with three vendors: vendor1 honest, vendor2 lazy from step 1, vendor3 from
    step 2. The audit finds both lazy vendors; the developer disputes the first, and its
    conviction ends the job (one re-execution per job, decision 0031): vendor2 forfeits fee
    and stake to the developer, vendor3 is not examined and is paid, no model is delivered,
    and a second dispute is refused."""
    world = World()
    world.vendors["vendor2"].plan_lazy("job1", 1)
    world.vendors["vendor3"].plan_lazy("job1", 2)
    before = {name: world.balance(name) for name in ("dev1", "vendor1", "vendor2", "vendor3")}
    world.must(world.request(vendors=("vendor1", "vendor2", "vendor3")))
    for phase in (world.grant_all, world.accept_all, world.confirm_all, world.submit_all):
        phase()
    job = world.job()
    # Bv = (P + F) / q - F_j + G (R + 1) = (20 + 12) * 2 - 4 + 6; Ba = G R; deposit P + F + Ba
    assert (job.vendor_stake, job.developer_bond, job.deposits["dev1"]) == (66, 4, 36)
    dev = world.developers["dev1"]
    report = dev.audit("job1", world.vendors)
    assert report.respondents == ["vendor2", "vendor3"]
    world.clock.advance(10)
    world.must(dev.dispute("job1"))
    assert dispute_of(world).respondent == "vendor2"
    world.bisect_to_resolve()
    world.must(dev.resolve("job1", world.vendors))
    job = world.job()
    assert job.status == "RESOLVED" and not job.model_delivered
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("vendor2", "WRONG_COMPUTATION")]
    assert dev.gateway.submit("dispute_result", {
        **_claim_against(world, "vendor3"), "job": "job1"}).code == "MKT_WRONG_STATUS"
    forfeit = 4 + 66
    changes = {name: world.balance(name) - amount for name, amount in before.items()}
    assert changes == {"dev1": -36 + 4 + forfeit, "vendor1": 4, "vendor2": -66, "vendor3": 4}
    assert_closed_and_conserved(world)


def _claim_against(world: World, vendor: str) -> dict:
    """dispute_result arguments with the developer's last claim against ``vendor``."""
    from reference.training.merkle import inclusion_proof, merkle_root
    audit = world.developers["dev1"].jobs["job1"].audit
    assert audit is not None
    finding = audit.finding_for(vendor)
    assert finding is not None
    claim = [bytes.fromhex(digest) for digest in finding.claimant_digests]
    return {"vendor": vendor, "transcript_root": merkle_root(claim).hex(), "steps": len(claim),
            "final_digest": claim[-1].hex(),
            "final_proof": inclusion_proof(claim, len(claim) - 1).to_json_value()}


def test_a_narrowed_step_left_unresolved_convicts_the_claimant_at_its_deadline() -> None:
    world = World()
    world.must(world.dispute("vendor2", lazy_from_step=2))
    world.bisect_to_resolve()
    job = world.job()
    assert job.dispute is not None
    assert job.dispute.turn == "resolve" and (job.dispute.rounds, job.dispute.answers) == (2, 2)
    world.clock.current = job.deadline
    early = world.owners["owner1"].gateway.submit("timeout", {"job": "job1"})
    assert early.code == "MKT_DEADLINE_NOT_PASSED"
    world.clock.advance(1)
    late = world.developers["dev1"].resolve("job1", world.vendors)
    assert late.code == "MKT_DEADLINE_PASSED"
    outcome = world.must(world.owners["owner1"].gateway.submit("timeout", {"job": "job1"}))
    job = world.job()
    (verdict,) = job.verdicts
    assert (verdict.convicted, verdict.offence) == ("dev1", "MISSED_DEADLINE")
    assert verdict.evidence == {"status": "DISPUTED", "deadline": outcome.time - 1,
                                "now": outcome.time, "respondent": "vendor2", "turn": "resolve"}
    assert job.status == "RESOLVED" and job.model_delivered
    # the bond pays vendor2 G for each of the two rounds it answered, nothing is left over
    assert job.payouts is not None
    assert ["vendor2", 4] in job.payouts and ["treasury", 0] in job.payouts
    assert_closed_and_conserved(world)


def test_a_silent_respondents_committed_digest_is_opened_for_it_by_timeout() -> None:
    """vendor2 (lazy from step 2) does not answer the query at position 2: after the
    deadline anyone's timeout opens its committed digest there, which agrees with the claim,
    so the bisection moves on to steps 2..4 with the developer to query; nobody is
    convicted and nothing is paid."""
    world = World()
    world.must(world.dispute("vendor2", lazy_from_step=2))
    dev = world.developers["dev1"]
    world.must(dev.query("job1"))
    job = world.job()
    assert job.dispute is not None
    assert (job.dispute.turn, job.dispute.midpoint) == ("respondent", 2)
    world.clock.current = job.deadline
    assert dev.gateway.submit("timeout", {"job": "job1"}).code == "MKT_DEADLINE_NOT_PASSED"
    world.clock.advance(1)
    outcome = world.must(world.owners["owner2"].gateway.submit("timeout", {"job": "job1"}))
    assert outcome.payload["answered_by_respondent"] is False
    job = world.job()
    dispute = job.dispute
    assert dispute is not None
    committed = world.vendors["vendor2"].step_digests("job1")[1]  # the state after 2 steps
    assert (dispute.low, dispute.high, dispute.low_digest) == (2, 4, committed)
    assert (dispute.turn, dispute.rounds, dispute.answers) == ("claimant", 1, 0)
    assert job.status == "DISPUTED" and job.verdicts == [] and job.payouts is None
    assert job.deadline == outcome.time + 100
    # the respondent may answer again in the next round, which counts as an answer
    world.must(dev.query("job1"))
    world.must(world.vendors["vendor2"].answer("job1"))
    dispute = dispute_of(world)
    assert (dispute.low, dispute.high, dispute.turn, dispute.rounds, dispute.answers) == (
        2, 3, "resolve", 2, 1)
    world.must(dev.resolve("job1", world.vendors))
    assert [(v.convicted, v.offence) for v in world.job().verdicts] == [
        ("vendor2", "WRONG_COMPUTATION")]
    assert_the_evidence_checker_agrees(world)


def test_confirming_inputs_the_ledger_shows_defective_is_refused() -> None:
    """owner1 delivers (and signs for) an envelope other than its commitment: no vendor can
    confirm its inputs; the complaint convicts owner1."""
    world = World()
    world.owners["owner1"].defective_datasets.add("data1")
    world.to_status("RUNNING")
    before = world.snapshot()
    vendor2 = world.vendors["vendor2"]
    refused = vendor2.gateway.submit("confirm_inputs", {"job": "job1"})
    assert refused.code == "MKT_INPUTS_DEFECTIVE"
    assert refused.payload["protocol_code"] == "INPUTS_DEFECTIVE"
    assert world.snapshot() == before
    world.deliver()
    world.must(vendor2.report_inputs("job1"))  # vendor2's own check finds data1 defective
    assert [(v.convicted, v.offence) for v in world.job().verdicts] == [
        ("owner1", "DEFECTIVE_INPUTS")]


def test_a_misuse_value_whose_compensation_is_not_whole_is_refused() -> None:
    """With q = 2/3 a misuse conviction pays W / q = 3W/2: the reference registers only even
    misuse values (a documented restriction), and pays exactly 3W/2 to each owner."""
    from reference.chaincode.rules import load_params_document, misuse_compensation
    from fractions import Fraction
    assert misuse_compensation(6, Fraction(1, 2)) == 12
    assert misuse_compensation(7, Fraction(2, 3)) is None
    assert misuse_compensation(8, Fraction(2, 3)) == 12
    document = load_params_document()
    document["market"]["audit_probability"] = "2/3"
    world = World(rules_document=document)
    owner = world.owners["owner1"]
    part = owner.datasets["data1"].plaintext
    before = world.snapshot()
    odd = owner.register_dataset("data-odd", part, price=1, misuse_value=7, purposes=["training"],
                                 expiry=world.clock.now() + 1000, max_uses=1)
    assert odd.code == "MKT_MISUSE_VALUE_INDIVISIBLE" and odd.payload["protocol_code"] is None
    assert world.snapshot() == before
    world.to_status("RUNNING")
    assert world.job().misuse_compensations == {"data1": 9, "data2": 9}  # W = 6, q = 2/3
    owners_before = {name: world.balance(name) for name in ("owner1", "owner2")}
    artefact = world.vendors["vendor1"].sign_misuse("job1", "data1", "resale")
    world.must(world.owners["owner1"].report_misuse("job1", "vendor1", artefact))
    gained = {name: world.balance(name) - amount for name, amount in owners_before.items()}
    assert gained == {"owner1": 10 + world.job().owner_bond + 9,
                      "owner2": 10 + world.job().owner_bond + 9}
    assert_closed_and_conserved(world)
