"""``aimarket attacks``: play the attack catalogue against a fresh ledger and report each
attack's outcome (refused with its code, or detected)."""

from __future__ import annotations

import json
import sys
import time

from aimarket.arguments import check_empty_directory
from aimarket.errors import UsageError


def run(args) -> int:
    check_empty_directory(args.dir)
    categories = None
    if args.category:
        from reference.attacks import CATEGORIES
        unknown = sorted(set(args.category) - set(CATEGORIES))
        if unknown:
            raise UsageError("--category", f"unknown category {unknown[0]!r}; one of "
                                           f"{', '.join(CATEGORIES)}")
        categories = set(args.category)
    from reference.attacks.catalogue import run_attacks  # heavy imports after the checks

    started = time.perf_counter()

    def progress(message: str) -> None:
        stream = sys.stderr if args.json else sys.stdout
        if args.json:
            print(f"attacks: {message}", file=stream, flush=True)
        else:
            print(f"[{time.perf_counter() - started:5.1f} s] {message}", file=stream, flush=True)

    report = run_attacks(args.dir, progress=progress,
                         only=None if categories is None
                         else (lambda category, _name: category in categories))
    if args.json:
        print(json.dumps(report.to_json_value(), indent=2))
        return 0 if report.ok else 1
    print()
    width = max((len(attack.name) for attack in report.attacks), default=10)
    for attack in report.attacks:
        print(f"  {attack.category:<10} {attack.name:<{width}}  {attack.outcome:<8} "
              f"{attack.code or '-'}")
        if attack.outcome in ("accepted", "crashed"):
            print(f"      {attack.detail}")
    counts = {outcome: sum(1 for attack in report.attacks if attack.outcome == outcome)
              for outcome in ("refused", "detected", "accepted", "crashed")}
    print(f"\n{len(report.attacks)} attacks: {counts['refused']} refused, {counts['detected']} "
          f"detected, {counts['accepted']} accepted, {counts['crashed']} crashed "
          f"({time.perf_counter() - started:.1f} s)")
    print("every attack refused or detected" if report.ok else "ATTACKS SUCCEEDED OR CRASHED")
    return 0 if report.ok else 1


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "attacks", help="play every known attack (time, governance, identity, arguments, "
                        "wire, tamper, restart) against a fresh ledger")
    parser.add_argument("--dir", help="empty directory for the attack network (default: a "
                                      "temporary directory, removed afterwards)")
    parser.add_argument("--category", action="append",
                        help="only this category (repeatable)")
    parser.add_argument("--json", action="store_true", help="print a JSON report only")
    parser.set_defaults(run=run)
