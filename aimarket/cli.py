"""The aimarket command line: specification, proofs, conformance vectors and the reference.

Each sub-command lives in its own module under :mod:`aimarket.commands` and exposes
``register(subparsers)``; the module list below is the only place that names them.
Every command prints a short human summary, accepts ``--json`` for scripts, and turns bad
input into one line on stderr naming the field and the reason, with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
from importlib import metadata

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
    "aimarket.commands.bridge",
)


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


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

    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
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
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
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
