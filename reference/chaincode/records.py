"""The marketplace's world-state schema: keys, and the documents stored under them.

Every value is canonical JSON (sorted keys, no whitespace, UTF-8, integers only — see
``reference/clients/crypto.py``), so every endorsing peer writes the same bytes. Amounts
are whole tokens (JSON integers). Digests are lowercase hex SHA-256.

==========================  ==========================================================
key                         value
==========================  ==========================================================
``market/config``           :class:`MarketConfig`: treasury name, stake rules document,
                            synthesised stake regions document (when recorded)
``identity/<name>``         :class:`IdentityRecord`: role, organisation, public key
``balance/<name>``          integer: the identity's free tokens
``minted/<name>``           integer: every token the treasury ever funded to ``<name>``
``dataset/<id>``            :class:`DatasetRecord`: owner, commitments, price, licence, uses
``model/<id>``              :class:`ModelRecord`: owner, recipe commitment
``offer/<vendor>``          :class:`OfferRecord`: fee, cost, capacity, active jobs, X25519 key
``job/<id>``                :class:`JobRecord`: terms, status, deadline, deposits, grants,
                            results, disputes, verdicts, payouts
``escrow/<job>``            integer: the tokens the job's escrow holds
``transcript/<job>/<v>``    :class:`TranscriptRecord`: every step digest vendor ``<v>``
                            committed to in ``<job>`` (written once, by ``submit_result``)
==========================  ==========================================================

Token conservation: the sum of every ``balance/*`` and ``escrow/*`` equals the sum of
every ``minted/*``. Grants, results, the disputes and the verdicts of a job live in its
``job/<id>`` document, so a move on a job reads and writes one document (moves on the same
job are serialised by MVCC; moves on different jobs never conflict).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
"""Names of identities, datasets, models and jobs: they become parts of keys."""

HEX_DIGEST = re.compile(r"[0-9a-f]{64}")

CONFIG_KEY = "market/config"


def identity_key(name: str) -> str:
    return f"identity/{name}"


def balance_key(name: str) -> str:
    return f"balance/{name}"


def minted_key(name: str) -> str:
    return f"minted/{name}"


def dataset_key(dataset: str) -> str:
    return f"dataset/{dataset}"


def model_key(model: str) -> str:
    return f"model/{model}"


def offer_key(vendor: str) -> str:
    return f"offer/{vendor}"


def job_key(job: str) -> str:
    return f"job/{job}"


def escrow_key(job: str) -> str:
    return f"escrow/{job}"


def transcript_key(job: str, vendor: str) -> str:
    return f"transcript/{job}/{vendor}"


def prefix_range(prefix: str) -> tuple[str, str]:
    """``(start, end)`` of a range read covering every key that starts with ``prefix``."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


ROLES = ("treasury", "data_owner", "developer", "vendor")
TREASURY_ROLE = "treasury"


class Status:
    """Job statuses (the protocol's names)."""

    REQUESTED = "REQUESTED"
    LICENSED = "LICENSED"
    RUNNING = "RUNNING"
    DELIVERED = "DELIVERED"
    DISPUTED = "DISPUTED"
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"
    RESOLVED = "RESOLVED"
    EXPIRED = "EXPIRED"

    TERMINAL = frozenset({SETTLED, CANCELLED, RESOLVED, EXPIRED})
    STAKED = frozenset({RUNNING, DELIVERED, DISPUTED})


class Offence:
    """What a convicted party did (the protocol's names)."""

    DEFECTIVE_INPUTS = "DEFECTIVE_INPUTS"
    FALSE_COMPLAINT = "FALSE_COMPLAINT"
    WRONG_COMPUTATION = "WRONG_COMPUTATION"
    FALSE_DISPUTE = "FALSE_DISPUTE"
    MISSED_DEADLINE = "MISSED_DEADLINE"
    DATA_MISUSE = "DATA_MISUSE"


class Turn:
    CLAIMANT = "claimant"
    RESPONDENT = "respondent"
    RESOLVE = "resolve"


