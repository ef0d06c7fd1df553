"""The cost of the conformance bridge: the corpus on the spec in process (the baseline,
measured in this run) against the same runner served over the JSON-lines protocol by
``aimarket bridge`` (``--runner exec:``), and through the Node.js example client when
``node`` is installed. Figures: calls per second and the ratio to the baseline."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from conformance.bridge import ExecRunner
from conformance.conform import load_corpus, run_corpus
from conformance.spec_runner import SpecRunner

REPOSITORY = Path(__file__).resolve().parents[1]


def corpus_seconds(make_runner, vectors) -> float:
    runner = make_runner()
    try:
        started = time.perf_counter()
        report = run_corpus(runner, vectors)
        seconds = time.perf_counter() - started
    finally:
        runner.close()
    if report.failed or report.skipped:
        raise RuntimeError(f"{runner.name}: {report.failed} failed, {report.skipped} skipped")
    return seconds


def run() -> dict[str, object]:
    vectors = load_corpus(REPOSITORY / "vectors", validate=False).vectors
    calls = sum(len(vector.steps) for vector in vectors)
    bridge = f"{sys.executable} -m aimarket bridge --runner spec"
    variants = {"in_process": SpecRunner, "bridge": lambda: ExecRunner(bridge)}
    node = shutil.which("node")
    if node:
        client = REPOSITORY / "examples" / "bridge-node" / "runner.js"
        variants["node_client"] = lambda: ExecRunner(f"{node} {client} -- {bridge}")
    results: dict[str, object] = {"vectors": len(vectors), "calls": calls}
    baseline = None
    for name, make in variants.items():
        seconds = corpus_seconds(make, vectors)
        baseline = baseline or seconds
        results[name] = {"seconds": round(seconds, 3), "calls_per_s": round(calls / seconds),
                         "ratio_to_in_process": round(seconds / baseline, 2)}
        print(f"spec runner {name}: {calls / seconds:,.0f} calls/s over {len(vectors)} vectors "
              f"({seconds / baseline:.2f} x the in-process time)", flush=True)
    return results


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))
