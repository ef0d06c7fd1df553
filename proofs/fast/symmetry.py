"""The symmetry abstraction on compact states: one key per orbit of the instance's group.

The spec explorer's symmetric key (:class:`proofs.explore_symmetry.SymmetryKeys`) is the
least encoding of a market over the renamings of :func:`proofs.explore_symmetry.
instance_symmetries`, with three facts about the spec built in (that module states them):
names are only compared for equality, so a renaming of interchangeable parties maps runs
to runs; training digests are only compared within one (job, vendor) context, so each is
encoded as its offset from that context's honest digest at the same index (and a delivery
digest as its offset from its dataset's commitment); the order of verdicts is read only
through the last one's offence, payouts are a multiset, and a grant's key digest is read
by nothing.

:class:`FastSymmetry` gives a compact state the same classes. For each renaming of the
group it precomputes where every index goes — accounts, datasets, vendors, job templates,
and inside a job its deposit slots, datasets and vendors (a renaming maps a template to a
template with the same *sets* of datasets and vendors, possibly in another order) — and
encodes a state under it positionally, with digests as offsets from their own context
(which a renaming does not change). The key of a state is the set of its codes under the
whole group: two states share it exactly when one is the image of the other (the code
under one renaming is injective, and the group is closed under composition), which is the
partition the spec's least code induces. The agreement check
(:func:`proofs.fast.agreement.check_agreement` with ``abstraction="symmetry"``) verifies
it on every explored transition: same classes, numbered alike, same moves between them.

Each part of a code is cached by its value and renaming: successive states share most of
their parts.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from proofs.explore_symmetry import Renaming, instance_symmetries
from proofs.fast.context import FastContext, JobContext
from proofs.fast.state import (
    ACCEPTED,
    CONFIRMED,
    DEADLINE,
    DEPOSITS,
    DISPUTES,
    ESCROW,
    GRANTS,
    JOBS,
    PAYOUTS,
    RESULTS,
    STATUS,
    VERDICTS,
    State,
)
from spec.state import Offence
from spec.transcript import DIGEST_MODULUS, step_digest

Code = tuple[Any, ...]

INPUT_OFFENCES = (Offence.DEFECTIVE_INPUTS, Offence.FALSE_COMPLAINT)
COMPUTATION_OFFENCES = (Offence.WRONG_COMPUTATION, Offence.FALSE_DISPUTE)
DIGEST_FACTS = ("expected", "respondent_digest", "claimant_digest")


def renamed(value: Any, renaming: Renaming) -> Any:
    """``value`` with every instance name in it renamed (strings, inside tuples)."""
    if isinstance(value, str):
        return renaming.get(value, value)
    if isinstance(value, tuple):
        return tuple(renamed(item, renaming) for item in value)
    return value


def _sources(order: tuple[str, ...], renaming: Renaming, image_order: tuple[str, ...]) -> tuple[int, ...]:
    """For each position of ``image_order``, the position in ``order`` of the name the
    renaming maps there."""
    where = {renaming.get(name, name): position for position, name in enumerate(order)}
    return tuple(where[name] for name in image_order)


def _getter(sources: tuple[int, ...]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """``values -> tuple(values[i] for i in sources)``, at C speed."""
    if len(sources) >= 2:
        return itemgetter(*sources)
    return lambda values: tuple(values[i] for i in sources)


class JobMap:
    """Where one renaming sends one job template: the image template and, for each of
    its slots, datasets and vendors, the position it comes from."""

    def __init__(self, source: JobContext, image: JobContext, renaming: Renaming):
        self.target = image.position
        self.slots = _sources(source.slots, renaming, image.slots)
        self.datasets = _sources(source.datasets, renaming, image.datasets)
        self.vendors = _sources(source.vendors, renaming, image.vendors)
        self.masks = permuted_masks(self.vendors)


def permuted_masks(sources: tuple[int, ...]) -> tuple[int, ...]:
    """For every bit mask over a job's vendors, the mask with bit ``sources[t]`` moved to
    bit ``t`` (accepted and confirmed sets under a renaming of the vendors)."""
    return tuple(sum(1 << target for target, origin in enumerate(sources) if mask >> origin & 1)
                 for mask in range(1 << len(sources)))


class Normaliser:
    """The renaming-free part of the encoding: digests as offsets from their context."""

    def __init__(self, context: FastContext):
        self.context = context
        self._chains: dict[tuple[int, int], list[int]] = {}
        self._transcripts: dict[tuple[int, int, tuple[int, ...]], tuple[int, ...]] = {}
        self._verdicts: dict[tuple[int, Any], Code] = {}

    def chain(self, job: JobContext, vendor: int, length: int) -> list[int]:
        """Digests 0..length of the honest run of the job's vendor ``vendor``."""
        chain = self._chains.get((job.position, vendor))
        if chain is None:
            chain = self._chains[(job.position, vendor)] = [job.starts[vendor]]
        while len(chain) <= length:
            chain.append(step_digest(chain[-1], len(chain)))
        return chain

    def transcript(self, job: JobContext, vendor: int, transcript: tuple[int, ...]) -> tuple[int, ...]:
        known = self._transcripts.get((job.position, vendor, transcript))
        if known is None:
            chain = self.chain(job, vendor, max(len(transcript), job.steps))
            known = tuple((digest - chain[index]) % DIGEST_MODULUS
                          for index, digest in enumerate(transcript, start=1))
            self._transcripts[(job.position, vendor, transcript)] = known
        return known

    def verdict(self, job: JobContext, verdict: Any) -> Code:
        """A verdict with its digests as offsets (names still as they are)."""
        known = self._verdicts.get((job.position, verdict))
        if known is not None:
            return known
        convicted, offence, evidence = verdict
        facts = dict(evidence)
        if offence in INPUT_OFFENCES:
            commitment = job.commitments[job.datasets.index(facts["dataset"])]
            evidence = tuple((fact, (value - commitment) % DIGEST_MODULUS
                              if fact in ("delivery_digest", "commitment") else value)
                             for fact, value in evidence)
        elif offence in COMPUTATION_OFFENCES:
            step = facts["step"]
            chain = self.chain(job, job.vendors.index(facts["respondent"]), max(step, job.steps))
            evidence = tuple(
                (fact, (value - chain[step - 1]) % DIGEST_MODULUS if fact == "pre_state"
                 else (value - chain[step]) % DIGEST_MODULUS if fact in DIGEST_FACTS else value)
                for fact, value in evidence)
        known = self._verdicts[(job.position, verdict)] = (convicted, offence.value, evidence)
        return known


