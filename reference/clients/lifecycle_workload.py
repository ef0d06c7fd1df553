"""The marketplace lifecycle as a workload: the transactions one trained model needs.

One *model* is one honest training job from request to settlement on the marketplace
chaincode — ``request_training``, ``grant_access``, ``accept_job``, ``confirm_inputs``,
``submit_result``, ``accept_result`` (one dataset, one vendor) — each endorsed, ordered,
validated and committed; each step can only follow once the previous one has committed.

A *party* is the owner, developer and vendor of one job at a time (their keys and
registrations are set up once, untimed); a party runs one model after another, so a
workload of ``parties`` parties has at most that many models in flight, which never
conflict with each other (their keys are disjoint).

What is precomputed, not part of the workload: the honest training run (its transcript is
what every vendor submits), and each owner's off-chain cryptography (dataset encryption,
key wrapping, the delivery receipt). ``Submit`` is how the workload reaches a network: a
function that submits one call as ``identity`` and returns whether it committed VALID.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reference.chaincode.evidence import delivery_receipt
from reference.chaincode.rules import least_stakes, load_params_document, load_rules
from reference.clients.crypto import (
    decode_exchange_public_key,
    encode_exchange_public_key,
    encrypt_dataset,
    generate_data_key,
    generate_exchange_key,
    wrap_data_key,
)
from reference.clients.datasets import train_rows_root
from reference.ledger.identity import Identity
from reference.training import make_recipe, prepare_breast_cancer, run_training

ORGANISATIONS = ["MarketOrg", "OwnersOrg", "DevelopersOrg", "VendorsOrg"]
TRANSACTIONS_PER_MODEL = 6
PRICE, MISUSE_VALUE, FEE, COST = 100, 60, 40, 15
ROLES = (("OwnersOrg", "owner", "data_owner"), ("DevelopersOrg", "dev", "developer"),
         ("VendorsOrg", "vendor", "vendor"))

Call = tuple[Identity, str, dict[str, Any]]
Submit = Callable[[Identity, str, dict[str, Any]], bool]
Enroll = Callable[[str, str, str], Identity]


def party_enrolments(parties: int) -> list[tuple[str, str, str]]:
    """``(organisation, name, role)`` of every identity a workload of ``parties`` uses."""
    enrolments = [("MarketOrg", "treasury", "treasury")]
    for index in range(parties):
        enrolments += [(org, f"{prefix}{index}", role) for org, prefix, role in ROLES]
    return enrolments


@dataclass
class Party:
    index: int
    owner: Identity
    developer: Identity
    vendor: Identity
    exchange_key: Any
    data_key: bytes
    commitment: str = ""


class LifecycleWorkload:
    """Setup phases and the six steps of each model, for ``parties`` parties that each run
    up to ``models_per_party`` models."""

    def __init__(self, admin: Identity, treasury: Identity, enroll: Enroll, parties: int,
                 models_per_party: int) -> None:
        self.admin, self.treasury = admin, treasury
        self.models_per_party = models_per_party
        self.prepared = prepare_breast_cancer()
        self.recipe = make_recipe()
        transcript = run_training(self.recipe, self.prepared).transcript
        self.steps = transcript.step_count
        self.result = {"transcript_root": transcript.root.hex(), "steps": self.steps,
                       "final_digest": transcript.step_digests[-1].hex(),
                       "final_proof": transcript.inclusion_proof(self.steps - 1).to_json_value(),
                       "step_digests": [digest.hex() for digest in transcript.step_digests]}
        vendor_stake, developer_bond, owner_bond = least_stakes(
            load_rules(), [PRICE], [FEE], [COST], [MISUSE_VALUE], self.steps)
        self.stakes = {"vendor_stake": vendor_stake, "developer_bond": developer_bond,
                       "owner_bond": owner_bond}
        self.parties = []
        for index in range(parties):
            owner, developer, vendor = (enroll(org, f"{prefix}{index}", role) for org, prefix, role in ROLES)
            self.parties.append(Party(index, owner, developer, vendor,
                                      generate_exchange_key(), generate_data_key()))

    def setup_phases(self, now: int) -> list[list[Call]]:
        """The calls that set the market and the parties up, phase by phase (each phase's
        calls are independent of each other and need the previous phases committed)."""
        phases: list[list[Call]] = [[(self.admin, "init_market", {
            "treasury": {"name": self.treasury.name, "organisation": self.treasury.org,
                         "public_key": self.treasury.certificate.public_key.hex()},
            "rules": load_params_document()})]]
        phases.append([(identity, "register_identity", {"role": role})
                       for party in self.parties
                       for identity, role in ((party.owner, "data_owner"),
                                              (party.developer, "developer"),
                                              (party.vendor, "vendor"))])
        deposit = (PRICE + FEE + self.stakes["developer_bond"]) * self.models_per_party
        phases.append([(self.treasury, "fund", {"recipient": name, "amount": amount})
                       for party in self.parties
                       for name, amount in ((party.owner.name, self.stakes["owner_bond"]),
                                            (party.developer.name, deposit),
                                            (party.vendor.name, self.stakes["vendor_stake"]))])
        plaintext = self.prepared.canonical_bytes()
        rows_root = train_rows_root(self.prepared)
        registrations: list[Call] = []
        for party in self.parties:
            dataset = f"data{party.index}"
            party.commitment = encrypt_dataset(plaintext, party.data_key, dataset).commitment()
            registrations += [
                (party.owner, "register_dataset", {
                    "dataset": dataset, "commitment": party.commitment,
                    "train_rows_root": rows_root, "train_rows": self.prepared.train_row_count,
                    "feature_count": self.prepared.feature_count, "price": PRICE,
                    "misuse_value": MISUSE_VALUE, "purposes": ["training"],
                    "expiry": now + 10**6, "max_uses": self.models_per_party}),
                (party.developer, "register_model", {
                    "model": f"model{party.index}",
                    "commitment": self.recipe.commitment().hex()}),
                (party.vendor, "register_vendor", {
                    "fee": FEE, "cost": COST, "capacity": 1,
                    "exchange_public_key": encode_exchange_public_key(
                        party.exchange_key.public_key()).hex()})]
        phases.append(registrations)
        return phases

    def model_steps(self, party: Party, job: str) -> list[Call]:
        """The six calls of one model, in order (the owner's off-chain work done here)."""
        dataset = f"data{party.index}"
        vendor_key = decode_exchange_public_key(encode_exchange_public_key(
            party.exchange_key.public_key()))
        wrapped = wrap_data_key(party.data_key, vendor_key, job_id=job, dataset_id=dataset,
                                recipient_id=party.vendor.name)
        receipt = delivery_receipt(job, dataset, party.commitment, party.vendor.name)
        grant = {"job": job, "dataset": dataset, "delivery_digest": party.commitment,
                 "key_digests": {party.vendor.name: wrapped.digest()},
                 "receipts": {party.vendor.name:
                              party.owner.sign(receipt.canonical_bytes()).hex()}}
        return [
            (party.developer, "request_training", {
                "job": job, "model": f"model{party.index}", "datasets": [dataset],
                "vendors": [party.vendor.name], "purpose": "training", "steps": self.steps,
                "window": 3600, **self.stakes}),
            (party.owner, "grant_access", grant),
            (party.vendor, "accept_job", {"job": job}),
            (party.vendor, "confirm_inputs", {"job": job}),
            (party.vendor, "submit_result", {"job": job, **self.result}),
            (party.developer, "accept_result", {"job": job}),
        ]


@dataclass
class ModelRun:
    """One model's run: when each step was sent and finished, and whether all committed."""

    started: float
    step_times: list[tuple[float, float, bool]]

    @property
    def completed(self) -> bool:
        return (len(self.step_times) == TRANSACTIONS_PER_MODEL
                and all(ok for _, _, ok in self.step_times))

    @property
    def finished(self) -> float:
        return self.step_times[-1][1] if self.step_times else self.started


def run_model(steps: Sequence[Call], submit: Submit) -> ModelRun:
    """Submit the steps one after the other, each once the previous one committed VALID;
    stops at the first that does not."""
    run = ModelRun(time.monotonic(), [])
    for identity, function, args in steps:
        sent = time.monotonic()
        try:
            ok = submit(identity, function, args)
        except Exception:  # noqa: BLE001 - an RPC or endorsement failure counts as failed
            ok = False
        run.step_times.append((sent, time.monotonic(), ok))
        if not ok:
            break
    return run
