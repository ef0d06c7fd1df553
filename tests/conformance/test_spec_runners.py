"""The spec as an implementation: both spec runners pass every vector, and a runner that
reads only the meanings (not the spec's numbers) passes too."""

from __future__ import annotations

from dataclasses import replace

from conformance.conform import FAILED, run_corpus, run_vector
from conformance.spec_runner import RemappedSpecRunner, SpecRunner


def test_the_spec_runner_passes_every_vector(corpus):
    report = run_corpus(SpecRunner(), corpus.vectors)
    assert [result.name for result in report.results if not result.passed] == []
    assert report.completeness_problems() == []


def test_a_runner_that_knows_only_the_meanings_passes_every_vector(corpus):
    """RemappedSpecRunner builds commitments, deliveries and transcripts from their meaning
    with numbers of its own: the vectors carry everything an implementation needs."""
    report = run_corpus(RemappedSpecRunner(), corpus.vectors)
    assert [result.name for result in report.results if not result.passed] == []
    assert report.completeness_problems() == []


def test_a_wrong_expectation_fails_at_its_step(corpus):
    vector = next(item for item in corpus.vectors if item.name == "coverage/scenarios/settled")
    last = vector.steps[-1]
    wrong_outcome = replace(vector, steps=vector.steps[:-1] + [replace(last, outcome="WRONG_STATUS")])
    result = run_vector(SpecRunner(), wrong_outcome)
    assert result.status == FAILED and result.failed_step == len(vector.steps)
    job = last.state.jobs["job1"]
    other_state = replace(last.state, jobs={"job1": replace(job, deadline=job.deadline + 1)})
    wrong_state = replace(vector, steps=vector.steps[:-1] + [replace(last, state=other_state)])
    result = run_vector(SpecRunner(), wrong_state)
    assert result.status == FAILED and "deadline" in result.message


def test_the_remapped_runner_really_uses_other_digests(corpus):
    vector = next(item for item in corpus.vectors if item.name == "coverage/scenarios/false-dispute")
    runner = RemappedSpecRunner()
    runner.init(vector.genesis)
    for item in vector.steps:
        runner.step(item.call)
    spec = SpecRunner()
    spec.init(vector.genesis)
    for item in vector.steps:
        spec.step(item.call)
    ours, theirs = runner.market.jobs["job1"], spec.market.jobs["job1"]
    assert ours.results["vendor1"] != theirs.results["vendor1"]
    assert runner.project() == spec.project()
