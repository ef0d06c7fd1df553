"""The model checker's check providers: explicit-state exploration, the abstractions'
soundness, the Z3 inductive invariants and the mutant kill matrix."""

from __future__ import annotations

import time

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
from proofs.instances import abstraction_for
from proofs.explore_soundness import check_bisimulation, verdicts_agree
from proofs.results import CheckContext, CheckProvider, CheckResult, ProviderReport
from spec.world import setup


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
        exploration = explore(instance, abstraction_for(instance, context.abstraction),
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
