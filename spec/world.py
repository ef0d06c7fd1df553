"""Small worlds in which the rules are exercised: who takes part, which jobs they may
request, with which concrete amounts, and the calls that set such a world up.

An :class:`Instance` fixes the parties, datasets, models and job templates of a small
world and the concrete amounts of its parameters; names decide everything else (a
dataset's commitment is derived from its name by :func:`commitment_of`, a model's by
:func:`model_commitment`). :func:`setup_calls` registers and funds everyone. The worked
examples (:mod:`spec.examples`) are written in such a world; the moves parties can make
in one, and random walks through it, are in :mod:`walks`, beside the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from spec.actions import Call, call
from spec.base import Amount
from spec.machine import step
from spec.params import minimum_stakes
from spec.state import TREASURY, Market, Role, genesis

PURPOSE = "training"
"""The purpose every job of an instance declares and every licence allows."""


@dataclass(frozen=True)
class JobTemplate:
    """A job the instance may request: who asks, for which datasets, from which vendors."""

    ident: str
    developer: str
    datasets: tuple[str, ...]
    vendors: tuple[str, ...]


@dataclass(frozen=True)
class Instance:
    """A small world: counts of parties, job templates and concrete amounts."""

    data_owners: int = 2
    developers: int = 1
    vendors: int = 2
    jobs: tuple[JobTemplate, ...] = ()
    steps: int = 2
    window: int = 1
    price: Amount = 2
    fee: Amount = 1
    cost: Amount = 1
    misuse_value: Amount = 1
    dispute_cost: Amount = 1
    audit_probability: Amount = Fraction(1, 2)
    vendor_capacity: int = 2
    licence_uses: int = 4
    licence_expiry: int = 1_000
    wrong_steps: tuple[int, ...] | None = None
    """Steps at which fabricated transcripts may start to diverge (None: every step)."""
    secret_shared: bool = False
    """Whether the jobs are trained on secret shares as far as the moves go: a vendor may
    also commit a step record without sender checks (a sender fault, from any of the
    fabrication steps on), and the developer may convict the vendor the public checks name
    (``convict_shared_step``). Off, no vendor tampers and no such conviction is offered."""

    @property
    def owner_names(self) -> tuple[str, ...]:
        return tuple(f"owner{index}" for index in range(1, self.data_owners + 1))

    @property
    def developer_names(self) -> tuple[str, ...]:
        return tuple(f"dev{index}" for index in range(1, self.developers + 1))

    @property
    def vendor_names(self) -> tuple[str, ...]:
        return tuple(f"vendor{index}" for index in range(1, self.vendors + 1))

    @property
    def dataset_names(self) -> tuple[str, ...]:
        return tuple(f"data{index}" for index in range(1, self.data_owners + 1))

    def dataset_owner(self, dataset: str) -> str:
        return self.owner_names[self.dataset_names.index(dataset)]

    def model_of(self, developer: str) -> str:
        return "model" + developer.removeprefix("dev")

    def job_template(self, ident: str) -> JobTemplate:
        return next(template for template in self.jobs if template.ident == ident)

    def stakes(self, template: JobTemplate) -> tuple[Amount, Amount, Amount]:
        """The least admissible (vendor stake, developer bond, owner bond) of a job."""
        return minimum_stakes(
            prices=[self.price] * len(template.datasets), fees=[self.fee] * len(template.vendors),
            costs=[self.cost] * len(template.vendors),
            misuse_values=[self.misuse_value] * len(template.datasets),
            audit_probability=self.audit_probability, dispute_cost=self.dispute_cost,
            steps=self.steps)

    def funding(self) -> dict[str, Amount]:
        """Enough tokens for every party to take part in every job template once."""
        needed: dict[str, Amount] = {}
        for template in self.jobs:
            vendor_stake, developer_bond, owner_bond = self.stakes(template)
            deposit = (self.price * len(template.datasets) + self.fee * len(template.vendors)
                       + developer_bond)
            needed[template.developer] = needed.get(template.developer, 0) + deposit
            for dataset in template.datasets:
                owner = self.dataset_owner(dataset)
                needed[owner] = needed.get(owner, 0) + owner_bond
            for vendor in template.vendors:
                needed[vendor] = needed.get(vendor, 0) + vendor_stake
        return needed


def nth_job(instance: Instance, index: int, datasets_per_job: int,
            vendors_per_job: int) -> JobTemplate:
    """Job template number ``index`` (from 0), spreading datasets, vendors and developers
    over the parties round-robin."""
    datasets = tuple(instance.dataset_names[(index + offset) % instance.data_owners]
                     for offset in range(datasets_per_job))
    vendors = tuple(instance.vendor_names[(index + offset) % instance.vendors]
                    for offset in range(vendors_per_job))
    developer = instance.developer_names[index % instance.developers]
    return JobTemplate(f"job{index + 1}", developer, datasets, vendors)


def default_jobs(instance: Instance, count: int, datasets_per_job: int,
                 vendors_per_job: int) -> tuple[JobTemplate, ...]:
    """``count`` job templates spreading datasets, vendors and developers round-robin."""
    return tuple(nth_job(instance, index, datasets_per_job, vendors_per_job)
                 for index in range(count))


def make_instance(data_owners: int = 2, developers: int = 1, vendors: int = 2, jobs: int = 1,
                  datasets_per_job: int = 2, vendors_per_job: int = 2, **amounts) -> Instance:
    """An instance with round-robin job templates; ``amounts`` override the defaults."""
    base = Instance(data_owners=data_owners, developers=developers, vendors=vendors, **amounts)
    templates = default_jobs(base, jobs, min(datasets_per_job, data_owners),
                             min(vendors_per_job, vendors))
    return Instance(**{**base.__dict__, "jobs": templates})


def commitment_of(dataset: str) -> int:
    """The registered commitment of a dataset of an instance: derived from its name
    (``data1`` commits to 101), so every world, example and game agrees on it."""
    return 100 + int(dataset.removeprefix("data"))


def model_commitment(model: str) -> int:
    """The registered commitment of a model recipe of an instance: derived from its name
    (``model1`` commits to 8)."""
    return 7 + int(model.removeprefix("model"))


def setup_calls(instance: Instance) -> list[Call]:
    """Register every party, dataset, model and offer, and fund everyone."""
    calls = []
    for name in instance.owner_names:
        calls.append(call("register_identity", name, role=Role.DATA_OWNER, organisation="owners"))
    for name in instance.developer_names:
        calls.append(call("register_identity", name, role=Role.DEVELOPER, organisation="developers"))
    for name in instance.vendor_names:
        calls.append(call("register_identity", name, role=Role.VENDOR, organisation=f"org-{name}"))
    for party, amount in sorted(instance.funding().items()):
        calls.append(call("fund", TREASURY, recipient=party, amount=amount))
    for owner, dataset in zip(instance.owner_names, instance.dataset_names):
        calls.append(call("register_dataset", owner, dataset=dataset,
                          commitment=commitment_of(dataset), price=instance.price,
                          misuse_value=instance.misuse_value, purposes=frozenset({PURPOSE}),
                          expiry=instance.licence_expiry, max_uses=instance.licence_uses))
    for developer in instance.developer_names:
        model = instance.model_of(developer)
        calls.append(call("register_model", developer, model=model,
                          commitment=model_commitment(model)))
    for vendor in instance.vendor_names:
        calls.append(call("register_vendor", vendor, fee=instance.fee, cost=instance.cost,
                          capacity=instance.vendor_capacity))
    return calls


class SetupFailed(RuntimeError):
    """A setup call of an instance was rejected: the instance is inconsistent."""


def setup(instance: Instance) -> Market:
    """The market after :func:`setup_calls`, ready for jobs."""
    market = genesis(instance.dispute_cost, instance.audit_probability)
    for setup_call in setup_calls(instance):
        result = step(market, setup_call)
        if not result.accepted:
            raise SetupFailed(f"{setup_call.action} by {setup_call.actor}: {result.rejection and result.rejection.value}")
        market = result.market
    return market


def request_call(instance: Instance, template: JobTemplate) -> Call:
    vendor_stake, developer_bond, owner_bond = instance.stakes(template)
    return call("request_training", template.developer, job=template.ident,
                model=instance.model_of(template.developer), datasets=template.datasets,
                vendors=template.vendors, purpose=PURPOSE, steps=instance.steps,
                window=instance.window, vendor_stake=vendor_stake,
                developer_bond=developer_bond, owner_bond=owner_bond)
