"""What an instance fixes once for the fast explorer: names, indices, amounts, digests.

Everything here is read from the instance and from the spec's own market after setup
(:func:`spec.world.setup`), through the spec's own helpers (``start_digest``,
``developer_deposit``, ``misuse_compensation``, the stake requirements), so the amounts
the fast step moves are the ones the spec computes. Nothing here changes during a run:
:func:`proofs.fast.state.static_part` names the parts of a market the protocol moves never
change, and the agreement check verifies that every explored spec market keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import lcm
from typing import Any

from proofs.explore_time import TimeKeys, static_horizon
from spec.actions import (
    developer_deposit,
    misuse_compensation,
    requirements_request_training,
    start_digest,
)
from spec.state import TREASURY, Job, JobStatus, Market
from spec.world import Instance, JobTemplate, request_call, setup
from walks.moves import transcript_choices


@dataclass(frozen=True)
class JobContext:
    """One job template with every static fact the fast step needs."""

    position: int
    """Index of the job in the state's job tuple (the template's position)."""
    ident: str
    developer: str
    datasets: tuple[str, ...]
    owners: tuple[str, ...]
    """The owner of each dataset of the job, in the job's dataset order."""
    report_owners: tuple[str, ...]
    """The owners once each, in dataset order (who may report misuse)."""
    vendors: tuple[str, ...]
    dataset_index: tuple[int, ...]
    """Index of each dataset in the instance's dataset tuple (licence uses, expiries)."""
    vendor_index: tuple[int, ...]
    """Index of each vendor in the instance's vendor tuple (offers' active jobs)."""
    prices: tuple[Any, ...]
    commitments: tuple[int, ...]
    compensations: tuple[Any, ...]
    """``misuse_value / audit_probability`` of each dataset."""
    fees: tuple[Any, ...]
    steps: int
    window: int
    vendor_stake: Any
    developer_bond: Any
    owner_bond: Any
    deposit: Any
    """What the developer pays in at request (``developer_deposit``)."""
    slots: tuple[str, ...]
    """The parties that may deposit into the job, sorted (the spec's map order)."""
    starts: tuple[int, ...]
    """The agreed start digest of each vendor's training."""
    choices: tuple[tuple[tuple[int, ...], ...], ...]
    """Per vendor, the transcripts a vendor may submit or the developer claim."""
    stakes_admissible: bool
    """Whether the request's stakes meet the spec's minimums (amounts only)."""
    full: int
    """The bit mask of every vendor (accepted and confirmed sets are masks)."""
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """Memo of the payout rules, pure functions of these terms and their arguments."""

    def slot(self, party: str) -> int:
        return self.slots.index(party)


@dataclass(frozen=True)
class FastContext:
    """An instance as the fast explorer sees it."""

    instance: Instance
    initial: Market
    parties: tuple[str, ...]
    """Every account, sorted (the order of the state's balance tuple)."""
    party_index: dict[str, int]
    datasets: tuple[str, ...]
    max_uses: tuple[int, ...]
    vendors: tuple[str, ...]
    capacity: tuple[int, ...]
    jobs: tuple[JobContext, ...]
    minted: Any
    dispute_cost: Any
    horizon: int
    scale: int = 1
    """Every amount of the compact state is the spec's amount times ``scale``, the least
    common denominator of the instance's amounts, so that it is a whole number: effects
    only add, subtract and multiply amounts by whole numbers, and guards compare them,
    which scaling by a positive constant preserves (and ints hash and add faster than
    fractions)."""
    treasury: str = TREASURY
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """Memo of pure functions of the context and their arguments (balances after payouts)."""

    def amount(self, value: Any) -> int:
        """A spec amount as the compact state holds it."""
        scaled = Fraction(value) * self.scale
        if scaled.denominator != 1:
            raise ValueError(f"amount {value} is not a multiple of 1/{self.scale}")
        return int(scaled)

    def shown(self, value: int) -> Any:
        """A compact amount as the spec writes it (for messages)."""
        return Fraction(value, self.scale) if self.scale != 1 else value


def _stakes_admissible(initial: Market, instance: Instance, template: JobTemplate) -> bool:
    """The request's stake requirements (every one but the funds check, which depends on
    the developer's balance) evaluated by the spec on the market after setup."""
    requirements = requirements_request_training(initial, request_call(instance, template))
    return all(requirement.holds() for requirement in requirements[:-1])


