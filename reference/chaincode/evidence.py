"""Evidence the chaincode checks: signed delivery receipts, Merkle openings of transcript
digests, the one-step re-execution of a dispute, and signed misuse artefacts.

Formats (all signed or hashed bytes are canonical JSON, see ``reference/clients/crypto.py``):

* **delivery receipt** — ``{"ciphertext_digest", "dataset_id", "job_id", "recipient_id",
  "type": "aimarket/delivery-receipt/v1"}`` signed (ECDSA P-256, SHA-256, low-S DER) with
  the data owner's registered identity key; one per vendor of the job.
* **transcript opening** — a step digest (hex) and a Merkle inclusion proof
  ``{"index", "leaf_count", "siblings": [hex...]}`` against a committed transcript root
  (RFC 6962 tree over the 32-byte step digests; leaf ``k`` is the state after step ``k+1``).
  A vendor's result also publishes every leaf (``step_digests``), checked against its root.
* **step evidence** — the recipe (JSON, must hash to the model commitment), the pre-state
  ``{"bias", "step", "weights"}`` (its digest must be the agreed digest), and the batch:
  one ``{"dataset", "index", "row": hex, "proof"}`` per row of the recipe's batch schedule,
  each row proved against its dataset's registered training-row root.
* **misuse artefact** — ``{"statement": {"type": "aimarket/data-use/v1", "job_id",
  "dataset_id", "vendor_id", "purpose"}, "signature": hex}``: the vendor's signed statement
  that it used a dataset of the job for a purpose the dataset's licence does not allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.clients.crypto import (
    DeliveryReceipt,
    canonical_json,
    decode_verifying_key,
    verify_canonical,
    verify_receipt,
)
from reference.training.dataset import Batch
from reference.training.merkle import MerkleProof, merkle_root, verify_inclusion
from reference.training.recipe import ModelRecipe
from reference.training.step import StepInputError, TrainingState, initial_state
from reference.training.transcript import resolve_step, verify_step_digest

MISUSE_STATEMENT_TYPE = "aimarket/data-use/v1"
ROW_FIELD_BYTES = 8


class EvidenceError(ValueError):
    """An opening that does not match what it claims to open."""


def public_key_from_hex(public_key_hex: str):
    try:
        return decode_verifying_key(bytes.fromhex(public_key_hex))
    except ValueError:
        return None


# --------------------------------------------------------------------------- receipts

def delivery_receipt(job: str, dataset: str, delivery_digest: str, vendor: str) -> DeliveryReceipt:
    return DeliveryReceipt(job_id=job, dataset_id=dataset, ciphertext_digest=delivery_digest,
                           recipient_id=vendor)


def receipt_is_signed(owner_public_key_hex: str, job: str, dataset: str, delivery_digest: str,
                      vendor: str, signature: bytes) -> bool:
    """True when ``signature`` is the owner's signature of the delivery receipt."""
    public_key = public_key_from_hex(owner_public_key_hex)
    if public_key is None:
        return False
    receipt = delivery_receipt(job, dataset, delivery_digest, vendor)
    return verify_receipt(public_key, receipt, signature)


# --------------------------------------------------------------------------- transcripts

def parse_proof(value: Any) -> MerkleProof:
    if not isinstance(value, dict) or set(value) != {"index", "leaf_count", "siblings"}:
        raise EvidenceError("a proof must be an object with index, leaf_count, siblings")
    if not isinstance(value["siblings"], list) or len(value["siblings"]) > 64:
        raise EvidenceError("proof.siblings: must be a list of at most 64 hex digests")
    for sibling in value["siblings"]:
        if not isinstance(sibling, str) or len(sibling) != 64:
            raise EvidenceError("proof.siblings: each must be 64 hex characters")
    try:
        return MerkleProof.from_json_value(value)
    except ValueError as error:
        raise EvidenceError(f"proof: {error}") from None


def transcript_root_of(step_digests: Sequence[str]) -> str:
    """The transcript root (hex) whose leaves are ``step_digests`` (hex), in order."""
    return merkle_root([bytes.fromhex(digest) for digest in step_digests]).hex()


