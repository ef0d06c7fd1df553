"""The actions of the marketplace, each a guard and an effect.

A :class:`Call` names an action, the identity that signs it, and its arguments. Each
:class:`Action` in :data:`CATALOGUE` says which role may sign it, which parameters it
takes, the rejection codes its checks can return (in the order they are checked), and
what it changes. Processing a call (see :mod:`spec.machine`) runs three steps:

1. the **guard** looks at discrete facts only (who signs, which status, which records
   exist) and returns ``None`` or the first failing :class:`~spec.rejections.Rejection`;
2. the **requirements** compare amounts (``amount >= bound``); the first failing one
   rejects the call with its code — a symbolic run collects them as constraints instead;
3. the **effect** returns the next market, computing amounts with ``+``, ``-`` and whole
   multiples only.

The job's life, in the order of the actions below: the developer requests training and
pays price, fees and its dispute bond into the job's escrow; every data owner grants a
licence (locking its bond and signing the digest of what it delivers) or denies; every
vendor accepts (locking its stake), after which the vendors hold the data; each vendor
confirms or complains about its inputs, then submits its transcript; the developer
accepts (everyone is paid) or disputes one vendor's result in a bisection game that
``resolve_step`` ends by re-executing one step. ``timeout`` moves a job whose deadline
passed, at the expense of whoever had to act.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from spec.base import Amount, FrozenMap, total
from spec.knowledge import THRESHOLD
from spec.params import Requirement, answer_costs, stake_requirements
from spec.rejections import Rejection
from spec.state import (
    STAKED_STATUSES,
    TREASURY,
    Dataset,
    Dispute,
    Grant,
    Identity,
    Job,
    JobStatus,
    Licence,
    Market,
    Model,
    Offence,
    Offer,
    Role,
    Turn,
    Verdict,
    is_terminal,
    misuse_artefact,
)
from spec.transcript import DIGEST_MODULUS, SENDER_OFFSET, digest_at, initial_digest, step_digest

# How this file is written. Each action is one block: its guard (early exits, in the order
# of the codes its declaration lists), its requirements, and its effect, which carries the
# declaration (@action: actor, parameters, chapter, rejection codes) and whose docstring
# says what the action changes. The helpers are module-level functions that guards and
# effects call by name, so a mutant (proofs/mutants.py, on mutation/patching.py) can replace
# one for a run by setting the module attribute: never bind a helper under a second name, in
# a default argument or a closure. tests/spec/test_actions_layout.py checks both rules.

R = Rejection


@dataclass(frozen=True)
class Call:
    """One signed request: an action name, the signing identity and named arguments."""

    action: str
    actor: str
    args: FrozenMap[str, Any] = FrozenMap()

    def __getitem__(self, name: str) -> Any:
        return self.args[name]


def call(action: str, actor: str, **args: Any) -> Call:
    """Build a :class:`Call` from keyword arguments."""
    return Call(action, actor, FrozenMap(args))


Guard = Callable[[Market, Call], "Rejection | None"]
Requirements = Callable[[Market, Call], "tuple[Requirement, ...]"]
Effect = Callable[[Market, Call], Market]

ANYONE = "anyone"
"""Actor of actions any registered identity may sign (``resolve_step``, ``timeout``)."""
ENVIRONMENT = "environment"
"""Actor of the clock's ``tick``: not a party, not signed."""


@dataclass(frozen=True)
class Chapter:
    """A chapter of the protocol: the actions declared with it belong together (the
    documentation site groups them by this, never by the layout of this file)."""

    title: str


@dataclass(frozen=True)
class Action:
    """An action of the protocol.

    ``kind`` is ``"ledger"`` for transactions recorded on the ledger and ``"off-chain"`` for
    events outside it that the rules must still talk about (the clock, misuse of data).
    ``rejections`` lists every code the action can return, in the order checked.
    ``changes`` is the first paragraph of the effect's docstring, ``details`` the rest.
    """

    name: str
    actor: str
    params: tuple[str, ...]
    rejections: tuple[Rejection, ...]
    changes: str
    guard: Guard
    requirements: Requirements
    effect: Effect
    kind: str = "ledger"
    chapter: Chapter = Chapter("")
    details: str = ""


CATALOGUE: dict[str, Action] = {}
"""Every action of the protocol, by name."""


def no_requirements(market: Market, call: Call) -> tuple[Requirement, ...]:
    """For actions that compare no amounts."""
    return ()


def no_checks(market: Market, call: Call) -> Rejection | None:
    """For events nothing can refuse."""
    return None


def action(*, actor: str, params: tuple[str, ...], chapter: Chapter,
           rejections: tuple[Rejection, ...], guard: Guard,
           requirements: Requirements = no_requirements,
           kind: str = "ledger") -> Callable[[Effect], Effect]:
    """Declare the action whose effect the decorated function is.

    The action is named after the function (``effect_accept_job`` declares
    ``accept_job``); its docstring's first paragraph says what it changes. The action
    enters :data:`CATALOGUE` when its block is read, so the catalogue's order is the order
    of the declarations in this file.
    """
    def declare(effect: Effect) -> Effect:
        name = effect.__name__.removeprefix("effect_")
        summary, _, details = inspect.cleandoc(effect.__doc__ or "").partition("\n\n")
        changes = " ".join(summary.split()).removesuffix(".")
        CATALOGUE[name] = Action(name, actor, params, rejections, changes, guard, requirements,
                                 effect, kind, chapter, details.strip())
        return effect
    return declare


SIGNED = (R.UNKNOWN_ACTOR, R.WRONG_ROLE)
"""The checks of every signed action of one role (:func:`signer_check`)."""
ANSWER_ACCESS = SIGNED + (R.UNKNOWN_JOB, R.WRONG_STATUS, R.DATASET_NOT_IN_JOB, R.NOT_JOB_PARTY,
                          R.ALREADY_ANSWERED, R.DEADLINE_PASSED)
"""The checks of an owner's answer to a request (:func:`guard_answer_access`)."""
VENDOR_MOVE = SIGNED + (R.UNKNOWN_JOB, R.WRONG_STATUS, R.NOT_JOB_PARTY)
"""The checks every move of a vendor or the developer on a job starts with
(:func:`guard_party_move`)."""
DEVELOPER_MOVE = VENDOR_MOVE
BISECTION_MOVE = SIGNED + (R.UNKNOWN_JOB, R.WRONG_STATUS, R.NOT_JOB_PARTY, R.BISECTION_FINISHED,
                           R.NOT_YOUR_TURN, R.DEADLINE_PASSED, R.NOT_COMMITTED)
"""The checks of a bisection move (:func:`guard_bisection_move`)."""


# ---------------------------------------------------------------------------------------
# Small facts used by several guards and effects
# ---------------------------------------------------------------------------------------

