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


def run(args) -> int:
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
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)
