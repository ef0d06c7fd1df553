"""Reading a call's arguments: one JSON object, every field checked for type and form.

Every marketplace function takes exactly one argument: the UTF-8 bytes of a JSON object
with named fields. :class:`Arguments` hands out typed values and refuses, with
``MKT_MALFORMED_ARGS`` naming the field, anything missing, of the wrong type, out of range
or unknown. These checks come before any rule of the protocol is looked at, and a refused
call changes nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, overload

from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.records import HEX_DIGEST, IDENTIFIER

MAX_TOKENS = 10**18
"""Largest amount of tokens in one field (a price, fee, stake, bond or funding): the
protocol's bound on any one amount (beyond any real supply; sums of a few still fit in
every implementation's 64-bit-plus integers)."""

MAX_TIME = 10**11
"""Latest time (seconds since the epoch, about the year 5100) a field may name."""

MAX_WINDOW = 366 * 86400
"""Longest phase window: a year. A window that never ends would hold stakes forever."""

MAX_COUNT = 10**9
"""Largest count (capacity, licence uses, rows, features)."""

MAX_STEPS = 100_000
"""Most training steps a job may have: every step digest of every vendor's transcript is
published on the ledger with ``submit_result`` (a reference restriction)."""

MAX_AMOUNT = MAX_TOKENS  # kept for callers of the old name

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in an argument."""

MAX_LIST = 256
"""Largest number of datasets, vendors or purposes in one call."""


def malformed(field: str, reason: str) -> Rejected:
    return Rejected(MarketCode.MALFORMED_ARGS, f"{field}: {reason}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _Ambiguous(ValueError):
    """Input that JSON parsers disagree on."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise _Ambiguous(f"duplicate key {key[:64]!r}")
        value[key] = item
    return value


