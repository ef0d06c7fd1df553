"""Deterministic, step-by-step re-executable training of a fixed-point logistic regression.

The public API, by module:

* :mod:`.fixed_point` — the Q16 format, rounding helpers and the table sigmoid;
* :mod:`.recipe` — :class:`ModelRecipe` (architecture, initial parameters, hyper-parameters,
  seed), its canonical bytes, commitment and public batch schedule;
* :mod:`.dataset` — :func:`prepare_breast_cancer`, :class:`PreparedDataset`, its canonical
  bytes and :class:`DatasetCommitment`, :class:`Batch`, :func:`verify_batch`;
* :mod:`.step` — :class:`TrainingState`, :class:`StepPublicValues`, the pure :func:`step`;
* :mod:`.transcript` — :func:`train`, :func:`run_training`, :class:`Transcript`,
  :func:`verify_step_digest`, :func:`resolve_step`, :func:`bisect_transcripts`,
  :func:`fabricate_lazy_run`;
* :mod:`.merkle` — Merkle roots and inclusion proofs;
* :mod:`.accuracy` — the fixed-point model beside float64 training.

Formats and bounds are documented in ``docs/reference-training.md``.
"""

from reference.training.accuracy import (
    AccuracyReport,
    accuracy_report,
    predict_fixed,
    train_float_baseline,
)
from reference.training.dataset import (
    Batch,
    DatasetCommitment,
    PreparedDataset,
    prepare_breast_cancer,
    verify_batch,
)
from reference.training.fixed_point import FRACTION_BITS, SCALE, sigmoid_fixed, to_fixed
from reference.training.merkle import MerkleProof, inclusion_proof, merkle_root, verify_inclusion
from reference.training.recipe import ModelRecipe, make_recipe
from reference.training.step import (
    ParameterRangeError,
    StepInputError,
    StepPublicValues,
    TrainingState,
    initial_state,
    public_step_values,
    step,
)
from reference.training.transcript import (
    DisputedStep,
    StepVerdict,
    TrainingRun,
    Transcript,
    batch_for_step,
    bisect_transcripts,
    fabricate_lazy_run,
    resolve_step,
    run_training,
    train,
    verify_step_digest,
)

__all__ = [
    "FRACTION_BITS",
    "SCALE",
    "AccuracyReport",
    "Batch",
    "DatasetCommitment",
    "DisputedStep",
    "MerkleProof",
    "ModelRecipe",
    "ParameterRangeError",
    "PreparedDataset",
    "StepInputError",
    "StepPublicValues",
    "StepVerdict",
    "TrainingRun",
    "TrainingState",
    "Transcript",
    "accuracy_report",
    "batch_for_step",
    "bisect_transcripts",
    "fabricate_lazy_run",
    "inclusion_proof",
    "initial_state",
    "make_recipe",
    "merkle_root",
    "predict_fixed",
    "prepare_breast_cancer",
    "public_step_values",
    "resolve_step",
    "run_training",
    "sigmoid_fixed",
    "step",
    "to_fixed",
    "train",
    "train_float_baseline",
    "verify_batch",
    "verify_inclusion",
    "verify_step_digest",
]
