"""Shortest counterexamples: found by BFS, written as ITF, replayed by the CLI."""

import json

import pytest

from aimarket.cli import main
from traces.itf import RunTrace, TraceStep, read_trace, write_trace
from proofs.counterexample import counterexample_trace, describe_trace, write_counterexample
from proofs.explore import explore
from proofs.explore_checks import exploration_results
from mutation.patching import applied
from proofs.mutants import MUTANTS_BY_NAME
from proofs.replay import replay


def failing(exploration, name):
    return next(result for result in exploration_results(exploration, coverage=False)
                if result.name == name and not result.holds)


@pytest.fixture(scope="module")
def paid_twice(small_instance):
    """The mutant that pays a settlement twice, explored with every abstraction."""
    with applied(MUTANTS_BY_NAME["settle_pays_twice"]):
        return {abstraction: explore(small_instance, abstraction, coverage=False)
                for abstraction in ("none", "time", "symmetry")}


def test_the_counterexample_is_a_shortest_run(paid_twice):
    raw = paid_twice["none"]
    shortest = min(raw.depth[node] for node, found in raw.violations.items()
                   if "token_conservation" in dict(found))
    for abstraction, exploration in paid_twice.items():
        trace = counterexample_trace(exploration, failing(exploration, "token_conservation"))
        assert trace is not None
        assert len(trace.steps) - 1 - len(exploration.setup) == shortest, abstraction


def test_the_counterexample_starts_at_genesis_and_ends_in_the_violation(paid_twice):
    exploration = paid_twice["symmetry"]
    trace = counterexample_trace(exploration, failing(exploration, "token_conservation"),
                                 "settle_pays_twice")
    assert trace is not None
    assert trace.steps[0].call is None and trace.steps[0].market.minted == 0
    assert [item.call for item in trace.steps[1:len(exploration.setup) + 1]] == list(exploration.setup)
    final = trace.steps[-1].call
    assert final is not None and final.action == "accept_result"
    assert trace.meta["mutant"] == "settle_pays_twice"
    lines = describe_trace(trace, len(exploration.setup))
    assert "accept_result" in lines[-1] and "SETTLED" in lines[-1]


def test_a_mutant_counterexample_reproduces_under_the_mutant_and_diverges_on_the_spec(
        paid_twice, tmp_path, capsys):
    exploration = paid_twice["symmetry"]
    trace = counterexample_trace(exploration, failing(exploration, "token_conservation"),
                                 "settle_pays_twice")
    assert trace is not None
    path = write_counterexample(trace, tmp_path, "paid-twice")
    with applied(MUTANTS_BY_NAME["settle_pays_twice"]):
        report = replay(read_trace(path))
    assert report.diverged_at is None
    assert report.violated and report.violated[0][1] == "token_conservation"
    assert main(["simulate", "--replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert "DIVERGES" in out and "accept_result" in out


def test_replaying_a_run_of_the_spec_succeeds(default_exploration, tmp_path, capsys):
    exploration = default_exploration
    node = exploration.states - 1
    steps = [TraceStep(exploration.markets[0])]
    steps += [TraceStep(exploration.markets[index], exploration.parent_call[index], "accepted")
              for index in exploration.path_to(node)[1:]]
    path = write_trace(tmp_path / "run.itf.json", RunTrace(steps))
    assert main(["simulate", "--replay", str(path)]) == 0
    assert "replays exactly" in capsys.readouterr().out
    assert main(["simulate", "--replay", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["diverged_at"] is None and summary["reproduces"] is False


def test_a_deadlock_counterexample_shows_the_stuck_job(small_instance):
    with applied(MUTANTS_BY_NAME["dispute_never_times_out"]):
        exploration = explore(small_instance, "symmetry", coverage=False)
        trace = counterexample_trace(exploration, failing(exploration, "deadlock_freedom"))
        assert trace is not None
        report = replay(trace)
    assert report.stuck == ["job1"]
    assert trace.steps[-1].market.jobs["job1"].status.value == "DISPUTED"


def test_a_termination_counterexample_is_a_lasso_that_replays(small_instance):
    with applied(MUTANTS_BY_NAME["bisection_never_narrows"]):
        exploration = explore(small_instance, "symmetry", coverage=False)
        trace = counterexample_trace(exploration, failing(exploration, "termination"))
        assert trace is not None
        report = replay(trace)
    assert trace.loop is not None and trace.loop < len(trace.steps) - 1
    assert report.loop and "repeat forever" in report.loop
    assert [item.call.action for item in trace.steps[trace.loop + 1:] if item.call is not None] == [
        "bisect_query", "bisect_answer"]
    assert all(item.call is not None for item in trace.steps[trace.loop + 1:])


def test_a_crash_counterexample_ends_with_the_call_that_raised(small_instance):
    with applied(MUTANTS_BY_NAME["complaint_reads_wrong_record"]):
        exploration = explore(small_instance, "symmetry", coverage=False)
        trace = counterexample_trace(exploration, failing(exploration, "no_exceptions"))
        assert trace is not None
        report = replay(trace)
    assert trace.steps[-1].outcome == "exception"
    final = trace.steps[-1].call
    assert final is not None and final.action == "complain_inputs"
    error = report.steps[-1].error
    assert report.diverged_at is None and error is not None and error.startswith("KeyError")


def test_replay_refuses_a_file_that_is_not_a_trace(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text('{"states": []}')
    assert main(["simulate", "--replay", str(path)]) == 2
    assert "--replay" in capsys.readouterr().err
    assert main(["simulate", "--replay", str(tmp_path / "missing.json")]) == 2
