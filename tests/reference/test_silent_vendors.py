"""The timeout of a running job (spec decision 0011): it convicts only the vendors that
missed the step the deadline was for, and once training started and some vendor
submitted, the job goes to DELIVERED so the developer can audit, dispute or accept the
submitted results. The evidence checker recomputes both and catches a ledger that does
otherwise.

World amounts (see ``test_chaincode.py``): prices 10, fees 4, Bv = 58, Ba = 4, window 100.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from reference.chaincode.contract import CHAINCODE_NAME
from reference.clients.data_owner import DataOwner
from reference.clients.developer import AuditFailed, AuditReport, Developer, Finding, narrowed_step
from reference.clients.evidence_checker import EvidenceChecker
from reference.clients.ledger_reader import LedgerTransaction
from reference.clients.vendor import Vendor
from reference.clients.world import World
from reference.ledger import TxValidationCode
from reference.ledger.identity import Certificate
from reference.training.merkle import inclusion_proof, merkle_root


def transactions_of(world: World) -> list[LedgerTransaction]:
    return [LedgerTransaction(block=position, position=0, tx_id=call.tx_id,
                              code=TxValidationCode.VALID, timestamp=call.timestamp,
                              creator=Certificate(call.creator.org, call.creator.name,
                                                  call.creator.role, call.creator.public_key),
                              chaincode=CHAINCODE_NAME,
                              function=call.function, args=call.args, writes=call.writes)
            for position, call in enumerate(world.ledger.committed)]


def job_written(transaction: LedgerTransaction) -> Any:
    """job1's document as ``transaction`` wrote it (the test expects it written)."""
    written = transaction.writes["job/job1"]
    assert written is not None
    return json.loads(written)


def rewrite_job(transactions: list[LedgerTransaction], function: str, change) -> list:
    """The transactions with job1's document as written by the last ``function`` call
    changed by ``change``."""
    index = max(position for position, tx in enumerate(transactions) if tx.function == function)
    job = job_written(transactions[index])
    change(job)
    writes = {**transactions[index].writes, "job/job1": json.dumps(job).encode()}
    return [*transactions[:index], replace(transactions[index], writes=writes),
            *transactions[index + 1:]]


def credits(payouts: list[list[Any]] | None) -> dict[str, int]:
    """Payouts summed per account."""
    assert payouts is not None
    totals: dict[str, int] = {}
    for account, amount in payouts:
        totals[account] = totals.get(account, 0) + amount
    return totals


def timeout(world: World, who: str = "owner1"):
    world.clock.advance(101)
    parties: dict[str, DataOwner | Developer | Vendor] = {
        **world.owners, **world.developers, **world.vendors}
    party = parties[who]
    return world.must(party.gateway.submit("timeout", {"job": "job1"}))


def test_a_vendor_that_confirmed_is_not_convicted_while_another_has_not() -> None:
    world = World()
    vendor1 = world.vendors["vendor1"]
    world.to_status("RUNNING")
    world.deliver()
    world.must(vendor1.report_inputs("job1"))
    vendor1.train("job1")
    assert vendor1.submit("job1").code == "MKT_INPUTS_NOT_CONFIRMED"  # it had to wait
    outcome = timeout(world)
    job = world.job()
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("vendor2", "MISSED_DEADLINE")]
    assert [v["convicted"] for v in outcome.payload["new_verdicts"]] == ["vendor2"]
    assert job.status == "RESOLVED" and not job.model_delivered
    assert credits(job.payouts) == {"owner1": 10 + 26, "owner2": 10 + 26, "vendor1": 4 + 58,
                                    "dev1": 4 + 4 + 58}
    transactions = transactions_of(world)
    assert EvidenceChecker().run(transactions).ok

    def convict_both(job: dict) -> None:  # the rule before decision 0011
        job["verdicts"].insert(0, {"convicted": "vendor1", "offence": "MISSED_DEADLINE",
                                   "evidence": {}})
    report = EvidenceChecker().run(rewrite_job(transactions, "timeout", convict_both))
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.function == "timeout"
    assert disagreement.recorded == [("vendor1", "MISSED_DEADLINE"), ("vendor2", "MISSED_DEADLINE")]
    assert disagreement.recomputed == [("vendor2", "MISSED_DEADLINE")]


def deliver_with_vendor2_silent(world: World):
    world.to_status("CONFIRMED")
    vendor1 = world.vendors["vendor1"]
    vendor1.train("job1")
    world.must(vendor1.submit("job1"))
    return timeout(world)


def test_after_training_started_a_silent_vendor_is_convicted_and_the_job_is_delivered() -> None:
    world = World()
    before = world.balance("dev1")
    outcome = deliver_with_vendor2_silent(world)
    job = world.job()
    assert job.status == "DELIVERED" and job.deadline == outcome.time + 100
    assert job.payouts is None and world.balance("dev1") == before - 32  # nothing paid yet
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("vendor2", "MISSED_DEADLINE")]
    evidence = job.verdicts[0].evidence
    assert evidence["status"] == "RUNNING" and evidence["now"] == outcome.time
    assert evidence["deadline"] < outcome.time
    assert world.accounts()["escrows"]["job1"] == sum(job.deposits.values())
    # the silent vendor can no longer submit, nor be disputed
    vendor2 = world.vendors["vendor2"]
    vendor2.train("job1")
    assert vendor2.submit("job1").code == "MKT_WRONG_STATUS"
    dev = world.developers["dev1"]
    claim = world.vendors["vendor1"].step_digests("job1")
    leaves = [bytes.fromhex(digest[::-1]) for digest in claim]
    refused = dev.gateway.submit("dispute_result", {
        "job": "job1", "vendor": "vendor2", "transcript_root": merkle_root(leaves).hex(),
        "steps": 4, "final_digest": leaves[-1].hex(),
        "final_proof": inclusion_proof(leaves, 3).to_json_value()})
    assert refused.code == "MKT_ALREADY_CONVICTED"
    # the developer audits the one submitted result and accepts it
    assert dev.audit("job1", world.vendors).findings == []
    world.must(dev.accept("job1"))
    job = world.job()
    assert job.status == "RESOLVED" and not job.model_delivered
    with pytest.raises(AuditFailed):
        dev.receive_model("job1", world.vendors)
    assert EvidenceChecker().run(transactions_of(world)).ok