def signer_check(market: Market, call: Call, role: Role | None) -> Rejection | None:
    """The signer must be registered and, when ``role`` is given, hold that role."""
    identity = market.identities.get(call.actor)
    if identity is None:
        return R.UNKNOWN_ACTOR
    if role is not None and identity.role != role:
        return R.WRONG_ROLE
    return None


def deadline_passed(market: Market, job: Job) -> bool:
    """A move is on time up to and including the deadline's tick (``now`` is the time of
    the block that orders the move: a move signed before the deadline but ordered after it
    is late)."""
    return market.now > job.deadline


def owner_of(market: Market, dataset: str) -> str:
    return market.datasets[dataset].owner


def price_total(market: Market, job: Job) -> Amount:
    return total(market.datasets[dataset].price for dataset in job.datasets)


def fee_of(market: Market, vendor: str) -> Amount:
    return market.offers[vendor].fee


def developer_deposit(market: Market, job: Job) -> Amount:
    """What the developer pays in at request: every price, every fee and its bond."""
    fees = total(fee_of(market, vendor) for vendor in job.vendors)
    return price_total(market, job) + fees + job.developer_bond


def start_digest(market: Market, job: Job, vendor: str) -> int:
    """The agreed state before step 1 of ``vendor``'s training in ``job``."""
    commitments = [market.datasets[dataset].commitment for dataset in job.datasets]
    return initial_digest(market.models[job.model].commitment, commitments,
                          job.vendors.index(vendor))


def lock(market: Market, job: Job, party: str, amount: Amount) -> tuple[Market, Job]:
    """Move ``amount`` from ``party``'s balance into the job's escrow."""
    deposits = job.deposits.with_item(party, job.deposits.get(party, 0) + amount)
    market = replace(
        market,
        balances=market.balances.with_item(party, market.balances[party] - amount),
        escrows=market.escrows.with_item(job.ident, market.escrows[job.ident] + amount),
    )
    return market, replace(job, deposits=deposits)


def close(market: Market, job: Job, status: JobStatus, payouts: list[tuple[str, Amount]],
          verdicts: tuple[Verdict, ...] = ()) -> Market:
    """Pay the whole escrow out once, end the job in ``status`` and free vendor capacity.

    Every payout rule below pays out exactly the sum of the job's deposits; the escrow
    becomes zero and the job records its payouts, so it can never be paid again.
    """
    balances = dict(market.balances)
    for account, amount in payouts:
        balances[account] = balances[account] + amount
    offers = market.offers.with_items({
        vendor: replace(market.offers[vendor], active_jobs=market.offers[vendor].active_jobs - 1)
        for vendor in job.accepted
    })
    closed = replace(job, status=status, payouts=tuple(payouts),
                     verdicts=job.verdicts + verdicts)
    return replace(
        market,
        balances=FrozenMap(balances),
        escrows=market.escrows.with_item(job.ident, 0),
        offers=offers,
        jobs=market.jobs.with_item(job.ident, closed),
    )


def store(market: Market, job: Job) -> Market:
    return replace(market, jobs=market.jobs.with_item(job.ident, job))


# ---------------------------------------------------------------------------------------
# Payout rules: one per way a job can end
# ---------------------------------------------------------------------------------------

def refund_everyone(market: Market, job: Job) -> list[tuple[str, Amount]]:
    """Cancelled or expired before anyone received data: every deposit goes back."""
    return list(job.deposits.items())


def pay_defective_inputs(market: Market, job: Job, dataset: str,
                         complainant: str) -> list[tuple[str, Amount]]:
    """A data owner delivered data that does not match its commitment.

    The developer and the vendors get their deposits back. The other owners released
    their data to the vendors, so each gets its bond back and its price, paid out of the
    guilty owner's bond — which first pays the complainant one dispute cost; the rest of
    it goes to the treasury.
    """
    payouts = [(job.developer, developer_deposit(market, job))]
    others = [other for other in job.datasets if other != dataset]
    payouts += [(owner_of(market, other), job.owner_bond + market.datasets[other].price)
                for other in others]
    payouts += [(vendor, job.vendor_stake) for vendor in job.vendors]
    payouts.append((complainant, market.dispute_cost))
    payouts.append((TREASURY, job.owner_bond - market.dispute_cost
                    - total(market.datasets[other].price for other in others)))
    return payouts


def pay_false_complaint(market: Market, job: Job, complainant: str) -> list[tuple[str, Amount]]:
    """A vendor complained about inputs that match their commitments.

    The developer gets its deposit back; every owner gets its bond and its price, paid
    from the guilty vendor's stake, because its data has been released; the other vendors
    get their stakes; the rest of the guilty stake goes to the treasury.
    """
    payouts = [(job.developer, developer_deposit(market, job))]
    payouts += [(owner_of(market, dataset), job.owner_bond + market.datasets[dataset].price)
                for dataset in job.datasets]
    payouts += [(vendor, job.vendor_stake) for vendor in job.vendors if vendor != complainant]
    payouts.append((TREASURY, job.vendor_stake - price_total(market, job)))
    return payouts


def pay_settlement(market: Market, job: Job, guilty: frozenset[str] = frozenset(),
                   misuser: str | None = None,
                   developer_bond_to: list[tuple[str, Amount]] | None = None
                   ) -> list[tuple[str, Amount]]:
    """The job ends after the data was released: every settlement but a complaint's.

    The owners released their data, so each gets its price and bond back; innocent vendors
    get fee and stake; the developer gets its bond back (unless ``developer_bond_to`` says
    where a forfeited bond goes instead), plus the fee and the whole stake of every guilty
    vendor — except that a vendor convicted of misuse first pays every owner of the job
    its misuse compensation out of its stake. With no guilty vendor this is the plain
    settlement of a delivered model.
    """
    payouts = [(owner_of(market, dataset), market.datasets[dataset].price + job.owner_bond)
               for dataset in job.datasets]
    payouts += [(vendor, fee_of(market, vendor) + job.vendor_stake)
                for vendor in job.vendors if vendor not in guilty]
    if developer_bond_to is None:
        payouts.append((job.developer, job.developer_bond))
    else:
        payouts += developer_bond_to
    for vendor in job.vendors:
        if vendor in guilty:
            forfeited = fee_of(market, vendor) + job.vendor_stake
            if vendor == misuser:
                for dataset in job.datasets:
                    compensation = misuse_compensation(market, dataset)
                    payouts.append((owner_of(market, dataset), compensation))
                    forfeited = forfeited - compensation
            payouts.append((job.developer, forfeited))
    return payouts


def misuse_compensation(market: Market, dataset: str) -> Amount:
    """What a misuse conviction pays the dataset's owner: its declared misuse value W
    divided by the audit probability q. Misuse is found only with probability q, so the
    owner, who loses W whenever its data is misused, is whole in expectation, and misuse
    gains nothing in expectation even to a coalition that keeps the rest of the stake."""
    return market.datasets[dataset].misuse_value / market.audit_probability


