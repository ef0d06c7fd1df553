"""Moving tokens: locking deposits into a job's escrow, and ending a job by paying the whole
escrow out once (settled, resolved, cancelled, or back to delivered after a conviction)."""

from __future__ import annotations

from typing import Any

import reference.chaincode.payouts as payout_rules  # called through the module: one patch point for tests
from reference.chaincode.call import Call
from reference.chaincode.payouts import (
    Payouts,
)
from reference.chaincode.records import (
    JobRecord,
    Status,
    VerdictRecord,
    offer_key,
)


class Escrow:
    """Escrow and the ways a job ends or returns to DELIVERED."""

    @staticmethod
    def lock(call: Call, job: JobRecord, party: str, amount: int) -> None:
        """Move ``amount`` from ``party``'s balance into the job's escrow."""
        state = call.state
        state.put_balance(party, state.balance(party) - amount)
        state.put_escrow(job.job_id, state.escrow(job.job_id) + amount)
        job.deposits[party] = job.deposits.get(party, 0) + amount

    def close(self, call: Call, job: JobRecord, status: str, payouts: Payouts,
              verdicts: list[VerdictRecord] | None = None) -> None:
        """Pay the whole escrow out once, end the job in ``status`` and free vendor capacity."""
        state = call.state
        escrow = state.escrow(job.job_id)
        paid = sum(amount for _, amount in payouts)
        if paid != escrow or escrow != sum(job.deposits.values()):
            raise RuntimeError(f"payout of {paid} for job {job.job_id} whose escrow holds {escrow}")
        if any(amount < 0 for _, amount in payouts):
            raise RuntimeError(f"negative payout for job {job.job_id}: {payouts}")
        credits: dict[str, int] = {}
        for account, amount in payouts:
            credits[account] = credits.get(account, 0) + amount
        for account in sorted(credits):
            state.put_balance(account, state.balance(account) + credits[account])
        state.put_escrow(job.job_id, 0)
        for vendor in job.accepted_by:
            offer = state.offer(vendor)
            assert offer is not None
            offer.active_jobs -= 1
            state.put_json(offer_key(vendor), offer.to_json_value())
        job.status = status
        job.payouts = [[account, amount] for account, amount in payouts]
        job.verdicts.extend(verdicts or [])
        state.put_job(job)
        call.summary.update(self.job_summary(job))
        call.summary["new_verdicts"] = [verdict.to_json_value() for verdict in verdicts or []]

    def end_after_delivery(self, call: Call, job: JobRecord,
                           verdicts: list[VerdictRecord] | None = None,
                           payouts: Payouts | None = None) -> None:
        """Close a job whose results were delivered. With no vendor convicted (in earlier
        disputes or by ``verdicts``) the developer receives the model, and the job is
        SETTLED when nobody at all was convicted; otherwise the job is RESOLVED and the
        convicted vendors forfeit fee and stake to the developer."""
        verdicts = verdicts or []
        guilty = job.convicted_vendors | {verdict.convicted for verdict in verdicts
                                          if verdict.convicted in job.vendors}
        if payouts is None:
            payouts = payout_rules.pay_settlement(job, guilty)
        job.model_delivered = not guilty
        status = Status.SETTLED if not guilty and not verdicts else Status.RESOLVED
        self.close(call, job, status, payouts, verdicts)

    def delivered_in_part(self, call: Call, job: JobRecord,
                          verdicts: list[VerdictRecord]) -> None:
        """A running job's deadline passed after training started and some vendors
        submitted: the silent ones are convicted and the submitted results stay open to
        the developer's audit, as after a delivery (DELIVERED with a fresh deadline; the
        convicted vendors cannot be disputed and forfeit at the end)."""
        job.verdicts.extend(verdicts)
        job.status = Status.DELIVERED
        job.deadline = call.now + job.window
        self.store(call, job)
        call.summary["new_verdicts"] = [verdict.to_json_value() for verdict in verdicts]

    @staticmethod
    def job_summary(job: JobRecord) -> dict[str, Any]:
        return {"job": job.job_id, "status": job.status, "deadline": job.deadline,
                "verdicts": [verdict.to_json_value() for verdict in job.verdicts]}

    def store(self, call: Call, job: JobRecord) -> None:
        call.state.put_job(job)
        call.summary.update(self.job_summary(job))