def opens_step_digest(root_hex: str, steps: int, position: int, digest_hex: str,
                      proof_value: Any) -> bool:
    """True when ``proof_value`` opens ``digest_hex`` as the state after ``position`` steps
    (leaf ``position - 1``) of a ``steps``-step transcript with root ``root_hex``."""
    try:
        proof = parse_proof(proof_value)
    except EvidenceError:
        return False
    if not 1 <= position <= steps:
        return False
    return verify_step_digest(bytes.fromhex(root_hex), steps, position - 1,
                              bytes.fromhex(digest_hex), proof)


# --------------------------------------------------------------------------- one step

@dataclass(frozen=True)
class DatasetRows:
    """What the ledger says about one dataset's training rows."""

    dataset: str
    train_rows_root: str
    train_rows: int
    feature_count: int


@dataclass(frozen=True)
class StepOutcome:
    """The re-execution of one disputed step."""

    step_index: int
    pre_state_digest: str
    recomputed_digest: str | None  # None: the honest step itself leaves the parameter range
    batch_rows: int


def parse_recipe(value: Any, model_commitment: str) -> ModelRecipe:
    if not isinstance(value, dict):
        raise EvidenceError("recipe: must be a JSON object")
    try:
        recipe = ModelRecipe.from_json_value(value)
    except (ValueError, TypeError) as error:
        raise EvidenceError(f"recipe: {error}") from None
    if recipe.commitment().hex() != model_commitment:
        raise EvidenceError("recipe: does not hash to the model's registered commitment")
    return recipe


def parse_state(value: Any) -> TrainingState:
    if not isinstance(value, dict):
        raise EvidenceError("pre_state: must be a JSON object")
    try:
        return TrainingState.from_json_value(value)
    except (ValueError, TypeError) as error:
        raise EvidenceError(f"pre_state: {error}") from None


def row_locations(datasets: Sequence[DatasetRows], union_indices: Sequence[int]) -> list[tuple[str, int]]:
    """Where each row of the job's training set lives: the job's datasets' training rows,
    concatenated in the job's order, index ``u`` -> ``(dataset, row within it)``."""
    locations = []
    for union_index in union_indices:
        offset = union_index
        for rows in datasets:
            if offset < rows.train_rows:
                locations.append((rows.dataset, offset))
                break
            offset -= rows.train_rows
        else:
            raise EvidenceError(f"row {union_index} lies beyond the job's training rows")
    return locations


def decode_row(row: bytes, feature_count: int) -> tuple[list[int], int]:
    if len(row) != ROW_FIELD_BYTES * (feature_count + 1):
        raise EvidenceError(f"a row must be {ROW_FIELD_BYTES * (feature_count + 1)} bytes")
    numbers = np.frombuffer(row, dtype="<i8")
    return [int(value) for value in numbers[:-1]], int(numbers[-1])


def open_batch(recipe: ModelRecipe, datasets: Sequence[DatasetRows], step_index: int,
               rows_value: Any) -> Batch:
    """The batch of step ``step_index``, every row proved against its dataset's row root
    and in the position the recipe's public batch schedule gives it."""
    feature_counts = {rows.feature_count for rows in datasets}
    if feature_counts != {recipe.feature_count}:
        raise EvidenceError("the recipe's feature count does not match the job's datasets")
    total_rows = sum(rows.train_rows for rows in datasets)
    try:
        union_indices = recipe.batch_row_indices(total_rows, step_index)
    except ValueError as error:
        raise EvidenceError(f"batch schedule: {error}") from None
    expected = row_locations(datasets, union_indices)
    if not isinstance(rows_value, list) or len(rows_value) != len(expected):
        raise EvidenceError(f"batch: must list exactly the {len(expected)} rows of step "
                            f"{step_index}")
    by_name = {rows.dataset: rows for rows in datasets}
    features, labels = [], []
    for position, (item, (dataset, row_index)) in enumerate(zip(rows_value, expected)):
        where = f"batch[{position}]"
        if not isinstance(item, dict) or set(item) != {"dataset", "index", "row", "proof"}:
            raise EvidenceError(f"{where}: must be an object with dataset, index, row, proof")
        if item["dataset"] != dataset or item["index"] != row_index:
            raise EvidenceError(f"{where}: the schedule wants row {row_index} of {dataset}")
        if not isinstance(item["row"], str):
            raise EvidenceError(f"{where}.row: must be hex")
        try:
            row = bytes.fromhex(item["row"])
        except ValueError:
            raise EvidenceError(f"{where}.row: must be hex") from None
        proof = parse_proof(item["proof"])
        rows = by_name[dataset]
        if proof.index != row_index or proof.leaf_count != rows.train_rows:
            raise EvidenceError(f"{where}.proof: wrong position or tree size")
        if not verify_inclusion(bytes.fromhex(rows.train_rows_root), row, proof):
            raise EvidenceError(f"{where}: not the committed row {row_index} of {dataset}")
        row_features, label = decode_row(row, rows.feature_count)
        features.append(row_features)
        labels.append(label)
    return Batch(row_indices=tuple(union_indices),
                 features=np.array(features, dtype=np.int64).reshape(len(labels), -1),
                 labels=np.array(labels, dtype=np.int64))


