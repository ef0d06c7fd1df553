"""The non-Python example client of the bridge protocol (examples/bridge-node, Node.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENT = REPOSITORY / "examples" / "bridge-node" / "runner.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the Node.js "
                                "example of the bridge protocol cannot run here")


def test_the_node_client_passes_every_vector():
    delegate = f"{sys.executable} -m aimarket bridge --runner spec"
    done = subprocess.run(
        [sys.executable, "-m", "aimarket", "conform", "--runner",
         f"exec:{NODE} {CLIENT} -- {delegate}", "--json"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["runner"] == "node-example(spec)"  # the Node program answered hello
    assert summary["failed"] == summary["skipped"] == 0 and summary["complete"]
    assert summary["passed"] == summary["vectors"] > 0
    assert summary["coverage"]["covered"] == summary["coverage"]["total"]


def test_the_node_client_answers_a_bad_request_on_the_wire():
    delegate = f"{sys.executable} -m aimarket bridge --runner spec"
    requests = "\n".join([
        json.dumps({"id": 1, "op": "hello", "protocol": 1}),
        json.dumps({"id": 2, "op": "step", "call": {"action": "fund", "picks": {}}}),
        json.dumps({"id": 3, "op": "close"}),
    ]) + "\n"
    assert NODE is not None
    done = subprocess.run([NODE, str(CLIENT), "--", *delegate.split()], input=requests,
                          capture_output=True, text=True, timeout=120)
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [reply["id"] for reply in replies] == [1, 2, 3]
    assert replies[0]["ok"] and replies[0]["protocol"] == 1
    assert not replies[1]["ok"] and "no actor" in replies[1]["error"]
    assert replies[2]["ok"]
