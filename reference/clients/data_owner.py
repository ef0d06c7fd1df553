"""The data owner's client: encrypt and commit a dataset, license it per job, deliver it.

* **register** — a fresh AES-256-GCM data key encrypts the dataset's canonical bytes; the
  ledger gets SHA-256 of the encrypted envelope (the commitment) and the Merkle root of
  the plaintext training rows (what a dispute's batch is opened against). The plaintext
  and the key never leave the owner.
* **grant** — for each vendor of the job, the data key is wrapped to the vendor's
  registered X25519 key (X25519 + HKDF, bound to job, dataset and vendor) and a delivery
  receipt over SHA-256 of the delivered envelope is signed with the owner's identity key;
  ``grant_access`` records the digests and receipts.
* **deliver** — once every vendor has staked (the job is RUNNING), the envelope and the
  wrapped key go to each vendor of the job, and to nobody else.

``defective=True`` makes the owner deliver an envelope other than the committed one (a
re-encryption with a fresh nonce), declared honestly in its signed receipt — the input
complaint then convicts the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference.chaincode.evidence import delivery_receipt
from reference.chaincode.records import JobRecord, Status
from reference.clients.crypto import (
    EncryptedDataset,
    decode_exchange_public_key,
    encrypt_dataset,
    envelope_commitment,
    generate_data_key,
    wrap_data_key,
)
from reference.clients.datasets import train_rows_root
from reference.clients.gateway import NetworkGateway, MemoryGateway, Outcome
from reference.training.dataset import PreparedDataset


@dataclass(frozen=True)
class Delivery:
    """What a vendor receives off-chain for one dataset of one job."""

    job: str
    dataset: str
    envelope: bytes
    wrapped_key: bytes


@dataclass
class OwnedDataset:
    dataset_id: str
    plaintext: PreparedDataset
    data_key: bytes
    encrypted: EncryptedDataset


class DataOwner:
    def __init__(self, gateway: NetworkGateway | MemoryGateway):
        self.gateway = gateway
        self.name = gateway.name
        self.datasets: dict[str, OwnedDataset] = {}
        self.deliveries: dict[tuple[str, str, str], Delivery] = {}
        self.defective_datasets: set[str] = set()

    def register_identity(self) -> Outcome:
        return self.gateway.submit("register_identity", {"role": "data_owner",
                                                         "organisation": self.gateway.organisation})

    def register_dataset(self, dataset_id: str, plaintext: PreparedDataset, *, price: int,
                         misuse_value: int, purposes: list[str], expiry: int,
                         max_uses: int) -> Outcome:
        data_key = generate_data_key()
        encrypted = encrypt_dataset(plaintext.canonical_bytes(), data_key, dataset_id)
        self.datasets[dataset_id] = OwnedDataset(dataset_id, plaintext, data_key, encrypted)
        return self.gateway.submit("register_dataset", {
            "dataset": dataset_id, "commitment": encrypted.commitment(),
            "train_rows_root": train_rows_root(plaintext),
            "train_rows": plaintext.train_row_count, "feature_count": plaintext.feature_count,
            "price": price, "misuse_value": misuse_value, "purposes": purposes,
            "expiry": expiry, "max_uses": max_uses})

    def job(self, job_id: str) -> JobRecord:
        return JobRecord.from_json_value(self.gateway.read(f"job/{job_id}"))

    def grant_arguments(self, job: JobRecord, dataset_id: str) -> dict[str, Any]:
        """Wrap the data key to each vendor, sign the receipts; keep the deliveries ready."""
        owned = self.datasets[dataset_id]
        envelope = owned.encrypted.envelope()
        if dataset_id in self.defective_datasets:
            envelope = encrypt_dataset(owned.plaintext.canonical_bytes(), owned.data_key,
                                       dataset_id).envelope()
        delivery_digest = envelope_commitment(envelope)
        key_digests, receipts = {}, {}
        for vendor in job.vendors:
            offer = self.gateway.read(f"offer/{vendor}")
            exchange_key = decode_exchange_public_key(bytes.fromhex(offer["exchange_public_key"]))
            wrapped = wrap_data_key(owned.data_key, exchange_key, job_id=job.job_id,
                                    dataset_id=dataset_id, recipient_id=vendor)
            key_digests[vendor] = wrapped.digest()
            receipt = delivery_receipt(job.job_id, dataset_id, delivery_digest, vendor)
            receipts[vendor] = self.gateway.sign(receipt.canonical_bytes()).hex()
            self.deliveries[(job.job_id, dataset_id, vendor)] = Delivery(
                job.job_id, dataset_id, envelope, wrapped.to_bytes())
        return {"job": job.job_id, "dataset": dataset_id, "delivery_digest": delivery_digest,
                "key_digests": key_digests, "receipts": receipts}

    def grant(self, job_id: str, dataset_id: str) -> Outcome:
        return self.gateway.submit("grant_access", self.grant_arguments(self.job(job_id), dataset_id))

    def deny(self, job_id: str, dataset_id: str) -> Outcome:
        return self.gateway.submit("deny_access", {"job": job_id, "dataset": dataset_id})

    def deliver(self, job_id: str, dataset_id: str, vendor: str) -> Delivery:
        """Hand the envelope and the wrapped key to a staked vendor of the job."""
        job = self.job(job_id)
        if vendor not in job.vendors or job.status not in Status.STAKED:
            raise PermissionError(f"{vendor} is not a staked vendor of {job_id} "
                                  f"(job is {job.status})")
        return self.deliveries[(job_id, dataset_id, vendor)]

    def report_misuse(self, job_id: str, vendor: str, artefact: dict[str, Any] | None) -> Outcome:
        return self.gateway.submit("report_misuse", {"job": job_id, "vendor": vendor,
                                                     "artefact": artefact})
