"""Protocol properties the explorer checks in every market, beside the spec's invariants.

The spec's :data:`spec.invariants.INVARIANTS` say that tokens are conserved, escrows paid
once, data and models reach only the right parties and verdicts rest on evidence. Two
promises of the protocol (``docs/protocol.md``) are not among them, and the model
checker states them here, read from the design, not from the spec's payout code:

* **settlement pays as promised** — "``accept_result`` → settlement: price to data
  owners, fee to vendors, bonds back": in a SETTLED job every owner's net transfer is the
  price of its datasets, every vendor's is its fee, the developer's is minus all of them,
  and nobody else gains or loses anything;
* **bisection is bounded** — "they bisect until they disagree on a single step, at most
  ceil(log2 T) rounds": a dispute's interval stays inside ``[0, T]``, is never empty, and
  no dispute has taken more than ceil(log2 T) rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spec.base import total
from spec.params import bisection_rounds
from spec.payoffs import ledger_transfer
from spec.world import Instance
from spec.state import JobStatus, Market


@dataclass(frozen=True)
class ProtocolProperty:
    name: str
    description: str
    check: Callable[[Market], "str | None"]


def settlement_pays_as_promised(market: Market) -> str | None:
    for job in market.jobs.values():
        if job.status != JobStatus.SETTLED:
            continue
        promised: dict[str, object] = {}
        for dataset in job.datasets:
            owner = market.datasets[dataset].owner
            promised[owner] = promised.get(owner, 0) + market.datasets[dataset].price
        for vendor in job.vendors:
            promised[vendor] = promised.get(vendor, 0) + market.offers[vendor].fee
        promised[job.developer] = promised.get(job.developer, 0) - total(
            amount for party, amount in promised.items() if party != job.developer)
        parties = set(promised) | set(job.deposits) | {account for account, _ in job.payouts or ()}
        for party in sorted(parties):
            got = ledger_transfer(job, party)
            if got != promised.get(party, 0):
                return (f"{job.ident} settled but {party} got {got} net "
                        f"instead of {promised.get(party, 0)}")
    return None


def bisection_bounded(market: Market) -> str | None:
    for job in market.jobs.values():
        bound = bisection_rounds(job.steps)
        for dispute in job.disputes:
            if not 0 <= dispute.low < dispute.high <= job.steps:
                return (f"{job.ident}: dispute with {dispute.respondent} has interval "
                        f"[{dispute.low}, {dispute.high}] outside [0, {job.steps}]")
            if dispute.rounds > bound:
                return (f"{job.ident}: dispute with {dispute.respondent} took {dispute.rounds} "
                        f"rounds, more than ceil(log2 T) = {bound}")
    return None


PROTOCOL_PROPERTIES: tuple[ProtocolProperty, ...] = (
    ProtocolProperty("settlement_pays_as_promised",
                     "a settled job pays every owner its price and every vendor its fee, "
                     "out of the developer's deposit, and moves nothing else",
                     settlement_pays_as_promised),
    ProtocolProperty("bisection_bounded",
                     "a dispute's interval stays non-empty inside [0, T] and takes at most "
                     "ceil(log2 T) rounds",
                     bisection_bounded),
)


def protocol_violations(market: Market, instance: Instance | None = None) -> list[tuple[str, str]]:
    """Every protocol property that fails in ``market``, with what is wrong."""
    found = []
    for prop in PROTOCOL_PROPERTIES:
        problem = prop.check(market)
        if problem is not None:
            found.append((prop.name, problem))
    return found
