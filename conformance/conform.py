"""Running the corpus against a runner, and checking that every vector really ran.

:func:`load_corpus` reads ``vectors/``: the manifest, then every file it lists, each
checked against its sha256 and its JSON Schema, and parsed; a file the manifest does not
list is an error. A vector that continues a prelude is resolved to its whole run.
:func:`run_vector` replays one vector: after :meth:`~conformance.runner.Runner.init` the
projected state must equal the vector's state 0; after each call (or pair of calls
sharing a block) the outcome(s) and the projected state must equal the vector's. The first
difference fails the vector at that step.

The consumer-side check (:meth:`ConformReport.completeness_problems`) does not trust the
loop that ran the vectors: a :class:`CountingRunner` wrapped around the implementation
counts the calls it really received per vector, and every vector of the manifest must have
been run to its last step. A skipped vector, a vector never run, or one cut short makes
the run fail — a skipped vector is never counted as passed.
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.projection import difference_items, render_difference
from conformance.runner import Runner, Unsupported
from conformance.vectors import (
    Genesis,
    Vector,
    VectorCall,
    VectorFormatError,
    read_vector_text,
    resolve_prelude,
)

MANIFEST = "manifest.json"
SCHEMA = "vector.schema.json"
SUFFIX = ".itf.json"
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class CorpusError(Exception):
    """The corpus on disk is not the one its manifest describes."""


@dataclass
class Corpus:
    directory: Path
    manifest: dict
    vectors: list[Vector]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest corpus file read (the committed vectors are well under 1 MB each)."""


