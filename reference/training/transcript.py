"""Training runs, transcripts, and the one-step referee.

Transcript format
-----------------
For a run of T steps with states ``s_0 … s_T`` (``s_0`` from the recipe), the transcript is
``step_digests[k] = digest(s_{k+1})`` for ``k = 0 … T-1`` — one digest per step, the state
*after* that step. ``initial_state_digest = digest(s_0)`` is known to everyone from the
recipe, so step ``k``'s pre-state digest is ``initial_state_digest`` for ``k = 0`` and
``step_digests[k-1]`` otherwise. The transcript root is the Merkle root (:mod:`.merkle`)
whose leaves are the 32-byte step digests in order; a step digest is opened with an
inclusion proof whose ``index`` is the step index and whose ``leaf_count`` is T.

Dispute
-------
Two parties disagree on a transcript; :func:`bisect_transcripts` finds a step whose pre-state
digest both agree on and whose post-state digest they do not, in at most ceil(log2 T)
queries. :func:`resolve_step` then re-executes only that step from the opened pre-state and
the step's batch and says whether a claimed post-state digest is right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from reference.training.dataset import Batch, PreparedDataset
from reference.training.merkle import MerkleProof, inclusion_proof, merkle_root, verify_inclusion
from reference.training.recipe import ModelRecipe
from reference.training.step import (
    ParameterRangeError,
    StepInputError,
    TrainingState,
    initial_state,
    public_step_values,
    step,
)


@dataclass(frozen=True)
class Transcript:
    """The digest of the initial state and one post-state digest per step."""

    initial_state_digest: bytes
    step_digests: tuple[bytes, ...]

    @property
    def step_count(self) -> int:
        return len(self.step_digests)

    @cached_property
    def root(self) -> bytes:
        return merkle_root(self.step_digests)

    def pre_state_digest(self, step_index: int) -> bytes:
        self._check_step_index(step_index)
        return self.initial_state_digest if step_index == 0 else self.step_digests[step_index - 1]

    def post_state_digest(self, step_index: int) -> bytes:
        self._check_step_index(step_index)
        return self.step_digests[step_index]

    def inclusion_proof(self, step_index: int) -> MerkleProof:
        self._check_step_index(step_index)
        return inclusion_proof(self.step_digests, step_index)

    def _check_step_index(self, step_index: int) -> None:
        if not 0 <= step_index < self.step_count:
            raise IndexError(
                f"step_index {step_index} outside a transcript of {self.step_count} steps"
            )


def verify_step_digest(
    transcript_root: bytes,
    step_count: int,
    step_index: int,
    post_state_digest: bytes,
    proof: MerkleProof,
) -> bool:
    """True when ``proof`` opens ``post_state_digest`` as step ``step_index`` of a T-step
    transcript with root ``transcript_root``."""
    if proof.index != step_index or proof.leaf_count != step_count:
        return False
    return verify_inclusion(transcript_root, post_state_digest, proof)


@dataclass(frozen=True)
class TrainingRun:
    """All states ``s_0 … s_T`` of a run and its transcript. The vendor keeps the states to
    answer openings in a dispute."""

    states: tuple[TrainingState, ...]
    transcript: Transcript

    @property
    def final_state(self) -> TrainingState:
        return self.states[-1]

    def state_before(self, step_index: int) -> TrainingState:
        return self.states[step_index]


def _transcript_of(states: Sequence[TrainingState]) -> Transcript:
    return Transcript(
        initial_state_digest=states[0].digest(),
        step_digests=tuple(state.digest() for state in states[1:]),
    )


def _check_recipe_fits(recipe: ModelRecipe, dataset: PreparedDataset) -> None:
    if recipe.feature_count != dataset.feature_count:
        raise ValueError(
            f"recipe.feature_count: {recipe.feature_count} does not match the dataset's "
            f"{dataset.feature_count} features"
        )


def batch_for_step(recipe: ModelRecipe, dataset: PreparedDataset, step_index: int) -> Batch:
    """The batch that step ``step_index`` trains on."""
    return dataset.batch(recipe.batch_row_indices(dataset.train_row_count, step_index))


def run_training(recipe: ModelRecipe, dataset: PreparedDataset) -> TrainingRun:
    """Train honestly for ``recipe.total_steps(...)`` steps, keeping every state."""
    _check_recipe_fits(recipe, dataset)
    steps_per_epoch = recipe.steps_per_epoch(dataset.train_row_count)
    states = [initial_state(recipe)]
    for epoch in range(recipe.epochs):
        order = recipe.epoch_order(dataset.train_row_count, epoch)
        for position in range(steps_per_epoch):
            batch = dataset.batch(
                order[position * recipe.batch_size : (position + 1) * recipe.batch_size]
            )
            step_index = epoch * steps_per_epoch + position
            states.append(step(states[-1], batch, public_step_values(recipe, step_index)))
    return TrainingRun(states=tuple(states), transcript=_transcript_of(states))


def train(recipe: ModelRecipe, dataset: PreparedDataset) -> tuple[TrainingState, Transcript]:
    """The final state and the transcript of an honest run."""
    run = run_training(recipe, dataset)
    return run.final_state, run.transcript


@dataclass(frozen=True)
class StepVerdict:
    """Outcome of re-executing one step.

    ``claim_correct`` is True exactly when the claimed post-state digest equals the digest of
    the re-executed post-state. ``recomputed_post_digest`` is None when the honest step
    itself is impossible (it would leave the parameter range), in which case no claim is
    correct.
    """

    claim_correct: bool
    pre_state_digest: bytes
    recomputed_post_digest: bytes | None


def resolve_step(
    recipe: ModelRecipe,
    pre_state: TrainingState,
    step_index: int,
    batch: Batch,
    claimed_post_digest: bytes,
) -> StepVerdict:
    """Re-execute step ``step_index`` from the opened ``pre_state`` on ``batch`` and judge
    ``claimed_post_digest``.

    The caller checks beforehand what this function cannot know: that
    ``pre_state.digest()`` is the pre-state digest both parties agreed on, and that ``batch``
    is the committed data of this step (``batch.row_indices ==
    recipe.batch_row_indices(rows, step_index)`` and :func:`verify_batch` against the
    dataset's training-row root). Raises :class:`StepInputError` for a malformed opening
    (wrong step counter, wrong shapes, out-of-range values).
    """
    if pre_state.step != step_index:
        raise StepInputError(f"opened pre-state is at step {pre_state.step}, not {step_index}")
    try:
        post_state = step(pre_state, batch, public_step_values(recipe, step_index))
    except ParameterRangeError:
        return StepVerdict(
            claim_correct=False, pre_state_digest=pre_state.digest(), recomputed_post_digest=None
        )
    recomputed = post_state.digest()
    return StepVerdict(
        claim_correct=recomputed == claimed_post_digest,
        pre_state_digest=pre_state.digest(),
        recomputed_post_digest=recomputed,
    )


def fabricate_lazy_run(
    recipe: ModelRecipe, dataset: PreparedDataset, diverge_from_step: int
) -> TrainingRun:
    """What a lazy vendor submits: honest steps before ``diverge_from_step``, and from that
    step on no work at all — each "post-state" is the pre-state's parameters with the step
    counter advanced. The run is internally consistent (the vendor can open every state),
    so only re-execution of step ``diverge_from_step`` exposes it."""
    honest = run_training(recipe, dataset)
    step_count = honest.transcript.step_count
    if not 0 <= diverge_from_step < step_count:
        raise ValueError(
            f"diverge_from_step: must be in [0, {step_count}), got {diverge_from_step}"
        )
    states = list(honest.states[: diverge_from_step + 1])
    while len(states) <= step_count:
        previous = states[-1]
        states.append(
            TrainingState(step=previous.step + 1, weights=previous.weights, bias=previous.bias)
        )
    return TrainingRun(states=tuple(states), transcript=_transcript_of(states))


@dataclass(frozen=True)
class DisputedStep:
    """Where two transcripts part: both agree on the pre-state of ``step_index`` and not on
    its post-state. ``queries`` counts the digests compared after the final one."""

    step_index: int
    queries: int


def bisect_transcripts(claimant: Transcript, respondent: Transcript) -> DisputedStep:
    """Binary search for a step on whose pre-state the transcripts agree and on whose
    post-state they differ (the first such step when they never re-converge).

    Invariant: the parties agree on the pre-state digest of step ``agreed`` and disagree on
    the post-state digest of step ``disputed``. Starts with ``agreed = 0`` (the pre-state of
    step 0 is fixed by the recipe) and ``disputed = T - 1`` (final digests differ), and asks
    about the midpoint until ``agreed == disputed`` — at most ceil(log2 T) queries.
    """
    if claimant.step_count != respondent.step_count or claimant.step_count == 0:
        raise ValueError("transcripts must have the same, non-zero number of steps")
    if claimant.initial_state_digest != respondent.initial_state_digest:
        raise ValueError(
            "transcripts start from different initial states; "
            "that is a recipe dispute, not a step dispute"
        )
    last = claimant.step_count - 1
    if claimant.step_digests[last] == respondent.step_digests[last]:
        raise ValueError("transcripts agree on the final state; there is nothing to bisect")
    agreed, disputed, queries = 0, last, 0
    while agreed < disputed:
        middle = (agreed + disputed) // 2
        queries += 1
        if claimant.step_digests[middle] == respondent.step_digests[middle]:
            agreed = (
                middle + 1
            )  # they agree on the post-state of ``middle`` = pre-state of ``middle + 1``
        else:
            disputed = middle
    return DisputedStep(step_index=agreed, queries=queries)
