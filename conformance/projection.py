"""The abstract state: the part of a market every implementation can reproduce.

A conformance vector records, after every step, an :class:`AbstractState`. It is a
*projection* of the spec's :class:`~spec.state.Market`: it keeps every fact a party can
observe on the ledger or off it — accounts, the catalogue, each job's terms, status,
deadline, deposits, moves, dispute position, verdicts and payouts, who holds data and
models — and replaces every abstract digest by what it means (see
:mod:`conformance.semantics`), because an implementation with real cryptography has
different digests. An implementation's runner builds the same value from its own state
(:meth:`conformance.runner.Runner.project`); the suite compares the two with ``==`` and
reports the differences with :func:`differences`.

Conventions: every amount is a whole number of tokens; times and deadlines are ticks of
the ledger clock (the spec's ``now``); maps are ``dict``, sets ``frozenset``, sequences
``tuple``. Payouts are summed per account, and accounts whose total is zero are left out
(several payout rules pay one account twice, or pay zero).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from fractions import Fraction
from collections.abc import Sequence
from typing import Any, Protocol

from conformance.semantics import COMMITTED, OTHER, Context
from spec.state import Job, Market

def whole(amount: Any, where: str) -> int:
    """An amount as an ``int``; the projection has no fractional tokens."""
    if isinstance(amount, bool):
        raise ValueError(f"{where}: {amount!r} is not an amount")
    if isinstance(amount, Fraction):
        if amount.denominator != 1:
            raise ValueError(f"{where}: {amount} is not a whole number of tokens")
        return int(amount)
    if not isinstance(amount, int):
        raise ValueError(f"{where}: {amount!r} is not an amount")
    return amount


@dataclass(frozen=True)
class AbstractDataset:
    owner: str
    price: int
    misuse_value: int
    purposes: frozenset[str]
    expiry: int
    """Licence expiry, in ticks of the ledger clock."""
    max_uses: int
    uses: int
    """Jobs that have been granted a licence of this dataset."""


@dataclass(frozen=True)
class AbstractOffer:
    fee: int
    cost: int
    capacity: int
    active_jobs: int


@dataclass(frozen=True)
class AbstractDispute:
    respondent: str
    claim: tuple[str, ...]
    """Digest labels of the developer's claimed transcript, in the respondent's context."""
    low: int
    high: int
    turn: str
    """``claimant``, ``respondent`` or ``resolve``."""
    rounds: int
    answers: int
    """Rounds in which the respondent answered itself (not opened for it at its deadline)."""


@dataclass(frozen=True)
class AbstractVerdict:
    convicted: str
    offence: str


@dataclass(frozen=True)
class AbstractJob:
    developer: str
    model: str
    datasets: tuple[str, ...]
    vendors: tuple[str, ...]
    purpose: str
    steps: int
    window: int
    vendor_stake: int
    developer_bond: int
    owner_bond: int
    status: str
    deadline: int
    deposits: dict[str, int]
    deliveries: dict[str, str]
    """For every granted dataset: ``committed`` or ``other`` (the signed delivery digest)."""
    accepted: frozenset[str]
    confirmed: frozenset[str]
    results: dict[str, tuple[str, ...]]
    """For every vendor that submitted: the digest labels of its transcript, in its context."""
    disputes: tuple[AbstractDispute, ...]
    """Every dispute of the job in order; the last is being played while it is DISPUTED."""
    verdicts: tuple[AbstractVerdict, ...]
    payouts: dict[str, int] | None
    """``None`` while the escrow is unpaid; then the total paid to each account (non-zero)."""


@dataclass(frozen=True)
class AbstractState:
    now: int
    identities: dict[str, str]
    """Name to role (``treasury``, ``data_owner``, ``developer``, ``vendor``)."""
    balances: dict[str, int]
    escrows: dict[str, int]
    minted: int
    datasets: dict[str, AbstractDataset]
    models: dict[str, str]
    """Model to its owner."""
    offers: dict[str, AbstractOffer]
    jobs: dict[str, AbstractJob]
    data_holders: frozenset[tuple[str, str, str]]
    """``(job, dataset, holder)`` for every release of a dataset's key material."""
    model_holders: frozenset[tuple[str, str]]
    """``(job, holder)`` for every delivery of a trained model."""
    misuse_artefacts: frozenset[tuple[str, str]]
    """``(job, vendor)`` for every signed artefact of misuse a vendor left."""


def summed(pairs: Any, where: str) -> dict[str, int]:
    """Amounts per account, zero totals left out, in account order."""
    totals: dict[str, int] = {}
    for account, amount in pairs:
        totals[account] = totals.get(account, 0) + whole(amount, where)
    return {account: totals[account] for account in sorted(totals) if totals[account] != 0}


class Labeller(Protocol):
    """Names a transcript's digests (:class:`~conformance.semantics.DigestLabeller` for the
    spec's own digests, the remapped runner's for its own)."""

    def labels(self, market: Market, context: Context | None,
               transcript: Sequence[int]) -> tuple[str, ...]: ...


