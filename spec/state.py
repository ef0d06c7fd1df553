"""The state of the marketplace: who exists, who owns what, and every training job.

A :class:`Market` is one immutable value holding the whole world the protocol can see:
the ledger's accounts and records, plus the few off-chain facts the rules need to talk
about (who holds data material, who holds a trained model, which signed artefacts exist).
Every action of :mod:`spec.actions` maps a market to the next market.

Time is the ledger's clock ``now``, a whole number of ticks advanced by the environment.
On a ledger, ``now`` is the **block time**: the time the ordering service stamps and signs
on the block that orders a move, not a time the mover claims. Each job phase has an
absolute deadline; a party that must act does so no later than the deadline (its move is
ordered in a block whose time is at most the deadline), and once it has passed only
``timeout`` moves the job on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from spec.base import Amount, FrozenMap


class Role(str, Enum):
    """The role an identity holds. One identity holds exactly one role."""

    TREASURY = "treasury"
    """Mints tokens with ``fund`` and receives forfeited remainders. Exists from genesis."""
    DATA_OWNER = "data_owner"
    """Registers datasets and licenses them to jobs; locks a bond per licence; is paid per job."""
    DEVELOPER = "developer"
    """Registers model recipes, requests and pays for training, accepts or disputes results."""
    VENDOR = "vendor"
    """Offers compute; stakes per job, reports its inputs, trains and answers disputes."""


TREASURY = "treasury"
"""The name of the treasury identity, present in every genesis market."""


class JobStatus(str, Enum):
    """Where a training job stands. The last four are terminal."""

    REQUESTED = "REQUESTED"
    """The developer has paid into the escrow; data owners answer the licence request."""
    LICENSED = "LICENSED"
    """Every data owner granted a licence and locked its bond; vendors accept the job."""
    RUNNING = "RUNNING"
    """Every vendor staked and received the data; vendors report inputs, then train."""
    DELIVERED = "DELIVERED"
    """Every vendor submitted its result (or the silent ones were convicted); the developer
    accepts or disputes one vendor's result."""
    DISPUTED = "DISPUTED"
    """The developer and one vendor play the bisection game over the transcript; its
    resolution ends the job (one re-execution per job, decision 0031)."""
    SETTLED = "SETTLED"
    """Terminal: the model was accepted (or silently accepted) and everyone was paid."""
    CANCELLED = "CANCELLED"
    """Terminal: a data owner denied access; every deposit was refunded."""
    RESOLVED = "RESOLVED"
    """Terminal: a conviction ended the job; payouts follow the offence."""
    EXPIRED = "EXPIRED"
    """Terminal: a licence or an acceptance never came; every deposit was refunded."""


TERMINAL_STATUSES = frozenset(
    {JobStatus.SETTLED, JobStatus.CANCELLED, JobStatus.RESOLVED, JobStatus.EXPIRED}
)
"""Statuses from which no action moves a job."""

STAKED_STATUSES = frozenset({JobStatus.RUNNING, JobStatus.DELIVERED, JobStatus.DISPUTED})
"""Statuses in which vendors hold the data and their stakes are locked."""


class Offence(str, Enum):
    """What a convicted party did, each proved by a different kind of evidence."""

    DEFECTIVE_INPUTS = "DEFECTIVE_INPUTS"
    """A data owner's signed delivery digest differs from its dataset's commitment."""
    FALSE_COMPLAINT = "FALSE_COMPLAINT"
    """A vendor complained about inputs whose signed delivery digest matches the commitment."""
    WRONG_COMPUTATION = "WRONG_COMPUTATION"
    """A vendor's post-state digest at the disputed step differs from the re-execution."""
    FALSE_DISPUTE = "FALSE_DISPUTE"
    """The developer's claimed digest at the disputed step differs from the re-execution."""
    MISSED_DEADLINE = "MISSED_DEADLINE"
    """A party that had to act did not act before the deadline."""
    DATA_MISUSE = "DATA_MISUSE"
    """A vendor used licensed data outside its licence, shown by a signed artefact."""


class Turn(str, Enum):
    """Whose move it is in a bisection dispute."""

    CLAIMANT = "claimant"
    """The developer opens its digest at the midpoint (``bisect_query``)."""
    RESPONDENT = "respondent"
    """The vendor opens its digest at the same midpoint (``bisect_answer``)."""
    RESOLVE = "resolve"
    """The disagreement is one step wide; anyone may call ``resolve_step`` with the opened
    pre-state; the claimant, who raised the dispute, bears the burden of doing so."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A registered party: its name (the key of its signing certificate), role and organisation."""

    name: str
    role: Role
    organisation: str


@dataclass(frozen=True, slots=True)
class Licence:
    """The terms under which a dataset may be used: purposes, expiry time, number of jobs."""

    purposes: frozenset[str]
    expiry: int
    max_uses: int


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset offered for training.

    ``commitment`` is the digest of the encrypted dataset (a Merkle root in the reference);
    ``price`` is paid to the owner by each job that uses it; ``misuse_value`` is the owner's
    declared value of the data to someone who uses it outside its licence, which sizes the
    vendor stake; ``uses`` counts the jobs that have released key material for it.
    """

    owner: str
    commitment: int
    price: Amount
    misuse_value: Amount
    licence: Licence
    uses: int = 0


@dataclass(frozen=True, slots=True)
class Model:
    """A model recipe: its owner and a commitment to architecture, parameters and seed."""

    owner: str
    commitment: int


@dataclass(frozen=True, slots=True)
class Offer:
    """A vendor's offer: fee per job, declared compute cost per job, and capacity in jobs."""

    fee: Amount
    cost: Amount
    capacity: int
    active_jobs: int = 0


