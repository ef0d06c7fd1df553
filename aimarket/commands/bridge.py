"""``aimarket bridge``: serve a Python runner over the bridge protocol (stdin/stdout)."""

from __future__ import annotations

import sys

from aimarket.errors import UsageError

DESCRIPTION = """\
Serve a Python conformance runner over the bridge protocol: one JSON request per line on
standard input, one JSON response per line on standard output (docs/conformance.md).

It is the Python end of 'aimarket conform --runner exec:COMMAND': the suite tests itself
through it end to end, and a front end in another language can delegate to it. Nothing but
protocol lines is written to standard output; the runner's own prints go to stderr."""

EXAMPLES = """\
examples:
  aimarket conform --runner "exec:aimarket bridge --runner spec"
  aimarket conform --runner "exec:aimarket bridge --runner reference" --mutants
  echo '{"id":1,"op":"hello","protocol":1}' | aimarket bridge --runner spec"""


def run(args) -> int:
    from conformance.bridge import EXEC_PREFIX, serve
    from conformance.loading import RunnerNameError, runner_class

    if args.runner.startswith(EXEC_PREFIX):
        raise UsageError("--runner", "a bridge serves a Python runner, not another exec: program")
    try:
        made = runner_class(args.runner)
    except RunnerNameError as error:
        raise UsageError("--runner", str(error)) from None
    protocol_out = sys.stdout
    sys.stdout = sys.stderr  # the runner's prints must not corrupt the protocol
    try:
        runner = made()
        serve(runner, sys.stdin, protocol_out)
    finally:
        sys.stdout = protocol_out
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bridge", help="serve a Python runner over the line-oriented JSON bridge protocol",
        description=DESCRIPTION, epilog=EXAMPLES)
    parser.add_argument("--runner", default="spec", metavar="RUNNER",
                        help="spec, spec-remapped, reference or module:Class (default spec)")
    parser.set_defaults(run=run)
