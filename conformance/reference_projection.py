"""The reference's state projected to the abstract state every implementation must reproduce
(:mod:`conformance.projection`): read from the world state through the chaincode's query
functions, transcript labels found from the roots on the ledger, data and model holders
from the off-chain world the market keeps."""

from __future__ import annotations

from conformance.projection import (
    AbstractDataset,
    AbstractDispute,
    AbstractJob,
    AbstractOffer,
    AbstractState,
    AbstractVerdict,
)
from conformance.reference_fixtures import NOT_RECORDED
from conformance.reference_market import Market
from conformance.semantics import COMMITTED
from reference.chaincode.records import DatasetRecord, JobRecord


def project(market: Market) -> AbstractState:
    """The abstract state of ``market``, read from the ledger through the chaincode's queries."""
    read = market.admin.read_prefix
    identities = {value["name"]: value["role"] for value in read("identity/").values()}
    balances = {key.split("/", 1)[1]: value for key, value in read("balance/").items()}
    escrows = {key.split("/", 1)[1]: value for key, value in read("escrow/").items()}
    minted = sum(read("minted/").values())
    datasets = {}
    commitments = {}
    for value in read("dataset/").values():
        record = DatasetRecord.from_json_value(value)
        commitments[record.dataset] = record.commitment
        datasets[record.dataset] = AbstractDataset(
            owner=record.owner, price=record.price, misuse_value=record.misuse_value,
            purposes=frozenset(record.licence.purposes), expiry=record.licence.expiry - market.t0,
            max_uses=record.licence.max_uses, uses=record.uses)
    models = {value["model"]: value["owner"] for value in read("model/").values()}
    offers = {value["vendor"]: AbstractOffer(value["fee"], value["cost"], value["capacity"],
                                             value.get("active_jobs", 0))
              for value in read("offer/").values()}
    jobs = {}
    model_holders = set()
    for value in read("job/").values():
        job = JobRecord.from_json_value(value)
        jobs[job.job_id] = project_job(market, job, commitments)
        if getattr(job, "model_delivered", False):
            model_holders.add((job.job_id, job.developer))
    return AbstractState(
        now=market.clock.now() - market.t0, identities=dict(sorted(identities.items())),
        balances=dict(sorted(balances.items())), escrows=dict(sorted(escrows.items())),
        minted=minted, datasets=datasets, models=models, offers=offers, jobs=jobs,
        data_holders=frozenset(market.data_holders), model_holders=frozenset(model_holders),
        misuse_artefacts=frozenset(market.artefacts))

def project_job(market: Market, job: JobRecord, commitments: dict[str, str]) -> AbstractJob:
    def summed(pairs) -> dict[str, int]:
        totals: dict[str, int] = {}
        for account, amount in pairs:
            totals[account] = totals.get(account, 0) + amount
        return {account: totals[account] for account in sorted(totals) if totals[account]}

    results = {}
    for vendor, result in sorted(job.results.items()):
        results[vendor] = market.transcripts.labels.get(
            (job.job_id, vendor, result.transcript_root), ("unknown-root",))
    disputes = tuple(
        AbstractDispute(respondent=dispute.respondent,
                        claim=market.claims.labels.get(
                            (job.job_id, dispute.respondent, dispute.claimant_root),
                            ("unknown-root",)),
                        low=dispute.low, high=dispute.high, turn=dispute.turn,
                        rounds=dispute.rounds,
                        answers=getattr(dispute, "answers", NOT_RECORDED))
        for dispute in job.disputes)
    return AbstractJob(
        developer=job.developer, model=job.model, datasets=tuple(job.datasets),
        vendors=tuple(job.vendors), purpose=job.purpose, steps=job.steps, window=job.window,
        vendor_stake=job.vendor_stake, developer_bond=job.developer_bond,
        owner_bond=job.owner_bond, status=job.status, deadline=job.deadline - market.t0,
        deposits=summed(job.deposits.items()),
        deliveries={dataset: (COMMITTED if grant.delivery_digest == commitments.get(dataset)
                              else "other")
                    for dataset, grant in sorted(job.grants.items())},
        accepted=frozenset(job.accepted_by), confirmed=frozenset(job.confirmed),
        results=results, disputes=disputes,
        verdicts=tuple(AbstractVerdict(verdict.convicted, verdict.offence)
                       for verdict in job.verdicts),
        payouts=None if job.payouts is None else summed(job.payouts))