class FastSymmetry:
    """Keys of compact states under time and symmetry abstraction (see the module)."""

    def __init__(self, context: FastContext, group: list[Renaming] | None = None):
        self.context = context
        self.group = instance_symmetries(context.instance, context.initial) \
            if group is None else group
        self.normaliser = Normaliser(context)
        by_ident = {job.ident: job for job in context.jobs}
        self.maps: list[tuple[Renaming, tuple[int, ...], tuple[int, ...], tuple[int, ...],
                              tuple[JobMap, ...]]] = []
        for renaming in self.group:
            self.maps.append((
                renaming,
                _sources(context.parties, renaming, context.parties),
                _sources(context.datasets, renaming, context.datasets),
                _sources(context.vendors, renaming, context.vendors),
                tuple(JobMap(job, by_ident[renaming.get(job.ident, job.ident)], renaming)
                      for job in context.jobs)))
        self._jobs: list[dict[Any, int]] = [{} for _ in self.group]
        self._ids: dict[Code, int] = {}
        """The number of every job code met (the codes, interned)."""
        self._sets: list[dict[Any, frozenset[Any]]] = [{} for _ in self.group]
        self._placed: list[dict[Any, tuple[Any, ...]]] = [{} for _ in self.group]
        self._placed_all: dict[Any, tuple[tuple[Any, ...], ...]] = {}
        """A jobs tuple's codes under every renaming (one lookup for the whole group)."""
        self._verdicts: list[dict[Any, tuple[Code, str]]] = [{} for _ in self.group]
        self.getters = [(_getter(parties), _getter(datasets), _getter(vendors),
                         self._place_jobs(index))
                        for index, (_, parties, datasets, vendors, _) in enumerate(self.maps)]

    def job_code(self, index: int, job: JobContext, record: tuple[Any, ...]) -> int:
        """A job record under renaming ``index``, positioned as its image template, as the
        number of its code (codes are interned: equal codes, equal numbers)."""
        memo = self._jobs[index]
        found = memo.get((job.position, record))
        if found is not None:
            return found
        renaming, _, _, _, jobs = self.maps[index]
        where = jobs[job.position]
        normal = self.normaliser
        deposits, grants, results = record[DEPOSITS], record[GRANTS], record[RESULTS]
        commitments = job.commitments
        verdicts = self._verdicts[index].get((job.position, record[VERDICTS]))
        if verdicts is None:
            verdicts = self._verdicts[index][(job.position, record[VERDICTS])] = (
                tuple(sorted(renamed(normal.verdict(job, verdict), renaming)
                             for verdict in record[VERDICTS])),
                normal.verdict(job, record[VERDICTS][-1])[1] if record[VERDICTS] else "")
        payouts = record[PAYOUTS]
        code = (
            record[STATUS], record[DEADLINE], record[ESCROW],
            tuple(deposits[origin] for origin in where.slots),
            tuple(None if grants[origin] is None
                  else (grants[origin][0] - commitments[origin]) % DIGEST_MODULUS
                  for origin in where.datasets),
            where.masks[record[ACCEPTED]], where.masks[record[CONFIRMED]],
            tuple(None if results[origin] is None
                  else normal.transcript(job, origin, results[origin])
                  for origin in where.vendors),
            tuple((renaming.get(respondent, respondent),
                   normal.transcript(job, job.vendors.index(respondent), claim), *rest)
                  for respondent, claim, *rest in record[DISPUTES]),
            verdicts,
            None if payouts is None else tuple(sorted(
                (renaming.get(party, party), amount) for party, amount in payouts)),
        )
        # Interned: equal codes get one number, so a state's code hashes a few ints.
        known = memo[(job.position, record)] = self.number(code)
        return known

    def number(self, code: Code) -> int:
        """The number of a job code: the same for equal codes, different otherwise."""
        return self._ids.setdefault(code, len(self._ids))

    def names(self, index: int, items: frozenset[Any]) -> frozenset[Any]:
        """A set of name tuples (holders, artefacts) under renaming ``index``."""
        memo = self._sets[index]
        known = memo.get(items)
        if known is None:
            known = memo[items] = frozenset(renamed(item, self.maps[index][0]) for item in items)
        return known

    def code(self, index: int, state: State, placed: tuple[Any, ...] | None = None) -> Code:
        """The code of ``state`` under renaming ``index`` of the group (``placed``: its
        jobs' codes under it, if known)."""
        parties, datasets, vendors, jobs_of = self.getters[index]
        sets = self._sets[index]
        balances, uses, expiries, active, jobs, data_holders, model_holders, artefacts = state
        if placed is None:
            placed = self._placed[index].get(jobs)
            if placed is None:
                placed = self._placed[index][jobs] = jobs_of(jobs)
        holders = sets.get(data_holders)
        if holders is None:
            holders = self.names(index, data_holders)
        models = sets.get(model_holders)
        if models is None:
            models = self.names(index, model_holders)
        made = sets.get(artefacts)
        if made is None:
            made = self.names(index, artefacts)
        return (parties(balances), datasets(uses), datasets(expiries), vendors(active),
                placed, holders, models, made)

    def _place_jobs(self, index: int) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        maps = self.maps[index][4]
        targets = [maps[job.position].target for job in self.context.jobs]
        contexts = self.context.jobs
        job_code = self.job_code

        def place(jobs: tuple[Any, ...]) -> tuple[Any, ...]:
            placed: list[Any] = [None] * len(jobs)
            for job, target, record in zip(contexts, targets, jobs):
                if record is not None:
                    placed[target] = job_code(index, job, record)
            return tuple(placed)
        return place

    def key(self, state: State) -> Any:
        """The class of ``state``: its codes under the whole group (an orbit's name)."""
        if len(self.group) == 1:
            return self.code(0, state)
        jobs = state[JOBS]
        placed = self._placed_all.get(jobs)
        if placed is None:
            placed = self._placed_all[jobs] = tuple(getter[3](jobs) for getter in self.getters)
        return frozenset([self.code(index, state, jobs_code) for index, jobs_code in enumerate(placed)])
