"""``aimarket simulate``: a random walk of the spec, every invariant checked at every step."""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Any

from aimarket.arguments import positive_int, whole_int
from aimarket.errors import UsageError
from aimarket.inputs import read_json_file, write_vector_file
from aimarket.instance_file import load_instance
from spec.actions import Call
from spec.invariants import IncrementalChecker, outcome_of
from spec.world import Instance
from walks.walk import random_walk

SIMULATION_INSTANCE = Instance(data_owners=3, developers=2, vendors=3, steps=8,
                               licence_uses=10**9, licence_expiry=10**9)
"""Three owners, two developers, three vendors; each job has two datasets and two vendors."""


def describe(call: Call) -> str:
    """A short readable rendering of a call's arguments."""
    parts = []
    for name, value in call.args.items():
        if name == "transcript":
            value = "[" + ",".join(str(digest) for digest in value[:3]) + (",…]" if len(value) > 3 else "]")
        elif isinstance(value, (tuple, frozenset)):
            value = "+".join(str(item) for item in sorted(value))
        elif isinstance(value, Enum):
            value = value.value
        parts.append(f"{name}={value}")
    return " ".join(parts)


def is_vector(data: dict) -> bool:
    """A conformance vector (abstract ``state`` variable) rather than a market trace."""
    return isinstance(data.get("vars"), list) and "state" in data["vars"] and isinstance(
        data.get("#meta"), dict) and "kind" in data["#meta"]


def find_prelude(path: Path, name: str):
    """The prelude vector ``name`` of the vector file ``path``: looked up in the corpus
    directories above the file."""
    from conformance.vectors import VectorFormatError, vector_from_json

    for directory in path.resolve().parents:
        candidate = directory / f"{name}.itf.json"
        if candidate.is_file():
            data = read_json_file(candidate, dict, "vector (an ITF trace)")
            try:
                return vector_from_json(data, name)
            except VectorFormatError as error:
                raise UsageError(str(candidate), f"not a conformance vector: {error}") from None
    raise UsageError(str(path), f"continues the prelude {name}, which is not in a directory "
                                "above it (keep the corpus together)")


def replay_vector(args, data: dict) -> int:
    """``--replay`` of a conformance vector: the spec runs its calls (the prelude's first),
    each outcome and projected state is compared with the file and every invariant is
    checked after every call."""
    from conformance.conform import describe
    from conformance.projection import differences
    from conformance.spec_runner import SpecRunner
    from conformance.vectors import VectorFormatError, resolve_prelude, vector_from_json

    path = Path(args.replay)
    try:
        vector = vector_from_json(data, path.name.removesuffix(".itf.json"))
        if vector.prelude is not None:
            prelude = find_prelude(path, vector.prelude)
            vector = resolve_prelude(vector, {prelude.name: prelude})
    except VectorFormatError as error:
        raise UsageError(f"--replay {args.replay}", f"not a conformance vector: {error}") from None
    runner = SpecRunner()
    checker = IncrementalChecker()
    runner.init(vector.genesis)
    problems: list[dict] = []
    diverged = None
    human = not args.json
    first = vector.prelude_steps
    if human:
        print(f"replay {args.replay}: {len(vector.steps) - first} calls"
              + (f" after the {first} of the prelude {vector.prelude}" if first else "")
              + (f" — {vector.description}" if vector.description else ""))
    index = 0
    while index < len(vector.steps) and diverged is None:
        group = [index]
        if index + 1 < len(vector.steps) and vector.steps[index + 1].concurrent:
            group.append(index + 1)
        if len(group) == 2:
            outcomes: tuple[str, ...] = runner.step_concurrently(vector.steps[index].call,
                                                vector.steps[index + 1].call)
        else:
            outcomes = (runner.step(vector.steps[index].call),)
        for position, outcome in zip(group, outcomes):
            item = vector.steps[position]
            number = position + 1 - first
            shown = number >= 1 and (not args.quiet or outcome != item.outcome)
            if human and shown:
                mark = "" if outcome == item.outcome else f"   <- DIVERGES: recorded {item.outcome}"
                together = " [same block]" if item.concurrent else ""
                print(f"{number:>5} {describe(item.call)}  -> {outcome}{together}{mark}")
            if outcome != item.outcome and diverged is None:
                diverged = {"step": number, "file": "prelude" if number < 1 else args.replay,
                            "expected": item.outcome, "actual": outcome}
        last = vector.steps[group[-1]]
        found = differences(last.state, runner.project())
        if found and diverged is None:
            diverged = {"step": group[-1] + 1 - first, "expected": "the recorded state",
                        "actual": "; ".join(found)}
            if human:
                print("        the state differs: " + "; ".join(found[:5]))
        for name, problem in checker.violations(runner.market):
            problems.append({"step": group[-1] + 1 - first, "name": name, "problem": problem})
            if human:
                print(f"        INVARIANT VIOLATED {name}: {problem}")
        index = group[-1] + 1
    if args.json:
        print(json.dumps({"file": args.replay, "vector": vector.name, "kind": vector.kind,
                          "steps": len(vector.steps) - first, "prelude_steps": first,
                          "diverged": diverged, "violations": problems,
                          "reproduces": diverged is None and not problems}, indent=2))
    elif diverged is not None:
        print(f"the spec DIVERGES from the vector at step {diverged['step']}")
    elif problems:
        print(f"{len(problems)} invariant violation(s)")
    else:
        print("the vector replays exactly on the spec; every invariant held")
    return 1 if diverged is not None or problems else 0


