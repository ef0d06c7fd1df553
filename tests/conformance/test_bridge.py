"""The bridge: the whole suite through ``exec:`` runners speaking the line-oriented JSON
protocol, end to end against the spec and the reference served by ``aimarket bridge``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.bridge import BridgeError, ExecRunner, call_json, serve
from conformance.conform import run_corpus, run_vector
from conformance.mutants import kill_matrix
from conformance.spec_runner import SpecRunner

REPOSITORY = Path(__file__).resolve().parents[2]
BRIDGE = f"{sys.executable} -m aimarket bridge"


def conform(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "aimarket", "conform", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("served", ["spec", "reference"])
def test_every_vector_passes_through_the_bridge(served):
    """The contract: ``conform --runner "exec:aimarket bridge --runner X" --json`` passes
    every vector, none skipped, coverage complete."""
    done = conform("--runner", f"exec:{BRIDGE} --runner {served}", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    manifest = json.loads((REPOSITORY / "vectors" / "manifest.json").read_text())
    assert summary["vectors"] == summary["passed"] == len(manifest["vectors"])
    assert summary["failed"] == summary["skipped"] == 0 and summary["complete"]
    assert summary["coverage"]["covered"] == summary["coverage"]["total"] > 0
    assert summary["runner"] == served  # the name the program gave in its hello


def test_the_served_runners_mutants_are_injected_over_the_wire(corpus):
    names = {"coverage/examples/after-accept-job", "coverage/scenarios/one-block-grants",
             "coverage/scenarios/settled"}
    vectors = [vector for vector in corpus.vectors if vector.name in names]
    runner = ExecRunner(f"{BRIDGE} --runner spec")
    try:
        mutants = {mutant.name: mutant for mutant in runner.mutants}
        assert len(mutants) == len(SpecRunner().mutants)
        chosen = [mutants["accept-job-beyond-capacity"], mutants["read-conflict-off"]]
        results = kill_matrix(runner, chosen, vectors)
        assert [result.killed for result in results] == [True, True]
        assert results[0].killed_by == "coverage/examples/after-accept-job"
        # restored after the matrix: the clean implementation passes again
        assert all(result.passed for result in run_corpus(runner, vectors).results)
    finally:
        runner.close()
    assert runner.process is None


CRASHING = """
from conformance.spec_runner import SpecRunner

class Crashing(SpecRunner):
    name = "crashing"

    def step(self, call):
        if call.action == "accept_job" and call.args["job"] == "job2":
            table = {}
            return table[251765]
        return super().step(call)
"""


def test_a_crash_over_the_bridge_reports_the_call_the_traceback_and_stops_the_count(
        tmp_path, corpus):
    (tmp_path / "crashing_runner.py").write_text(CRASHING)
    done = conform("--runner", f"exec:{BRIDGE} --runner crashing_runner:Crashing", "--json",
                   "--shrink", "0", cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["failed"] >= 1 and not summary["complete"]
    failure = summary["failures"][0]
    assert failure["call"]["action"] == "accept_job" and failure["call"]["args"] == {"job": "job2"}
    assert "KeyError: 251765" in failure["message"] and "making accept_job" in failure["message"]
    assert "Traceback" in failure["detail"] and "table[251765]" in failure["detail"]
    vector = next(item for item in corpus.vectors if item.name == failure["vector"])
    assert failure["step"] == failure["run_step"] - vector.prelude_steps  # the file's numbering
    assert failure["file"] == vector.file_name
    stopped = [problem for problem in summary["problems"] if "stopped at call" in problem]
    assert len(stopped) == summary["failed"]  # every crashed vector counts as not executed
    assert summary["passed"] + summary["failed"] == summary["vectors"]  # the rest still ran


DYING = """
import sys
from conformance.spec_runner import SpecRunner

class Dying(SpecRunner):
    name = "dying"

    def step(self, call):
        if call.action == "accept_job":
            print("about to fall over", file=sys.stderr, flush=True)
            sys.stdout.write("this is not a protocol line\\n")
            sys.stdout.flush()
            raise SystemExit(3)
        return super().step(call)