def pay_false_dispute(market: Market, job: Job, respondent: str,
                      answers: int) -> list[tuple[str, Amount]]:
    """The developer's dispute failed (or it fell silent in it).

    The job settles as it stands (vendors convicted in earlier disputes still forfeit),
    except that the developer's bond pays the respondent the cost of the rounds it answered
    and the rest goes to the treasury.
    """
    compensation = answer_costs(market.dispute_cost, answers)
    return pay_settlement(market, job, job.convicted_vendors, developer_bond_to=[
        (respondent, compensation), (TREASURY, job.developer_bond - compensation)])


def end_after_delivery(market: Market, job: Job, verdicts: tuple[Verdict, ...] = (),
                       payouts: list[tuple[str, Amount]] | None = None) -> Market:
    """Close a job whose results were delivered: SETTLED, and the developer receives the
    model, when no vendor of it was convicted; RESOLVED otherwise."""
    guilty = job.convicted_vendors | frozenset(v.convicted for v in verdicts if v.convicted in job.vendors)
    if payouts is None:
        payouts = pay_settlement(market, job, guilty)
    if not guilty:
        market = deliver_model(market, job)
    status = JobStatus.SETTLED if not guilty and not verdicts else JobStatus.RESOLVED
    return close(market, job, status, payouts, verdicts)


def deliver_model(market: Market, job: Job) -> Market:
    """The developer alone recombines the trained model."""
    return replace(market, model_holders=market.model_holders | {(job.ident, job.developer)})


PAYOUT_RULES = (refund_everyone, pay_defective_inputs, pay_false_complaint, pay_settlement,
                misuse_compensation, pay_false_dispute, end_after_delivery, deliver_model)
"""The payout rules, one per way a job can end, in the order they are written."""


# ---------------------------------------------------------------------------------------
IDENTITIES = Chapter("Identities and accounts")
# ---------------------------------------------------------------------------------------

def guard_register_identity(market: Market, call: Call) -> Rejection | None:
    if call.actor in market.identities:
        return R.ALREADY_REGISTERED
    if call["role"] == Role.TREASURY:
        return R.ROLE_RESERVED
    return None


@action(actor=ANYONE, params=("role", "organisation"), chapter=IDENTITIES,
        rejections=(R.ALREADY_REGISTERED, R.ROLE_RESERVED),
        guard=guard_register_identity)
def effect_register_identity(market: Market, call: Call) -> Market:
    """adds the signer as an identity with a role and a zero balance."""
    identity = Identity(call.actor, Role(call["role"]), call["organisation"])
    return replace(
        market,
        identities=market.identities.with_item(call.actor, identity),
        balances=market.balances.with_item(call.actor, 0),
    )


def guard_fund(market: Market, call: Call) -> Rejection | None:
    return signer_check(market, call, Role.TREASURY) or (
        R.UNKNOWN_IDENTITY if call["recipient"] not in market.identities else None)


def requirements_fund(market: Market, call: Call) -> tuple[Requirement, ...]:
    return (Requirement(R.NON_POSITIVE_AMOUNT, "amount is positive", call["amount"], 0,
                        strict=True),)


@action(actor=Role.TREASURY.value, params=("recipient", "amount"), chapter=IDENTITIES,
        rejections=SIGNED + (R.UNKNOWN_IDENTITY, R.NON_POSITIVE_AMOUNT),
        guard=guard_fund, requirements=requirements_fund)
def effect_fund(market: Market, call: Call) -> Market:
    """mints amount tokens into the recipient's balance."""
    recipient = call["recipient"]
    return replace(
        market,
        balances=market.balances.with_item(recipient, market.balances[recipient] + call["amount"]),
        minted=market.minted + call["amount"],
    )


# ---------------------------------------------------------------------------------------
LISTINGS = Chapter("Catalogue: datasets, models, vendor offers")
# ---------------------------------------------------------------------------------------

def guard_register_dataset(market: Market, call: Call) -> Rejection | None:
    return signer_check(market, call, Role.DATA_OWNER) or (
        R.DATASET_EXISTS if call["dataset"] in market.datasets else
        R.INVALID_LICENCE if not call["purposes"] or call["max_uses"] < 1 else None)


def requirements_register_dataset(market: Market, call: Call) -> tuple[Requirement, ...]:
    return (Requirement(R.NEGATIVE_AMOUNT, "price is not negative", call["price"], 0),
            Requirement(R.NEGATIVE_AMOUNT, "misuse value is not negative",
                        call["misuse_value"], 0))


@action(actor=Role.DATA_OWNER.value, chapter=LISTINGS,
        params=("dataset", "commitment", "price", "misuse_value", "purposes", "expiry", "max_uses"),
        rejections=SIGNED + (R.DATASET_EXISTS, R.INVALID_LICENCE, R.NEGATIVE_AMOUNT),
        guard=guard_register_dataset, requirements=requirements_register_dataset)
def effect_register_dataset(market: Market, call: Call) -> Market:
    """records a dataset, its commitment, price and licence."""
    licence = Licence(frozenset(call["purposes"]), call["expiry"], call["max_uses"])
    dataset = Dataset(call.actor, call["commitment"], call["price"], call["misuse_value"], licence)
    return replace(market, datasets=market.datasets.with_item(call["dataset"], dataset))


def guard_register_model(market: Market, call: Call) -> Rejection | None:
    return signer_check(market, call, Role.DEVELOPER) or (
        R.MODEL_EXISTS if call["model"] in market.models else None)


@action(actor=Role.DEVELOPER.value, params=("model", "commitment"), chapter=LISTINGS,
        rejections=SIGNED + (R.MODEL_EXISTS,),
        guard=guard_register_model)
def effect_register_model(market: Market, call: Call) -> Market:
    """records a model recipe commitment."""
    model = Model(call.actor, call["commitment"])
    return replace(market, models=market.models.with_item(call["model"], model))


def guard_register_vendor(market: Market, call: Call) -> Rejection | None:
    return signer_check(market, call, Role.VENDOR) or (
        R.VENDOR_EXISTS if call.actor in market.offers else
        R.INVALID_CAPACITY if call["capacity"] < 1 else None)


def requirements_register_vendor(market: Market, call: Call) -> tuple[Requirement, ...]:
    return (Requirement(R.NEGATIVE_AMOUNT, "fee is not negative", call["fee"], 0),
            Requirement(R.NEGATIVE_AMOUNT, "cost is not negative", call["cost"], 0))


@action(actor=Role.VENDOR.value, params=("fee", "cost", "capacity"), chapter=LISTINGS,
        rejections=SIGNED + (R.VENDOR_EXISTS, R.INVALID_CAPACITY, R.NEGATIVE_AMOUNT),
        guard=guard_register_vendor, requirements=requirements_register_vendor)
def effect_register_vendor(market: Market, call: Call) -> Market:
    """records the vendor's offer: fee, declared cost, capacity."""
    offer = Offer(call["fee"], call["cost"], call["capacity"])
    return replace(market, offers=market.offers.with_item(call.actor, offer))