def project_job(market: Market, job: Job, labeller: Labeller) -> AbstractJob:
    where = f"job {job.ident}"
    disputes = tuple(
        AbstractDispute(respondent=dispute.respondent,
                        claim=labeller.labels(market, (job.ident, dispute.respondent),
                                              dispute.claimant_transcript),
                        low=dispute.low, high=dispute.high, turn=dispute.turn.value,
                        rounds=dispute.rounds, answers=dispute.answers)
        for dispute in job.disputes)
    deliveries = {
        dataset: COMMITTED if grant.delivery_digest == market.datasets[dataset].commitment else OTHER
        for dataset, grant in job.grants.items()}
    return AbstractJob(
        developer=job.developer, model=job.model, datasets=tuple(job.datasets),
        vendors=tuple(job.vendors), purpose=job.purpose, steps=job.steps, window=job.window,
        vendor_stake=whole(job.vendor_stake, where), developer_bond=whole(job.developer_bond, where),
        owner_bond=whole(job.owner_bond, where), status=job.status.value, deadline=job.deadline,
        deposits=summed(job.deposits.items(), where),
        deliveries=dict(sorted(deliveries.items())),
        accepted=frozenset(job.accepted), confirmed=frozenset(job.confirmed),
        results={vendor: labeller.labels(market, (job.ident, vendor), transcript)
                 for vendor, transcript in sorted(job.results.items())},
        disputes=disputes,
        verdicts=tuple(AbstractVerdict(verdict.convicted, verdict.offence.value)
                       for verdict in job.verdicts),
        payouts=None if job.payouts is None else summed(job.payouts, where),
    )


def project(market: Market, labeller: Labeller) -> AbstractState:
    """The abstract state of a spec market (``labeller`` names its digests)."""
    return AbstractState(
        now=market.now,
        identities={name: identity.role.value for name, identity in market.identities.items()},
        balances={name: whole(amount, f"balance of {name}") for name, amount in market.balances.items()},
        escrows={job: whole(amount, f"escrow of {job}") for job, amount in market.escrows.items()},
        minted=whole(market.minted, "minted"),
        datasets={name: AbstractDataset(
            owner=dataset.owner, price=whole(dataset.price, name),
            misuse_value=whole(dataset.misuse_value, name),
            purposes=frozenset(dataset.licence.purposes), expiry=dataset.licence.expiry,
            max_uses=dataset.licence.max_uses, uses=dataset.uses)
            for name, dataset in market.datasets.items()},
        models={name: model.owner for name, model in market.models.items()},
        offers={name: AbstractOffer(whole(offer.fee, name), whole(offer.cost, name),
                                    offer.capacity, offer.active_jobs)
                for name, offer in market.offers.items()},
        jobs={ident: project_job(market, job, labeller) for ident, job in market.jobs.items()},
        data_holders=frozenset(market.data_holders),
        model_holders=frozenset(market.model_holders),
        misuse_artefacts=frozenset((job, signer) for kind, job, signer in market.artefacts
                                   if kind == "misuse"),
    )


# ---------------------------------------------------------------------------------------
# Plain JSON values (for reports) and differences
# ---------------------------------------------------------------------------------------

def to_plain(value: Any) -> Any:
    """A JSON-ready rendering: dataclasses and maps to objects, sets to sorted lists."""
    if is_dataclass(value):
        return {item.name: to_plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, frozenset):
        return sorted((to_plain(item) for item in value), key=repr)
    if isinstance(value, (tuple, list)):
        return [to_plain(item) for item in value]
    return value


def difference_items(expected: Any, actual: Any, path: str = "state",
                     limit: int = 20) -> list[tuple[str, Any, Any]]:
    """The differences between two abstract values (at most ``limit``), each as
    ``(path, expected, actual)`` in plain JSON values; ``None`` stands for "absent"."""
    found: list[tuple[str, Any, Any]] = []

    def walk(left: Any, right: Any, where: str) -> None:
        if len(found) >= limit or left == right:
            return
        if is_dataclass(left) and is_dataclass(right) and type(left) is type(right):
            for item in fields(left):
                walk(getattr(left, item.name), getattr(right, item.name), f"{where}.{item.name}")
            return
        if isinstance(left, dict) and isinstance(right, dict):
            for key in sorted(set(left) | set(right), key=str):
                if key not in right:
                    found.append((f"{where}[{key!r}]", to_plain(left[key]), None))
                elif key not in left:
                    found.append((f"{where}[{key!r}]", None, to_plain(right[key])))
                else:
                    walk(left[key], right[key], f"{where}[{key!r}]")
                if len(found) >= limit:
                    return
            return
        found.append((where, to_plain(left), to_plain(right)))

    walk(expected, actual, path)
    return found


def render_difference(item: tuple[str, Any, Any]) -> str:
    where, left, right = item
    if right is None:
        return f"{where}: expected {left!r}, missing"
    if left is None:
        return f"{where}: unexpected {right!r}"
    return f"{where}: expected {left!r}, got {right!r}"


def differences(expected: Any, actual: Any, path: str = "state", limit: int = 20) -> list[str]:
    """Human-readable differences between two abstract values (at most ``limit``)."""
    return [render_difference(item) for item in difference_items(expected, actual, path, limit)]
