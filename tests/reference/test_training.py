"""Deterministic training, transcripts, one-step re-execution and the dispute referee."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from reference.training import (
    SCALE,
    Batch,
    MerkleProof,
    ModelRecipe,
    ParameterRangeError,
    PreparedDataset,
    StepInputError,
    TrainingRun,
    TrainingState,
    accuracy_report,
    batch_for_step,
    bisect_transcripts,
    fabricate_lazy_run,
    make_recipe,
    prepare_breast_cancer,
    public_step_values,
    resolve_step,
    run_training,
    step,
    train,
    verify_batch,
    verify_step_digest,
)
from reference.training.accuracy import float_standardised_features
from reference.training.dataset import FEATURE_LIMIT
from reference.training.recipe import PARAMETER_LIMIT

SPLIT_SEED = 7
RANDOM_STEPS_SEED = 20240601

# Pinned outputs of the default recipe on the default split. They change only when the
# format or the arithmetic changes; a change on another machine or numpy version is a bug.
PINNED_RECIPE_COMMITMENT = "819cceb0bf4988ccbcc4b2460f694d1e5a136b54acbccd7f36b2e2b3c91b1754"
PINNED_DATASET_SHA256 = "c4123a06f4db2adc13419acf9f603b09e50d4a25bc38655825b430f7e0c86991"
PINNED_TRAIN_ROWS_ROOT = "b6b383f459c9e043fb47a540adec7ff11daf2e56eb76847f8a41c91fcf15e9dd"
PINNED_TRANSCRIPT_ROOT = "740d940031e006534b57a43108e8f0daec6d336a5a04a6d40b56ea02274c7912"
PINNED_FINAL_STATE_DIGEST = "41efda6767232faa0d51d5ec7b0066d8132d306eeaae1c5e45f8dd60de2e2b33"


@pytest.fixture(scope="module")
def dataset() -> PreparedDataset:
    return prepare_breast_cancer(split_seed=SPLIT_SEED)


@pytest.fixture(scope="module")
def recipe() -> ModelRecipe:
    return make_recipe()


@pytest.fixture(scope="module")
def honest_run(recipe: ModelRecipe, dataset: PreparedDataset) -> TrainingRun:
    return run_training(recipe, dataset)


def random_steps(step_count: int, how_many: int) -> list[int]:
    return sorted(random.Random(RANDOM_STEPS_SEED).sample(range(step_count), how_many))


# ----------------------------------------------------------------------------- determinism


def test_same_recipe_and_data_give_the_same_transcript_twice(
    recipe: ModelRecipe, dataset: PreparedDataset
) -> None:
    first_state, first_transcript = train(recipe, dataset)
    second_state, second_transcript = train(recipe, prepare_breast_cancer(split_seed=SPLIT_SEED))
    assert first_transcript.step_digests == second_transcript.step_digests
    assert first_transcript.root == second_transcript.root
    assert first_state == second_state


def test_a_fresh_process_reproduces_every_digest(
    recipe: ModelRecipe, dataset: PreparedDataset
) -> None:
    script = (
        "import json\n"
        "from reference.training import make_recipe, prepare_breast_cancer, train\n"
        f"dataset = prepare_breast_cancer(split_seed={SPLIT_SEED})\n"
        "recipe = make_recipe()\n"
        "final_state, transcript = train(recipe, dataset)\n"
        "print(json.dumps({'recipe': recipe.commitment().hex(),"
        " 'dataset': dataset.commitment().to_json_value(),"
        " 'root': transcript.root.hex(), 'final': final_state.digest().hex()}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    child = json.loads(completed.stdout)
    final_state, transcript = train(recipe, dataset)
    assert child == {
        "recipe": recipe.commitment().hex(),
        "dataset": dataset.commitment().to_json_value(),
        "root": transcript.root.hex(),
        "final": final_state.digest().hex(),
    }


def test_pinned_digests(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    commitment = dataset.commitment()
    assert recipe.commitment().hex() == PINNED_RECIPE_COMMITMENT
    assert commitment.sha256.hex() == PINNED_DATASET_SHA256
    assert commitment.train_rows_root.hex() == PINNED_TRAIN_ROWS_ROOT
    assert honest_run.transcript.root.hex() == PINNED_TRANSCRIPT_ROOT
    assert honest_run.final_state.digest().hex() == PINNED_FINAL_STATE_DIGEST


def test_different_seeds_or_hyper_parameters_change_the_transcript(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    for changed in (
        replace(recipe, seed=recipe.seed + 1),
        replace(recipe, learning_rate=recipe.learning_rate + 1),
    ):
        assert changed.commitment() != recipe.commitment()
        assert train(changed, dataset)[1].root != honest_run.transcript.root
    assert (
        prepare_breast_cancer(split_seed=SPLIT_SEED + 1).commitment().sha256
        != dataset.commitment().sha256
    )


# ----------------------------------------------------------------------------- one step


def test_one_step_re_execution_matches_the_transcript_at_random_steps(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    transcript = honest_run.transcript
    assert transcript.step_count == recipe.total_steps(dataset.train_row_count) == 224
    for step_index in random_steps(transcript.step_count, 24):
        pre_state = TrainingState.from_json_value(
            honest_run.state_before(step_index).to_json_value()
        )
        assert pre_state.digest() == transcript.pre_state_digest(step_index)
        batch = batch_for_step(recipe, dataset, step_index)
        post_state = step(pre_state, batch, public_step_values(recipe, step_index))
        assert post_state.digest() == transcript.post_state_digest(step_index)
        verdict = resolve_step(
            recipe, pre_state, step_index, batch, transcript.post_state_digest(step_index)
        )
        assert verdict.claim_correct
        assert verdict.pre_state_digest == transcript.pre_state_digest(step_index)


def test_a_step_actually_changes_the_parameters(
    recipe: ModelRecipe, honest_run: TrainingRun
) -> None:
    for step_index in random_steps(honest_run.transcript.step_count, 8):
        before, after = honest_run.states[step_index], honest_run.states[step_index + 1]
        assert after.step == before.step + 1
        assert after.weights != before.weights


def test_tampered_step_is_detected(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    for step_index in random_steps(honest_run.transcript.step_count, 12):
        pre_state = honest_run.state_before(step_index)
        batch = batch_for_step(recipe, dataset, step_index)
        honest_post = honest_run.states[step_index + 1]
        nudged_weights = list(honest_post.weights)
        nudged_weights[step_index % len(nudged_weights)] += 1  # one unit in the last place
        for wrong_post in (
            replace(honest_post, weights=tuple(nudged_weights)),
            replace(honest_post, bias=honest_post.bias - 1),
            replace(honest_post, step=honest_post.step + 1),
            pre_state,
        ):
            verdict = resolve_step(recipe, pre_state, step_index, batch, wrong_post.digest())
            assert not verdict.claim_correct
            assert verdict.recomputed_post_digest == honest_post.digest()


def test_step_reads_only_its_inputs_and_does_not_mutate_them(
    recipe: ModelRecipe, dataset: PreparedDataset
) -> None:
    batch = batch_for_step(recipe, dataset, 5)
    features_before, labels_before = batch.features.copy(), batch.labels.copy()
    state = TrainingState(step=5, weights=tuple(range(-15 * 1000, 15 * 1000, 1000)), bias=123)
    first = step(state, batch, public_step_values(recipe, 5))
    copied_batch = Batch(
        row_indices=(), features=features_before.copy(), labels=labels_before.copy()
    )
    second = step(state, copied_batch, public_step_values(recipe, 5))
    assert first == second  # the row indices are not an input of the arithmetic
    assert np.array_equal(batch.features, features_before) and np.array_equal(
        batch.labels, labels_before
    )


def test_malformed_step_inputs_are_refused(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    batch = batch_for_step(recipe, dataset, 3)
    pre_state = honest_run.state_before(3)
    claimed = honest_run.transcript.post_state_digest(3)
    with pytest.raises(StepInputError):
        resolve_step(
            recipe, honest_run.state_before(4), 3, batch, claimed
        )  # opened state is at step 4
    short_batch = Batch(
        row_indices=batch.row_indices[:-1], features=batch.features[:-1], labels=batch.labels[:-1]
    )
    with pytest.raises(StepInputError):
        resolve_step(recipe, pre_state, 3, short_batch, claimed)
    out_of_range = batch.features.copy()
    out_of_range[0, 0] = FEATURE_LIMIT + 1
    with pytest.raises(StepInputError):
        resolve_step(
            recipe, pre_state, 3, Batch(batch.row_indices, out_of_range, batch.labels), claimed
        )
    bad_labels = batch.labels.copy()
    bad_labels[0] = 2
    with pytest.raises(StepInputError):
        resolve_step(
            recipe, pre_state, 3, Batch(batch.row_indices, batch.features, bad_labels), claimed
        )
    with pytest.raises(StepInputError):
        step(pre_state, batch, public_step_values(recipe, 4))


def test_a_step_that_would_leave_the_parameter_range_raises(
    recipe: ModelRecipe, dataset: PreparedDataset
) -> None:
    batch = batch_for_step(recipe, dataset, 0)
    # At bias -PARAMETER_LIMIT every prediction is slightly above 0; with every label 0 the
    # gradient step lowers the bias a little further, out of range.
    all_negative = Batch(batch.row_indices, batch.features, np.zeros_like(batch.labels))
    state = TrainingState(step=0, weights=(0,) * recipe.feature_count, bias=-PARAMETER_LIMIT)
    with pytest.raises(ParameterRangeError):
        step(state, all_negative, public_step_values(recipe, 0))
    verdict = resolve_step(recipe, state, 0, all_negative, state.digest())
    assert not verdict.claim_correct and verdict.recomputed_post_digest is None


# ----------------------------------------------------------------------------- transcript proofs


def test_merkle_proofs_of_step_digests_verify(honest_run: TrainingRun) -> None:
    transcript = honest_run.transcript
    for step_index in random_steps(transcript.step_count, 16):
        proof = transcript.inclusion_proof(step_index)
        digest = transcript.post_state_digest(step_index)
        assert verify_step_digest(transcript.root, transcript.step_count, step_index, digest, proof)


def test_wrong_merkle_proofs_fail(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    transcript = honest_run.transcript
    lazy_transcript = fabricate_lazy_run(recipe, dataset, 100).transcript
    step_count = transcript.step_count
    for step_index in random_steps(step_count - 1, 12):
        proof = transcript.inclusion_proof(step_index)
        digest = transcript.post_state_digest(step_index)
        neighbour = transcript.post_state_digest(step_index + 1)
        assert not verify_step_digest(transcript.root, step_count, step_index, neighbour, proof)
        assert not verify_step_digest(transcript.root, step_count, step_index + 1, digest, proof)
        assert not verify_step_digest(transcript.root, step_count + 1, step_index, digest, proof)
        assert not verify_step_digest(lazy_transcript.root, step_count, step_index, digest, proof)
        moved_proof = MerkleProof(step_index + 1, step_count, proof.siblings)  # another leaf's path
        assert not verify_step_digest(
            transcript.root, step_count, step_index + 1, neighbour, moved_proof
        )


# ----------------------------------------------------------------------------- disputes


@pytest.mark.parametrize("diverge_from_step", [0, 1, 57, 111, 200, 223])
def test_lazy_vendor_is_located_by_bisection_and_convicted_by_one_step(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun, diverge_from_step: int
) -> None:
    lazy_run = fabricate_lazy_run(recipe, dataset, diverge_from_step)
    honest, lazy = honest_run.transcript, lazy_run.transcript
    assert lazy.step_digests[:diverge_from_step] == honest.step_digests[:diverge_from_step]
    assert lazy.step_digests[diverge_from_step] != honest.step_digests[diverge_from_step]

    disputed = bisect_transcripts(honest, lazy)
    assert disputed.step_index == diverge_from_step
    assert disputed.queries <= math.ceil(math.log2(honest.step_count))

    pre_state = lazy_run.state_before(disputed.step_index)  # the respondent opens its pre-state
    assert (
        pre_state.digest()
        == honest.pre_state_digest(disputed.step_index)
        == lazy.pre_state_digest(disputed.step_index)
    )
    batch = batch_for_step(recipe, dataset, disputed.step_index)
    lazy_claim = resolve_step(
        recipe, pre_state, disputed.step_index, batch, lazy.post_state_digest(disputed.step_index)
    )
    honest_claim = resolve_step(
        recipe, pre_state, disputed.step_index, batch, honest.post_state_digest(disputed.step_index)
    )
    assert not lazy_claim.claim_correct
    assert honest_claim.claim_correct


def test_bisection_stays_within_log2_rounds_for_every_divergence_point(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    honest = honest_run.transcript
    bound = math.ceil(math.log2(honest.step_count))
    for diverge_from_step in range(0, honest.step_count, 7):
        lazy_digests = list(honest.step_digests)
        for position in range(diverge_from_step, honest.step_count):
            lazy_digests[position] = bytes(32)  # any different digest
        lazy = replace(honest, step_digests=tuple(lazy_digests))
        disputed = bisect_transcripts(honest, lazy)
        assert disputed.step_index == diverge_from_step
        assert disputed.queries <= bound


def test_bisection_refuses_transcripts_that_agree(honest_run: TrainingRun) -> None:
    with pytest.raises(ValueError):
        bisect_transcripts(honest_run.transcript, honest_run.transcript)


# ----------------------------------------------------------------------------- dataset


def test_split_is_a_partition_and_features_are_standardised(dataset: PreparedDataset) -> None:
    all_rows = set(dataset.train_source_rows) | set(dataset.test_source_rows)
    assert all_rows == set(range(569))
    assert not set(dataset.train_source_rows) & set(dataset.test_source_rows)
    assert (dataset.train_row_count, len(dataset.test_labels)) == (456, 113)
    assert np.all(np.abs(dataset.train_features) <= FEATURE_LIMIT)
    # The exact integer standardisation is the float64 standardisation correctly rounded to
    # Q16 (within half a unit, plus float64 noise) wherever the value is not clipped.
    float_train, float_test = float_standardised_features(dataset)
    for fixed, floating in (
        (dataset.train_features, float_train),
        (dataset.test_features, float_test),
    ):
        unclipped = np.abs(floating) < 8 - 1e-6
        clipped = np.abs(floating) > 8 + 1e-6
        assert np.any(clipped)  # the outliers exist, so the clipping branch is exercised
        difference = np.abs(fixed / SCALE - floating)[unclipped]
        assert float(difference.max()) <= 0.5 / SCALE + 1e-9
        assert np.all(fixed[clipped] == np.sign(floating[clipped]) * FEATURE_LIMIT)


def test_opened_batch_verifies_against_the_committed_rows(
    recipe: ModelRecipe, dataset: PreparedDataset
) -> None:
    commitment = dataset.commitment()
    row_indices = recipe.batch_row_indices(dataset.train_row_count, 37)
    batch, proofs = dataset.open_batch(row_indices)
    assert verify_batch(commitment.train_rows_root, commitment.train_rows, batch, proofs)

    altered_features = batch.features.copy()
    altered_features[3, 7] += 1
    assert not verify_batch(
        commitment.train_rows_root,
        commitment.train_rows,
        Batch(batch.row_indices, altered_features, batch.labels),
        proofs,
    )
    flipped_labels = batch.labels.copy()
    flipped_labels[0] = 1 - flipped_labels[0]
    assert not verify_batch(
        commitment.train_rows_root,
        commitment.train_rows,
        Batch(batch.row_indices, batch.features, flipped_labels),
        proofs,
    )
    swapped_indices = (batch.row_indices[1], batch.row_indices[0], *batch.row_indices[2:])
    assert not verify_batch(
        commitment.train_rows_root,
        commitment.train_rows,
        Batch(swapped_indices, batch.features, batch.labels),
        proofs,
    )
    assert not verify_batch(commitment.test_rows_root, commitment.train_rows, batch, proofs)


# ----------------------------------------------------------------------------- recipe


def test_recipe_serialization_round_trips_and_rejects_bad_fields(recipe: ModelRecipe) -> None:
    value = json.loads(recipe.canonical_bytes())
    assert ModelRecipe.from_json_value(value) == recipe
    assert recipe.canonical_bytes().startswith(
        b'{"architecture":"logistic-regression/fixed-point-q16/v1","batch_size":32,'
    )
    with pytest.raises(ValueError, match="learning_rate"):
        ModelRecipe.from_json_value({**value, "learning_rate": 0})
    with pytest.raises(ValueError, match="fields"):
        ModelRecipe.from_json_value({**value, "momentum": 1})
    with pytest.raises(ValueError, match="initial_weights"):
        ModelRecipe.from_json_value({**value, "initial_weights": [0] * 29})
    with pytest.raises(ValueError, match="batch_size"):
        ModelRecipe.from_json_value({**value, "batch_size": 0})


def test_batch_schedule_is_a_fresh_permutation_each_epoch(
    recipe: ModelRecipe, dataset: PreparedDataset
) -> None:
    rows = dataset.train_row_count
    steps_per_epoch = recipe.steps_per_epoch(rows)
    assert steps_per_epoch == rows // recipe.batch_size == 14
    first_epoch = [
        index
        for position in range(steps_per_epoch)
        for index in recipe.batch_row_indices(rows, position)
    ]
    second_epoch = [
        index
        for position in range(steps_per_epoch)
        for index in recipe.batch_row_indices(rows, steps_per_epoch + position)
    ]
    assert len(set(first_epoch)) == len(first_epoch) == steps_per_epoch * recipe.batch_size
    assert first_epoch != second_epoch


@pytest.mark.parametrize(
    ("batch_size", "epochs", "expected_steps"), [(64, 8, 56), (16, 8, 224), (8, 9, 513)]
)
def test_step_count_is_configurable(
    dataset: PreparedDataset, batch_size: int, epochs: int, expected_steps: int
) -> None:
    recipe = make_recipe(batch_size=batch_size, epochs=epochs)
    final_state, transcript = train(recipe, dataset)
    assert transcript.step_count == final_state.step == expected_steps
    step_index = expected_steps // 2
    run = run_training(recipe, dataset)
    verdict = resolve_step(
        recipe,
        run.state_before(step_index),
        step_index,
        batch_for_step(recipe, dataset, step_index),
        transcript.post_state_digest(step_index),
    )
    assert verdict.claim_correct


# ----------------------------------------------------------------------------- accuracy


def test_fixed_point_accuracy_is_close_to_float_and_above_the_floor(
    recipe: ModelRecipe, dataset: PreparedDataset, honest_run: TrainingRun
) -> None:
    report = accuracy_report(recipe, dataset, honest_run.final_state)
    assert report.step_count == 224
    assert report.fixed_test_accuracy >= 0.9
    assert report.float_test_accuracy >= 0.9
    assert abs(report.fixed_test_accuracy - report.float_test_accuracy) <= 0.02
    assert abs(report.fixed_train_accuracy - report.float_train_accuracy) <= 0.02
    assert report.test_prediction_agreement >= 0.97
    assert report.max_parameter_difference < 0.1


def test_untrained_model_is_far_worse_than_the_trained_one(
    recipe: ModelRecipe, dataset: PreparedDataset
) -> None:
    # Guards the accuracy test against a predictor that would pass without learning anything:
    # the initial (all-zero) model predicts one class for every row.
    untrained = accuracy_report(
        recipe, dataset, TrainingState(step=0, weights=recipe.initial_weights, bias=0)
    )
    assert untrained.fixed_test_accuracy < 0.7
