"""The demo end to end on the embedded network, the ledger commands, and the evidence
checker catching verdicts the evidence does not support."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aimarket.cli import main
from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
from reference.chaincode.payouts import pay_defective_inputs
from reference.chaincode.records import Offence, Status, VerdictRecord
from reference.clients.evidence_checker import EvidenceChecker, check_ledger
from reference.clients.gateway import MarketClock, NetworkGateway
from reference.clients.ledger_reader import LedgerTransaction, read_transactions
from reference.demo import JobRun, build_cast, run_job, set_up_market
from reference.clients.datasets import split_into_parts
from reference.ledger import FakeClock, Network, verify_ledger
from reference.training import make_recipe, prepare_breast_cancer

DEMO_BALANCES = {"dev1": 2186, "owner1": 900, "owner2": 800, "treasury": 156,
                 "vendor1": 1700, "vendor2": 880, "vendor3": 1082, "vendor4": 1096}
"""Funding (owners 400, developer 2000, vendors 1500 each) moved by the five jobs:
honest — owners +100 each, vendors 1 and 2 +40, developer -280; lazy (vendor3 convicted
by resolve_step, which ends the job) — owners +100 each, vendor1 +40, vendor3 loses its
stake 538, developer +298 (bond, vendor3's fee and stake, less what it paid); false
complaint — owner1 +100 from vendor2's stake of 256, the rest (156) to the treasury;
secret-shared (four vendors) — owners +100 each, every vendor +40, developer -360;
secret-shared lazy (data1, vendor4 convicted by convict_shared_step) — owner1 +100,
vendors 1-3 +40, vendor4 loses its stake 484, developer +264; secret-shared tamper (data2,
vendor2 convicted by its own committed sender checks) — owner2 +100, vendors 1, 3 and 4
+40, vendor2 loses its stake 484, developer +264."""


def written(transaction: LedgerTransaction, key: str) -> Any:
    """The JSON document ``transaction`` wrote under ``key`` (the test expects it written)."""
    value = transaction.writes[key]
    assert value is not None, key
    return json.loads(value)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    directory = tmp_path_factory.mktemp("demo") / "network"
    code, out, _ = run_cli("demo", "--dir", str(directory), "--json")
    assert code == 0, out
    return directory, json.loads(out)


def test_demo_outcomes(demo) -> None:
    _, summary = demo
    assert summary["jobs"] == [
        {"id": "job-honest", "outcome": "SETTLED", "status": "SETTLED", "convicted": [],
         "offences": [], "disputes": 0, "model_delivered": True},
        {"id": "job-lazy", "outcome": "RESOLVED:WRONG_COMPUTATION", "status": "RESOLVED",
         "convicted": ["vendor3"], "offences": ["WRONG_COMPUTATION"], "disputes": 1,
         "model_delivered": False},
        {"id": "job-complaint", "outcome": "RESOLVED:FALSE_COMPLAINT", "status": "RESOLVED",
         "convicted": ["vendor2"], "offences": ["FALSE_COMPLAINT"], "disputes": 0,
         "model_delivered": False},
        {"id": "job-shared", "outcome": "SETTLED", "status": "SETTLED", "convicted": [],
         "offences": [], "disputes": 0, "model_delivered": True},
        {"id": "job-shared-lazy", "outcome": "RESOLVED:WRONG_COMPUTATION", "status": "RESOLVED",
         "convicted": ["vendor4"], "offences": ["WRONG_COMPUTATION"], "disputes": 0,
         "model_delivered": False},
        {"id": "job-shared-tamper", "outcome": "RESOLVED:WRONG_COMPUTATION", "status": "RESOLVED",
         "convicted": ["vendor2"], "offences": ["WRONG_COMPUTATION"], "disputes": 0,
         "model_delivered": False},
    ]
    assert summary["outcomes_as_expected"] is True
    assert list(summary)[-3:] == ["jobs", "tokens_conserved", "ledger_verified"]
    assert summary["tokens_conserved"] is True and summary["ledger_verified"] is True
    assert summary["evidence_checker"]["ok"] and summary["evidence_checker"]["verdicts_checked"] == 4
    assert summary["balances"] == DEMO_BALANCES
    assert sum(DEMO_BALANCES.values()) == summary["minted"] == 8800


def test_demo_reports_the_time_attacks_refused(demo) -> None:
    attacks = demo[1]["attacks"]
    for word in ("backdated", "postdated", "late broadcast", "skewed clock"):
        named = [attack for attack in attacks if word in attack["name"]]
        assert named, word
        assert all(attack["outcome"] == "refused" and attack["code"] for attack in named)
    assert {attack["category"] for attack in attacks} == {"time"}
    assert demo[1]["attacks_refused"] is True  # and the demo's exit code counts them


def test_demo_trains_a_real_model(demo) -> None:
    accuracy = demo[1]["accuracy"]
    assert accuracy["step_count"] == 224
    assert accuracy["fixed_test_accuracy"] > 0.95
    assert abs(accuracy["fixed_test_accuracy"] - accuracy["float_test_accuracy"]) <= 0.01


def test_demo_trains_on_shares_and_reports_what_each_party_holds(demo) -> None:
    training, privacy = demo[1]["training"], demo[1]["privacy"]
    assert {key: training[key] for key in ("mode", "library", "vendors", "threshold")} == {
        "mode": "secret-shared", "library": "mpyc", "vendors": 4, "threshold": 1}
    assert abs(training["accuracy"] - training["plaintext_accuracy"]) <= 0.005
    assert training["accuracy"] > 0.95 and training["steps"] == 28
    assert privacy["leaks"] == []
    assert privacy["max_views_opened_per_sharing"] <= training["threshold"]
    assert [(d["job"], d["kind"], d["convicted"]) for d in privacy["disputes"]] == [
        ("job-shared-lazy", "state", "vendor4"), ("job-shared-tamper", "sender", "vendor2")]
    assert privacy["disputes"][1]["opened"] == []  # its own commitments convict it
    assert privacy["scope"] == ["job-shared", "job-shared-lazy", "job-shared-tamper"]
    assert [item["job"] for item in privacy["plaintext_jobs"]] == [
        "job-honest", "job-lazy", "job-complaint"]
    assert all(item["why"] for item in privacy["plaintext_jobs"])
    assert demo[1]["secret_shared_as_expected"] is True


def test_the_inconsistent_sender_is_convicted_on_the_ledger_from_its_commitments(demo) -> None:
    """job-shared-tamper's convict_shared_step: no replay, no share on the ledger; the
    checker recomputes vendor2 from the committed sender checks; a verdict moved to the
    honest recipient (vendor1) or records whose sender checks are forged disagree."""
    directory, _ = demo
    transactions = list(read_transactions(directory, CHAINCODE_NAME))
    index = next(position for position, tx in enumerate(transactions)
                 if tx.function == "convict_shared_step"
                 and json.loads(tx.args[0])["job"] == "job-shared-tamper")
    verdict_tx = transactions[index]
    args = json.loads(verdict_tx.args[0])
    assert "replay" not in args and args["vendor"] == "vendor2" and args["step"] == 1
    opened = args["records"]["vendor2"][1]
    assert set(opened) == {"step", "key_digest", "pre", "post", "sent", "received",
                           "check_value", "checks"}
    job = written(verdict_tx, "job/job-shared-tamper")
    [verdict] = job["verdicts"]
    assert (verdict["convicted"], verdict["evidence"]["check"]) == ("vendor2", "sender")
    report = EvidenceChecker().run(transactions[:index + 1])
    assert all(check.agrees for check in report.checks)
    job["verdicts"][0]["convicted"] = "vendor1"
    tampered = replace(verdict_tx, writes={**verdict_tx.writes,
                                           "job/job-shared-tamper": json.dumps(job).encode()})
    report = EvidenceChecker().run(transactions[:index] + [tampered])
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.recorded == [("vendor1", "WRONG_COMPUTATION")]
    assert disagreement.recomputed == [("vendor2", "WRONG_COMPUTATION")]
    args["records"]["vendor2"][1]["checks"]["to"]["0"] = "1"
    forged = replace(verdict_tx, args=(json.dumps(args).encode(),))
    report = EvidenceChecker().run(transactions[:index] + [forged])
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.recomputed == []


def test_ledger_verify_recomputes_every_verdict(demo) -> None:
    directory, _ = demo
    code, out, _ = run_cli("ledger", "verify", str(directory), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["ledger"]["problems"] == []
    assert report["evidence"]["verdicts_checked"] == 4
    peer = next((directory / "peers").iterdir())
    code, out, _ = run_cli("ledger", "verify", str(peer))
    assert code == 0 and "ledger verified" in out


def test_evidence_checker_detects_a_tampered_verdict(demo) -> None:
    directory, _ = demo
    transactions = list(read_transactions(directory, CHAINCODE_NAME))
    assert EvidenceChecker().run(transactions).ok
    index = next(position for position, tx in enumerate(transactions)
                 if tx.function == "complain_inputs")
    complaint = transactions[index]
    job = written(complaint, "job/job-complaint")
    job["verdicts"][0]["convicted"] = "owner1"
    job["verdicts"][0]["offence"] = "DEFECTIVE_INPUTS"
    tampered = replace(complaint, writes={**complaint.writes,
                                          "job/job-complaint": json.dumps(job).encode()})
    report = EvidenceChecker().run(transactions[:index] + [tampered] + transactions[index + 1:])
    assert not report.ok
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.recorded == [("owner1", "DEFECTIVE_INPUTS")]
    assert disagreement.recomputed == [("vendor2", "FALSE_COMPLAINT")]


def test_the_shared_verdict_is_recomputed_from_the_ledger_records(demo) -> None:
    """job-shared-lazy's convict_shared_step: the checker recomputes vendor4 from the
    opened records and the step digests the vendors published; a verdict against an
    honest vendor, or records that are not the committed ones, disagree."""
    directory, _ = demo
    transactions = list(read_transactions(directory, CHAINCODE_NAME))
    index = next(position for position, tx in enumerate(transactions)
                 if tx.function == "convict_shared_step"
                 and json.loads(tx.args[0])["job"] == "job-shared-lazy")
    verdict_tx = transactions[index]
    job = written(verdict_tx, "job/job-shared-lazy")
    assert [(v["convicted"], v["offence"]) for v in job["verdicts"]] == [("vendor4", "WRONG_COMPUTATION")]
    job["verdicts"][0]["convicted"] = "vendor2"
    tampered = replace(verdict_tx, writes={**verdict_tx.writes,
                                           "job/job-shared-lazy": json.dumps(job).encode()})
    report = EvidenceChecker().run(transactions[:index] + [tampered])
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.recorded == [("vendor2", "WRONG_COMPUTATION")]
    assert disagreement.recomputed == [("vendor4", "WRONG_COMPUTATION")]
    args = json.loads(verdict_tx.args[0])
    args["records"]["vendor1"][0]["check_value"] = "1"
    forged = replace(verdict_tx, args=(json.dumps(args).encode(),))
    report = EvidenceChecker().run(transactions[:index] + [forged])
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.recomputed == []
    assert any("not the step digests it published" in note for note in disagreement.notes)


class BiasedChaincode(MarketplaceChaincode):
    """A corrupted chaincode (installed on every peer): every input complaint convicts the
    data owner, whatever the evidence says."""

    def complain_inputs(self, call) -> None:
        job_id = call.args.identifier("job")
        dataset_id = call.args.identifier("dataset")
        call.args.done()
        job = self.report_inputs_checks(call, job_id)
        verdict = VerdictRecord(job.owners[dataset_id], Offence.DEFECTIVE_INPUTS, {})
        self.close(call, job, Status.RESOLVED,
                   pay_defective_inputs(job, dataset_id, call.creator.name, call.config.treasury),
                   [verdict])


def test_a_valid_ledger_with_a_wrong_verdict_is_caught(tmp_path) -> None:
    ledger_clock = FakeClock()
    clock = MarketClock(ledger=ledger_clock)
    network = Network.create(tmp_path / "net", peers=4,
                             orgs=["MarketOrg", "OwnersOrg", "DevelopersOrg", "VendorsOrg"],
                             clock=ledger_clock)
    try:
        network.install_chaincode(CHAINCODE_NAME, BiasedChaincode)

        def make_gateway(name: str, organisation: str, role: str) -> NetworkGateway:
            identity = (network.admins[organisation] if role == "admin"
                        else network.enroll(organisation, name, role))
            return NetworkGateway(network, identity, clock)

        cast = build_cast(make_gateway)
        parts = split_into_parts(prepare_breast_cancer(), 2)
        set_up_market(cast, clock, parts, make_recipe(epochs=2))
        cast.vendors["vendor2"].plan_false_complaint("job-x", "data1")
        run = run_job(cast, clock, "job-x", ["data1"], ["vendor2"])
        assert [(v.convicted, v.offence) for v in run.record.verdicts] == [("owner1", "DEFECTIVE_INPUTS")]
    finally:
        network.close()
    assert verify_ledger(tmp_path / "net").ok  # every block is valid, signed and chained
    report = check_ledger(tmp_path / "net")
    assert not report.ok
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.recomputed == [("vendor2", "FALSE_COMPLAINT")]
    code, out, _ = run_cli("ledger", "verify", str(tmp_path / "net"))
    assert code == 1 and "DISAGREEMENT" in out


@pytest.fixture(scope="module")
def two_disputes(tmp_path_factory) -> tuple[Path, JobRun, JobRun]:
    """Two jobs on the network (T = 28 steps, R = 5). ``job-x``, three vendors: vendor2
    skipped work from step 3 and never answers its bisection — every timeout opens its
    published digest for it — and resolve_step still convicts it, which ends the job
    (decision 0031: one re-execution per job), though vendor3 also skipped work from step 5.
    ``job-y``, vendors 1 and 3: vendor3 skipped work from step 5 and answers, but the
    developer leaves its narrowed step unresolved, so the timeout convicts the developer
    (the claimant bears the burden)."""
    directory = tmp_path_factory.mktemp("disputes") / "net"
    ledger_clock = FakeClock()
    clock = MarketClock(ledger=ledger_clock)
    network = Network.create(directory, peers=4,
                             orgs=["MarketOrg", "OwnersOrg", "DevelopersOrg", "VendorsOrg"],
                             clock=ledger_clock)
    try:
        network.install_chaincode(CHAINCODE_NAME, MarketplaceChaincode)

        def make_gateway(name: str, organisation: str, role: str) -> NetworkGateway:
            identity = (network.admins[organisation] if role == "admin"
                        else network.enroll(organisation, name, role))
            return NetworkGateway(network, identity, clock)

        cast = build_cast(make_gateway)
        set_up_market(cast, clock, split_into_parts(prepare_breast_cancer(), 2),
                      make_recipe(epochs=2))
        cast.vendors["vendor2"].plan_lazy("job-x", 3)
        cast.vendors["vendor3"].plan_lazy("job-x", 5)
        cast.vendors["vendor3"].plan_lazy("job-y", 5)
        first = run_job(cast, clock, "job-x", ["data1", "data2"], ["vendor1", "vendor2", "vendor3"],
                        silent=frozenset({"vendor2"}))
        second = run_job(cast, clock, "job-y", ["data1", "data2"], ["vendor1", "vendor3"],
                         unresolved=frozenset({"vendor3"}))
    finally:
        network.close()
    return directory, first, second


def credits_of(record) -> dict[str, int]:
    credits: dict[str, int] = {}
    for account, amount in record.payouts:
        credits[account] = credits.get(account, 0) + amount
    return credits


def test_one_re_execution_per_job_on_the_network(two_disputes) -> None:
    directory, first, second = two_disputes
    record = first.record
    assert record.steps == 28
    assert [(v.convicted, v.offence) for v in record.verdicts] == [("vendor2", "WRONG_COMPUTATION")]
    assert first.outcome == "RESOLVED:WRONG_COMPUTATION" and not record.model_delivered
    (silent,) = record.disputes  # the conviction ended the job: vendor3 is not disputed
    assert silent.respondent == "vendor2" and silent.rounds >= 4 and silent.answers == 0
    forfeit = 40 + record.vendor_stake
    assert credits_of(record) == {"owner1": 100 + record.owner_bond, "owner2": 100 + record.owner_bond,
                                  "vendor1": forfeit, "vendor3": forfeit,
                                  "dev1": record.developer_bond + forfeit}
    record = second.record
    assert [(v.convicted, v.offence) for v in record.verdicts] == [("dev1", "MISSED_DEADLINE")]
    assert record.verdicts[0].evidence["turn"] == "resolve"
    assert record.verdicts[0].evidence["respondent"] == "vendor3"
    assert second.outcome == "RESOLVED:MISSED_DEADLINE"
    (unresolved,) = record.disputes
    assert unresolved.rounds >= 4 and unresolved.answers == unresolved.rounds
    answered = 2 * unresolved.answers  # G per round vendor3 answered
    forfeit = 40 + record.vendor_stake  # the two-vendor job's stake
    assert record.developer_bond == 2 * 5
    assert credits_of(record) == {"owner1": 100 + record.owner_bond, "owner2": 100 + record.owner_bond,
                                  "vendor1": forfeit, "vendor3": forfeit + answered,
                                  "treasury": record.developer_bond - answered}
    assert verify_ledger(directory).ok
    report = check_ledger(directory)
    assert report.ok and report.verdicts_checked == 2, report.to_json_value()


def test_evidence_checker_follows_the_rules_of_disputes(two_disputes) -> None:
    directory, _, _ = two_disputes
    transactions = list(read_transactions(directory, CHAINCODE_NAME))
    ending = max(index for index, tx in enumerate(transactions) if tx.function == "timeout")
    job = written(transactions[ending], "job/job-y")
    assert job["payouts"] is not None
    job["payouts"] = [[account, amount] if account != "vendor1" else ["owner2", amount]
                      for account, amount in job["payouts"]]  # the escrow still adds up
    tampered = replace(transactions[ending], writes={**transactions[ending].writes,
                                                     "job/job-y": json.dumps(job).encode()})
    report = EvidenceChecker().run(transactions[:ending] + [tampered] + transactions[ending + 1:])
    assert not report.ok and report.tokens_conserved
    assert any("the rules give RESOLVED" in problem for problem in report.problems)

    resolve = next(index for index, tx in enumerate(transactions)
                   if tx.function == "resolve_step")
    job = written(transactions[resolve], "job/job-x")
    assert job["status"] == "RESOLVED" and job["payouts"] is not None
    job.update(status="DELIVERED", payouts=None)  # as under the old rule (decision 0008)
    tampered = replace(transactions[resolve], writes={**transactions[resolve].writes,
                                                      "job/job-x": json.dumps(job).encode()})
    report = EvidenceChecker().run(transactions[:resolve] + [tampered])
    assert any("after a vendor's conviction in a dispute; the rules end the job" in problem
               for problem in report.problems)

    job = written(transactions[ending], "job/job-y")
    job["verdicts"][-1]["convicted"] = "vendor3"  # as if the respondent answered for the step
    tampered = replace(transactions[ending], writes={**transactions[ending].writes,
                                                     "job/job-y": json.dumps(job).encode()})
    report = EvidenceChecker().run(transactions[:ending] + [tampered])
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert disagreement.recorded == [("vendor3", "MISSED_DEADLINE")]
    assert disagreement.recomputed == [("dev1", "MISSED_DEADLINE")]

    opening = next(index for index, tx in enumerate(transactions) if tx.function == "timeout")
    job = written(transactions[opening], "job/job-x")
    assert job["status"] == "DISPUTED" and job["disputes"][-1]["answers"] == 0
    job["disputes"][-1]["low"], job["disputes"][-1]["high"] = 0, 1  # not what the digest gives
    tampered = replace(transactions[opening], writes={**transactions[opening].writes,
                                                      "job/job-x": json.dumps(job).encode()})
    report = EvidenceChecker().run(transactions[:opening] + [tampered])
    assert any("differs from the one the openings give" in problem for problem in report.problems)


def test_demo_human_output(tmp_path) -> None:
    code, out, _ = run_cli("demo", "--dir", str(tmp_path / "net"))
    assert code == 0
    assert "CONVICTED vendor3 of WRONG_COMPUTATION" in out
    assert "CONVICTED vendor2 of FALSE_COMPLAINT" in out
    assert "tokens conserved: yes" in out and "demo succeeded" in out
    assert "float64 training" in out


@pytest.mark.parametrize("argv, field", [
    (("demo", "--peers", "3"), "--peers"),
    (("ledger", "verify", "/nonexistent/aimarket"), "DIR"),
])
def test_usage_errors(argv, field) -> None:
    code, out, err = run_cli(*argv)
    assert code == 2 and out == ""
    assert err.startswith(f"aimarket: error: {field}:") and err.count("\n") == 1


def test_usage_errors_for_directories(tmp_path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    code, _, err = run_cli("demo", "--dir", str(tmp_path / "busy"))
    assert code == 2 and err.startswith("aimarket: error: --dir:")
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli("ledger", "verify", str(tmp_path / "empty"))
    assert code == 2 and "holds no ledger" in err