# ---------------------------------------------------------------------------------------
REQUESTS = Chapter("Requesting training")
# ---------------------------------------------------------------------------------------

def guard_request_training(market: Market, call: Call) -> Rejection | None:
    rejection = signer_check(market, call, Role.DEVELOPER)
    if rejection:
        return rejection
    datasets, vendors = call["datasets"], call["vendors"]
    model = market.models.get(call["model"])
    if call["job"] in market.jobs:
        return R.JOB_EXISTS
    if model is None:
        return R.UNKNOWN_MODEL
    if model.owner != call.actor:
        return R.NOT_MODEL_OWNER
    if (not datasets or not vendors or len(set(datasets)) != len(datasets)
            or len(set(vendors)) != len(vendors)):
        return R.INVALID_PARTIES
    if any(dataset not in market.datasets for dataset in datasets):
        return R.UNKNOWN_DATASET
    if any(vendor not in market.offers for vendor in vendors):
        return R.UNKNOWN_VENDOR
    if call["steps"] < 1 or call["window"] < 1:
        return R.INVALID_TERMS
    licences = [market.datasets[dataset] for dataset in datasets]
    if any(call["purpose"] not in dataset.licence.purposes for dataset in licences):
        return R.PURPOSE_NOT_LICENSED
    if any(market.now > dataset.licence.expiry for dataset in licences):
        return R.LICENCE_EXPIRED
    if any(dataset.uses >= dataset.licence.max_uses for dataset in licences):
        return R.LICENCE_EXHAUSTED
    return None


def requirements_request_training(market: Market, call: Call) -> tuple[Requirement, ...]:
    datasets = [market.datasets[dataset] for dataset in call["datasets"]]
    offers = [market.offers[vendor] for vendor in call["vendors"]]
    prices = [dataset.price for dataset in datasets]
    fees = [offer.fee for offer in offers]
    minimums = stake_requirements(
        prices=prices, fees=fees, costs=[offer.cost for offer in offers],
        misuse_values=[dataset.misuse_value for dataset in datasets],
        audit_probability=market.audit_probability, dispute_cost=market.dispute_cost,
        steps=call["steps"], vendor_stake=call["vendor_stake"],
        developer_bond=call["developer_bond"], owner_bond=call["owner_bond"])
    deposit = total(prices) + total(fees) + call["developer_bond"]
    return minimums + (Requirement(R.INSUFFICIENT_FUNDS, "developer can pay the deposit",
                                   market.balances[call.actor], deposit),)


@action(actor=Role.DEVELOPER.value, chapter=REQUESTS,
        params=("job", "model", "datasets", "vendors", "purpose", "steps", "window",
                "vendor_stake", "developer_bond", "owner_bond"),
        rejections=SIGNED + (R.JOB_EXISTS, R.UNKNOWN_MODEL, R.NOT_MODEL_OWNER,
                             R.INVALID_PARTIES, R.UNKNOWN_DATASET, R.UNKNOWN_VENDOR,
                             R.INVALID_TERMS, R.PURPOSE_NOT_LICENSED, R.LICENCE_EXPIRED,
                             R.LICENCE_EXHAUSTED, R.STAKE_BELOW_MINIMUM, R.BOND_BELOW_MINIMUM,
                             R.INSUFFICIENT_FUNDS),
        guard=guard_request_training, requirements=requirements_request_training)
def effect_request_training(market: Market, call: Call) -> Market:
    """opens a REQUESTED job; moves prices, fees and the developer bond into its escrow."""
    job = Job(
        ident=call["job"], developer=call.actor, model=call["model"],
        datasets=tuple(call["datasets"]), vendors=tuple(call["vendors"]),
        purpose=call["purpose"], steps=call["steps"], window=call["window"],
        vendor_stake=call["vendor_stake"], developer_bond=call["developer_bond"],
        owner_bond=call["owner_bond"], status=JobStatus.REQUESTED,
        deadline=market.now + call["window"],
    )
    market = replace(market, escrows=market.escrows.with_item(job.ident, 0))
    market, job = lock(market, job, call.actor, developer_deposit(market, job))
    return store(market, job)


# ---------------------------------------------------------------------------------------
LICENCES = Chapter("Licences")
# ---------------------------------------------------------------------------------------

def guard_answer_access(market: Market, call: Call) -> Rejection | None:
    """Shared by ``grant_access`` and ``deny_access``."""
    rejection = signer_check(market, call, Role.DATA_OWNER)
    if rejection:
        return rejection
    job = market.jobs.get(call["job"])
    if job is None:
        return R.UNKNOWN_JOB
    if job.status != JobStatus.REQUESTED:
        return R.WRONG_STATUS
    if call["dataset"] not in job.datasets:
        return R.DATASET_NOT_IN_JOB
    if owner_of(market, call["dataset"]) != call.actor:
        return R.NOT_JOB_PARTY
    if call["dataset"] in job.grants:
        return R.ALREADY_ANSWERED
    if deadline_passed(market, job):
        return R.DEADLINE_PASSED
    return None


def guard_grant_access(market: Market, call: Call) -> Rejection | None:
    rejection = guard_answer_access(market, call)
    if rejection:
        return rejection
    dataset = market.datasets[call["dataset"]]
    return R.LICENCE_EXHAUSTED if dataset.uses >= dataset.licence.max_uses else None


def requirements_grant_access(market: Market, call: Call) -> tuple[Requirement, ...]:
    job = market.jobs[call["job"]]
    return (Requirement(R.INSUFFICIENT_FUNDS, "owner can lock its bond",
                        market.balances[call.actor], job.owner_bond),)


@action(actor=Role.DATA_OWNER.value, params=("job", "dataset", "delivery_digest", "key_digest"),
                                             chapter=LICENCES,
        rejections=ANSWER_ACCESS + (R.LICENCE_EXHAUSTED, R.INSUFFICIENT_FUNDS),
        guard=guard_grant_access, requirements=requirements_grant_access)
def effect_grant_access(market: Market, call: Call) -> Market:
    """locks the owner bond, records the signed delivery digest, uses one licence use;
    LICENSED once every dataset is granted."""
    job = market.jobs[call["job"]]
    market, job = lock(market, job, call.actor, job.owner_bond)
    grant = Grant(call["delivery_digest"], call["key_digest"])
    job = replace(job, grants=job.grants.with_item(call["dataset"], grant))
    dataset = market.datasets[call["dataset"]]
    market = replace(market, datasets=market.datasets.with_item(
        call["dataset"], replace(dataset, uses=dataset.uses + 1)))
    if len(job.grants) == len(job.datasets):
        job = replace(job, status=JobStatus.LICENSED, deadline=market.now + job.window)
    return store(market, job)


@action(actor=Role.DATA_OWNER.value, params=("job", "dataset"), chapter=LICENCES,
        rejections=ANSWER_ACCESS,
        guard=guard_answer_access)
