"""Where two JSON documents differ, in a few lines a person can act on.

Used by the staleness checks of committed generated files (``aimarket vectors --check``,
``aimarket regions --check``): instead of "differs", they name the first paths whose values
differ, with the expected and the found value, shortened.
"""

from __future__ import annotations

import json
from typing import Any

SHORT = 80


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


def _walk(expected: Any, found: Any, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit or expected == found:
        return
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in list(expected) + [key for key in found if key not in expected]:
            where = f"{path}.{key}" if path else str(key)
            if key not in found:
                out.append(f"{where}: missing (expected {_short(expected[key])})")
            elif key not in expected:
                out.append(f"{where}: not expected (found {_short(found[key])})")
            else:
                _walk(expected[key], found[key], where, out, limit)
            if len(out) >= limit:
                return
        return
    if isinstance(expected, list) and isinstance(found, list):
        for index in range(max(len(expected), len(found))):
            where = f"{path}[{index}]"
            if index >= len(found):
                out.append(f"{where}: missing (expected {_short(expected[index])})")
            elif index >= len(expected):
                out.append(f"{where}: not expected (found {_short(found[index])})")
            else:
                _walk(expected[index], found[index], where, out, limit)
            if len(out) >= limit:
                return
        return
    out.append(f"{path or '(the whole document)'}: expected {_short(expected)}, found {_short(found)}")


def json_differences(expected: bytes | str, found: bytes | str, limit: int = 3) -> list[str]:
    """Up to ``limit`` lines, one per differing path (``a.b[2].c: expected X, found Y``).
    Text that is not JSON is compared as text: the first differing line is named."""
    try:
        expected_value, found_value = json.loads(expected), json.loads(found)
    except (ValueError, UnicodeDecodeError):
        expected_text = expected.decode("utf-8", "replace") if isinstance(expected, bytes) else expected
        found_text = found.decode("utf-8", "replace") if isinstance(found, bytes) else found
        for number, (left, right) in enumerate(zip(expected_text.splitlines(), found_text.splitlines()), 1):
            if left != right:
                return [f"line {number}: expected {_short(left)}, found {_short(right)}"]
        return [f"lengths differ: expected {len(expected_text.splitlines())} lines, "
                f"found {len(found_text.splitlines())}"]
    out: list[str] = []
    _walk(expected_value, found_value, "", out, limit)
    return out or ["the same JSON values, written differently (formatting)"]
