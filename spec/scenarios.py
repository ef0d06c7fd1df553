"""Instances and moves: the finite worlds in which the spec is explored.

An :class:`Instance` fixes the parties, datasets, models and job templates of a small
world and the concrete amounts of its parameters. :func:`setup_calls` registers and
funds everyone; :func:`protocol_moves` lists, for any market of the instance, every call a
party could sensibly make next (honest or not: defective deliveries, false complaints,
fabricated transcripts, false disputes, misuse, silence). The model checker explores
exactly these moves; the simulator walks them at random; :func:`adversarial_moves`
adds malformed variants (wrong signer, unknown job, wrong digest…) that must be rejected.

Everything here is pure: randomness comes in as an explicit ``random.Random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from spec.actions import ENVIRONMENT, Call, call, start_digest
from spec.base import Amount
from spec.machine import step
from spec.params import minimum_stakes
from spec.state import TREASURY, JobStatus, Market, Role, Turn, genesis
from spec.transcript import divergent_transcript, honest_transcript

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
    """The registered commitment of a dataset of an instance."""
    return 100 + int(dataset.removeprefix("data"))


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
        calls.append(call("register_model", developer, model=instance.model_of(developer),
                          commitment=7 + int(developer.removeprefix("dev"))))
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
            raise SetupFailed(f"{setup_call.action} by {setup_call.actor}: {result.rejection.value}")
        market = result.market
    return market


def request_call(instance: Instance, template: JobTemplate) -> Call:
    vendor_stake, developer_bond, owner_bond = instance.stakes(template)
    return call("request_training", template.developer, job=template.ident,
                model=instance.model_of(template.developer), datasets=template.datasets,
                vendors=template.vendors, purpose=PURPOSE, steps=instance.steps,
                window=instance.window, vendor_stake=vendor_stake,
                developer_bond=developer_bond, owner_bond=owner_bond)


def transcript_choices(instance: Instance, start: int) -> list[tuple[int, ...]]:
    """The honest transcript first, then one fabricated transcript per divergence step."""
    wrong_steps = instance.wrong_steps or tuple(range(1, instance.steps + 1))
    return [honest_transcript(start, instance.steps)] + [
        divergent_transcript(start, instance.steps, wrong) for wrong in wrong_steps]


def protocol_moves(market: Market, instance: Instance) -> list[Call]:
    """Every sensible next call of the instance's parties, in a fixed order.

    Honest and dishonest choices alike: owners may deliver defective data, vendors may
    complain falsely or fabricate transcripts, developers may dispute falsely, anyone may
    stay silent (the clock may tick).
    """
    moves: list[Call] = []
    for template in instance.jobs:
        job = market.jobs.get(template.ident)
        if job is None:
            moves.append(request_call(instance, template))
            continue
        if job.status == JobStatus.REQUESTED:
            for dataset in job.datasets:
                if dataset in job.grants:
                    continue
                owner = instance.dataset_owner(dataset)
                commitment = market.datasets[dataset].commitment
                for delivered in (commitment, commitment + 1):
                    moves.append(call("grant_access", owner, job=job.ident, dataset=dataset,
                                      delivery_digest=delivered, key_digest=commitment * 3))
                moves.append(call("deny_access", owner, job=job.ident, dataset=dataset))
        elif job.status == JobStatus.LICENSED:
            moves += [call("accept_job", vendor, job=job.ident)
                      for vendor in job.vendors if vendor not in job.accepted]
        elif job.status == JobStatus.RUNNING:
            for vendor in job.vendors:
                if vendor not in job.confirmed:
                    moves.append(call("confirm_inputs", vendor, job=job.ident))
                    moves += [call("complain_inputs", vendor, job=job.ident, dataset=dataset)
                              for dataset in job.datasets]
                elif vendor not in job.results:
                    start = start_digest(market, job, vendor)
                    moves += [call("submit_result", vendor, job=job.ident, transcript=transcript)
                              for transcript in transcript_choices(instance, start)]
        elif job.status == JobStatus.DELIVERED:
            moves.append(call("accept_result", job.developer, job=job.ident))
            for vendor in job.vendors:
                if vendor in job.convicted_vendors:
                    continue
                start = start_digest(market, job, vendor)
                for claim in transcript_choices(instance, start):
                    if claim[-1] != job.results[vendor][-1]:
                        moves.append(call("dispute_result", job.developer, job=job.ident,
                                          vendor=vendor, transcript=claim))
        elif job.status == JobStatus.DISPUTED:
            dispute = job.dispute
            middle = (dispute.low + dispute.high) // 2
            if dispute.turn == Turn.CLAIMANT:
                moves.append(call("bisect_query", job.developer, job=job.ident,
                                  digest=dispute.claimant_transcript[middle - 1]))
            elif dispute.turn == Turn.RESPONDENT:
                moves.append(call("bisect_answer", dispute.respondent, job=job.ident,
                                  digest=job.results[dispute.respondent][middle - 1]))
            else:
                moves.append(call("resolve_step", job.developer, job=job.ident))
        if job.status in (JobStatus.RUNNING, JobStatus.DELIVERED, JobStatus.DISPUTED):
            moves += [call("misuse_data", vendor, job=job.ident) for vendor in job.vendors
                      if ("misuse", job.ident, vendor) not in market.artefacts]
            owners = dict.fromkeys(instance.dataset_owner(dataset) for dataset in job.datasets)
            moves += [call("report_misuse", owner, job=job.ident, vendor=vendor)
                      for owner in owners for vendor in job.vendors
                      if ("misuse", job.ident, vendor) in market.artefacts]
        if job.status not in (JobStatus.SETTLED, JobStatus.CANCELLED, JobStatus.RESOLVED,
                              JobStatus.EXPIRED) and market.now > job.deadline:
            moves.append(call("timeout", job.developer, job=job.ident))
    if any(market.now <= job.deadline and job.payouts is None for job in market.jobs.values()):
        moves.append(call("tick", ENVIRONMENT))
    return moves


def adversarial_moves(market: Market, instance: Instance, rng: random.Random,
                      count: int = 3) -> list[Call]:
    """Malformed variants of the next protocol moves: each must be rejected or harmless.

    A variant changes one thing of a move: the signer (another party, or an unknown
    "mallory"), the job (an unknown one), a dataset or vendor (one not in the job), a
    digest or transcript (not the committed one), or an amount (zero or too small).
    """
    moves = protocol_moves(market, instance) or setup_calls(instance)
    parties = list(market.identities) + ["mallory"]
    variants = []
    for _ in range(count):
        original = rng.choice(moves)
        args = dict(original.args)
        choice = rng.randrange(5)
        actor = original.actor
        if choice == 0 or not args:
            actor = rng.choice(parties)
        elif choice == 1 and "job" in args:
            args["job"] = "job-unknown"
        elif choice == 2 and ("dataset" in args or "vendor" in args):
            key = "dataset" if "dataset" in args else "vendor"
            pool = instance.dataset_names if key == "dataset" else instance.vendor_names
            args[key] = rng.choice(list(pool) + [f"{key}-unknown"])
        elif choice == 3 and ("digest" in args or "transcript" in args):
            if "digest" in args:
                args["digest"] = args["digest"] + 1
            else:
                args["transcript"] = tuple(args["transcript"][:-1])
        else:
            for key in ("vendor_stake", "developer_bond", "owner_bond", "amount"):
                if key in args:
                    args[key] = 0
                    break
            else:
                actor = rng.choice(parties)
        variants.append(call(original.action, actor, **args))
    return variants


def move_weight(market: Market, move: Call) -> int:
    """How likely a random walk is to pick ``move``: progress is likelier than deviation,
    so that walks reach deep job states as well as every kind of ending."""
    if move.action == "grant_access":
        return 4 if move["delivery_digest"] == market.datasets[move["dataset"]].commitment else 1
    if move.action == "submit_result":
        job = market.jobs[move["job"]]
        start = start_digest(market, job, move.actor)
        return 4 if move["transcript"] == honest_transcript(start, job.steps) else 1
    if move.action in ("deny_access", "complain_inputs", "misuse_data", "report_misuse",
                       "dispute_result", "timeout", "tick"):
        return 1
    return 4


def random_walk(instance: Instance, rng: random.Random, steps: int, concurrency: int = 3,
                adversarial_rate: float = 0.15):
    """Yield ``steps`` :class:`~spec.machine.Step` results of a random walk from setup.

    The walk keeps up to ``concurrency`` jobs open at once: whenever fewer are open it
    adds a new job template (round-robin over the parties), funds the parties it needs
    with treasury ``fund`` calls, and lets its developer request it. A share
    ``adversarial_rate`` of the calls are malformed variants that must be rejected.
    """
    market = genesis(instance.dispute_cost, instance.audit_probability)
    pending = list(setup_calls(Instance(**{**instance.__dict__, "jobs": ()})))
    templates: list[JobTemplate] = []
    done = 0
    while done < steps:
        if not pending:
            open_jobs = [job for job in market.jobs.values() if job.payouts is None]
            unrequested = [template for template in templates if template.ident not in market.jobs]
            if len(open_jobs) + len(unrequested) < concurrency:
                template = nth_job(instance, len(templates), min(2, instance.data_owners),
                                   min(2, instance.vendors))
                templates.append(template)
                single = Instance(**{**instance.__dict__, "jobs": (template,)})
                pending = [call("fund", TREASURY, recipient=party,
                                amount=amount - market.balances[party])
                           for party, amount in sorted(single.funding().items())
                           if market.balances[party] < amount]
        if pending:
            move = pending.pop(0)
        else:
            live = tuple(template for template in templates
                         if template.ident not in market.jobs
                         or market.jobs[template.ident].payouts is None)
            current = Instance(**{**instance.__dict__, "jobs": live})
            if rng.random() < adversarial_rate:
                move = rng.choice(adversarial_moves(market, current, rng, count=1))
            else:
                moves = protocol_moves(market, current)
                if not moves:
                    moves = [call("tick", ENVIRONMENT)]
                move = rng.choices(moves, weights=[move_weight(market, m) for m in moves])[0]
        result = step(market, move)
        market = result.market
        done += 1
        yield result
