"""Deadlines: ``timeout`` (the chapter of the same name in ``spec/actions.py``).
"""

from __future__ import annotations

from typing import Any

import reference.chaincode.payouts as payout_rules  # called through the module: one patch point for tests
from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.payouts import (
    pay_false_dispute,
    refund_everyone,
)
from reference.chaincode.records import (
    JobRecord,
    Offence,
    Status,
    TranscriptRecord,
    Turn,
    VerdictRecord,
    transcript_key,
)
from reference.chaincode.transactions.bisection import BisectionTransactions


class DeadlineTransactions(BisectionTransactions):
    """Deadlines: ``timeout``."""

    def timeout(self, call: Call) -> None:
        """The party that had to act and did not loses what the rules say: before any data
        was released the job expires; the silent vendors of a running job are convicted
        (:func:`silent_vendors`) — and if training had started and some vendors submitted,
        the job goes on to DELIVERED so the developer can audit, dispute or accept their
        results, else it is resolved; the developer's silence at DELIVERED is acceptance. In a dispute the respondent's
        silence costs it only its compensation: its committed digest at the midpoint
        (published with its result) is opened for it and the bisection goes on. The
        developer raised the dispute and bears its burden: silent on its turn, or leaving
        the narrowed step unresolved, it is convicted and the job settles as after a false
        dispute."""
        job_id = call.args.identifier("job")
        call.args.done()
        self.signer(call, None)
        job = self.existing_job(call, job_id)
        if job.status in Status.TERMINAL:
            raise Rejected(MarketCode.WRONG_STATUS, f"job {job_id} is {job.status}; "
                                                          "no deadline is running")
        if not call.past(job.deadline):
            raise Rejected(MarketCode.DEADLINE_NOT_PASSED,
                           f"job {job_id}'s deadline {job.deadline} has not passed (now {call.now})")
        evidence: dict[str, Any] = {"status": job.status, "deadline": job.deadline,
                                    "now": call.now}
        if job.status in (Status.REQUESTED, Status.LICENSED):
            self.close(call, job, Status.EXPIRED, refund_everyone(job))
        elif job.status == Status.RUNNING:
            silent = silent_vendors(job)
            verdicts = [VerdictRecord(vendor, Offence.MISSED_DEADLINE, dict(evidence))
                        for vendor in job.vendors if vendor in silent]
            if len(job.confirmed) == len(job.vendors) and job.results:
                self.delivered_in_part(call, job, verdicts)
            else:
                self.close(call, job, Status.RESOLVED, payout_rules.pay_settlement(job, silent), verdicts)
        elif job.status == Status.DELIVERED:
            self.end_after_delivery(call, job)
        else:
            dispute = job.dispute
            assert dispute is not None
            if dispute.turn == Turn.RESPONDENT:
                transcript = call.state.get_json(transcript_key(job_id, dispute.respondent))
                committed = TranscriptRecord.from_json_value(transcript)
                self.open_respondent_digest(call, job, committed.digest_after(dispute.midpoint),
                                            by_respondent=False)
                return
            evidence.update({"respondent": dispute.respondent, "turn": dispute.turn})
            verdict = VerdictRecord(job.developer, Offence.MISSED_DEADLINE, evidence)
            payouts = pay_false_dispute(job, dispute.respondent, dispute.answers,
                                        call.config.treasury)
            self.end_after_delivery(call, job, [verdict], payouts)


def silent_vendors(job: JobRecord) -> set[str]:
    """The vendors of a running job that missed the step its deadline was for: while some
    vendor has not confirmed its inputs, those that have not confirmed (a vendor that
    confirmed could not submit yet); once all have, those that have not submitted."""
    if len(job.confirmed) < len(job.vendors):
        return {vendor for vendor in job.vendors if vendor not in job.confirmed}
    return {vendor for vendor in job.vendors if vendor not in job.results}