def effect_deny_access(market: Market, call: Call) -> Market:
    """CANCELLED: every deposit refunded."""
    job = market.jobs[call["job"]]
    return close(market, job, JobStatus.CANCELLED, refund_everyone(market, job))


# ---------------------------------------------------------------------------------------
VENDOR_MOVES = Chapter("Vendors: accepting, reporting inputs, submitting results")
# ---------------------------------------------------------------------------------------

def guard_party_move(market: Market, call: Call, role: Role,
                     status: JobStatus) -> tuple[Rejection | None, Job | None]:
    """The checks every vendor or developer move on a job starts with, in order: the
    signer holds ``role``, the job exists, it is in ``status``, and the signer is one of
    its vendors (or its developer)."""
    rejection = signer_check(market, call, role)
    if rejection:
        return rejection, None
    job = market.jobs.get(call["job"])
    if job is None:
        return R.UNKNOWN_JOB, None
    if job.status != status:
        return R.WRONG_STATUS, job
    is_party = call.actor in job.vendors if role == Role.VENDOR else call.actor == job.developer
    if not is_party:
        return R.NOT_JOB_PARTY, job
    return None, job


def guard_accept_job(market: Market, call: Call) -> Rejection | None:
    rejection, job = guard_party_move(market, call, Role.VENDOR, JobStatus.LICENSED)
    if rejection or job is None:
        return rejection
    offer = market.offers[call.actor]
    return (R.ALREADY_ANSWERED if call.actor in job.accepted else
            R.DEADLINE_PASSED if deadline_passed(market, job) else
            R.VENDOR_AT_CAPACITY if offer.active_jobs >= offer.capacity else None)


def requirements_accept_job(market: Market, call: Call) -> tuple[Requirement, ...]:
    job = market.jobs[call["job"]]
    return (Requirement(R.INSUFFICIENT_FUNDS, "vendor can lock its stake",
                        market.balances[call.actor], job.vendor_stake),)


@action(actor=Role.VENDOR.value, params=("job",), chapter=VENDOR_MOVES,
        rejections=VENDOR_MOVE + (R.ALREADY_ANSWERED, R.DEADLINE_PASSED, R.VENDOR_AT_CAPACITY,
                                  R.INSUFFICIENT_FUNDS),
        guard=guard_accept_job, requirements=requirements_accept_job)
def effect_accept_job(market: Market, call: Call) -> Market:
    """locks the vendor stake; RUNNING once every vendor accepted, releasing the data to
    the vendors."""
    job = market.jobs[call["job"]]
    market, job = lock(market, job, call.actor, job.vendor_stake)
    offer = market.offers[call.actor]
    market = replace(market, offers=market.offers.with_item(
        call.actor, replace(offer, active_jobs=offer.active_jobs + 1)))
    job = replace(job, accepted=job.accepted | {call.actor})
    if len(job.accepted) == len(job.vendors):
        # Every vendor is staked: the owners' key material is released to them.
        job = replace(job, status=JobStatus.RUNNING, deadline=market.now + job.window)
        released = {(job.ident, dataset, vendor) for dataset in job.datasets for vendor in job.vendors}
        market = replace(market, data_holders=market.data_holders | released)
    return store(market, job)


def guard_report_inputs(market: Market, call: Call) -> Rejection | None:
    """Shared by ``confirm_inputs`` and ``complain_inputs``."""
    rejection, job = guard_party_move(market, call, Role.VENDOR, JobStatus.RUNNING)
    if rejection or job is None:
        return rejection
    return (R.ALREADY_ANSWERED if call.actor in job.confirmed else
            R.DEADLINE_PASSED if deadline_passed(market, job) else None)


def guard_confirm_inputs(market: Market, call: Call) -> Rejection | None:
    rejection = guard_report_inputs(market, call)
    if rejection:
        return rejection
    job = market.jobs[call["job"]]
    defective = any(grant.delivery_digest != market.datasets[dataset].commitment
                    for dataset, grant in job.grants.items())
    return R.INPUTS_DEFECTIVE if defective else None


@action(actor=Role.VENDOR.value, params=("job",), chapter=VENDOR_MOVES,
        rejections=VENDOR_MOVE + (R.ALREADY_ANSWERED, R.DEADLINE_PASSED, R.INPUTS_DEFECTIVE),
        guard=guard_confirm_inputs)
def effect_confirm_inputs(market: Market, call: Call) -> Market:
    """records that the vendor's inputs match their commitments."""
    job = market.jobs[call["job"]]
    return store(market, replace(job, confirmed=job.confirmed | {call.actor}))


def guard_complain_inputs(market: Market, call: Call) -> Rejection | None:
    rejection = guard_report_inputs(market, call)
    if rejection:
        return rejection
    return R.DATASET_NOT_IN_JOB if call["dataset"] not in market.jobs[call["job"]].datasets else None


@action(actor=Role.VENDOR.value, params=("job", "dataset"), chapter=VENDOR_MOVES,
        rejections=VENDOR_MOVE + (R.ALREADY_ANSWERED, R.DEADLINE_PASSED, R.DATASET_NOT_IN_JOB),
        guard=guard_complain_inputs)
def effect_complain_inputs(market: Market, call: Call) -> Market:
    """RESOLVED from the delivery evidence: the owner (defective inputs) or the
    complainant (false complaint) is convicted.

    Settled at once from the evidence: the owner's signed delivery digest.
    """
    job = market.jobs[call["job"]]
    dataset = call["dataset"]
    delivered = job.grants[dataset].delivery_digest
    committed = market.datasets[dataset].commitment
    evidence = (("dataset", dataset), ("delivery_digest", delivered), ("commitment", committed),
                ("complainant", call.actor))
    if delivered != committed:
        verdict = Verdict(owner_of(market, dataset), Offence.DEFECTIVE_INPUTS, evidence)
        payouts = pay_defective_inputs(market, job, dataset, call.actor)
    else:
        verdict = Verdict(call.actor, Offence.FALSE_COMPLAINT, evidence)
        payouts = pay_false_complaint(market, job, call.actor)
    return close(market, job, JobStatus.RESOLVED, payouts, (verdict,))


def guard_submit_result(market: Market, call: Call) -> Rejection | None:
    rejection, job = guard_party_move(market, call, Role.VENDOR, JobStatus.RUNNING)
    if rejection or job is None:
        return rejection
    return (R.INPUTS_NOT_CONFIRMED if len(job.confirmed) < len(job.vendors) else
            R.ALREADY_ANSWERED if call.actor in job.results else
            R.DEADLINE_PASSED if deadline_passed(market, job) else
            R.INVALID_TRANSCRIPT if len(call["transcript"]) != job.steps else None)


