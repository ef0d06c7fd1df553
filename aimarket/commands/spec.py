"""``aimarket spec``: the action catalogue of the specification."""

from __future__ import annotations

import json
import textwrap

from rich.console import Console
from rich.table import Table

from aimarket.introspect import attribute_docs
from spec.actions import CATALOGUE
from spec.invariants import INVARIANTS, OUTCOMES
from spec.rejections import Rejection
from spec.state import TERMINAL_STATUSES, JobStatus


DESCRIPTION = """\
The protocol's action catalogue: for every action its actor, parameters, rejection codes in
the order they are checked and what it changes; then the job states, invariants and
outcomes. The table fits the terminal; --json gives the same as data. The corpus ships a
static, per-action catalogue with parameter types as vectors/actions.schema.json."""

EXAMPLES = """\
examples:
  aimarket spec
  COLUMNS=160 aimarket spec
  aimarket spec --json"""


WIDE = 120
"""From this terminal width on, the catalogue is one table."""


def catalogue() -> dict:
    """The catalogue as plain data (what ``--json`` prints)."""
    status_docs = attribute_docs(JobStatus)
    rejection_docs = attribute_docs(Rejection)
    return {
        "actions": [
            {"name": action.name, "actor": action.actor, "params": list(action.params),
             "rejections": [code.value for code in action.rejections],
             "changes": action.changes, "kind": action.kind}
            for action in CATALOGUE.values()
        ],
        "states": [
            {"name": status.value, "terminal": status in TERMINAL_STATUSES,
             "description": status_docs.get(status.name, "")}
            for status in JobStatus
        ],
        "invariants": [
            {"name": invariant.name, "scope": invariant.scope,
             "description": invariant.description}
            for invariant in INVARIANTS
        ],
        "rejections": [
            {"code": code.value, "description": rejection_docs.get(code.name, "")}
            for code in Rejection
        ],
        "outcomes": list(OUTCOMES),
    }


def run(args) -> int:
    data = catalogue()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    console = Console(markup=False, highlight=False)  # as wide as the terminal (80 in a pipe)
    if console.width >= WIDE:
        table = Table(title="aimarket protocol: actions", show_lines=True)
        for column in ("action", "actor", "parameters", "rejection codes (in check order)", "changes"):
            table.add_column(column, overflow="fold")
        for action in data["actions"]:
            name = action["name"] + (" (off-chain)" if action["kind"] != "ledger" else "")
            table.add_row(name, action["actor"], ", ".join(action["params"]) or "-",
                          "\n".join(action["rejections"]) or "-", action["changes"])
        console.print(table)
    else:  # one block per action: nothing folded mid-word on a narrow terminal
        width = max(console.width, 40)
        for action in data["actions"]:
            kind = ", off-chain" if action["kind"] != "ledger" else ""
            console.print(f"{action['name']} ({action['actor']}{kind})")
            for label, text in (("parameters", ", ".join(action["params"]) or "none"),
                                ("rejections", ", ".join(action["rejections"]) or "none"),
                                ("changes", action["changes"])):
                console.print(textwrap.fill(f"{label}: {text}", width=width,
                                            initial_indent="  ", subsequent_indent="    "))
    console.print("job states: " + ", ".join(
        state["name"] + (" (terminal)" if state["terminal"] else "") for state in data["states"]))
    console.print("invariants: " + ", ".join(item["name"] for item in data["invariants"]))
    console.print(f"{len(data['actions'])} actions, {len(data['rejections'])} rejection codes, "
                  f"{len(data['invariants'])} invariants, {len(data['outcomes'])} outcomes")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("spec", help="print the protocol's action catalogue",
                                   description=DESCRIPTION, epilog=EXAMPLES)
    parser.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    parser.set_defaults(run=run)