@dataclass
class MarketConfig:
    """The market's genesis: the treasury, the stake rules (``params.json``) and the
    synthesised stake regions (``regions.json``; None when genesis recorded none, which
    enforces no region)."""

    treasury: str
    rules: dict[str, Any]
    regions: dict[str, Any] | None = None
    organisations: dict[str, list[str]] | None = None
    """Role -> the MSP ids whose certificates may register it (None: any organisation)."""

    def to_json_value(self) -> dict[str, Any]:
        value = {"treasury": self.treasury, "rules": self.rules}
        if self.regions is not None:
            value["regions"] = self.regions
        if self.organisations is not None:
            value["organisations"] = self.organisations
        return value

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> MarketConfig:
        return cls(value["treasury"], value["rules"], value.get("regions"),
                   value.get("organisations"))

    def organisations_for(self, role: str) -> list[str] | None:
        """The organisations that may hold ``role`` (None: any)."""
        if self.organisations is None:
            return None
        return self.organisations.get(role, [])


@dataclass
class IdentityRecord:
    name: str
    role: str
    organisation: str
    public_key: str  # hex of the 65-byte X9.62 P-256 point of the signing certificate

    def to_json_value(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "organisation": self.organisation,
                "public_key": self.public_key}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> IdentityRecord:
        return cls(value["name"], value["role"], value["organisation"], value["public_key"])


@dataclass
class Licence:
    purposes: list[str]
    expiry: int
    max_uses: int

    def to_json_value(self) -> dict[str, Any]:
        return {"purposes": sorted(self.purposes), "expiry": self.expiry,
                "max_uses": self.max_uses}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> Licence:
        return cls(list(value["purposes"]), value["expiry"], value["max_uses"])


@dataclass
class DatasetRecord:
    """A registered dataset.

    ``commitment`` is SHA-256 of the encrypted envelope (what is delivered and what input
    complaints compare against); ``train_rows_root`` is the Merkle root of the plaintext
    training rows and ``train_rows`` their number (what a dispute's batch is opened
    against); ``feature_count`` fixes the size of a row.
    """

    dataset: str
    owner: str
    commitment: str
    train_rows_root: str
    train_rows: int
    feature_count: int
    price: int
    misuse_value: int
    licence: Licence
    uses: int = 0

    def to_json_value(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "owner": self.owner, "commitment": self.commitment,
                "train_rows_root": self.train_rows_root, "train_rows": self.train_rows,
                "feature_count": self.feature_count, "price": self.price,
                "misuse_value": self.misuse_value, "licence": self.licence.to_json_value(),
                "uses": self.uses}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> DatasetRecord:
        return cls(value["dataset"], value["owner"], value["commitment"],
                   value["train_rows_root"], value["train_rows"], value["feature_count"],
                   value["price"], value["misuse_value"],
                   Licence.from_json_value(value["licence"]), value["uses"])


@dataclass
class ModelRecord:
    model: str
    owner: str
    commitment: str  # SHA-256 of the recipe's canonical JSON

    def to_json_value(self) -> dict[str, Any]:
        return {"model": self.model, "owner": self.owner, "commitment": self.commitment}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> ModelRecord:
        return cls(value["model"], value["owner"], value["commitment"])


@dataclass
class OfferRecord:
    vendor: str
    fee: int
    cost: int
    capacity: int
    exchange_public_key: str  # hex of the vendor's X25519 key; data keys are wrapped to it
    active_jobs: int = 0

    def to_json_value(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "fee": self.fee, "cost": self.cost,
                "capacity": self.capacity, "exchange_public_key": self.exchange_public_key,
                "active_jobs": self.active_jobs}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> OfferRecord:
        return cls(value["vendor"], value["fee"], value["cost"], value["capacity"],
                   value["exchange_public_key"], value["active_jobs"])


@dataclass
class GrantRecord:
    """A data owner's licence for one job.

    ``delivery_digest`` is SHA-256 of the envelope the owner delivers; ``receipts`` holds,
    per vendor, the owner's ECDSA signature over the canonical delivery receipt
    ``{"ciphertext_digest", "dataset_id", "job_id", "recipient_id", "type"}``;
    ``key_digests`` holds, per vendor, SHA-256 of the data key wrapped to that vendor.
    """

    delivery_digest: str
    key_digests: dict[str, str]
    receipts: dict[str, str]

    def to_json_value(self) -> dict[str, Any]:
        return {"delivery_digest": self.delivery_digest, "key_digests": self.key_digests,
                "receipts": self.receipts}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> GrantRecord:
        return cls(value["delivery_digest"], dict(value["key_digests"]), dict(value["receipts"]))


