"""The shared reader of user-supplied files: one-line refusals naming the file."""

from __future__ import annotations

import gzip

import pytest

from aimarket import inputs
from aimarket.cli import UsageError
from aimarket.inputs import read_json_file


def refusal(path, **options) -> str:
    with pytest.raises(UsageError) as caught:
        read_json_file(path, **options)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_good_files_are_read(tmp_path):
    plain = tmp_path / "a.json"
    plain.write_text('{"x": [1, {"y": 2}]}')
    assert read_json_file(plain) == {"x": [1, {"y": 2}]}
    packed = tmp_path / "a.json.gz"
    packed.write_bytes(gzip.compress(b'{"x": 1}'))
    assert read_json_file(packed, gzip_ok=True) == {"x": 1}
    assert read_json_file(plain, expect=None) == {"x": [1, {"y": 2}]}


def test_missing_directory_binary_and_non_utf8(tmp_path):
    assert "no such file" in refusal(tmp_path / "absent.json")
    assert "is a directory" in refusal(tmp_path)
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\x7fELF\x00\x00\x00")
    assert "binary" in refusal(binary)
    latin = tmp_path / "c.json"
    latin.write_bytes(b'{"name": "caf\xe9"}')
    assert "not UTF-8" in refusal(latin)


def test_not_json_wrong_shape_and_deep_nesting(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"open": ')
    assert "not valid JSON (line 1" in refusal(path)
    path.write_text("[1, 2]")
    assert "must hold a JSON object, found an array" in refusal(path)
    assert "--params" in refusal(path, option="--params")
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert "nests" in refusal(path)
    path.write_text("[" * (inputs.MAX_DEPTH + 5) + "]" * (inputs.MAX_DEPTH + 5))
    assert "nests" in refusal(path)
    path.write_text("[" * (inputs.MAX_DEPTH - 5) + "]" * (inputs.MAX_DEPTH - 5))
    assert read_json_file(path, expect=list)


def test_huge_files_and_gzip_bombs(tmp_path, monkeypatch):
    path = tmp_path / "e.json"
    path.write_text('{"padding": "' + "x" * 5000 + '"}')
    assert "limit" in refusal(path, limit=1000)
    packed = tmp_path / "e.json.gz"
    packed.write_bytes(gzip.compress(b'{"padding": "' + b"x" * 100_000 + b'"}'))
    assert packed.stat().st_size < 1000
    assert "decompresses to more than" in refusal(packed, limit=1000, gzip_ok=True)
    broken = tmp_path / "f.json.gz"
    broken.write_bytes(b"\x1f\x8b\x08garbage")
    assert "gzip" in refusal(broken, gzip_ok=True)
