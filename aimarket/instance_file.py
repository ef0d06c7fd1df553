"""Reading an instance (parties and amounts) from a JSON parameter file, with errors that
name the field and the reason."""

from __future__ import annotations

from fractions import Fraction

from aimarket.errors import UsageError
from spec.world import Instance

WHOLE_AT_LEAST = {
    "data_owners": 1, "developers": 1, "vendors": 1, "steps": 1, "window": 1,
    "vendor_capacity": 1, "licence_uses": 1, "licence_expiry": 0,
    "price": 0, "fee": 0, "cost": 0, "misuse_value": 0, "dispute_cost": 0,
}
"""Fields holding whole numbers, with their least allowed value."""

PARTY_LIMIT = 9
"""At most this many parties of one role (names are numbered 1..9)."""


def parse_probability(field: str, value: object) -> Fraction:
    """A probability in (0, 1], written as a number or a fraction string such as "1/2"."""
    try:
        probability = Fraction(value) if isinstance(value, (int, str)) else Fraction(str(value))
    except (ValueError, ZeroDivisionError, TypeError):
        raise UsageError(field, f"must be a number in (0, 1] such as 0.5 or \"1/2\", got {value!r}") from None
    if not 0 < probability <= 1:
        raise UsageError(field, f"must be in (0, 1], got {value!r}")
    return probability


def instance_from_mapping(values: dict, source: str, base: Instance) -> Instance:
    """``base`` with the fields of ``values`` replaced, each validated."""
    if not isinstance(values, dict):
        raise UsageError(source, "must hold a JSON object of parameter fields")
    changes: dict[str, object] = {}
    for field, value in values.items():
        where = f"{source}: field '{field}'"
        if field == "audit_probability":
            changes[field] = parse_probability(where, value)
        elif field in WHOLE_AT_LEAST:
            if isinstance(value, bool) or not isinstance(value, int):
                raise UsageError(where, f"must be a whole number, got {value!r}")
            if value < WHOLE_AT_LEAST[field]:
                raise UsageError(where, f"must be at least {WHOLE_AT_LEAST[field]}, got {value}")
            if field in ("data_owners", "developers", "vendors") and value > PARTY_LIMIT:
                raise UsageError(where, f"must be at most {PARTY_LIMIT}, got {value}")
            changes[field] = value
        else:
            known = ", ".join(sorted([*WHOLE_AT_LEAST, "audit_probability"]))
            raise UsageError(where, f"unknown field (known fields: {known})")
    return Instance(**{**base.__dict__, **changes})


def load_instance(path: str, base: Instance) -> Instance:
    """Read a JSON parameter file over ``base`` (:func:`aimarket.inputs.read_json_file`:
    one-line refusals for missing, binary, huge, deeply nested or non-object files)."""
    from aimarket.inputs import read_json_file

    values = read_json_file(path, dict, "JSON object of parameter fields")
    return instance_from_mapping(values, path, base)
