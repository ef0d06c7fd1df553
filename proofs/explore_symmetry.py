"""The symmetry reduction: the least encoding of a market over the instance's symmetries.

Parties of one role that the instance treats alike are interchangeable: a permutation of
the instance's names (jobs, owners with their datasets, developers with their models,
vendors) that maps every job template to a template with the same developer, the same
*set* of datasets and the same *set* of vendors, and the initial market to itself, maps
every run to a run. The key (:class:`SymmetryKeys`) is the least encoding of the market
over that group, with the time abstraction of :mod:`proofs.explore_time` (optional).

The symmetric encoding rests on three facts about the spec, each stated where it is used:

1. names are only compared for equality; the order of the datasets and vendors inside a
   job (and so the order of payouts, and of the verdicts of one timeout) changes no
   guard, effect, invariant or payoff except through the training digests of point 2;
   verdicts are read in order only for the last one's offence (a RESOLVED job's
   outcome), and the order of disputes is kept (the last one is being played);
2. training digests are only compared within one (job, vendor) context — a vendor's
   transcript, the developer's claim against it, the re-executed step — and the step
   function is affine (``step(d + a) = step(d) + 48271 a``), so each digest is encoded as
   its offset from the honest digest at the same index of that context; delivery digests
   are only compared with their dataset's commitment, so they are encoded as offsets
   from it;
3. fields that nothing reads (an identity's organisation, a grant's key digest) are left
   out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from enum import Enum
from itertools import permutations, product

from proofs.explore_time import TimeKeys, missed_deadline_facts
from spec.world import Instance, JobTemplate
from spec.state import Job, Market, Offence
from spec.transcript import DIGEST_MODULUS, initial_digest, step_digest


Renaming = dict[str, str]
"""A permutation of an instance's names, as a map (names it does not move are absent)."""


@dataclass(frozen=True)
class NameClasses:
    """The interchangeable names of an instance, by role, with the names tied to them."""

    jobs: tuple[str, ...]
    owners: tuple[str, ...]
    developers: tuple[str, ...]
    vendors: tuple[str, ...]
    dataset_of_owner: dict[str, str]
    model_of_developer: dict[str, str]


def name_classes(instance: Instance) -> NameClasses:
    return NameClasses(
        jobs=tuple(template.ident for template in instance.jobs),
        owners=instance.owner_names,
        developers=instance.developer_names,
        vendors=instance.vendor_names,
        dataset_of_owner=dict(zip(instance.owner_names, instance.dataset_names)),
        model_of_developer={developer: instance.model_of(developer)
                            for developer in instance.developer_names},
    )


def _bijections(names: tuple[str, ...]) -> Iterator[dict[str, str]]:
    for image in permutations(names):
        yield dict(zip(names, image))


def _template_image(template: JobTemplate, renaming: Renaming) -> tuple:
    return (renaming.get(template.ident, template.ident),
            renaming.get(template.developer, template.developer),
            frozenset(renaming.get(dataset, dataset) for dataset in template.datasets),
            frozenset(renaming.get(vendor, vendor) for vendor in template.vendors))


def _template_shape(template: JobTemplate) -> tuple:
    return (template.ident, template.developer, frozenset(template.datasets),
            frozenset(template.vendors))


GROUP_LIMIT = 200_000
"""Candidate permutations tried at most; beyond it only the identity is used."""


