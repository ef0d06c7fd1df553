"""The conformance suite as a pytest plugin and a Hypothesis state machine, for any
implementation of the protocol.

One command runs the whole suite against your implementation, from any directory::

    pytest -p conformance.testing --aimarket-runner mypackage.runner:MyRunner path/to/vectors
    pytest -p conformance.testing --aimarket-runner "exec:node runner.js" path/to/vectors

``MyRunner`` implements :class:`conformance.runner.Runner` (the current directory is
searched for ``mypackage``); ``exec:COMMAND`` runs a program in any language that speaks
the bridge protocol (:mod:`conformance.bridge`); ``spec`` and ``reference`` name the
shipped runners. The corpus directory carries its own ``pytest.ini``, so the run does not
pick up the configuration of a project around it and writes no cache. The plugin collects the
corpus's ``manifest.json`` into one test per vector (a failing vector is shrunk to a minimal
trace, printed with its seed), then ``every-vector-executed`` — the consumer-side check that
every vector of the manifest ran to its last step (deselecting or skipping a vector fails
it) — and ``stateful-comparison``: a Hypothesis state machine that drives your
implementation and the spec side by side over several concurrent jobs and compares
outcomes and abstract states after every call (``--aimarket-stateful N`` examples, 0 to
turn it off; ``--aimarket-seed S`` fixes its run, so the same bug fails the same way every
time, and its report is the differing call and the calls before it).

The state machine is also usable on its own: :func:`comparison_machine` returns a
:class:`hypothesis.stateful.RuleBasedStateMachine` for a runner factory; put
``TestMine = comparison_machine(MyRunner).TestCase`` in a test module.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from conformance.conform import (
    FAILED,
    SKIPPED,
    ConformReport,
    CountingRunner,
    describe,
    load_corpus,
    VectorResult,
    run_vector,
)
from traces.itf import ACCEPTED
from conformance.projection import differences, project
from conformance.runner import Runner
from conformance.semantics import DigestLabeller, describe_call
from conformance.vectors import Genesis, Vector, VectorCall
from spec.actions import CATALOGUE, ENVIRONMENT, Call, call
from spec.machine import step
from spec.world import Instance, make_instance, setup_calls
from spec.state import Market, genesis
from walks.moves import adversarial_moves, protocol_moves

COMPARISON_INSTANCE = make_instance(data_owners=3, developers=2, vendors=3, jobs=3,
                                    datasets_per_job=2, vendors_per_job=2, steps=3, window=2,
                                    vendor_capacity=2, licence_uses=10**6, licence_expiry=10**6)
"""The world of the stateful comparison: three job templates open at once."""
TRACE_SHOWN = 25
"""How many of the calls before a difference the stateful comparison's report shows."""


def load_runner_factory(text: str, timeout: float | None = None) -> Callable[[], Runner]:
    """The runner named ``text``: ``spec``, ``reference``, ``module:Class`` or
    ``exec:COMMAND`` (:mod:`conformance.loading`, as ``aimarket conform --runner``)."""
    from conformance.bridge import DEFAULT_TIMEOUT
    from conformance.loading import RunnerNameError, runner_factory
    try:
        return runner_factory(text, timeout or DEFAULT_TIMEOUT)
    except RunnerNameError as error:
        raise pytest.UsageError(f"--aimarket-runner: {error}") from None


# ---------------------------------------------------------------------------------------
# The spec as an oracle, call by call
# ---------------------------------------------------------------------------------------

class SpecOracle:
    """The spec's market, one call at a time: what a call means, how it must end, and the
    abstract state after it."""

    def __init__(self, parameters: Genesis):
        self.market: Market = genesis(parameters.dispute_cost, parameters.audit_probability)
        self.labeller = DigestLabeller()

    def prepare(self, made: Call) -> VectorCall:
        return VectorCall.from_spec(made, describe_call(self.market, made, self.labeller))

    def apply(self, made: Call) -> str:
        result = step(self.market, made)
        self.market = result.market
        return ACCEPTED if result.rejection is None else result.rejection.value

    def state(self):
        return project(self.market, self.labeller)


