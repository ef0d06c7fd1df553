"""The actor clients: what each one checks, and what an audit finds."""

from __future__ import annotations

import numpy as np
import pytest

from reference.chaincode.records import DisputeRecord
from reference.clients.data_owner import Delivery
from reference.clients.datasets import (
    DatasetFormatError,
    job_training_set,
    parse_dataset_bytes,
    split_into_parts,
)
from reference.clients.developer import AuditFailed
from reference.clients.world import World, small_parts
from reference.ledger.identity import Certificate
from reference.training import prepare_breast_cancer


def dispute_of(world: World) -> DisputeRecord:
    """job1's dispute, which the test expects open."""
    dispute = world.job().dispute
    assert dispute is not None
    return dispute


def test_parts_concatenate_back_to_the_prepared_training_set() -> None:
    prepared = prepare_breast_cancer()
    parts = split_into_parts(prepared, 2)
    union = job_training_set(parts)
    assert np.array_equal(union.train_features, prepared.train_features)
    assert np.array_equal(union.train_labels, prepared.train_labels)
    assert union.train_source_rows == prepared.train_source_rows
    assert [part.train_row_count for part in parts] == [228, 228]


def test_dataset_bytes_round_trip_and_refuse_garbage() -> None:
    part = small_parts()[0]
    parsed = parse_dataset_bytes(part.canonical_bytes())
    assert parsed.canonical_bytes() == part.canonical_bytes()
    with pytest.raises(DatasetFormatError):
        parse_dataset_bytes(part.canonical_bytes()[:-3])


@pytest.fixture
def running() -> World:
    world = World()
    world.to_status("RUNNING")
    return world


def deliveries(world: World, vendor: str) -> dict[str, Delivery]:
    return {dataset: world.owners[world.dataset_owner[dataset]].deliver("job1", dataset, vendor)
            for dataset in ("data1", "data2")}


def test_honest_deliveries_check_out_and_decrypt_to_the_owners_rows(running: World) -> None:
    vendor = running.vendors["vendor1"]
    check = vendor.take_delivery("job1", deliveries(running, "vendor1"))
    assert check.problem_dataset is None
    got = vendor.state_of("job1").parts["data1"]
    assert got.canonical_bytes() == running.owners["owner1"].datasets["data1"].plaintext.canonical_bytes()


@pytest.mark.parametrize("tamper, reason", [
    (lambda d: Delivery(d.job, d.dataset, d.envelope[:-1] + bytes([d.envelope[-1] ^ 1]), d.wrapped_key),
     "not the one the owner's receipt names"),
    (lambda d: Delivery(d.job, d.dataset, d.envelope, d.wrapped_key[:-1] + bytes([d.wrapped_key[-1] ^ 1])),
     "wrapped key is not the one recorded"),
])
def test_a_vendor_notices_a_delivery_that_is_not_the_granted_one(running: World, tamper, reason) -> None:
    vendor = running.vendors["vendor1"]
    delivered = deliveries(running, "vendor1")
    delivered["data2"] = tamper(delivered["data2"])
    check = vendor.take_delivery("job1", delivered)
    assert check.problem_dataset == "data2" and reason in check.reason


def test_a_key_wrapped_for_another_vendor_does_not_open(running: World) -> None:
    vendor = running.vendors["vendor1"]
    delivered = deliveries(running, "vendor1")
    delivered["data1"] = deliveries(running, "vendor2")["data1"]  # vendor2's wrapped key
    check = vendor.take_delivery("job1", delivered)
    assert check.problem_dataset == "data1"


def test_rows_that_do_not_match_the_registered_row_root_are_noticed_but_not_provable() -> None:
    """Spec finding, pinned: the owner registers a row root that its encrypted data does not
    match. The vendor notices after decrypting, but the protocol's only evidence is the
    delivery digest against the ciphertext commitment — which matches — so the complaint
    convicts the vendor (FALSE_COMPLAINT). See docs/reference-chaincode.md, "Findings"."""
    world = World()
    owner = world.owners["owner1"]
    honest_rows, other_rows = small_parts()[0], small_parts()[2]
    from reference.clients.crypto import encrypt_dataset, generate_data_key
    from reference.clients.data_owner import OwnedDataset
    from reference.clients.datasets import train_rows_root
    assert train_rows_root(other_rows) != train_rows_root(honest_rows)
    # the owner encrypts other rows but registers the honest rows' root
    key = generate_data_key()
    encrypted = encrypt_dataset(other_rows.canonical_bytes(), key, "data-bad")
    owner.datasets["data-bad"] = OwnedDataset("data-bad", other_rows, key, encrypted)
    world.must(owner.gateway.submit("register_dataset", {
        "dataset": "data-bad", "commitment": encrypted.commitment(),
        "train_rows_root": train_rows_root(honest_rows), "train_rows": 16, "feature_count": 30,
        "price": 10, "misuse_value": 6, "purposes": ["training"],
        "expiry": world.clock.now() + 1000, "max_uses": 5}))
    world.dataset_owner["data-bad"] = "owner1"
    world.must(world.request(datasets=("data-bad",), vendors=("vendor1",)))
    world.grant_all()
    world.accept_all()
    vendor = world.vendors["vendor1"]
    check = vendor.take_delivery("job1", {"data-bad": owner.deliver("job1", "data-bad", "vendor1")})
    assert check.problem_dataset == "data-bad" and "row root" in check.reason
    world.must(vendor.report_inputs("job1"))
    assert [(v.convicted, v.offence) for v in world.job().verdicts] == [("vendor1", "FALSE_COMPLAINT")]