def instance_symmetries(instance: Instance, initial: Market) -> list[Renaming]:
    """Every renaming that maps the instance to itself, the identity first.

    A candidate permutes the jobs, the owners (each dataset follows its owner), the
    developers (each model follows its developer) and the vendors. It is kept when it
    maps the set of job templates onto itself — same developer, same set of datasets,
    same set of vendors — and the initial market onto an equally encoded market (so
    balances, prices, capacities and licences agree).
    """
    classes = name_classes(instance)
    sizes = 1
    for group in (classes.jobs, classes.owners, classes.developers, classes.vendors):
        for count in range(2, len(group) + 1):
            sizes *= count
    identity: Renaming = {}
    if sizes > GROUP_LIMIT:
        return [identity]
    shapes = {_template_shape(template) for template in instance.jobs}
    found: list[Renaming] = [identity]
    reference = SymmetryEncoder(initial, relative=True, horizon=None)
    initial_code = reference.encode(initial, identity)
    for jobs, owners, developers, vendors in product(
            _bijections(classes.jobs), _bijections(classes.owners),
            _bijections(classes.developers), _bijections(classes.vendors)):
        renaming: Renaming = {}
        for mapping in (jobs, owners, developers, vendors):
            renaming.update(mapping)
        for owner, image in owners.items():
            renaming[classes.dataset_of_owner[owner]] = classes.dataset_of_owner[image]
        for developer, image in developers.items():
            renaming[classes.model_of_developer[developer]] = classes.model_of_developer[image]
        renaming = {name: image for name, image in renaming.items() if name != image}
        if not renaming:
            continue
        if {_template_image(template, renaming) for template in instance.jobs} != shapes:
            continue
        if reference.encode(initial, renaming) != initial_code:
            continue
        found.append(renaming)
    return found


class Unclassifiable(Exception):
    """A market holds a value the symmetric encoding cannot rename faithfully."""