@dataclass(frozen=True, slots=True)
class Grant:
    """A data owner's signed licence for one job and the digest of what it delivered.

    ``delivery_digest`` is the digest of the encrypted data the owner signed as delivered;
    it is the evidence for every input complaint. ``key_digest`` is the digest of the
    wrapped key material that travels to the vendors off-chain.
    """

    delivery_digest: int
    key_digest: int


@dataclass(frozen=True, slots=True)
class Dispute:
    """A refereed bisection game between the developer (claimant) and one vendor.

    Both sides committed to a transcript of ``steps`` digests (index ``i`` is the state after
    step ``i``; index 0 is the agreed initial state). The sides agree at ``low`` and disagree
    at ``high``; each round halves the interval until ``high == low + 1``. ``rounds`` counts
    the rounds played, ``answers`` those in which the respondent answered itself (a silent
    respondent's committed digest is opened for it at the deadline).
    """

    respondent: str
    claimant_transcript: tuple[int, ...]
    low: int
    high: int
    turn: Turn
    rounds: int = 0
    answers: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    """A conviction and the evidence it rests on, as named facts read from the state."""

    convicted: str
    offence: Offence
    evidence: tuple[tuple[str, object], ...]


@dataclass(frozen=True, slots=True)
class Job:
    """One training job: the unit counted as "one model".

    ``deposits`` records what each party has locked in the job's escrow; ``payouts`` is
    ``None`` until the escrow is paid out, then the list of credits, which always add up
    to the sum of the deposits. ``disputes`` lists the job's dispute: its resolution ends
    the job, so a job has at most one (decision 0031; before it, 0008 let the developer
    dispute one vendor after another).
    """

    ident: str
    developer: str
    model: str
    datasets: tuple[str, ...]
    vendors: tuple[str, ...]
    purpose: str
    steps: int
    window: int
    vendor_stake: Amount
    developer_bond: Amount
    owner_bond: Amount
    status: JobStatus
    deadline: int
    deposits: FrozenMap[str, Amount] = field(default_factory=FrozenMap)
    grants: FrozenMap[str, Grant] = field(default_factory=FrozenMap)
    accepted: frozenset[str] = frozenset()
    confirmed: frozenset[str] = frozenset()
    results: FrozenMap[str, tuple[int, ...]] = field(default_factory=FrozenMap)
    disputes: tuple[Dispute, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    payouts: tuple[tuple[str, Amount], ...] | None = None

    @property
    def dispute(self) -> Dispute | None:
        """The latest dispute: the one being played while the job is DISPUTED."""
        return self.disputes[-1] if self.disputes else None

    @property
    def open_dispute(self) -> Dispute:
        """The dispute being played: the latest of a job that is DISPUTED (or whose dispute
        was just resolved). Asking a job that never had one is an error."""
        if not self.disputes:
            raise ValueError(f"job {self.ident} has no dispute")
        return self.disputes[-1]

    @property
    def convicted_vendors(self) -> frozenset[str]:
        """Vendors of this job convicted so far."""
        return frozenset(verdict.convicted for verdict in self.verdicts
                         if verdict.convicted in self.vendors)


@dataclass(frozen=True, slots=True)
class Market:
    """The whole world of the protocol at one moment.

    ``minted`` is every token the treasury ever created; token conservation says the
    balances and escrows always add up to it. ``data_holders`` lists
    ``(job, dataset, holder)`` for every release of key material; ``model_holders`` lists
    ``(job, holder)`` for every delivery of a trained model; ``artefacts`` lists signed
    off-chain artefacts ``(kind, job, signer)`` that evidence may cite.
    """

    now: int
    dispute_cost: Amount
    audit_probability: Amount
    identities: FrozenMap[str, Identity]
    balances: FrozenMap[str, Amount]
    escrows: FrozenMap[str, Amount]
    minted: Amount
    datasets: FrozenMap[str, Dataset] = field(default_factory=FrozenMap)
    models: FrozenMap[str, Model] = field(default_factory=FrozenMap)
    offers: FrozenMap[str, Offer] = field(default_factory=FrozenMap)
    jobs: FrozenMap[str, Job] = field(default_factory=FrozenMap)
    data_holders: frozenset[tuple[str, str, str]] = frozenset()
    model_holders: frozenset[tuple[str, str]] = frozenset()
    artefacts: frozenset[tuple[str, str, str]] = frozenset()


def genesis(dispute_cost: Amount, audit_probability: Amount) -> Market:
    """The empty market: only the treasury exists, with no tokens anywhere."""
    treasury = Identity(TREASURY, Role.TREASURY, "treasury")
    return Market(
        now=0,
        dispute_cost=dispute_cost,
        audit_probability=audit_probability,
        identities=FrozenMap({TREASURY: treasury}),
        balances=FrozenMap({TREASURY: 0}),
        escrows=FrozenMap(),
        minted=0,
    )


def misuse_artefact(job: str, vendor: str) -> tuple[str, str, str]:
    """The signed artefact that using ``job``'s data outside its licence leaves behind
    (``misuse_data``), and that ``report_misuse`` must cite."""
    return ("misuse", job, vendor)


def is_terminal(job: Job) -> bool:
    """True once no action can move the job any more."""
    return job.status in TERMINAL_STATUSES
