"""Mutation testing: faults injected into an implementation, which the corpus must catch.

A mutant (:class:`mutation.patching.Mutant`, the project's one mutation framework) is a
named fault of one of five kinds (:data:`FAULT_KINDS`) made of patches that
:func:`~mutation.patching.applied` puts in force in memory — each replaces a function or a
table entry of the implementation for the duration of the ``with`` block, and restores it
after. A vector
*kills* a mutant when it fails while the mutant is active and passes without it;
:func:`kill_matrix` runs the corpus under each mutant and records the first killing vector
(and the step at which it fails).

:data:`SPEC_MUTANTS` mutate the spec (the spec runners run the spec, so a fault in the spec
is a fault in that implementation) and the spec runners' two "ledger" functions
(:func:`conformance.spec_ledger.read_conflict`, :func:`conformance.spec_ledger.signer_of`).
The reference runner's mutants live with it (:mod:`conformance.reference_runner`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from conformance.conform import FAILED, run_vector
from conformance.runner import Runner
from conformance.vectors import Vector
from mutation.patching import Mutant, Patch, applied

FAULT_KINDS = (
    "pays the wrong party",
    "skips a guard",
    "returns the wrong rejection code",
    "MVCC check off",
    "accepts a bad signature",
)


def fault(name: str, kind: str, description: str,
          patches: Callable[[], Sequence[Patch]]) -> Mutant:
    """A mutant of the conformance suite: a fault of one of :data:`FAULT_KINDS`."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"mutant {name}: unknown fault kind {kind!r}")
    return Mutant(name, description, patches, kind)


# ---------------------------------------------------------------------------------------
# Faults in the spec
# ---------------------------------------------------------------------------------------

def _catalogue_guard(action: str, make_guard: Callable[[Callable], Callable]
                     ) -> Callable[[], tuple[Patch, ...]]:
    """Patches replacing the guard of ``action`` in the catalogue with ``make_guard(old)``."""
    def patches() -> tuple[Patch, ...]:
        from spec.actions import CATALOGUE
        original = CATALOGUE[action]
        return (Patch(CATALOGUE, action, replace(original, guard=make_guard(original.guard))),)
    return patches


def _settlement_pays_fees_to_developer():
    import spec.actions as actions
    original = actions.pay_settlement

    def pay_settlement(market, job, guilty=frozenset(), misuser=None, developer_bond_to=None):
        payouts = original(market, job, guilty, misuser, developer_bond_to)
        fees = {vendor: actions.fee_of(market, vendor) for vendor in job.vendors}
        moved = []
        for account, amount in payouts:
            if account in fees and amount >= fees[account]:
                moved.append((account, amount - fees[account]))
                moved.append((job.developer, fees[account]))
            else:
                moved.append((account, amount))
        return moved
    return (Patch(actions, "pay_settlement", pay_settlement),)


def _refund_all_to_developer():
    import spec.actions as actions

    def refund_everyone(market, job):
        return [(job.developer, amount) for _, amount in job.deposits.items()]
    return (Patch(actions, "refund_everyone", refund_everyone),)


def _false_complaint_stake_to_complainant():
    import spec.actions as actions
    original = actions.pay_false_complaint

    def pay_false_complaint(market, job, complainant):
        return [(complainant if account == actions.TREASURY else account, amount)
                for account, amount in original(market, job, complainant)]
    return (Patch(actions, "pay_false_complaint", pay_false_complaint),)


def _without_code(code_name: str):
    """A guard that lets through what the original refuses with ``code_name``."""
    def make(original):
        from spec.rejections import Rejection

        def guard(market, call):
            rejection = original(market, call)
            return None if rejection == Rejection(code_name) else rejection
        return guard
    return make


def _code_swapped(from_code: str, to_code: str):
    def make(original):
        from spec.rejections import Rejection

        def guard(market, call):
            rejection = original(market, call)
            return Rejection(to_code) if rejection == Rejection(from_code) else rejection
        return guard
    return make


def _timeout_one_tick_early():
    import spec.actions as actions
    return (Patch(actions, "deadline_passed", lambda market, job: market.now >= job.deadline),)


