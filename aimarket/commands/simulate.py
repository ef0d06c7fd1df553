"""``aimarket simulate``: a random walk of the spec, every invariant checked at every step."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from enum import Enum

from aimarket.cli import UsageError
from aimarket.instance_file import load_instance
from spec.actions import Call
from spec.invariants import IncrementalChecker, outcome_of
from spec.scenarios import Instance, random_walk

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


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def whole_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def replay_file(args) -> int:
    """``--replay FILE``: apply an ITF trace's calls one by one and compare with it."""
    from conformance.itf import ItfError, read_trace
    from proofs.replay import replay

    try:
        trace = read_trace(args.replay)
    except OSError as error:
        raise UsageError("--replay", f"cannot read {args.replay} ({error.strerror})") from None
    except ItfError as error:
        raise UsageError("--replay", f"{args.replay} is not a trace of this spec: {error}") from None
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
    accepted, rejected = Counter(), Counter()
    started = time.perf_counter()
    market = None
    violation = None
    human = not args.json
    if human and not args.quiet:
        print(f"simulate: seed {args.seed}, {args.steps} steps, up to {args.concurrency} open jobs")
    for index, result in enumerate(random_walk(instance, rng, args.steps, args.concurrency), start=1):
        market = result.market
        if result.accepted:
            accepted[result.call.action] += 1
        else:
            rejected[result.rejection.value] += 1
        if human and not args.quiet:
            verdict = "ok" if result.accepted else f"REJECTED {result.rejection.value}"
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
    return 0 if violation is None else 1


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="random walk of the spec, checking every invariant after every step")
    parser.add_argument("--seed", type=whole_int, default=1, help="random seed (default 1)")
    parser.add_argument("--steps", type=positive_int, default=1000, help="number of calls (default 1000)")
    parser.add_argument("--jobs", dest="concurrency", type=positive_int, default=3,
                        help="jobs open at once (default 3)")
    parser.add_argument("--params", metavar="FILE",
                        help="JSON file overriding instance fields (parties, steps, amounts)")
    parser.add_argument("--replay", metavar="FILE",
                        help="replay an ITF trace (a counterexample of aimarket check, or a "
                             "vector) call by call, comparing each outcome and market")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)