def test_audit_accepts_agreeing_honest_vendors_after_spot_checks() -> None:
    world = World()
    world.to_status("DELIVERED")
    developer = world.developers["dev1"]
    developer.spot_checks = 4
    report = developer.audit("job1", world.vendors)
    assert report.findings == [] and sorted(report.steps_re_executed) == [0, 1, 2, 3]


def test_a_lazy_single_vendor_is_caught_by_a_spot_check_and_convicted() -> None:
    world = World()
    world.vendors["vendor1"].plan_lazy("job1", 1)
    world.must(world.request(vendors=("vendor1",)))
    world.grant_all()
    world.accept_all()
    world.confirm_all()
    world.submit_all()
    developer = world.developers["dev1"]
    developer.spot_checks = 4  # every step: the lazy one is among them
    report = developer.audit("job1", world.vendors)
    (finding,) = report.findings
    assert finding.respondent == "vendor1" and finding.disputed_step == 1
    honest_start = finding.claimant_digests[:1]
    assert honest_start == world.vendors["vendor1"].step_digests("job1")[:1]
    world.must(developer.dispute("job1"))
    world.bisect_to_resolve()
    assert dispute_of(world).low == 1
    outcome = world.must(developer.resolve("job1", world.vendors))
    assert outcome.payload["status"] == "RESOLVED"  # the conviction ends the job (decision 0031)
    assert outcome.payload["verdicts"][0] == {**outcome.payload["verdicts"][0],
                                              "convicted": "vendor1", "offence": "WRONG_COMPUTATION"}
    assert developer.next_finding("job1") is None
    assert world.job().status == "RESOLVED" and not world.job().model_delivered


def test_two_lazy_vendors_without_an_honest_replica_are_both_found_one_convicted() -> None:
    """Both vendors skip work (from steps 1 and 2): the audit trusts the one the step where
    they part shows right, a spot check shows it wrong later, and the claim built from
    that finds both; the first finding's dispute convicts vendor1 at the step its
    bisection narrows to, which ends the job (one re-execution per job, decision 0031)."""
    world = World()
    world.vendors["vendor1"].plan_lazy("job1", 1)
    world.vendors["vendor2"].plan_lazy("job1", 2)
    world.to_status("DELIVERED")
    developer = world.developers["dev1"]
    developer.spot_checks = 4
    report = developer.audit("job1", world.vendors)
    assert [(f.respondent, f.disputed_step) for f in report.findings] == [("vendor1", 1),
                                                                          ("vendor2", 2)]
    finding = report.findings[0]
    assert developer.next_finding("job1") == finding
    world.must(developer.dispute("job1"))
    world.bisect_to_resolve()
    assert dispute_of(world).low == finding.disputed_step
    world.must(developer.resolve("job1", world.vendors))
    assert world.job().status == "RESOLVED"
    assert world.job().convicted_vendors == {"vendor1"}


def test_a_vendor_can_resolve_its_own_dispute_and_win() -> None:
    world = World()
    world.must(world.dispute("vendor2", lazy_from_step=None))
    world.bisect_to_resolve()
    outcome = world.must(world.vendors["vendor2"].resolve("job1"))
    assert outcome.payload["verdicts"][0]["offence"] == "FALSE_DISPUTE"


def test_the_developer_refuses_a_model_other_than_the_committed_one() -> None:
    world = World()
    world.to_status("DELIVERED")
    developer = world.developers["dev1"]
    with pytest.raises(AuditFailed, match="does not deliver"):
        developer.receive_model("job1", world.vendors)  # not before the ledger says so
    world.must(developer.accept("job1"))
    model = developer.receive_model("job1", world.vendors)
    assert model.digest().hex() == world.job().results["vendor1"].final_digest
    run = world.vendors["vendor1"].state_of("job1").run
    assert run is not None
    world.vendors["vendor1"].state_of("job1").run = type(run)(run.states[:-1] + (run.states[0],),
                                                              run.transcript)
    with pytest.raises(AuditFailed):
        developer.receive_model("job1", world.vendors)


