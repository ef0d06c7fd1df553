"""The evidence checker: given only a ledger, recompute every verdict and report disagreement.

It reads the block store of one peer (see :mod:`.ledger_reader`), replays the writes of
every valid marketplace transaction to know the state before each one, and for every
transaction that convicts somebody (or should have) derives the verdict again from the
evidence on the ledger, with its own code:

* ``complain_inputs`` — the owner's signed delivery receipt for the complainant (verified
  under the owner's registered key) against the dataset's registered commitment;
* ``resolve_step`` — the dispute as the checker itself followed it (every bisection
  opening re-verified against the committed transcript roots; its resolution ends the
  job, so a job sees one re-execution), the step's deadline, the recipe opened against the model
  commitment, the pre-state against the agreed digest, every batch row against its
  dataset's row root and the recipe's batch schedule, and the one training step executed
  again with :func:`reference.training.step.step`;
* ``convict_shared_step`` — a secret-shared job's opened step records against the step
  digests each vendor published, the public checks over them (the first fault must name
  the vendor: its own sent values off every degree-t polynomial, or its state check point
  off the others' polynomial), and for a state fault the referee's replay against the
  committed pre- and post-step digests (:mod:`.shared_verdicts`);
* ``report_misuse`` — the vendor's signature on a statement of use outside the licence;
* ``timeout`` — the block's trusted time (and the signed timestamp) against the recorded
  deadline, and who had to act.
  A running job convicts the vendors that missed the step its deadline was for: while
  some vendor has not confirmed its inputs, those that have not confirmed; once all have,
  those that have not submitted. In a dispute the respondent's silence convicts nobody:
  the checker opens the respondent's committed digest at the midpoint itself, from the
  step digests its result published (re-checked against its transcript root), and follows
  the bisection on; the developer's silence on its turn, or a narrowed step left
  unresolved, convicts the developer.

It also checks that no other transaction convicts anybody, that no vendor is disputed
after its conviction, that a vendor convicted in a dispute ends the job, that a running
job's timeout returns it to DELIVERED (with a fresh deadline, nothing paid)
exactly when every vendor had confirmed and some had submitted, and is otherwise its end,
that every job that ends pays out its escrow exactly as the payout rules say (recomputed
here per account from the job's terms and verdicts: a false dispute pays the respondent
G per round it answered itself, a misuse conviction pays each owner W / q), ends in the
right status and delivers the model exactly when no vendor was convicted, that no vendor
confirmed inputs while a grant's delivery digest differed from its commitment, and that
tokens are conserved. It shares no
verdict or payout logic with the chaincode; it uses the training, Merkle and signature
libraries and the documented state formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from reference.clients.crypto import (
    DeliveryReceipt,
    decode_verifying_key,
    verify_canonical,
    verify_receipt,
)
from reference.clients.ledger_reader import LedgerTransaction, read_transactions
from reference.training.dataset import Batch
from reference.training.merkle import MerkleProof, merkle_root, verify_inclusion
from reference.training.recipe import ModelRecipe
from reference.clients.shared_verdicts import recompute_shared_step
from reference.training.step import TrainingState, initial_state, public_step_values, step
from reference.training.transcript import verify_step_digest

MARKETPLACE = "aimarket"
CONVICTING_FUNCTIONS = {"complain_inputs", "resolve_step", "convict_shared_step", "report_misuse",
                        "timeout"}
COMPLAINT_OFFENCES = {"DEFECTIVE_INPUTS", "FALSE_COMPLAINT"}


@dataclass
class VerdictCheck:
    """One convicting (or should-be-convicting) transaction, recorded vs. recomputed."""

    block: int
    position: int
    tx_id: str
    function: str
    job: str
    recorded: list[tuple[str, str]]
    recomputed: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return self.recorded == self.recomputed and not self.notes

    def to_json_value(self) -> dict[str, Any]:
        return {"block": self.block, "position": self.position, "tx_id": self.tx_id,
                "function": self.function, "job": self.job,
                "recorded": [list(item) for item in self.recorded],
                "recomputed": [list(item) for item in self.recomputed],
                "agrees": self.agrees, "notes": self.notes}


@dataclass
class EvidenceReport:
    transactions: int = 0
    checks: list[VerdictCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tokens_conserved: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.agrees for check in self.checks)

    @property
    def verdicts_checked(self) -> int:
        return sum(len(check.recorded) for check in self.checks)

    def to_json_value(self) -> dict[str, Any]:
        return {"ok": self.ok, "transactions": self.transactions,
                "verdicts_checked": self.verdicts_checked,
                "tokens_conserved": self.tokens_conserved,
                "disagreements": [check.to_json_value() for check in self.checks
                                  if not check.agrees],
                "problems": self.problems}


class _Opening(ValueError):
    """Evidence that does not open what it claims to."""


@dataclass
class _FollowedDispute:
    """The dispute as the checker followed it from verified openings."""

    respondent: str
    claimant_root: str
    low: int
    high: int
    low_digest: str | None
    high_claimant: str
    high_respondent: str
    pending_query: str | None = None
    turn: str = "claimant"
    rounds: int = 0
    answers: int = 0

    def open_respondent(self, digest: str, answered: bool) -> None:
        """The respondent's digest at the midpoint is open (answered by it, or opened for
        it at its deadline): keep the half where the sides still disagree."""
        middle = (self.low + self.high) // 2
        if digest == self.pending_query:
            self.low, self.low_digest = middle, digest
        else:
            self.high = middle
            self.high_claimant, self.high_respondent = self.pending_query or "", digest
        self.pending_query = None
        self.rounds += 1
        self.answers += 1 if answered else 0
        self.turn = "resolve" if self.high - self.low == 1 else "claimant"


def _proof(value: Any) -> MerkleProof:
    try:
        return MerkleProof.from_json_value(value)
    except (ValueError, TypeError, AttributeError) as error:
        raise _Opening(f"unreadable proof: {error}") from None


def _opens(root: str, steps: int, position: int, digest: str, proof_value: Any) -> bool:
    try:
        return verify_step_digest(bytes.fromhex(root), steps, position - 1,
                                  bytes.fromhex(digest), _proof(proof_value))
    except (_Opening, ValueError):
        return False


class EvidenceChecker:
    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.results: dict[tuple[str, str], tuple[str, str]] = {}  # (job, vendor) -> (root, final)
        self.published: dict[tuple[str, str], list[str]] = {}  # (job, vendor) -> step digests
        self.records: dict[tuple[str, str], list[str]] = {}  # (job, vendor) -> record digests
        self.disputes: dict[str, _FollowedDispute] = {}
        self.report = EvidenceReport()

    # -- driving ------------------------------------------------------------------------

    def run(self, transactions: Iterable[LedgerTransaction]) -> EvidenceReport:
        for transaction in transactions:
            if transaction.chaincode != MARKETPLACE or not transaction.valid:
                continue
            self.report.transactions += 1
            try:
                self.examine(transaction)
            except Exception as error:  # a malformed record is a finding, not a crash
                self.report.problems.append(
                    f"block {transaction.block} tx {transaction.position} "
                    f"({transaction.function}): cannot be checked: {type(error).__name__}: {error}")
            for key, value in transaction.writes.items():
                if value is None:
                    self.state.pop(key, None)
                else:
                    self.state[key] = json.loads(value)
        self.check_conservation()
        return self.report

    def examine(self, transaction: LedgerTransaction) -> None:
        args = json.loads(transaction.args[0]) if len(transaction.args) == 1 else {}
        function = transaction.function
        job_keys = [key for key in transaction.writes if key.startswith("job/")]
        for key in job_keys:
            before = self.state.get(key)
            after_bytes = transaction.writes[key]
            after = None if after_bytes is None else json.loads(after_bytes)
            dispute = self.disputes.get(key[4:])
            recorded_before = [] if before is None else before["verdicts"]
            recorded_new = [] if after is None else after["verdicts"][len(recorded_before):]
            recorded = [(verdict["convicted"], verdict["offence"]) for verdict in recorded_new]
            if function in CONVICTING_FUNCTIONS:
                notes: list[str] = []
                recomputed = self.recompute(transaction, function, args, before, notes)
                if before is not None and before["status"] == "DISPUTED" and dispute is not None:
                    for verdict in recorded_new:
                        if verdict["evidence"].get("respondent") != dispute.respondent:
                            notes.append(f"the verdict's evidence names respondent "
                                         f"{verdict['evidence'].get('respondent')!r}, the "
                                         f"dispute's is {dispute.respondent}")
                self.report.checks.append(VerdictCheck(
                    transaction.block, transaction.position, transaction.tx_id, function,
                    key[4:], recorded, recomputed, notes))
            elif recorded:
                self.disagree(transaction, key[4:], recorded, [],
                              [f"{function} may not convict anybody"])
            self.follow(transaction, function, args, before, after)
            dispute = self.disputes.get(key[4:])
            if before is not None and after is not None:
                self.check_ending(transaction, key[4:], before, after, dispute)

    def disagree(self, transaction: LedgerTransaction, job: str, recorded, recomputed,
                 notes: list[str]) -> None:
        self.report.checks.append(VerdictCheck(transaction.block, transaction.position,
                                               transaction.tx_id, transaction.function, job,
                                               recorded, recomputed, notes))

    # -- following results and disputes from verified openings ----------------------------

    def follow(self, transaction: LedgerTransaction, function: str, args: dict[str, Any],
               before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        where = f"block {transaction.block} tx {transaction.position} ({function})"
        if before is None or after is None:
            return
        job = before["job"]
        steps = before["steps"]
        actor = transaction.creator.name
        if function == "confirm_inputs":
            for dataset_id, grant in before["grants"].items():
                if grant["delivery_digest"] != self.state[f"dataset/{dataset_id}"]["commitment"]:
                    self.report.problems.append(f"{where}: {actor} confirmed inputs while the "
                                                f"delivery of {dataset_id} is defective")
        elif function == "submit_result":
            if not _opens(args["transcript_root"], steps, steps, args["final_digest"],
                          args["final_proof"]):
                self.report.problems.append(f"{where}: the final digest is not proved")
            published = list(args["step_digests"])
            leaves = [bytes.fromhex(digest) for digest in published]
            if len(leaves) != steps or merkle_root(leaves).hex() != args["transcript_root"]:
                self.report.problems.append(f"{where}: the published step digests are not the "
                                            "transcript's leaves")
            self.results[(job, actor)] = (args["transcript_root"], args["final_digest"])
            self.published[(job, actor)] = published
            if args.get("record_digests") is not None:
                self.records[(job, actor)] = list(args["record_digests"])
        elif function == "dispute_result":
            if not _opens(args["transcript_root"], steps, steps, args["final_digest"],
                          args["final_proof"]):
                self.report.problems.append(f"{where}: the claimed final digest is not proved")
            if any(verdict["convicted"] == args["vendor"] for verdict in before["verdicts"]):
                self.report.problems.append(f"{where}: {args['vendor']} is disputed after its "
                                            "conviction")
            _, respondent_final = self.results[(job, args["vendor"])]
            self.disputes[job] = _FollowedDispute(
                args["vendor"], args["transcript_root"], 0, steps, None, args["final_digest"],
                respondent_final, turn="claimant" if steps > 1 else "resolve")
        elif function in ("bisect_query", "bisect_answer"):
            dispute = self.disputes[job]
            middle = (dispute.low + dispute.high) // 2
            if function == "bisect_query":
                root = dispute.claimant_root
            else:
                root = self.results[(job, dispute.respondent)][0]
            if not _opens(root, steps, middle, args["digest"], args["proof"]):
                self.report.problems.append(f"{where}: the opened digest is not the committed one")
            if function == "bisect_query":
                dispute.pending_query, dispute.turn = args["digest"], "respondent"
            else:
                dispute.open_respondent(args["digest"], answered=True)
        elif (function == "timeout" and before["status"] == "DISPUTED"
              and job in self.disputes and self.disputes[job].turn == "respondent"):
            dispute = self.disputes[job]
            middle = (dispute.low + dispute.high) // 2
            dispute.open_respondent(self.published[(job, dispute.respondent)][middle - 1],
                                    answered=False)
        recorded = after["disputes"][-1] if after.get("disputes") else None
        if job in self.disputes and recorded is not None:
            mine = self.disputes[job]
            if (recorded["low"], recorded["high"], recorded["turn"], recorded["rounds"],
                    recorded["answers"]) != (mine.low, mine.high, mine.turn, mine.rounds,
                                             mine.answers):
                self.report.problems.append(f"{where}: the recorded dispute of {job} differs "
                                            "from the one the openings give")

    # -- recomputing verdicts -------------------------------------------------------------

    def recompute(self, transaction: LedgerTransaction, function: str, args: dict[str, Any],
                  job: dict[str, Any] | None, notes: list[str]) -> list[tuple[str, str]]:
        if job is None:
            notes.append("no such job before the transaction")
            return []
        if function == "complain_inputs":
            return self.recompute_complaint(transaction, args, job, notes)
        if function == "resolve_step":
            if trusted_time(transaction) > job["deadline"]:
                notes.append(f"resolve_step at {trusted_time(transaction)}, after the "
                             f"narrowed step's deadline {job['deadline']}")
            return self.recompute_step(args, job, notes)
        if function == "report_misuse":
            return self.recompute_misuse(args, job, notes)
        if function == "convict_shared_step":
            return recompute_shared_step(args, job, self.records, notes)
        return self.recompute_timeout(transaction, job, notes)

    def identity_key(self, name: str):
        return decode_verifying_key(bytes.fromhex(self.state[f"identity/{name}"]["public_key"]))

    def recompute_complaint(self, transaction: LedgerTransaction, args: dict[str, Any],
                            job: dict[str, Any], notes: list[str]) -> list[tuple[str, str]]:
        complainant = transaction.creator.name
        dataset_id = args["dataset"]
        grant = job["grants"][dataset_id]
        dataset = self.state[f"dataset/{dataset_id}"]
        owner = dataset["owner"]
        receipt = DeliveryReceipt(job["job"], dataset_id, grant["delivery_digest"], complainant)
        if not verify_receipt(self.identity_key(owner), receipt,
                              bytes.fromhex(grant["receipts"][complainant])):
            notes.append("the delivery digest is not signed by the data owner")
        if grant["delivery_digest"] != dataset["commitment"]:
            return [(owner, "DEFECTIVE_INPUTS")]
        return [(complainant, "FALSE_COMPLAINT")]

    def recompute_misuse(self, args: dict[str, Any], job: dict[str, Any],
                         notes: list[str]) -> list[tuple[str, str]]:
        vendor = args["vendor"]
        artefact = args.get("artefact")
        try:
            if not isinstance(artefact, dict):
                raise TypeError("no artefact")
            statement = artefact["statement"]
            signature = bytes.fromhex(artefact["signature"])
            dataset = self.state[f"dataset/{statement['dataset_id']}"]
            proved = (statement["type"] == "aimarket/data-use/v1"
                      and statement["job_id"] == job["job"] and statement["vendor_id"] == vendor
                      and statement["dataset_id"] in job["datasets"]
                      and statement["purpose"] not in dataset["licence"]["purposes"]
                      and verify_canonical(self.identity_key(vendor), statement, signature))
        except (KeyError, TypeError, ValueError):
            proved = False
        if not proved:
            notes.append("no vendor-signed statement of use outside the licence")
            return []
        return [(vendor, "DATA_MISUSE")]

    def recompute_timeout(self, transaction: LedgerTransaction, job: dict[str, Any],
                          notes: list[str]) -> list[tuple[str, str]]:
        if transaction.timestamp <= job["deadline"]:
            notes.append(f"timestamp {transaction.timestamp} is not past the deadline "
                         f"{job['deadline']}")
        if trusted_time(transaction) <= job["deadline"]:
            notes.append(f"block time {trusted_time(transaction)} is not past the deadline "
                         f"{job['deadline']}")
        status = job["status"]
        if status == "RUNNING":
            if any(vendor not in job["confirmed"] for vendor in job["vendors"]):
                # training had not started: a vendor that confirmed could not submit yet
                return [(vendor, "MISSED_DEADLINE") for vendor in job["vendors"]
                        if vendor not in job["confirmed"]]
            return [(vendor, "MISSED_DEADLINE") for vendor in job["vendors"]
                    if vendor not in job["results"]]
        if status == "DISPUTED":
            dispute = self.disputes.get(job["job"])
            if dispute is None:
                notes.append("a dispute the checker never saw opened")
                return []
            if dispute.turn == "respondent":
                return []  # its committed digest is opened for it; nobody is convicted
            # silent on its own turn, or the narrowed step left unresolved: the developer
            # raised the dispute and bears its burden
            return [(job["developer"], "MISSED_DEADLINE")]
        return []

    def recompute_step(self, args: dict[str, Any], job: dict[str, Any],
                       notes: list[str]) -> list[tuple[str, str]]:
        dispute = self.disputes.get(job["job"])
        if dispute is None or dispute.turn != "resolve":
            notes.append("resolve_step before the bisection narrowed the dispute to one step")
            return []
        try:
            recomputed = self.execute_disputed_step(args, job, dispute)
        except (_Opening, KeyError, TypeError, ValueError) as error:
            notes.append(f"the step evidence does not check: {error}")
            return []
        if recomputed != dispute.high_respondent:
            return [(dispute.respondent, "WRONG_COMPUTATION")]
        return [(job["developer"], "FALSE_DISPUTE")]

    def execute_disputed_step(self, args: dict[str, Any], job: dict[str, Any],
                              dispute: _FollowedDispute) -> str | None:
        recipe = ModelRecipe.from_json_value(args["recipe"])
        model = self.state[f"model/{job['model']}"]
        if recipe.commitment().hex() != model["commitment"]:
            raise _Opening("the recipe is not the committed one")
        pre_state = TrainingState.from_json_value(args["pre_state"])
        agreed = (initial_state(recipe).digest().hex() if dispute.low_digest is None
                  else dispute.low_digest)
        if pre_state.digest().hex() != agreed or pre_state.step != dispute.low:
            raise _Opening("the pre-state is not the agreed state")
        datasets = [self.state[f"dataset/{dataset_id}"] for dataset_id in job["datasets"]]
        schedule_rows = sum(dataset["train_rows"] for dataset in datasets)
        wanted = recipe.batch_row_indices(schedule_rows, dispute.low)
        rows = args["batch"]
        if len(rows) != len(wanted):
            raise _Opening("the batch does not have the schedule's number of rows")
        features, labels = [], []
        for union_index, opened in zip(wanted, rows):
            offset = union_index
            for dataset in datasets:
                if offset < dataset["train_rows"]:
                    break
                offset -= dataset["train_rows"]
            if opened["dataset"] != dataset["dataset"] or opened["index"] != offset:
                raise _Opening(f"row {union_index} of the schedule is not the opened row")
            row = bytes.fromhex(opened["row"])
            proof = _proof(opened["proof"])
            if (proof.index != offset or proof.leaf_count != dataset["train_rows"]
                    or not verify_inclusion(bytes.fromhex(dataset["train_rows_root"]), row, proof)):
                raise _Opening(f"row {union_index} is not proved against its dataset")
            values = np.frombuffer(row, dtype="<i8").astype(np.int64)
            if len(values) != dataset["feature_count"] + 1:
                raise _Opening("a row of the wrong length")
            features.append(values[:-1])
            labels.append(values[-1])
        batch = Batch(tuple(wanted), np.array(features, dtype=np.int64),
                      np.array(labels, dtype=np.int64))
        try:
            post_state = step(pre_state, batch, public_step_values(recipe, dispute.low))
        except ArithmeticError:  # the honest step leaves the parameter range: no claim is right
            return None
        return post_state.digest().hex()

    # -- money --------------------------------------------------------------------------

    def check_ending(self, transaction: LedgerTransaction, job_id: str, before: dict[str, Any],
                     after: dict[str, Any], dispute: _FollowedDispute | None) -> None:
        """A vendor convicted in a dispute ends the job; a job that ends is paid out once,
        by the rules, in the right status, with the model delivered
        exactly when no vendor was convicted."""
        where = f"block {transaction.block} tx {transaction.position} ({transaction.function})"
        if before.get("payouts") is not None:
            if after.get("payouts") != before["payouts"]:
                self.report.problems.append(f"{where}: job {job_id} is paid out a second time")
            return
        new_verdicts = after["verdicts"][len(before["verdicts"]):]
        if transaction.function == "timeout" and before["status"] == "RUNNING":
            trained = (all(vendor in before["confirmed"] for vendor in before["vendors"])
                       and bool(before["results"]))
            ended = after.get("payouts") is not None
            if trained and (ended or (after["status"], after["deadline"]) != (
                    "DELIVERED", transaction.timestamp + before["window"])):
                self.report.problems.append(
                    f"{where}: job {job_id} is {after['status']} with deadline "
                    f"{after['deadline']} after its running deadline passed with results "
                    "submitted; the rules return it to DELIVERED with a fresh deadline, "
                    "the submitted results open to audit")
                return
            if not trained and not ended:
                self.report.problems.append(
                    f"{where}: job {job_id} is {after['status']} after its running deadline "
                    "passed before any result was submitted; the rules end it")
                return
        if after.get("payouts") is None:
            if before["status"] == "DISPUTED" and any(
                    verdict["convicted"] in before["vendors"] for verdict in new_verdicts):
                self.report.problems.append(
                    f"{where}: job {job_id} is {after['status']} after a vendor's conviction "
                    "in a dispute; the rules end the job (one re-execution per job)")
            return
        escrow_before = self.state.get(f"escrow/{job_id}", 0)
        paid = sum(amount for _, amount in after["payouts"])
        if paid != escrow_before or paid != sum(after["deposits"].values()):
            self.report.problems.append(f"{where}: job {job_id} paid {paid} out of an escrow "
                                        f"of {escrow_before}")
        if any(amount < 0 for _, amount in after["payouts"]):
            self.report.problems.append(f"{where}: job {job_id} pays a negative amount")
        config = self.state["market/config"]
        audit_probability = Fraction(str(config["rules"]["market"]["audit_probability"]))
        expected = expected_ending(after, config["treasury"], audit_probability,
                                   before["status"], transaction.function, dispute)
        recorded = (after["status"], after["model_delivered"], _credits(after["payouts"]))
        if recorded != expected:
            self.report.problems.append(
                f"{where}: job {job_id} ends as {recorded[0]} (model delivered: {recorded[1]}) "
                f"paying {recorded[2]}; the rules give {expected[0]} (model delivered: "
                f"{expected[1]}) paying {expected[2]}")

    def check_conservation(self) -> None:
        held = sum(value for key, value in self.state.items()
                   if key.startswith(("balance/", "escrow/")))
        minted = sum(value for key, value in self.state.items() if key.startswith("minted/"))
        self.report.tokens_conserved = held == minted
        if held != minted:
            self.report.problems.append(f"balances and escrows hold {held} but {minted} "
                                        "were minted")


def _credits(payouts: Iterable[tuple[str, int | Fraction] | list[Any]]) -> dict[str, int | Fraction]:
    """Payouts summed per account, accounts that receive nothing left out."""
    totals: dict[str, int | Fraction] = {}
    for account, amount in payouts:
        totals[account] = totals.get(account, 0) + amount
    return {account: amount for account, amount in sorted(totals.items()) if amount != 0}


def expected_ending(job: dict[str, Any], treasury: str, audit_probability: Fraction,
                    status_before: str, function: str,
                    dispute: _FollowedDispute | None) -> tuple[str, bool, dict[str, int | Fraction]]:
    """``(status, model delivered, credits per account)`` the payout rules give a job that
    ends with ``job``'s verdicts (all of them, earlier disputes' included)."""
    verdicts = [(verdict["convicted"], verdict["offence"]) for verdict in job["verdicts"]]
    credits: list[tuple[str, int | Fraction]] = []
    if not verdicts and (function == "deny_access"
                         or status_before in ("REQUESTED", "LICENSED")):
        status = "CANCELLED" if function == "deny_access" else "EXPIRED"
        return status, False, _credits(job["deposits"].items())
    owners = [(job["owners"][dataset], dataset) for dataset in job["datasets"]]
    developer_deposit = (sum(job["prices"].values()) + sum(job["fees"].values())
                         + job["developer_bond"])
    last_convicted, last_offence = verdicts[-1] if verdicts else (None, None)
    if last_offence in COMPLAINT_OFFENCES:
        evidence = job["verdicts"][-1]["evidence"]
        complainant, dataset = evidence["complainant"], evidence["dataset"]
        credits.append((job["developer"], developer_deposit))
        if last_offence == "DEFECTIVE_INPUTS":
            # the other owners released their data: bond back plus price, out of the
            # guilty owner's bond, which first pays the complainant G
            others = [(owner, other) for owner, other in owners if other != dataset]
            credits += [(owner, job["owner_bond"] + job["prices"][other])
                        for owner, other in others]
            credits += [(vendor, job["vendor_stake"]) for vendor in job["vendors"]]
            credits += [(complainant, job["dispute_cost"]),
                        (treasury, job["owner_bond"] - job["dispute_cost"]
                         - sum(job["prices"][other] for _, other in others))]
        else:
            credits += [(owner, job["owner_bond"] + job["prices"][owned])
                        for owner, owned in owners]
            credits += [(vendor, job["vendor_stake"]) for vendor in job["vendors"]
                        if vendor != complainant]
            credits.append((treasury, job["vendor_stake"] - sum(job["prices"].values())))
        return "RESOLVED", False, _credits(credits)
    guilty = {party for party, _ in verdicts if party in job["vendors"]}
    misusers = {party for party, offence in verdicts if offence == "DATA_MISUSE"}
    credits += [(owner, job["prices"][dataset] + job["owner_bond"]) for owner, dataset in owners]
    credits += [(vendor, job["fees"][vendor] + job["vendor_stake"])
                for vendor in job["vendors"] if vendor not in guilty]
    if last_convicted == job["developer"] and dispute is not None:
        compensation = job["dispute_cost"] * dispute.answers  # the rounds it answered itself
        credits += [(dispute.respondent, compensation),
                    (treasury, job["developer_bond"] - compensation)]
    else:
        credits.append((job["developer"], job["developer_bond"]))
    for vendor in guilty:
        forfeited = job["fees"][vendor] + job["vendor_stake"]
        if vendor in misusers:
            for owner, dataset in owners:
                compensation = Fraction(job["misuse_values"][dataset]) / audit_probability
                credits.append((owner, compensation))  # W / q: a non-whole value never matches
                forfeited -= compensation
        credits.append((job["developer"], forfeited))
    after_delivery = status_before in ("DELIVERED", "DISPUTED") and function != "report_misuse"
    status = "SETTLED" if not verdicts else "RESOLVED"
    return status, after_delivery and not guilty, _credits(credits)


def trusted_time(transaction: LedgerTransaction) -> int:
    """When the ledger says ``transaction`` happened: its block's orderer-signed time (the
    signed timestamp only where there is no block, e.g. a memory ledger)."""
    return (transaction.block_time if transaction.block_time is not None
            else transaction.timestamp)


def check_ledger(directory: str | Path) -> EvidenceReport:
    """Recompute every verdict recorded in the ledger at ``directory``."""
    return EvidenceChecker().run(read_transactions(directory, MARKETPLACE))