def re_execute_step(recipe_value: Any, model_commitment: str, pre_state_value: Any,
                    agreed_digest: str | None, step_index: int,
                    datasets: Sequence[DatasetRows], rows_value: Any,
                    claimed_digest: str) -> StepOutcome:
    """Check every opening, then re-execute step ``step_index`` (0-based) once.

    ``agreed_digest`` is the digest both sides agreed on before the step; None means the
    step is the first one and the agreed state is the recipe's initial state.
    """
    recipe = parse_recipe(recipe_value, model_commitment)
    pre_state = parse_state(pre_state_value)
    expected_pre = (initial_state(recipe).digest().hex() if agreed_digest is None
                    else agreed_digest)
    if pre_state.digest().hex() != expected_pre:
        raise EvidenceError("pre_state: its digest is not the agreed digest before the step")
    if pre_state.step != step_index:
        raise EvidenceError(f"pre_state: is at step {pre_state.step}, not {step_index}")
    batch = open_batch(recipe, datasets, step_index, rows_value)
    try:
        verdict = resolve_step(recipe, pre_state, step_index, batch, bytes.fromhex(claimed_digest))
    except StepInputError as error:
        raise EvidenceError(f"step inputs: {error}") from None
    recomputed = (None if verdict.recomputed_post_digest is None
                  else verdict.recomputed_post_digest.hex())
    return StepOutcome(step_index, expected_pre, recomputed, len(batch.row_indices))


# --------------------------------------------------------------------------- misuse

def misuse_statement(job: str, dataset: str, vendor: str, purpose: str) -> dict[str, str]:
    return {"type": MISUSE_STATEMENT_TYPE, "job_id": job, "dataset_id": dataset,
            "vendor_id": vendor, "purpose": purpose}


def misuse_is_proved(artefact: Any, job: str, vendor: str, vendor_public_key_hex: str,
                     licensed_purposes: dict[str, list[str]]) -> tuple[bool, str]:
    """``(proved, why)``: whether ``artefact`` is the vendor's signed statement that it used
    a dataset of this job for a purpose outside that dataset's licence."""
    if not isinstance(artefact, dict) or set(artefact) != {"statement", "signature"}:
        return False, "no artefact with a statement and a signature"
    statement, signature_hex = artefact["statement"], artefact["signature"]
    fields = {"type", "job_id", "dataset_id", "vendor_id", "purpose"}
    if not isinstance(statement, dict) or set(statement) != fields:
        return False, "the statement must have exactly " + ", ".join(sorted(fields))
    if not all(isinstance(statement[name], str) for name in fields):
        return False, "the statement's fields must be strings"
    if statement["type"] != MISUSE_STATEMENT_TYPE:
        return False, f"the statement is not a {MISUSE_STATEMENT_TYPE} statement"
    if statement["job_id"] != job or statement["vendor_id"] != vendor:
        return False, "the statement names another job or vendor"
    if statement["dataset_id"] not in licensed_purposes:
        return False, "the statement names a dataset outside the job"
    if statement["purpose"] in licensed_purposes[statement["dataset_id"]]:
        return False, "the stated use is allowed by the dataset's licence"
    public_key = public_key_from_hex(vendor_public_key_hex)
    if not isinstance(signature_hex, str) or public_key is None:
        return False, "no verifiable signature"
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False, "the signature is not hex"
    if not verify_canonical(public_key, statement, signature):
        return False, "the signature is not the vendor's"
    return True, "signed by the vendor: " + canonical_json(statement).decode()
