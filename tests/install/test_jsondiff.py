"""The staleness checks name where a committed generated file differs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conformance.corpus import stale_files
from conformance.generate import GeneratedCorpus
from conformance.jsondiff import json_differences


def test_differences_name_the_paths_with_expected_and_found_values():
    expected = json.dumps({"a": 1, "b": [1, 2, {"c": "x"}], "d": 0})
    found = json.dumps({"a": 1, "b": [1, 3, {"c": "y"}], "e": 0})
    assert json_differences(expected, found, limit=10) == [
        "b[1]: expected 2, found 3", 'b[2].c: expected "x", found "y"',
        "d: missing (expected 0)", "e: not expected (found 0)"]
    assert json_differences(expected, found, limit=1) == ["b[1]: expected 2, found 3"]


def test_formatting_and_text_differences_are_told_apart():
    assert json_differences('{"a": 1}', '{"a":1}') == [
        "the same JSON values, written differently (formatting)"]
    assert json_differences("one\ntwo\n", "one\nthree\n") == ['line 2: expected "two", found "three"']


def test_a_stale_vector_file_is_reported_with_its_differing_path(tmp_path: Path):
    vectors = Path(__file__).resolve().parents[2] / "vectors"
    copy = tmp_path / "vectors"
    shutil.copytree(vectors, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    from conformance.generate import build_corpus
    corpus: GeneratedCorpus = build_corpus(manifest["seed"])
    assert stale_files(corpus, copy) == []
    manifest["generator"] = "something else"
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (problem,) = stale_files(corpus, copy)
    assert problem.startswith("manifest.json: differs — generator: expected \"conformance.generate")
    assert problem.endswith('found "something else"')
