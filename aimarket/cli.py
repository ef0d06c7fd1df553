"""The ``aimarket`` command line.

Each sub-command lives in its own module under :mod:`aimarket.commands` and exposes
``register(subparsers)``; the module list below is the only place that names them.
Every command prints a short human summary, accepts ``--json`` for scripts, and turns bad
input into one line on stderr naming the field and the reason, with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "aimarket.commands.spec",
    "aimarket.commands.simulate",
    "aimarket.commands.check",
    "aimarket.commands.demo",
    "aimarket.commands.ledger",
    "aimarket.commands.games",
    "aimarket.commands.docs",
    "aimarket.commands.vectors",
    "aimarket.commands.conform",
    "aimarket.commands.regions",
    "aimarket.commands.network",
)


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        self.exit(2, f"aimarket: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aimarket", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
