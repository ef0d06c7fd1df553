"""The committed corpus: up to date, well-formed, covering every entry of the tables."""

from __future__ import annotations

import json
import shutil

import pytest

from conformance.conform import MANIFEST, CorpusError, load_corpus
from conformance.corpus import stale_files
from conformance.coverage import (
    EDGES_THE_MODEL_CHECKER_MISSES,
    ENDINGS,
    EXCLUSIONS,
    JOB_EDGES,
    CoverageReport,
    action_outcomes,
)
from conformance.generate import build_corpus
from conformance.schema import vector_validator
from conformance.vectors import read_vector_text, vector_text
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


@pytest.fixture(scope="module")
def regenerated():
    return build_corpus(json.loads((VECTORS / MANIFEST).read_text())["seed"])


def test_the_committed_corpus_is_what_the_spec_generates(regenerated):
    """Regenerated here, in another process than the one that wrote the files: this is also
    the check that generation is deterministic."""
    problems = stale_files(regenerated, VECTORS)
    assert problems == [], ("the committed corpus is stale; run `aimarket vectors` "
                            f"({len(problems)} files: {problems[:5]})")


def test_the_corpus_is_small_enough_to_commit():
    size = sum(path.stat().st_size for path in VECTORS.rglob("*") if path.is_file())
    assert size < 5_000_000, f"the corpus holds {size} bytes"


def test_every_vector_file_validates_against_the_schema():
    corpus = load_corpus(VECTORS, validate=True)
    assert len(corpus.vectors) == len(json.loads((VECTORS / MANIFEST).read_text())["vectors"])


def test_the_schema_rejects_a_malformed_vector():
    validator = vector_validator()
    data = json.loads((VECTORS / "coverage/scenarios/settled.itf.json").read_text())
    assert not list(validator.iter_errors(data))
    broken = json.loads(json.dumps(data))
    broken["states"][3]["outcome"] = "MAYBE"
    assert list(validator.iter_errors(broken))
    broken = json.loads(json.dumps(data))
    del broken["states"][2]["state"]["jobs"]
    assert list(validator.iter_errors(broken))
    broken = json.loads(json.dumps(data))
    broken["states"][-1]["mbt::nondetPicks"]["job"] = {"tag": "Some", "value": {"#bigint": "1"}}
    assert list(validator.iter_errors(broken))


def test_vectors_read_back_to_the_same_text(corpus):
    for vector in corpus.vectors:
        path = VECTORS / vector.file_name
        text = path.read_text(encoding="utf-8")
        assert vector_text(read_vector_text(text, vector.name)) == text


def test_a_modified_file_is_refused(tmp_path):
    copy = tmp_path / "vectors"
    shutil.copytree(VECTORS, copy)
    target = copy / "coverage/scenarios/settled.itf.json"
    target.write_text(target.read_text().replace('"accepted"', '"WRONG_STATUS"', 1))
    with pytest.raises(CorpusError, match="sha256"):
        load_corpus(copy, validate=False)


def test_a_file_outside_the_manifest_is_refused(tmp_path):
    copy = tmp_path / "vectors"
    shutil.copytree(VECTORS, copy)
    shutil.copy(copy / "coverage/scenarios/settled.itf.json", copy / "coverage/extra.itf.json")
    with pytest.raises(CorpusError, match="not in the manifest"):
        load_corpus(copy, validate=False)


def test_coverage_is_complete_or_excluded_with_a_reason(corpus):
    report = CoverageReport.of(corpus.vectors)
    assert report.missing() == []
    assert report.unexpected == [], "the corpus exercises entries the tables do not declare"
    assert all(reason.strip() for reason in EXCLUSIONS.values())
    assert report.total == len(action_outcomes()) + len(JOB_EDGES) + len(ENDINGS)
    manifest = json.loads((VECTORS / MANIFEST).read_text())
    assert manifest["coverage"]["covered"] == report.covered == report.total


def test_every_action_outcome_of_the_catalogue_is_in_the_table():
    from spec.actions import CATALOGUE
    pairs = set(action_outcomes())
    for name, action in CATALOGUE.items():
        assert (name, "accepted") in pairs
        assert all((name, code.value) in pairs for code in action.rejections)


def test_the_edge_table_is_what_the_model_checker_reaches():
    """Every edge the model checker reaches on a small world (one secret-shared job, two
    datasets, two vendors, two training steps) is in the table, and every edge of the table
    is reached but those listed, with the reason, as beyond the model checker's instances."""
    from proofs.explore import explore
    from spec.world import make_instance

    world = make_instance(data_owners=2, developers=1, vendors=2, jobs=1, steps=2, wrong_steps=(1,),
                          secret_shared=True)
    exploration = explore(world, coverage=False)
    reached = set()
    for node, successors in enumerate(exploration.successors):
        before = exploration.markets[node]
        for target, made in successors:
            after, job = exploration.markets[target], made.args.get("job")
            if job in after.jobs:
                status = before.jobs[job].status.value if job in before.jobs else "-"
                reached.add((status, made.action, after.jobs[job].status.value))
    assert reached == set(JOB_EDGES) - set(EDGES_THE_MODEL_CHECKER_MISSES)
