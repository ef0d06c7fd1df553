"""Who gets what when a job ends: one rule per way of ending.

Each rule returns a list of ``[account, amount]`` credits that adds up to exactly the
tokens the job's escrow holds (the sum of its deposits). Amounts are never negative as
long as the stakes meet the safety floor of :mod:`reference.chaincode.rules`.
"""

from __future__ import annotations

from reference.chaincode.records import JobRecord

Payouts = list[tuple[str, int]]


def refund_everyone(job: JobRecord) -> Payouts:
    """Cancelled or expired before any data was released: every deposit goes back."""
    return sorted(job.deposits.items())


def pay_defective_inputs(job: JobRecord, dataset: str, complainant: str, treasury: str) -> Payouts:
    """A data owner delivered data that does not match its commitment: the developer and
    the vendors get their deposits back. The other owners released their data to the
    vendors, so each gets its bond back and its price, paid out of the guilty owner's bond
    — which first pays the complainant one dispute cost; the rest of it goes to the
    treasury (non-negative since ``Bd >= G + P``)."""
    others = [other for other in job.datasets if other != dataset]
    payouts = [(job.developer, job.developer_deposit)]
    payouts += [(job.owners[other], job.owner_bond + job.prices[other]) for other in others]
    payouts += [(vendor, job.vendor_stake) for vendor in job.vendors]
    payouts.append((complainant, job.dispute_cost))
    payouts.append((treasury, job.owner_bond - job.dispute_cost
                    - sum(job.prices[other] for other in others)))
    return payouts


def pay_false_complaint(job: JobRecord, complainant: str, treasury: str) -> Payouts:
    """A vendor complained about inputs that match their commitments: the developer gets
    its deposit back; every owner gets its bond and its price out of the guilty stake
    (its data was released); the other vendors get their stakes; the rest of the guilty
    stake goes to the treasury."""
    payouts = [(job.developer, job.developer_deposit)]
    payouts += [(job.owners[dataset], job.owner_bond + job.prices[dataset])
                for dataset in job.datasets]
    payouts += [(vendor, job.vendor_stake) for vendor in job.vendors if vendor != complainant]
    payouts.append((treasury, job.vendor_stake - job.price_total))
    return payouts


def pay_settlement(job: JobRecord, guilty: set[str], misuser: str | None = None,
                   developer_bond_to: Payouts | None = None) -> Payouts:
    """The job ends after the data was released (every ending but a refund or a
    complaint): owners get price and bond; innocent vendors fee and stake; the developer
    its bond (unless ``developer_bond_to`` says where a forfeited bond goes instead) plus
    the fee and the whole stake of every ``guilty`` vendor — after a misusing vendor's
    forfeit has paid every owner of the job its dataset's misuse compensation (misuse
    value / audit probability). With no guilty vendor this is the plain settlement of a
    delivered model."""
    payouts = [(job.owners[dataset], job.prices[dataset] + job.owner_bond)
               for dataset in job.datasets]
    payouts += [(vendor, job.fees[vendor] + job.vendor_stake)
                for vendor in job.vendors if vendor not in guilty]
    if developer_bond_to is None:
        payouts.append((job.developer, job.developer_bond))
    else:
        payouts += developer_bond_to
    for vendor in job.vendors:
        if vendor in guilty:
            forfeited = job.fees[vendor] + job.vendor_stake
            if vendor == misuser:
                for dataset in job.datasets:
                    compensation = job.misuse_compensations[dataset]
                    payouts.append((job.owners[dataset], compensation))
                    forfeited -= compensation
            payouts.append((job.developer, forfeited))
    return payouts


def answer_costs(dispute_cost: int, answers: int) -> int:
    """What a false dispute pays the respondent: the dispute cost for every round it
    answered itself (a digest ``timeout`` opened for it is no answer)."""
    return dispute_cost * answers


def pay_false_dispute(job: JobRecord, respondent: str, answers: int, treasury: str) -> Payouts:
    """The developer's dispute failed (``resolve_step`` showed the respondent right) or the
    developer left it (silent on its turn, or the narrowed step unresolved): the job
    settles as it stands — vendors convicted in earlier disputes still forfeit — except
    that the developer's bond pays the respondent the cost of the rounds it answered and
    the rest goes to the treasury."""
    compensation = answer_costs(job.dispute_cost, answers)
    return pay_settlement(job, job.convicted_vendors, developer_bond_to=[
        (respondent, compensation), (treasury, job.developer_bond - compensation)])