def test_a_dispute_after_the_silent_vendor_timeout_convicts_a_lazy_submitter() -> None:
    """Skipping the computation does not pay because a partner fell silent: the submitted
    result is audited and disputed as after any delivery."""
    world = World()
    world.vendors["vendor1"].plan_lazy("job1", 1)
    deliver_with_vendor2_silent(world)
    dev = world.developers["dev1"]
    dev.spot_checks = 4
    assert dev.audit("job1", world.vendors).respondents == ["vendor1"]
    world.must(dev.dispute("job1"))
    assert world.job().status == "DISPUTED"
    world.bisect_to_resolve()
    world.must(dev.resolve("job1", world.vendors))
    job = world.job()
    assert job.status == "RESOLVED"  # the conviction ends the job (decision 0031)
    assert [(v.convicted, v.offence) for v in job.verdicts] == [
        ("vendor2", "MISSED_DEADLINE"), ("vendor1", "WRONG_COMPUTATION")]
    assert dev.next_finding("job1") is None
    assert credits(job.payouts) == {"owner1": 10 + 26, "owner2": 10 + 26,
                                    "dev1": 4 + 2 * (4 + 58)}
    assert EvidenceChecker().run(transactions_of(world)).ok


def test_an_honest_submitter_wins_a_false_dispute_after_the_timeout() -> None:
    """A false dispute against the vendor that submitted: it is paid, the silent one still
    forfeits to the developer, whose bond pays the respondent's answers."""
    world = World()
    deliver_with_vendor2_silent(world)
    dev = world.developers["dev1"]
    honest = world.vendors["vendor1"].step_digests("job1")
    false_claim = honest[:1] + [digest[::-1] for digest in honest[1:]]
    dev.jobs["job1"].audit = AuditReport([Finding("vendor1", false_claim, "vendor1",
                                                  narrowed_step(false_claim, honest))])
    world.must(dev.dispute("job1", "vendor1"))
    world.bisect_to_resolve()
    world.must(world.vendors["vendor1"].resolve("job1"))
    job = world.job()
    assert job.status == "RESOLVED"
    assert [(v.convicted, v.offence) for v in job.verdicts] == [
        ("vendor2", "MISSED_DEADLINE"), ("dev1", "FALSE_DISPUTE")]
    # the bond (G * R = 4) pays vendor1 G for each of the 2 rounds it answered
    assert credits(job.payouts) == {"owner1": 36, "owner2": 36, "vendor1": 4 + 58 + 2 * 2,
                                    "dev1": 4 + 58, "treasury": 0}
    assert EvidenceChecker().run(transactions_of(world)).ok


def test_the_evidence_checker_requires_the_delivery_after_training_started() -> None:
    world = World()
    deliver_with_vendor2_silent(world)
    world.must(world.developers["dev1"].accept("job1"))
    transactions = transactions_of(world)
    assert EvidenceChecker().run(transactions).ok

    def no_fresh_deadline(job: dict) -> None:
        job["deadline"] += 1
    report = EvidenceChecker().run(rewrite_job(transactions, "timeout", no_fresh_deadline))
    assert any("the rules return it to DELIVERED" in problem for problem in report.problems)

    def also_convict_the_submitter(job: dict) -> None:
        job["verdicts"].insert(0, {"convicted": "vendor1", "offence": "MISSED_DEADLINE",
                                   "evidence": {}})
    report = EvidenceChecker().run(rewrite_job(transactions, "timeout", also_convict_the_submitter))
    disagreements = [check for check in report.checks if not check.agrees]
    assert disagreements[0].recomputed == [("vendor2", "MISSED_DEADLINE")]


def test_the_evidence_checker_refuses_a_running_timeout_that_ends_the_job_too_early() -> None:
    """A ledger on the rule before decision 0011 (close at once, nothing left to audit)."""
    world = World()
    deliver_with_vendor2_silent(world)
    world.must(world.developers["dev1"].accept("job1"))
    transactions = transactions_of(world)
    accepted = job_written(transactions[-1])

    def closed_at_once(job: dict) -> None:
        job.update(status="RESOLVED", payouts=accepted["payouts"], model_delivered=False)
    report = EvidenceChecker().run(rewrite_job(transactions[:-1], "timeout", closed_at_once))
    assert any("the rules return it to DELIVERED" in problem for problem in report.problems)


def test_the_evidence_checker_refuses_a_delivery_before_training_started() -> None:
    world = World()
    world.to_status("RUNNING")
    world.deliver()
    world.must(world.vendors["vendor1"].report_inputs("job1"))
    timeout(world)
    transactions = transactions_of(world)
    assert EvidenceChecker().run(transactions).ok

    def delivered(job: dict) -> None:
        job.update(status="DELIVERED", payouts=None)
    report = EvidenceChecker().run(rewrite_job(transactions, "timeout", delivered))
    assert any("before any result was submitted; the rules end it" in problem
               for problem in report.problems)
