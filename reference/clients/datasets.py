"""Datasets as the actors handle them: owners' parts, their bytes, and a job's training set.

Each data owner holds a *part* of a prepared data set (a contiguous slice of its training
rows and of its test rows). The bytes an owner encrypts are the part's canonical bytes
(``PreparedDataset.canonical_bytes``); a vendor that decrypts them parses them back with
:func:`parse_dataset_bytes`. A job trains on the training rows of its datasets
concatenated in the job's order (:func:`job_training_set`) — the same order the chaincode
uses to locate a disputed batch's rows.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence

import numpy as np

from reference.training.dataset import DATASET_FORMAT, PreparedDataset
from reference.training.fixed_point import FRACTION_BITS
from reference.training.merkle import MerkleProof, inclusion_proof, merkle_root

ROW_FIELD_BYTES = 8


def split_into_parts(dataset: PreparedDataset, parts: int) -> list[PreparedDataset]:
    """``parts`` owners' shares: contiguous, near-equal slices of the training rows and of
    the test rows. Concatenating the parts' training rows gives back the original order."""
    if parts < 1:
        raise ValueError("parts: must be at least 1")

    def bounds(count: int) -> list[tuple[int, int]]:
        return [(count * index // parts, count * (index + 1) // parts) for index in range(parts)]

    train_bounds = bounds(dataset.train_row_count)
    test_bounds = bounds(len(dataset.test_labels))
    result = []
    for index, ((train_start, train_end), (test_start, test_end)) in enumerate(
            zip(train_bounds, test_bounds), start=1):
        result.append(PreparedDataset(
            name=f"{dataset.name}/part{index}-of-{parts}",
            split_seed=dataset.split_seed,
            train_features=dataset.train_features[train_start:train_end],
            train_labels=dataset.train_labels[train_start:train_end],
            test_features=dataset.test_features[test_start:test_end],
            test_labels=dataset.test_labels[test_start:test_end],
            train_source_rows=dataset.train_source_rows[train_start:train_end],
            test_source_rows=dataset.test_source_rows[test_start:test_end],
        ))
    return result


class DatasetFormatError(ValueError):
    """Decrypted bytes that are not a dataset in the expected format."""


def parse_dataset_bytes(data: bytes) -> PreparedDataset:
    """The inverse of ``PreparedDataset.canonical_bytes`` (provenance rows are not in the
    bytes and come back empty)."""
    if len(data) < 4:
        raise DatasetFormatError("too short for a header length")
    (header_length,) = struct.unpack("<I", data[:4])
    try:
        header = json.loads(data[4:4 + header_length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DatasetFormatError(f"header is not JSON: {error}") from None
    if not isinstance(header, dict) or header.get("format") != DATASET_FORMAT:
        raise DatasetFormatError(f"header format is not {DATASET_FORMAT}")
    if header.get("fraction_bits") != FRACTION_BITS:
        raise DatasetFormatError("unexpected fraction bits")
    features, train_rows, test_rows = (header["feature_count"], header["train_rows"],
                                       header["test_rows"])
    row_length = ROW_FIELD_BYTES * (features + 1)
    body = data[4 + header_length:]
    if len(body) != row_length * (train_rows + test_rows):
        raise DatasetFormatError("the rows do not match the header's counts")
    numbers = np.frombuffer(body, dtype="<i8").astype(np.int64).reshape(-1, features + 1)
    return PreparedDataset(
        name=header["name"], split_seed=header["split_seed"],
        train_features=numbers[:train_rows, :features].copy(),
        train_labels=numbers[:train_rows, features].copy(),
        test_features=numbers[train_rows:, :features].copy(),
        test_labels=numbers[train_rows:, features].copy(),
        train_source_rows=(), test_source_rows=(),
    )


def train_rows_root(dataset: PreparedDataset) -> str:
    """Hex Merkle root of the dataset's training rows (registered on the ledger)."""
    return merkle_root(dataset.train_row_bytes()).hex()


def job_training_set(parts: Sequence[PreparedDataset]) -> PreparedDataset:
    """The training set of a job: its datasets' rows concatenated in the job's order."""
    if not parts:
        raise ValueError("a job needs at least one dataset")
    return PreparedDataset(
        name="+".join(part.name for part in parts),
        split_seed=parts[0].split_seed,
        train_features=np.concatenate([part.train_features for part in parts]),
        train_labels=np.concatenate([part.train_labels for part in parts]),
        test_features=np.concatenate([part.test_features for part in parts]),
        test_labels=np.concatenate([part.test_labels for part in parts]),
        train_source_rows=tuple(row for part in parts for row in part.train_source_rows),
        test_source_rows=tuple(row for part in parts for row in part.test_source_rows),
    )


class RowOpener:
    """Opens training rows of a job's datasets with Merkle proofs against their roots."""

    def __init__(self, dataset_ids: Sequence[str], parts: Sequence[PreparedDataset]):
        self.dataset_ids = list(dataset_ids)
        self.leaves = [part.train_row_bytes() for part in parts]

    def locate(self, union_index: int) -> tuple[int, int]:
        offset = union_index
        for position, leaves in enumerate(self.leaves):
            if offset < len(leaves):
                return position, offset
            offset -= len(leaves)
        raise IndexError(f"row {union_index} lies beyond the job's training rows")

    def open(self, union_indices: Sequence[int]) -> list[dict[str, object]]:
        """The batch evidence of ``resolve_step``: one opening per row, in order."""
        openings = []
        for union_index in union_indices:
            position, local = self.locate(union_index)
            proof: MerkleProof = inclusion_proof(self.leaves[position], local)
            openings.append({"dataset": self.dataset_ids[position], "index": local,
                             "row": self.leaves[position][local].hex(),
                             "proof": proof.to_json_value()})
        return openings
