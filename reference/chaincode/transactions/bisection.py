"""The bisection game: ``bisect_query``, ``bisect_answer``, ``resolve_step`` (the chapter of
the same name in ``spec/actions.py``).
"""

from __future__ import annotations

from typing import Any

from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.evidence import (
    DatasetRows,
    EvidenceError,
    opens_step_digest,
    re_execute_step,
)
from reference.chaincode.payouts import (
    pay_false_dispute,
)
from reference.chaincode.records import (
    JobRecord,
    Offence,
    Status,
    Turn,
    VerdictRecord,
)
from reference.chaincode.shared_checks import SharedChecks
from reference.chaincode.shared_disputes import convict_shared_step as shared_step_verdict


class BisectionTransactions(SharedChecks, Escrow):
    """The bisection game: ``bisect_query``, ``bisect_answer``, ``resolve_step``."""

    def bisection_checks(self, call: Call, job_id: str, role: str, turn: str,
                         digest: str, proof: Any) -> JobRecord:
        """The checks shared by ``bisect_query`` and ``bisect_answer``, in order."""
        self.signer(call, role)
        job = self.existing_job(call, job_id)
        self.require_status(job, Status.DISPUTED)
        dispute = job.dispute
        assert dispute is not None
        side = job.developer if turn == Turn.CLAIMANT else dispute.respondent
        if call.creator.name != side:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{call.creator.name} is not the {turn} of {job_id}")
        if dispute.turn == Turn.RESOLVE:
            raise Rejected(MarketCode.BISECTION_FINISHED, "the disagreement is one step wide")
        if dispute.turn != turn:
            raise Rejected(MarketCode.NOT_YOUR_TURN, f"it is the {dispute.turn}'s turn")
        self.require_on_time(call, job)
        root = (dispute.claimant_root if turn == Turn.CLAIMANT
                else job.results[dispute.respondent].transcript_root)
        if not opens_step_digest(root, job.steps, dispute.midpoint, digest, proof):
            raise Rejected(MarketCode.NOT_COMMITTED,
                           f"the digest is not the committed digest after step {dispute.midpoint}")
        return job

    def bisect_query(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        digest = call.args.digest("digest")
        proof = call.args.raw("proof")
        call.args.done()
        job = self.bisection_checks(call, job_id, "developer", Turn.CLAIMANT, digest, proof)
        dispute = job.dispute
        assert dispute is not None
        dispute.query_digest = digest
        dispute.turn = Turn.RESPONDENT
        job.deadline = call.now + job.window
        self.store(call, job)
        call.summary.update({"position": dispute.midpoint})

    def bisect_answer(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        digest = call.args.digest("digest")
        proof = call.args.raw("proof")
        call.args.done()
        job = self.bisection_checks(call, job_id, "vendor", Turn.RESPONDENT, digest, proof)
        self.open_respondent_digest(call, job, digest, by_respondent=True)

    def open_respondent_digest(self, call: Call, job: JobRecord, digest: str,
                               by_respondent: bool) -> None:
        """The respondent's committed digest at the midpoint is open (by its
        ``bisect_answer``, or by ``timeout`` for a silent respondent): the interval keeps
        the half where the sides still disagree and the claimant moves next (or anyone
        resolves a one-step disagreement), before a fresh deadline."""
        dispute = job.dispute
        assert dispute is not None and dispute.query_digest is not None
        middle = dispute.midpoint
        agreed = digest == dispute.query_digest
        if agreed:
            dispute.low, dispute.low_digest = middle, digest
        else:
            dispute.high = middle
            dispute.high_claimant_digest, dispute.high_respondent_digest = dispute.query_digest, digest
        dispute.query_digest = None
        dispute.turn = Turn.RESOLVE if dispute.high - dispute.low == 1 else Turn.CLAIMANT
        dispute.rounds += 1
        if by_respondent:
            dispute.answers += 1
        job.deadline = call.now + job.window
        self.store(call, job)
        call.summary.update({"position": middle, "agreed": agreed, "low": dispute.low,
                             "high": dispute.high, "answered_by_respondent": by_respondent})

    def resolve_step(self, call: Call) -> None:
        """Anyone re-executes the narrowed step, before its deadline, from openings: a wrong
        respondent is convicted, a right one convicts the developer of a false dispute;
        either ends the job (one re-execution per job, spec decision 0031)."""
        args = call.args
        job_id = args.identifier("job")
        recipe = args.json_object("recipe")
        pre_state = args.json_object("pre_state")
        batch = args.json_list("batch")
        args.done()
        self.signer(call, None)
        job = self.existing_job(call, job_id)
        self.require_status(job, Status.DISPUTED)
        dispute = job.dispute
        assert dispute is not None
        if dispute.turn != Turn.RESOLVE:
            raise Rejected(MarketCode.BISECTION_UNFINISHED,
                           f"the disagreement spans steps {dispute.low}..{dispute.high}")
        self.require_on_time(call, job)
        state = call.state
        model = state.model(job.model)
        assert model is not None
        rows = []
        for dataset_id in job.datasets:
            dataset = state.dataset(dataset_id)
            assert dataset is not None
            rows.append(DatasetRows(dataset_id, dataset.train_rows_root, dataset.train_rows,
                                    dataset.feature_count))
        try:
            outcome = re_execute_step(recipe, model.commitment, pre_state, dispute.low_digest,
                                      dispute.low, rows, batch, dispute.high_respondent_digest)
        except EvidenceError as problem:
            raise Rejected(MarketCode.BAD_STEP_EVIDENCE, str(problem)) from None
        evidence = {"respondent": dispute.respondent, "step": dispute.high,
                    "pre_state": outcome.pre_state_digest,
                    "expected": outcome.recomputed_digest,
                    "respondent_digest": dispute.high_respondent_digest,
                    "claimant_digest": dispute.high_claimant_digest,
                    "resolved_by": call.creator.name}
        if outcome.recomputed_digest != dispute.high_respondent_digest:
            self.end_after_delivery(call, job, [VerdictRecord(dispute.respondent,
                                                              Offence.WRONG_COMPUTATION, evidence)])
            return
        verdict = VerdictRecord(job.developer, Offence.FALSE_DISPUTE, evidence)
        payouts = pay_false_dispute(job, dispute.respondent, dispute.answers, call.config.treasury)
        self.end_after_delivery(call, job, [verdict], payouts)

    def convict_shared_step(self, call: Call) -> None:
        """The ledger's verdict on a secret-shared step: the vendor the public state check
        names, from the committed step records and the referee's replay
        (:mod:`reference.chaincode.shared_disputes`)."""
        shared_step_verdict(self, call)
