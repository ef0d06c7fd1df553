"""Every accepted protocol move of a compact state and the state it leads to.

:func:`successors` lists the moves in the order of :func:`walks.moves.protocol_moves`
(job by job, then the clock), checks each against the checks of its action in
:mod:`spec.actions` that a protocol move can fail (in the spec's order), and applies the
effect with the helpers of :mod:`proofs.fast.step`, called through the module so a test
can break one. Refused moves are dropped: the explorer needs the accepted ones only.
"""

from __future__ import annotations

from typing import Any

from proofs.explore_time import PASSED
from proofs.fast import step as effects
from proofs.fast.context import FastContext, JobContext
from proofs.fast.state import (
    ACCEPTED,
    ARTEFACTS,
    BALANCES,
    CONFIRMED,
    DATA_HOLDERS,
    DEADLINE,
    DISPUTES,
    EXPIRIES,
    GRANTS,
    JOBS,
    PAYOUTS,
    RESULTS,
    STATUS,
    USES,
    VERDICTS,
    State,
)
from spec.state import Offence

REQUESTED, LICENSED, RUNNING = effects.REQUESTED, effects.LICENSED, effects.RUNNING
DELIVERED, DISPUTED, RESOLVED = effects.DELIVERED, effects.DISPUTED, effects.RESOLVED
CLAIMANT, RESPONDENT = effects.CLAIMANT, effects.RESPONDENT
ENVIRONMENT = "environment"


def request(context: FastContext, ctx: JobContext, state: State) -> State | None:
    """``request_training`` by the template's developer (refused: ``None``)."""
    expiries, uses = state[EXPIRIES], state[USES]
    if any(expiries[index] == PASSED for index in ctx.dataset_index):
        return None  # LICENCE_EXPIRED
    if any(uses[index] >= context.max_uses[index] for index in ctx.dataset_index):
        return None  # LICENCE_EXHAUSTED
    if not ctx.stakes_admissible:
        return None  # STAKE_BELOW_MINIMUM or BOND_BELOW_MINIMUM
    developer = context.party_index[ctx.developer]
    if not state[BALANCES][developer] >= ctx.deposit:
        return None  # INSUFFICIENT_FUNDS
    job = (REQUESTED, ctx.window, 0, (None,) * len(ctx.slots), (None,) * len(ctx.datasets),
           0, 0, (None,) * len(ctx.vendors), (), (), None)
    balances, job = effects.lock(context, ctx, state, job, ctx.developer, ctx.deposit)
    return effects.replace_job(state, ctx.position, job, balances=balances)


def grant(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
          position: int, delivered: int, key: int) -> State | None:
    """``grant_access`` of the job's dataset ``position``."""
    index = ctx.dataset_index[position]
    owner = ctx.owners[position]
    if job[DEADLINE] == PASSED:
        return None
    if state[USES][index] >= context.max_uses[index]:
        return None  # LICENCE_EXHAUSTED
    if not state[BALANCES][context.party_index[owner]] >= ctx.owner_bond:
        return None  # INSUFFICIENT_FUNDS
    balances, job = effects.lock(context, ctx, state, job, owner, ctx.owner_bond)
    grants = job[GRANTS][:position] + ((delivered, key),) + job[GRANTS][position + 1:]
    record = list(job)
    record[GRANTS] = grants
    if all(entry is not None for entry in grants):
        record[STATUS], record[DEADLINE] = LICENSED, ctx.window
    uses = list(state[USES])
    uses[index] += 1
    return effects.replace_job(state, ctx.position, tuple(record), balances=balances, uses=tuple(uses))


def accept(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
           position: int) -> State | None:
    """``accept_job`` by the job's vendor ``position``."""
    vendor = ctx.vendors[position]
    if job[DEADLINE] == PASSED:
        return None
    vendor_index = ctx.vendor_index[position]
    active = state[3]
    if active[vendor_index] >= context.capacity[vendor_index]:
        return None  # VENDOR_AT_CAPACITY
    if not state[BALANCES][context.party_index[vendor]] >= ctx.vendor_stake:
        return None  # INSUFFICIENT_FUNDS
    balances, job = effects.lock(context, ctx, state, job, vendor, ctx.vendor_stake)
    record = list(job)
    record[ACCEPTED] = job[ACCEPTED] | 1 << position
    parts: dict[str, Any] = {"balances": balances,
                             "active": active[:vendor_index] + (active[vendor_index] + 1,)
                             + active[vendor_index + 1:]}
    if record[ACCEPTED] == ctx.full:
        record[STATUS], record[DEADLINE] = RUNNING, ctx.window
        parts["data_holders"] = state[DATA_HOLDERS] | {
            (ctx.ident, dataset, holder) for dataset in ctx.datasets for holder in ctx.vendors}
    return effects.replace_job(state, ctx.position, tuple(record), **parts)


