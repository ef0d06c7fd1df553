"""The training state and the pure step function.

A step is mini-batch gradient descent on the logistic loss, every quantity in Q16:

    logits        = round_shift(features @ weights, 16) + bias
    probabilities = sigmoid_fixed(logits)
    errors        = probabilities - labels * 2**16
    weight_sums   = round_shift(features.T @ errors, 16)          (gradient summed over the batch)
    bias_sum      = sum(errors)
    weights'      = weights - round_div(learning_rate * weight_sums, batch_size * 2**16)
    bias'         = bias    - round_div(learning_rate * bias_sum,    batch_size * 2**16)
    step'         = step + 1

``step(state, batch, public_values)`` reads nothing else: not the dataset, not other steps,
not a clock or a random source. That is what lets a dispute re-execute exactly one step from
an opened pre-state, and what a later secret-shared version keeps (each vendor's step will
be a function of its own shares and the same public values).

Ranges (so int64 never overflows): features are within ±8 (``FEATURE_LIMIT``), parameters
within ±256 (``PARAMETER_LIMIT``), at most 1024 features, batches at most 4096 rows,
learning rate at most 1. Then ``|features @ weights| ≤ 2**10·2**19·2**24 = 2**53``,
``|features.T @ errors| ≤ 2**12·2**19·2**16 = 2**47`` and
``|learning_rate · weight_sums| ≤ 2**16·2**31 = 2**47``. A step whose result would leave the
parameter range raises :class:`ParameterRangeError` instead of wrapping.

State digest: SHA-256 of ``b"aimarket/training-state/v1" || u64le(step) ||
u32le(len(weights)) || int64le(weight_0) … || int64le(bias)``.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.training.dataset import FEATURE_LIMIT, Batch
from reference.training.fixed_point import (
    FRACTION_BITS,
    SCALE,
    IntArray,
    round_div,
    round_div_int,
    round_shift,
    sigmoid_fixed,
)
from reference.training.recipe import MAX_FEATURE_COUNT, PARAMETER_LIMIT, ModelRecipe

STATE_DIGEST_TAG = b"aimarket/training-state/v1"


class ParameterRangeError(ArithmeticError):
    """A step would move a parameter outside ``±PARAMETER_LIMIT``."""


class StepInputError(ValueError):
    """A step was given inputs that do not fit the state or the public values."""


@dataclass(frozen=True)
class TrainingState:
    """Parameters (Q16) after ``step`` steps."""

    step: int
    weights: tuple[int, ...]
    bias: int

    def canonical_bytes(self) -> bytes:
        return (
            STATE_DIGEST_TAG
            + struct.pack("<QI", self.step, len(self.weights))
            + struct.pack(f"<{len(self.weights)}q", *self.weights)
            + struct.pack("<q", self.bias)
        )

    def digest(self) -> bytes:
        return hashlib.sha256(self.canonical_bytes()).digest()

    def weights_array(self) -> IntArray:
        return np.array(self.weights, dtype=np.int64)

    def to_json_value(self) -> dict[str, Any]:
        return {"bias": self.bias, "step": self.step, "weights": list(self.weights)}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> TrainingState:
        if set(value) != {"bias", "step", "weights"}:
            raise ValueError(
                f"training state: fields must be bias, step, weights; got {sorted(value)}"
            )
        weights = value["weights"]
        if not isinstance(weights, list) or not all(_is_int(weight) for weight in weights):
            raise ValueError("weights: must be a list of integers")
        if not _is_int(value["step"]) or value["step"] < 0 or not _is_int(value["bias"]):
            raise ValueError("step and bias: must be integers, step non-negative")
        return cls(step=value["step"], weights=tuple(weights), bias=value["bias"])


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def initial_state(recipe: ModelRecipe) -> TrainingState:
    return TrainingState(step=0, weights=recipe.initial_weights, bias=recipe.initial_bias)


@dataclass(frozen=True)
class StepPublicValues:
    """The values of one step that every party knows: which step, its learning rate (Q16)
    and its batch size."""

    step_index: int
    learning_rate: int
    batch_size: int


def public_step_values(recipe: ModelRecipe, step_index: int) -> StepPublicValues:
    """Step ``step_index``'s public values (the learning rate is constant across steps)."""
    return StepPublicValues(
        step_index=step_index, learning_rate=recipe.learning_rate, batch_size=recipe.batch_size
    )


def _check_step_inputs(state: TrainingState, batch: Batch, public_values: StepPublicValues) -> None:
    if state.step != public_values.step_index:
        raise StepInputError(
            f"state is at step {state.step} but the public values are for step "
            f"{public_values.step_index}"
        )
    if len(state.weights) > MAX_FEATURE_COUNT:
        raise StepInputError(f"state has more than {MAX_FEATURE_COUNT} weights")
    if any(abs(parameter) > PARAMETER_LIMIT for parameter in (*state.weights, state.bias)):
        raise StepInputError(f"state parameters must be within ±{PARAMETER_LIMIT}")
    expected_shape = (public_values.batch_size, len(state.weights))
    if batch.features.dtype != np.int64 or batch.features.shape != expected_shape:
        raise StepInputError(
            f"batch features must be int64 of shape {expected_shape}, "
            f"got {batch.features.dtype} {batch.features.shape}"
        )
    if batch.labels.dtype != np.int64 or batch.labels.shape != (public_values.batch_size,):
        raise StepInputError(f"batch labels must be int64 of shape ({public_values.batch_size},)")
    if np.any(np.abs(batch.features) > FEATURE_LIMIT):
        raise StepInputError(f"batch features must be within ±{FEATURE_LIMIT}")
    if np.any((batch.labels != 0) & (batch.labels != 1)):
        raise StepInputError("batch labels must be 0 or 1")
    if not 0 < public_values.learning_rate <= SCALE:
        raise StepInputError(f"learning rate must be in (0, {SCALE}]")


def step(state: TrainingState, batch: Batch, public_values: StepPublicValues) -> TrainingState:
    """One gradient step; a pure function of the state, the batch's features and labels, and
    the public values."""
    _check_step_inputs(state, batch, public_values)
    weights = state.weights_array()
    logits = round_shift(batch.features @ weights, FRACTION_BITS) + state.bias
    errors = sigmoid_fixed(logits) - batch.labels * SCALE
    weight_gradient_sums = round_shift(batch.features.T @ errors, FRACTION_BITS)
    bias_gradient_sum = int(errors.sum())
    divisor = public_values.batch_size * SCALE
    new_weights = weights - round_div(public_values.learning_rate * weight_gradient_sums, divisor)
    new_bias = state.bias - round_div_int(public_values.learning_rate * bias_gradient_sum, divisor)
    if np.any(np.abs(new_weights) > PARAMETER_LIMIT) or abs(new_bias) > PARAMETER_LIMIT:
        raise ParameterRangeError(
            f"step {state.step} would move a parameter outside ±{PARAMETER_LIMIT}"
        )
    return TrainingState(
        step=state.step + 1, weights=tuple(int(weight) for weight in new_weights), bias=new_bias
    )