def read_limited(path: Path) -> bytes:
    """A corpus file's bytes, refusing one larger than :data:`MAX_FILE_BYTES`."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(f"{path.name}: {size / 1e6:.0f} MB, more than a corpus file may "
                              f"hold ({MAX_FILE_BYTES / 1e6:.0f} MB)")
        return path.read_bytes()
    except OSError as error:
        raise CorpusError(f"{path}: cannot read ({error.strerror or error})") from None


def load_corpus(directory: str | Path, validate: bool = True) -> Corpus:
    """The corpus in ``directory``, every file checked against the manifest."""
    root = Path(directory)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise CorpusError(f"{root}: no {MANIFEST}")
    try:
        manifest = json.loads(read_limited(manifest_path).decode("utf-8"))
        entries = manifest["vectors"]
    except (ValueError, KeyError, TypeError) as error:
        raise CorpusError(f"{manifest_path}: not a manifest ({error})") from None
    except RecursionError:
        raise CorpusError(f"{manifest_path}: not a manifest (nested too deeply)") from None
    for key in ("schema", "catalogue"):
        listed_file = manifest.get(key)
        if isinstance(listed_file, dict) and isinstance(listed_file.get("file"), str):
            path = root / listed_file["file"]
            if not path.is_file():
                raise CorpusError(f"{listed_file['file']}: listed in the manifest but missing")
            if sha256_hex(path.read_bytes()) != listed_file.get("sha256"):
                raise CorpusError(f"{listed_file['file']}: sha256 differs from the manifest "
                                  "(modified file)")
    validator = None
    if validate:
        from conformance.schema import vector_validator
        validator = vector_validator()
    listed = set()
    vectors = []
    for entry in entries:
        relative = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(relative, str) or not relative.endswith(SUFFIX):
            raise CorpusError(f"{manifest_path}: bad entry {entry!r}")
        path = root / relative
        if not path.is_file():
            raise CorpusError(f"{relative}: listed in the manifest but missing")
        data = read_limited(path)
        if sha256_hex(data) != entry.get("sha256"):
            raise CorpusError(f"{relative}: sha256 differs from the manifest (modified file)")
        try:
            text = data.decode("utf-8")
            if validator is not None:
                problems = sorted(validator.iter_errors(json.loads(text)),
                                  key=lambda error: error.path)
                if problems:
                    where = "/".join(str(part) for part in problems[0].absolute_path)
                    raise CorpusError(f"{relative}: does not match the schema at {where}: "
                                      f"{problems[0].message}")
            vectors.append(read_vector_text(text, relative.removesuffix(SUFFIX)))
        except VectorFormatError as error:
            raise CorpusError(f"{relative}: {error}") from None
        except UnicodeDecodeError:
            raise CorpusError(f"{relative}: not UTF-8 text (a binary file?)") from None
        except ValueError as error:
            raise CorpusError(f"{relative}: not valid JSON ({error})") from None
        except RecursionError:
            raise CorpusError(f"{relative}: nested too deeply") from None
        listed.add(path.resolve())
    unlisted = sorted(str(path.relative_to(root)) for path in root.rglob(f"*{SUFFIX}")
                      if path.resolve() not in listed)
    if unlisted:
        raise CorpusError(f"files not in the manifest: {', '.join(unlisted[:5])}")
    preludes = {vector.name: vector for vector in vectors if vector.kind == "prelude"}
    resolved = []
    for vector in vectors:
        try:
            resolved.append(resolve_prelude(vector, preludes))
        except VectorFormatError as error:
            raise CorpusError(f"{vector.file_name}: {error}") from None
    return Corpus(root, manifest, resolved)


# ---------------------------------------------------------------------------------------
# Running vectors
# ---------------------------------------------------------------------------------------

@dataclass
class VectorResult:
    name: str
    status: str
    steps_total: int
    failed_step: int | None = None
    """1-based step of the first difference in the whole run (the prelude's calls
    included); 0 for the state after genesis."""
    message: str = ""
    seed: int | None = None
    file: str = ""
    """The corpus file in which the failing step is written (the prelude's file when the
    failure is in the prelude's calls)."""
    file_step: int | None = None
    """The failing step's number in :attr:`file` (its ``#meta.index``; 0: state 0)."""
    call: dict[str, Any] | None = None
    """The failing call, in the vocabulary of the vector files (:func:`call_record`)."""
    expected: dict[str, Any] | None = None
    actual: dict[str, Any] | None = None
    """What differed: ``{"outcome": ...}`` or the projected state's differing fields by
    path, as expected by the vector and as the implementation had them."""
    detail: str = ""
    """The implementation's traceback (or, over the bridge, what it wrote to stderr)."""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def where(self) -> str:
        """``file step N`` for reports."""
        if self.file_step is None:
            return ""
        return f"{self.file} step {self.file_step}"

    def to_json(self) -> dict[str, Any]:
        return {"vector": self.name, "status": self.status, "seed": self.seed,
                "file": self.file or None, "step": self.file_step, "run_step": self.failed_step,
                "call": self.call, "expected": self.expected, "actual": self.actual,
                "message": self.message, "detail": self.detail or None}


def locate(vector: Vector, index: int) -> tuple[str, int]:
    """The file and the step number in it of the run's step ``index`` (0: genesis)."""
    if vector.prelude is not None and index <= vector.prelude_steps:
        return f"{vector.prelude}{SUFFIX}", index
    return vector.file_name, index - vector.prelude_steps if vector.prelude is not None else index


class CountingRunner(Runner):
    """Wraps a runner and counts, per vector, the calls it really received."""

    def __init__(self, inner: Runner):
        self.inner = inner
        self.name = inner.name
        self.calls: dict[str, int] = {}
        self.current: str | None = None

    def start(self, vector: Vector) -> None:
        self.current = vector.name
        self.calls[vector.name] = 0

    def count(self, calls: int) -> None:
        if self.current is None:
            raise RuntimeError("start() names the vector before its calls")
        self.calls[self.current] += calls

    def init(self, genesis: Genesis) -> None:
        self.inner.init(genesis)

    def step(self, call: VectorCall) -> str:
        outcome = self.inner.step(call)
        self.count(1)
        return outcome

    def step_concurrently(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        outcomes = self.inner.step_concurrently(first, second)
        self.count(2)
        return outcomes

    def project(self):
        return self.inner.project()

    def close(self) -> None:
        self.inner.close()


def run_vector(runner: Runner, vector: Vector) -> VectorResult:
    """Replay ``vector`` on ``runner``; the first difference fails it."""
    total = len(vector.steps)

    def failed(index: int, message: str, made: VectorCall | None = None,
               expected: dict | None = None, actual: dict | None = None,
               detail: str = "") -> VectorResult:
        file, file_step = locate(vector, index)
        return VectorResult(vector.name, FAILED, total, index, message, vector.seed, file,
                            file_step, None if made is None else call_record(made),
                            expected, actual, detail)

    def state_failure(index: int, expected_state, made: VectorCall | None,
                      outcome: str | None) -> VectorResult | None:
        actual_state = runner.project()
        found = difference_items(expected_state, actual_state)
        if not found:
            return None
        text = "; ".join(render_difference(item) for item in found)
        head = "state after genesis" if made is None else f"{describe(made)} ({outcome})"
        return failed(index, f"{head}: {text}", made,
                      {path: expected for path, expected, _ in found},
                      {path: actual for path, _, actual in found})

    if isinstance(runner, CountingRunner):
        runner.start(vector)
    index = 0
    made: VectorCall | None = None
    try:
        runner.init(vector.genesis)
        problem = state_failure(0, vector.initial, None, None)
        if problem is not None:
            return problem
        while index < total:
            current = vector.steps[index]
            made = current.call
            paired = index + 1 < total and vector.steps[index + 1].concurrent
            if paired:
                second = vector.steps[index + 1]
                outcomes = runner.step_concurrently(current.call, second.call)
                for offset, (expected, actual) in enumerate(
                        zip((current.outcome, second.outcome), outcomes)):
                    if expected != actual:
                        wrong = vector.steps[index + offset].call
                        return failed(index + 1 + offset,
                                      f"{describe(wrong)} (in one block with the "
                                      f"{'next' if offset == 0 else 'previous'} call): "
                                      f"expected {expected}, got {actual}", wrong,
                                      {"outcome": expected}, {"outcome": actual})
                index += 1
                current = second
                made = current.call
            else:
                actual = runner.step(current.call)
                if actual != current.outcome:
                    return failed(index + 1, f"{describe(current.call)}: expected "
                                             f"{current.outcome}, got {actual}", current.call,
                                  {"outcome": current.outcome}, {"outcome": actual})
            problem = state_failure(index + 1, current.state, current.call, current.outcome)
            if problem is not None:
                return problem
            index += 1
            made = None
    except Unsupported as reason:
        return VectorResult(vector.name, SKIPPED, total, None, f"unsupported: {reason}", vector.seed)
    except Exception as error:  # an implementation that raises fails the vector
        detail = getattr(error, "detail", None)
        if detail is None:
            detail = implementation_traceback(error)
        doing = f" making {describe(made)}" if made is not None else (
            " at init" if index == 0 else "")
        return failed(index + 1 if made is not None else index,
                      f"the runner raised {type(error).__name__}: {error}{doing}", made,
                      detail=str(detail))
    return VectorResult(vector.name, PASSED, total, None, "", vector.seed)


def implementation_traceback(error: BaseException) -> str:
    """The traceback of ``error`` without the suite's own frames (this module's), so that
    it starts where the implementation was called."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if Path(frame.filename).resolve() != Path(__file__).resolve()]
    return ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
            + "".join(traceback.format_exception_only(type(error), error)))


def argument_value(name: str, value: Any, meaning: dict[str, Any]) -> Any:
    """An argument as the vector files let an implementation read it: the meaning of an
    abstract value (a digest's label, ``"committed"``, ``"fresh"``), else the value."""
    described = meaning.get(name)
    if described is not None:
        if name == "transcript" and isinstance(described, dict):
            return list(described.get("digests", []))
        if name == "digest" and isinstance(described, dict):
            return f"{described.get('label')}@{described.get('step')}"
        return described
    if isinstance(value, frozenset):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    return value


def call_record(made: VectorCall) -> dict[str, Any]:
    """A call in the vocabulary of the vector files, as JSON."""
    record: dict[str, Any] = {"action": made.action, "actor": made.actor,
                              "args": {name: argument_value(name, value, made.meaning)
                                       for name, value in made.args.items()}}
    if made.forges:
        record["forges"] = made.forges
    return record


def describe(call: VectorCall) -> str:
    """A short rendering of a call for reports, in the vector files' vocabulary."""
    parts = []
    for name, value in call_record(call)["args"].items():
        if isinstance(value, list) and len(value) > 6:
            value = ",".join(str(item) for item in value[:6]) + f",… ({len(value)} items)"
        elif isinstance(value, list):
            value = ",".join(str(item) for item in value) or "[]"
        parts.append(f"{name}={value}")
    forged = f" (forging {call.forges})" if call.forges else ""
    return f"{call.action} by {call.actor}{forged} " + " ".join(parts)


@dataclass
class ConformReport:
    runner: str
    results: list[VectorResult]
    expected: list[Vector]
    counted: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(1 for result in self.results if result.status == PASSED)

    @property
    def failed(self) -> int:
        return sum(1 for result in self.results if result.status == FAILED)

    @property
    def skipped(self) -> int:
        return sum(1 for result in self.results if result.status == SKIPPED)

    def completeness_problems(self) -> list[str]:
        """Vectors that were not run to their last step (the consumer-side check)."""
        problems = []
        ran = {result.name: result for result in self.results}
        for vector in self.expected:
            result = ran.get(vector.name)
            if result is None or vector.name not in self.counted:
                problems.append(f"{vector.name}: never executed")
            elif result.status == SKIPPED:
                problems.append(f"{vector.name}: skipped ({result.message})")
            elif result.status == FAILED and self.counted[vector.name] < len(vector.steps):
                problems.append(f"{vector.name}: stopped at call {result.failed_step} of "
                                f"{len(vector.steps)} (failed)")
            elif self.counted[vector.name] != len(vector.steps):
                problems.append(f"{vector.name}: the runner received "
                                f"{self.counted[vector.name]} of {len(vector.steps)} calls")
        unknown = sorted(set(ran) - {vector.name for vector in self.expected})
        problems += [f"{name}: executed but not in the corpus" for name in unknown]
        return problems


def run_corpus(runner: Runner, vectors: Iterable[Vector],
               progress: Callable[[VectorResult], None] | None = None) -> ConformReport:
    """Run every vector on ``runner`` (counted, for the completeness check)."""
    vectors = list(vectors)
    counting = CountingRunner(runner)
    results = []
    for vector in vectors:
        result = run_vector(counting, vector)
        results.append(result)
        if progress is not None:
            progress(result)
    return ConformReport(runner.name, results, vectors, dict(counting.calls))
