"""``aimarket games check``: table, JSON, counterexamples, preconditions, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aimarket.cli import main

from .conftest import DATA, checkmate_game_path


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["games", "check", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(checkmate_game_path("market_entry_game")))
    assert code == 1  # practicality fails for [o]: a failing property is exit 1, like `check`
    lines = out.splitlines()
    assert lines[0].startswith("market_entry_game: 5 nodes, 2 players")
    assert lines[1].split() == ["history", "property", "verdict", "cases", "seconds"]
    rows = [line.split() for line in lines[3:-1]]
    assert len(rows) == 3 * 6  # three honest histories, six properties
    by_key = {(row[0], row[1]): row[2] for row in rows if len(row) == 5}
    assert by_key[("[o]", "weak_immunity")] == "holds"
    assert by_key[("[o]", "practicality")] == "fails"
    failing = sum(1 for row in rows if row[-3] == "fails")
    assert lines[-1] == f"{failing} of 18 checks FAIL (exit 1)"


def test_json_with_counterexamples_and_preconditions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(checkmate_game_path("splits_cr")), "--property", "collusion_resilience",
                       "--counterexamples", "--preconditions", "--json")
    assert code == 1
    payload = json.loads(out)
    assert payload["failed"] == sum(item["verdict"] == "fails" for item in payload["results"])
    assert payload["game"] == "splits_cr"
    results = {tuple(item["history"]): item for item in payload["results"]}
    assert set(results) == {("n",), ("a", "o"), ("a", "d")}
    for item in results.values():
        assert item["property"] == "collusion_resilience"
        assert item["verdict"] in ("holds", "fails") and item["seconds"] >= 0
    assert results[("n",)]["verdict"] == "holds" and results[("n",)]["witnesses"]
    failing = results[("a", "o")]
    assert failing["verdict"] == "fails"
    example = failing["counterexample"]
    assert example["players"] == ["A"] and example["deviation"] == ["n"]
    values = example["parameters"]
    assert float(eval_fraction(values["t"])) > float(eval_fraction(values["j"]))  # A prefers n: t > j
    assert failing["precondition"]["region"] == "j >= t"
    assert failing["precondition"]["verified"] is True


def eval_fraction(text: str) -> float:
    numerator, _, denominator = text.partition("/")
    return int(numerator) / int(denominator or 1)


def test_chance_game_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA / "audit.json"), "--property", "practicality", "--preconditions")
    assert code == 1 and "FAIL (exit 1)" in out
    assert "practicality holds iff g*q + q*s >= g" in out


def test_gzip_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "audit.json.gz"
    packed.write_bytes(gzip.compress((DATA / "audit.json").read_bytes()))
    code, out, _ = run(capsys, str(packed), "--property", "weak_immunity", "--json")
    assert code == 1 and json.loads(out)["results"][0]["verdict"] == "fails"


def test_bad_file_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = json.loads((DATA / "audit.json").read_text())
    data["tree"]["children"][0]["child"]["utility"][0]["player"] = "Z"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, out, err = run(capsys, str(bad))
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "tree.children[0].child.utility[0].player" in err and "unknown player 'Z'" in err


def test_unknown_property(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(DATA / "audit.json"), "--property", "fairness")
    assert code == 2 and "--property: unknown property 'fairness'" in err


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "nothing.json"))
    assert code == 2 and "no such file" in err and err.count("\n") == 1


TINY_GAME = {
    "players": ["C"], "actions": ["a", "b"], "infinitesimals": [], "constants": [],
    "initial_constraints": [],
    "property_constraints": {"weak_immunity": [], "weaker_immunity": [],
                             "collusion_resilience": [], "practicality": []},
    "honest_histories": [["a"]],
    "tree": {"player": "C", "children": [
        {"action": "a", "child": {"utility": [{"player": "C", "value": 1}]}},
        {"action": "b", "child": {"utility": [{"player": "C", "value": "x"}]}}]},
}


def test_exit_1_exactly_when_a_property_fails(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    game = tmp_path / "tiny.json"
    game.write_text(json.dumps({**TINY_GAME, "constants": ["x"], "initial_constraints": ["x < 1"]}))
    code, out, _ = run(capsys, str(game), "--json")
    payload = json.loads(out)
    assert all(item["verdict"] == "holds" for item in payload["results"])
    assert code == 0 and payload["failed"] == 0
    game.write_text(json.dumps({**TINY_GAME, "constants": ["x"], "initial_constraints": []}))
    code, out, _ = run(capsys, str(game), "--json", "--property", "practicality")
    payload = json.loads(out)  # deviating to b pays x, which may exceed 1
    assert payload["results"][0]["verdict"] == "fails"
    assert code == 1 and payload["failed"] == 1


@pytest.mark.parametrize("content, reason", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary"),
    (b"[" * 5000 + b"]" * 5000, "nests"),
    (b"[1, 2, 3]", "must hold a game (a JSON object), found an array"),
    (b"\x1f\x8bnot gzip at all", "gzip"),
])
def test_unusable_files_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            content: bytes, reason: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    code, out, err = run(capsys, str(bad))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert str(bad) in err and reason in err