def _offset(value: object, base: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unclassifiable(f"digest {value!r} is not a whole number")
    return (value - base) % DIGEST_MODULUS


class SymmetryEncoder:
    """Encodes a market under a renaming, with digests relative to their context.

    For a fixed renaming the encoding is injective (distinct markets get distinct codes),
    and a market and its image under an instance symmetry get equal codes under suitable
    renamings. The code of each part of a market (a map, a set, a job's results...) is
    cached per renaming by the identity of the immutable object holding it, since a
    market shares most of its parts with the market it was made from.
    """

    def __init__(self, initial: Market, relative: bool, horizon: int | None,
                 group: list[Renaming] | None = None):
        self.times = TimeKeys(horizon, relative)
        self.relative = relative
        self.commitments = {name: dataset.commitment for name, dataset in initial.datasets.items()}
        self.model_commitments = {name: model.commitment for name, model in initial.models.items()}
        self.group: list[Renaming] = list(group or [])
        self._chains: dict[tuple, tuple[int, ...]] = {}
        self._transcripts: dict[tuple, tuple[int, ...]] = {}
        self._cache: dict[tuple, tuple[object, tuple]] = {}

    # -- digests relative to their context ---------------------------------------------

    def honest_chain(self, market: Market, job: Job, vendor: str, length: int) -> tuple[int, ...]:
        """Digests 0..length of the honest run of ``vendor`` in ``job`` (index 0: start)."""
        try:
            position = job.vendors.index(vendor)
            model_commitment = market.models[job.model].commitment
            commitments = tuple(market.datasets[dataset].commitment for dataset in job.datasets)
        except (ValueError, KeyError) as error:
            raise Unclassifiable(f"no training context for {vendor} in {job.ident}") from error
        context = (model_commitment, commitments, position, length)
        chain = self._chains.get(context)
        if chain is None:
            current = initial_digest(model_commitment, commitments, position)
            digests = [current]
            for step in range(1, length + 1):
                current = step_digest(current, step)
                digests.append(current)
            chain = tuple(digests)
            self._chains[context] = chain
        return chain

    def transcript_code(self, market: Market, job: Job, vendor: str,
                        transcript: tuple[int, ...]) -> tuple[int, ...]:
        chain = self.honest_chain(market, job, vendor, max(len(transcript), job.steps))
        known = self._transcripts.get((chain, transcript))
        if known is None:
            known = tuple(_offset(digest, chain[index])
                          for index, digest in enumerate(transcript, start=1))
            self._transcripts[(chain, transcript)] = known
        return known

    def commitment_offset(self, market: Market, dataset: str, value: object) -> int:
        if dataset not in market.datasets:
            raise Unclassifiable(f"unknown dataset {dataset!r}")
        return _offset(value, market.datasets[dataset].commitment)

    # -- the parts of a job record ----------------------------------------------------------

    def verdicts_code(self, market: Market, job: Job, rename) -> tuple:
        """The verdicts as a sorted collection plus the offence of the last one, with
        digests as offsets from their context and names renamed.

        The order of verdicts is read only through the last one (it names a RESOLVED
        job's outcome); one timeout convicts several silent vendors in the order of the
        job's vendors, which a renaming would otherwise turn into a difference.
        """
        codes = []
        for verdict in job.verdicts:
            facts: list[tuple[str, object]] = []
            evidence = dict(verdict.evidence)
            if verdict.offence in (Offence.DEFECTIVE_INPUTS, Offence.FALSE_COMPLAINT):
                dataset = evidence.get("dataset")
                if not isinstance(dataset, str):
                    raise Unclassifiable(f"an inputs verdict about dataset {dataset!r}")
                for fact, value in verdict.evidence:
                    if fact in ("delivery_digest", "commitment"):
                        facts.append((fact, self.commitment_offset(market, dataset, value)))
                    elif fact in ("dataset", "complainant"):
                        facts.append((fact, rename(value, value)))
                    else:
                        raise Unclassifiable(f"unknown evidence fact {fact!r}")
            elif verdict.offence in (Offence.WRONG_COMPUTATION, Offence.FALSE_DISPUTE):
                respondent = evidence.get("respondent")
                step = evidence.get("step")
                if not isinstance(respondent, str) or not isinstance(step, int) or step < 1:
                    raise Unclassifiable(f"a computation verdict about {respondent!r} at {step!r}")
                chain = self.honest_chain(market, job, respondent, max(step, job.steps))
                for fact, value in verdict.evidence:
                    if fact == "step":
                        facts.append((fact, value))
                    elif fact == "respondent":
                        facts.append((fact, rename(value, value)))
                    elif fact == "pre_state":
                        facts.append((fact, _offset(value, chain[step - 1])))
                    elif fact in ("expected", "respondent_digest", "claimant_digest"):
                        facts.append((fact, _offset(value, chain[step])))
                    else:
                        raise Unclassifiable(f"unknown evidence fact {fact!r}")
            elif verdict.offence == Offence.MISSED_DEADLINE:
                for fact, value in missed_deadline_facts(verdict.evidence, self.relative):
                    if fact in ("status", "turn", "now_after_deadline", "now", "deadline"):
                        facts.append((fact, value))
                    elif fact == "respondent" and isinstance(value, str):
                        facts.append((fact, rename(value, value)))
                    else:
                        raise Unclassifiable(f"unknown evidence fact {fact!r}")
            elif verdict.offence == Offence.DATA_MISUSE:
                for fact, value in verdict.evidence:
                    if fact == "artefact" and isinstance(value, tuple) and len(value) == 3:
                        facts.append((fact, (value[0], rename(value[1], value[1]),
                                             rename(value[2], value[2]))))
                    elif fact == "reporter":
                        facts.append((fact, rename(value, value)))
                    else:
                        raise Unclassifiable(f"unknown evidence fact {fact!r}")
            else:
                raise Unclassifiable(f"unknown offence {verdict.offence!r}")
            codes.append((rename(verdict.convicted, verdict.convicted), verdict.offence.value,
                          tuple(facts)))
        return (tuple(sorted(codes)), codes[-1][1] if codes else "")

    def dispute_code(self, market: Market, job: Job, dispute, rename) -> tuple:
        """A dispute with its respondent renamed and the claimant's transcript as offsets
        from the respondent's honest run; every other field as it is."""
        code = []
        for item in fields(dispute):
            value = getattr(dispute, item.name)
            if item.name == "respondent":
                value = rename(value, value)
            elif item.name == "claimant_transcript":
                value = self.transcript_code(market, job, dispute.respondent, value)
            elif isinstance(value, Enum):
                value = value.value
            code.append(value)
        return tuple(code)

    def job_code(self, market: Market, job: Job, rename, memo) -> tuple:
        """A job record under a renaming, without its deadline.

        Each part is cached by the identity of the object holding it: a job record shares
        most of its parts with the record it was made from.
        """
        ident = job.ident
        return (
            memo("names", job.datasets, job.vendors, lambda: (
                rename(ident, ident), rename(job.developer, job.developer),
                rename(job.model, job.model),
                tuple(sorted(rename(dataset, dataset) for dataset in job.datasets)),
                tuple(sorted(rename(vendor, vendor) for vendor in job.vendors)))),
            job.purpose, job.steps, job.window, job.vendor_stake, job.developer_bond,
            job.owner_bond, job.status.value,
            memo("deposits", job.deposits, None, lambda: tuple(sorted(
                (rename(party, party), amount) for party, amount in job.deposits.items()))),
            memo("grants", job.grants, None, lambda: tuple(sorted(
                (rename(dataset, dataset),
                 self.commitment_offset(market, dataset, grant.delivery_digest))
                for dataset, grant in job.grants.items()))),
            memo("parties", job.accepted, None, lambda: tuple(sorted(
                rename(vendor, vendor) for vendor in job.accepted))),
            memo("parties", job.confirmed, None, lambda: tuple(sorted(
                rename(vendor, vendor) for vendor in job.confirmed))),
            memo("results", job.results, ident, lambda: tuple(sorted(
                (rename(vendor, vendor), self.transcript_code(market, job, vendor, transcript))
                for vendor, transcript in job.results.items()))),
            memo("disputes", job.disputes, ident, lambda: tuple(
                self.dispute_code(market, job, dispute, rename) for dispute in job.disputes)),
            memo("verdicts", job.verdicts, ident, lambda: self.verdicts_code(market, job, rename)),
            () if job.payouts is None else memo("payouts", job.payouts, None, lambda: (1, tuple(
                sorted((rename(account, account), amount) for account, amount in job.payouts)))),
        )

    def _check_commitments(self, market: Market) -> None:
        for dataset, record in market.datasets.items():
            if self.commitments.get(dataset) != record.commitment:
                raise Unclassifiable(f"the commitment of {dataset} changed")
        for model, record in market.models.items():
            if self.model_commitments.get(model) != record.commitment:
                raise Unclassifiable(f"the commitment of {model} changed")

    def _fields(self, market: Market) -> list:
        """The fields of a market's code, each a function ``(renaming, memo) -> value``.

        ``memo(kind, obj, extra, compute)`` returns ``compute()``, possibly cached for
        the object ``obj``. Fields that tell renamings apart most cheaply come first, so
        that :meth:`least_code` can drop losing renamings early.
        """
        now = market.now
        datasets = market.datasets
        expiries = tuple(self.times.expiry_code(now, record.licence.expiry)
                         for record in datasets.values())

        def balances(rename, memo):
            return memo("amounts", market.balances, None, lambda: tuple(sorted(
                (rename(account, account), amount) for account, amount in market.balances.items())))

        def escrows(rename, memo):
            return memo("amounts", market.escrows, None, lambda: tuple(sorted(
                (rename(job, job), amount) for job, amount in market.escrows.items())))

        def offers(rename, memo):
            return memo("offers", market.offers, None, lambda: tuple(sorted(
                (rename(vendor, vendor), offer.fee, offer.cost, offer.capacity, offer.active_jobs)
                for vendor, offer in market.offers.items())))

        def dataset_records(rename, memo):
            return memo("datasets", datasets, expiries, lambda: tuple(sorted(
                (rename(dataset, dataset), rename(record.owner, record.owner), record.price,
                 record.misuse_value, tuple(sorted(record.licence.purposes)), expiry,
                 record.licence.max_uses, record.uses)
                for (dataset, record), expiry in zip(datasets.items(), expiries))))

        def artefacts(rename, memo):
            return memo("artefacts", market.artefacts, None, lambda: tuple(sorted(
                (kind, rename(job, job), rename(signer, signer))
                for kind, job, signer in market.artefacts)))

        def data_holders(rename, memo):
            return memo("data_holders", market.data_holders, None, lambda: tuple(sorted(
                (rename(job, job), rename(dataset, dataset), rename(holder, holder))
                for job, dataset, holder in market.data_holders)))

        def model_holders(rename, memo):
            return memo("model_holders", market.model_holders, None, lambda: tuple(sorted(
                (rename(job, job), rename(holder, holder)) for job, holder in market.model_holders)))

        def jobs(rename, memo):
            return tuple(sorted((self.job_code(market, job, rename, memo),
                                 self.times.deadline_code(now, job))
                                for job in market.jobs.values()))

        def identities(rename, memo):
            return memo("identities", market.identities, None, lambda: tuple(sorted(
                (rename(ident, ident), identity.role.value)
                for ident, identity in market.identities.items())))

        def models(rename, memo):
            return memo("models", market.models, None, lambda: tuple(sorted(
                (rename(model, model), rename(record.owner, record.owner))
                for model, record in market.models.items())))

        return [lambda rename, memo: (0 if self.relative else now, market.dispute_cost,
                                      market.audit_probability, market.minted),
                balances, escrows, offers, dataset_records, artefacts, data_holders,
                model_holders, jobs, identities, models]

    def encode(self, market: Market, renaming: Renaming) -> tuple:
        """The code of ``market`` under any renaming (nothing cached)."""
        self._check_commitments(market)
        def uncached(kind, obj, extra, compute):
            return compute()
        return tuple(field(renaming.get, uncached) for field in self._fields(market))

    def least_code(self, market: Market) -> tuple:
        """The least code of ``market`` over the group, field by field.

        Equal to ``min(encode(market, r) for r in group)``: the codes are compared
        lexicographically, so after each field only the renamings that tie at the least
        value so far can still win. Parts are cached per renaming.
        """
        self._check_commitments(market)
        cache = self._cache
        memos = []
        for index in range(len(self.group)):
            def memo(kind, obj, extra, compute, index=index):
                key = (kind, id(obj), extra, index)
                entry = cache.get(key)
                if entry is not None and entry[0] is obj:
                    return entry[1]
                value = compute()
                cache[key] = (obj, value)
                return value
            memos.append(memo)
        renames = [renaming.get for renaming in self.group]
        alive = list(range(len(self.group)))
        code = []
        for field in self._fields(market):
            if len(alive) == 1:
                only = alive[0]
                value = field(renames[only], memos[only])
            else:
                values = [(field(renames[index], memos[index]), index) for index in alive]
                value = min(item for item, _ in values)
                alive = [index for item, index in values if item == value]
            code.append(value)
        return tuple(code)


class SymmetryKeys:
    """Keys under time abstraction (optional) and the instance's symmetry group.

    A market the symmetric encoding cannot classify (a changed commitment, a digest that
    is not a number, an unknown evidence fact — only mutated specs produce these) keeps
    its finer time key, tagged so it never equals a symmetric key: a finer partition is
    always sound, it only saves less.
    """

    def __init__(self, instance: Instance, initial: Market, horizon: int | None,
                 relative: bool = True):
        self.group = instance_symmetries(instance, initial)
        self.encoder = SymmetryEncoder(initial, relative, horizon, self.group)
        self.fallback = TimeKeys(horizon, relative)
        self.unclassified = 0
        self._known: dict[tuple, tuple] = {}

    def key(self, market: Market) -> tuple:
        """The symmetric key, looked up first by the cheaper time key: markets with
        equal time keys are equivalent, so their symmetric keys are equal too."""
        finer = self.fallback.key(market)
        known = self._known.get(finer)
        if known is not None:
            return known
        try:
            key = (0, self.encoder.least_code(market))
        except Unclassifiable:
            self.unclassified += 1
            key = (1, finer)
        self._known[finer] = key
        return key