def _job_context(position: int, instance: Instance, initial: Market,
                 template: JobTemplate) -> JobContext:
    made = request_call(instance, template)
    datasets = tuple(made["datasets"])
    vendors = tuple(made["vendors"])
    # A job record with the request's terms, to ask the spec's helpers for its amounts.
    job = Job(ident=template.ident, developer=template.developer, model=made["model"],
              datasets=datasets, vendors=vendors, purpose=made["purpose"], steps=made["steps"],
              window=made["window"], vendor_stake=made["vendor_stake"],
              developer_bond=made["developer_bond"], owner_bond=made["owner_bond"],
              status=JobStatus.REQUESTED, deadline=0)
    owners = tuple(initial.datasets[dataset].owner for dataset in datasets)
    starts = tuple(start_digest(initial, job, vendor) for vendor in vendors)
    return JobContext(
        position=position, ident=template.ident, developer=template.developer,
        datasets=datasets, owners=owners, report_owners=tuple(dict.fromkeys(owners)),
        vendors=vendors,
        dataset_index=tuple(instance.dataset_names.index(dataset) for dataset in datasets),
        vendor_index=tuple(instance.vendor_names.index(vendor) for vendor in vendors),
        prices=tuple(initial.datasets[dataset].price for dataset in datasets),
        commitments=tuple(initial.datasets[dataset].commitment for dataset in datasets),
        compensations=tuple(misuse_compensation(initial, dataset) for dataset in datasets),
        fees=tuple(initial.offers[vendor].fee for vendor in vendors),
        steps=job.steps, window=job.window, vendor_stake=job.vendor_stake,
        developer_bond=job.developer_bond, owner_bond=job.owner_bond,
        deposit=developer_deposit(initial, job),
        slots=tuple(sorted({template.developer, *owners, *vendors})),
        starts=starts,
        choices=tuple(tuple(transcript_choices(instance, start)) for start in starts),
        stakes_admissible=_stakes_admissible(initial, instance, template),
        full=(1 << len(vendors)) - 1,
    )


AMOUNT_FIELDS = ("prices", "compensations", "fees")
SCALAR_FIELDS = ("vendor_stake", "developer_bond", "owner_bond", "deposit")


def _scaled_job(job: JobContext, scale: int) -> JobContext:
    def amount(value: Any) -> int:
        scaled = Fraction(value) * scale
        if scaled.denominator != 1:
            raise ValueError(f"amount {value} is not a multiple of 1/{scale}")
        return int(scaled)
    changes: dict[str, Any] = {name: tuple(amount(value) for value in getattr(job, name))
                               for name in AMOUNT_FIELDS}
    changes.update({name: amount(getattr(job, name)) for name in SCALAR_FIELDS})
    return replace(job, memo={}, **changes)


def make_context(instance: Instance, horizon: int | None = None) -> FastContext:
    """The fast explorer's view of ``instance`` (``horizon`` as in :func:`proofs.explore.explore`)."""
    raw = _make_context(instance, horizon)
    amounts = [raw.minted, raw.dispute_cost, *raw.initial.balances.values()]
    for job in raw.jobs:
        amounts += [*job.prices, *job.compensations, *job.fees,
                    *(getattr(job, name) for name in SCALAR_FIELDS)]
    scale = lcm(*(Fraction(value).denominator for value in amounts))
    scaled = replace(raw, scale=scale, jobs=tuple(_scaled_job(job, scale) for job in raw.jobs))
    return replace(scaled, minted=scaled.amount(raw.minted),
                   dispute_cost=scaled.amount(raw.dispute_cost))


def _make_context(instance: Instance, horizon: int | None) -> FastContext:
    initial = setup(instance)
    parties = tuple(initial.balances)
    return FastContext(
        instance=instance, initial=initial, parties=parties,
        party_index={party: index for index, party in enumerate(parties)},
        datasets=instance.dataset_names,
        max_uses=tuple(initial.datasets[name].licence.max_uses for name in instance.dataset_names),
        vendors=instance.vendor_names,
        capacity=tuple(initial.offers[name].capacity for name in instance.vendor_names),
        jobs=tuple(_job_context(position, instance, initial, template)
                   for position, template in enumerate(instance.jobs)),
        minted=initial.minted, dispute_cost=initial.dispute_cost,
        horizon=static_horizon(instance) if horizon is None else horizon,
    )


def time_keys(context: FastContext) -> TimeKeys:
    """The spec explorer's time abstraction with the same horizon."""
    return TimeKeys(context.horizon)
