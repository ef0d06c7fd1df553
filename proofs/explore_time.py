"""The time abstraction: canonical keys of markets with times relative to ``now``.

The clock ``now`` only grows, so without abstraction two markets that differ only in when
things happened are different nodes of the explored graph. Every time value is replaced
by its distance from ``now``, because the spec only ever compares ``now > deadline`` and
``now > licence.expiry`` and only ever sets ``deadline = now + window``. A deadline
already passed stays passed until the job moves (the move sets a new deadline from
``now``), so every passed deadline is coded -1. A closed job's deadline is never read
(every guard checks the job's status first), so it is dropped. A ``MISSED_DEADLINE``
verdict keeps, as evidence, the ``now`` and ``deadline`` of its timeout; the only reader
compares them (``now > deadline``), so the key keeps that comparison. A licence expiry at
or beyond the *horizon* is coded "far": the explorer verifies afterwards that no run
reaches ``now`` beyond the horizon (see :mod:`proofs.explore_checks`), so such a licence
never expires in any run and its distance from ``now`` is irrelevant.

The key is *interned* (hash-consed): each part of a market (its balances, its datasets
with their expiry codes, each job record with its deadline code...) is replaced by a small
whole number, equal numbers for equal parts, so that the key is a short tuple of ints
that is hashed and compared in a few operations. Parts are looked up by the identity of
the immutable object holding them first (a successor shares most of its parts with the
market it was made from), by value only when a part is new. Equal keys therefore mean
equal parts: interning changes the cost of the key, never the partition it induces.

See :mod:`proofs.explore_keys` for the keys as a whole and
:mod:`proofs.explore_symmetry` for the symmetry reduction built on this key.
"""

from __future__ import annotations

from spec.world import Instance
from spec.state import Job, Market, Offence, is_terminal


FAR = 1 << 62
"""The code of a licence expiry that no run can reach (larger than every real code)."""

PASSED = -1
"""The code of a deadline or expiry that has passed."""

CLOSED = -2
"""The deadline code of a terminal job (its deadline is never read again)."""


def time_code(now: int, moment: int) -> int:
    """How far ``moment`` lies after ``now``; every moment already passed is -1.

    The spec compares only ``now > moment``; and since ``now`` grows by one tick at a
    time, a moment ``k >= 0`` ticks ahead passes after exactly ``k + 1`` ticks.
    """
    return moment - now if moment >= now else PASSED


def missed_deadline_facts(evidence: tuple[tuple[str, object], ...], relative: bool) -> tuple:
    """Evidence of a verdict with its ``now``/``deadline`` facts replaced by their order.

    The only reader of these facts (``spec.invariants.verdict_is_justified``) evaluates
    ``now > deadline``; keeping that truth value keeps what the evidence proves.
    """
    if not relative:
        return evidence
    facts = dict(evidence)
    now, deadline = facts.get("now"), facts.get("deadline")
    if not isinstance(now, int) or not isinstance(deadline, int):
        return evidence
    passed = now > deadline
    return tuple((name, value) for name, value in evidence if name not in ("now", "deadline")) \
        + (("now_after_deadline", passed),)


class TimeKeys:
    """Keys under the time abstraction, names kept as they are.

    ``horizon`` is the first absolute time that runs are assumed never to reach; licence
    expiries at or beyond it are coded :data:`FAR` (``None``: no expiry is coded far).
    With ``relative=False`` this is the identity on time: absolute times are kept.
    """

    def __init__(self, horizon: int | None, relative: bool = True):
        self.horizon = horizon
        self.relative = relative
        self._job_parts: dict[int, tuple[Job, tuple]] = {}
        self._verdict_parts: dict[int, tuple[tuple, tuple]] = {}

    def expiry_code(self, now: int, expiry: int) -> int:
        if not self.relative:
            return expiry
        if self.horizon is not None and expiry >= self.horizon:
            return FAR
        return time_code(now, expiry)

    def job_part(self, job: Job) -> tuple:
        """Everything of a job record except its deadline (cached per record object)."""
        cached = self._job_parts.get(id(job))
        if cached is not None and cached[0] is job:
            return cached[1]
        verdicts = self._verdict_parts.get(id(job.verdicts))
        if verdicts is None or verdicts[0] is not job.verdicts:
            verdicts = (job.verdicts, tuple(
                (verdict.convicted, verdict.offence,
                 missed_deadline_facts(verdict.evidence, self.relative)
                 if verdict.offence == Offence.MISSED_DEADLINE else verdict.evidence)
                for verdict in job.verdicts))
            self._verdict_parts[id(job.verdicts)] = verdicts
        verdicts = verdicts[1]
        part = (job.ident, job.developer, job.model, job.datasets, job.vendors, job.purpose,
                job.steps, job.window, job.vendor_stake, job.developer_bond, job.owner_bond,
                job.status, job.deposits, job.grants, job.accepted, job.confirmed, job.results,
                job.disputes, verdicts, job.payouts)
        self._job_parts[id(job)] = (job, part)
        return part

    def deadline_code(self, now: int, job: Job) -> int:
        if not self.relative:
            return job.deadline
        return CLOSED if is_terminal(job) else time_code(now, job.deadline)

    def key(self, market: Market) -> tuple:
        now = market.now
        datasets = tuple(
            (name, dataset.owner, dataset.commitment, dataset.price, dataset.misuse_value,
             dataset.licence.purposes, self.expiry_code(now, dataset.licence.expiry),
             dataset.licence.max_uses, dataset.uses)
            for name, dataset in market.datasets.items())
        jobs = tuple((self.job_part(job), self.deadline_code(now, job))
                     for job in market.jobs.values())
        return (now if not self.relative else 0, market.dispute_cost, market.audit_probability,
                market.identities, market.balances, market.escrows, market.minted, datasets,
                market.models, market.offers, jobs, market.data_holders, market.model_holders,
                market.artefacts)


def static_horizon(instance: Instance) -> int:
    """The time from which licence expiries are coded "far" (never reached).

    A guess from the instance's shape: ticks are only possible while some open job's
    deadline has not passed, and every deadline is set ``window`` ticks after one of a
    job's moves that set deadlines — request, licence, start and delivery, and per vendor
    a dispute, two per bisection round and the conviction that returns the job to
    DELIVERED. The explorer does not trust the guess: it measures the longest run in ticks
    and reports the abstraction invalid if a run reaches an expiry coded far.
    """
    rounds = (instance.steps - 1).bit_length()
    per_job = max((4 + len(template.vendors) * (2 + 2 * rounds) for template in instance.jobs),
                  default=0)
    return len(instance.jobs) * per_job * (instance.window + 1) + 1
