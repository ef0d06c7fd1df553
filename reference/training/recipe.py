"""The model recipe: everything that makes training deterministic, and its commitment.

A recipe names the architecture, the initial parameters, the hyper-parameters (learning
rate, batch size, epochs) and the seed that orders the batches. Every number is an integer
(fixed-point values in Q16), so the canonical serialization — canonical JSON of
:meth:`ModelRecipe.to_json_value` — is unambiguous, and the commitment is its SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from reference.clients.crypto import canonical_json
from reference.training.fixed_point import FRACTION_BITS, SCALE, to_fixed
from reference.training.seeded import seeded_permutation

ARCHITECTURE = "logistic-regression/fixed-point-q16/v1"
PARAMETER_LIMIT = 256 * SCALE  # every parameter of every state stays within [-256, 256]
MAX_BATCH_SIZE = 4096
MAX_FEATURE_COUNT = 1024
MAX_LEARNING_RATE = SCALE  # 1.0

RECIPE_FIELDS = frozenset(
    {
        "architecture",
        "batch_size",
        "epochs",
        "feature_count",
        "fraction_bits",
        "initial_bias",
        "initial_weights",
        "learning_rate",
        "seed",
    }
)

DEFAULT_LEARNING_RATE = 0.25
DEFAULT_BATCH_SIZE = 32
DEFAULT_EPOCHS = 16
DEFAULT_SEED = 20240601


@dataclass(frozen=True)
class ModelRecipe:
    """Architecture, initial parameters (Q16), hyper-parameters and seed of one training."""

    feature_count: int
    initial_weights: tuple[int, ...]
    initial_bias: int
    learning_rate: int  # Q16
    batch_size: int
    epochs: int
    seed: int
    architecture: str = ARCHITECTURE
    fraction_bits: int = FRACTION_BITS

    def __post_init__(self) -> None:
        for name in (
            "feature_count",
            "learning_rate",
            "batch_size",
            "epochs",
            "seed",
            "fraction_bits",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name}: must be an integer, got {value!r}")
        if self.architecture != ARCHITECTURE:
            raise ValueError(
                f"architecture: only {ARCHITECTURE!r} is supported, got {self.architecture!r}"
            )
        if self.fraction_bits != FRACTION_BITS:
            raise ValueError(f"fraction_bits: must be {FRACTION_BITS}, got {self.fraction_bits}")
        if not 0 < self.feature_count <= MAX_FEATURE_COUNT:
            raise ValueError(
                f"feature_count: must be in [1, {MAX_FEATURE_COUNT}], got {self.feature_count}"
            )
        if len(self.initial_weights) != self.feature_count:
            raise ValueError(
                f"initial_weights: expected {self.feature_count} values, "
                f"got {len(self.initial_weights)}"
            )
        for name, value in [
            ("initial_bias", self.initial_bias),
            *(("initial_weights", w) for w in self.initial_weights),
        ]:
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or abs(value) > PARAMETER_LIMIT
            ):
                raise ValueError(
                    f"{name}: must be integers within ±{PARAMETER_LIMIT} (Q16), got {value!r}"
                )
        if not 0 < self.learning_rate <= MAX_LEARNING_RATE:
            raise ValueError(
                f"learning_rate: must be in (0, {MAX_LEARNING_RATE}] (Q16), "
                f"got {self.learning_rate}"
            )
        if not 0 < self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size: must be in [1, {MAX_BATCH_SIZE}], got {self.batch_size}")
        if self.epochs < 1:
            raise ValueError(f"epochs: must be positive, got {self.epochs}")
        if not 0 <= self.seed < 1 << 64:
            raise ValueError(f"seed: must be in [0, 2**64), got {self.seed}")

    def to_json_value(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "feature_count": self.feature_count,
            "fraction_bits": self.fraction_bits,
            "initial_bias": self.initial_bias,
            "initial_weights": list(self.initial_weights),
            "learning_rate": self.learning_rate,
            "seed": self.seed,
        }

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> ModelRecipe:
        if set(value) != RECIPE_FIELDS:
            raise ValueError(
                f"recipe: fields must be exactly {sorted(RECIPE_FIELDS)}, got {sorted(value)}"
            )
        if not isinstance(value["initial_weights"], list):
            raise ValueError("initial_weights: must be a list of integers")
        return cls(
            feature_count=value["feature_count"],
            initial_weights=tuple(value["initial_weights"]),
            initial_bias=value["initial_bias"],
            learning_rate=value["learning_rate"],
            batch_size=value["batch_size"],
            epochs=value["epochs"],
            seed=value["seed"],
            architecture=value["architecture"],
            fraction_bits=value["fraction_bits"],
        )

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.to_json_value())

    def commitment(self) -> bytes:
        """SHA-256 of :meth:`canonical_bytes`."""
        return hashlib.sha256(self.canonical_bytes()).digest()

    # ---- the batch schedule (public: derived from the recipe and the training-row count)

    def steps_per_epoch(self, train_row_count: int) -> int:
        """Full batches per epoch; the last ``train_row_count % batch_size`` rows of each
        epoch's order are not used in that epoch."""
        if train_row_count < self.batch_size:
            raise ValueError(
                f"train_row_count: {train_row_count} rows cannot fill a batch of {self.batch_size}"
            )
        return train_row_count // self.batch_size

    def total_steps(self, train_row_count: int) -> int:
        """T, the number of training steps (transcript length)."""
        return self.epochs * self.steps_per_epoch(train_row_count)

    def epoch_order(self, train_row_count: int, epoch: int) -> list[int]:
        """The order of training rows in ``epoch``:
        ``seeded_permutation(seed, "epoch/<epoch>", train_row_count)``."""
        return seeded_permutation(self.seed, f"epoch/{epoch}", train_row_count)

    def batch_row_indices(self, train_row_count: int, step_index: int) -> tuple[int, ...]:
        """The training rows of step ``step_index``: the step's slice of its epoch's order."""
        steps_per_epoch = self.steps_per_epoch(train_row_count)
        if not 0 <= step_index < self.epochs * steps_per_epoch:
            raise ValueError(
                f"step_index: must be in [0, {self.epochs * steps_per_epoch}), got {step_index}"
            )
        epoch, position = divmod(step_index, steps_per_epoch)
        order = self.epoch_order(train_row_count, epoch)
        return tuple(order[position * self.batch_size : (position + 1) * self.batch_size])


def make_recipe(
    feature_count: int = 30,
    *,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
) -> ModelRecipe:
    """A recipe with zero initial parameters and ``learning_rate`` rounded to Q16."""
    return ModelRecipe(
        feature_count=feature_count,
        initial_weights=(0,) * feature_count,
        initial_bias=0,
        learning_rate=to_fixed(learning_rate),
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
    )
