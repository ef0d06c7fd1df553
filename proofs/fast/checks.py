"""The invariants, protocol properties, outcomes and stuck jobs on the compact state.

One function per property of :data:`spec.invariants.INVARIANTS` and
:data:`proofs.explore_properties.PROTOCOL_PROPERTIES`, under the same name and in the same
order, written again on the tuples of :mod:`proofs.fast.state`. Each returns ``None`` or
what is wrong; the agreement check compares which properties fail in every explored
market with what the spec's functions say (the sentences may differ, the verdicts may
not). No property reads a deadline or expiry code (they read amounts, records, holders
and artefacts), which is what lets the explorer give a clock tick's successor the
verdicts of the state it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proofs.fast.context import FastContext, JobContext
from proofs.fast.state import (
    ACCEPTED,
    ACTIVE,
    ARTEFACTS,
    BALANCES,
    CONFIRMED,
    DATA_HOLDERS,
    DEPOSITS,
    DISPUTES,
    ESCROW,
    GRANTS,
    JOBS,
    MODEL_HOLDERS,
    PAYOUTS,
    RESULTS,
    STATUS,
    VERDICTS,
    State,
)
from spec.params import bisection_rounds
from spec.state import JobStatus, Offence, Turn
from spec.transcript import step_digest

TERMINAL = frozenset({JobStatus.SETTLED, JobStatus.CANCELLED, JobStatus.RESOLVED,
                      JobStatus.EXPIRED})
Job = tuple[Any, ...]


def token_conservation(context: FastContext, state: State) -> str | None:
    held = sum(state[BALANCES])
    for job in state[JOBS]:
        if job is not None:
            held += job[ESCROW]
    if held == context.minted:
        return None
    return f"balances and escrows hold {context.shown(held)} but {context.shown(context.minted)} were minted"


def no_negative_balance(context: FastContext, state: State) -> str | None:
    if min(state[BALANCES], default=0) >= 0:
        for job in state[JOBS]:
            if job is not None and job[ESCROW] < 0:
                break
        else:
            return None
    for party, balance in zip(context.parties, state[BALANCES]):
        if balance < 0:
            return f"balance of {party} is {context.shown(balance)}"
    for ctx, job in zip(context.jobs, state[JOBS]):
        if job is not None and job[ESCROW] < 0:
            return f"escrow of {ctx.ident} is {context.shown(job[ESCROW])}"
    return None


def capacity_respected(context: FastContext, state: State) -> str | None:
    running = [0] * len(context.vendors)
    for ctx, job in zip(context.jobs, state[JOBS]):
        if job is not None and job[PAYOUTS] is None and job[ACCEPTED]:
            accepted = job[ACCEPTED]
            for position, index in enumerate(ctx.vendor_index):
                if accepted >> position & 1:
                    running[index] += 1
    for vendor, count, active, capacity in zip(context.vendors, running, state[3], context.capacity):
        if active != count or count > capacity:
            return f"{vendor} runs {count} jobs, counted {active}, capacity {capacity}"
    return None


def escrow_paid_out_once(context: FastContext, ctx: JobContext, job: Job, state: State) -> str | None:
    deposited = 0
    for amount in job[DEPOSITS]:
        if amount is not None:
            deposited += amount
    escrow = job[ESCROW]
    if job[STATUS] in TERMINAL:
        if job[PAYOUTS] is None:
            return f"{ctx.ident} ended but its escrow was never paid out"
        if escrow != 0:
            return f"{ctx.ident} ended but its escrow still holds {context.shown(escrow)}"
        paid = 0
        for _, amount in job[PAYOUTS]:
            paid += amount
        if paid == deposited:
            return None
        return f"{ctx.ident} paid out {context.shown(paid)} of {context.shown(deposited)} deposited"
    if job[PAYOUTS] is not None:
        return f"{ctx.ident} is open but already paid out"
    if escrow == deposited:
        return None
    return f"escrow of {ctx.ident} holds {context.shown(escrow)} but {context.shown(deposited)} was deposited"


def data_only_to_licensed_vendors(context: FastContext, ctx: JobContext, job: Job,
                                  state: State) -> str | None:
    holders = state[DATA_HOLDERS]
    if not holders:
        return None
    for ident, dataset, holder in holders:
        if ident != ctx.ident:
            continue
        if dataset not in ctx.datasets or job[GRANTS][ctx.datasets.index(dataset)] is None:
            return f"{holder} holds {dataset} without a licence in {ident}"
        if holder not in ctx.vendors or not job[ACCEPTED] >> ctx.vendors.index(holder) & 1:
            return f"{holder} holds {dataset} of {ident} but is not a staked vendor of it"
    return None


def model_only_to_developer(context: FastContext, ctx: JobContext, job: Job,
                            state: State) -> str | None:
    for ident, holder in state[MODEL_HOLDERS]:
        if ident == ctx.ident and holder != ctx.developer:
            return f"{holder} received the model of {ident} without being its developer"
    return None


def silent(ctx: JobContext, job: Job) -> frozenset[str]:
    """``spec.actions.silent_vendors``."""
    if job[CONFIRMED] != ctx.full:
        return frozenset(vendor for position, vendor in enumerate(ctx.vendors)
                         if not job[CONFIRMED] >> position & 1)
    return frozenset(vendor for vendor, result in zip(ctx.vendors, job[RESULTS]) if result is None)


def verdict_problem(ctx: JobContext, job: Job, state: State, convicted: str, offence: Offence,
                    facts: dict[str, Any]) -> str | None:
    """``spec.invariants.verdict_is_justified`` on the compact state."""
    if offence in (Offence.DEFECTIVE_INPUTS, Offence.FALSE_COMPLAINT):
        dataset = str(facts["dataset"])
        if dataset not in ctx.datasets or job[GRANTS][ctx.datasets.index(dataset)] is None:
            return "no delivery record for the dataset"
        position = ctx.datasets.index(dataset)
        defective = job[GRANTS][position][0] != ctx.commitments[position]
        if offence == Offence.DEFECTIVE_INPUTS:
            return None if defective and convicted == ctx.owners[position] else "not defective"
        return None if not defective and convicted in ctx.vendors and \
            convicted == facts["complainant"] else "not a false complaint"
    if offence in (Offence.WRONG_COMPUTATION, Offence.FALSE_DISPUTE):
        dispute = next((d for d in job[DISPUTES] if d[0] == facts.get("respondent")), None)
        if dispute is None or dispute[4] != Turn.RESOLVE or facts["step"] != dispute[3]:
            return "no dispute narrowed to the cited step"
        respondent, claim, low, high = dispute[:4]
        position = ctx.vendors.index(respondent)
        transcript = job[RESULTS][position]
        pre_state = ctx.starts[position] if low == 0 else transcript[low - 1]
        expected = step_digest(pre_state, high)
        respondent_wrong = transcript[high - 1] != expected
        if offence == Offence.WRONG_COMPUTATION:
            return None if respondent_wrong and convicted == respondent else "re-executes correctly"
        claimant_wrong = claim[high - 1] != expected
        return None if claimant_wrong and not respondent_wrong and convicted == ctx.developer \
            else "the claimant's digest re-executes correctly"
    if offence == Offence.MISSED_DEADLINE:
        if facts.get("now_after_deadline") is not True:
            return "the deadline had not passed"
        if facts["status"] == JobStatus.RUNNING.value:
            return None if convicted in silent(ctx, job) else "the vendor had acted"
        dispute = next((d for d in job[DISPUTES] if d[0] == facts.get("respondent")), None)
        if facts["status"] != JobStatus.DISPUTED.value or dispute is None:
            return "no party had to act"
        if dispute[4].value != facts["turn"] or dispute[4] == Turn.RESPONDENT:
            return "the dispute was not waiting for the claimant at the cited turn"
        return None if convicted == ctx.developer else "only the claimant answers for a dispute's silence"
    if offence == Offence.DATA_MISUSE:
        artefact = ("misuse", ctx.ident, convicted)
        return None if artefact in state[ARTEFACTS] and facts["artefact"] == artefact else \
            "no misuse artefact signed by the convicted vendor"
    return f"unknown offence {offence}"


def convictions_backed_by_evidence(context: FastContext, ctx: JobContext, job: Job,
                                   state: State) -> str | None:
    for convicted, offence, evidence in job[VERDICTS]:
        problem = verdict_problem(ctx, job, state, convicted, offence, dict(evidence))
        if problem:
            return f"{ctx.ident}: {offence.value} of {convicted}: {problem}"
    return None


def settlement_pays_as_promised(context: FastContext, ctx: JobContext, job: Job,
                                state: State) -> str | None:
    if job[STATUS] != JobStatus.SETTLED:
        return None
    promised: dict[str, Any] = {}
    for owner, price in zip(ctx.owners, ctx.prices):
        promised[owner] = promised.get(owner, 0) + price
    for vendor, fee in zip(ctx.vendors, ctx.fees):
        promised[vendor] = promised.get(vendor, 0) + fee
    promised[ctx.developer] = promised.get(ctx.developer, 0) - sum(
        (amount for party, amount in promised.items() if party != ctx.developer), 0)
    deposits = {party: amount for party, amount in zip(ctx.slots, job[DEPOSITS]) if amount is not None}
    parties = set(promised) | set(deposits) | {account for account, _ in job[PAYOUTS] or ()}
    for party in sorted(parties):
        received = sum((amount for account, amount in job[PAYOUTS] or () if account == party), 0)
        got = received - deposits.get(party, 0)
        if got != promised.get(party, 0):
            return (f"{ctx.ident} settled but {party} got {context.shown(got)} net "
                    f"instead of {context.shown(promised.get(party, 0))}")
    return None


def bisection_bounded(context: FastContext, ctx: JobContext, job: Job, state: State) -> str | None:
    bound = bisection_rounds(ctx.steps)
    for respondent, _, low, high, _, rounds, _ in job[DISPUTES]:
        if not 0 <= low < high <= ctx.steps:
            return f"{ctx.ident}: dispute with {respondent} has interval [{low}, {high}]"
        if rounds > bound:
            return f"{ctx.ident}: dispute with {respondent} took {rounds} rounds"
    return None


MarketCheck = Callable[[FastContext, State], "str | None"]
JobCheck = Callable[[FastContext, JobContext, Job, State], "str | None"]

CHECKS: tuple[tuple[str, str, Any], ...] = (
    ("token_conservation", "market", token_conservation),
    ("no_negative_balance", "market", no_negative_balance),
    ("escrow_paid_out_once", "job", escrow_paid_out_once),
    ("data_only_to_licensed_vendors", "job", data_only_to_licensed_vendors),
    ("model_only_to_developer", "job", model_only_to_developer),
    ("convictions_backed_by_evidence", "job", convictions_backed_by_evidence),
    ("capacity_respected", "market", capacity_respected),
    ("settlement_pays_as_promised", "job", settlement_pays_as_promised),
    ("bisection_bounded", "job", bisection_bounded),
)
"""Every property, in the order the spec explorer reports them: the spec's invariants,
then the protocol properties (market-wide in the spec, job by job here: each reads one
job at a time)."""


DATA_MISUSE = Offence.DATA_MISUSE


def cited_artefacts(ctx: JobContext, job: Job, state: State) -> tuple[bool, ...]:
    """What the job-scope checks read of the artefact set for ``job``: only
    :func:`verdict_problem` reads it, and only whether the artefact of each ``DATA_MISUSE``
    verdict's convicted party exists (one flag per such verdict, in order)."""
    verdicts = job[VERDICTS]
    if not verdicts:
        return ()
    artefacts = state[ARTEFACTS]
    return tuple(("misuse", ctx.ident, verdict[0]) in artefacts
                 for verdict in verdicts if verdict[1] is DATA_MISUSE)


