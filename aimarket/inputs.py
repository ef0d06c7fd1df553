"""Reading the files a user hands to the command line, with one-line refusals.

Every command that reads a JSON file (``simulate --replay`` and ``--params``, ``games
check``, ``conform --vector FILE``) goes through :func:`read_json_file`: a missing or
unreadable file, a directory, a file larger than the limit, a binary file, text that is not
JSON, JSON nested too deeply, or a document of the wrong shape each raise
:class:`~aimarket.cli.UsageError` naming the file and the reason — one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from aimarket.errors import UsageError

MAX_BYTES = 256 * 1024 * 1024
"""The largest file (after decompression) a command reads."""
MAX_DEPTH = 200
"""The deepest nesting of arrays and objects accepted (ITF vectors nest about 12 deep)."""
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | Path, limit: int = MAX_BYTES, gzip_ok: bool = False,
               where: str | None = None) -> bytes:
    """The file's bytes (decompressed when ``gzip_ok`` and it is gzip), at most ``limit``."""
    where = where or str(path)
    file = Path(path)
    try:
        if file.is_dir():
            raise UsageError(where, "is a directory, not a file")
        size = file.stat().st_size
        if size > limit:
            raise UsageError(where, f"is {size / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB")
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(where, "cannot read the file (no such file)") from None
    except OSError as error:
        raise UsageError(where, f"cannot read the file ({error.strerror or error})") from None
    if len(data) > limit:
        raise UsageError(where, f"is larger than the limit of {limit / 1e6:.0f} MB")
    if gzip_ok and data.startswith(GZIP_MAGIC):
        try:
            with gzip.GzipFile(fileobj=__import__("io").BytesIO(data)) as stream:
                data = stream.read(limit + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise UsageError(where, f"is not a readable gzip file ({error})") from None
        if len(data) > limit:
            raise UsageError(where, f"decompresses to more than {limit / 1e6:.0f} MB")
    return data


def depth_of(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_text(data: bytes, where: str) -> Any:
    """JSON from a file's bytes, refusing binary data and deep nesting."""
    if b"\x00" in data[:8192]:
        raise UsageError(where, "is a binary file, not JSON text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(where, f"is not UTF-8 text (byte {error.start}); a binary file?") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(where, f"is not valid JSON (line {error.lineno}, column {error.colno}: "
                                f"{error.msg})") from None
    except RecursionError:
        raise UsageError(where, f"nests arrays or objects more than {MAX_DEPTH} deep") from None
    if depth_of(value) > MAX_DEPTH:
        raise UsageError(where, f"nests arrays or objects more than {MAX_DEPTH} deep")
    return value


def read_json_file(path: str | Path, expect: type | None = dict, what: str = "JSON object",
                   limit: int = MAX_BYTES, gzip_ok: bool = False, option: str | None = None) -> Any:
    """The JSON document in ``path``; ``expect`` is the type its top level must have
    (``what`` names it in the refusal). ``option`` (e.g. ``"--replay"``) is named before the
    file in refusals."""
    where = f"{option} {path}" if option else str(path)
    value = parse_json_text(read_bytes(path, limit, gzip_ok, where), where)
    if expect is not None and not isinstance(value, expect):
        found = {dict: "an object", list: "an array", str: "a string", bool: "true or false",
                 type(None): "null"}.get(type(value), "a number")
        raise UsageError(where, f"must hold a {what}, found {found}")
    return value


def write_vector_file(path: str, vector, field: str = "--out-itf") -> None:
    """Write ``vector`` as a self-contained ITF vector file (prelude calls written out),
    aside and then renamed, so a failure leaves no half-written file."""
    from dataclasses import replace

    from conformance.vectors import vector_text

    target = Path(path)
    whole = replace(vector, prelude=None, prelude_steps=0)
    temporary = target.with_name(f".{target.name}.partial")
    try:
        temporary.write_text(vector_text(whole), encoding="utf-8")
        temporary.replace(target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UsageError(field, f"cannot write {path} ({error.strerror or error})") from None
