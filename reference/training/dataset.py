"""Dataset preparation: scikit-learn's breast-cancer data, split, standardised, in fixed point.

Preparation is exact integer arithmetic on the float values exactly as shipped, so the same
split seed gives the same bytes everywhere:

1. Load ``sklearn.datasets.load_breast_cancer`` (569 rows, 30 features, label 1 = benign).
2. Split: ``seeded_permutation(split_seed, "train-test-split", 569)``; its first
   ``test_row_count`` entries are the test rows, the rest the training rows; both lists are
   then sorted by source row number.
3. Standardise each feature with the *training* rows' mean and population standard
   deviation (ddof = 0): every float is converted exactly to a rational, and the exact
   standardised value ``(x - mean) / std`` is rounded to Q16 (half away from zero) with an
   integer square root (see :func:`standardise_to_fixed`), then clipped to ``[-8, 8]``
   (``FEATURE_LIMIT``).
4. Labels stay the integers 0 / 1.

Serialization and commitment
----------------------------
A row is ``int64le(feature_0) … int64le(feature_29) || int64le(label)`` (248 bytes). The
dataset bytes are ``u32le(len(header)) || header || training rows || test rows`` where
``header`` is canonical JSON of ``{"feature_count", "format": "aimarket/fixed-point-dataset/v1",
"fraction_bits", "name", "split_seed", "test_rows", "train_rows"}``. The commitment is the
SHA-256 of those bytes plus a Merkle root (see :mod:`.merkle`) over the training rows and one
over the test rows, the row bytes being the leaves; a batch opened for a dispute is checked
row by row against the training-row root.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reference.clients.crypto import canonical_json
from reference.training.fixed_point import FRACTION_BITS, SCALE, IntArray
from reference.training.merkle import MerkleProof, inclusion_proof, merkle_root, verify_inclusion
from reference.training.seeded import seeded_permutation

DATASET_FORMAT = "aimarket/fixed-point-dataset/v1"
BREAST_CANCER_NAME = "sklearn/breast_cancer"
FEATURE_LIMIT = 8 * SCALE  # standardised features are clipped to [-8, 8]
DEFAULT_TEST_PERCENT = 20
DEFAULT_SPLIT_SEED = 7
_ROW_DTYPE = np.dtype("<i8")


def load_breast_cancer_raw() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The shipped breast-cancer features (569 x 30, float64) and labels (0/1)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def split_row_numbers(
    split_seed: int, row_count: int, test_row_count: int
) -> tuple[list[int], list[int]]:
    """(training rows, test rows), each sorted, decided by ``split_seed`` alone."""
    if not 0 < test_row_count < row_count:
        raise ValueError(f"test_row_count: must be in (0, {row_count}), got {test_row_count}")
    order = seeded_permutation(split_seed, "train-test-split", row_count)
    return sorted(order[test_row_count:]), sorted(order[:test_row_count])


def row_bytes(features: IntArray, label: int) -> bytes:
    """The canonical bytes of one row: each Q16 feature then the label, as int64 little-endian."""
    return features.astype(_ROW_DTYPE).tobytes() + struct.pack("<q", int(label))


@dataclass(frozen=True)
class DatasetCommitment:
    """What the ledger records about a prepared dataset."""

    sha256: bytes
    train_rows_root: bytes
    test_rows_root: bytes
    train_rows: int
    test_rows: int
    feature_count: int

    def to_json_value(self) -> dict[str, Any]:
        return {
            "feature_count": self.feature_count,
            "sha256": self.sha256.hex(),
            "test_rows": self.test_rows,
            "test_rows_root": self.test_rows_root.hex(),
            "train_rows": self.train_rows,
            "train_rows_root": self.train_rows_root.hex(),
        }


@dataclass(frozen=True, eq=False)
class Batch:
    """One step's training inputs: ``row_indices`` into the training rows (public, from the
    recipe's seed), their Q16 ``features`` (batch x features, int64) and ``labels`` (0/1).
    The step itself reads only ``features`` and ``labels``."""

    row_indices: tuple[int, ...]
    features: IntArray
    labels: IntArray

    def row_bytes(self) -> list[bytes]:
        return [
            row_bytes(self.features[position], int(self.labels[position]))
            for position in range(len(self.labels))
        ]


@dataclass(frozen=True, eq=False)
class PreparedDataset:
    """A fixed-point dataset ready for training. Arrays are int64 and must not be mutated.

    ``train_source_rows`` / ``test_source_rows`` record which rows of the source data set each
    row came from (provenance; the commitment covers the split seed, not these lists).
    """

    name: str
    split_seed: int
    train_features: IntArray
    train_labels: IntArray
    test_features: IntArray
    test_labels: IntArray
    train_source_rows: tuple[int, ...]
    test_source_rows: tuple[int, ...]

    @property
    def feature_count(self) -> int:
        return int(self.train_features.shape[1])

    @property
    def train_row_count(self) -> int:
        return int(self.train_features.shape[0])

    def header_bytes(self) -> bytes:
        return canonical_json(
            {
                "feature_count": self.feature_count,
                "format": DATASET_FORMAT,
                "fraction_bits": FRACTION_BITS,
                "name": self.name,
                "split_seed": self.split_seed,
                "test_rows": int(self.test_features.shape[0]),
                "train_rows": self.train_row_count,
            }
        )

    def train_row_bytes(self) -> list[bytes]:
        return [
            row_bytes(self.train_features[row], int(self.train_labels[row]))
            for row in range(self.train_row_count)
        ]

    def test_row_bytes(self) -> list[bytes]:
        return [
            row_bytes(self.test_features[row], int(self.test_labels[row]))
            for row in range(len(self.test_labels))
        ]

    def canonical_bytes(self) -> bytes:
        header = self.header_bytes()
        return b"".join(
            [
                struct.pack("<I", len(header)),
                header,
                *self.train_row_bytes(),
                *self.test_row_bytes(),
            ]
        )

    def commitment(self) -> DatasetCommitment:
        return DatasetCommitment(
            sha256=hashlib.sha256(self.canonical_bytes()).digest(),
            train_rows_root=merkle_root(self.train_row_bytes()),
            test_rows_root=merkle_root(self.test_row_bytes()),
            train_rows=self.train_row_count,
            test_rows=int(self.test_features.shape[0]),
            feature_count=self.feature_count,
        )

    def batch(self, row_indices: Sequence[int]) -> Batch:
        indices = np.asarray(row_indices, dtype=np.int64)
        return Batch(
            row_indices=tuple(int(index) for index in row_indices),
            features=self.train_features[indices],
            labels=self.train_labels[indices],
        )

    def open_batch(self, row_indices: Sequence[int]) -> tuple[Batch, tuple[MerkleProof, ...]]:
        """The batch and one inclusion proof per row against the training-row root."""
        leaves = self.train_row_bytes()
        proofs = tuple(inclusion_proof(leaves, index) for index in row_indices)
        return self.batch(row_indices), proofs


def verify_batch(
    train_rows_root: bytes, train_row_count: int, batch: Batch, proofs: Sequence[MerkleProof]
) -> bool:
    """True when every row of ``batch`` is the committed training row at its stated index."""
    if len(proofs) != len(batch.row_indices) or batch.features.shape[0] != len(batch.row_indices):
        return False
    for row_index, leaf, proof in zip(batch.row_indices, batch.row_bytes(), proofs, strict=True):
        if proof.index != row_index or proof.leaf_count != train_row_count:
            return False
        if not verify_inclusion(train_rows_root, leaf, proof):
            return False
    return True


def _exact_integer_columns(values: npt.NDArray[np.float64]) -> list[list[int]]:
    """Each column as integers ``N`` with ``value == N / 2**exponent`` exactly (one exponent
    per column, large enough for every value of the column)."""
    columns: list[list[int]] = []
    for column in values.T:
        ratios = [
            float(value).as_integer_ratio() for value in column
        ]  # denominators are powers of 2
        exponent = max(denominator.bit_length() - 1 for _, denominator in ratios)
        columns.append(
            [
                numerator << (exponent - (denominator.bit_length() - 1))
                for numerator, denominator in ratios
            ]
        )
    return columns


def standardise_to_fixed(
    raw_features: npt.NDArray[np.float64], train_rows: Sequence[int]
) -> npt.NDArray[np.int64]:
    """All rows standardised with the training rows' statistics, in Q16, clipped to ±8.

    With ``N`` the column's integers (``value = N / 2**exponent``), ``n`` training rows,
    ``c = n * N - sum(N over training rows)`` and ``Q = sum(c**2 over training rows)``, the
    standardised value is exactly ``z = c * sqrt(n / Q)``. Its Q16 integer is ``|z| * 2**16``
    rounded half up, with the sign of ``c`` (round half away from zero), computed as
    ``(isqrt(floor(4 * c**2 * 2**32 * n / Q)) + 1) // 2`` — an exact integer square root, so
    no intermediate rounding.
    """
    if not np.all(np.isfinite(raw_features)):
        raise ValueError("raw_features: must be finite")
    columns = _exact_integer_columns(raw_features)
    train_count = len(train_rows)
    standardised = np.zeros(raw_features.shape, dtype=np.int64)
    for feature, column in enumerate(columns):
        train_sum = sum(column[row] for row in train_rows)
        squared_sum = sum((train_count * column[row] - train_sum) ** 2 for row in train_rows)
        if squared_sum == 0:
            raise ValueError(
                f"feature {feature}: constant over the training rows, cannot standardise"
            )
        for row, value in enumerate(column):
            centred = train_count * value - train_sum
            twice_magnitude = math.isqrt(
                (4 * centred * centred * train_count << (2 * FRACTION_BITS)) // squared_sum
            )
            magnitude = (twice_magnitude + 1) // 2
            fixed = magnitude if centred >= 0 else -magnitude
            standardised[row, feature] = min(max(fixed, -FEATURE_LIMIT), FEATURE_LIMIT)
    return standardised


def prepare_breast_cancer(
    split_seed: int = DEFAULT_SPLIT_SEED, test_percent: int = DEFAULT_TEST_PERCENT
) -> PreparedDataset:
    """The breast-cancer data set, split by ``split_seed`` and put into Q16 fixed point."""
    if not 0 < test_percent < 100:
        raise ValueError(f"test_percent: must be in (0, 100), got {test_percent}")
    raw_features, labels = load_breast_cancer_raw()
    row_count = raw_features.shape[0]
    train_rows, test_rows = split_row_numbers(
        split_seed, row_count, row_count * test_percent // 100
    )
    standardised = standardise_to_fixed(raw_features, train_rows)
    return PreparedDataset(
        name=BREAST_CANCER_NAME,
        split_seed=split_seed,
        train_features=standardised[train_rows],
        train_labels=labels[train_rows],
        test_features=standardised[test_rows],
        test_labels=labels[test_rows],
        train_source_rows=tuple(train_rows),
        test_source_rows=tuple(test_rows),
    )
