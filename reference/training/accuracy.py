"""Accuracy of the fixed-point model beside ordinary float64 training.

The float baseline is the same algorithm in ordinary floating point: the same split, features
standardised with float64 mean and standard deviation of the same training rows (not clipped,
not quantised), the same initial parameters, learning rate, batch order and number of steps,
and the exact sigmoid. Prediction is "benign" (label 1) when the logit is at least zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reference.training.dataset import PreparedDataset, load_breast_cancer_raw
from reference.training.fixed_point import FRACTION_BITS, SCALE, IntArray, round_shift
from reference.training.recipe import ModelRecipe
from reference.training.step import TrainingState
from reference.training.transcript import train

FloatArray = npt.NDArray[np.float64]


def predict_fixed(state: TrainingState, features: IntArray) -> IntArray:
    """Labels (0/1) predicted by a fixed-point state for Q16 features."""
    logits = round_shift(features @ state.weights_array(), FRACTION_BITS) + state.bias
    return (logits >= 0).astype(np.int64)


def accuracy(predicted: npt.NDArray[np.int64], labels: npt.NDArray[np.int64]) -> float:
    return float(np.mean(predicted == labels))


@dataclass(frozen=True)
class FloatModel:
    weights: FloatArray
    bias: float

    def predict(self, features: FloatArray) -> npt.NDArray[np.int64]:
        return (features @ self.weights + self.bias >= 0).astype(np.int64)


def float_standardised_features(dataset: PreparedDataset) -> tuple[FloatArray, FloatArray]:
    """(training, test) features standardised in float64 with the training rows' statistics."""
    raw_features, _ = load_breast_cancer_raw()
    train_raw = raw_features[list(dataset.train_source_rows)]
    test_raw = raw_features[list(dataset.test_source_rows)]
    mean = train_raw.mean(axis=0)
    std = train_raw.std(axis=0)
    return (train_raw - mean) / std, (test_raw - mean) / std


def train_float_baseline(recipe: ModelRecipe, dataset: PreparedDataset) -> FloatModel:
    """Mini-batch gradient descent in float64 with the recipe's hyper-parameters and batches."""
    train_features, _ = float_standardised_features(dataset)
    labels = dataset.train_labels.astype(np.float64)
    weights = np.array(recipe.initial_weights, dtype=np.float64) / SCALE
    bias = recipe.initial_bias / SCALE
    learning_rate = recipe.learning_rate / SCALE
    steps_per_epoch = recipe.steps_per_epoch(dataset.train_row_count)
    for epoch in range(recipe.epochs):
        order = recipe.epoch_order(dataset.train_row_count, epoch)
        for position in range(steps_per_epoch):
            rows = order[position * recipe.batch_size : (position + 1) * recipe.batch_size]
            batch_features = train_features[rows]
            errors = 1.0 / (1.0 + np.exp(-(batch_features @ weights + bias))) - labels[rows]
            weights = weights - learning_rate * (batch_features.T @ errors) / len(rows)
            bias = bias - learning_rate * float(errors.mean())
    return FloatModel(weights=weights, bias=bias)


@dataclass(frozen=True)
class AccuracyReport:
    step_count: int
    fixed_train_accuracy: float
    fixed_test_accuracy: float
    float_train_accuracy: float
    float_test_accuracy: float
    test_prediction_agreement: float  # share of test rows where both models predict the same
    max_parameter_difference: float  # largest |fixed parameter - float parameter|

    def to_json_value(self) -> dict[str, float | int]:
        return {
            "fixed_test_accuracy": self.fixed_test_accuracy,
            "fixed_train_accuracy": self.fixed_train_accuracy,
            "float_test_accuracy": self.float_test_accuracy,
            "float_train_accuracy": self.float_train_accuracy,
            "max_parameter_difference": self.max_parameter_difference,
            "step_count": self.step_count,
            "test_prediction_agreement": self.test_prediction_agreement,
        }


def accuracy_report(
    recipe: ModelRecipe, dataset: PreparedDataset, final_state: TrainingState | None = None
) -> AccuracyReport:
    """Train both models (the fixed-point one unless ``final_state`` is given) and compare."""
    if final_state is None:
        final_state, _ = train(recipe, dataset)
    float_model = train_float_baseline(recipe, dataset)
    float_train_features, float_test_features = float_standardised_features(dataset)
    fixed_test_predictions = predict_fixed(final_state, dataset.test_features)
    float_test_predictions = float_model.predict(float_test_features)
    fixed_parameters = np.array([*final_state.weights, final_state.bias], dtype=np.float64) / SCALE
    float_parameters = np.array([*float_model.weights, float_model.bias])
    return AccuracyReport(
        step_count=final_state.step,
        fixed_train_accuracy=accuracy(
            predict_fixed(final_state, dataset.train_features), dataset.train_labels
        ),
        fixed_test_accuracy=accuracy(fixed_test_predictions, dataset.test_labels),
        float_train_accuracy=accuracy(
            float_model.predict(float_train_features), dataset.train_labels
        ),
        float_test_accuracy=accuracy(float_test_predictions, dataset.test_labels),
        test_prediction_agreement=float(np.mean(fixed_test_predictions == float_test_predictions)),
        max_parameter_difference=float(np.max(np.abs(fixed_parameters - float_parameters))),
    )