@action(actor=Role.VENDOR.value, params=("job", "transcript"), chapter=VENDOR_MOVES,
        rejections=VENDOR_MOVE + (R.INPUTS_NOT_CONFIRMED, R.ALREADY_ANSWERED, R.DEADLINE_PASSED,
                                  R.INVALID_TRANSCRIPT),
        guard=guard_submit_result)
def effect_submit_result(market: Market, call: Call) -> Market:
    """records the vendor's transcript (training starts once every vendor confirmed its
    inputs); DELIVERED once every vendor submitted."""
    job = market.jobs[call["job"]]
    job = replace(job, results=job.results.with_item(call.actor, tuple(call["transcript"])))
    if len(job.results) == len(job.vendors):
        job = replace(job, status=JobStatus.DELIVERED, deadline=market.now + job.window)
    return store(market, job)


# ---------------------------------------------------------------------------------------
DEVELOPER_MOVES = Chapter("The developer: accepting or disputing")
# ---------------------------------------------------------------------------------------

def guard_accept_result(market: Market, call: Call) -> Rejection | None:
    rejection, job = guard_party_move(market, call, Role.DEVELOPER, JobStatus.DELIVERED)
    if rejection or job is None:
        return rejection
    return R.DEADLINE_PASSED if deadline_passed(market, job) else None


@action(actor=Role.DEVELOPER.value, params=("job",), chapter=DEVELOPER_MOVES,
        rejections=DEVELOPER_MOVE + (R.DEADLINE_PASSED,),
        guard=guard_accept_result)
def effect_accept_result(market: Market, call: Call) -> Market:
    """SETTLED: owners paid price and bond, vendors fee and stake, developer its bond;
    the developer receives the model (RESOLVED, no model, if a vendor was convicted)."""
    return end_after_delivery(market, market.jobs[call["job"]])


def guard_charge(market: Market, call: Call) -> Rejection | None:
    """The checks a developer's charge against one vendor of a delivered job opens with, in
    order (``dispute_result`` and ``convict_shared_step``): a developer move in DELIVERED, on
    time, against a vendor of the job not yet convicted."""
    rejection, job = guard_party_move(market, call, Role.DEVELOPER, JobStatus.DELIVERED)
    if rejection or job is None:
        return rejection
    if deadline_passed(market, job):
        return R.DEADLINE_PASSED
    if call["vendor"] not in job.vendors:
        return R.VENDOR_NOT_IN_JOB
    if call["vendor"] in job.convicted_vendors:
        return R.ALREADY_CONVICTED
    return None


CHARGE = DEVELOPER_MOVE + (R.DEADLINE_PASSED, R.VENDOR_NOT_IN_JOB, R.ALREADY_CONVICTED)
"""The checks of :func:`guard_charge`."""


def guard_dispute_result(market: Market, call: Call) -> Rejection | None:
    rejection = guard_charge(market, call)
    if rejection:
        return rejection
    job = market.jobs[call["job"]]
    if len(call["transcript"]) != job.steps:
        return R.INVALID_TRANSCRIPT
    if call["transcript"][-1] == job.results[call["vendor"]][-1]:
        return R.NO_DISAGREEMENT
    return None


@action(actor=Role.DEVELOPER.value, params=("job", "vendor", "transcript"),
                                            chapter=DEVELOPER_MOVES,
        rejections=CHARGE + (R.INVALID_TRANSCRIPT, R.NO_DISAGREEMENT),
        guard=guard_dispute_result)
def effect_dispute_result(market: Market, call: Call) -> Market:
    """DISPUTED: opens the bisection game over [0, T] against one vendor not convicted
    of a missed deadline."""
    job = market.jobs[call["job"]]
    turn = Turn.CLAIMANT if job.steps > 1 else Turn.RESOLVE
    dispute = Dispute(call["vendor"], tuple(call["transcript"]), 0, job.steps, turn)
    job = replace(job, status=JobStatus.DISPUTED, disputes=job.disputes + (dispute,),
                  deadline=market.now + job.window)
    return store(market, job)


def public_fault(market: Market, job: Job) -> tuple[int, str, str | None] | None:
    """The first fault the public checks over the committed step digests show, as
    ``(step, kind, vendor named)``, or None when the records are consistent or some vendor
    committed none (the checks need every vendor's records).

    A vendor's digest at step ``k`` stands for its step record; the record is off when the
    digest is not the step function of its own digest at ``k - 1``: by one for a state
    fault (its post-step shares), by :data:`SENDER_OFFSET` for a sender fault (a record
    without a well-formed sender check). At the first step where some record is off, the
    sender checks come first: the first vendor of the job whose own record is a sender
    fault is named, in a job of any size. Otherwise the state check names the one vendor
    off the others' polynomial, in a job of at least 3t + 1 vendors only (with fewer, the
    fault shows but names nobody).
    """
    if len(job.results) < len(job.vendors):
        return None
    for step in range(1, job.steps + 1):
        off: dict[str, str] = {}
        for vendor in job.vendors:
            transcript = job.results[vendor]
            previous = digest_at(start_digest(market, job, vendor), transcript, step - 1)
            gap = (transcript[step - 1] - step_digest(previous, step)) % DIGEST_MODULUS
            if gap:
                off[vendor] = "sender" if gap == SENDER_OFFSET else "state"
        senders = [vendor for vendor, kind in off.items() if kind == "sender"]
        if senders:
            return step, "sender", senders[0]
        if off:
            named = len(off) == 1 and len(job.vendors) >= 3 * THRESHOLD + 1
            return step, "state", next(iter(off)) if named else None
    return None


def guard_convict_shared_step(market: Market, call: Call) -> Rejection | None:
    rejection = guard_charge(market, call)
    if rejection:
        return rejection
    found = public_fault(market, market.jobs[call["job"]])
    return None if found == (call["step"], call["check"], call["vendor"]) else R.NO_PUBLIC_FAULT


@action(actor=Role.DEVELOPER.value, params=("job", "vendor", "step", "check"),
        chapter=DEVELOPER_MOVES,
        rejections=CHARGE + (R.NO_PUBLIC_FAULT,),
        guard=guard_convict_shared_step)
def effect_convict_shared_step(market: Market, call: Call) -> Market:
    """RESOLVED: the vendor the public checks name as the first fault is convicted from the
    committed step records, without a bisection; the job ends as after ``resolve_step``.

    ``check`` is the kind of the fault: ``"sender"`` — the vendor's own record carries no
    well-formed sender check, nothing is opened; ``"state"`` — its state check point is the
    odd one out, and the referee (the developer) re-executes its step from its view, which
    opens that one view (decision 0031: the conviction ends the job, so a job opens at most
    one view). The vendor forfeits fee and stake to the developer, which receives no model.
    """
    job = market.jobs[call["job"]]
    vendor, step = call["vendor"], call["step"]
    evidence: tuple[tuple[str, object], ...] = (
        ("respondent", vendor), ("step", step), ("check", call["check"]),
        ("respondent_digest", job.results[vendor][step - 1]))
    if call["check"] == "state":
        pre_state = digest_at(start_digest(market, job, vendor), job.results[vendor], step - 1)
        evidence = evidence + (("pre_state", pre_state),)
    return end_after_delivery(market, job, (Verdict(vendor, Offence.WRONG_COMPUTATION, evidence),))


