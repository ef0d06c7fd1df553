"""Named safety properties every reachable market satisfies, and "sometimes" goals.

Each :class:`Invariant` returns ``None`` when it holds and otherwise a sentence saying
what is wrong, so a violation can be reported exactly. Some invariants speak of the whole
market (``scope="market"``); the others speak of one job at a time (``scope="job"``) and
hold of a market when they hold of each of its jobs. The model checker and the simulator
check every invariant in every state they reach.

A safety property can pass vacuously (nothing interesting ever happens). The
:data:`OUTCOMES` goals name every way a job can end; exploration must reach each one, and
every rejection code of every action, at least once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spec.actions import public_fault, silent_vendors, start_digest
from spec.base import total
from spec.state import Job, JobStatus, Market, Offence, Turn, is_terminal, misuse_artefact
from spec.transcript import digest_at, step_digest


@dataclass(frozen=True)
class Invariant:
    """A named safety property. ``check`` takes ``(market)`` for scope ``"market"`` and
    ``(market, job)`` for scope ``"job"``, and returns ``None`` or what is wrong."""

    name: str
    description: str
    scope: str
    check: Callable[..., "str | None"]


# --- the whole market ----------------------------------------------------------------

def token_conservation(market: Market) -> str | None:
    held = total(market.balances.values()) + total(market.escrows.values())
    if held != market.minted:
        return f"balances and escrows hold {held} but {market.minted} were minted"
    return None


def no_negative_balance(market: Market) -> str | None:
    for account, balance in market.balances.items():
        if balance < 0:
            return f"balance of {account} is {balance}"
    for job, escrow in market.escrows.items():
        if escrow < 0:
            return f"escrow of {job} is {escrow}"
    return None


def capacity_respected(market: Market) -> str | None:
    running: dict[str, int] = {}
    for job in market.jobs.values():
        if job.payouts is None:
            for vendor in job.accepted:
                running[vendor] = running.get(vendor, 0) + 1
    for vendor, offer in market.offers.items():
        count = running.get(vendor, 0)
        if offer.active_jobs != count or count > offer.capacity:
            return f"{vendor} runs {count} jobs, counted {offer.active_jobs}, capacity {offer.capacity}"
    return None


# --- one job at a time ---------------------------------------------------------------

def escrow_paid_out_once(market: Market, job: Job) -> str | None:
    deposited = total(job.deposits.values())
    escrow = market.escrows[job.ident]
    if is_terminal(job):
        if job.payouts is None:
            return f"{job.ident} is {job.status.value} but its escrow was never paid out"
        if escrow != 0:
            return f"{job.ident} is {job.status.value} but its escrow still holds {escrow}"
        paid = total(amount for _, amount in job.payouts)
        if paid != deposited:
            return f"{job.ident} paid out {paid} of {deposited} deposited"
    else:
        if job.payouts is not None:
            return f"{job.ident} is {job.status.value} but already paid out"
        if escrow != deposited:
            return f"escrow of {job.ident} holds {escrow} but {deposited} was deposited"
    return None


def data_only_to_licensed_vendors(market: Market, job: Job) -> str | None:
    for ident, dataset, holder in market.data_holders:
        if ident != job.ident:
            continue
        if dataset not in job.datasets or dataset not in job.grants:
            return f"{holder} holds {dataset} without a licence in {ident}"
        if holder not in job.vendors or holder not in job.accepted:
            return f"{holder} holds {dataset} of {ident} but is not a staked vendor of it"
    return None


def model_only_to_developer(market: Market, job: Job) -> str | None:
    for ident, holder in market.model_holders:
        if ident == job.ident and holder != job.developer:
            return f"{holder} received the model of {ident} without being its developer"
    return None


def dispute_against(job: Job, respondent: object):
    """The job's dispute against ``respondent`` (a vendor is disputed at most once)."""
    return next((dispute for dispute in job.disputes if dispute.respondent == respondent), None)