def test_a_vendor_refuses_a_recipe_that_is_not_the_committed_one() -> None:
    world = World()
    world.must(world.developers["dev1"].request("job1", "model1", ["data1"], ["vendor1"],
                                                purpose="training", window=100))
    from reference.training import make_recipe
    with pytest.raises(ValueError, match="commitment"):
        world.vendors["vendor1"].receive_recipe("job1", make_recipe(batch_size=8, epochs=2))


def test_the_developer_pursues_a_true_claim_and_concedes_a_false_one() -> None:
    """The claimant bears the burden of its dispute: the developer queries and resolves
    only while the re-executed narrowed step shows the respondent wrong; against an honest
    respondent it makes no move at all (silence concedes)."""
    lazy = World()
    lazy.must(lazy.dispute("vendor2", lazy_from_step=2))
    developer = lazy.developers["dev1"]
    assert developer.claim_holds("job1", lazy.vendors)
    move = developer.dispute_move("job1", lazy.vendors)
    assert move is not None
    assert lazy.must(move).function == "bisect_query"
    assert developer.dispute_move("job1", lazy.vendors) is None  # the respondent's turn

    honest = World()
    honest.must(honest.dispute("vendor2", lazy_from_step=None))
    developer = honest.developers["dev1"]
    assert not developer.claim_holds("job1", honest.vendors)
    before = honest.snapshot()
    assert developer.dispute_move("job1", honest.vendors) is None
    assert honest.snapshot() == before
    honest.must(developer.query("job1"))  # pressed on regardless, down to the narrowed step
    honest.bisect_to_resolve()
    assert dispute_of(honest).turn == "resolve"
    before = honest.snapshot()
    assert developer.dispute_move("job1", honest.vendors) is None
    assert honest.snapshot() == before


def test_the_audit_reads_the_transcripts_vendors_published_on_the_ledger() -> None:
    world = World()
    world.to_status("DELIVERED")
    developer = world.developers["dev1"]
    for vendor in ("vendor1", "vendor2"):
        assert developer.published_digests("job1", vendor) == world.vendors[vendor].step_digests("job1")
    world.vendors["vendor2"].state_of("job1").run = None  # vendor2 hands over nothing now
    assert developer.audit("job1", world.vendors).findings == []


# --- the evidence checker under the rules of decisions 0009 and the misuse compensation ---

def ledger_transactions(world: World) -> list:
    from reference.chaincode.contract import CHAINCODE_NAME
    from reference.clients.ledger_reader import LedgerTransaction
    from reference.ledger import TxValidationCode
    return [LedgerTransaction(block=position, position=0, tx_id=call.tx_id,
                              code=TxValidationCode.VALID, timestamp=call.timestamp,
                              creator=Certificate(call.creator.org, call.creator.name,
                                                  call.creator.role, call.creator.public_key),
                              chaincode=CHAINCODE_NAME,
                              function=call.function, args=call.args, writes=call.writes)
            for position, call in enumerate(world.ledger.committed)]


def tampered(transactions: list, function: str, change) -> list:
    """The transactions with the job document written by the last ``function`` call
    changed by ``change``."""
    import json
    from dataclasses import replace
    index = max(position for position, tx in enumerate(transactions) if tx.function == function)
    job = json.loads(transactions[index].writes["job/job1"])
    change(job)
    writes = {**transactions[index].writes, "job/job1": json.dumps(job).encode()}
    return transactions[:index] + [replace(transactions[index], writes=writes)] + transactions[index + 1:]


def check(transactions: list):
    from reference.clients.evidence_checker import EvidenceChecker
    return EvidenceChecker().run(transactions)


def test_the_evidence_checker_opens_a_silent_respondents_digest_itself() -> None:
    world = World()
    world.must(world.dispute("vendor2", lazy_from_step=2))
    developer = world.developers["dev1"]
    world.must(developer.query("job1"))
    world.clock.advance(101)
    world.must(developer.gateway.submit("timeout", {"job": "job1"}))
    world.must(developer.query("job1"))
    world.must(world.vendors["vendor2"].answer("job1"))
    world.must(developer.resolve("job1", world.vendors))
    transactions = ledger_transactions(world)
    assert check(transactions).ok

    def convict_the_silent_respondent(job: dict) -> None:
        job["verdicts"].append({"convicted": "vendor2", "offence": "MISSED_DEADLINE",
                                "evidence": {}})
    report = check(tampered(transactions, "timeout", convict_the_silent_respondent))
    (disagreement,) = [item for item in report.checks if not item.agrees]
    assert disagreement.recorded == [("vendor2", "MISSED_DEADLINE")] and disagreement.recomputed == []

    def count_an_answer(job: dict) -> None:
        job["disputes"][-1]["answers"] = 1
    report = check(tampered(transactions, "timeout", count_an_answer))
    assert any("differs from the one the openings give" in problem for problem in report.problems)


