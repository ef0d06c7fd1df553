"""The released corpus: vector files, their JSON Schema and the manifest, byte for byte.

:func:`corpus_files` renders a generated corpus as ``{relative path: bytes}`` — the same
bytes whether they are written to ``vectors/`` (:func:`write_corpus`) or compared in
memory with the committed ones (the staleness test). The manifest records the spec
version (the package version and a digest of ``spec/``'s sources), the generator, the
seed, the coverage table and the sha256 of every file, of the schema and of the action
catalogue (:mod:`conformance.catalogue`). A ``pytest.ini`` makes the directory its own
pytest root for the plugin (:mod:`conformance.testing`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from conformance.catalogue import CATALOGUE_FILE, catalogue_schema
from conformance.conform import MANIFEST, SCHEMA, sha256_hex
from conformance.coverage import CoverageReport
from conformance.generate import GeneratedCorpus
from conformance.jsondiff import json_differences
from conformance.schema import vector_schema
from conformance.vectors import vector_text

MANIFEST_FORMAT = "aimarket/conformance-vectors/v1"
PYTEST_INI = "pytest.ini"
PYTEST_INI_TEXT = """\
# Makes the corpus directory its own pytest root: running the conformance plugin on it
#   pytest -p conformance.testing --aimarket-runner RUNNER path/to/vectors
# picks up no configuration of a project around it and writes no cache here.
[pytest]
addopts = -p no:cacheprovider
"""
SPEC_DIRECTORY = Path(__file__).resolve().parent.parent / "spec"


def spec_version() -> str:
    """``<package version>+spec.<12 hex digits>``: a digest of the code of ``spec/*.py``
    with docstrings (of modules, classes, functions and attributes) and comments left out,
    so that only a change of the rules, not of their prose, makes the corpus stale."""
    digest = hashlib.sha256()
    for path in sorted(SPEC_DIRECTORY.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for name in ("body", "orelse", "finalbody"):
                statements = getattr(node, name, None)
                if isinstance(statements, list) and statements:
                    kept = [statement for statement in statements if not (
                        isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                        and isinstance(statement.value.value, str))]
                    setattr(node, name, kept or [ast.Pass()])
        digest.update(path.name.encode() + b"\0" + ast.dump(tree).encode() + b"\0")
    return f"{package_version()}+spec.{digest.hexdigest()[:12]}"


def package_version() -> str:
    try:
        return metadata.version("aimarket")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def generator_name() -> str:
    """The generator, named without the versions of any installed library: the corpus is
    drawn by the project's own seeded code alone, so no library release changes a byte of
    it (``make crosscheck`` regenerates it under other releases to keep it so)."""
    return f"conformance.generate (aimarket {package_version()})"


def json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def corpus_files(corpus: GeneratedCorpus) -> dict[str, bytes]:
    """Every file of the corpus directory, by path relative to it."""
    files: dict[str, bytes] = {}
    entries = []
    for vector in corpus.vectors:
        data = vector_text(vector).encode("utf-8")
        if vector.file_name in files:
            raise ValueError(f"two vectors named {vector.name}")
        files[vector.file_name] = data
        entries.append({"file": vector.file_name, "kind": vector.kind,
                        "steps": len(vector.steps), "seed": vector.seed,
                        "sha256": sha256_hex(data)})
    schema = json_bytes(vector_schema())
    files[SCHEMA] = schema
    catalogue = json_bytes(catalogue_schema(spec_version()))
    files[CATALOGUE_FILE] = catalogue
    files[PYTEST_INI] = PYTEST_INI_TEXT.encode("utf-8")
    coverage = CoverageReport.of(corpus.vectors)
    manifest = {
        "format": MANIFEST_FORMAT,
        "spec_version": spec_version(),
        "generator": generator_name(),
        "seed": corpus.seed,
        "schema": {"file": SCHEMA, "sha256": sha256_hex(schema)},
        "catalogue": {"file": CATALOGUE_FILE, "sha256": sha256_hex(catalogue)},
        "counts": {kind: sum(1 for vector in corpus.vectors if vector.kind == kind)
                   for kind in ("coverage", "walk", "sequence")},
        "vectors": entries,
        "coverage": coverage.to_json(),
    }
    files[MANIFEST] = json_bytes(manifest)
    return files


def write_corpus(corpus: GeneratedCorpus, directory: str | Path) -> dict[str, bytes]:
    """Replace the corpus in ``directory`` with ``corpus`` (written aside, then swapped in,
    so a failure leaves the old corpus whole)."""
    target = Path(directory)
    files = corpus_files(corpus)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vectors-", dir=target.parent))
    try:
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if target.exists():
            kept = [item for item in target.iterdir() if item.name.startswith(".")]
            retired = target.with_name(target.name + ".old")
            if retired.exists():
                shutil.rmtree(retired)
            target.rename(retired)
            staging.rename(target)
            for item in kept:
                item.rename(target / item.name)
            shutil.rmtree(retired)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files


def stale_files(corpus: GeneratedCorpus, directory: str | Path) -> list[str]:
    """Files of ``directory`` that differ from ``corpus`` (by sha256; each with the first
    paths whose values differ), missing or extra. Only content is compared: the manifest
    records no library release, so none can make the corpus stale."""
    root = Path(directory)
    expected = corpus_files(corpus)
    problems = []
    for relative, data in expected.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif sha256_hex(found := path.read_bytes()) != sha256_hex(data):
            problems.append(f"{relative}: differs — " + "; ".join(json_differences(data, found)))
    present = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()
               and not any(part.startswith(".") for part in path.relative_to(root).parts)}
    problems += [f"{relative}: not generated" for relative in sorted(present - set(expected))]
    return problems
