"""Training as the dispute game sees it: a deterministic chain of step digests.

Training is deterministic and re-executable step by step: the state after step ``i`` is a
pure function of the state after step ``i - 1``, the step number and the vendor's own
inputs. The spec abstracts a training state to its digest, a whole number below
:data:`DIGEST_MODULUS`, and the step function to :func:`step_digest`. A transcript is the
tuple of digests after steps ``1 .. T``; the digest "after step 0" is the initial digest
both sides agree on, derived from the commitments of the model and the datasets.

A vendor that skips the work produces a transcript that is wrong from some step on;
:func:`divergent_transcript` builds such a transcript for exploration and tests.
"""

from __future__ import annotations

from collections.abc import Sequence

DIGEST_MODULUS = 1_000_003
"""Digests are whole numbers below this prime."""


def initial_digest(model_commitment: int, dataset_commitments: Sequence[int], position: int) -> int:
    """The agreed state before step 1 of the vendor at ``position`` among the job's vendors."""
    combined = model_commitment * 7919
    for commitment in dataset_commitments:
        combined = combined * 31 + commitment
    return (combined * 131 + position + 1) % DIGEST_MODULUS


def step_digest(previous: int, step: int) -> int:
    """Re-execute step ``step`` from the state whose digest is ``previous``."""
    return (previous * 48271 + step * 7 + 11) % DIGEST_MODULUS


def honest_transcript(start: int, steps: int) -> tuple[int, ...]:
    """The transcript of an honest vendor: every step re-executed from the previous one."""
    digests = []
    current = start
    for step in range(1, steps + 1):
        current = step_digest(current, step)
        digests.append(current)
    return tuple(digests)


def divergent_transcript(start: int, steps: int, first_wrong_step: int) -> tuple[int, ...]:
    """A transcript that is right before ``first_wrong_step`` and wrong at it and after it."""
    honest = honest_transcript(start, steps)
    return tuple(
        digest if step < first_wrong_step else (digest + 1) % DIGEST_MODULUS
        for step, digest in enumerate(honest, start=1)
    )


def tampered_transcript(start: int, steps: int, tampered_step: int) -> tuple[int, ...]:
    """The transcript of a vendor whose step record at ``tampered_step`` carries no
    well-formed sender check (a sender fault): off by two from that step on, where a lazy
    vendor's (a state fault) is off by one."""
    honest = honest_transcript(start, steps)
    return tuple(
        digest if step < tampered_step else (digest + 2) % DIGEST_MODULUS
        for step, digest in enumerate(honest, start=1)
    )


SENDER_OFFSET = 2
"""How far a sender fault's record digest is off the step function (a state fault's: 1)."""


def digest_at(start: int, transcript: Sequence[int], index: int) -> int:
    """The digest after step ``index`` of a transcript (index 0 is the agreed start)."""
    return start if index == 0 else transcript[index - 1]
