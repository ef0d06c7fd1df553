"""``aimarket games check FILE``: game-theoretic properties of a game file (CheckMate format).

Checks weak immunity, weaker immunity, collusion resilience, practicality, honest-strategy
dominance and dominance solvability for every honest history of the game, for all parameter
values satisfying the constraints (Z3, exact). ``--counterexamples`` explains failures,
``--preconditions`` synthesises the exact parameter region where each property holds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from aimarket.errors import UsageError
from aimarket.inputs import read_json_file

DESCRIPTION = """\
Check the game-theoretic security properties of a game in CheckMate's JSON format (chance
nodes allowed, gzip accepted) for every honest history and all parameter values allowed by
its constraints (Z3, exact). Exit 1 when any property fails for any history, like
'aimarket check'; 2 for a file that cannot be read."""

EXAMPLES = """\
examples:
  aimarket games check game.json
  aimarket games check game.json.gz --property weak_immunity --counterexamples
  aimarket games check game.json --preconditions --json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    games = subparsers.add_parser(
        "games", help="game-theoretic security properties of extensive-form games",
        description="Game-theoretic security properties of extensive-form games "
                    "(CheckMate's format).", epilog=EXAMPLES)
    actions = games.add_subparsers(dest="games_command", required=True, parser_class=type(games),
                                   metavar="COMMAND")
    check = actions.add_parser("check", help="check the properties of a game file (.json or .json.gz)",
                               description=DESCRIPTION, epilog=EXAMPLES)
    check.add_argument("file", help="game file in CheckMate's JSON format (chance nodes allowed)")
    check.add_argument("--property", action="append", dest="properties", metavar="NAME",
                       help="property to check (repeatable; default: all)")
    check.add_argument("--counterexamples", action="store_true", help="explain every failure with concrete values")
    check.add_argument("--preconditions", action="store_true",
                       help="synthesise the exact parameter region where each property holds")
    check.add_argument("--witnesses", action="store_true", help="print the witness strategy of each holding case")
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")
    check.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    from proofs.games.engine import EngineError, Workspace, check_property
    from proofs.games.jsonio import GameFormatError, parse_game
    from proofs.games.properties import ALL_PROPERTIES
    from proofs.games.properties.solvability import GameTooLarge
    from proofs.games.model import count_nodes
    from proofs.games import report
    from proofs.games.synthesis import Region, synthesise

    names = args.properties or list(ALL_PROPERTIES)
    for name in names:
        if name not in ALL_PROPERTIES:
            raise UsageError("--property", f"unknown property {name!r}; known: {', '.join(ALL_PROPERTIES)}")
    path = Path(args.file)
    data = read_json_file(path, dict, "game (a JSON object)", gzip_ok=True)
    name = path.name
    for suffix in (".gz", ".json"):
        name = name.removesuffix(suffix)
    try:
        game = parse_game(data, name=name)
    except RecursionError:
        raise UsageError(str(path), "the game tree nests too deeply") from None
    except GameFormatError as error:
        field = error.field if error.field == str(path) else f"{path} {error.field}"
        raise UsageError(field, error.reason) from None

    started = time.perf_counter()
    long_work = count_nodes(game.tree) > 1_000 or args.preconditions

    def progress(message: str) -> None:
        if not args.quiet and long_work:
            print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    workspace = Workspace(game)
    results = []
    regions: dict[tuple[tuple[str, ...], str], Region | str] = {}
    try:
        for history in game.honest_histories:
            for name in names:
                progress(f"{report.history_text(history)} {name}")
                result = check_property(workspace, name, history, progress)
                results.append(result)
                if args.preconditions and result.verdict != "not_checked":
                    progress(f"{report.history_text(history)} {name}: synthesising the region")
                    try:
                        regions[(history, name)] = synthesise(workspace, name, history, progress=progress)
                    except (GameTooLarge, EngineError) as error:
                        regions[(history, name)] = str(error)
    except EngineError as error:
        raise UsageError(str(path), str(error)) from None

    if args.json:
        entries: list[dict[str, Any]] = []
        payload: dict[str, Any] = {"game": game.name, "results": entries}
        for result in results:
            entry = report.result_to_dict(result, counterexamples=args.counterexamples)
            if args.preconditions:
                region = regions.get((result.history, result.property))
                if region is not None:
                    entry["precondition"] = (report.region_to_dict(region) if not isinstance(region, str)
                                             else {"error": region})
            entries.append(entry)
        payload["failed"] = sum(1 for result in results if result.verdict == "fails")
        print(json.dumps(payload, indent=2))
        return 1 if payload["failed"] else 0

    print(report.game_summary(game))
    print(report.results_table(results))
    if args.counterexamples and any(result.verdict == "fails" for result in results):
        print("\ncounterexamples:")
        for result in results:
            if result.verdict == "fails":
                print(report.counterexample_text(result))
    if args.preconditions:
        print("\npreconditions (exact regions, given the constraints):")
        for result in results:
            region = regions.get((result.history, result.property))
            if isinstance(region, str):
                print(f"  {report.history_text(result.history)} {result.property}: not synthesised ({region})")
            elif region is not None:
                print(report.region_text(result.history, result.property, region))
    if args.witnesses:
        print("\nwitnesses:")
        for result in results:
            for number, case in enumerate(result.cases, 1):
                print(f"  {report.history_text(result.history)} {result.property} case {number}: "
                      f"{report.condition_text(case.region, 300)}")
                for where, action in case.strategy.describe(limit=50).items():
                    print(f"    {where} -> {action}")
    not_checked = [result for result in results if result.verdict == "not_checked"]
    for result in not_checked:
        print(f"note: {result.property} not checked: {result.reason}")
    failed = [result for result in results if result.verdict == "fails"]
    if failed:
        print(f"{len(failed)} of {len(results)} checks FAIL (exit 1)")
    return 1 if failed else 0
