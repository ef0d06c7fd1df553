"""The aimarket command line: specification, proofs, conformance vectors and the reference.

Each sub-command lives in its own module under :mod:`aimarket.commands` and exposes
``register(subparsers)``; the module list below is the only place that names them.
Every command prints a short human summary, accepts ``--json`` for scripts, and turns bad
input into one line on stderr naming the field and the reason, with exit code 2.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from importlib import metadata
from typing import NoReturn

from aimarket.commands import (attacks, bridge, check, conform, demo, docs, games, ledger, network, regions, simulate,
                               spec, vectors)
from aimarket.errors import UsageError

COMMANDS = (spec, simulate, check, demo, ledger, games, docs, vectors, conform, regions, bridge, attacks, network)
"""The commands, in the order ``aimarket --help`` lists them; each module registers its parser."""


COMMAND_HELP: dict[str, tuple[str, str]] = {
    "spec": ("The protocol's action catalogue: for every action its actor, parameters, rejection "
             "codes in the order they are checked and what it changes; then the job states, "
             "invariants and outcomes.",
             "aimarket spec\n  aimarket spec --json | jq '.actions[0]'"),
    "check": ("Everything that checks the spec: exhaustive model checking (invariants, deadlock "
              "freedom, termination, goals, coverage), Z3 inductive invariants, the mutant kill "
              "matrix and the incentive proofs. Exit 1 on any failure; counterexamples are "
              "written as ITF traces that 'aimarket simulate --replay' replays.",
              "aimarket check\n  aimarket check --kind model --quiet\n"
              "  aimarket check --skip mutation --json --report report.json"),
    "demo": ("A whole marketplace on a fresh Fabric-style ledger with real cryptography: an "
             "honest job, a lazy vendor convicted by bisection, a false complaint.",
             "aimarket demo\n  aimarket demo --peers 4 --dir /tmp/market --json"),
    "ledger": ("Inspect the ledgers the reference writes.",
               "aimarket ledger verify /tmp/market"),
    "ledger verify": ("Verify a ledger directory: the hash chain, every signature and validation "
                      "code, and every verdict recomputed from the ledger's evidence. Exit 1 "
                      "when anything does not verify.",
                      "aimarket ledger verify /tmp/market\n  aimarket ledger verify /tmp/market/peer1 --json"),
    "docs": ("Build the documentation site (mkdocs-material, strict, offline) into site/.",
             "aimarket docs"),
    "vectors": ("Generate the conformance corpus (ITF vectors, the action catalogue, the schema "
                "and the manifest) from the spec, or check that the committed one is what the "
                "spec generates now (exit 1 if stale).",
                "aimarket vectors\n  aimarket vectors --check\n  aimarket vectors --out /tmp/corpus --json"),
    "regions": ("Synthesise the incentive regions of every analysed job shape and export them to "
                "the file the reference chaincode enforces (--check: exit 1 if it is stale).",
                "aimarket regions --check\n  aimarket regions --out /tmp/regions.json --json"),
}
"""Descriptions and examples of the commands whose modules do not give their own."""


def describe_commands(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """Give every (sub)command a description and examples: its module's own, those of
    :data:`COMMAND_HELP`, or at least its one-line help and its plainest invocation."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            key = f"{prefix}{name}"
            description, examples = COMMAND_HELP.get(key, (None, None))
            if sub.description is None:
                text = description or helps.get(name) or name
                sub.description = textwrap.fill(text[0].upper() + text[1:], width=88)
            if sub.epilog is None:
                if examples is None:
                    plain = any("--json" in item.option_strings for item in sub._actions)
                    examples = f"aimarket {key}" + (" --json" if plain else "")
                sub.epilog = "examples:\n  " + examples
            describe_commands(sub, key + " ")


EXAMPLES = """\
examples:
  aimarket spec                      the actions, their parameters and rejection codes
  aimarket simulate --seed 7 --steps 500
  aimarket check --kind model        exhaustive model checking of the spec
  aimarket conform --runner reference
  aimarket conform --runner "exec:aimarket bridge --runner spec"

'aimarket COMMAND --help' describes a command, with examples."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples as written; lines as wide as the terminal."""

    def __init__(self, prog: str, **kwargs) -> None:
        width = shutil.get_terminal_size((100, 24)).columns
        super().__init__(prog, width=max(60, min(width, 120)) - 2, **kwargs)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def version() -> str:
    try:
        return metadata.version("aimarket")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aimarket", description=__doc__.split("\n\n")[0], epilog=EXAMPLES)
    parser.add_argument("--version", action="version", version=f"aimarket {version()}")
    subparsers = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND",
                                       title="commands")
    for command in COMMANDS:
        command.register(subparsers)
    describe_commands(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:  # bare ``aimarket`` (or a group without its command)
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except UsageError as error:
        print(f"aimarket: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aimarket: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
