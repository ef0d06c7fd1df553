"""The wire encoding: deterministic, round-trips, and rejects anything malformed with
DecodeError (never another exception)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.ledger import wire

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
                    st.binary(max_size=40), st.text(max_size=20))
values = st.recursive(scalars, lambda children: st.lists(children, max_size=5), max_leaves=30)


@given(values)
@settings(max_examples=300, deadline=None)
def test_round_trip_and_determinism(value: Any) -> None:
    encoded = wire.dumps(value)
    assert wire.loads(encoded, "value") == value
    assert wire.dumps(wire.loads(encoded, "value")) == encoded


@given(st.binary(min_size=0, max_size=64))
@settings(max_examples=500, deadline=None)
def test_arbitrary_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    for candidate in (data, b"L" + data):
        with contextlib.suppress(wire.DecodeError):
            wire.loads(candidate, "fuzz")


def test_truncated_and_padded_messages_are_rejected() -> None:
    encoded = wire.dumps([b"abc", "d", [1, None, [True]]])
    for cut in range(1, len(encoded)):
        with pytest.raises(wire.DecodeError):
            wire.loads(encoded[:cut], "message")
    with pytest.raises(wire.DecodeError, match="trailing"):
        wire.loads(encoded + b"N", "message")


def test_nesting_is_bounded_and_errors_name_the_message() -> None:
    with pytest.raises(wire.DecodeError, match="envelope: nesting too deep"):
        wire.loads(b"L\x00\x00\x00\x01" * 40 + b"N", "envelope")
    with pytest.raises(wire.DecodeError, match="header: invalid UTF-8"):
        wire.loads(b"S\x00\x00\x00\x01\xff", "header")
    with pytest.raises(wire.DecodeError, match="expected 2 fields"):
        wire.fields(wire.loads(wire.dumps([1]), "pair"), 2, "pair")


def test_unencodable_values_are_refused() -> None:
    with pytest.raises(TypeError):
        wire.dumps({"a": 1})
    with pytest.raises(TypeError):
        wire.dumps(1.5)
