"""Vendors: ``accept_job``, ``confirm_inputs``, ``complain_inputs``, ``submit_result`` (the
chapter of the same name in ``spec/actions.py``).
"""

from __future__ import annotations

from reference.chaincode.arguments import (
    MAX_COUNT,
    MAX_STEPS,
)
from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.evidence import (
    transcript_root_of,
)
from reference.chaincode.payouts import (
    pay_defective_inputs,
    pay_false_complaint,
)
from reference.chaincode.records import (
    JobRecord,
    Offence,
    ResultRecord,
    Status,
    TranscriptRecord,
    VerdictRecord,
    offer_key,
    transcript_key,
)
from reference.chaincode.shared_checks import SharedChecks


class VendorTransactions(SharedChecks, Escrow):
    """Vendors: ``accept_job``, ``confirm_inputs``, ``complain_inputs``, ``submit_result``."""

    def accept_job(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        call.args.done()
        job = self.vendor_move(call, job_id, Status.LICENSED)
        vendor = call.creator.name
        if vendor in job.accepted_by:
            raise Rejected(MarketCode.ALREADY_ANSWERED, f"{vendor} already accepted {job_id}")
        self.require_on_time(call, job)
        offer = call.state.offer(vendor)
        assert offer is not None
        if offer.active_jobs >= offer.capacity:
            raise Rejected(MarketCode.VENDOR_AT_CAPACITY, f"{vendor} runs {offer.active_jobs} of "
                                                   f"{offer.capacity} jobs")
        self.require_funds(call, vendor, job.vendor_stake, "the vendor stake")
        self.lock(call, job, vendor, job.vendor_stake)
        offer.active_jobs += 1
        call.state.put_json(offer_key(vendor), offer.to_json_value())
        job.accepted_by.append(vendor)
        if len(job.accepted_by) == len(job.vendors):
            job.status = Status.RUNNING
            job.deadline = call.now + job.window
        self.store(call, job)

    def report_inputs_checks(self, call: Call, job_id: str) -> JobRecord:
        """The checks shared by ``confirm_inputs`` and ``complain_inputs``, in order."""
        job = self.vendor_move(call, job_id, Status.RUNNING)
        if call.creator.name in job.confirmed:
            raise Rejected(MarketCode.ALREADY_ANSWERED, f"{call.creator.name} already confirmed its inputs")
        self.require_on_time(call, job)
        return job

    def confirm_inputs(self, call: Call) -> None:
        """Refused while the ledger shows a defective delivery: some grant's signed
        delivery digest differs from its dataset's commitment (the confirmation would
        contradict the evidence; the vendor's choices are the complaint or silence)."""
        job_id = call.args.identifier("job")
        call.args.done()
        job = self.report_inputs_checks(call, job_id)
        for dataset_id in job.datasets:
            dataset = call.state.dataset(dataset_id)
            assert dataset is not None
            if job.grants[dataset_id].delivery_digest != dataset.commitment:
                raise Rejected(MarketCode.INPUTS_DEFECTIVE,
                               f"the delivery of {dataset_id} is not its registered commitment")
        job.confirmed.append(call.creator.name)
        self.store(call, job)

    def complain_inputs(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        dataset_id = call.args.identifier("dataset")
        call.args.done()
        job = self.report_inputs_checks(call, job_id)
        if dataset_id not in job.datasets:
            raise Rejected(MarketCode.DATASET_NOT_IN_JOB, f"{dataset_id} is not a dataset of {job_id}")
        complainant = call.creator.name
        grant = job.grants[dataset_id]
        dataset = call.state.dataset(dataset_id)
        assert dataset is not None
        evidence = {"dataset": dataset_id, "delivery_digest": grant.delivery_digest,
                    "commitment": dataset.commitment, "complainant": complainant,
                    "receipt_signature": grant.receipts[complainant]}
        treasury = call.config.treasury
        if grant.delivery_digest != dataset.commitment:
            verdict = VerdictRecord(job.owners[dataset_id], Offence.DEFECTIVE_INPUTS, evidence)
            payouts = pay_defective_inputs(job, dataset_id, complainant, treasury)
        else:
            verdict = VerdictRecord(complainant, Offence.FALSE_COMPLAINT, evidence)
            payouts = pay_false_complaint(job, complainant, treasury)
        self.close(call, job, Status.RESOLVED, payouts, [verdict])

    def submit_result(self, call: Call) -> None:
        args = call.args
        job_id = args.identifier("job")
        root = args.digest("transcript_root")
        steps = args.integer("steps", MAX_COUNT)
        final_digest = args.digest("final_digest")
        final_proof = args.raw("final_proof")
        step_digests = args.digest_list("step_digests", MAX_STEPS)
        record_digests = args.optional_digest_list("record_digests", MAX_STEPS)
        args.done()
        job = self.vendor_move(call, job_id, Status.RUNNING)
        vendor = call.creator.name
        unconfirmed = [other for other in job.vendors if other not in job.confirmed]
        if unconfirmed:
            raise Rejected(MarketCode.INPUTS_NOT_CONFIRMED,
                           f"training starts once every vendor confirmed; waiting for {', '.join(unconfirmed)}")
        if vendor in job.results:
            raise Rejected(MarketCode.ALREADY_ANSWERED, f"{vendor} already submitted")
        self.require_on_time(call, job)
        self.require_transcript(job, root, steps, final_digest, final_proof)
        if len(step_digests) != steps or transcript_root_of(step_digests) != root:
            raise Rejected(MarketCode.INVALID_TRANSCRIPT,
                           "step_digests are not the leaves of the transcript root")
        if record_digests is not None and len(record_digests) != steps:
            raise Rejected(MarketCode.INVALID_TRANSCRIPT, "record_digests must have one digest per step")
        job.results[vendor] = ResultRecord(root, steps, final_digest)
        call.state.put_json(transcript_key(job_id, vendor), TranscriptRecord(
            job_id, vendor, root, step_digests, record_digests).to_json_value())
        if len(job.results) == len(job.vendors):
            job.status = Status.DELIVERED
            job.deadline = call.now + job.window
        self.store(call, job)
