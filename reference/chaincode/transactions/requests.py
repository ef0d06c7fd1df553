"""Requesting training: ``request_training`` (the chapter of the same name in
``spec/actions.py``).
"""

from __future__ import annotations

from reference.chaincode.arguments import (
    MAX_COUNT,
    MAX_STEPS,
    MAX_WINDOW,
    malformed,
)
from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.records import (
    DatasetRecord,
    JobRecord,
    Status,
)
from reference.chaincode.regions import refusal_reason
from reference.chaincode.rules import (
    SAFETY_CONSTRAINTS,
    JobTerms,
    StakeRules,
    misuse_compensation,
)
from reference.chaincode.shared_checks import SharedChecks


class RequestTransactions(SharedChecks, Escrow):
    """Requesting training: ``request_training``."""

    def request_training(self, call: Call) -> None:
        args = call.args
        job_id = args.identifier("job")
        model_id = args.identifier("model")
        dataset_ids = args.identifier_list("datasets")
        vendor_ids = args.identifier_list("vendors")
        purpose = args.text("purpose")
        steps = args.integer("steps", MAX_COUNT)
        window = args.integer("window", MAX_WINDOW)
        vendor_stake = args.integer("vendor_stake")
        developer_bond = args.integer("developer_bond")
        owner_bond = args.integer("owner_bond")
        args.done()
        if steps > MAX_STEPS:
            raise malformed("steps", f"at most {MAX_STEPS}: every step digest is published "
                                     "on the ledger")
        developer = self.signer(call, "developer").name
        state = call.state
        if state.job(job_id) is not None:
            raise Rejected(MarketCode.JOB_EXISTS, f"job {job_id!r} exists")
        model = state.model(model_id)
        if model is None:
            raise Rejected(MarketCode.UNKNOWN_MODEL, f"no model {model_id!r}")
        if model.owner != developer:
            raise Rejected(MarketCode.NOT_MODEL_OWNER, f"model {model_id} belongs to {model.owner}")
        if (not dataset_ids or not vendor_ids or len(set(dataset_ids)) != len(dataset_ids)
                or len(set(vendor_ids)) != len(vendor_ids)):
            raise Rejected(MarketCode.INVALID_PARTIES,
                           "a job needs at least one dataset and one vendor, each named once")
        datasets = []
        for dataset_id in dataset_ids:
            dataset = state.dataset(dataset_id)
            if dataset is None:
                raise Rejected(MarketCode.UNKNOWN_DATASET, f"no dataset {dataset_id!r}")
            datasets.append(dataset)
        offers = []
        for vendor_id in vendor_ids:
            offer = state.offer(vendor_id)
            if offer is None:
                raise Rejected(MarketCode.UNKNOWN_VENDOR, f"{vendor_id!r} has no vendor offer")
            offers.append(offer)
        if steps < 1 or window < 1:
            raise Rejected(MarketCode.INVALID_TERMS,
                           f"steps {steps} and window {window} must both be at least 1")
        for dataset in datasets:
            if purpose not in dataset.licence.purposes:
                raise Rejected(MarketCode.PURPOSE_NOT_LICENSED,
                               f"{dataset.dataset}'s licence does not allow {purpose!r}")
        for dataset in datasets:
            if not call.on_time_for(dataset.licence.expiry):
                raise Rejected(MarketCode.LICENCE_EXPIRED,
                               f"{dataset.dataset}'s licence expired at {dataset.licence.expiry}")
        for dataset in datasets:
            if dataset.uses >= dataset.licence.max_uses:
                raise Rejected(MarketCode.LICENCE_EXHAUSTED,
                               f"{dataset.dataset}'s licence has no use left")
        rules = self.rules(call)
        terms = JobTerms(prices=[dataset.price for dataset in datasets],
                         fees=[offer.fee for offer in offers],
                         costs=[offer.cost for offer in offers],
                         misuse_values=[dataset.misuse_value for dataset in datasets],
                         steps=steps, vendor_stake=vendor_stake,
                         developer_bond=developer_bond, owner_bond=owner_bond)
        checked = StakeRules(rules.dispute_cost, rules.audit_probability,
                             rules.constraints + SAFETY_CONSTRAINTS, rules.source)
        failure = checked.first_failure(terms)
        if failure is not None:
            raise Rejected(failure.code, f"{failure.name}: {failure.text} does not hold")
        outside = self.regions(call).first_failure(rules, terms)
        if outside is not None:
            region, constraint = outside
            raise Rejected(constraint.code, refusal_reason(region, constraint))
        job = JobRecord(
            job_id=job_id, developer=developer, model=model_id, datasets=dataset_ids,
            vendors=vendor_ids, purpose=purpose, steps=steps, window=window,
            vendor_stake=vendor_stake, developer_bond=developer_bond, owner_bond=owner_bond,
            owners={dataset.dataset: dataset.owner for dataset in datasets},
            prices={dataset.dataset: dataset.price for dataset in datasets},
            misuse_values={dataset.dataset: dataset.misuse_value for dataset in datasets},
            misuse_compensations={dataset.dataset: self.compensation_for(dataset, rules)
                                  for dataset in datasets},
            fees={offer.vendor: offer.fee for offer in offers},
            dispute_cost=rules.dispute_cost, status=Status.REQUESTED,
            deadline=call.now + window)
        self.require_funds(call, developer, job.developer_deposit, "the job's deposit")
        state.put_escrow(job_id, 0)
        self.lock(call, job, developer, job.developer_deposit)
        self.store(call, job)

    @staticmethod
    def compensation_for(dataset: DatasetRecord, rules: StakeRules) -> int:
        """The dataset's misuse compensation W / q; whole, since registration checked it
        under the same (never changing) audit probability."""
        compensation = misuse_compensation(dataset.misuse_value, rules.audit_probability)
        if compensation is None:
            raise RuntimeError(f"{dataset.dataset}'s misuse value is not divisible by q")
        return compensation