@dataclass
class ResultRecord:
    """A vendor's committed result: transcript root over ``steps`` step digests, and the
    final digest (the trained model's state digest), proved as the root's last leaf."""

    transcript_root: str
    steps: int
    final_digest: str

    def to_json_value(self) -> dict[str, Any]:
        return {"transcript_root": self.transcript_root, "steps": self.steps,
                "final_digest": self.final_digest}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> ResultRecord:
        return cls(value["transcript_root"], value["steps"], value["final_digest"])


@dataclass
class TranscriptRecord:
    """Every step digest a vendor committed to: the leaves of its transcript root, published
    with ``submit_result`` so that anyone (the chaincode's ``timeout`` included) can open
    the vendor's committed digest at any step without the vendor."""

    job: str
    vendor: str
    transcript_root: str
    step_digests: list[str]
    record_digests: list[str] | None = None
    """A secret-shared job's vendor also commits the digest of its record of every step
    (``convict_shared_step`` opens them); None when it committed none."""

    def digest_after(self, position: int) -> str:
        """The committed digest of the state after ``position`` steps (1-based)."""
        return self.step_digests[position - 1]

    def to_json_value(self) -> dict[str, Any]:
        value = {"job": self.job, "vendor": self.vendor, "transcript_root": self.transcript_root,
                 "step_digests": self.step_digests}
        if self.record_digests is not None:
            value["record_digests"] = self.record_digests
        return value

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> TranscriptRecord:
        records = value.get("record_digests")
        return cls(value["job"], value["vendor"], value["transcript_root"],
                   list(value["step_digests"]), None if records is None else list(records))


@dataclass
class DisputeRecord:
    """The bisection game between the developer (claimant) and one vendor (respondent).

    Positions count states: position ``i`` is the state after ``i`` training steps, 0 the
    initial state fixed by the recipe. The sides agree at ``low`` and disagree at ``high``.
    ``low_digest`` is the agreed digest at ``low`` (None while ``low`` is 0: the recipe's
    initial state); ``high_claimant_digest`` / ``high_respondent_digest`` are both sides'
    opened digests at ``high``; ``query_digest`` is the claimant's digest at the current
    midpoint once ``bisect_query`` opened it. ``rounds`` counts the rounds played,
    ``answers`` those the respondent answered itself (at the deadline of its turn
    ``timeout`` opens its committed digest for it: a round, not an answer).
    """

    respondent: str
    claimant_root: str
    claimant_final: str
    low: int
    high: int
    turn: str
    rounds: int = 0
    answers: int = 0
    low_digest: str | None = None
    high_claimant_digest: str = ""
    high_respondent_digest: str = ""
    query_digest: str | None = None

    @property
    def midpoint(self) -> int:
        return (self.low + self.high) // 2

    def to_json_value(self) -> dict[str, Any]:
        return {"respondent": self.respondent, "claimant_root": self.claimant_root,
                "claimant_final": self.claimant_final, "low": self.low, "high": self.high,
                "turn": self.turn, "rounds": self.rounds, "answers": self.answers,
                "low_digest": self.low_digest,
                "high_claimant_digest": self.high_claimant_digest,
                "high_respondent_digest": self.high_respondent_digest,
                "query_digest": self.query_digest}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> DisputeRecord:
        return cls(value["respondent"], value["claimant_root"], value["claimant_final"],
                   value["low"], value["high"], value["turn"], value["rounds"],
                   value["answers"], value["low_digest"], value["high_claimant_digest"],
                   value["high_respondent_digest"], value["query_digest"])


@dataclass
class VerdictRecord:
    """A conviction and the named evidence it rests on (all of it on the ledger)."""

    convicted: str
    offence: str
    evidence: dict[str, Any]

    def to_json_value(self) -> dict[str, Any]:
        return {"convicted": self.convicted, "offence": self.offence, "evidence": self.evidence}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> VerdictRecord:
        return cls(value["convicted"], value["offence"], dict(value["evidence"]))


