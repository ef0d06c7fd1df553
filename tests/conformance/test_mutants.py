"""Mutation testing of the spec runners: the corpus kills every injected fault."""

from __future__ import annotations

from conformance.mutants import FAULT_KINDS, SPEC_MUTANTS, kill_matrix
from conformance.spec_runner import RemappedSpecRunner, SpecRunner
from mutation.patching import applied


def test_the_catalogue_has_every_kind_of_fault():
    assert {mutant.kind for mutant in SPEC_MUTANTS} == set(FAULT_KINDS)
    assert len({mutant.name for mutant in SPEC_MUTANTS}) == len(SPEC_MUTANTS)


def test_every_spec_mutant_is_killed(corpus):
    results = kill_matrix(SpecRunner(), SPEC_MUTANTS, corpus.vectors)
    assert [result.mutant.name for result in results if not result.killed] == []


def test_every_spec_mutant_is_killed_by_the_meanings_alone(corpus):
    results = kill_matrix(RemappedSpecRunner(), SPEC_MUTANTS, corpus.vectors)
    assert [result.mutant.name for result in results if not result.killed] == []


def test_a_mutant_is_undone_after_its_block(corpus):
    short = sorted(corpus.vectors, key=lambda vector: len(vector.steps))[:10]
    for mutant in SPEC_MUTANTS:
        with applied(mutant):
            pass
    assert all(result.passed for result in
               __import__("conformance.conform", fromlist=["run_corpus"]).run_corpus(
                   SpecRunner(), short).results)