def verdict_is_justified(market: Market, job: Job, convicted: str, offence: Offence,
                         facts: dict[str, object]) -> str | None:
    """Re-derive one verdict from the evidence the state holds; ``None`` if it stands."""
    if offence in (Offence.DEFECTIVE_INPUTS, Offence.FALSE_COMPLAINT):
        dataset = str(facts["dataset"])
        grant = job.grants.get(dataset)
        if grant is None or dataset not in market.datasets:
            return "no delivery record for the dataset"
        defective = grant.delivery_digest != market.datasets[dataset].commitment
        if offence == Offence.DEFECTIVE_INPUTS:
            if not defective or convicted != market.datasets[dataset].owner:
                return "delivery digest matches the commitment, or the owner is not convicted"
        elif defective or convicted not in job.vendors or convicted != facts["complainant"]:
            return "delivery digest differs from the commitment, or the wrong vendor"
        return None
    if offence == Offence.WRONG_COMPUTATION and "check" in facts:  # convict_shared_step
        found = public_fault(market, job)
        return None if found == (facts["step"], facts["check"], convicted) else \
            "the public checks do not name the convicted vendor at the cited step"
    if offence in (Offence.WRONG_COMPUTATION, Offence.FALSE_DISPUTE):
        dispute = dispute_against(job, facts.get("respondent"))
        if dispute is None or dispute.turn != Turn.RESOLVE or facts["step"] != dispute.high:
            return "no dispute narrowed to the cited step"
        respondent = job.results[dispute.respondent]
        pre_state = digest_at(start_digest(market, job, dispute.respondent), respondent, dispute.low)
        expected = step_digest(pre_state, dispute.high)
        respondent_wrong = respondent[dispute.high - 1] != expected
        if offence == Offence.WRONG_COMPUTATION:
            return None if respondent_wrong and convicted == dispute.respondent else \
                "the respondent's digest re-executes correctly"
        claimant_wrong = dispute.claimant_transcript[dispute.high - 1] != expected
        return None if (claimant_wrong and not respondent_wrong and convicted == job.developer) \
            else "the claimant's digest re-executes correctly"
    if offence == Offence.MISSED_DEADLINE:
        now, deadline = facts["now"], facts["deadline"]
        if not (isinstance(now, int) and isinstance(deadline, int) and now > deadline):
            return "the deadline had not passed"
        if facts["status"] == JobStatus.RUNNING.value:
            return None if convicted in silent_vendors(job) else "the vendor had acted"
        dispute = dispute_against(job, facts.get("respondent"))
        if facts["status"] != JobStatus.DISPUTED.value or dispute is None:
            return "no party had to act"
        if dispute.turn.value != facts["turn"] or dispute.turn == Turn.RESPONDENT:
            return "the dispute was not waiting for the claimant at the cited turn"
        return None if convicted == job.developer else "only the claimant answers for a dispute's silence"
    if offence == Offence.DATA_MISUSE:
        artefact = misuse_artefact(job.ident, convicted)
        return None if artefact in market.artefacts and facts["artefact"] == artefact else \
            "no misuse artefact signed by the convicted vendor"
    return f"unknown offence {offence}"


def convictions_backed_by_evidence(market: Market, job: Job) -> str | None:
    for verdict in job.verdicts:
        problem = verdict_is_justified(market, job, verdict.convicted, verdict.offence,
                                       dict(verdict.evidence))
        if problem:
            return f"{job.ident}: {verdict.offence.value} of {verdict.convicted}: {problem}"
    return None


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("token_conservation",
              "balances plus escrows always equal the tokens the treasury minted",
              "market", token_conservation),
    Invariant("no_negative_balance", "no balance and no escrow is ever negative",
              "market", no_negative_balance),
    Invariant("escrow_paid_out_once",
              "an open job's escrow holds exactly its deposits; an ended job's escrow was paid "
              "out exactly once, in full",
              "job", escrow_paid_out_once),
    Invariant("data_only_to_licensed_vendors",
              "data material reaches only staked vendors of a job for which the data was licensed",
              "job", data_only_to_licensed_vendors),
    Invariant("model_only_to_developer", "a trained model reaches only its job's developer",
              "job", model_only_to_developer),
    Invariant("convictions_backed_by_evidence",
              "every conviction is re-derived from evidence the state holds",
              "job", convictions_backed_by_evidence),
    Invariant("capacity_respected",
              "no vendor runs more jobs than its offer's capacity, and its count is exact",
              "market", capacity_respected),
)


def violations(market: Market) -> list[tuple[str, str]]:
    """Every invariant that fails in ``market``, with what is wrong."""
    found = []
    for invariant in INVARIANTS:
        if invariant.scope == "market":
            problem = invariant.check(market)
        else:
            problem = next((problem for job in market.jobs.values()
                            if (problem := invariant.check(market, job)) is not None), None)
        if problem is not None:
            found.append((invariant.name, problem))
    return found


class IncrementalChecker:
    """Checks every invariant along a run, re-checking job-scope invariants only for
    job records that changed since they were last found to hold.

    A job record is an immutable value; each job-scope invariant reads the job, records
    that never change once written (dataset commitments and owners, model commitments),
    and sets that only grow together with the job's own record (data and model holders,
    artefacts of staked jobs). A record already checked therefore need not be checked
    again. Gives the same answer as :func:`violations` on every market of the run.
    """

    def __init__(self) -> None:
        self._checked: dict[str, Job] = {}

    def violations(self, market: Market) -> list[tuple[str, str]]:
        found = []
        changed = [job for ident, job in market.jobs.items() if self._checked.get(ident) is not job]
        for invariant in INVARIANTS:
            if invariant.scope == "market":
                problem = invariant.check(market)
            else:
                problem = next((problem for job in changed
                                if (problem := invariant.check(market, job)) is not None), None)
            if problem is not None:
                found.append((invariant.name, problem))
        if not found:
            for job in changed:
                self._checked[job.ident] = job
        return found


def outcome_of(job: Job) -> str | None:
    """How a job ended: its terminal status, refined for RESOLVED jobs by the offence of
    the verdict that ended it (the last one)."""
    if not is_terminal(job):
        return None
    if job.status == JobStatus.RESOLVED:
        return f"RESOLVED:{job.verdicts[-1].offence.value}"
    return job.status.value


OUTCOMES: tuple[str, ...] = (
    JobStatus.SETTLED.value,
    JobStatus.CANCELLED.value,
    JobStatus.EXPIRED.value,
    *(f"RESOLVED:{offence.value}" for offence in Offence),
)
"""Every way a job can end: the "sometimes" goals exploration must reach."""
