"""``aimarket conform``: run the conformance corpus against an implementation."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from aimarket.cli import UsageError

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_VECTORS = REPOSITORY / "vectors"
RUNNER_ALIASES = {
    "spec": "conformance.spec_runner:SpecRunner",
    "spec-remapped": "conformance.spec_runner:RemappedSpecRunner",
    "reference": "conformance.reference_runner:ReferenceRunner",
}


def load_runner_class(text: str):
    """The runner class named ``module:Class`` (or one of :data:`RUNNER_ALIASES`)."""
    spec = RUNNER_ALIASES.get(text, text)
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise UsageError("--runner", f"expected module:Class or one of "
                                     f"{', '.join(RUNNER_ALIASES)}, got {text!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError("--runner", f"cannot import {module_name}: {error}") from None
    runner_class = getattr(module, class_name, None)
    if runner_class is None:
        raise UsageError("--runner", f"{module_name} has no {class_name}")
    missing = [name for name in ("init", "step", "project") if not callable(getattr(runner_class, name, None))]
    if missing:
        raise UsageError("--runner", f"{spec} is not a runner (no {', '.join(missing)})")
    return runner_class


def render_call(call) -> str:
    from conformance.conform import describe
    return describe(call)


def run(args) -> int:
    from conformance.conform import CorpusError, load_corpus, run_corpus
    from conformance.coverage import CoverageReport
    from conformance.mutants import kill_matrix
    from conformance.shrink import shrink

    runner_class = load_runner_class(args.runner)
    try:
        corpus = load_corpus(args.vectors)
    except CorpusError as error:
        raise UsageError("--vectors", str(error)) from None
    try:
        runner = runner_class()
    except Exception as error:
        raise UsageError("--runner", f"{args.runner} could not start: {type(error).__name__}: {error}") from None
    human = not args.json
    started = time.perf_counter()
    if human:
        print(f"conform: {len(corpus.vectors)} vectors from {args.vectors} "
              f"(spec {corpus.manifest.get('spec_version', '?')}) on runner {runner.name}")

    def show(result) -> None:
        if human:
            mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[result.status]
            detail = "" if result.passed else f"  at step {result.failed_step}: {result.message}"
            print(f"  {mark} {result.name} ({result.steps_total} steps){detail}", flush=True)

    try:
        report = run_corpus(runner, corpus.vectors, progress=show)
        passed_vectors = [vector for vector, result in zip(corpus.vectors, report.results)
                          if result.passed]
        coverage = CoverageReport.of(passed_vectors)
        problems = report.completeness_problems()
        shrunk = []
        failures = [(vector, result) for vector, result in zip(corpus.vectors, report.results)
                    if result.status == "failed"]
        unshrunk = []
        for vector, result in failures[:args.shrink]:
            if human:
                print(f"shrinking {vector.name} ...", file=sys.stderr, flush=True)
            try:
                shrunk.append((vector, shrink(runner, vector)))
            except ValueError as reason:  # the failure did not reproduce on a fresh run
                unshrunk.append({"vector": vector.name, "reason": str(reason)})
        mutant_results = []
        mutants = tuple(getattr(runner, "mutants", ()) or ())
        if args.mutants:
            if human:
                print(f"mutants: {len(mutants)} faults of {runner.name}")
            mutant_results = kill_matrix(runner, mutants, corpus.vectors, progress=(
                (lambda item: print(f"  {'killed' if item.killed else 'SURVIVED':>8} "
                                    f"{item.mutant.name}", flush=True)) if human else None))
    finally:
        runner.close()
    seconds = time.perf_counter() - started

    summary = {
        "runner": runner.name,
        "vectors": len(report.results),
        "passed": report.passed,
        "failed": report.failed,
        "skipped": report.skipped,
        "complete": not problems,
        "problems": problems,
        "coverage": {"covered": coverage.covered, "total": coverage.total},
        "mutants": {"total": len(mutant_results), "killed": sum(1 for item in mutant_results if item.killed)},
        "failures": [
            {"vector": vector.name, "seed": vector.seed, "step": result.failed_step,
             "message": result.message}
            for vector, result in failures],
        "shrunk": [
            {"vector": vector.name, "seed": vector.seed, "steps": len(smallest.vector.steps),
             "message": smallest.result.message,
             "calls": [{"action": step.call.action, "actor": step.call.actor,
                        "args": render_call(step.call), "outcome": step.outcome,
                        "concurrent": step.concurrent}
                       for step in smallest.vector.steps]}
            for vector, smallest in shrunk],
        "not_shrunk": unshrunk,
        "mutant_matrix": [
            {"mutant": item.mutant.name, "fault": item.mutant.kind, "killed": item.killed,
             "by": item.killed_by, "step": item.step}
            for item in mutant_results],
        "seconds": round(seconds, 3),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_coverage(coverage)
        for vector, smallest in shrunk:
            print(f"\nminimal failing trace of {vector.name} (seed {vector.seed}; "
                  f"{len(smallest.vector.steps)} of {len(vector.steps)} steps, "
                  f"{smallest.tests} candidates tried):")
            for number, step in enumerate(smallest.vector.steps, start=1):
                together = " [same block as the previous]" if step.concurrent else ""
                print(f"  {number:>3}. {render_call(step.call)} -> {step.outcome}{together}")
            print(f"  fails with: {smallest.result.message}")
        for item in unshrunk:
            print(f"\n{item['vector']} was not shrunk: {item['reason']}")
        if mutant_results:
            print("\nmutant kill matrix:")
            for item in mutant_results:
                verdict = (f"killed by {item.killed_by} at step {item.step}" if item.killed
                           else "SURVIVED")
                print(f"  {item.mutant.kind:<34} {item.mutant.name:<40} {verdict}")
        elif args.mutants:
            print(f"\n{runner.name} declares no mutants (a runner class lists them in `mutants`)")
        print(f"\nconsumer-side check: {len(report.results)} of {len(corpus.vectors)} vectors "
              f"executed to their last step" if not problems else
              f"\nconsumer-side check FAILED: {len(problems)} vector(s) not fully executed:")
        for problem in problems[:20]:
            print(f"  {problem}")
        print(f"{report.passed} passed, {report.failed} failed, {report.skipped} skipped; "
              f"coverage {coverage.covered}/{coverage.total}"
              + (f"; mutants killed {summary['mutants']['killed']}/{summary['mutants']['total']}"
                 if args.mutants else "") + f" ({seconds:.1f} s)")
    ok = (report.failed == 0 and not problems
          and all(item.killed for item in mutant_results)
          and (not args.mutants or mutants))
    return 0 if ok else 1


def print_coverage(coverage) -> None:
    """The coverage table, one line per action and per edge and ending."""
    print("\ncoverage (vectors passed per entry):")
    by_action: dict[str, list[str]] = {}
    for (action, outcome), names in coverage.outcomes.items():
        by_action.setdefault(action, []).append(f"{outcome} {len(names)}")
    for action, cells in by_action.items():
        print(f"  {action:<18} " + ", ".join(cells))
    from conformance.coverage import edge_name
    print("  job edges:")
    for edge, names in coverage.edges.items():
        print(f"    {edge_name(edge):<48} {len(names)}")
    print("  endings:")
    for ending, names in coverage.endings.items():
        print(f"    {ending:<48} {len(names)}")
    missing = coverage.missing()
    shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    print(f"  covered {coverage.covered}/{coverage.total} by passing vectors"
          + (f"; not covered: {shown}" if missing else ""))


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "conform", help="run the conformance vectors against an implementation's runner")
    parser.add_argument("--runner", default="spec",
                        help="module:Class of a conformance.runner.Runner, or "
                             f"{', '.join(RUNNER_ALIASES)} (default spec)")
    parser.add_argument("--vectors", default=str(DEFAULT_VECTORS),
                        help=f"corpus directory (default {DEFAULT_VECTORS})")
    parser.add_argument("--mutants", action="store_true",
                        help="also inject the runner's catalogue of faults and print the kill matrix")
    parser.add_argument("--shrink", type=count, default=1, metavar="N",
                        help="shrink the first N failing vectors to minimal runs (default 1)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value
