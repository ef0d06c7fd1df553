"""The command line behaves like its peers (quint, pytest): help with a description and
examples for every command, --version, bare ``aimarket`` prints help, output that fits the
terminal, no Python ``None`` or reStructuredText in what a user reads, ITF out and in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aimarket.cli import build_parser, main

REPOSITORY = Path(__file__).resolve().parents[2]
VECTORS = REPOSITORY / "vectors"


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "aimarket", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd, timeout=600)


def commands(parser=None, prefix=()):
    """Every command path of the parser, e.g. ("games", "check")."""
    import argparse
    parser = parser or build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from commands(sub, (*prefix, name))


def test_version():
    from importlib import metadata
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"aimarket {metadata.version('aimarket')}"


def test_bare_aimarket_prints_help_and_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: aimarket")
    for path in commands():
        if len(path) == 1:
            assert f"    {path[0]} " in out
    assert "examples:" in out


def test_every_command_has_a_description_and_examples_without_markup():
    paths = list(commands())
    assert {("conform",), ("bridge",), ("games", "check"), ("ledger", "verify")} <= set(paths)
    for path in paths:
        done = run_cli(*path, "--help", env={"COLUMNS": "100"})
        assert done.returncode == 0, path
        text = done.stdout
        description = text.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), (path, text[:300])
        assert "examples:\n  aimarket " in text, path
        assert "``" not in text and ":mod:" not in text and "None" not in text, path
        assert max(len(line) for line in text.splitlines()) <= 100, path


def test_spec_fits_the_terminal():
    for columns in (60, 80, 100, 160):
        done = run_cli("spec", env={"COLUMNS": str(columns)})
        assert done.returncode == 0
        lines = done.stdout.splitlines()
        assert max(len(line) for line in lines) <= columns, columns
        assert "request_training" in done.stdout and "VENDOR_AT_CAPACITY" in done.stdout
    assert "┃ action" in run_cli("spec", env={"COLUMNS": "160"}).stdout  # wide: the table


def test_errors_name_the_command_and_point_to_help():
    done = run_cli("conform", "--shrink", "x")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("aimarket conform: error:") and "--help" in done.stderr


@pytest.mark.parametrize("path", sorted(str(path.relative_to(REPOSITORY))
                                        for path in VECTORS.rglob("*.itf.json")))
def test_simulate_replays_every_shipped_vector(path, capsys):
    assert main(["simulate", "--replay", str(REPOSITORY / path), "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reproduces"] and report["diverged"] is None and report["violations"] == []


def test_replay_of_an_edited_vector_diverges(tmp_path, capsys):
    text = (VECTORS / "coverage/scenarios/settled.itf.json").read_text()
    edited = tmp_path / "coverage/scenarios/settled.itf.json"
    edited.parent.mkdir(parents=True)
    (tmp_path / "preludes").mkdir()
    (tmp_path / "preludes/examples-world.itf.json").write_text(
        (VECTORS / "preludes/examples-world.itf.json").read_text())
    lines = text.splitlines()
    lines[-2] = lines[-2].replace('"outcome":"accepted"', '"outcome":"WRONG_STATUS"')
    edited.write_text("\n".join(lines) + "\n")
    assert main(["simulate", "--replay", str(edited)]) == 1
    out = capsys.readouterr().out
    assert "DIVERGES" in out and "recorded WRONG_STATUS" in out


def test_simulate_writes_its_run_as_itf_that_replays_and_conforms(tmp_path, capsys):
    out = tmp_path / "walk.itf.json"
    assert main(["simulate", "--seed", "5", "--steps", "120", "--quiet", "--out-itf", str(out)]) == 0
    capsys.readouterr()
    data = json.loads(out.read_text())
    assert data["#meta"]["kind"] == "walk" and len(data["states"]) == 121
    assert main(["simulate", "--replay", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 120
    assert main(["conform", "--vector", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["vectors"] == summary["passed"] == 1


def test_a_replayed_file_that_cannot_be_read_is_one_line(tmp_path):
    for content, reason in [(b"\x00\x01\x02binary", "binary"), (b"[" * 3000, "nests"),
                            (b'"just a string"', "found a string"),
                            (b'{"vars": ["state"], "#meta": {"kind": "walk"}, "states": [1]}',
                             "not a conformance vector")]:
        path = tmp_path / "input.itf.json"
        path.write_bytes(content)
        done = run_cli("simulate", "--replay", str(path))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"--replay {path}" in done.stderr and reason in done.stderr
        assert "Traceback" not in done.stderr
