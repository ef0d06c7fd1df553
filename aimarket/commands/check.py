"""``aimarket check``: model-check the spec, prove its invariants, and try its mutants.

Runs every check provider of :mod:`proofs.suite` (explicit-state exploration of the
default instances, the abstractions' soundness, the Z3 inductive invariants, the mutant
catalogue, and any provider other modules register), shows progress on stderr, prints a
table of verdicts and exits 1 if any check fails. Shortest counterexamples are written as
ITF traces (replay them with ``aimarket simulate --replay FILE``).
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console, JustifyMethod
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from aimarket.errors import UsageError

INSTANCE_KNOBS: dict[str, int] = {
    "data_owners": 1, "developers": 1, "vendors": 1, "jobs": 1, "datasets_per_job": 1,
    "vendors_per_job": 1, "steps": 1, "window": 1, "vendor_capacity": 1, "licence_uses": 1,
    "licence_expiry": 0, "price": 0, "fee": 0, "cost": 0, "misuse_value": 0, "dispute_cost": 0,
}
"""Whole-number knobs of :func:`spec.world.make_instance`, with their least value."""

PARTY_LIMIT = 9
KINDS = ("invariant", "safety", "deadlock", "termination", "abstraction", "goal", "coverage",
         "inductive", "mutation", "incentive", "privacy")
DEFAULT_TRACES = "out/counterexamples"


def parse_knob(field: str, value: object) -> object:
    """One instance knob, validated; bad input raises :class:`UsageError`."""
    if field == "audit_probability":
        try:
            probability = Fraction(value) if isinstance(value, (int, str)) else Fraction(str(value))
        except (ValueError, ZeroDivisionError, TypeError):
            raise UsageError(field, f"must be a number in (0, 1] such as 0.5 or 1/2, got {value!r}") from None
        if not 0 < probability <= 1:
            raise UsageError(field, f"must be in (0, 1], got {value!r}")
        return probability
    if field not in INSTANCE_KNOBS:
        known = ", ".join(sorted([*INSTANCE_KNOBS, "audit_probability"]))
        raise UsageError(field, f"unknown instance knob (known: {known})")
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise UsageError(field, f"must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(field, f"must be a whole number, got {value!r}")
    if value < INSTANCE_KNOBS[field]:
        raise UsageError(field, f"must be at least {INSTANCE_KNOBS[field]}, got {value}")
    if field in ("data_owners", "developers", "vendors") and value > PARTY_LIMIT:
        raise UsageError(field, f"must be at most {PARTY_LIMIT}, got {value}")
    return value


def instance_knobs(args: argparse.Namespace) -> dict[str, Any]:
    """The knobs of ``--params FILE`` and of every ``--instance KEY=VALUE`` (later wins)."""
    knobs: dict[str, Any] = {}
    if args.params:
        from aimarket.inputs import read_json_file
        values = read_json_file(args.params, dict, "JSON object of instance knobs")
        for field, value in values.items():
            knobs[field] = _knob(f"{args.params}: field '{field}'", field, value)
    for item in args.instance or ():
        if "=" not in item:
            raise UsageError("--instance", f"expected KEY=VALUE, got {item!r}")
        field, value = item.split("=", 1)
        knobs[field.strip()] = _knob(f"--instance {field.strip()}", field.strip(), value.strip())
    return knobs


def _knob(where: str, field: str, value: object) -> object:
    try:
        return parse_knob(field, value)
    except UsageError as error:
        raise UsageError(where, error.reason) from None


class RichProgress:
    """Progress bars on stderr, one per task."""

    def __init__(self, console: Console):
        self.bars = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                             transient=False, disable=not console.is_terminal)
        self.console = console

    def task(self, description: str, total: int | None = None):
        return RichTask(self, self.bars.add_task(description, total=total), description)


class RichTask:
    def __init__(self, progress: RichProgress, task_id, description: str):
        self.progress, self.task_id, self.description = progress, task_id, description
        if not progress.console.is_terminal:
            print(f"check: {description} …", file=sys.stderr, flush=True)

    def update(self, completed=None, total=None, description=None) -> None:
        changes = {}
        if completed is not None:
            changes["completed"] = completed
        if total is not None:
            changes["total"] = total
        if description is not None:
            changes["description"] = description
        self.progress.bars.update(self.task_id, **changes)

    def done(self) -> None:
        task = self.progress.bars.tasks[self.task_id]
        self.progress.bars.update(self.task_id, total=task.completed or 1,
                                  completed=task.completed or 1)


def build_context(args):
    from proofs.instances import default_context
    from spec.world import SetupFailed, make_instance, setup

    knobs = instance_knobs(args)
    overrides: dict[str, object] = {}
    if knobs:
        try:
            instance = make_instance(**knobs)
            setup(instance)
        except SetupFailed as error:
            raise UsageError("--instance", f"the instance cannot be set up: {error}") from None
        overrides.update(instances=[("custom", instance)], proof_instances=[("custom", instance)],
                         mutant_instance=("custom", instance))
    kinds = set(args.kind or KINDS) - set(args.skip or ())
    overrides["kinds"] = frozenset(kinds)
    overrides["trace_dir"] = None if args.no_traces else Path(args.traces)
    overrides["abstraction"] = args.abstraction
    overrides["reduction"] = args.reduction
    return default_context(**overrides)


def print_table(console: Console, report) -> None:
    table = Table(title="aimarket check", show_lines=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("property", "left"), ("kind", "left"), ("instance", "left"), ("states", "right"),
        ("transitions", "right"), ("verdict", "left"), ("seconds", "right"))
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for result in report.results:
        verdict = "[green]holds[/green]" if result.holds else "[bold red]FAILS[/bold red]"
        table.add_row(result.name, result.kind, result.instance,
                      "-" if result.states is None else str(result.states),
                      "-" if result.transitions is None else str(result.transitions),
                      verdict, f"{result.seconds:.1f}")
    console.print(table)
    incentives = [result for result in report.results if result.kind == "incentive" and "region" in result.data]
    if incentives:
        regions = Table(title="incentive proofs: where each property holds (the spec's stake rule lies inside)")
        for column in ("property", "role or coalition", "job", "verdict", "region", "seconds"):
            regions.add_column(column, overflow="fold")
        for result in incentives:
            verdict = "[green]holds[/green]" if result.holds else "[bold red]FAILS[/bold red]"
            regions.add_row(result.name.split(" ")[0], result.data["role"], result.instance, verdict,
                            result.data["region"], f"{result.seconds:.1f}")
        console.print(regions)
    for result in report.results:
        if not result.holds:
            console.print(f"[bold red]{result.name}[/bold red] ({result.instance}): {result.detail}",
                          highlight=False)
            if result.counterexample:
                console.print(f"  shortest counterexample: {result.counterexample}  (replay: "
                              f"aimarket simulate --replay {result.counterexample})", highlight=False)
    mutants = report.sections.get("mutants")
    if mutants:
        console.print(f"mutants: {mutants['killed']} of {mutants['total']} killed", highlight=False)
    failed = sum(1 for result in report.results if not result.holds)
    console.print(f"{len(report.results)} checks, {failed} failed ({report.seconds:.1f} s)",
                  highlight=False)


def run(args) -> int:
    from proofs.results import Progress as SilentProgress
    from proofs.suite import run_checks

    context = build_context(args)
    console = Console(stderr=True)
    if args.quiet:
        context.progress = SilentProgress()
        report = run_checks(context)
    else:
        progress = RichProgress(console)
        context.progress = progress
        with progress.bars:
            report = run_checks(context)
    if args.report:
        path = Path(args.report)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
        partial.replace(path)  # nothing half-written
    if args.json:
        print(json.dumps(report.to_json(), indent=2, default=str))
    else:
        print_table(Console(width=max(Console().width, 120)), report)
    return 0 if report.holds else 1


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="model-check the spec, prove its inductive invariants, try its mutants")
    parser.add_argument("--instance", action="append", metavar="KEY=VALUE",
                        help="explore this instance instead of the default ones (knobs of "
                             "make_instance: data_owners, developers, vendors, jobs, "
                             "datasets_per_job, vendors_per_job, steps, window, amounts...); "
                             "repeatable")
    parser.add_argument("--params", metavar="FILE",
                        help="JSON object of instance knobs (as --instance)")
    parser.add_argument("--kind", action="append", choices=KINDS, metavar="KIND",
                        help=f"run only checks of this kind (repeatable): {', '.join(KINDS)}")
    parser.add_argument("--skip", action="append", choices=KINDS, metavar="KIND",
                        help="skip checks of this kind (repeatable), e.g. --skip mutation")
    parser.add_argument("--abstraction", choices=("none", "time", "symmetry"), default="symmetry",
                        help="state abstraction of the exploration (default: symmetry, "
                             "which includes time)")
    parser.add_argument("--reduction", choices=("none", "misuse"), default="none",
                        help="move reduction of the exploration: misuse explores a misuse of "
                             "data only together with its report, checked against the full "
                             "graph on the soundness instances (default: none)")
    parser.add_argument("--traces", default=DEFAULT_TRACES, metavar="DIR",
                        help=f"where counterexamples are written (default {DEFAULT_TRACES})")
    parser.add_argument("--no-traces", action="store_true", help="write no counterexample files")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--report", metavar="FILE",
                        help="also write the JSON results to FILE (the docs site reads it)")
    parser.set_defaults(run=run)