def comparison_machine(runner_factory: Callable[[], Runner],
                       instance: Instance = COMPARISON_INSTANCE):
    """A Hypothesis state machine comparing ``runner_factory()`` with the spec."""
    from hypothesis import strategies
    from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

    parameters = Genesis(instance.dispute_cost, Fraction(instance.audit_probability))

    class ComparisonMachine(RuleBasedStateMachine):
        runner: Runner | None = None

        def __init__(self) -> None:
            super().__init__()
            if ComparisonMachine.runner is None:
                ComparisonMachine.runner = runner_factory()
            self.implementation = ComparisonMachine.runner
            self.oracle = SpecOracle(parameters)
            self.trace: list[str] = []

        def history(self, calls: list[str]) -> str:
            shown = calls[-TRACE_SHOWN:]
            skipped = len(calls) - len(shown)
            return ((f"after {len(calls)} calls (the last {len(shown)} shown):\n  " if skipped
                     else f"after {len(calls)} calls:\n  ") + "\n  ".join(shown))

        def check(self, made: VectorCall, expected: str, actual: str) -> None:
            self.trace.append(f"{describe(made)} -> {expected}")
            assert actual == expected, (f"{describe(made)}: expected {expected}, got {actual}\n"
                                        + self.history(self.trace[:-1]))

        def make(self, made: Call) -> None:
            vector_call = self.oracle.prepare(made)
            expected = self.oracle.apply(made)
            self.check(vector_call, expected, self.implementation.step(vector_call))

        @initialize()
        def set_up(self) -> None:
            self.implementation.init(parameters)
            for made in setup_calls(instance):
                self.make(made)

        @rule(choice=strategies.integers(min_value=0, max_value=10_000))
        def protocol_move(self, choice: int) -> None:
            moves = protocol_moves(self.oracle.market, instance) or [call("tick", ENVIRONMENT)]
            self.make(moves[choice % len(moves)])

        @rule(seed=strategies.integers(min_value=0, max_value=2**32 - 1))
        def malformed_move(self, seed: int) -> None:
            self.make(adversarial_moves(self.oracle.market, instance, random.Random(seed), 1)[0])

        @rule(choice=strategies.integers(min_value=0, max_value=10_000))
        def two_moves_in_one_block(self, choice: int) -> None:
            moves = [move for move in protocol_moves(self.oracle.market, instance)
                     if CATALOGUE[move.action].kind == "ledger" and "job" in move.args]
            if not moves:
                return
            first = moves[choice % len(moves)]
            first_call = self.oracle.prepare(first)
            first_expected = self.oracle.apply(first)
            followers = [move for move in protocol_moves(self.oracle.market, instance)
                         if CATALOGUE[move.action].kind == "ledger"
                         and move.args.get("job") == first.args["job"]] or [first]
            second = followers[choice % len(followers)]
            second_call = self.oracle.prepare(second)
            second_expected = self.oracle.apply(second)
            first_actual, second_actual = self.implementation.step_concurrently(first_call,
                                                                                 second_call)
            self.check(first_call, first_expected, first_actual)
            self.check(second_call, second_expected, second_actual)

        @invariant()
        def same_state(self) -> None:
            if not self.trace:
                return
            found = differences(self.oracle.state(), self.implementation.project())
            assert not found, "; ".join(found) + "\n" + self.history(self.trace)

    return ComparisonMachine


# ---------------------------------------------------------------------------------------
# The pytest plugin
# ---------------------------------------------------------------------------------------

def pytest_addoption(parser) -> None:
    group = parser.getgroup("aimarket-conformance", "aimarket conformance suite")
    group.addoption("--aimarket-runner", default=None, metavar="RUNNER",
                    help="the implementation under test: spec, reference, module:Class of a "
                         "conformance.runner.Runner, or exec:COMMAND (bridge protocol); "
                         "collects the manifest.json of every corpus directory given")
    group.addoption("--aimarket-seed", type=int, default=0, metavar="SEED",
                    help="seed of the stateful comparison (default 0): the same seed and "
                         "implementation give the same run")
    group.addoption("--aimarket-timeout", type=float, default=None, metavar="S",
                    help="seconds an exec: runner may take per request (default 60)")
    group.addoption("--aimarket-stateful", type=int, default=20, metavar="N",
                    help="Hypothesis examples of the stateful comparison (0: do not run it)")


def pytest_collect_file(file_path: Path, parent):
    if file_path.name == "manifest.json" and parent.config.getoption("aimarket_runner"):
        return CorpusFile.from_parent(parent, path=file_path)
    return None


class SuiteState:
    """Shared by the items of one corpus: the runner (made once) and what ran."""

    def __init__(self, factory: Callable[[], Runner], vectors: list[Vector]):
        self.factory = factory
        self.vectors = vectors
        self.counting: CountingRunner | None = None
        self.results: list[VectorResult] = []

    def runner(self) -> CountingRunner:
        if self.counting is None:
            self.counting = CountingRunner(self.factory())
        return self.counting


