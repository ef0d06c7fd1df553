"""What each party can learn: the knowledge model of secret-shared training.

Training runs on Shamir shares of threshold ``THRESHOLD`` (decision 0030). Every job has one
*sharing* per dataset, ``(job, dataset)``, whose secret its owner is entitled to, and one
of the model, ``(job, MODEL)``, whose secret its developer is entitled to. A party learns a
secret when it holds the plaintext or more than ``THRESHOLD`` distinct shares of it; no
coalition of at most ``THRESHOLD`` vendors, no party but the entitled one, and not the
public ledger may ever do so. This module derives, from a market state of the spec, what
each party holds after the actions that brought it there:

* registering a dataset or a model — the owner holds its dataset, the developer its
  initial model (both plaintext, and both entitled);
* the release of data to a staked vendor (``data_holders``) — the vendor at position ``i``
  of the job holds share ``i`` of every dataset sharing of the job and of the model
  sharing (the owners deal their rows, the developer its initial model, each bundle
  readable by its vendor only);
* a step re-executed by ``resolve_step`` (a verdict whose evidence names a ``pre_state``) —
  the referee, the job's developer, holds the respondent's *view* of that step: share ``i``
  of every sharing of the job (the resolution ends the job, so there is at most one per
  job: decision 0031);
* a secret-shared conviction (``convict_shared_step``) of a state fault — the referee
  re-executes the named vendor's step, so its evidence names a ``pre_state`` and the rule
  above applies (the conviction ends the job: one view per job); a sender fault is
  convicted from the vendor's own committed record and opens nothing;
* delivery of the model (``model_holders``) — the developer holds every vendor's final
  share of the model;
* training itself — every polynomial of degree t a vendor deals while training (the
  sub-shares of its product shares it reshares, its coins) is one more sharing, the
  vendor's *dealt* sharing ``(job, DEALT + vendor)``: the message it sends the vendor at
  position ``i`` is point ``i`` of it, and the dealer knows it (and is entitled to it);
* the public holds digests and masked check values only: no share.

Every vendor reads the ledger, so what the public holds is pooled with every coalition of
vendors (``ledger_readers_learn_nothing``): opening on the ledger even one channel — what
one vendor sent one peer in one step — would give any third vendor two points of the
sender's dealt sharings (its own and the opened one), more than t (decision 0101).

Nothing here changes the market: knowledge is a function of the state the protocol reached.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from spec.state import Market

THRESHOLD = 1
"""Shares of any t = 1 vendor reveal nothing; any two reveal the secret."""

MODEL = "model"
PUBLIC = "public"
PLAINTEXT = -1
"""The share index that stands for holding the secret itself."""

DEALT = "dealt:"
"""Prefix of a vendor's dealt sharing: ``(job, DEALT + vendor)``."""

Sharing = tuple[str, str]
"""(job, dataset), (job, MODEL) or (job, DEALT + vendor)."""


def released(market: Market, job, held) -> None:
    """Data released to a staked vendor: the vendor at position ``i`` of the job receives
    share ``i`` of every dataset sharing of the job and of its model sharing."""
    sharings = job_sharings(job)
    for ident, _, vendor in market.data_holders:
        if ident == job.ident:
            index = job.vendors.index(vendor) if vendor in job.vendors else PLAINTEXT
            for sharing in sharings:
                held[(vendor, sharing)].add(index)
            if vendor in job.vendors:  # it trains: the others' messages reach it
                for dealt in dealt_sharings(job):
                    held[(vendor, dealt)].add(PLAINTEXT if dealt[1] == DEALT + vendor else index)


def re_executed(market: Market, job, held) -> None:
    """A step re-executed by ``resolve_step``: the referee — the job's developer — receives
    the respondent's view of that step, i.e. its share of every sharing of the job. Nothing
    of it reaches the ledger, which records the verdict and the digests."""
    for verdict in job.verdicts:
        facts = dict(verdict.evidence)
        if "pre_state" in facts:
            index = job.vendors.index(facts["respondent"])
            for sharing in job_sharings(job):
                held[(job.developer, sharing)].add(index)


def delivered(market: Market, job, held) -> None:
    """Delivery of the model: whoever the model is delivered to receives every vendor's
    final share of it."""
    for ident, holder in market.model_holders:
        if ident == job.ident:
            held[(holder, (job.ident, MODEL))].update(range(len(job.vendors)))


def registered(market: Market, job, held) -> None:
    """What parties bring: each owner its dataset, the developer its initial model."""
    for dataset in job.datasets:
        held[(market.datasets[dataset].owner, (job.ident, dataset))].add(PLAINTEXT)
    held[(job.developer, (job.ident, MODEL))].add(PLAINTEXT)


RULES = {"registered": registered, "released": released, "re_executed": re_executed,
         "delivered": delivered}
"""How each kind of action moves knowledge; looked up by name at call time."""
RULES_ORIGINAL = dict(RULES)


def job_sharings(job) -> list[Sharing]:
    return [(job.ident, dataset) for dataset in job.datasets] + [(job.ident, MODEL)]