def complain(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
             vendor: str, position: int) -> State:
    """``complain_inputs`` about the job's dataset ``position`` (checks done by the caller)."""
    delivered = job[GRANTS][position][0]
    committed = ctx.commitments[position]
    dataset = ctx.datasets[position]
    evidence = (("dataset", dataset), ("delivery_digest", delivered), ("commitment", committed),
                ("complainant", vendor))
    if delivered != committed:
        verdict = (ctx.owners[position], Offence.DEFECTIVE_INPUTS, evidence)
        payouts = effects.pay_defective_inputs(context, ctx, position, vendor)
    else:
        verdict = (vendor, Offence.FALSE_COMPLAINT, evidence)
        payouts = effects.pay_false_complaint(context, ctx, vendor)
    return effects.close(context, ctx, state, job, RESOLVED, payouts, (verdict,))


def running_moves(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
                  out: list[Any]) -> None:
    late = job[DEADLINE] == PASSED
    confirmed = job[CONFIRMED]
    ident = ctx.ident
    for position, vendor in enumerate(ctx.vendors):
        if not confirmed >> position & 1:
            if not late:
                defective = any(grant[0] != commitment
                                for grant, commitment in zip(job[GRANTS], ctx.commitments))
                if not defective:
                    record = list(job)
                    record[CONFIRMED] = confirmed | 1 << position
                    out.append((("confirm_inputs", vendor, ident, None),
                                effects.replace_job(state, ctx.position, tuple(record))))
                for dataset_position, dataset in enumerate(ctx.datasets):
                    out.append((("complain_inputs", vendor, ident, dataset),
                                complain(context, ctx, state, job, vendor, dataset_position)))
        elif job[RESULTS][position] is None:
            accepted = confirmed == ctx.full and not late
            for transcript in ctx.choices[position]:
                if accepted and len(transcript) == ctx.steps:
                    results = job[RESULTS][:position] + (transcript,) + job[RESULTS][position + 1:]
                    record = list(job)
                    record[RESULTS] = results
                    if all(result is not None for result in results):
                        record[STATUS], record[DEADLINE] = DELIVERED, ctx.window
                    out.append((("submit_result", vendor, ident, transcript),
                                effects.replace_job(state, ctx.position, tuple(record))))


def delivered_moves(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
                    out: list[Any]) -> None:
    late = job[DEADLINE] == PASSED
    ident, developer = ctx.ident, ctx.developer
    if not late:
        out.append((("accept_result", developer, ident, None),
                    effects.end_after_delivery(context, ctx, state, job)))
    convicted = effects.convicted_vendors(ctx, job[VERDICTS])
    for position, vendor in enumerate(ctx.vendors):
        if vendor in convicted:
            continue
        submitted = job[RESULTS][position]
        for claim in ctx.choices[position]:
            if claim[-1] != submitted[-1] and not late and len(claim) == ctx.steps:
                turn = CLAIMANT if ctx.steps > 1 else effects.RESOLVE
                record = list(job)
                record[STATUS], record[DEADLINE] = DISPUTED, ctx.window
                record[DISPUTES] = job[DISPUTES] + ((vendor, claim, 0, ctx.steps, turn, 0, 0),)
                out.append((("dispute_result", developer, ident, (vendor, claim)),
                            effects.replace_job(state, ctx.position, tuple(record))))


def disputed_moves(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
                   out: list[Any]) -> None:
    if job[DEADLINE] == PASSED:
        return  # every bisection move and resolve_step: DEADLINE_PASSED
    dispute = job[DISPUTES][-1]
    respondent, claim, low, high, turn = dispute[:5]
    middle = (low + high) // 2
    if turn is CLAIMANT:
        replaced = dispute[:4] + (RESPONDENT,) + dispute[5:]
        out.append((("bisect_query", ctx.developer, ctx.ident, claim[middle - 1]),
                    effects.replace_job(state, ctx.position,
                                        effects.with_dispute(ctx, job, replaced))))
    elif turn is RESPONDENT:
        digest = job[RESULTS][ctx.vendors.index(respondent)][middle - 1]
        out.append((("bisect_answer", respondent, ctx.ident, digest),
                    effects.replace_job(state, ctx.position, effects.with_dispute(
                        ctx, job, effects.answered(dispute, digest, True)))))
    else:
        out.append((("resolve_step", ctx.developer, ctx.ident, None),
                    effects.resolve(context, ctx, state, job)))


def misuse_key(artefacts: frozenset[Any], ctx: JobContext, vendor: str) -> tuple[Any, ...]:
    """What the artefact set after a misuse depends on."""
    return ("misuse", artefacts, ctx.position, vendor)


def misused(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
            vendor: str) -> State:
    """``misuse_data`` by ``vendor`` (its guard, the artefact's absence, checked by the
    caller): the artefact is added, nothing else changes. The enlarged artefact set is
    memoised, so equal sets are one object (hashed once, compared by identity)."""
    key = misuse_key(state[ARTEFACTS], ctx, vendor)
    artefacts = context.memo.get(key)
    if artefacts is None:
        artefacts = context.memo[key] = state[ARTEFACTS] | {("misuse", ctx.ident, vendor)}
    return state[:ARTEFACTS] + (artefacts,)


