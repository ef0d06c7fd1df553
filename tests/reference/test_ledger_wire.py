"""The wire encoding: deterministic, round-trips, and rejects anything malformed with
DecodeError (never another exception)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.ledger import wire
from reference.ledger.codes import TxValidationCode

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


def _plain_dumps(value: Any) -> bytes:
    """The format of the module docstring, one value at a time (the oracle: blocks hash
    these bytes, so the encoding must never drift)."""
    import struct

    if type(value) in (list, tuple):
        return b"L" + struct.pack(">I", len(value)) + b"".join(_plain_dumps(item)
                                                               for item in value)
    if type(value) is bytes or isinstance(value, (bytearray, memoryview)):
        return b"B" + struct.pack(">I", len(bytes(value))) + bytes(value)
    if type(value) is str:
        data = value.encode("utf-8")
        return b"S" + struct.pack(">I", len(data)) + data
    if value is None or value is True or value is False:
        return {None: b"N", True: b"T", False: b"F"}[value]
    if isinstance(value, int):
        return b"I" + struct.pack(">q", int(value))
    raise TypeError(type(value).__name__)


odd_scalars = st.one_of(scalars, st.binary(max_size=8).map(bytearray),
                        st.sampled_from(list(TxValidationCode)),  # an IntEnum
                        st.integers(-(2**63), 2**63 - 1).filter(lambda n: abs(n) > 2**62),
                        st.text(alphabet="\u00e9\u4e2d\U0001f600a", max_size=6))
odd_values = st.recursive(odd_scalars, lambda children: st.one_of(
    st.lists(children, max_size=6), st.lists(children, max_size=6).map(tuple)), max_leaves=40)


@given(odd_values)
@settings(max_examples=500, deadline=None)
def test_the_encoder_writes_the_documented_format(value: Any) -> None:
    """Scalars inside lists (exact types, int subclasses, bytearrays, tuples, non-ASCII
    text, 64-bit extremes) get the bytes the one-value-at-a-time encoding gives."""
    assert wire.dumps(value) == _plain_dumps(value)


@pytest.mark.parametrize("value", [[2**63], [-(2**63) - 1], [[1, 2**64]], (0, [2**70])])
def test_integers_beyond_64_bits_are_refused_inside_lists_too(value: Any) -> None:
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        wire.dumps(value)


def test_strings_with_lone_surrogates_are_refused_inside_lists() -> None:
    with pytest.raises(UnicodeEncodeError):
        wire.dumps(["\ud800"])
