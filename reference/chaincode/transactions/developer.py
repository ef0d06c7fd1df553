"""The developer: ``accept_result`` or ``dispute_result`` (the chapter of the same name in
``spec/actions.py``).
"""

from __future__ import annotations

from reference.chaincode.arguments import (
    MAX_COUNT,
)
from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.records import (
    DisputeRecord,
    Status,
    Turn,
)
from reference.chaincode.shared_checks import SharedChecks, disputable_vendor


class DeveloperTransactions(SharedChecks, Escrow):
    """The developer: ``accept_result`` or ``dispute_result``."""

    def accept_result(self, call: Call) -> None:
        """The developer accepts what the job delivered: settled, or resolved against the
        vendors convicted in earlier disputes."""
        job_id = call.args.identifier("job")
        call.args.done()
        job = self.developer_move(call, job_id, Status.DELIVERED)
        self.require_on_time(call, job)
        self.end_after_delivery(call, job)

    def dispute_result(self, call: Call) -> None:
        """The developer disputes one vendor not yet convicted: the bisection game opens
        over the whole transcript."""
        args = call.args
        job_id = args.identifier("job")
        vendor = args.identifier("vendor")
        root = args.digest("transcript_root")
        steps = args.integer("steps", MAX_COUNT)
        final_digest = args.digest("final_digest")
        final_proof = args.raw("final_proof")
        args.done()
        job = disputable_vendor(self, call, job_id, vendor)
        self.require_transcript(job, root, steps, final_digest, final_proof)
        result = job.results[vendor]
        if final_digest == result.final_digest:
            raise Rejected(MarketCode.NO_DISAGREEMENT,
                           f"the claimed final digest equals {vendor}'s")
        turn = Turn.CLAIMANT if job.steps > 1 else Turn.RESOLVE
        job.disputes.append(DisputeRecord(
            respondent=vendor, claimant_root=root, claimant_final=final_digest, low=0,
            high=job.steps, turn=turn, high_claimant_digest=final_digest,
            high_respondent_digest=result.final_digest))
        job.status = Status.DISPUTED
        job.deadline = call.now + job.window
        self.store(call, job)