def _check_tree(value: Any, depth: int = 0) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings with lone surrogates (not
    Unicode: parsers and encoders disagree on them)."""
    if depth > MAX_DEPTH:
        raise _Ambiguous(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Ambiguous("a string holds a lone surrogate (\\ud800-\\udfff)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_tree(key, depth + 1)
            _check_tree(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_tree(item, depth + 1)


# a JSON string (escapes included), or an unterminated one running to the end of the text;
# written as an unrolled loop (runs of plain characters, then one escape at a time), which
# matches exactly what ``"(?:[^"\\]|\\.)*(?:"|\\?\Z)`` matches without trying an
# alternation at every character (five times faster on a transcript's digests)
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_DIGEST_LINES = re.compile(r"(?:[0-9a-f]{64}\n)*")


def _outside_strings(text: str) -> str:
    """``text`` with every JSON string (quotes included) removed. Without a backslash a
    string is everything between a quote and the next one, so the text split at its quotes
    alternates outside, inside, outside... (an unterminated last string runs to the end,
    as in the regular expression, which handles text with escapes)."""
    if "\\" in text:
        return _JSON_STRING.sub("", text)
    return "".join(text.split('"')[0::2])


def _bracket_depth(text: str) -> int:
    """How deep brackets nest outside strings (checked before parsing, so a hostile
    argument cannot exhaust the parser's recursion)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_outside_strings(text)):
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _nesting_too_deep(text: str) -> bool:
    """Whether brackets nest deeper than MAX_DEPTH (see ``_bracket_depth``)."""
    return _bracket_depth(text) > MAX_DEPTH + 1


def decode_json_object(raw: list[bytes]) -> dict[str, Any]:
    """The one JSON-object argument of a call: strict JSON (RFC 8259) that every parser
    reads the same way — no duplicate keys, NaN or Infinity, no lone surrogates, at most
    :data:`MAX_DEPTH` levels deep (a number where a field wants an integer is refused by
    the field)."""
    if not isinstance(raw, list) or len(raw) != 1:
        count = len(raw) if isinstance(raw, list) else "not a list of"
        raise malformed("args", f"expected exactly one argument (a JSON object), got {count}")
    data = raw[0]
    if not isinstance(data, (bytes, bytearray)):
        raise malformed("args", "the argument must be bytes")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as error:
        raise malformed("args", f"not valid UTF-8 ({error.reason} at byte {error.start})") from None
    depth = _bracket_depth(text)
    if depth > MAX_DEPTH + 1:
        raise malformed("args", f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=_reject_constant,
                           object_pairs_hook=_unique_keys)
        # the walk can only find something if a value may sit deeper than MAX_DEPTH or a
        # string may hold a lone surrogate, which valid UTF-8 text can only spell as a
        # \u escape
        if depth > MAX_DEPTH or "\\u" in text:
            _check_tree(value)
    except _Ambiguous as error:
        raise malformed("args", str(error)) from None
    except (ValueError, RecursionError) as error:
        raise malformed("args", f"not valid JSON ({str(error)[:200]})") from None
    if not isinstance(value, dict):
        raise malformed("args", f"must be a JSON object, got {type(value).__name__}")
    return value


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Arguments:
    """Typed access to a call's fields; :meth:`done` refuses fields nobody asked for."""

    def __init__(self, values: dict[str, Any]):
        self.values = values
        self.used: set[str] = set()

    def _get(self, name: str, optional: bool = False) -> Any:
        self.used.add(name)
        if name not in self.values:
            if optional:
                return None
            raise malformed(name, "missing")
        return self.values[name]

    def done(self) -> None:
        unknown = sorted(set(self.values) - self.used)
        if unknown:
            raise malformed(unknown[0], "unknown field")

    def identifier(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
            raise malformed(name, "must be an identifier: 1-128 of A-Z a-z 0-9 . _ : @ -, "
                                  "starting with a letter or digit")
        return value

    def text(self, name: str, max_length: int = 256) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not value or len(value) > max_length:
            raise malformed(name, f"must be a non-empty string of at most {max_length} characters")
        return value

    def optional_text(self, name: str) -> str | None:
        if self._get(name, optional=True) is None:
            return None
        return self.text(name)

    def integer(self, name: str, limit: int = MAX_TOKENS) -> int:
        """A whole number within ±``limit`` (default :data:`MAX_TOKENS`; signs and lower
        bounds are the protocol's business, with codes of their own)."""
        value = self._get(name)
        if not _is_integer(value) or abs(value) > limit:
            shown = repr(value) if not _is_integer(value) or value.bit_length() < 200 else "…"
            raise malformed(name, f"must be a whole number within ±{limit}, got {shown[:80]}")
        return value

    def digest(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not HEX_DIGEST.fullmatch(value):
            raise malformed(name, "must be a SHA-256 digest as 64 lowercase hex characters")
        return value

    def hex_bytes(self, name: str, length: int | None = None) -> bytes:
        value = self._get(name)
        return hex_value(value, name, length)

    def identifier_list(self, name: str) -> list[str]:
        """A list of identifiers (may be empty or repeat: those are protocol questions)."""
        value = self._get(name)
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise malformed(name, f"must be a list of at most {MAX_LIST} identifiers")
        for position, item in enumerate(value):
            if not isinstance(item, str) or not IDENTIFIER.fullmatch(item):
                raise malformed(f"{name}[{position}]", "must be an identifier")
        return list(value)

    def text_list(self, name: str) -> list[str]:
        value = self._get(name)
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise malformed(name, f"must be a list of at most {MAX_LIST} strings")
        for position, item in enumerate(value):
            if not isinstance(item, str) or not item or len(item) > 256:
                raise malformed(f"{name}[{position}]", "must be a non-empty string")
        return list(value)

    def digest_map(self, name: str) -> dict[str, str]:
        """An object from identifiers to SHA-256 hex digests."""
        value = self._get(name)
        if not isinstance(value, dict) or len(value) > MAX_LIST:
            raise malformed(name, "must be an object from identifiers to hex digests")
        for key, item in value.items():
            if not IDENTIFIER.fullmatch(key):
                raise malformed(f"{name}.{key}", "keys must be identifiers")
            if not isinstance(item, str) or not HEX_DIGEST.fullmatch(item):
                raise malformed(f"{name}.{key}", "must be 64 lowercase hex characters")
        return dict(value)

    def digest_list(self, name: str, max_length: int) -> list[str]:
        """A list of SHA-256 hex digests (its length is the protocol's business)."""
        value = self._get(name)
        if not isinstance(value, list) or len(value) > max_length:
            raise malformed(name, f"must be a list of at most {max_length} hex digests")
        if all(type(item) is str for item in value):
            lines = "\n".join(value) + "\n"
            # one line per item (no item holds a line break), each 64 hex characters
            if len(lines) == 65 * len(value) and _DIGEST_LINES.fullmatch(lines):
                return list(value)
        for position, item in enumerate(value):
            if not isinstance(item, str) or not HEX_DIGEST.fullmatch(item):
                raise malformed(f"{name}[{position}]", "must be 64 lowercase hex characters")
        return list(value)

    def optional_digest_list(self, name: str, max_length: int) -> list[str] | None:
        """:meth:`digest_list`, or None when the field is absent."""
        if self._get(name, optional=True) is None:
            return None
        return self.digest_list(name, max_length)

    def hex_map(self, name: str) -> dict[str, bytes]:
        """An object from identifiers to hex-encoded byte strings (signatures)."""
        value = self._get(name)
        if not isinstance(value, dict) or len(value) > MAX_LIST:
            raise malformed(name, "must be an object from identifiers to hex strings")
        decoded: dict[str, bytes] = {}
        for key, item in value.items():
            if not IDENTIFIER.fullmatch(key):
                raise malformed(f"{name}.{key}", "keys must be identifiers")
            decoded[key] = hex_value(item, f"{name}.{key}", None)
        return decoded

    @overload
    def json_object(self, name: str, optional: Literal[False] = False) -> dict[str, Any]: ...

    @overload
    def json_object(self, name: str, optional: bool) -> dict[str, Any] | None: ...

    def json_object(self, name: str, optional: bool = False) -> dict[str, Any] | None:
        value = self._get(name, optional=optional)
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            raise malformed(name, "must be a JSON object")
        return value

    def json_list(self, name: str, max_length: int = 4096) -> list[Any]:
        value = self._get(name)
        if not isinstance(value, list) or len(value) > max_length:
            raise malformed(name, f"must be a list of at most {max_length} items")
        return value

    def raw(self, name: str, optional: bool = False) -> Any:
        return self._get(name, optional=optional)


def hex_value(value: Any, name: str, length: int | None) -> bytes:
    if not isinstance(value, str) or len(value) % 2 or len(value) > 65536:
        raise malformed(name, "must be an even-length lowercase hex string")
    try:
        decoded = bytes.fromhex(value)
    except ValueError:
        raise malformed(name, "must be a lowercase hex string") from None
    if decoded.hex() != value:
        raise malformed(name, "must be lowercase hex")
    if length is not None and len(decoded) != length:
        raise malformed(name, f"must be {length} bytes, got {len(decoded)}")
    return decoded
