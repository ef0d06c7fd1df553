"""JSON Schema of game files: CheckMate's input format plus chance nodes.

A node is exactly one of

* a decision node ``{"player": P, "children": [{"action": A, "child": NODE}, ...]}``,
* a leaf ``{"utility": [{"player": P, "value": TERM}, ...]}``,
* a chance node ``{"chance": [{"action": A, "probability": TERM, "child": NODE}, ...]}``
  (our extension; probabilities are real terms, each in [0, 1], summing to 1 at the node).

``TERM`` is a number or a string in the term language of :mod:`proofs.games.terms`.
"""

from __future__ import annotations

from typing import Any

_STRING_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
_NAME_LIST: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "pattern": r"^[A-Za-z_]\w*$"},
    "uniqueItems": True,
}
_CONSTRAINT_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string"}}  # repeats are harmless
_TERM: dict[str, Any] = {"type": ["number", "string"]}

def shallow(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` in which the whole tree (top level) or every child (node level) is
    only required to be an object; used to validate a large tree one node at a time."""
    import copy

    result = copy.deepcopy(schema)
    if "properties" in result and "tree" in result["properties"]:
        result["properties"]["tree"] = {"type": "object"}
    for edge in ("edge", "chance_edge"):
        if "$defs" in result:
            result["$defs"][edge]["properties"]["child"] = {"type": "object"}
    return result


GAME_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "aimarket game file (CheckMate format with chance nodes)",
    "type": "object",
    "required": [
        "players", "actions", "infinitesimals", "constants", "initial_constraints",
        "property_constraints", "honest_histories", "tree",
    ],
    "properties": {
        "players": {**_STRING_LIST, "minItems": 1},
        "actions": _STRING_LIST,
        "infinitesimals": _NAME_LIST,
        "constants": _NAME_LIST,
        "initial_constraints": _CONSTRAINT_LIST,
        "property_constraints": {
            "type": "object",
            "required": ["weak_immunity", "weaker_immunity", "collusion_resilience", "practicality"],
            "additionalProperties": _CONSTRAINT_LIST,
        },
        "honest_histories": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        "tree": {"$ref": "#/$defs/node"},
    },
    "$defs": {
        "node": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "player": {"type": "string"},
                "children": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/edge"}},
                "utility": {"type": "array", "items": {"$ref": "#/$defs/utility"}},
                "chance": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/chance_edge"}},
            },
            "dependentRequired": {"player": ["children"], "children": ["player"]},
            "not": {"anyOf": [
                {"required": ["player", "utility"]},
                {"required": ["children", "utility"]},
                {"required": ["player", "chance"]},
                {"required": ["children", "chance"]},
                {"required": ["utility", "chance"]},
            ]},
            "anyOf": [{"required": ["player"]}, {"required": ["utility"]}, {"required": ["chance"]}],
        },
        "edge": {
            "type": "object",
            "required": ["action", "child"],
            "properties": {"action": {"type": "string"}, "child": {"$ref": "#/$defs/node"}},
        },
        "chance_edge": {
            "type": "object",
            "required": ["action", "probability", "child"],
            "properties": {
                "action": {"type": "string"},
                "probability": _TERM,
                "child": {"$ref": "#/$defs/node"},
            },
        },
        "utility": {
            "type": "object",
            "required": ["player", "value"],
            "properties": {"player": {"type": "string"}, "value": _TERM},
        },
    },
}


#: The top level with the tree left out, and one node with its children left out.
TOP_LEVEL_SCHEMA: dict[str, Any] = shallow({key: value for key, value in GAME_SCHEMA.items() if key != "$defs"})
NODE_SCHEMA: dict[str, Any] = {**shallow(GAME_SCHEMA)["$defs"]["node"], "$defs": shallow(GAME_SCHEMA)["$defs"]}
