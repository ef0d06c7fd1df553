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
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("market_entry_game: 5 nodes, 2 players")
    assert lines[1].split() == ["history", "property", "verdict", "cases", "seconds"]
    rows = [line.split() for line in lines[3:]]
    assert len(rows) == 3 * 6  # three honest histories, six properties
    by_key = {(row[0], row[1]): row[2] for row in rows if len(row) == 5}
    assert by_key[("[o]", "weak_immunity")] == "holds"
    assert by_key[("[o]", "practicality")] == "fails"


def test_json_with_counterexamples_and_preconditions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(checkmate_game_path("splits_cr")), "--property", "collusion_resilience",
                       "--counterexamples", "--preconditions", "--json")
    assert code == 0
    payload = json.loads(out)
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
    assert code == 0
    assert "practicality holds iff g*q + q*s >= g" in out


def test_gzip_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "audit.json.gz"
    packed.write_bytes(gzip.compress((DATA / "audit.json").read_bytes()))
    code, out, _ = run(capsys, str(packed), "--property", "weak_immunity", "--json")
    assert code == 0 and json.loads(out)["results"][0]["verdict"] == "fails"


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
    assert code == 2 and "no such file" in err
