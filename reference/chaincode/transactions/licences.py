"""Licences: the data owners' ``grant_access`` and ``deny_access`` (the chapter of the same
name in ``spec/actions.py``).
"""

from __future__ import annotations

from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.evidence import (
    receipt_is_signed,
)
from reference.chaincode.payouts import (
    refund_everyone,
)
from reference.chaincode.records import (
    GrantRecord,
    JobRecord,
    Status,
    dataset_key,
)
from reference.chaincode.shared_checks import SharedChecks


class LicenceTransactions(SharedChecks, Escrow):
    """Licences: the data owners' ``grant_access`` and ``deny_access``."""

    def answer_access(self, call: Call, job_id: str, dataset_id: str) -> JobRecord:
        """The checks shared by ``grant_access`` and ``deny_access``, in order."""
        self.signer(call, "data_owner")
        job = self.existing_job(call, job_id)
        self.require_status(job, Status.REQUESTED)
        if dataset_id not in job.datasets:
            raise Rejected(MarketCode.DATASET_NOT_IN_JOB, f"{dataset_id} is not a dataset of {job_id}")
        if job.owners[dataset_id] != call.creator.name:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{dataset_id} belongs to {job.owners[dataset_id]}")
        if dataset_id in job.grants:
            raise Rejected(MarketCode.ALREADY_ANSWERED, f"{dataset_id} was already granted for {job_id}")
        self.require_on_time(call, job)
        return job

    def grant_access(self, call: Call) -> None:
        args = call.args
        job_id = args.identifier("job")
        dataset_id = args.identifier("dataset")
        delivery_digest = args.digest("delivery_digest")
        key_digests = args.digest_map("key_digests")
        receipts = args.hex_map("receipts")
        args.done()
        job = self.answer_access(call, job_id, dataset_id)
        dataset = call.state.dataset(dataset_id)
        assert dataset is not None
        if dataset.uses >= dataset.licence.max_uses:
            raise Rejected(MarketCode.LICENCE_EXHAUSTED, f"{dataset_id}'s licence has no use left")
        self.require_funds(call, call.creator.name, job.owner_bond, "the owner bond")
        if set(key_digests) != set(job.vendors) or set(receipts) != set(job.vendors):
            raise Rejected(MarketCode.BAD_DELIVERY_RECEIPT,
                           "key_digests and receipts must name exactly the job's vendors")
        owner = call.state.identity(call.creator.name)
        assert owner is not None
        for vendor in job.vendors:
            if not receipt_is_signed(owner.public_key, job_id, dataset_id, delivery_digest,
                                     vendor, receipts[vendor]):
                raise Rejected(MarketCode.BAD_DELIVERY_RECEIPT,
                               f"the delivery receipt for {vendor} is not signed by {owner.name}")
        self.lock(call, job, call.creator.name, job.owner_bond)
        job.grants[dataset_id] = GrantRecord(
            delivery_digest, key_digests, {vendor: receipts[vendor].hex() for vendor in job.vendors})
        dataset.uses += 1
        call.state.put_json(dataset_key(dataset_id), dataset.to_json_value())
        if len(job.grants) == len(job.datasets):
            job.status = Status.LICENSED
            job.deadline = call.now + job.window
        self.store(call, job)

    def deny_access(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        dataset_id = call.args.identifier("dataset")
        call.args.done()
        job = self.answer_access(call, job_id, dataset_id)
        self.close(call, job, Status.CANCELLED, refund_everyone(job))
