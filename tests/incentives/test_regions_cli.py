"""``aimarket regions``: bad input is refused before any analysis; the export is written
whole or not at all."""

import json

from aimarket.cli import main
from proofs.incentives import report as incentive_report
from proofs.market_game import MarketGameShape


def test_an_output_in_a_missing_directory_is_refused_naming_the_field(tmp_path, capsys):
    assert main(["regions", "--out", str(tmp_path / "nowhere" / "regions.json")]) == 2
    assert "--out" in capsys.readouterr().err


def test_an_output_that_is_a_directory_is_refused(tmp_path, capsys):
    assert main(["regions", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_writes_then_checks_the_export(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(incentive_report, "SHAPES", (MarketGameShape(1, 1, 2),))
    target = tmp_path / "regions.json"
    assert main(["regions", "--out", str(target), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["current"] is False and summary["shapes"][0]["constraints"] > 0
    document = json.loads(target.read_text())
    assert [(s["datasets"], s["vendors"], s["steps"]) for s in document["shapes"]] == [(1, 1, 2)]
    assert main(["regions", "--out", str(target), "--check"]) == 0
    target.write_text(target.read_text().replace('"Bv >= ', '"Bv >= 1 + ', 1))
    assert main(["regions", "--out", str(target), "--check"]) == 1
    output = capsys.readouterr().out
    assert "STALE" in output
    # the report names the constraint that differs, with both texts
    assert "shapes[0].constraints[0].require: expected \"Bv >= " in output
    assert 'found "Bv >= 1 + ' in output