def dealt_sharings(job) -> list[Sharing]:
    """The sharings the job's vendors deal while training, one per vendor."""
    return [(job.ident, DEALT + vendor) for vendor in job.vendors]


def holdings(market: Market) -> dict[tuple[str, Sharing], frozenset[int]]:
    """``(holder, sharing) -> share indices held`` (``PLAINTEXT`` for the secret itself)."""
    held: dict[tuple[str, Sharing], set[int]] = defaultdict(set)
    for job in market.jobs.values():
        for rule in ("registered", "released", "re_executed", "delivered"):
            RULES[rule](market, job, held)
    return {key: frozenset(indices) for key, indices in held.items()}


def entitled(market: Market, sharing: Sharing) -> str:
    """The one party allowed to learn a sharing's secret."""
    job = market.jobs[sharing[0]]
    if sharing[1].startswith(DEALT):
        return sharing[1].removeprefix(DEALT)
    return job.developer if sharing[1] == MODEL else market.datasets[sharing[1]].owner


def learns(indices: frozenset[int]) -> bool:
    return PLAINTEXT in indices or len(indices) > THRESHOLD


def vendor_coalitions_learn(market: Market) -> str | None:
    """No coalition of at most ``THRESHOLD`` vendors learns a dataset or the model."""
    held = holdings(market)
    for job in market.jobs.values():
        sharings = job_sharings(job)
        for size in range(1, THRESHOLD + 1):
            for coalition in combinations(job.vendors, size):
                for sharing in sharings:
                    pooled = frozenset().union(*(held.get((vendor, sharing), frozenset())
                                                 for vendor in coalition))
                    if learns(pooled):
                        return f"vendors {', '.join(coalition)} together learn {sharing}"
    return None


def ledger_readers_learn(market: Market) -> str | None:
    """Every vendor reads the ledger: no coalition of at most ``THRESHOLD`` vendors, pooling
    what the public holds, learns a dataset, the model or another vendor's dealt sharing."""
    held = holdings(market)
    for job in market.jobs.values():
        for size in range(1, THRESHOLD + 1):
            for coalition in combinations(job.vendors, size):
                sharings = job_sharings(job) + [dealt for dealt in dealt_sharings(job)
                                                if dealt[1].removeprefix(DEALT) not in coalition]
                for sharing in sharings:
                    pooled = held.get((PUBLIC, sharing), frozenset()).union(
                        *(held.get((vendor, sharing), frozenset()) for vendor in coalition))
                    if learns(pooled):
                        return (f"vendors {', '.join(coalition)} with the public ledger learn "
                                f"{sharing}")
    return None


def developer_learns_data(market: Market) -> str | None:
    """The developer learns no dataset (its openings as referee included)."""
    for (holder, sharing), indices in holdings(market).items():
        job = market.jobs[sharing[0]]
        if sharing[1] in job.datasets and holder == job.developer and learns(indices):
            return f"{holder}, developer of {job.ident}, learns dataset {sharing[1]}"
    return None


def owners_learn_model(market: Market) -> str | None:
    """No data owner learns the model."""
    owners = {dataset.owner for dataset in market.datasets.values()}
    for (holder, sharing), indices in holdings(market).items():
        if sharing[1] == MODEL and holder in owners and learns(indices):
            return f"{holder}, a data owner, learns the model of {sharing[0]}"
    return None


def public_learns(market: Market) -> str | None:
    """The public ledger holds no share of anything."""
    for (holder, sharing), indices in holdings(market).items():
        if holder == PUBLIC and indices:
            return f"the public holds shares {sorted(indices)} of {sharing}"
    return None


def views_opened_per_sharing(market: Market) -> int:
    """The most distinct vendors' shares any party other than the entitled one holds of
    one sharing (what ``aimarket demo`` reports as ``max_views_opened_per_sharing``)."""
    most = 0
    for (holder, sharing), indices in holdings(market).items():
        if holder != entitled(market, sharing):
            most = max(most, len(indices - {PLAINTEXT}))
    return most


def views_within_budget(market: Market) -> str | None:
    """No party but the entitled one holds more than ``THRESHOLD`` vendors' shares."""
    most = views_opened_per_sharing(market)
    return None if most <= THRESHOLD else f"a party holds {most} vendors' shares of one sharing"


KNOWLEDGE_INVARIANTS = (
    ("no_vendor_coalition_learns", "no coalition of at most t vendors learns a dataset or "
                                   "the model", vendor_coalitions_learn),
    ("ledger_readers_learn_nothing", "no coalition of at most t vendors, pooling what the "
                                     "public ledger holds, learns a secret or another "
                                     "vendor's dealt sharing", ledger_readers_learn),
    ("developer_learns_no_data", "the developer (also as referee) learns no dataset",
     developer_learns_data),
    ("owners_learn_no_model", "no data owner learns the model", owners_learn_model),
    ("public_learns_nothing", "the public ledger holds no share", public_learns),
    ("openings_within_budget", "no party but the entitled one holds more than t vendors' "
                               "shares of one sharing", views_within_budget),
)
"""(name, statement, check): each check returns None or a one-line violation."""