@dataclass
class JobRecord:
    """One training job. ``owners``, ``prices``, ``misuse_values`` and ``fees`` are the
    catalogue's values when the job was requested (they never change afterwards), kept so
    that settling a job reads only the job; ``misuse_compensations`` is, per dataset, what
    a misuse conviction pays its owner: the misuse value divided by the market's audit
    probability (a whole number: see ``misuse_compensation`` in :mod:`.rules`). ``deposits`` records what each party locked;
    ``payouts`` is None until the escrow is paid out, then the list of credits.

    ``disputes`` lists the job's dispute: its resolution ends the job (one re-execution
    per job, spec decision 0031). ``model_delivered`` is set when the job ends after
    delivery with no vendor convicted: the vendors then hand the trained model to the
    developer.
    """

    job_id: str
    developer: str
    model: str
    datasets: list[str]
    vendors: list[str]
    purpose: str
    steps: int
    window: int
    vendor_stake: int
    developer_bond: int
    owner_bond: int
    owners: dict[str, str]
    prices: dict[str, int]
    misuse_values: dict[str, int]
    misuse_compensations: dict[str, int]
    fees: dict[str, int]
    dispute_cost: int
    status: str
    deadline: int
    deposits: dict[str, int] = field(default_factory=dict)
    grants: dict[str, GrantRecord] = field(default_factory=dict)
    accepted_by: list[str] = field(default_factory=list)
    """The vendors that have taken the job on (``accept_job``), in order."""
    confirmed: list[str] = field(default_factory=list)
    results: dict[str, ResultRecord] = field(default_factory=dict)
    disputes: list[DisputeRecord] = field(default_factory=list)
    verdicts: list[VerdictRecord] = field(default_factory=list)
    payouts: list[list[Any]] | None = None
    model_delivered: bool = False

    def to_json_value(self) -> dict[str, Any]:
        return {
            "job": self.job_id, "developer": self.developer, "model": self.model,
            "datasets": self.datasets, "vendors": self.vendors, "purpose": self.purpose,
            "steps": self.steps, "window": self.window, "vendor_stake": self.vendor_stake,
            "developer_bond": self.developer_bond, "owner_bond": self.owner_bond,
            "owners": self.owners, "prices": self.prices, "misuse_values": self.misuse_values,
            "misuse_compensations": self.misuse_compensations, "fees": self.fees,
            "dispute_cost": self.dispute_cost, "status": self.status, "deadline": self.deadline,
            "deposits": self.deposits,
            "grants": {name: grant.to_json_value() for name, grant in self.grants.items()},
            "accepted": self.accepted_by, "confirmed": self.confirmed,
            "results": {name: result.to_json_value() for name, result in self.results.items()},
            "disputes": [dispute.to_json_value() for dispute in self.disputes],
            "verdicts": [verdict.to_json_value() for verdict in self.verdicts],
            "payouts": self.payouts, "model_delivered": self.model_delivered,
        }

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> JobRecord:
        return cls(
            job_id=value["job"], developer=value["developer"], model=value["model"],
            datasets=list(value["datasets"]), vendors=list(value["vendors"]),
            purpose=value["purpose"], steps=value["steps"], window=value["window"],
            vendor_stake=value["vendor_stake"], developer_bond=value["developer_bond"],
            owner_bond=value["owner_bond"], owners=dict(value["owners"]),
            prices=dict(value["prices"]), misuse_values=dict(value["misuse_values"]),
            misuse_compensations=dict(value["misuse_compensations"]),
            fees=dict(value["fees"]), dispute_cost=value["dispute_cost"],
            status=value["status"], deadline=value["deadline"],
            deposits=dict(value["deposits"]),
            grants={name: GrantRecord.from_json_value(grant)
                    for name, grant in value["grants"].items()},
            accepted_by=list(value["accepted"]), confirmed=list(value["confirmed"]),
            results={name: ResultRecord.from_json_value(result)
                     for name, result in value["results"].items()},
            disputes=[DisputeRecord.from_json_value(dispute) for dispute in value["disputes"]],
            verdicts=[VerdictRecord.from_json_value(verdict) for verdict in value["verdicts"]],
            payouts=value["payouts"], model_delivered=value["model_delivered"],
        )

    @property
    def dispute(self) -> DisputeRecord | None:
        """The latest dispute: the one being played while the job is DISPUTED."""
        return self.disputes[-1] if self.disputes else None

    @property
    def convicted_vendors(self) -> set[str]:
        """The vendors of this job convicted so far."""
        return {verdict.convicted for verdict in self.verdicts if verdict.convicted in self.vendors}

    @property
    def price_total(self) -> int:
        return sum(self.prices[dataset] for dataset in self.datasets)

    @property
    def fee_total(self) -> int:
        return sum(self.fees[vendor] for vendor in self.vendors)

    @property
    def developer_deposit(self) -> int:
        """What the developer locks at request: every price, every fee and its bond."""
        return self.price_total + self.fee_total + self.developer_bond
