"""The reference implementation (ledger + chaincode + clients) against the corpus: real
signed transactions on the embedded network, state projected from the ledger."""

from __future__ import annotations

import pytest

from conformance.conform import run_corpus
from conformance.mutants import FAULT_KINDS, kill_matrix
from conformance.reference_runner import REFERENCE_MUTANTS, ReferenceRunner

LIKELY_KILLERS = {
    "settlement-pays-fees-to-developer": "coverage/examples/misused",
    "deadline-not-checked": "coverage/examples/after-tick-2",
    "wrong-status-as-not-job-party": "coverage/examples/after-register-dataset",
    "mvcc-off": "coverage/scenarios/one-block-grants",
    "signatures-not-verified": "coverage/examples/after-register-dataset",
}
"""Where each reference mutant is expected to die first; only the order of the search."""


@pytest.fixture(scope="module")
def reference():
    runner = ReferenceRunner()
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def report(reference, corpus):
    return run_corpus(reference, corpus.vectors)


def test_the_reference_passes_every_vector(report):
    failures = [f"{result.name} step {result.failed_step}: {result.message}"
                for result in report.results if not result.passed]
    assert failures == []
    assert report.completeness_problems() == []


def test_every_reference_mutant_is_killed(reference, corpus, report):
    """Only vectors the reference passes can kill a mutant."""
    assert {mutant.kind for mutant in REFERENCE_MUTANTS} == set(FAULT_KINDS)
    passing = {result.name for result in report.results if result.passed}
    candidates = [vector for vector in corpus.vectors if vector.name in passing]
    survivors = []
    for mutant in REFERENCE_MUTANTS:
        hint = LIKELY_KILLERS.get(mutant.name)
        ordered = sorted(candidates, key=lambda vector: vector.name != hint)
        if not kill_matrix(reference, [mutant], ordered, shortest_first=False)[0].killed:
            survivors.append(mutant.name)
    assert survivors == [], f"survived the {len(candidates)} vectors the reference passes"


def test_the_reference_matches_the_spec_on_hypothesis_sequences(reference):
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from conformance.testing import comparison_machine

    run_state_machine_as_test(comparison_machine(lambda: reference), settings=settings(
        max_examples=4, stateful_step_count=25, deadline=None, derandomize=True,
        database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
