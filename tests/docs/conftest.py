"""One build of the documentation site per test session, shared by the docs tests.

Two sites come out of one exploration of the spec: ``built.present`` is a full
``mkdocs build --strict`` with every optional input present (a proof report produced by
``aimarket games check`` on a small game, a vector manifest with two vectors, benchmark
results); ``built.absent`` generates the pages with every optional input missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from aimarket.docs_site.site import BuildOptions, BuildResult, build_site, gather, with_inputs

REPOSITORY = Path(__file__).resolve().parents[2]
SMALL_GAME = REPOSITORY / "tests" / "games" / "data" / "audit.json"

BENCH_OUTPUT = """== ledger ==
baseline: ECDSA P-256 verify 9,000/s on 1 thread
{
  "ledger": {
    "workers": 2,
    "network_12_peers": {"tx_per_s": 310.5, "signature_bound_tx_per_s": 500.25},
    "network_24_peers": {"tx_per_s": 170.75, "signature_bound_tx_per_s": 260.5}
  }
}
"""
"""Benchmark results in the shape ``python -m bench --json`` prints (progress lines, then JSON)."""


@dataclass
class Built:
    present: BuildResult
    absent: BuildResult
    inputs: Path
    has_proof_report: bool

    def page(self, which: str, path: str) -> str:
        result = self.present if which == "present" else self.absent
        return next(page.text for page in result.pages if page.path == path)

    def html(self, path: str) -> str:
        return (self.present.site_dir / path.removesuffix(".md")).with_suffix(".html").read_text(encoding="utf-8")


def write_vectors(directory: Path) -> None:
    """A manifest in the conformance suite's format with two vectors, one of which was
    changed after the manifest was written."""
    directory.mkdir(parents=True)
    good = directory / "one.itf.json"
    good.write_text('{"states": []}\n', encoding="utf-8")
    changed = directory / "two.itf.json"
    changed.write_text('{"states": [1]}\n', encoding="utf-8")
    manifest = {
        "format": "aimarket/conformance-vectors/v1",
        "vectors": [
            {"file": "one.itf.json", "kind": "coverage", "steps": 3,
             "sha256": hashlib.sha256(good.read_bytes()).hexdigest()},
            {"file": "two.itf.json", "kind": "walk", "steps": 5, "sha256": "0" * 64},
        ],
        "coverage": {
            "covered": 3, "total": 4, "excluded": [{"goal": "tick: accepted", "reason": "test"}],
            "action_outcomes": [
                {"action": "fund", "outcome": "accepted", "vectors": ["one"]},
                {"action": "fund", "outcome": "WRONG_ROLE", "vectors": ["one", "two"]},
            ],
            "job_edges": [{"from": "-", "action": "request_training", "to": "REQUESTED",
                           "vectors": ["two"]}],
            "endings": [{"ending": "SETTLED", "vectors": ["two"]}],
        },
    }
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def write_proof_report(path: Path) -> bool:
    """The output of ``aimarket games check --json`` on a small game, if it is available."""
    if not SMALL_GAME.is_file():
        return False
    from aimarket.cli import main

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = main(["games", "check", str(SMALL_GAME), "--counterexamples", "--preconditions",
                     "--json", "--quiet"])
    if code not in (0, 1):  # 1: some property fails, which the report shows
        return False
    path.write_text(output.getvalue(), encoding="utf-8")
    return True


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (Debian: apt-get install graphviz); "
                    "the site's diagrams cannot be drawn")
    base = tmp_path_factory.mktemp("docs")
    inputs = base / "inputs"
    inputs.mkdir()
    has_report = write_proof_report(inputs / "proof-report.json")
    write_vectors(inputs / "vectors")
    (inputs / "bench.json").write_text(BENCH_OUTPUT, encoding="utf-8")
    nowhere = base / "nowhere"
    absent_options = BuildOptions(REPOSITORY, base / "build-absent", base / "site-absent",
                                  nowhere / "proof-report.json", nowhere / "manifest.json",
                                  nowhere / "bench.json", run_mkdocs=False)
    context = gather(absent_options)
    absent = build_site(absent_options, context=context)
    present_options = BuildOptions(REPOSITORY, base / "build", base / "site",
                                   inputs / "proof-report.json", inputs / "vectors" / "manifest.json",
                                   inputs / "bench.json")
    present = build_site(present_options, context=with_inputs(context, present_options))
    return Built(present, absent, inputs, has_report)
