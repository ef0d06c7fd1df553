"""The synthesised regions as exported for the reference chaincode."""

import json
import random
from fractions import Fraction

import pytest

from proofs.incentives.report import SHAPES
from proofs.incentives.formulas import to_sympy
from proofs.market_game import MarketGameShape
from proofs.region_export import DEFAULT_PATH, REGIONS_FORMAT, constraint, export_document, shape_entry
from reference.chaincode.rules import evaluate, parse_constraint, _compare

SHAPE = MarketGameShape(1, 2, 2)


@pytest.fixture(scope="module")
def analysed(analysis):
    return SHAPE, analysis(SHAPE)


def uniform_points(shape, count, seed=7):
    """Game points (one price, fee, cost, misuse value) and the same job in the
    chaincode's quantities."""
    rng = random.Random(seed)
    for _ in range(count):
        game = {name: Fraction(rng.randint(0, 40), rng.choice([1, 2, 3])) for name in
                ("P", "F", "C", "V", "Bv", "Ba", "Bd", "G", "K")}
        game["q"] = Fraction(rng.randint(1, 10), 10)
        n = shape.data_owners
        job = {"P": n * game["P"], "W": n * game["K"] * game["q"], "F_j": game["F"], "C_j": game["C"],
               "q": game["q"], "G": game["G"], "Bv": game["Bv"], "Ba": game["Ba"], "Bd": game["Bd"]}
        yield game, job


def test_every_exported_formula_means_the_proved_condition_on_uniform_jobs(analysed):
    shape, regions = analysed
    checked = 0
    for region in regions:
        for condition in region.conditions:
            result = constraint(to_sympy(condition.difference), shape)
            assert not isinstance(result, str), result
            left, comparison, right = parse_constraint(result[1])
            for game, job in uniform_points(shape, 60):
                proved = condition.difference.evaluate(game, Fraction(1)) >= 0
                exported = _compare(evaluate(left, job), comparison, evaluate(right, job))
                assert proved == exported, (result[1], game)
                checked += 1
    assert checked > 100


def test_the_committed_export_holds_what_the_proofs_synthesise(analysed):
    shape, regions = analysed
    committed = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert committed["format"] == REGIONS_FORMAT
    assert [(s["datasets"], s["vendors"], s["steps"]) for s in committed["shapes"]] == [
        (s.data_owners, s.vendors, s.steps) for s in SHAPES]
    entry = next(s for s in committed["shapes"] if (s["datasets"], s["vendors"]) == (1, 2))
    assert entry == json.loads(json.dumps(shape_entry(shape, regions)))


def test_a_condition_on_the_model_value_is_not_enforceable():
    import sympy
    V, Bv, P = sympy.symbols("V Bv P")
    assert "model's value" in constraint(V - Bv - P, SHAPE)
    assert constraint(sympy.Symbol("F") - sympy.Symbol("C"), SHAPE) == "bounds no stake or bond"
    assert constraint(2 * Bv - P, MarketGameShape(2, 1, 2)) == ("STAKE_BELOW_MINIMUM", "Bv >= P/4")


def test_the_export_names_where_each_constraint_comes_from(analysed):
    document = export_document([analysed])
    assert document["format"] == REGIONS_FORMAT
    constraints = document["shapes"][0]["constraints"]
    assert constraints and all(c["from"] and c["code"] in ("STAKE_BELOW_MINIMUM", "BOND_BELOW_MINIMUM")
                               for c in constraints)
    # decision 0012: the owner bond must outweigh the margin of the vendor cut out
    assert any(c["require"].startswith("Bd >=") and "F_j" in c["require"] for c in constraints)
