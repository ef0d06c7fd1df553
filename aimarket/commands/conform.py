"""``aimarket conform``: run the conformance corpus against an implementation."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from aimarket.errors import UsageError
from aimarket.inputs import read_json_file, write_vector_file

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_VECTORS = REPOSITORY / "vectors"


def load_runner(text: str, timeout: float):
    """A factory of the runner named ``text`` (see :mod:`conformance.loading`)."""
    from conformance.loading import RunnerNameError, runner_factory
    try:
        return runner_factory(text, timeout)
    except RunnerNameError as error:
        raise UsageError("--runner", str(error)) from None


def render_call(call) -> str:
    from conformance.conform import describe
    return describe(call)


def select_vectors(corpus, wanted: list[str]):
    """The vectors named by ``--vector`` (a name, a corpus path, or a vector file)."""
    from conformance.conform import SUFFIX
    from conformance.vectors import VectorFormatError, resolve_prelude, vector_from_json

    by_name = {vector.name: vector for vector in corpus.vectors}
    preludes = {vector.name: vector for vector in corpus.vectors if vector.kind == "prelude"}
    chosen = []
    for text in wanted:
        name = text.removesuffix(SUFFIX)
        for prefix in (str(corpus.directory) + "/", "vectors/"):
            name = name.removeprefix(prefix)
        if name in by_name:
            chosen.append(by_name[name])
        elif text.endswith(SUFFIX) and Path(text).is_file():
            data = read_json_file(text, dict, "vector (an ITF trace)")
            try:
                vector = vector_from_json(data, Path(text).name.removesuffix(SUFFIX))
                chosen.append(resolve_prelude(vector, preludes))
            except VectorFormatError as error:
                raise UsageError(text, f"not a conformance vector: {error}") from None
        else:
            example = next(iter(by_name), "walks/walk-1")
            raise UsageError("--vector", f"no vector {text!r} in {corpus.directory} "
                                         f"(names look like {example!r}; or give a .itf.json file)")
    return chosen


def indented_tail(text: str, lines: int = 12, indent: str = "      | ") -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(indent + line for line in kept)


def run(args) -> int:
    from conformance.conform import CorpusError, call_record, load_corpus, run_corpus
    from conformance.coverage import CoverageReport
    from conformance.mutants import kill_matrix
    from conformance.shrink import shrink

    factory = load_runner(args.runner, args.timeout)
    try:
        corpus = load_corpus(args.vectors)
    except CorpusError as error:
        raise UsageError("--vectors", str(error)) from None
    vectors = select_vectors(corpus, args.vector) if args.vector else corpus.vectors
    if args.out_itf and Path(args.out_itf).is_dir():
        raise UsageError("--out-itf", f"{args.out_itf} is a directory; give a file name")
    try:
        runner = factory()
    except Exception as error:
        raise UsageError("--runner", f"{args.runner} could not start: {type(error).__name__}: "
                                     f"{error}") from None
    human = not args.json
    started = time.perf_counter()
    if human:
        print(f"conform: {len(vectors)} of {len(corpus.vectors)} vectors from {args.vectors} "
              f"(spec {corpus.manifest.get('spec_version', 'unknown')}) on runner {runner.name}")

    def show(result) -> None:
        if human:
            mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[result.status]
            print(f"  {mark} {result.name} ({result.steps_total} steps)", flush=True)
            if result.status == "failed":
                print(f"      at {result.where}: {result.message}", flush=True)
                if result.detail:
                    print("      the implementation reported:\n" + indented_tail(result.detail),
                          flush=True)
            elif result.status == "skipped":
                print(f"      {result.message}", flush=True)

    try:
        report = run_corpus(runner, vectors, progress=show)
        passed_vectors = [vector for vector, result in zip(vectors, report.results)
                          if result.passed]
        coverage = CoverageReport.of(passed_vectors)
        problems = report.completeness_problems()
        shrunk = []
        failures = [(vector, result) for vector, result in zip(vectors, report.results)
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
            mutant_results = kill_matrix(runner, mutants, vectors, progress=(
                (lambda item: print(f"  {'killed' if item.killed else 'SURVIVED':>8} "
                                    f"{item.mutant.name}", flush=True)) if human else None))
    finally:
        runner.close()
    seconds = time.perf_counter() - started
    saved = None
    if args.out_itf:
        source = shrunk[0][1].vector if shrunk else (failures[0][0] if failures else None)
        if source is not None:
            write_vector_file(args.out_itf, source)
            saved = args.out_itf

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
        "failures": [result.to_json() for _, result in failures],
        "shrunk": [
            {"vector": vector.name, "seed": vector.seed, "steps": len(smallest.vector.steps),
             "message": smallest.result.message, "failure": smallest.result.to_json(),
             "calls": [{**call_record(step.call), "outcome": step.outcome,
                        "concurrent": step.concurrent}
                       for step in smallest.vector.steps]}
            for vector, smallest in shrunk],
        "not_shrunk": unshrunk,
        "out_itf": saved,
        "mutant_matrix": [
            {"mutant": item.mutant.name, "fault": item.mutant.kind, "killed": item.killed,
             "by": item.killed_by, "step": item.step}
            for item in mutant_results],
        "seconds": round(seconds, 3),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        if len(vectors) == len(corpus.vectors):
            print_coverage(coverage)
        for vector, smallest in shrunk:
            seed = f"seed {vector.seed}; " if vector.seed is not None else ""
            print(f"\nminimal failing trace of {vector.name} ({seed}"
                  f"{len(smallest.vector.steps)} of {len(vector.steps)} steps, "
                  f"{smallest.tests} candidates tried):")
            for number, step in enumerate(smallest.vector.steps, start=1):
                together = " [same block as the previous]" if step.concurrent else ""
                print(f"  {number:>3}. {render_call(step.call)} -> {step.outcome}{together}")
            print(f"  fails at step {smallest.result.file_step}: {smallest.result.message}")
        if saved:
            what = "minimal failing trace" if shrunk else "failing vector"
            print(f"\nwrote the {what} to {saved}; re-run it with: aimarket conform "
                  f"--runner {args.runner} --vector {saved}")
        for item in unshrunk:
            print(f"\n{item['vector']} was not shrunk: {item['reason']}")
        if mutant_results:
            print("\nmutant kill matrix:")
            for killed in mutant_results:
                verdict = (f"killed by {killed.killed_by} at step {killed.step}" if killed.killed
                           else "SURVIVED")
                print(f"  {killed.mutant.kind:<34} {killed.mutant.name:<40} {verdict}")
        elif args.mutants:
            print(f"\n{runner.name} declares no mutants (a runner class lists them in `mutants`)")
        executed = len(vectors) - len(problems)
        print(f"\nconsumer-side check: {executed} of {len(vectors)} vectors executed to their "
              f"last step" if not problems else
              f"\nconsumer-side check FAILED: {executed} of {len(vectors)} vectors executed to "
              f"their last step; {len(problems)} not:")
        for problem in problems[:20]:
            print(f"  {problem}")
        if len(problems) > 20:
            print(f"  and {len(problems) - 20} more")
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


DESCRIPTION = """\
Replay every conformance vector against an implementation and check that it ran them all.

