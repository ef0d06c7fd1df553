"""Misuse of data: ``report_misuse`` (the chapter of the same name in ``spec/actions.py``).
"""

from __future__ import annotations

import reference.chaincode.payouts as payout_rules  # called through the module: one patch point for tests
from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.evidence import (
    misuse_is_proved,
)
from reference.chaincode.records import (
    Offence,
    Status,
    VerdictRecord,
)
from reference.chaincode.shared_checks import SharedChecks


class MisuseTransactions(SharedChecks, Escrow):
    """Misuse of data: ``report_misuse``."""

    def report_misuse(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        vendor = call.args.identifier("vendor")
        artefact = call.args.raw("artefact", optional=True)
        call.args.done()
        reporter = self.signer(call, "data_owner").name
        job = self.existing_job(call, job_id)
        if job.status not in Status.STAKED:
            raise Rejected(MarketCode.WRONG_STATUS,
                           f"job {job_id} is {job.status}; vendors hold no data under stake")
        if reporter not in job.owners.values():
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{reporter} owns no dataset of {job_id}")
        if vendor not in job.vendors:
            raise Rejected(MarketCode.VENDOR_NOT_IN_JOB, f"{vendor} is not a vendor of {job_id}")
        vendor_identity = call.state.identity(vendor)
        assert vendor_identity is not None
        licensed = {}
        for dataset_id in job.datasets:
            dataset = call.state.dataset(dataset_id)
            assert dataset is not None
            licensed[dataset_id] = dataset.licence.purposes
        proved, why = misuse_is_proved(artefact, job_id, vendor, vendor_identity.public_key, licensed)
        if not proved:
            raise Rejected(MarketCode.EVIDENCE_MISSING, why)
        evidence = {"artefact": artefact, "reporter": reporter}
        verdict = VerdictRecord(vendor, Offence.DATA_MISUSE, evidence)
        payouts = payout_rules.pay_settlement(job, job.convicted_vendors | {vendor}, misuser=vendor)
        self.close(call, job, Status.RESOLVED, payouts, [verdict])
