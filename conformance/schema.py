"""The JSON Schema of a conformance vector file (written to ``vectors/vector.schema.json``).

It pins the ITF shape of every state variable, down to each field of the abstract state
and each argument of ``mbt::nondetPicks``, so an implementer can validate a vector with
any JSON Schema tool before writing a line of code. The schema is built here from small
helpers (an ITF map of X to Y, an Option of X...) rather than written out by hand.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from conformance.projection import AbstractDataset, AbstractJob, AbstractOffer, AbstractState
from conformance.vectors import VARIABLES
from spec.actions import CATALOGUE
from spec.rejections import Rejection

SCHEMA_ID = "https://aimarket.example/schemas/conformance-vector-v1.json"

BIGINT: dict[str, Any] = {"type": "object", "required": ["#bigint"], "additionalProperties": False,
                          "properties": {"#bigint": {"type": "string", "pattern": "^-?[0-9]+$"}}}
TEXT: dict[str, Any] = {"type": "string"}


def record(fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": sorted(fields), "additionalProperties": False,
            "properties": fields}


def itf_map(key: Any, value: Any) -> dict[str, Any]:
    entry = {"type": "array", "prefixItems": [key, value], "minItems": 2, "maxItems": 2}
    return {"type": "object", "required": ["#map"], "additionalProperties": False,
            "properties": {"#map": {"type": "array", "items": entry}}}


def itf_set(member: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["#set"], "additionalProperties": False,
            "properties": {"#set": {"type": "array", "items": member, "uniqueItems": True}}}


def itf_tuple(*members: Any) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "array", "minItems": len(members), "maxItems": len(members)}
    if members:
        items["prefixItems"] = list(members)
    return {"type": "object", "required": ["#tup"], "additionalProperties": False,
            "properties": {"#tup": items}}


def option(value: Any) -> dict[str, Any]:
    none = record({"tag": {"const": "None"}, "value": itf_tuple()})
    some = record({"tag": {"const": "Some"}, "value": value})
    return {"oneOf": [none, some]}


def sequence(member: Any) -> dict[str, Any]:
    return {"type": "array", "items": member}


DIGEST_LABEL = {"type": "string", "pattern": "^(honest|wrong|tampered|other:[1-9][0-9]*)$"}
STATUS = {"enum": ["REQUESTED", "LICENSED", "RUNNING", "DELIVERED", "DISPUTED", "SETTLED",
                   "CANCELLED", "RESOLVED", "EXPIRED"]}
ROLE = {"enum": ["treasury", "data_owner", "developer", "vendor"]}


def state_schema() -> dict[str, Any]:
    dataset = record({"owner": TEXT, "price": BIGINT, "misuse_value": BIGINT,
                      "purposes": itf_set(TEXT), "expiry": BIGINT, "max_uses": BIGINT,
                      "uses": BIGINT})
    offer = record({"fee": BIGINT, "cost": BIGINT, "capacity": BIGINT, "active_jobs": BIGINT})
    dispute = record({"respondent": TEXT, "claim": sequence(DIGEST_LABEL), "low": BIGINT,
                      "high": BIGINT, "turn": {"enum": ["claimant", "respondent", "resolve"]},
                      "rounds": BIGINT, "answers": BIGINT})
    verdict = record({"convicted": TEXT, "offence": {"enum": [
        "DEFECTIVE_INPUTS", "FALSE_COMPLAINT", "WRONG_COMPUTATION", "FALSE_DISPUTE",
        "MISSED_DEADLINE", "DATA_MISUSE"]}})
    amounts = itf_map(TEXT, BIGINT)
    job = record({
        "developer": TEXT, "model": TEXT, "datasets": sequence(TEXT), "vendors": sequence(TEXT),
        "purpose": TEXT, "steps": BIGINT, "window": BIGINT, "vendor_stake": BIGINT,
        "developer_bond": BIGINT, "owner_bond": BIGINT, "status": STATUS, "deadline": BIGINT,
        "deposits": amounts, "deliveries": itf_map(TEXT, {"enum": ["committed", "other"]}),
        "accepted": itf_set(TEXT), "confirmed": itf_set(TEXT),
        "results": itf_map(TEXT, sequence(DIGEST_LABEL)), "disputes": sequence(dispute),
        "verdicts": sequence(verdict), "payouts": option(amounts)})
    state = record({
        "now": BIGINT, "identities": itf_map(TEXT, ROLE), "balances": amounts,
        "escrows": amounts, "minted": BIGINT, "datasets": itf_map(TEXT, dataset),
        "models": itf_map(TEXT, TEXT), "offers": itf_map(TEXT, offer), "jobs": itf_map(TEXT, job),
        "data_holders": itf_set(itf_tuple(TEXT, TEXT, TEXT)),
        "model_holders": itf_set(itf_tuple(TEXT, TEXT)),
        "misuse_artefacts": itf_set(itf_tuple(TEXT, TEXT))})
    # the projection's dataclasses and this schema name the same fields
    for kind, schema in ((AbstractState, state), (AbstractJob, job), (AbstractDataset, dataset),
                         (AbstractOffer, offer)):
        assert set(schema["properties"]) == set(kind.__dataclass_fields__), kind.__name__
    return state


ARGUMENT_VALUES: dict[str, Any] = {
    "role": ROLE, "organisation": TEXT, "recipient": TEXT, "amount": BIGINT, "dataset": TEXT,
    "commitment": BIGINT, "price": BIGINT, "misuse_value": BIGINT, "purposes": itf_set(TEXT),
    "expiry": BIGINT, "max_uses": BIGINT, "model": TEXT, "fee": BIGINT, "cost": BIGINT,
    "capacity": BIGINT, "job": TEXT, "datasets": sequence(TEXT), "vendors": sequence(TEXT),
    "purpose": TEXT, "steps": BIGINT, "window": BIGINT, "vendor_stake": BIGINT,
    "developer_bond": BIGINT, "owner_bond": BIGINT, "delivery_digest": BIGINT,
    "key_digest": BIGINT, "transcript": sequence(BIGINT), "vendor": TEXT, "digest": BIGINT,
    "step": BIGINT, "check": {"enum": ["state", "sender"]},
}


def meaning_schema() -> dict[str, Any]:
    context = option(record({"job": TEXT, "vendor": TEXT}))
    fields = {
        "actor": record({"forges": TEXT}),
        "commitment": {"const": "fresh"},
        "delivery_digest": {"enum": ["committed", "other"]},
        "key_digest": {"const": "opaque"},
        "transcript": record({"context": context, "digests": sequence(DIGEST_LABEL),
                              "shape": {"type": "string",
                                        "pattern": "^(honest|diverges_at:[1-9][0-9]*|mixed)$"}}),
        "digest": record({"context": context, "step": BIGINT, "label": DIGEST_LABEL}),
    }
    return {"type": "object", "additionalProperties": False, "properties": fields}


def picks_schema() -> dict[str, Any]:
    names = {name for action in CATALOGUE.values() for name in action.params}
    missing = names - set(ARGUMENT_VALUES)
    assert not missing, f"arguments without a schema: {missing}"
    properties = {name: option(ARGUMENT_VALUES[name]) for name in sorted(names)}
    properties["actor"] = option(TEXT)
    properties["meaning"] = option(meaning_schema())
    return {"type": "object", "additionalProperties": False, "properties": properties}


@lru_cache(maxsize=1)
def vector_schema() -> dict[str, Any]:
    """The JSON Schema of a vector file."""
    outcome = {"enum": ["init", "accepted", *(code.value for code in Rejection)]}
    state = {
        "type": "object",
        "required": ["#meta", *VARIABLES],
        "additionalProperties": False,
        "properties": {
            "#meta": {"type": "object", "required": ["index"],
                      "properties": {"index": {"type": "integer", "minimum": 0}}},
            "state": {"$ref": "#/$defs/abstract_state"},
            "mbt::actionTaken": {"enum": ["init", *CATALOGUE]},
            "mbt::nondetPicks": {"$ref": "#/$defs/picks"},
            "outcome": outcome,
            "concurrent": {"type": "boolean"},
        },
    }
    meta = {
        "type": "object",
        "required": ["format", "vector", "kind", "description", "seed", "genesis", "prelude"],
        "properties": {
            "format": {"const": "ITF"},
            "format-description": TEXT,
            "source": TEXT,
            "vector": TEXT,
            "kind": {"enum": ["prelude", "coverage", "walk", "sequence"]},
            "description": TEXT,
            "seed": {"type": ["integer", "null"]},
            "prelude": {"type": ["string", "null"]},
            "genesis": record({"dispute_cost": {"type": "integer", "minimum": 0},
                               "audit_probability": {"type": "string",
                                                     "pattern": "^[0-9]+/[1-9][0-9]*$"}}),
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "aimarket conformance vector (an ITF trace)",
        "type": "object",
        "required": ["#meta", "vars", "states"],
        "properties": {
            "#meta": meta,
            "params": {"type": "array", "maxItems": 0},
            "vars": {"const": VARIABLES},
            "states": {"type": "array", "minItems": 1, "items": state},
        },
        "$defs": {"abstract_state": state_schema(), "picks": picks_schema()},
    }


def vector_validator():
    """A :mod:`jsonschema` validator of vector files."""
    from jsonschema import Draft202012Validator

    schema = vector_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)