After each call the implementation's outcome and projected state must equal the vector's;
the first difference fails the vector (its file, the file's step number, the call, the
expected and actual values, and the implementation's traceback or stderr are reported) and
the first failures are shrunk to minimal runs. The consumer-side check counts the calls
the implementation really received: a vector skipped or stopped early is not executed.

An implementation in another language runs behind the bridge protocol (docs/conformance.md):
--runner exec:COMMAND starts COMMAND and talks line-oriented JSON with it."""

EXAMPLES = """\
examples:
  aimarket conform --runner reference
  aimarket conform --runner myimpl.runner:MyRunner --vector walks/walk-1
  aimarket conform --runner "exec:node examples/bridge-node/runner.js" --json
  aimarket conform --runner "exec:aimarket bridge --runner spec" --out-itf failure.itf.json"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "conform", help="run the conformance vectors against an implementation's runner",
        description=DESCRIPTION, epilog=EXAMPLES)
    parser.add_argument("--runner", default="spec", metavar="RUNNER",
                        help="spec, spec-remapped, reference, module:Class of a "
                             "conformance.runner.Runner (the current directory is searched), "
                             "or exec:COMMAND for a program speaking the bridge protocol "
                             "(default spec)")
    parser.add_argument("--vectors", default=str(DEFAULT_VECTORS), metavar="DIR",
                        help=f"corpus directory (default {DEFAULT_VECTORS})")
    parser.add_argument("--vector", action="append", metavar="ID",
                        help="run only this vector (a name such as walks/walk-1, or a .itf.json "
                             "file such as one written by --out-itf); repeatable")
    parser.add_argument("--mutants", action="store_true",
                        help="also inject the runner's catalogue of faults and print the kill matrix")
    parser.add_argument("--shrink", type=count, default=1, metavar="N",
                        help="shrink the first N failing vectors to minimal runs (default 1)")
    parser.add_argument("--out-itf", metavar="FILE",
                        help="write the first minimal failing trace (or failing vector) as an "
                             "ITF file that --vector FILE and simulate --replay accept")
    parser.add_argument("--timeout", type=seconds_value, default=60.0, metavar="S",
                        help="seconds an exec: runner may take to answer one request (default 60)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)


def seconds_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text!r}")
    return value


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value