# ---------------------------------------------------------------------------------------
BISECTION = Chapter("The bisection game")
# ---------------------------------------------------------------------------------------

def midpoint(dispute: Dispute) -> int:
    return (dispute.low + dispute.high) // 2


def with_current_dispute(job: Job, dispute: Dispute, now: int) -> Job:
    """The job with its current dispute replaced and a fresh deadline for the next move."""
    return replace(job, disputes=job.disputes[:-1] + (dispute,), deadline=now + job.window)


def guard_bisection_move(market: Market, call: Call, role: Role, turn: Turn) -> Rejection | None:
    """Shared by ``bisect_query`` (developer) and ``bisect_answer`` (respondent)."""
    rejection = signer_check(market, call, role)
    if rejection:
        return rejection
    job = market.jobs.get(call["job"])
    if job is None:
        return R.UNKNOWN_JOB
    if job.status != JobStatus.DISPUTED:
        return R.WRONG_STATUS
    dispute = job.open_dispute
    side = job.developer if turn == Turn.CLAIMANT else dispute.respondent
    if call.actor != side:
        return R.NOT_JOB_PARTY
    if dispute.turn == Turn.RESOLVE:
        return R.BISECTION_FINISHED
    if dispute.turn != turn:
        return R.NOT_YOUR_TURN
    if deadline_passed(market, job):
        return R.DEADLINE_PASSED
    committed = (dispute.claimant_transcript if turn == Turn.CLAIMANT
                 else job.results[dispute.respondent])
    if call["digest"] != committed[midpoint(dispute) - 1]:
        return R.NOT_COMMITTED
    return None


def guard_bisect_query(market: Market, call: Call) -> Rejection | None:
    return guard_bisection_move(market, call, Role.DEVELOPER, Turn.CLAIMANT)


@action(actor=Role.DEVELOPER.value, params=("job", "digest"), chapter=BISECTION,
        rejections=BISECTION_MOVE,
        guard=guard_bisect_query)
def effect_bisect_query(market: Market, call: Call) -> Market:
    """the developer opens its digest at the midpoint; the respondent's turn."""
    job = market.jobs[call["job"]]
    dispute = replace(job.open_dispute, turn=Turn.RESPONDENT)
    return store(market, with_current_dispute(job, dispute, market.now))


def guard_bisect_answer(market: Market, call: Call) -> Rejection | None:
    return guard_bisection_move(market, call, Role.VENDOR, Turn.RESPONDENT)


def answered(job: Job, digest: int, by_respondent: bool) -> Dispute:
    """The dispute after the respondent's digest at the midpoint is opened: the interval
    keeps the half where the sides still disagree."""
    dispute = job.open_dispute
    middle = midpoint(dispute)
    if digest == dispute.claimant_transcript[middle - 1]:
        low, high = middle, dispute.high
    else:
        low, high = dispute.low, middle
    turn = Turn.RESOLVE if high - low == 1 else Turn.CLAIMANT
    return replace(dispute, low=low, high=high, turn=turn, rounds=dispute.rounds + 1,
                   answers=dispute.answers + (1 if by_respondent else 0))


@action(actor=Role.VENDOR.value, params=("job", "digest"), chapter=BISECTION,
        rejections=BISECTION_MOVE,
        guard=guard_bisect_answer)
def effect_bisect_answer(market: Market, call: Call) -> Market:
    """the respondent opens its digest at the midpoint; the interval halves."""
    job = market.jobs[call["job"]]
    dispute = answered(job, call["digest"], by_respondent=True)
    return store(market, with_current_dispute(job, dispute, market.now))


def guard_resolve_step(market: Market, call: Call) -> Rejection | None:
    rejection = signer_check(market, call, None)
    if rejection:
        return rejection
    job = market.jobs.get(call["job"])
    if job is None:
        return R.UNKNOWN_JOB
    if job.status != JobStatus.DISPUTED:
        return R.WRONG_STATUS
    if job.open_dispute.turn != Turn.RESOLVE:
        return R.BISECTION_UNFINISHED
    return R.DEADLINE_PASSED if deadline_passed(market, job) else None


@action(actor=ANYONE, params=("job",), chapter=BISECTION,
        rejections=(R.UNKNOWN_ACTOR, R.UNKNOWN_JOB, R.WRONG_STATUS, R.BISECTION_UNFINISHED,
                    R.DEADLINE_PASSED),
        guard=guard_resolve_step)
def effect_resolve_step(market: Market, call: Call) -> Market:
    """RESOLVED: re-executes the disputed step (once per job) and convicts the side
    that is wrong; either conviction ends the job.

    Re-execute the one disputed step from the agreed pre-state and convict the side
    whose post-state digest is wrong (the respondent, if its digest is wrong). Either
    conviction ends the job: training runs on shares, and re-executing a vendor's step
    opens that vendor's view of every sharing of the job to the referee, so a job allows
    one re-execution (decision 0031, amending 0008). A convicted vendor forfeits fee and
    stake to the developer, which receives no model; the other vendors are paid.
    """
    job = market.jobs[call["job"]]
    dispute = job.open_dispute
    respondent_transcript = job.results[dispute.respondent]
    start = start_digest(market, job, dispute.respondent)
    pre_state = digest_at(start, respondent_transcript, dispute.low)
    expected = step_digest(pre_state, dispute.high)
    respondent_digest = respondent_transcript[dispute.high - 1]
    claimant_digest = dispute.claimant_transcript[dispute.high - 1]
    evidence = (("respondent", dispute.respondent), ("step", dispute.high),
                ("pre_state", pre_state), ("expected", expected),
                ("respondent_digest", respondent_digest), ("claimant_digest", claimant_digest))
    if respondent_digest != expected:
        return end_after_delivery(market, job, (Verdict(dispute.respondent, Offence.WRONG_COMPUTATION,
                                                        evidence),))
    verdict = Verdict(job.developer, Offence.FALSE_DISPUTE, evidence)
    payouts = pay_false_dispute(market, job, dispute.respondent, dispute.answers)
    return end_after_delivery(market, job, (verdict,), payouts)


# ---------------------------------------------------------------------------------------
MISUSE = Chapter("Misuse of data")
# ---------------------------------------------------------------------------------------

def guard_report_misuse(market: Market, call: Call) -> Rejection | None:
    rejection = signer_check(market, call, Role.DATA_OWNER)
    if rejection:
        return rejection
    job = market.jobs.get(call["job"])
    if job is None:
        return R.UNKNOWN_JOB
    if job.status not in STAKED_STATUSES:
        return R.WRONG_STATUS
    if all(owner_of(market, dataset) != call.actor for dataset in job.datasets):
        return R.NOT_JOB_PARTY
    if call["vendor"] not in job.vendors:
        return R.VENDOR_NOT_IN_JOB
    if misuse_artefact(job.ident, call["vendor"]) not in market.artefacts:
        return R.EVIDENCE_MISSING
    return None


