"""The pytest plugin a third party runs against its own implementation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.corpus import write_corpus
from conformance.generate import GeneratedCorpus

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory, corpus):
    """The examples' prelude and three vectors continuing it, as a corpus of its own."""
    names = {"preludes/examples-world", "coverage/scenarios/settled",
             "coverage/examples/after-accept-job", "coverage/scenarios/one-block-accepts"}
    target = tmp_path_factory.mktemp("plugin") / "vectors"
    write_corpus(GeneratedCorpus(0, [vector for vector in corpus.vectors if vector.name in names]),
                 target)
    return target


def run_plugin(corpus_directory: Path, runner: str, *extra: str, path: Path | None = None):
    environment = dict(os.environ)
    if path is not None:
        environment["PYTHONPATH"] = str(path)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conformance.testing", "--aimarket-runner", runner,
         "--aimarket-stateful", "3", "-p", "no:cacheprovider", str(corpus_directory), *extra],
        capture_output=True, text=True, cwd=REPOSITORY, env=environment, timeout=600)


def test_the_spec_passes_the_plugin_suite(small_corpus):
    done = run_plugin(small_corpus, "conformance.spec_runner:RemappedSpecRunner")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "6 passed" in done.stdout


def test_deselecting_a_vector_fails_the_completeness_check(small_corpus):
    done = run_plugin(small_corpus, "conformance.spec_runner:SpecRunner", "-k", "not settled")
    assert done.returncode == 1
    assert "every-vector-executed" in done.stdout and "never executed" in done.stdout


def test_a_faulty_implementation_fails_with_a_minimal_trace(small_corpus, tmp_path):
    (tmp_path / "capacity_blind.py").write_text(
        "from conformance.spec_runner import SpecRunner\n"
        "class CapacityBlind(SpecRunner):\n"
        "    def step(self, call):\n"
        "        outcome = super().step(call)\n"
        "        return 'accepted' if outcome == 'VENDOR_AT_CAPACITY' else outcome\n")
    done = run_plugin(small_corpus, "capacity_blind:CapacityBlind", path=tmp_path)
    assert done.returncode == 1
    assert "minimal failing trace" in done.stdout and "expected: {\"outcome\"" in done.stdout
    assert "seed: None" not in done.stdout


def test_the_plugin_runs_from_any_directory_without_the_surrounding_configuration(
        small_corpus, tmp_path):
    """A corpus inside a project whose pytest configuration would break the run: the
    corpus's own pytest.ini wins, and nothing is cached in the corpus or the user's dir."""
    project = tmp_path / "project"
    shutil.copytree(small_corpus, project / "vectors")
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "--no-such-option-anywhere"\n')
    user = tmp_path / "user"
    user.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conformance.testing", "--aimarket-runner", "spec",
         "--aimarket-stateful", "2", str(project / "vectors")],
        capture_output=True, text=True, cwd=user, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "configfile: pytest.ini" in done.stdout and "6 passed" in done.stdout
    assert not (project / "vectors" / ".pytest_cache").exists()
    assert not (user / ".pytest_cache").exists() and not (user / ".hypothesis").exists()


def test_the_plugin_takes_exec_runners(small_corpus):
    bridge = f"exec:{sys.executable} -m aimarket bridge --runner spec"
    done = run_plugin(small_corpus, bridge)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "6 passed" in done.stdout


WRONG_CODE = (
    "from conformance.spec_runner import SpecRunner\n"
    "class WrongCode(SpecRunner):\n"
    "    def step(self, call):\n"
    "        outcome = super().step(call)\n"
    "        return outcome if outcome in ('accepted', 'UNKNOWN_ACTOR') else 'UNKNOWN_ACTOR'\n")


def test_the_stateful_comparison_is_deterministic_under_a_seed_and_short(small_corpus, tmp_path):
    (tmp_path / "wrong_code.py").write_text(WRONG_CODE)
    runs = [run_plugin(small_corpus, "wrong_code:WrongCode", "-k", "stateful",
                       "--aimarket-seed", "3", path=tmp_path) for _ in range(2)]
    reports = []
    for done in runs:
        assert done.returncode == 1
        report = done.stdout.split("stateful comparison with the spec")[1].split("short test summary")[0]
        reports.append(report)
        assert "seed 3" in report and ", got UNKNOWN_ACTOR" in report
        assert len(done.stdout.splitlines()) < 80  # the difference, not pytest's internals
        assert "hypothesis/core.py" not in done.stdout
    assert reports[0] == reports[1]
