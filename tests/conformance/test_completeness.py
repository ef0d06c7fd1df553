"""The consumer-side check: a vector skipped, cut short or never run fails the run."""

from __future__ import annotations

from conformance.conform import ConformReport, run_corpus
from conformance.runner import Unsupported
from conformance.spec_runner import SpecRunner


class NoMisuse(SpecRunner):
    """An implementation that cannot play the off-chain misuse event."""

    def step(self, call):
        if call.action == "misuse_data":
            raise Unsupported("no misuse_data")
        return super().step(call)


def test_every_vector_run_passes_the_check(corpus):
    report = run_corpus(SpecRunner(), corpus.vectors)
    assert report.completeness_problems() == []
    assert report.skipped == 0 and report.passed == len(corpus.vectors)


def test_a_skipped_vector_fails_the_check_and_is_not_counted_as_passed(corpus):
    report = run_corpus(NoMisuse(), corpus.vectors)
    assert report.skipped > 0
    assert report.passed + report.skipped + report.failed == len(corpus.vectors)
    problems = report.completeness_problems()
    assert problems and all("skipped" in problem for problem in problems)


def test_a_vector_never_run_fails_the_check(corpus):
    report = run_corpus(SpecRunner(), corpus.vectors[:-1])
    everything = ConformReport(report.runner, report.results, corpus.vectors, report.counted)
    assert everything.completeness_problems() == [f"{corpus.vectors[-1].name}: never executed"]


def test_a_loop_that_claims_more_than_the_runner_received_fails_the_check(corpus):
    report = run_corpus(SpecRunner(), corpus.vectors)
    name = corpus.vectors[5].name
    report.counted[name] -= 1
    assert report.completeness_problems() == [
        f"{name}: the runner received {len(corpus.vectors[5].steps) - 1} of "
        f"{len(corpus.vectors[5].steps)} calls"]
