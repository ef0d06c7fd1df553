"""The checks behind ``aimarket check``: a registry of providers, and the model checker's.

A **check provider** is a named function that runs some checks and returns their
results (:class:`ProviderReport`). ``aimarket check`` runs every provider of
:data:`PROVIDER_MODULES` in order, shows progress, prints one table row per
:class:`CheckResult` and exits 1 if any result fails.

To add checks of another kind (as the Z3 incentive proofs do, ``kind="incentive"``, in
:mod:`proofs.incentive_check`), write a module that defines ``PROVIDERS``, a list of
:class:`CheckProvider`, and add the module's name to :data:`PROVIDER_MODULES`::

    # proofs/incentive_check.py
    from proofs.check import CheckContext, CheckProvider, CheckResult, ProviderReport

    def run_incentives(context: CheckContext) -> ProviderReport:
        task = context.progress.task("incentive proofs", total=3)
        ...
        return ProviderReport([CheckResult("weak_immunity", "incentive", True, ...)])

    PROVIDERS = [CheckProvider("incentives", "incentive", run_incentives)]

A provider should honour ``context.selected(kind)`` (the user may ask for some kinds
only), report progress through ``context.progress`` and write any counterexample under
``context.trace_dir``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proofs.counterexample import counterexample_trace, write_counterexample
from proofs.explore import Exploration, explore
from proofs.explore_checks import (
    PropertyResult,
    coverage_result,
    exploration_results,
)
from proofs.explore_coverage import Coverage, expected_outcomes
from proofs.explore_reduction import check_reduction
from proofs.explore_symmetry import SymmetryKeys
from proofs.explore_time import TimeKeys, static_horizon
from proofs.explore_soundness import check_bisimulation, verdicts_agree
from spec.scenarios import Instance, make_instance, setup

PROVIDER_MODULES: tuple[str, ...] = (
    "proofs.check",
    "proofs.incentive_check",
    "proofs.privacy_check",
)
"""Modules whose ``PROVIDERS`` list the check providers, in the order they run."""


# ---------------------------------------------------------------------------------------
# Results and the registry
# ---------------------------------------------------------------------------------------

@dataclass
class CheckResult:
    """One verdict: a property of some kind, on some instance (or "all")."""

    name: str
    kind: str
    holds: bool
    detail: str
    instance: str = "-"
    states: int | None = None
    transitions: int | None = None
    seconds: float = 0.0
    counterexample: str | None = None
    """Path of the ITF file of a shortest counterexample, when there is one."""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "fails"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "verdict": self.verdict,
                "instance": self.instance, "states": self.states,
                "transitions": self.transitions, "seconds": round(self.seconds, 3),
                "detail": self.detail, "counterexample": self.counterexample, **self.data}


@dataclass
class ProviderReport:
    results: list[CheckResult] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    """Extra top-level JSON sections (for example ``"mutants"``)."""


class Progress:
    """Progress reporting; the CLI passes one that draws bars, tests a silent one."""

    def task(self, description: str, total: int | None = None) -> "ProgressTask":
        return ProgressTask()


class ProgressTask:
    def update(self, completed: int | None = None, total: int | None = None,
               description: str | None = None) -> None:
        pass

    def done(self) -> None:
        pass


@dataclass
class CheckContext:
    """What a provider is asked to do."""

    instances: list[tuple[str, Instance]]
    """The explicit-state instances (name, instance); the first is the main one."""
    proof_instances: list[tuple[str, Instance]]
    """Instances for the Z3 inductive proof."""
    soundness_instances: list[tuple[str, Instance]]
    """Small instances on which the abstractions are checked against no abstraction."""
    mutant_instance: tuple[str, Instance]
    kinds: frozenset[str] | None = None
    """Kinds of checks to run (None: all)."""
    trace_dir: Path | None = None
    progress: Progress = field(default_factory=Progress)
    abstraction: str = "symmetry"
    reduction: str = "none"
    """Move reduction of the explorations (``proofs.explore.REDUCTIONS``)."""
    complete_mutants: bool = False
    """Find every check that kills each mutant (slower) rather than the first that does."""

    def selected(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


@dataclass(frozen=True)
class CheckProvider:
    name: str
    kind: str
    """The main kind of its results (a provider may report other kinds too)."""
    run: Callable[[CheckContext], ProviderReport]
    kinds: tuple[str, ...] = ()
    """Every kind of result the provider can report (default: ``(kind,)``)."""

    def reports(self, kinds: frozenset[str] | None) -> bool:
        return kinds is None or bool(kinds & set(self.kinds or (self.kind,)))


def providers() -> list[CheckProvider]:
    """Every registered provider, in order."""
    found: list[CheckProvider] = []
    for module_name in PROVIDER_MODULES:
        found += list(importlib.import_module(module_name).PROVIDERS)
    return found


@dataclass
class CheckReport:
    results: list[CheckResult]
    sections: dict[str, Any]
    seconds: float

    @property
    def holds(self) -> bool:
        return all(result.holds for result in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"properties": [result.to_json() for result in self.results], **self.sections,
                "verdict": "holds" if self.holds else "fails", "seconds": round(self.seconds, 3)}


def run_checks(context: CheckContext, chosen: list[CheckProvider] | None = None) -> CheckReport:
    started = time.perf_counter()
    results: list[CheckResult] = []
    sections: dict[str, Any] = {}
    for provider in chosen if chosen is not None else providers():
        if not provider.reports(context.kinds):
            continue
        report = provider.run(context)
        results += report.results
        sections.update(report.sections)
    return CheckReport(results, sections, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------
# The default instances
# ---------------------------------------------------------------------------------------

def default_instance() -> Instance:
    """The main instance: one job over two datasets and two vendors, two training steps
    (bisection has a round), idle parties of every role (a third owner, a second
    developer, a third vendor) so that "not a party of this job" can be tried, and
    single-use licences so that a second request finds them exhausted."""
    return make_instance(data_owners=3, developers=2, vendors=3, jobs=1, datasets_per_job=2,
                         vendors_per_job=2, steps=2, window=1, licence_uses=1)


def shared_vendor_instance() -> Instance:
    """Two concurrent jobs of two developers sharing one vendor of capacity one."""
    return make_instance(data_owners=2, developers=2, vendors=1, jobs=2, datasets_per_job=1,
                         vendors_per_job=1, steps=1, vendor_capacity=1)


def shared_licence_instance() -> Instance:
    """Two concurrent jobs sharing one dataset whose licence has a single use and expires
    at time 0 (a request after the first tick finds it expired)."""
    return make_instance(data_owners=1, developers=2, vendors=2, jobs=2, datasets_per_job=1,
                         vendors_per_job=1, steps=1, licence_uses=1, licence_expiry=0)


def concurrent_instance() -> Instance:
    """Three owners, three vendors, two concurrent jobs of two developers sharing a vendor
    and a dataset (job1: data1, data2 by vendor1, vendor2; job2: data2, data3 by vendor2,
    vendor3), one training step. Checked in full with the misuse reduction (decision
    0056) by ``make check-large``, not by ``make check``."""
    return make_instance(data_owners=3, developers=2, vendors=3, jobs=2, datasets_per_job=2,
                         vendors_per_job=2, steps=1)


def proof_instance() -> Instance:
    """The inductive proof's main instance: one job, one dataset, two vendors (disputes
    one vendor after another), two training steps."""
    return make_instance(data_owners=1, developers=1, vendors=2, jobs=1, datasets_per_job=1,
                         vendors_per_job=2, steps=2)


def soundness_instance() -> Instance:
    """A small instance explored without abstraction to check the abstractions: two
    interchangeable owners, two training steps (bisection digests), one vendor."""
    return make_instance(data_owners=2, developers=1, vendors=1, jobs=1, datasets_per_job=2,
                         vendors_per_job=1, steps=2)


def default_context(**overrides) -> CheckContext:
    context = CheckContext(
        instances=[("single-job", default_instance()), ("shared-vendor", shared_vendor_instance()),
                   ("shared-licence", shared_licence_instance())],
        proof_instances=[("proof-single-job", proof_instance()),
                         ("shared-licence", shared_licence_instance())],
        soundness_instances=[("two-owners", soundness_instance()),
                             ("shared-licence", shared_licence_instance())],
        mutant_instance=("single-job", default_instance()),
    )
    for name, value in overrides.items():
        setattr(context, name, value)
    return context


# ---------------------------------------------------------------------------------------
# The model checker's providers
# ---------------------------------------------------------------------------------------

def _trace_name(*parts: str) -> str:
    return "-".join(part.replace("/", "_").replace(" ", "_") for part in parts if part)


def write_witness(context: CheckContext, exploration: Exploration, result: PropertyResult,
                  instance_name: str, mutant: str | None = None) -> str | None:
    """Write the shortest counterexample of a failing result; its path, or None."""
    if context.trace_dir is None or result.holds:
        return None
    trace = counterexample_trace(exploration, result, mutant)
    if trace is None:
        return None
    path = write_counterexample(trace, context.trace_dir, _trace_name(mutant or "", instance_name,
                                                                       result.name))
    return str(path)


def run_exploration(context: CheckContext) -> ProviderReport:
    """Explore every instance; every property per instance, rejection coverage overall."""
    report = ProviderReport()
    kinds_here = {"invariant", "safety", "deadlock", "termination", "abstraction", "goal",
                  "coverage"}
    if context.kinds is not None and not (context.kinds & kinds_here):
        return report
    targets = frozenset((action, outcome) for action, outcomes in expected_outcomes().items()
                        for outcome in outcomes)
    # The excluded pairs stay targets: they are still looked for, and reaching one fails
    # the coverage check (a stale exclusion).
    coverage = Coverage(targets=targets)
    total_states = total_transitions = 0
    total_seconds = 0.0
    # The small concurrent instances first: they cover codes the main one cannot reach,
    # so fewer malformed variants are tried on the big one.
    for name, instance in reversed(context.instances):
        task = context.progress.task(f"explore {name}", total=None)
        exploration = explore(instance, context.abstraction,
                              coverage=coverage if context.selected("coverage") else False,
                              reduction=context.reduction,
                              progress=lambda found, done: task.update(
                                  completed=done, total=found,
                                  description=f"explore {name}: {found} states"))
        task.done()
        total_states += exploration.states
        total_transitions += exploration.transitions
        total_seconds += exploration.seconds
        for result in exploration_results(exploration, coverage=False):
            if not context.selected(result.kind):
                continue
            report.results.append(CheckResult(
                result.name, result.kind, result.holds, result.detail, name,
                exploration.states, exploration.transitions, exploration.seconds,
                write_witness(context, exploration, result, name), result.data))
    if context.selected("coverage"):
        result = coverage_result(coverage.covered(), coverage.missing(), coverage.undeclared())
        report.results.append(CheckResult(result.name, result.kind, result.holds, result.detail,
                                          "all", total_states, total_transitions, total_seconds,
                                          None, result.data))
    # Keep the per-instance order of the table as given (main instance first).
    order = {name: position for position, (name, _) in enumerate(context.instances)}
    report.results.sort(key=lambda item: order.get(item.instance, len(order)))
    return report


def run_soundness(context: CheckContext) -> ProviderReport:
    """Check the time and symmetry abstractions against no abstraction on small instances."""
    report = ProviderReport()
    if not context.selected("abstraction"):
        return report
    for name, instance in context.soundness_instances:
        task = context.progress.task(f"abstraction soundness {name}", total=3)
        started = time.perf_counter()
        raw = explore(instance, "none", coverage=False, record_outcomes=True)
        task.update(completed=1)
        horizon = static_horizon(instance)
        timed = explore(instance, "time", coverage=False)
        symmetric = explore(instance, "symmetry", coverage=False)
        task.update(completed=2)
        time_bisimulation = check_bisimulation(raw, TimeKeys(horizon))
        symmetry_bisimulation = check_bisimulation(raw, SymmetryKeys(instance, setup(instance), horizon))
        agree_time, time_detail = verdicts_agree(raw, timed)
        agree_symmetry, symmetry_detail = verdicts_agree(timed, symmetric)
        task.update(completed=3)
        task.done()
        seconds = time.perf_counter() - started
        report.results.append(CheckResult(
            "time_abstraction_sound", "abstraction", time_bisimulation.holds and agree_time,
            f"{time_bisimulation.detail}; {time_detail} "
            f"({raw.states} states without abstraction, {timed.states} with)",
            name, raw.states, raw.transitions, seconds,
            data={"states_without": raw.states, "states_with": timed.states}))
        report.results.append(CheckResult(
            "symmetry_reduction_sound", "abstraction", symmetry_bisimulation.holds and agree_symmetry,
            f"{symmetry_bisimulation.detail}; {symmetry_detail} "
            f"({timed.states} states with time abstraction, {symmetric.states} with symmetry too, "
            f"group of {symmetric.symmetries})",
            name, raw.states, raw.transitions, seconds,
            data={"states_without": timed.states, "states_with": symmetric.states,
                  "symmetries": symmetric.symmetries}))
        if context.reduction == "misuse":
            started = time.perf_counter()
            reduced = explore(instance, "time", coverage=False, reduction="misuse")
            correspondence = check_reduction(timed, reduced)
            agree_reduced, reduced_detail = verdicts_agree(timed, reduced)
            report.results.append(CheckResult(
                "misuse_reduction_sound", "abstraction", correspondence.holds and agree_reduced,
                ("every market of the full graph corresponds to one of the reduced graph "
                 "without its unreported artefacts, with the same observations"
                 if correspondence.holds else "; ".join(correspondence.problems))
                + f"; {reduced_detail} ({timed.states} states with time abstraction, "
                f"{reduced.states} reduced, {len(reduced.partial)} of them partially expanded)",
                name, timed.states, timed.transitions, time.perf_counter() - started,
                data={"states_without": timed.states, "states_with": reduced.states}))
    return report


def run_inductive(context: CheckContext) -> ProviderReport:
    from proofs.inductive import prove
    report = ProviderReport()
    if not context.selected("inductive"):
        return report
    for name, instance in context.proof_instances:
        task = context.progress.task(f"inductive proof {name}", total=None)
        result = prove(instance, progress=lambda found, done: task.update(
            completed=done, total=found, description=f"inductive proof {name}: {found} shapes"))
        task.done()
        if result.holds:
            detail = (f"init => Inv, Inv /\\ move => Inv' and Inv => safety for {result.shapes} "
                      f"shapes and {result.transitions} moves ({result.obligations} obligations, "
                      f"{result.solver_calls} distinct formulas given to Z3)")
        else:
            first = result.failures[0] if result.failures else None
            detail = (f"{len(result.failures)} obligations fail, {result.unknown} unknown"
                      + (f"; first: {first.obligation} at shape {first.shape}"
                         f"{' on ' + first.call.action if first.call else ''}: "
                         f"{', '.join(first.broken) or 'see model'}; model {first.model}"
                         if first else ""))
        report.results.append(CheckResult(
            "inductive_invariant", "inductive", result.holds, detail, name, result.shapes,
            result.transitions, result.seconds,
            data={"obligations": result.obligations, "solver_calls": result.solver_calls,
                  "infeasible_moves": result.infeasible}))
    return report


def run_mutants(context: CheckContext) -> ProviderReport:
    from proofs.mutants import MUTANTS, baseline, run_mutant
    report = ProviderReport()
    if not context.selected("mutation"):
        return report
    name, instance = context.mutant_instance
    task = context.progress.task("mutants", total=len(MUTANTS) + 1)
    started = time.perf_counter()
    task.update(description="mutants: the unmutated spec")
    reference = baseline(instance, context.abstraction)
    matrix = {}
    survivors = []
    for position, mutant in enumerate(MUTANTS, start=1):
        task.update(completed=position, description=f"mutants: {mutant.name}")
        outcome = run_mutant(mutant, instance, reference, context.abstraction,
                             complete=context.complete_mutants)
        matrix[mutant.name] = outcome.killed_by
        if not outcome.killed:
            survivors.append(mutant.name)
    task.update(completed=len(MUTANTS) + 1)
    task.done()
    killed = len(MUTANTS) - len(survivors)
    detail = (f"{killed} of {len(MUTANTS)} deliberately broken specs are caught"
              + (f"; surviving: {', '.join(survivors)}" if survivors else ""))
    report.results.append(CheckResult("mutants_killed", "mutation", not survivors, detail, name,
                                      reference.states, None, time.perf_counter() - started))
    report.sections["mutants"] = {"total": len(MUTANTS), "killed": killed, "matrix": matrix}
    return report


PROVIDERS: list[CheckProvider] = [
    CheckProvider("explicit-state", "invariant", run_exploration,
                  ("invariant", "safety", "deadlock", "termination", "abstraction", "goal",
                   "coverage")),
    CheckProvider("abstraction-soundness", "abstraction", run_soundness),
    CheckProvider("inductive", "inductive", run_inductive),
    CheckProvider("mutants", "mutation", run_mutants),
]
"""The model checker's providers."""