def report_key(job: tuple[Any, ...], owner: str, vendor: str) -> tuple[Any, ...]:
    """What a report's closed record depends on (besides the static job context)."""
    return ("report", job, owner, vendor)


def reported(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
             owner: str, vendor: str) -> State:
    """``report_misuse`` of ``vendor`` by ``owner`` (its guard, the artefact's presence,
    checked by the caller). The closed record is a function of the job's record and the
    two names, memoised on them (a record recurs with and without other artefacts); the
    rest of the state after the close is computed for each state."""
    key = report_key(job, owner, vendor)
    record = ctx.memo.get(key)
    if record is None:
        artefact = ("misuse", ctx.ident, vendor)
        verdict = (vendor, Offence.DATA_MISUSE, (("artefact", artefact), ("reporter", owner)))
        guilty = effects.convicted_vendors(ctx, job[VERDICTS]) | {vendor}
        payouts = effects.pay_settlement(ctx, guilty, misuser=vendor)
        record = ctx.memo[key] = effects.closed_record(job, RESOLVED, payouts, (verdict,))
    return effects.closed(context, ctx, state, job, record)


def misuse_moves(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
                 out: list[Any]) -> None:
    artefacts = state[ARTEFACTS]
    ident = ctx.ident
    for vendor in ctx.vendors:
        if ("misuse", ident, vendor) not in artefacts:
            out.append((("misuse_data", vendor, ident, None), misused(context, ctx, state, job, vendor)))
    for owner in ctx.report_owners:
        for vendor in ctx.vendors:
            if ("misuse", ident, vendor) in artefacts:
                out.append((("report_misuse", owner, ident, vendor),
                            reported(context, ctx, state, job, owner, vendor)))


def status_moves(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
                 out: list[Any]) -> None:
    """The accepted moves of the job's status (``protocol_moves``' first block for a job)."""
    ident = ctx.ident
    status = job[STATUS]
    if status is REQUESTED:
        late = job[DEADLINE] == PASSED
        for position, commitment in enumerate(ctx.commitments):
            if job[GRANTS][position] is not None:
                continue
            owner = ctx.owners[position]
            dataset = ctx.datasets[position]
            for delivered in (commitment, commitment + 1):
                made = grant(context, ctx, state, job, position, delivered, commitment * 3)
                if made is not None:
                    out.append((("grant_access", owner, ident, (dataset, delivered, commitment * 3)),
                                made))
            if not late:
                out.append((("deny_access", owner, ident, dataset), effects.close(
                    context, ctx, state, job, effects.CANCELLED,
                    effects.refund_everyone(ctx, job))))
    elif status is LICENSED:
        for position in range(len(ctx.vendors)):
            if not job[ACCEPTED] >> position & 1:
                made = accept(context, ctx, state, job, position)
                if made is not None:
                    out.append((("accept_job", ctx.vendors[position], ident, None), made))
    elif status is RUNNING:
        running_moves(context, ctx, state, job, out)
    elif status is DELIVERED:
        delivered_moves(context, ctx, state, job, out)
    elif status is DISPUTED:
        disputed_moves(context, ctx, state, job, out)


def timeout_moves(context: FastContext, ctx: JobContext, state: State, job: tuple[Any, ...],
                  out: list[Any]) -> None:
    if job[STATUS] not in effects.TERMINAL and job[DEADLINE] == PASSED:
        out.append((("timeout", ctx.developer, ctx.ident, None),
                    effects.timeout(context, ctx, state, job)))


def job_moves(context: FastContext, ctx: JobContext, state: State, out: list[Any]) -> None:
    """The accepted moves on one job, in ``protocol_moves``' order."""
    job = state[JOBS][ctx.position]
    if job is None:
        made = request(context, ctx, state)
        if made is not None:
            out.append((("request_training", ctx.developer, ctx.ident, None), made))
        return
    status_moves(context, ctx, state, job, out)
    if job[STATUS] in effects.STAKED:
        misuse_moves(context, ctx, state, job, out)
    timeout_moves(context, ctx, state, job, out)


def ticks(state: State) -> bool:
    """Whether the clock may advance: some job is open and its deadline has not passed."""
    for job in state[JOBS]:
        if job is not None and job[DEADLINE] != PASSED and job[PAYOUTS] is None:
            return True
    return False


def successors(context: FastContext, state: State) -> list[Any]:
    """Every accepted protocol move of ``state`` with its successor, as
    ``(label, state)`` pairs in the order of ``protocol_moves``."""
    out: list[Any] = []
    jobs = state[JOBS]
    for ctx in context.jobs:
        job = jobs[ctx.position]
        if job is None or job[STATUS] not in effects.TERMINAL:  # an ended job has no moves
            job_moves(context, ctx, state, out)
    if ticks(state):
        out.append((("tick", ENVIRONMENT, None, None), effects.tick(state)))
    return out

