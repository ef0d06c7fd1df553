"""What each party gets from a job that has ended: utilities in the parameters.

A party's utility from a job is what the ledger moved (its payouts minus its deposits)
plus the off-chain values the protocol is about:

* the developer gains the model's value V when it received a correctly trained model —
  every vendor's transcript is the honest one;
* a vendor pays its compute cost C when it submitted the honest transcript (a vendor that
  fabricates a transcript saves the cost);
* the developer pays the dispute cost G for opening a dispute and for every round (it
  re-executes to back its claims); the respondent's answers, openings of digests it has
  already committed, cost it nothing worth counting;
  a vendor that complains about inputs pays G for that single round;
* a vendor that misused the data while the job ran gains the misuse value W of every
  dataset of the job, and each owner loses its dataset's W (the use it could have sold).

The incentive proofs read these expressions, never a hand-copied table. Run on a market
whose amounts are z3 or sympy terms, the same functions give symbolic utilities.

One option lies outside any ledger action and is stated here for the coalition analysis:
:func:`offchain_training_value`. When a job ends without the developer receiving the
model although vendors hold the data, a coalition of the developer and such a vendor can
still train off-chain and gain V minus the cost of the training still to do. Each vendor
of a job trains its own part (its transcript starts from its own digest), so the whole
model costs the sum of the job's vendors' costs; a part some vendor already computed
honestly is counted as reusable — the reading most favourable to the coalition.
"""

from __future__ import annotations

from spec.actions import start_digest
from spec.base import Amount, total
from spec.params import dispute_compensation
from spec.state import Job, Market, Offence, misuse_artefact
from spec.transcript import honest_transcript


def ledger_transfer(job: Job, party: str) -> Amount:
    """What the job's escrow paid ``party`` minus what ``party`` deposited into it."""
    received = total(amount for account, amount in (job.payouts or ()) if account == party)
    return received - job.deposits.get(party, 0)


def did_honest_work(market: Market, job: Job, vendor: str) -> bool:
    """True when ``vendor`` submitted exactly the honest transcript."""
    if vendor not in job.results:
        return False
    start = start_digest(market, job, vendor)
    return job.results[vendor] == honest_transcript(start, job.steps)


def developer_has_good_model(market: Market, job: Job) -> bool:
    """The developer received the model and every vendor's part of it was honest."""
    return ((job.ident, job.developer) in market.model_holders
            and all(did_honest_work(market, job, vendor) for vendor in job.vendors))


def utilities(market: Market, job: Job, model_value: Amount) -> dict[str, Amount]:
    """Every party's utility from ``job``, which must have ended.

    Costs and values come from the market's records (offers, datasets, dispute cost);
    only the model's value to the developer, V, is private and passed in.
    """
    parties = [job.developer, *dict.fromkeys(market.datasets[d].owner for d in job.datasets),
               *job.vendors]
    utility = {party: ledger_transfer(job, party) for party in parties}
    if developer_has_good_model(market, job):
        utility[job.developer] = utility[job.developer] + model_value
    for vendor in job.vendors:
        if did_honest_work(market, job, vendor):
            utility[vendor] = utility[vendor] - market.offers[vendor].cost
        if misuse_artefact(job.ident, vendor) in market.artefacts:
            for dataset in job.datasets:
                misuse_value = market.datasets[dataset].misuse_value
                owner = market.datasets[dataset].owner
                utility[vendor] = utility[vendor] + misuse_value
                utility[owner] = utility[owner] - misuse_value
    for dispute in job.disputes:
        utility[job.developer] = utility[job.developer] - dispute_compensation(
            market.dispute_cost, dispute.rounds)
    for verdict in job.verdicts:
        if verdict.offence in (Offence.DEFECTIVE_INPUTS, Offence.FALSE_COMPLAINT):
            complainant = str(dict(verdict.evidence)["complainant"])
            utility[complainant] = utility[complainant] - market.dispute_cost
    return utility


def offchain_training_cost(market: Market, job: Job) -> Amount:
    """What training the rest of ``job``'s model off-chain costs: the parts no vendor
    computed honestly, each at the cost of the vendor it was assigned to."""
    return total(market.offers[vendor].cost for vendor in job.vendors
                 if not did_honest_work(market, job, vendor))


def offchain_training_value(market: Market, job: Job,
                            model_value: Amount) -> dict[str, Amount] | None:
    """The off-chain option left to a developer–vendor coalition when the model was not
    delivered although vendors hold the data: ``{vendor: V - cost}`` per holder, the
    cost being :func:`offchain_training_cost`."""
    if (job.ident, job.developer) in market.model_holders:
        return None
    holders = frozenset(holder for ident, _, holder in market.data_holders if ident == job.ident)
    if not holders:
        return None
    cost = offchain_training_cost(market, job)
    return {vendor: model_value - cost for vendor in sorted(holders)}
