"""The fast explorer's compact state, and the map from a spec market to it.

A state is a tuple of small tuples, hashable and compared in a few operations::

    (balances, uses, expiries, active, jobs, data_holders, model_holders, artefacts)

``balances`` follows the sorted accounts of :class:`~proofs.fast.context.FastContext`;
``uses`` and ``expiries`` (coded as the time abstraction codes them) follow the instance's
datasets, ``active`` its vendors; ``jobs`` holds one entry per job template, ``None``
until it is requested, else::

    (status, deadline, escrow, deposits, grants, accepted, confirmed, results,
     disputes, verdicts, payouts)

with the deadline coded relative to ``now`` (:mod:`proofs.explore_time`: -1 passed,
-2 for a closed job), ``deposits`` one amount (or ``None``) per party of
``JobContext.slots``, ``grants`` one ``(delivery_digest, key_digest)`` (or ``None``) per
dataset of the job, ``accepted`` and ``confirmed`` bit masks over the job's vendors,
``results`` one transcript (or ``None``) per vendor, ``disputes`` tuples
``(respondent, claim, low, high, turn, rounds, answers)``, ``verdicts`` tuples
``(convicted, offence, evidence)`` with a missed deadline's time facts replaced by their
order as the time abstraction replaces them, and ``payouts`` as the spec records them. Amounts are scaled to whole numbers
(:attr:`proofs.fast.context.FastContext.scale`).

``now`` itself is not part of the state: every time is relative to it, exactly as in the
spec explorer's time key, so :func:`encode` induces the same partition of markets as
:class:`proofs.explore_time.TimeKeys` (the agreement check verifies it on every explored
market: equal keys, equal encodings and the other way round).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proofs.explore_time import TimeKeys, missed_deadline_facts
from proofs.fast.context import FastContext, JobContext
from spec.actions import Call
from spec.state import Job, Market, Offence

State = tuple[Any, ...]
"""A compact state (see the module docstring)."""

Label = tuple[str, str, "str | None", Any]
"""A move as the fast explorer names it: (action, actor, job, the distinguishing argument)."""

BALANCES, USES, EXPIRIES, ACTIVE, JOBS, DATA_HOLDERS, MODEL_HOLDERS, ARTEFACTS = range(8)
STATUS, DEADLINE, ESCROW, DEPOSITS, GRANTS, ACCEPTED, CONFIRMED, RESULTS, DISPUTES, \
    VERDICTS, PAYOUTS = range(11)


def mask(names: frozenset[str], order: tuple[str, ...]) -> int:
    return sum(1 << position for position, name in enumerate(order) if name in names)


def encode_job(job: Job, context: JobContext, keys: TimeKeys, now: int,
               scale: Callable[[Any], int]) -> tuple[Any, ...]:
    if not set(job.deposits) <= set(context.slots):
        raise ValueError(f"{job.ident}: a deposit from outside the job's parties")
    verdicts = tuple(
        (verdict.convicted, verdict.offence,
         missed_deadline_facts(verdict.evidence, True)
         if verdict.offence == Offence.MISSED_DEADLINE else verdict.evidence)
        for verdict in job.verdicts)
    disputes = tuple((dispute.respondent, dispute.claimant_transcript, dispute.low, dispute.high,
                      dispute.turn, dispute.rounds, dispute.answers) for dispute in job.disputes)
    grants = tuple((grant.delivery_digest, grant.key_digest) if grant is not None else None
                   for grant in (job.grants.get(dataset) for dataset in context.datasets))
    return (job.status, keys.deadline_code(now, job), None,
            tuple(None if amount is None else scale(amount)
                  for amount in (job.deposits.get(party) for party in context.slots)), grants,
            mask(job.accepted, context.vendors), mask(job.confirmed, context.vendors),
            tuple(job.results.get(vendor) for vendor in context.vendors), disputes, verdicts,
            None if job.payouts is None else
            tuple((party, scale(amount)) for party, amount in job.payouts))


def encode(market: Market, context: FastContext, keys: TimeKeys) -> State:
    """The compact state of a spec market (its class under the time abstraction)."""
    now = market.now
    jobs: list[Any] = []
    for job_context in context.jobs:
        job = market.jobs.get(job_context.ident)
        if job is None:
            jobs.append(None)
            continue
        record = list(encode_job(job, job_context, keys, now, context.amount))
        record[ESCROW] = context.amount(market.escrows[job.ident])
        jobs.append(tuple(record))
    return (
        tuple(context.amount(market.balances[party]) for party in context.parties),
        tuple(market.datasets[name].uses for name in context.datasets),
        tuple(keys.expiry_code(now, market.datasets[name].licence.expiry)
              for name in context.datasets),
        tuple(market.offers[name].active_jobs for name in context.vendors),
        tuple(jobs), market.data_holders, market.model_holders, market.artefacts,
    )


def static_part(market: Market) -> tuple[Any, ...]:
    """What protocol moves never change and :func:`encode` leaves out: every identity,
    model, dataset and offer but their counters, the accounts and jobs present, the
    minted total, the job records' terms, and the parameters. The agreement check asserts
    it equals the initial market's (for the terms: the request's) on every market."""
    datasets = tuple((name, dataset.owner, dataset.commitment, dataset.price,
                      dataset.misuse_value, dataset.licence)
                     for name, dataset in market.datasets.items())
    offers = tuple((name, offer.fee, offer.cost, offer.capacity)
                   for name, offer in market.offers.items())
    return (market.dispute_cost, market.audit_probability, market.identities,
            tuple(market.balances), market.minted, datasets, market.models, offers)


def job_terms(job: Job) -> tuple[Any, ...]:
    """A job record's terms, fixed by its request."""
    return (job.ident, job.developer, job.model, job.datasets, job.vendors, job.purpose,
            job.steps, job.window, job.vendor_stake, job.developer_bond, job.owner_bond)


def label_of(made: Call) -> Label:
    """The fast explorer's name of a spec call (the inverse of what it generates)."""
    action, args = made.action, made.args
    job = args.get("job")
    extra: Any = None
    if action == "grant_access":
        extra = (args["dataset"], args["delivery_digest"], args["key_digest"])
    elif action in ("deny_access", "complain_inputs"):
        extra = args["dataset"]
    elif action == "submit_result":
        extra = tuple(args["transcript"])
    elif action == "dispute_result":
        extra = (args["vendor"], tuple(args["transcript"]))
    elif action in ("bisect_query", "bisect_answer"):
        extra = args["digest"]
    elif action == "report_misuse":
        extra = args["vendor"]
    return (action, made.actor, job, extra)