"""


def test_a_program_that_dies_fails_the_vector_with_its_stderr_and_is_restarted(tmp_path, corpus):
    """A runner that writes to stdout (the bridge sends it to stderr) and then exits."""
    (tmp_path / "dying_runner.py").write_text(DYING)
    names = ["coverage/examples/after-accept-job", "coverage/examples/after-register-identity"]
    vectors = [next(item for item in corpus.vectors if item.name == name) for name in names]
    runner = ExecRunner(f"{BRIDGE} --runner dying_runner:Dying", timeout=60, cwd=str(tmp_path))
    try:
        first = run_vector(runner, vectors[0])
        second = run_vector(runner, vectors[1])  # a fresh program, started at init
    finally:
        runner.close()
    assert first.status == "failed" and "exited" in first.message
    assert "about to fall over" in first.detail and "not a protocol line" in first.detail
    assert second.passed


def test_a_silent_program_times_out(tmp_path, corpus):
    (tmp_path / "silent.py").write_text(
        "import sys, json\n"
        "for line in sys.stdin:\n"
        "    request = json.loads(line)\n"
        "    if request['op'] == 'hello':\n"
        "        print(json.dumps({'id': request['id'], 'ok': True, 'protocol': 1,\n"
        "                          'name': 'silent', 'mutants': []}), flush=True)\n")
    runner = ExecRunner(f"{sys.executable} {tmp_path / 'silent.py'}", timeout=0.5)
    try:
        result = run_vector(runner, corpus.vectors[0])
    finally:
        runner.close()
    assert result.status == "failed" and "no response to init within 0.5 s" in result.message


def test_serve_answers_errors_with_their_id_and_keeps_serving(corpus):
    call = call_json(corpus.vectors[0].steps[0].call)
    requests = "\n".join(json.dumps(item) for item in [
        {"id": 1, "op": "hello", "protocol": 1},
        {"id": 2, "op": "dance"},
        {"id": 3, "op": "init", "genesis": {"dispute_cost": 1, "audit_probability": "1/2"}},
        {"id": 4, "op": "step", "call": {"action": "no_such_action", "picks": {}}},
        {"id": 5, "op": "step", "call": call},
        {"id": 6, "op": "inject", "mutant": "nonsense"},
        {"id": 7, "op": "close"},
        {"id": 8, "op": "hello"},
    ]) + "\nnot json\n"
    output = io.StringIO()
    serve(SpecRunner(), io.StringIO(requests), output)
    replies = [json.loads(line) for line in output.getvalue().splitlines()]
    assert [reply["id"] for reply in replies] == [1, 2, 3, 4, 5, 6, 7]  # nothing after close
    assert replies[0]["protocol"] == 1 and replies[0]["name"] == "spec"
    assert not replies[1]["ok"] and "unknown operation 'dance'" in replies[1]["error"]
    assert replies[2]["ok"] and not replies[3]["ok"] and "unknown action" in replies[3]["error"]
    assert replies[4]["outcome"] == corpus.vectors[0].steps[0].outcome
    assert not replies[5]["ok"] and "Traceback" in replies[5]["traceback"]


def test_bad_runner_names_are_one_line_exit_2(tmp_path):
    for args, reason in [(["--runner", "exec:"], "needs a command"),
                         (["--runner", "exec:/nonexistent/program"], "could not start"),
                         (["--runner", "nosuchmodule:Runner"], "cannot import nosuchmodule")]:
        done = conform(*args, cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == "", (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "--runner" in done.stderr and reason in done.stderr


def test_a_module_runner_is_found_in_the_current_directory(tmp_path):
    package = tmp_path / "myimpl"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "runner.py").write_text(
        "from conformance.spec_runner import SpecRunner\nclass MyRunner(SpecRunner):\n"
        "    name = 'mine'\n")
    done = conform("--runner", "myimpl.runner:MyRunner", "--vector", "walks/walk-1", "--json",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["runner"] == "mine" and summary["vectors"] == summary["passed"] == 1


def test_a_protocol_violation_is_reported(tmp_path, corpus):
    (tmp_path / "liar.py").write_text(
        "import sys, json\n"
        "for line in sys.stdin:\n"
        "    request = json.loads(line)\n"
        "    reply = {'id': request['id'], 'ok': True, 'protocol': 1, 'name': 'liar', 'mutants': []}\n"
        "    if request['op'] == 'project':\n"
        "        reply['state'] = {'now': 'yesterday'}\n"
        "    print(json.dumps(reply), flush=True)\n")
    runner = ExecRunner(f"{sys.executable} {tmp_path / 'liar.py'}")
    try:
        result = run_vector(runner, corpus.vectors[0])
    finally:
        runner.close()
    assert result.status == "failed" and "BridgeError" in result.message
    assert "projected state" in result.message
    with pytest.raises(BridgeError, match="cannot start"):
        ExecRunner("/nonexistent/program")