def test_the_evidence_checker_pays_a_false_dispute_by_the_answers() -> None:
    world = World()
    world.must(world.dispute("vendor2", lazy_from_step=None))
    developer = world.developers["dev1"]
    world.must(developer.query("job1"))
    world.must(world.vendors["vendor2"].answer("job1"))
    world.must(developer.query("job1"))
    world.clock.advance(101)
    world.must(developer.gateway.submit("timeout", {"job": "job1"}))
    world.must(world.vendors["vendor2"].resolve("job1"))
    transactions = ledger_transactions(world)
    assert check(transactions).ok
    payouts = world.job().payouts
    assert payouts is not None
    assert ["vendor2", 2] in payouts and ["treasury", 2] in payouts

    def pay_every_round(job: dict) -> None:  # G * rounds: the escrow still adds up
        job["payouts"] = [[account, 4 if account == "vendor2" and amount == 2 else
                           0 if account == "treasury" else amount]
                          for account, amount in job["payouts"]]
    report = check(tampered(transactions, "resolve_step", pay_every_round))
    assert not any("out of an escrow" in problem for problem in report.problems)
    assert any("the rules give RESOLVED" in problem for problem in report.problems)


def test_the_evidence_checker_pays_misuse_by_the_audit_probability() -> None:
    world = World()
    world.to_status("RUNNING")
    artefact = world.vendors["vendor1"].sign_misuse("job1", "data1", "resale")
    world.must(world.owners["owner1"].report_misuse("job1", "vendor1", artefact))
    transactions = ledger_transactions(world)
    assert check(transactions).ok

    def pay_only_w(job: dict) -> None:
        """Each owner's compensation W = 6 instead of W / q = 12, the developer the rest."""
        payouts = job["payouts"]
        forfeit_starts = payouts.index(["dev1", job["developer_bond"]]) + 1
        for entry in payouts[forfeit_starts:]:
            entry[1] = 6 if entry[0] in ("owner1", "owner2") else entry[1] + 12
    report = check(tampered(transactions, "report_misuse", pay_only_w))
    assert not any("out of an escrow" in problem for problem in report.problems)
    assert any("the rules give RESOLVED" in problem for problem in report.problems)


def test_the_evidence_checker_pays_the_other_owners_their_prices_on_defective_inputs() -> None:
    """A defective-inputs conviction pays every other owner its bond and its price out of
    the guilty owner's bond (its data was released), the complainant G, the treasury the
    rest; the old rule (the other owners only their bonds) is caught."""
    world = World()
    world.owners["owner1"].defective_datasets.add("data1")
    world.to_status("RUNNING")
    world.deliver()
    world.must(world.vendors["vendor1"].report_inputs("job1"))
    job = world.job()
    assert job.payouts is not None
    assert ["owner2", job.owner_bond + 10] in job.payouts
    assert ["treasury", job.owner_bond - 2 - 10] in job.payouts
    transactions = ledger_transactions(world)
    assert check(transactions).ok

    def other_owner_gets_only_its_bond(job: dict) -> None:  # the escrow still adds up
        job["payouts"] = [[account, amount - 10 if account == "owner2" else
                           amount + 10 if account == "treasury" else amount]
                          for account, amount in job["payouts"]]
    report = check(tampered(transactions, "complain_inputs", other_owner_gets_only_its_bond))
    assert not any("out of an escrow" in problem for problem in report.problems)
    assert any("the rules give RESOLVED" in problem for problem in report.problems)


def test_the_evidence_checker_notices_a_confirmation_of_defective_inputs() -> None:
    from reference.chaincode.contract import MarketplaceChaincode

    class LaxChaincode(MarketplaceChaincode):
        """A corrupted chaincode that lets a vendor confirm whatever was delivered."""

        def confirm_inputs(self, call) -> None:
            job = self.report_inputs_checks(call, call.args.identifier("job"))
            call.args.done()
            job.confirmed.append(call.creator.name)
            self.store(call, job)

    world = World()
    world.ledger.chaincode = LaxChaincode()
    world.owners["owner1"].defective_datasets.add("data1")
    world.to_status("RUNNING")
    world.must(world.vendors["vendor2"].gateway.submit("confirm_inputs", {"job": "job1"}))
    report = check(ledger_transactions(world))
    assert any("confirmed inputs while the delivery of data1 is defective" in problem
               for problem in report.problems)