@action(actor=Role.DATA_OWNER.value, params=("job", "vendor"), chapter=MISUSE,
        rejections=SIGNED + (R.UNKNOWN_JOB, R.WRONG_STATUS, R.NOT_JOB_PARTY,
                             R.VENDOR_NOT_IN_JOB, R.EVIDENCE_MISSING),
        guard=guard_report_misuse)
def effect_report_misuse(market: Market, call: Call) -> Market:
    """RESOLVED: the vendor is convicted of misuse; its stake pays every owner its
    misuse value divided by the audit probability first."""
    job = market.jobs[call["job"]]
    vendor = call["vendor"]
    verdict = Verdict(vendor, Offence.DATA_MISUSE,
                      (("artefact", misuse_artefact(job.ident, vendor)), ("reporter", call.actor)))
    payouts = pay_settlement(market, job, job.convicted_vendors | {vendor}, misuser=vendor)
    return close(market, job, JobStatus.RESOLVED, payouts, (verdict,))


# ---------------------------------------------------------------------------------------
DEADLINES = Chapter("Deadlines")
# ---------------------------------------------------------------------------------------

def silent_vendors(job: Job) -> frozenset[str]:
    """Vendors of a running job that missed the step the deadline was for.

    Training starts only once every vendor has confirmed its inputs, so while some vendor
    has not, the silent ones are those that have not confirmed — a vendor that confirmed
    could not submit yet and has missed nothing (decision 0011). Once all have confirmed,
    the silent ones are those that have not submitted.
    """
    if len(job.confirmed) < len(job.vendors):
        return frozenset(vendor for vendor in job.vendors if vendor not in job.confirmed)
    return frozenset(vendor for vendor in job.vendors if vendor not in job.results)


def guard_timeout(market: Market, call: Call) -> Rejection | None:
    rejection = signer_check(market, call, None)
    if rejection:
        return rejection
    job = market.jobs.get(call["job"])
    if job is None:
        return R.UNKNOWN_JOB
    if is_terminal(job):
        return R.WRONG_STATUS
    return R.DEADLINE_NOT_PASSED if not deadline_passed(market, job) else None


@action(actor=ANYONE, params=("job",), chapter=DEADLINES,
        rejections=(R.UNKNOWN_ACTOR, R.UNKNOWN_JOB, R.WRONG_STATUS, R.DEADLINE_NOT_PASSED),
        guard=guard_timeout)
def effect_timeout(market: Market, call: Call) -> Market:
    """ends or advances a job whose deadline passed, at the silent party's expense.

    The party that had to act and did not loses what the rules say:

    * REQUESTED or LICENSED: nobody has received data; the job expires, all refunded;
    * RUNNING: every silent vendor is convicted of missing the deadline; if training had
      started and some vendors submitted, their results stay open to the developer's
      audit as after a delivery (DELIVERED, the silent vendors convicted), so a vendor
      never gains by skipping the computation because another vendor fell silent
      (decision 0011); otherwise the job is resolved;
    * DELIVERED: the developer's silence is acceptance;
    * DISPUTED: the respondent's silence costs it nothing but its compensation: its
      committed digest at the midpoint is opened for it and the bisection goes on. The
      claimant raised the dispute and bears its burden: silent on its turn, or leaving the
      narrowed step unresolved, it is convicted.
    """
    job = market.jobs[call["job"]]
    evidence: tuple[tuple[str, object], ...] = (("status", job.status.value), ("deadline", job.deadline),
                                                ("now", market.now))
    if job.status in (JobStatus.REQUESTED, JobStatus.LICENSED):
        return close(market, job, JobStatus.EXPIRED, refund_everyone(market, job))
    if job.status == JobStatus.RUNNING:
        guilty = silent_vendors(job)
        verdicts = tuple(Verdict(vendor, Offence.MISSED_DEADLINE, evidence)
                         for vendor in job.vendors if vendor in guilty)
        if len(job.confirmed) == len(job.vendors) and job.results:
            job = replace(job, status=JobStatus.DELIVERED, deadline=market.now + job.window,
                          verdicts=job.verdicts + verdicts)
            return store(market, job)
        return close(market, job, JobStatus.RESOLVED, pay_settlement(market, job, guilty), verdicts)
    if job.status == JobStatus.DELIVERED:
        return end_after_delivery(market, job)
    dispute = job.open_dispute
    if dispute.turn == Turn.RESPONDENT:
        committed = job.results[dispute.respondent][midpoint(dispute) - 1]
        return store(market, with_current_dispute(job, answered(job, committed, False), market.now))
    evidence = evidence + (("respondent", dispute.respondent), ("turn", dispute.turn.value))
    verdict = Verdict(job.developer, Offence.MISSED_DEADLINE, evidence)
    payouts = pay_false_dispute(market, job, dispute.respondent, dispute.answers)
    return end_after_delivery(market, job, (verdict,), payouts)


@action(actor=ENVIRONMENT, params=(), chapter=DEADLINES,
        rejections=(),
        guard=no_checks, kind="off-chain")
def effect_tick(market: Market, call: Call) -> Market:
    """advances the ledger clock by one tick."""
    return replace(market, now=market.now + 1)


# ---------------------------------------------------------------------------------------
# Events outside the ledger that the rules must still talk about come last in the
# catalogue (its order is the order of the declarations below).
# ---------------------------------------------------------------------------------------

def guard_misuse_data(market: Market, call: Call) -> Rejection | None:
    rejection = signer_check(market, call, Role.VENDOR)
    if rejection:
        return rejection
    job = market.jobs.get(call["job"])
    if job is None:
        return R.UNKNOWN_JOB
    if job.status not in STAKED_STATUSES:
        return R.WRONG_STATUS
    if call.actor not in job.vendors:
        return R.NOT_JOB_PARTY
    return R.ALREADY_ANSWERED if misuse_artefact(job.ident, call.actor) in market.artefacts else None


@action(actor=Role.VENDOR.value, params=("job",), chapter=MISUSE,
        rejections=SIGNED + (R.UNKNOWN_JOB, R.WRONG_STATUS, R.NOT_JOB_PARTY,
                             R.ALREADY_ANSWERED),
        guard=guard_misuse_data, kind="off-chain")
def effect_misuse_data(market: Market, call: Call) -> Market:
    """the vendor uses the job's data outside its licence, leaving a signed artefact.

    Using the job's data outside the licence while the job runs leaves a signed
    artefact that an audit may find. (Use after the stake is released is beyond what the
    chaincode can punish; the licence's legal terms cover it.)
    """
    return replace(market, artefacts=market.artefacts | {misuse_artefact(call["job"], call.actor)})