def job_key(ctx: JobContext, job: Job, state: State) -> tuple[Any, ...]:
    """What the job-scope checks of :data:`CHECKS` read for ``job`` in ``state``, as a memo
    key: the job's position and record, the data and model holder sets, and of the
    artefact set only what :func:`cited_artefacts` says (no other check reads it). The
    static context is fixed for a checker."""
    return (ctx.position, job, state[DATA_HOLDERS], state[MODEL_HOLDERS],
            cited_artefacts(ctx, job, state))


class FastChecker:
    """Evaluates :data:`CHECKS` on compact states.

    Each job's verdicts are memoised on exactly what the job-scope checks read
    (:func:`job_key`). The artefact set changes with every misuse independently of the
    job's record; with all of it in the key nearly every state had a key of its own
    (decision 0110), while a job record recurs in about three states of the default
    instance (its 2,720 checked states hold 1,022 distinct records), so the key holds
    only the flags of :func:`cited_artefacts`.
    ``tests/proofs/test_fast_agreement.py`` shows a key without the artefacts is caught.
    """

    def __init__(self, context: FastContext) -> None:
        self.context = context
        self._job_checks = [(name, check) for name, scope, check in CHECKS if scope == "job"]
        self._market_checks = [(name, check) for name, scope, check in CHECKS if scope == "market"]
        self._memo: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
        self._states: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
        self._single = context.jobs[0] if len(context.jobs) == 1 else None

    def job_problems(self, ctx: JobContext, job: Job, state: State) -> list[tuple[str, str]]:
        """The job-scope properties ``job`` fails in ``state``, memoised by :func:`job_key`
        when there are several jobs (with one, the state key already holds everything)."""
        if self._single is not None:
            return self.job_checks(ctx, job, state)
        memo = self._memo
        key = job_key(ctx, job, state)
        found = memo.get(key)
        if found is None:
            found = memo[key] = self.job_checks(ctx, job, state)
        return found

    def job_checks(self, ctx: JobContext, job: Job, state: State) -> list[tuple[str, str]]:
        found = []
        for name, check in self._job_checks:
            problem = check(self.context, ctx, job, state)
            if problem is not None:
                found.append((name, problem))
        return found

    def violations(self, state: State) -> list[tuple[str, str]]:
        """Every property that fails in ``state`` (the first job's sentence for a job-scope
        one), memoised on everything any property reads: balances, vendor counts, job
        records, holder sets and the cited artefacts' presence (everything but licence uses
        and time codes, which no property reads, and the rest of the artefact set)."""
        key = self.state_key(state)
        found = self._states.get(key)
        if found is None:
            found = self._states[key] = self.evaluate(state)
        return found

    def state_key(self, state: State) -> tuple[Any, ...]:
        """The parts of ``state`` any property reads (:meth:`violations`)."""
        jobs = state[JOBS]
        if self._single is not None:
            job = jobs[0]
            cited: tuple[Any, ...] = (cited_artefacts(self._single, job, state) if job is not None else (),)
        else:
            cited = tuple(cited_artefacts(ctx, job, state) if job is not None else ()
                          for ctx, job in zip(self.context.jobs, jobs))
        return (state[BALANCES], state[ACTIVE], jobs, state[DATA_HOLDERS], state[MODEL_HOLDERS], cited)

    def evaluate(self, state: State) -> list[tuple[str, str]]:
        """:meth:`violations` without the state-wide memo."""
        context = self.context
        by_job: dict[str, str] = {}
        for ctx, job in zip(context.jobs, state[JOBS]):
            if job is not None:
                found = self.job_problems(ctx, job, state)
                if found:
                    for name, sentence in found:
                        by_job.setdefault(name, sentence)
        market: dict[str, str] = {}
        for name, check in self._market_checks:
            problem = check(context, state)
            if problem is not None:
                market[name] = problem
        if not by_job and not market:
            return []
        return [(name, market[name] if scope == "market" else by_job[name])
                for name, scope, _ in CHECKS if name in (market if scope == "market" else by_job)]


def outcome(job: Job) -> str | None:
    """``spec.invariants.outcome_of``."""
    status = job[STATUS]
    if status not in TERMINAL:
        return None
    if status == JobStatus.RESOLVED:
        return f"RESOLVED:{job[VERDICTS][-1][1].value}"
    return str(status.value)


NON_PROGRESS = frozenset({"misuse_data", "report_misuse"})


def stuck(context: FastContext, state: State, moves: list[Any]) -> list[str]:
    """``proofs.explore.stuck_jobs``: open jobs no accepted move makes progress on
    (``moves``: the accepted ``(label, successor)`` pairs)."""
    open_jobs = [(ctx.ident, job) for ctx, job in zip(context.jobs, state[JOBS])
                 if job is not None and job[STATUS] not in TERMINAL]
    if not open_jobs:
        return []
    ticking = False
    moved = set()
    for label, _ in moves:
        if label[0] == "tick":
            ticking = True
        elif label[0] not in NON_PROGRESS:
            moved.add(label[2])
    return [ident for ident, job in open_jobs
            if ident not in moved and not (ticking and job[1] >= 0)]