def replay_file(args) -> int:
    """``--replay FILE``: apply an ITF trace's calls one by one and compare with it."""
    from traces.itf import ItfError, trace_from_json
    from proofs.replay import replay

    data = read_json_file(args.replay, dict, "ITF trace (an object with states)", option="--replay")
    if is_vector(data):
        return replay_vector(args, data)
    try:
        trace = trace_from_json(data)
    except ItfError as error:
        raise UsageError(f"--replay {args.replay}", f"not a trace of this spec: {error}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise UsageError(f"--replay {args.replay}", f"not a trace of this spec ({type(error).__name__}: "
                                      f"{error})") from None
    report = replay(trace)
    meta = trace.meta
    if args.json:
        print(json.dumps({
            "file": args.replay, "description": meta.get("description"),
            "steps": len(report.steps), "diverged_at": report.diverged_at,
            "violations": [{"state": index, "name": name, "problem": problem}
                           for index, name, problem in report.violated],
            "stuck": report.stuck, "loop": report.loop, "notes": report.notes,
            "crash": next((item.error for item in report.steps if item.error), None),
            "reproduces": report.reproduces}, indent=2))
        return 1 if report.reproduces or report.diverged_at is not None else 0
    print(f"replay {args.replay}: {len(trace.steps) - 1} calls"
          + (f" — {meta['description']}" if meta.get("description") else ""))
    if meta.get("mutant"):
        print(f"  (recorded under the mutant {meta['mutant']}; replaying against the spec as it is)")
    setup_calls = meta.get("setup_calls", 0) if isinstance(meta.get("setup_calls"), int) else 0
    for item in report.steps:
        if item.index <= setup_calls and item.matches and not item.problems and not args.quiet:
            continue
        verdict = "ok" if item.outcome == "accepted" else item.outcome
        mark = "" if item.matches else f"   <- DIVERGES: recorded {item.recorded}" + (
            ", a different market" if item.recorded == item.outcome else "")
        if not args.quiet or not item.matches or item.problems:
            print(f"{item.index:>5} t={item.market.now:<4} {item.call.action:<17} {item.call.actor:<9} "
                  f"{describe(item.call)}  -> {verdict}{mark}")
        if item.error:
            print(f"        the spec raised {item.error}")
        for name, problem in item.problems:
            print(f"        INVARIANT VIOLATED {name}: {problem}")
    if setup_calls:
        print(f"  (the first {setup_calls} calls set the instance up)")
    for job in report.stuck:
        print(f"DEADLOCK: {job} has no progress move left (timeouts and ticks included)")
    if report.loop:
        print(f"NO END: {report.loop}")
    for note in report.notes:
        print(f"note: {note}")
    if report.diverged_at is not None:
        print(f"the spec DIVERGES from the trace at call {report.diverged_at}")
        return 1
    if report.reproduces:
        print("the trace reproduces: the failure it records happens on the spec")
        return 1
    print("the trace replays exactly; every invariant held")
    return 0


def run(args) -> int:
    if args.replay:
        return replay_file(args)
    instance = SIMULATION_INSTANCE
    if args.params:
        instance = load_instance(args.params, instance)
    if args.concurrency < 1:
        raise UsageError("--jobs", f"must be at least 1, got {args.concurrency}")
    rng = random.Random(args.seed)
    checker = IncrementalChecker()
    accepted: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    started = time.perf_counter()
    market = None
    violation: dict[str, Any] | None = None
    human = not args.json
    if human and not args.quiet:
        print(f"simulate: seed {args.seed}, {args.steps} steps, up to {args.concurrency} open jobs")
    calls = []
    for index, result in enumerate(random_walk(instance, rng, args.steps, args.concurrency), start=1):
        market = result.market
        calls.append(result.call)
        if result.rejection is None:
            accepted[result.call.action] += 1
        else:
            rejected[result.rejection.value] += 1
        if human and not args.quiet:
            verdict = "ok" if result.rejection is None else f"REJECTED {result.rejection.value}"
            print(f"{index:>6} t={market.now:<4} {result.call.action:<17} {result.call.actor:<9} "
                  f"{describe(result.call)}  -> {verdict}")
        found = checker.violations(market)
        if found:
            violation = {"step": index, "action": result.call.action, "actor": result.call.actor,
                         "args": describe(result.call),
                         "invariants": [{"name": name, "problem": problem} for name, problem in found]}
            break
        if human and args.quiet and index % 2000 == 0:
            print(f"  … {index}/{args.steps} steps", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    outcomes = Counter(outcome_of(job) or "open" for job in market.jobs.values()) if market else Counter()
    summary = {
        "seed": args.seed,
        "steps": violation["step"] if violation else args.steps,
        "invariants_held": violation is None,
        "accepted": sum(accepted.values()),
        "rejected": sum(rejected.values()),
        "jobs": len(market.jobs) if market else 0,
        "outcomes": dict(sorted(outcomes.items())),
        "rejections": dict(sorted(rejected.items())),
        "violation": violation,
        "seconds": round(seconds, 3),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        if violation:
            print(f"\nINVARIANT VIOLATED at step {violation['step']}: {violation['action']} by "
                  f"{violation['actor']} {violation['args']}")
            for item in violation["invariants"]:
                print(f"  {item['name']}: {item['problem']}")
            print(f"replay with: aimarket simulate --seed {args.seed} --steps {violation['step']}")
        print(f"{summary['steps']} steps (seed {args.seed}): {summary['accepted']} accepted, "
              f"{summary['rejected']} rejected, {summary['jobs']} jobs; every invariant "
              f"{'held' if violation is None else 'did NOT hold'} ({seconds:.1f} s)")
        print("outcomes: " + ", ".join(f"{name} {count}" for name, count in summary["outcomes"].items()))
    if args.out_itf:
        write_walk(args.out_itf, instance, calls, args.seed)
        if human:
            print(f"wrote the run as an ITF vector to {args.out_itf} (replay it with: aimarket "
                  f"simulate --replay {args.out_itf}; or aimarket conform --vector {args.out_itf})")
    return 0 if violation is None else 1


def write_walk(path: str, instance: Instance, calls: list, seed: int) -> None:
    """The simulated calls as a conformance vector file (written aside, then renamed)."""
    from fractions import Fraction

    from conformance.generate import Planned, build_vector
    from conformance.vectors import Genesis

    vector = build_vector(Path(path).name.removesuffix(".itf.json"), "walk",
                          f"aimarket simulate --seed {seed} --steps {len(calls)}",
                          Genesis(instance.dispute_cost, Fraction(instance.audit_probability)),
                          [Planned(made) for made in calls], seed)
    write_vector_file(path, vector)


DESCRIPTION = """\
A random walk of the spec over several open jobs, with every invariant checked after every
call; it stops at the first violation with a report (exit 1).

With --replay FILE it replays an ITF trace instead: a counterexample of 'aimarket check',
a shipped conformance vector (its prelude is found in the corpus around it), or a run
written by --out-itf."""

EXAMPLES = """\
examples:
  aimarket simulate --seed 7 --steps 2000 --quiet
  aimarket simulate --seed 7 --steps 200 --out-itf walk.itf.json
  aimarket simulate --replay vectors/walks/walk-1.itf.json
  aimarket simulate --params my-instance.json --json"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="random walk of the spec, checking every invariant after every step",
        description=DESCRIPTION, epilog=EXAMPLES)
    parser.add_argument("--seed", type=whole_int, default=1, help="random seed (default 1)")
    parser.add_argument("--steps", type=positive_int, default=1000, help="number of calls (default 1000)")
    parser.add_argument("--jobs", dest="concurrency", type=positive_int, default=3,
                        help="jobs open at once (default 3)")
    parser.add_argument("--params", metavar="FILE",
                        help="JSON file overriding instance fields (parties, steps, amounts)")
    parser.add_argument("--replay", metavar="FILE",
                        help="replay an ITF trace (a counterexample of aimarket check, or a "
                             "vector) call by call, comparing each outcome and market")
    parser.add_argument("--out-itf", metavar="FILE",
                        help="also write the run as an ITF conformance vector (replayable with "
                             "--replay, runnable with conform --vector)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)
