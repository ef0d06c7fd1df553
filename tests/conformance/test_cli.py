"""``aimarket vectors`` and ``aimarket conform``: output, JSON summaries, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aimarket.cli import main

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aimarket", *args], capture_output=True,
                          text=True)


def test_vectors_writes_a_corpus_that_conform_runs_and_check_finds_stale(tmp_path, capsys):
    target = tmp_path / "corpus"
    assert main(["vectors", "--out", str(target), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["coverage"]["covered"] == written["coverage"]["total"]
    assert (target / "manifest.json").is_file() and (target / "vector.schema.json").is_file()
    assert main(["conform", "--vectors", str(target), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {"vectors", "passed", "failed", "skipped", "coverage", "mutants"} <= set(summary)
    assert summary["vectors"] == summary["passed"] == written["vectors"]
    assert summary["failed"] == summary["skipped"] == 0 and summary["complete"]
    assert summary["coverage"] == {"covered": written["coverage"]["total"],
                                   "total": written["coverage"]["total"]}
    assert summary["mutants"] == {"total": 0, "killed": 0}
    (target / "walks" / "walk-1.itf.json").write_text("{}")
    assert main(["vectors", "--out", str(target), "--check", "--json"]) == 1
    (stale,) = json.loads(capsys.readouterr().out)["stale"]
    assert stale.startswith("walks/walk-1.itf.json: differs — #meta: missing (expected {")
    assert main(["conform", "--vectors", str(target)]) == 2  # a tampered corpus is refused


def test_conform_prints_vectors_coverage_completeness_and_the_kill_matrix(capsys):
    assert main(["conform", "--runner", "spec-remapped", "--mutants"]) == 0
    out = capsys.readouterr().out
    assert "PASS coverage/scenarios/settled" in out
    assert "DISPUTED --resolve_step--> DELIVERED" in out
    assert "consumer-side check" in out and "executed to their last step" in out
    assert "mutant kill matrix" in out and "SURVIVED" not in out
    assert "MVCC check off" in out and "accepts a bad signature" in out


def test_a_failing_runner_is_shrunk_and_printed_with_its_seed(tmp_path):
    module = tmp_path / "faulty_runner.py"
    module.write_text(
        "from conformance.spec_runner import SpecRunner\n"
        "class OffByOne(SpecRunner):\n"
        "    name = 'off-by-one'\n"
        "    def step(self, call):\n"
        "        outcome = super().step(call)\n"
        "        return 'accepted' if outcome == 'VENDOR_AT_CAPACITY' else outcome\n")
    done = subprocess.run([sys.executable, "-m", "aimarket", "conform", "--runner",
                           "faulty_runner:OffByOne", "--json"], capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert summary["failed"] >= 1 and summary["shrunk"]
    shrunk = summary["shrunk"][0]
    assert shrunk["calls"][-1]["action"] == "accept_job"
    assert "seed" in shrunk and shrunk["steps"] == len(shrunk["calls"])


@pytest.mark.parametrize("args, field", [
    (["conform", "--runner", "nonsense"], "--runner"),
    (["conform", "--runner", "json:loads"], "--runner"),
    (["conform", "--runner", "no_such_module:Runner"], "--runner"),
    (["conform", "--vectors", "/nonexistent"], "--vectors"),
])
def test_bad_input_is_one_line_naming_the_field(args, field):
    done = run_cli(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"aimarket: error: {field}:")


def test_vectors_refuses_a_file_as_its_directory(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    done = run_cli("vectors", "--out", str(target))
    assert done.returncode == 2 and "--out" in done.stderr and target.read_text() == "x"