class CorpusFile(pytest.File):
    def collect(self):
        from conformance.conform import CorpusError

        factory = load_runner_factory(self.config.getoption("aimarket_runner"),
                                      self.config.getoption("aimarket_timeout"))
        try:
            corpus = load_corpus(self.path.parent)
        except CorpusError as error:
            raise pytest.UsageError(f"{self.path.parent}: {error}") from None
        state = SuiteState(factory, corpus.vectors)
        for vector in corpus.vectors:
            yield VectorItem.from_parent(self, name=vector.name, vector=vector, state=state)
        yield CompletenessItem.from_parent(self, name="every-vector-executed", state=state)
        examples = self.config.getoption("aimarket_stateful")
        if examples > 0:
            yield StatefulItem.from_parent(self, name="stateful-comparison", state=state,
                                           examples=examples,
                                           seed=self.config.getoption("aimarket_seed"))


class VectorFailure(Exception):
    pass


class VectorItem(pytest.Item):
    def __init__(self, *, vector: Vector, state: SuiteState, **kwargs: Any):
        super().__init__(**kwargs)
        self.vector = vector
        self.state = state

    def runtest(self) -> None:
        from conformance.shrink import shrink

        runner = self.state.runner()
        result = run_vector(runner, self.vector)
        self.state.results.append(result)
        if result.status == SKIPPED:
            pytest.skip(result.message)
        if result.status == FAILED:
            lines = [f"{self.vector.name} fails at {result.where}: {result.message}"]
            if result.expected is not None:
                lines.append(f"expected: {json.dumps(result.expected)}")
                lines.append(f"actual:   {json.dumps(result.actual)}")
            if result.detail:
                lines.append("the implementation reported:")
                lines += ["  | " + line for line in result.detail.rstrip().splitlines()[-12:]]
            if self.vector.seed is not None:
                lines.append(f"seed: {self.vector.seed}")
            try:
                smallest = shrink(runner.inner, self.vector)
                lines.append(f"minimal failing trace ({len(smallest.vector.steps)} of "
                             f"{len(self.vector.steps)} steps):")
                lines += [f"  {number:>3}. {describe(item.call)} -> {item.outcome}"
                          + (" [same block as the previous]" if item.concurrent else "")
                          for number, item in enumerate(smallest.vector.steps, start=1)]
                lines.append(f"  fails at step {smallest.result.file_step}: "
                             f"{smallest.result.message}")
            except ValueError as reason:  # the failure did not reproduce
                lines.append(f"(not shrunk: {reason})")
            raise VectorFailure("\n".join(lines))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, VectorFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"vector {self.vector.name}"


class CompletenessItem(pytest.Item):
    def __init__(self, *, state: SuiteState, **kwargs: Any):
        super().__init__(**kwargs)
        self.state = state

    def runtest(self) -> None:
        counted = self.state.counting.calls if self.state.counting is not None else {}
        report = ConformReport("implementation", self.state.results, self.state.vectors,
                               dict(counted))
        problems = report.completeness_problems()
        if problems:
            raise VectorFailure(f"{len(problems)} vector(s) not executed to their last step:\n  "
                                + "\n  ".join(problems[:30]))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, VectorFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, "every vector executed"


class StatefulItem(pytest.Item):
    def __init__(self, *, state: SuiteState, examples: int, seed: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.state = state
        self.examples = examples
        self.seed = seed

    def runtest(self) -> None:
        from hypothesis import HealthCheck, Verbosity, seed, settings
        from hypothesis.stateful import run_state_machine_as_test

        machine = seed(self.seed)(comparison_machine(lambda: self.state.runner().inner))
        run_state_machine_as_test(machine, settings=settings(
            max_examples=self.examples, stateful_step_count=30, deadline=None, database=None,
            derandomize=False, print_blob=False, verbosity=Verbosity.quiet,
            suppress_health_check=list(HealthCheck)))

    def repr_failure(self, excinfo, style=None):
        error = excinfo.value
        lines = [f"the implementation differs from the spec (seed {self.seed}; the same seed "
                 f"replays this run: --aimarket-seed {self.seed}):"]
        if isinstance(error, AssertionError):
            lines.append(str(error))
        else:
            lines.append(f"the implementation raised {type(error).__name__}: {error}")
            detail = getattr(error, "detail", None)
            if detail:
                lines += ["  | " + line for line in str(detail).rstrip().splitlines()[-12:]]
            else:
                lines.append(str(excinfo.getrepr(style="short", chain=False)).strip()[-2000:])
        return "\n".join(lines)

    def reportinfo(self):
        return self.path, None, "stateful comparison with the spec"