def _read_conflict_off():
    import conformance.spec_ledger as spec_ledger
    return (Patch(spec_ledger, "read_conflict", lambda first, second: False),)


def _forged_signature_believed():
    import conformance.spec_ledger as spec_ledger
    return (Patch(spec_ledger, "signer_of", lambda call: call.forges or call.actor),)


SPEC_MUTANTS: tuple[Mutant, ...] = (
    fault("settlement-pays-fees-to-developer", "pays the wrong party",
          "every settlement pays the vendors' fees to the developer", _settlement_pays_fees_to_developer),
    fault("refund-all-to-developer", "pays the wrong party",
          "a cancelled or expired job refunds every deposit to the developer", _refund_all_to_developer),
    fault("false-complaint-stake-to-complainant", "pays the wrong party",
          "what a false complaint forfeits to the treasury goes to the complainant",
          _false_complaint_stake_to_complainant),
    fault("accept-job-after-deadline", "skips a guard",
          "accept_job does not check the deadline",
          _catalogue_guard("accept_job", _without_code("DEADLINE_PASSED"))),
    fault("accept-job-beyond-capacity", "skips a guard",
          "accept_job does not check the vendor's capacity",
          _catalogue_guard("accept_job", _without_code("VENDOR_AT_CAPACITY"))),
    fault("bisect-out-of-turn", "skips a guard",
          "bisect_answer does not check whose turn it is",
          _catalogue_guard("bisect_answer", _without_code("NOT_YOUR_TURN"))),
    fault("timeout-one-tick-early", "skips a guard",
          "deadlines count as passed on the deadline's own tick", _timeout_one_tick_early),
    fault("submit-unconfirmed-as-already-answered", "returns the wrong rejection code",
          "submit_result before confirming inputs answers ALREADY_ANSWERED",
          _catalogue_guard("submit_result", _code_swapped("INPUTS_NOT_CONFIRMED", "ALREADY_ANSWERED"))),
    fault("grant-unknown-job-as-wrong-status", "returns the wrong rejection code",
          "grant_access on an unknown job answers WRONG_STATUS",
          _catalogue_guard("grant_access", _code_swapped("UNKNOWN_JOB", "WRONG_STATUS"))),
    fault("read-conflict-off", "MVCC check off",
          "two calls in one block: the second keeps what it computed on the old state",
          _read_conflict_off),
    fault("forged-signature-believed", "accepts a bad signature",
          "a call with another identity's credentials runs as that identity",
          _forged_signature_believed),
)


# ---------------------------------------------------------------------------------------
# The kill matrix
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    killed_by: str | None
    """The first vector that failed under the mutant (None: the mutant survived)."""
    step: int | None = None
    """The failing step's number in the file that holds it (as in failure reports)."""
    message: str = ""

    @property
    def killed(self) -> bool:
        return self.killed_by is not None


def kill_matrix(runner: Runner, mutants: Sequence[Mutant], vectors: Sequence[Vector],
                progress: Callable[[MutantResult], None] | None = None,
                shortest_first: bool = True) -> list[MutantResult]:
    """Run ``vectors`` under each mutant until one kills it (shortest vectors first, unless
    ``shortest_first`` is false: then in the order given).

    A vector kills a mutant when it fails with the mutant injected *and passes without it*:
    a vector the implementation fails anyway proves nothing about the fault.
    """
    ordered = sorted(vectors, key=lambda vector: len(vector.steps)) if shortest_first else list(vectors)
    clean: dict[str, bool] = {}
    results = []
    for mutant in mutants:
        outcome = MutantResult(mutant, None)
        for vector in ordered:
            with applied(mutant):
                result = run_vector(runner, vector)
            if result.status != FAILED:
                continue
            if vector.name not in clean:
                clean[vector.name] = run_vector(runner, vector).passed
            if clean[vector.name]:
                outcome = MutantResult(mutant, vector.name, result.file_step, result.message)
                break
        results.append(outcome)
        if progress is not None:
            progress(outcome)
    return results
