"""The shrinker turns a failing vector into a 1-minimal failing run."""

from __future__ import annotations

import pytest

from conformance.conform import FAILED, PASSED, run_vector
from conformance.mutants import SPEC_MUTANTS, kill_matrix
from conformance.shrink import candidate, shrink, units_of
from conformance.spec_runner import SpecRunner
from mutation.patching import applied


def mutant(name):
    return next(item for item in SPEC_MUTANTS if item.name == name)


@pytest.mark.parametrize("name", ["accept-job-beyond-capacity", "read-conflict-off"])
def test_a_failing_vector_shrinks_to_a_minimal_failing_run(corpus, name):
    fault = mutant(name)
    runner = SpecRunner()
    killed = kill_matrix(runner, [fault], corpus.vectors)[0]
    original = next(vector for vector in corpus.vectors if vector.name == killed.killed_by)
    smallest = shrink(runner, original, fault=lambda: applied(fault))
    assert smallest.result.status == FAILED
    assert len(smallest.vector.steps) < len(original.steps)
    units = units_of(smallest.vector)
    for index in range(len(units)):
        shorter = candidate(smallest.vector, units[:index] + units[index + 1:])
        with applied(fault):
            assert run_vector(runner, shorter).status == PASSED, f"unit {index} is not needed"
    # without the fault the shrunk run passes: it is a consistent vector of the spec
    assert run_vector(runner, smallest.vector).status == PASSED


def test_shrinking_a_passing_vector_is_refused(corpus):
    with pytest.raises(ValueError, match="does not fail"):
        shrink(SpecRunner(), corpus.vectors[0])
