"""Successor generation on the compact state, specialised per action.

:func:`successors` fuses three things of the spec for one state: the protocol moves of
:func:`walks.moves.protocol_moves` (in the same order), the guard and requirements of
each move's action in :mod:`spec.actions` (only the checks a protocol move can fail:
the others hold by construction of the move, and the agreement check would see it if
one did not), and the effect, written again on the tuples of :mod:`proofs.fast.state`.
Each block below names the spec function it follows. Times are relative to ``now``:
a deadline set to ``now + window`` is coded ``window``, ``deadline_passed`` is a code of
-1, and a tick lowers every code that has not passed.

This is a copy of the rules, checked, not trusted: :mod:`proofs.fast.agreement` compares
it with the spec on every explored transition. Helpers are module-level functions called
by name, so a test can break one (``mutation/patching.py``) and see the check fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from proofs.explore_time import CLOSED, FAR, PASSED
from proofs.fast.context import FastContext, JobContext
from proofs.fast.state import (
    ACCEPTED,
    ACTIVE,
    ARTEFACTS,
    BALANCES,
    CONFIRMED,
    DATA_HOLDERS,
    DEADLINE,
    DEPOSITS,
    DISPUTES,
    ESCROW,
    EXPIRIES,
    JOBS,
    MODEL_HOLDERS,
    PAYOUTS,
    RESULTS,
    STATUS,
    USES,
    VERDICTS,
    Label,
    State,
)
from spec.state import JobStatus, Offence, Turn
from spec.transcript import step_digest

REQUESTED, LICENSED, RUNNING = JobStatus.REQUESTED, JobStatus.LICENSED, JobStatus.RUNNING
DELIVERED, DISPUTED = JobStatus.DELIVERED, JobStatus.DISPUTED
SETTLED, CANCELLED = JobStatus.SETTLED, JobStatus.CANCELLED
RESOLVED, EXPIRED = JobStatus.RESOLVED, JobStatus.EXPIRED
TERMINAL = frozenset({SETTLED, CANCELLED, RESOLVED, EXPIRED})
STAKED = frozenset({RUNNING, DELIVERED, DISPUTED})
CLAIMANT, RESPONDENT, RESOLVE = Turn.CLAIMANT, Turn.RESPONDENT, Turn.RESOLVE
TURN_NAMES = {turn: turn.value for turn in Turn}

Successor = tuple[Label, State]
Payouts = list[tuple[str, Any]]
PaidOut = Sequence[tuple[str, Any]]


# --- shared pieces of effects ------------------------------------------------------------

def replace_job(state: State, position: int, job: tuple[Any, ...], **parts: Any) -> State:
    """``state`` with job ``position`` replaced and the named top-level parts too."""
    jobs = state[JOBS]
    jobs = jobs[:position] + (job,) + jobs[position + 1:] if len(jobs) > 1 else (job,)
    if not parts:
        return state[:JOBS] + (jobs,) + state[JOBS + 1:]
    listed = list(state)
    listed[JOBS] = jobs
    for name, value in parts.items():
        listed[_PART[name]] = value
    return tuple(listed)


_PART = {"balances": BALANCES, "uses": USES, "active": 3, "data_holders": DATA_HOLDERS,
         "model_holders": MODEL_HOLDERS, "artefacts": ARTEFACTS, "expiries": EXPIRIES}


def lock(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...], party: str,
         amount: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """``spec.actions.lock``: the balances and the job after ``party`` locks ``amount``."""
    balances = list(state[BALANCES])
    balances[context.party_index[party]] -= amount
    slot = ctx.slot(party)
    deposits = list(job[DEPOSITS])
    deposits[slot] = (deposits[slot] or 0) + amount
    record = list(job)
    record[DEPOSITS] = tuple(deposits)
    record[ESCROW] = job[ESCROW] + amount
    return tuple(balances), tuple(record)


NOBODY: frozenset[str] = frozenset()


def convicted_vendors(ctx: JobContext, verdicts: tuple[Any, ...]) -> frozenset[str]:
    if not verdicts:
        return NOBODY
    return frozenset(verdict[0] for verdict in verdicts if verdict[0] in ctx.vendors)


def close(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
          status: JobStatus, payouts: PaidOut, verdicts: tuple[Any, ...] = (),
          model_holders: frozenset[Any] | None = None) -> State:
    """``spec.actions.close``: pay the escrow out, end the job, free vendor capacity."""
    return closed(context, ctx, state, job, closed_record(job, status, payouts, verdicts), model_holders)


def closed_record(job: tuple[Any, ...], status: JobStatus, payouts: PaidOut,
                  verdicts: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    """The record of ``job`` closed by :func:`close`: escrow emptied, verdicts added,
    payouts recorded, the deadline coded closed."""
    return (status, CLOSED, 0) + job[DEPOSITS:VERDICTS] + (job[VERDICTS] + verdicts, tuple(payouts))


def freed_key(active: tuple[int, ...], ctx: JobContext, accepted: int) -> tuple[Any, ...]:
    """What the vendor counts after a close depend on."""
    return (active, ctx.position, accepted)


def closed(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
           record: tuple[Any, ...], model_holders: frozenset[Any] | None = None) -> State:
    """``state`` after :func:`close` ended ``job`` with the closed ``record``: its payouts
    credited, the vendors that had accepted it freed.

    The balances after the payouts are memoised on (balances, payouts), the vendor counts
    on (counts, job, vendors that had accepted): few distinct balance vectors and counts
    occur, and each job end pays one of a few payout lists."""
    memo = context.memo
    paid = record[PAYOUTS]
    key = (state[BALANCES], paid)
    balances = memo.get(key)
    if balances is None:
        credited = list(state[BALANCES])
        index = context.party_index
        for account, amount in paid:
            credited[index[account]] += amount
        balances = memo[key] = tuple(credited)
    active = state[ACTIVE]
    accepted = job[ACCEPTED]
    if accepted:
        key = freed_key(active, ctx, accepted)
        freed = memo.get(key)
        if freed is None:
            counts = list(active)
            for position, vendor_index in enumerate(ctx.vendor_index):
                if accepted >> position & 1:
                    counts[vendor_index] -= 1
            freed = memo[key] = tuple(counts)
        active = freed
    jobs = state[JOBS]
    position = ctx.position
    jobs = jobs[:position] + (record,) + jobs[position + 1:] if len(jobs) > 1 else (record,)
    return (balances, state[USES], state[EXPIRIES], active, jobs, state[DATA_HOLDERS],
            state[MODEL_HOLDERS] if model_holders is None else model_holders, state[ARTEFACTS])


# --- payout rules (spec.actions, one per way a job ends) ----------------------------------

def refund_everyone(ctx: JobContext, job: tuple[Any, ...]) -> Payouts:
    return [(party, amount) for party, amount in zip(ctx.slots, job[DEPOSITS]) if amount is not None]


def pay_defective_inputs(context: FastContext, ctx: JobContext, dataset: int,
                         complainant: str) -> Payouts:
    others = [position for position in range(len(ctx.datasets)) if position != dataset]
    payouts: Payouts = [(ctx.developer, ctx.deposit)]
    payouts += [(ctx.owners[other], ctx.owner_bond + ctx.prices[other]) for other in others]
    payouts += [(vendor, ctx.vendor_stake) for vendor in ctx.vendors]
    payouts.append((complainant, context.dispute_cost))
    payouts.append((context.treasury, ctx.owner_bond - context.dispute_cost
                    - sum((ctx.prices[other] for other in others), 0)))
    return payouts


def pay_false_complaint(context: FastContext, ctx: JobContext, complainant: str) -> Payouts:
    payouts: Payouts = [(ctx.developer, ctx.deposit)]
    payouts += [(owner, ctx.owner_bond + price) for owner, price in zip(ctx.owners, ctx.prices)]
    payouts += [(vendor, ctx.vendor_stake) for vendor in ctx.vendors if vendor != complainant]
    payouts.append((context.treasury, ctx.vendor_stake - sum(ctx.prices, 0)))
    return payouts


def pay_settlement(ctx: JobContext, guilty: frozenset[str], misuser: str | None = None,
                   developer_bond_to: Payouts | None = None) -> PaidOut:
    """``spec.actions.pay_settlement``, memoised on the job context (a pure function of
    its terms and of the arguments)."""
    key = (guilty, misuser, None if developer_bond_to is None else tuple(developer_bond_to))
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = tuple(settlement(ctx, guilty, misuser, developer_bond_to))
    return found


def settlement(ctx: JobContext, guilty: frozenset[str], misuser: str | None,
               developer_bond_to: Payouts | None) -> Payouts:
    """``spec.actions.pay_settlement``."""
    payouts: Payouts = [(owner, price + ctx.owner_bond) for owner, price in zip(ctx.owners, ctx.prices)]
    payouts += [(vendor, fee + ctx.vendor_stake) for vendor, fee in zip(ctx.vendors, ctx.fees)
                if vendor not in guilty]
    if developer_bond_to is None:
        payouts.append((ctx.developer, ctx.developer_bond))
    else:
        payouts += developer_bond_to
    for vendor, fee in zip(ctx.vendors, ctx.fees):
        if vendor in guilty:
            forfeited = fee + ctx.vendor_stake
            if vendor == misuser:
                for owner, compensation in zip(ctx.owners, ctx.compensations):
                    payouts.append((owner, compensation))
                    forfeited = forfeited - compensation
            payouts.append((ctx.developer, forfeited))
    return payouts


def pay_false_dispute(context: FastContext, ctx: JobContext, job: tuple[Any, ...],
                      respondent: str, answers: int) -> PaidOut:
    compensation = context.dispute_cost * answers
    return pay_settlement(ctx, convicted_vendors(ctx, job[VERDICTS]), developer_bond_to=[
        (respondent, compensation), (context.treasury, ctx.developer_bond - compensation)])


def end_after_delivery(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
                       verdicts: tuple[Any, ...] = (), payouts: PaidOut | None = None) -> State:
    guilty = convicted_vendors(ctx, job[VERDICTS]) | convicted_vendors(ctx, verdicts)
    if payouts is None:
        payouts = pay_settlement(ctx, guilty)
    holders = None
    if not guilty:
        holders = state[MODEL_HOLDERS] | {(ctx.ident, ctx.developer)}
    status = SETTLED if not guilty and not verdicts else RESOLVED
    return close(context, ctx, state, job, status, payouts, verdicts, holders)


# --- the bisection game ------------------------------------------------------------------

def answered(dispute: tuple[Any, ...], digest: int, by_respondent: bool) -> tuple[Any, ...]:
    respondent, claim, low, high, _, rounds, answers = dispute
    middle = (low + high) // 2
    if digest == claim[middle - 1]:
        low = middle
    else:
        high = middle
    turn = RESOLVE if high - low == 1 else CLAIMANT
    return (respondent, claim, low, high, turn, rounds + 1, answers + (1 if by_respondent else 0))


def with_dispute(ctx: JobContext, job: tuple[Any, ...], dispute: tuple[Any, ...]) -> tuple[Any, ...]:
    record = list(job)
    record[DISPUTES] = job[DISPUTES][:-1] + (dispute,)
    record[DEADLINE] = ctx.window
    return tuple(record)


def resolve(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...]) -> State:
    """``effect_resolve_step``: re-execute the disputed step, convict the wrong side."""
    respondent, claim, low, high, _, _, answers = job[DISPUTES][-1]
    position = ctx.vendors.index(respondent)
    transcript = job[RESULTS][position]
    pre_state = ctx.starts[position] if low == 0 else transcript[low - 1]
    expected = step_digest(pre_state, high)
    respondent_digest = transcript[high - 1]
    evidence = (("respondent", respondent), ("step", high), ("pre_state", pre_state),
                ("expected", expected), ("respondent_digest", respondent_digest),
                ("claimant_digest", claim[high - 1]))
    if respondent_digest != expected:
        return end_after_delivery(context, ctx, state, job,
                                  ((respondent, Offence.WRONG_COMPUTATION, evidence),))
    payouts = pay_false_dispute(context, ctx, job, respondent, answers)
    return end_after_delivery(context, ctx, state, job,
                              ((ctx.developer, Offence.FALSE_DISPUTE, evidence),), payouts)


# --- deadlines ----------------------------------------------------------------------------

def timeout(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...]) -> State:
    """``effect_timeout`` (the time facts of a verdict's evidence as the abstraction codes
    them: a timeout happens only once the deadline passed)."""
    status = job[STATUS]
    if status is REQUESTED or status is LICENSED:
        return close(context, ctx, state, job, EXPIRED, refund_everyone(ctx, job))
    if status is RUNNING:
        confirmed, results = job[CONFIRMED], job[RESULTS]
        if confirmed != ctx.full:
            silent = [not confirmed >> position & 1 for position in range(len(ctx.vendors))]
        else:
            silent = [result is None for result in results]
        evidence: tuple[tuple[str, Any], ...] = (("status", "RUNNING"), ("now_after_deadline", True))
        verdicts = tuple((vendor, Offence.MISSED_DEADLINE, evidence)
                         for vendor, guilty in zip(ctx.vendors, silent) if guilty)
        if confirmed == ctx.full and any(result is not None for result in results):
            record = list(job)
            record[STATUS], record[DEADLINE] = DELIVERED, ctx.window
            record[VERDICTS] = job[VERDICTS] + verdicts
            return replace_job(state, ctx.position, tuple(record))
        guilty = frozenset(vendor for vendor, out in zip(ctx.vendors, silent) if out)
        return close(context, ctx, state, job, RESOLVED, pay_settlement(ctx, guilty), verdicts)
    if status is DELIVERED:
        return end_after_delivery(context, ctx, state, job)
    dispute = job[DISPUTES][-1]
    respondent, claim, low, high, turn, _, answers = dispute
    if turn is RESPONDENT:
        committed = job[RESULTS][ctx.vendors.index(respondent)][(low + high) // 2 - 1]
        return replace_job(state, ctx.position, with_dispute(ctx, job, answered(dispute, committed, False)))
    evidence = (("status", "DISPUTED"), ("respondent", respondent), ("turn", TURN_NAMES[turn]),
                ("now_after_deadline", True))
    payouts = pay_false_dispute(context, ctx, job, respondent, answers)
    return end_after_delivery(context, ctx, state, job,
                              ((ctx.developer, Offence.MISSED_DEADLINE, evidence),), payouts)


def later(code: int) -> int:
    """A time code one tick later: a moment ``k >= 1`` ahead is ``k - 1`` ahead, one at
    ``now`` has passed; passed, closed and far codes stay."""
    if code > 0 and code != FAR:
        return code - 1
    return PASSED if code == 0 else code


def tick(state: State) -> State:
    """``effect_tick``: the clock advances; every time code moves one tick closer."""
    jobs = tuple(None if job is None else
                 (job if job[DEADLINE] < 0 else job[:DEADLINE] + (later(job[DEADLINE]),) + job[DEADLINE + 1:])
                 for job in state[JOBS]) if len(state[JOBS]) > 1 else _ticked(state[JOBS][0])
    return (state[BALANCES], state[USES], tuple(map(later, state[EXPIRIES])), state[ACTIVE], jobs,
            state[DATA_HOLDERS], state[MODEL_HOLDERS], state[ARTEFACTS])


def _ticked(job: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """The job tuple of a one-job state after a tick."""
    if job is None or job[DEADLINE] < 0:
        return (job,)
    return (job[:DEADLINE] + (later(job[DEADLINE]),) + job[DEADLINE + 1:],)
