"""``aimarket vectors`` and ``aimarket conform``: output, JSON summaries, bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
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
    assert "DISPUTED --resolve_step--> RESOLVED" in out
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


OFF_BY_ONE = (
    "from conformance.spec_runner import SpecRunner\n"
    "class PaysOneMore(SpecRunner):\n"
    "    name = 'pays-one-more'\n"
    "    def project(self):\n"
    "        from dataclasses import replace\n"
    "        state = super().project()\n"
    "        settled = any(job.payouts for job in state.jobs.values())\n"
    "        if settled and 'vendor1' in state.balances:\n"
    "            balances = dict(state.balances)\n"
    "            balances['vendor1'] += 1\n"
    "            return replace(state, balances=balances)\n"
    "        return state\n")


def test_a_failure_report_names_the_file_step_call_and_expected_and_actual(tmp_path):
    (tmp_path / "pays_more.py").write_text(OFF_BY_ONE)
    target = tmp_path / "minimal.itf.json"
    done = subprocess.run([sys.executable, "-m", "aimarket", "conform", "--runner",
                           "pays_more:PaysOneMore", "--vector", "coverage/scenarios/settled",
                           "--vector", "walks/walk-1", "--out-itf", str(target), "--json"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert summary["vectors"] == 2 and summary["failed"] >= 1
    failure = summary["failures"][0]
    assert failure["file"].endswith(".itf.json") and isinstance(failure["step"], int)
    path = failure["expected"] and next(iter(failure["expected"]))
    assert path == "state.balances['vendor1']"
    assert failure["actual"][path] == failure["expected"][path] + 1
    assert set(failure["call"]) >= {"action", "actor", "args"}
    # the step is the file's own: the file's state at that index records this call
    states = json.loads((VECTORS / failure["file"]).read_text())["states"]
    assert states[failure["step"]]["mbt::actionTaken"] == failure["call"]["action"]
    assert "stopped at call" in " ".join(summary["problems"])
    assert summary["out_itf"] == str(target)
    rerun = subprocess.run([sys.executable, "-m", "aimarket", "conform", "--runner",
                            "pays_more:PaysOneMore", "--vector", str(target), "--json"],
                           capture_output=True, text=True, cwd=tmp_path)
    rerun_summary = json.loads(rerun.stdout)
    assert rerun.returncode == 1 and rerun_summary["vectors"] == rerun_summary["failed"] == 1
    assert len(json.loads(target.read_text())["states"]) == summary["shrunk"][0]["steps"] + 1


def test_human_failure_lines_use_the_vector_vocabulary(tmp_path):
    (tmp_path / "pays_more.py").write_text(OFF_BY_ONE)
    done = subprocess.run([sys.executable, "-m", "aimarket", "conform", "--runner",
                           "pays_more:PaysOneMore", "--shrink", "0"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    out = done.stdout
    assert "FAIL " in out and "itf.json step " in out
    assert "at step -1" not in out and "None" not in out
    assert "consumer-side check FAILED" in out
    executed, total = map(int, out.split("consumer-side check FAILED: ")[1].split(" vectors")[0]
                          .split(" of "))
    failed = int(out.rsplit(" failed,", 1)[0].rsplit(" ", 1)[1])
    # a vector that failed before its last call is not executed; one that failed on the
    # state after its last call was executed to the end
    assert 0 < total - executed <= failed
    # digests appear as what they mean, never as the spec's numbers
    assert "delivery_digest=committed" in out or "transcript=honest" in out or "digest=" not in out


def test_an_unknown_vector_id_is_one_line():
    done = run_cli("conform", "--vector", "walks/walk-99")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "--vector" in done.stderr and "walks/walk-99" in done.stderr


@pytest.mark.parametrize("content, reason", [
    (b"\xff\xfe\x00binary\x00", "not UTF-8"),
    (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    (b'{"states": ', "not valid JSON"),
])
def test_a_corpus_with_an_unreadable_vector_is_one_line_exit_2(tmp_path, content, reason):
    """Even when the manifest vouches for it (its sha256 updated), a broken file is refused
    with one line naming it, never a traceback."""
    copy = tmp_path / "vectors"
    shutil.copytree(VECTORS, copy)
    target = copy / "walks" / "walk-2.itf.json"
    target.write_bytes(content)
    manifest = json.loads((copy / "manifest.json").read_text())
    for entry in manifest["vectors"]:
        if entry["file"] == "walks/walk-2.itf.json":
            entry["sha256"] = hashlib.sha256(content).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest))
    done = run_cli("conform", "--vectors", str(copy))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-500:]
    assert "walks/walk-2.itf.json" in done.stderr and reason in done.stderr


def test_a_manifest_that_is_not_one_is_one_line_exit_2(tmp_path):
    copy = tmp_path / "vectors"
    copy.mkdir()
    for content in (b"\x00\x01", b"[" * 50_000, b"[1, 2]"):
        (copy / "manifest.json").write_bytes(content)
        done = run_cli("conform", "--vectors", str(copy))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-500:]
        assert "not a manifest" in done.stderr
