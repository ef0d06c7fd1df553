"""The static action catalogue shipped with the corpus (``vectors/actions.schema.json``).

An implementer in any language needs, per action, what ``vectors/vector.schema.json``
cannot say in its one flat list of arguments: which parameters the action takes, their
types, which are required, who may call it, and the rejection codes it answers in the
order they are checked, each with its meaning; and the schema of the projected state that
:meth:`~conformance.runner.Runner.project` (or the bridge's ``project``) must produce.

The file is one JSON Schema (draft 2020-12) that validates a *call* as the vector files
and the bridge protocol write it — ``{"action": <mbt::actionTaken>, "picks":
<mbt::nondetPicks>}`` — with one branch per action (``$defs/calls/<action>``) whose
``picks`` require exactly that action's parameters. Its ``x-actions`` annotation carries
the same catalogue as plain data, ``x-rejections`` every rejection code with its meaning,
and ``$defs/abstract_state`` the projected state. It is written and checked with the rest
of the corpus (``aimarket vectors`` / ``--check``) and listed with its sha256 in the
manifest.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from typing import Any

from conformance.schema import ARGUMENT_VALUES, meaning_schema, option, record, state_schema
from spec.actions import CATALOGUE
from spec.rejections import Rejection

CATALOGUE_FILE = "actions.schema.json"
CATALOGUE_ID = "https://aimarket.example/schemas/conformance-actions-v1.json"

TYPE_NAMES: dict[str, str] = {
    "role": "role", "organisation": "name", "recipient": "identity", "amount": "whole number",
    "dataset": "dataset name", "commitment": "digest (abstract)", "price": "whole number",
    "misuse_value": "whole number", "purposes": "set of purposes", "expiry": "tick",
    "max_uses": "whole number", "model": "model name", "fee": "whole number",
    "cost": "whole number", "capacity": "whole number", "job": "job id",
    "datasets": "list of dataset names", "vendors": "list of vendor identities",
    "purpose": "purpose", "steps": "whole number", "window": "ticks",
    "vendor_stake": "whole number", "developer_bond": "whole number",
    "owner_bond": "whole number", "delivery_digest": "digest (abstract)",
    "key_digest": "digest (abstract)", "transcript": "list of digests (abstract)",
    "vendor": "vendor identity", "digest": "digest (abstract)",
    "step": "training step (from 1)", "check": "kind of fault (state or sender)",
}
"""What each parameter holds, in words (``schema`` gives its exact ITF form)."""

MEANINGS: dict[str, str] = {
    "commitment": "meaning.commitment: \"fresh\" — the implementation's own commitment",
    "delivery_digest": "meaning.delivery_digest: \"committed\" or \"other\"",
    "key_digest": "meaning.key_digest: \"opaque\" — never checked",
    "transcript": "meaning.transcript.digests: one label per step (honest, wrong, tampered, other:N)",
    "digest": "meaning.digest: the label of the digest at meaning.digest.step",
}
"""For abstract parameters: where the vector says what the value stands for."""


@cache
def rejection_meanings() -> dict[str, str]:
    """Each code's docstring in :mod:`spec.rejections` (read from the source)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(Rejection)))
    definition = tree.body[0]
    assert isinstance(definition, ast.ClassDef)
    body = definition.body
    found: dict[str, str] = {}
    for current, following in zip(body, body[1:]):
        if (isinstance(current, ast.Assign) and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
                and isinstance(current.targets[0], ast.Name)):
            found[current.targets[0].id] = " ".join(following.value.value.split())
    return found


def call_schema(name: str) -> dict[str, Any]:
    """The schema of one action's call: its name and its picks, every parameter required."""
    action = CATALOGUE[name]
    picks = {"actor": option({"type": "string"}),
             **{param: option(ARGUMENT_VALUES[param]) for param in action.params}}
    picks_schema = record(picks)
    picks_schema["properties"]["meaning"] = option(meaning_schema())
    return {"type": "object", "required": ["action", "picks"], "additionalProperties": False,
            "properties": {"action": {"const": name}, "picks": picks_schema}}


def action_entry(name: str) -> dict[str, Any]:
    action = CATALOGUE[name]
    meanings = rejection_meanings()
    return {
        "actor": action.actor,
        "kind": action.kind,
        "changes": action.changes,
        "parameters": [
            {"name": param, "type": TYPE_NAMES[param], "required": True,
             **({"meaning": MEANINGS[param]} if param in MEANINGS else {}),
             "schema": ARGUMENT_VALUES[param]}
            for param in action.params],
        "rejections": [
            {"order": order, "code": code.value, "meaning": meanings.get(code.name, "")}
            for order, code in enumerate(action.rejections, start=1)],
    }


def catalogue_schema(spec_version: str) -> dict[str, Any]:
    """The whole catalogue file for the spec at ``spec_version``."""
    missing = {param for action in CATALOGUE.values() for param in action.params} - set(TYPE_NAMES)
    assert not missing, f"parameters without a type name: {sorted(missing)}"
    meanings = rejection_meanings()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": CATALOGUE_ID,
        "title": "aimarket action catalogue: a call as the vectors and the bridge write it",
        "description": (
            "Validates {\"action\", \"picks\"} (a vector state's mbt::actionTaken and "
            "mbt::nondetPicks). x-actions lists each action's actor, parameters (type, "
            "required) and rejection codes in the order they are checked; "
            "$defs/abstract_state is the projected state a runner reports."),
        "x-spec-version": spec_version,
        "x-actions": {name: action_entry(name) for name in CATALOGUE},
        "x-rejections": [{"code": code.value, "meaning": meanings.get(code.name, "")}
                         for code in Rejection],
        "oneOf": [{"$ref": f"#/$defs/calls/{name}"} for name in CATALOGUE],
        "$defs": {"calls": {name: call_schema(name) for name in CATALOGUE},
                  "abstract_state": state_schema()},
    }


def catalogue_validator(schema: dict[str, Any]):
    """A :mod:`jsonschema` validator of calls (or, with a ``$ref``, of states)."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)
