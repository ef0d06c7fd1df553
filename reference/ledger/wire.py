"""Deterministic binary encoding of ledger messages (a small tag-length-value format).

A value is one of: ``None``, ``bool``, ``int`` (signed 64-bit), ``str`` (UTF-8), ``bytes``,
or a ``list``/``tuple`` of values. Each encodes as a one-byte tag and a fixed-width big-endian
length or value::

    N | T | F                     None, True, False
    I <8-byte signed int>
    B <4-byte length> <bytes>     S <4-byte length> <UTF-8>
    L <4-byte count> <items...>

There is exactly one encoding of each value, so the same value always gives the same bytes.
Nested messages are carried as ``bytes`` fields (like protobuf), and signatures are always
checked over the bytes as received, never over a re-encoding, as Fabric does.

Decoding is strict (known tags, lengths in bounds, valid UTF-8, no trailing bytes, bounded
nesting): anything else raises ``DecodeError`` naming the message, so a malformed message
becomes a validation code, never a traceback.
"""

from __future__ import annotations

import struct
from typing import Any

_U32 = struct.Struct(">I")
_I64 = struct.Struct(">q")
_MAX_DEPTH = 16
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_TAG_NONE, _TAG_TRUE, _TAG_FALSE = ord("N"), ord("T"), ord("F")
_TAG_INT, _TAG_BYTES, _TAG_STR, _TAG_LIST = ord("I"), ord("B"), ord("S"), ord("L")


class DecodeError(ValueError):
    """A message does not have the expected structure."""


def dumps(value: Any) -> bytes:
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value: Any, out: bytearray) -> None:
    kind = type(value)
    if kind is bytes:
        out += b"B"
        out += _U32.pack(len(value))
        out += value
    elif kind is str:
        data = value.encode("utf-8")
        out += b"S"
        out += _U32.pack(len(data))
        out += data
    elif kind is list or kind is tuple:
        out += b"L"
        out += _U32.pack(len(value))
        for item in value:
            _encode(item, out)
    elif value is None:
        out += b"N"
    elif value is True:
        out += b"T"
    elif value is False:
        out += b"F"
    elif isinstance(value, int):  # IntEnum and other int subclasses (bools handled above)
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"integer {value} does not fit in 64 bits")
        out += b"I"
        out += _I64.pack(int(value))
    elif isinstance(value, (bytes, bytearray, memoryview)):
        _encode(bytes(value), out)
    else:
        raise TypeError(f"cannot encode {kind.__name__}")


def loads(data: bytes, what: str) -> Any:
    """Decode one complete value; ``what`` names the message in errors."""
    if not isinstance(data, bytes):
        if not isinstance(data, bytearray):
            raise DecodeError(f"{what}: expected bytes")
        data = bytes(data)
    if not data:
        raise DecodeError(f"{what}: empty")
    try:
        if data[0] == _TAG_LIST:
            value, end = _decode_list(data, 1, 0)
        else:  # a lone scalar: decode it as the only item of a one-item list
            items, end = _decode_list(_ONE_ITEM_LIST + data, 1, 0)
            value, end = items[0], end - len(_ONE_ITEM_LIST)
    except (struct.error, IndexError):
        raise DecodeError(f"{what}: truncated") from None
    except UnicodeDecodeError:
        raise DecodeError(f"{what}: invalid UTF-8") from None
    except DecodeError as exc:
        raise DecodeError(f"{what}: {exc}") from None
    if end != len(data):
        raise DecodeError(f"{what}: {len(data) - end} trailing bytes")
    return value


_ONE_ITEM_LIST = b"L" + _U32.pack(1)
_unpack_u32 = _U32.unpack_from
_unpack_i64 = _I64.unpack_from


def _decode_list(data: bytes, position: int, depth: int) -> tuple[list[Any], int]:
    """Decode the items of a list whose tag was at ``position - 1`` (scalars inline: this
    is the hot path of every peer's validation)."""
    if depth >= _MAX_DEPTH:
        raise DecodeError("nesting too deep")
    (count,) = _unpack_u32(data, position)
    position += 4
    size = len(data)
    if count > size - position:
        raise IndexError
    items: list[Any] = []
    append = items.append
    for _ in range(count):
        tag = data[position]
        if tag in (_TAG_BYTES, _TAG_STR):
            (length,) = _unpack_u32(data, position + 1)
            start = position + 5
            position = start + length
            if position > size:
                raise IndexError
            append(data[start:position] if tag == _TAG_BYTES
                   else data[start:position].decode("utf-8"))
        elif tag == _TAG_LIST:
            value, position = _decode_list(data, position + 1, depth + 1)
            append(value)
        elif tag == _TAG_INT:
            append(_unpack_i64(data, position + 1)[0])
            position += 9
        elif tag == _TAG_NONE:
            append(None)
            position += 1
        elif tag == _TAG_TRUE:
            append(True)
            position += 1
        elif tag == _TAG_FALSE:
            append(False)
            position += 1
        else:
            raise DecodeError(f"unknown tag {tag:#x}")
    return items, position


def fields(value: Any, count: int, what: str) -> list[Any]:
    """``value`` must be a list of exactly ``count`` fields."""
    if type(value) is not list:
        raise DecodeError(f"{what}: expected a list")
    if len(value) != count:
        raise DecodeError(f"{what}: expected {count} fields, got {len(value)}")
    return value


def as_bytes(value: Any, what: str) -> bytes:
    if type(value) is not bytes:
        raise DecodeError(f"{what}: expected bytes")
    return value


def as_str(value: Any, what: str) -> str:
    if type(value) is not str:
        raise DecodeError(f"{what}: expected a string")
    return value


def as_int(value: Any, what: str) -> int:
    if type(value) is not int:
        raise DecodeError(f"{what}: expected an integer")
    return value


def as_bool(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise DecodeError(f"{what}: expected a boolean")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if type(value) is not list:
        raise DecodeError(f"{what}: expected a list")
    return value


def as_optional_bytes(value: Any, what: str) -> bytes | None:
    return None if value is None else as_bytes(value, what)
