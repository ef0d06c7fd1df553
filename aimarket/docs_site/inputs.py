"""The site's optional inputs: the proof report, the vectors, the benchmark results and
the reference chaincode. Each loader returns the data or says why there is none; a page
never fills a gap with anything but that reason.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Missing:
    """An input the site could not use, and why (shown on the pages that needed it)."""

    what: str
    reason: str


def read_json_file(path: Path, what: str) -> Any | Missing:
    """The JSON value in ``path``, or :class:`Missing` naming the problem.

    Output captured from a command that prints progress lines before its JSON (as
    ``python -m bench --json`` does) is accepted: the JSON value then starts at the first
    line that is exactly ``{`` or ``[``.
    """
    if not path.is_file():
        return Missing(what, f"no file at {path}")
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        lines = text.splitlines(keepends=True)
        for number, line in enumerate(lines):
            if line.rstrip() in ("{", "["):
                try:
                    value, _ = json.JSONDecoder().raw_decode("".join(lines[number:]))
                    return value
                except json.JSONDecodeError:
                    break
        return Missing(what, f"{path} is not JSON ({error.msg} at line {error.lineno})")


# --- the proof report ------------------------------------------------------------------

@dataclass
class GameResults:
    """The output of ``aimarket games check --json`` for one game."""

    game: str
    results: list[dict[str, Any]]


@dataclass
class ProofReport:
    """A proof report: the games checked, and every other section as reported."""

    path: Path
    games: list[GameResults] = field(default_factory=list)
    other_sections: dict[str, Any] = field(default_factory=dict)


def is_game_results(value: Any) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("game"), str)
            and isinstance(value.get("results"), list))


def load_proof_report(path: Path) -> ProofReport | Missing:
    """Read a proof report. Accepted forms: the output of ``aimarket games check --json``
    (``{"game", "results"}``), a list of such outputs, or an object whose ``"games"`` is
    such a list and whose other keys are further sections (shown as reported)."""
    data = read_json_file(path, "proof report")
    if isinstance(data, Missing):
        return data
    report = ProofReport(path)
    rest: dict[str, Any]
    if is_game_results(data):
        games, rest = [data], {}
    elif isinstance(data, list) and all(is_game_results(item) for item in data):
        games, rest = data, {}
    elif isinstance(data, dict):
        games = data.get("games", [])
        rest = {key: value for key, value in data.items() if key != "games"}
        if not isinstance(games, list) or not all(is_game_results(item) for item in games):
            return Missing("proof report", f"`{path}`: \"games\" must be a list of "
                           "`aimarket games check --json` outputs")
    else:
        return Missing("proof report", f"`{path}` is neither a games-check output nor an object")
    report.games = [GameResults(item["game"], item["results"]) for item in games]
    report.other_sections = rest
    return report


def entries_naming(value: Any, action: str, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object inside ``value`` that names ``action`` in a key ``"action"`` or in a
    list ``"actions"``, with the JSON path where it was found."""
    if isinstance(value, dict):
        named = value.get("action") == action or (
            isinstance(value.get("actions"), list) and action in value["actions"])
        if named:
            yield where or "/", value
        for key, item in value.items():
            yield from entries_naming(item, action, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from entries_naming(item, action, f"{where}/{index}")


# --- vectors ---------------------------------------------------------------------------

@dataclass(frozen=True)
class VectorFile:
    """One entry of the manifest's vector list, checked against the file on disk."""

    name: str
    kind: str
    steps: int | None
    present: bool
    sha256_matches: bool


@dataclass
class Vectors:
    """The vector manifest (``aimarket/conformance-vectors/v1``): its files, checked
    against their sha256, and the coverage it declares."""

    manifest_path: Path
    manifest: dict[str, Any]
    files: list[VectorFile]
    action_outcomes: dict[tuple[str, str], list[str]]
    """(action, outcome) -> names of the vectors with such a step."""
    job_edges: dict[tuple[str, str, str], list[str]]
    """(status before, action, status after) -> vectors; ``"-"`` is "no job yet"."""
    endings: dict[str, list[str]]
    excluded: list[Any]


def load_vectors(manifest_path: Path) -> Vectors | Missing:
    """Read the manifest, check every listed file's sha256 and take its coverage."""
    manifest = read_json_file(manifest_path, "vector manifest")
    if isinstance(manifest, Missing):
        return manifest
    if not isinstance(manifest, dict) or not isinstance(manifest.get("vectors"), list):
        return Missing("vector manifest", f"`{manifest_path}` has no list \"vectors\"")
    coverage = manifest.get("coverage")
    if not isinstance(coverage, dict):
        return Missing("vector manifest", f"`{manifest_path}` has no \"coverage\" object")
    files = []
    for entry in manifest["vectors"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            return Missing("vector manifest", f"`{manifest_path}`: a vector entry has no \"file\"")
        path = manifest_path.parent / entry["file"]
        present = path.is_file()
        matches = present and hashlib.sha256(path.read_bytes()).hexdigest() == entry.get("sha256")
        files.append(VectorFile(entry["file"], str(entry.get("kind", "")), entry.get("steps"),
                                present, matches))
    try:
        action_outcomes = {(item["action"], item["outcome"]): list(item["vectors"])
                           for item in coverage.get("action_outcomes", [])}
        job_edges = {(item["from"], item["action"], item["to"]): list(item["vectors"])
                     for item in coverage.get("job_edges", [])}
        endings = {item["ending"]: list(item["vectors"]) for item in coverage.get("endings", [])}
    except (KeyError, TypeError) as error:
        return Missing("vector manifest", f"`{manifest_path}`: unexpected coverage entry ({error})")
    return Vectors(manifest_path, manifest, files, action_outcomes, job_edges, endings,
                   list(coverage.get("excluded", [])))


# --- the reference chaincode -------------------------------------------------------------

@dataclass(frozen=True)
class ChaincodeFunction:
    """One entry of the chaincode's function table."""

    name: str
    kind: str
    """``"transaction"`` or ``"query"``."""
    qualified_name: str
    source_file: str
    line: int
    summary: str


def load_chaincode(repository: Path) -> dict[str, ChaincodeFunction] | Missing:
    """The reference chaincode's function table, read from an instance of its contract."""
    try:
        from reference.chaincode import MarketplaceChaincode
    except Exception as error:  # the reference is being written: report, do not crash
        return Missing("reference chaincode", f"cannot import `reference.chaincode`: {error}")
    contract = MarketplaceChaincode()
    table: dict[str, ChaincodeFunction] = {}
    for kind, functions in (("transaction", getattr(contract, "transactions", {})),
                            ("query", getattr(contract, "queries", {}))):
        for name, function in functions.items():
            try:
                source = Path(inspect.getsourcefile(function) or "").resolve()
                line = inspect.getsourcelines(function)[1]
                location = str(source.relative_to(repository.resolve()))
            except (TypeError, OSError, ValueError):
                location, line = "?", 0
            doc = inspect.getdoc(function) or ""
            table[name] = ChaincodeFunction(name, kind, function.__qualname__, location, line,
                                            doc.split("\n\n")[0].replace("\n", " "))
    if not table:
        return Missing("reference chaincode", "the contract's function table is empty")
    return table


def load_code_map() -> dict[str, str] | Missing:
    """Protocol rejection code -> the reference chaincode's code for it."""
    try:
        from reference.chaincode.codes import MARKET_CODE_OF
    except Exception as error:
        return Missing("chaincode codes", f"cannot import `reference.chaincode.codes`: {error}")
    return {str(getattr(key, "value", key)): str(getattr(value, "value", value))
            for key, value in MARKET_CODE_OF.items()}
