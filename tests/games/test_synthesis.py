"""Parameter synthesis is exact, and chance nodes behave as expected utilities."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from typing import Any

import pytest
import sympy
import z3

from proofs.games import Workspace, check_property, load_game, parse_game, synthesise
from proofs.games.encodings import Encoder

from .conftest import DATA, checkmate_game_path


def audit_data() -> dict[str, Any]:
    return json.loads((DATA / "audit.json").read_text())


def equivalent_under(region, expected: str, workspace: Workspace) -> bool:
    """Z3: given the constraints, the region is the expected formula."""
    symbols = {name: sympy.Symbol(name) for name in workspace.game.symbols}
    expected_z3 = _sympy_to_z3(sympy.sympify(expected, locals=symbols), workspace)
    solver = z3.Solver()
    solver.add(region.constraints, z3.Not(region.z3_expression == expected_z3))
    return solver.check() == z3.unsat


def _sympy_to_z3(expression: sympy.Basic, workspace: Workspace) -> z3.ExprRef:
    variables = workspace.context.variables
    if expression is sympy.true:
        return z3.BoolVal(True)
    if expression is sympy.false:
        return z3.BoolVal(False)
    if isinstance(expression, sympy.Symbol):
        return variables[str(expression)]
    if expression.is_Number:
        fraction = Fraction(str(expression))
        return z3.RealVal(f"{fraction.numerator}/{fraction.denominator}")
    children = [_sympy_to_z3(argument, workspace) for argument in expression.args]
    operations = {
        sympy.Add: lambda parts: z3.Sum(parts), sympy.Mul: lambda parts: z3.Product(parts),
        sympy.And: lambda parts: z3.And(parts), sympy.Or: lambda parts: z3.Or(parts),
        sympy.Not: lambda parts: z3.Not(parts[0]),
        sympy.GreaterThan: lambda parts: parts[0] >= parts[1], sympy.StrictGreaterThan: lambda parts: parts[0] > parts[1],
        sympy.LessThan: lambda parts: parts[0] <= parts[1], sympy.StrictLessThan: lambda parts: parts[0] < parts[1],
    }
    for kind, build in operations.items():
        if isinstance(expression, kind):
            return build(children)
    raise ValueError(expression)


def assert_exact(region, workspace: Workspace) -> None:
    """Re-prove, on the *simplified* region, that it is exactly where the property holds."""
    encoder = Encoder(workspace.compiled, region.history, workspace.context)
    formula = encoder.formula(region.property)
    inside = region.z3_expression
    solver = z3.Solver()
    solver.add(region.constraints)
    # region => property: the cases' witnesses cover the region and each satisfies Φ on its case
    solver.push()
    solver.add(inside, z3.Not(z3.Or([workspace.context.condition(case.region) for case in region.cases] or
                                    [z3.BoolVal(False)])))
    assert solver.check() == z3.unsat
    solver.pop()
    for case in region.cases:
        solver.push()
        solver.add(workspace.context.condition(case.region), *encoder.fix(case.strategy), z3.Not(formula))
        assert solver.check() == z3.unsat
        solver.pop()
    # outside the region no strategy profile extending the honest history satisfies Φ
    solver.add(z3.Not(inside), *encoder.strategy_domain(), formula)
    assert solver.check() == z3.unsat


EXPECTED = [
    ("running_example", ("r_A", "l_B"), "weak_immunity", "(a >= 2) & (b >= 0)"),
    ("running_example", ("r_A", "l_B"), "practicality", "false"),
    ("splits_cr", ("a", "o"), "collusion_resilience", "j >= t"),
    ("splits_cr", ("a", "d"), "practicality", "f >= t"),
    ("splits_wi", ("l", "y"), "honest_dominance", "b <= 0"),
    ("market_entry_game", ("e", "i"), "practicality", "true"),
    ("closing_game-simplified", ("C_h", "S"), "dominance_solvability", "a + d_A > f"),
]


@pytest.mark.parametrize(("game_name", "history", "property_name", "expected"), EXPECTED)
def test_synthesised_regions(game_name: str, history: tuple[str, ...], property_name: str, expected: str) -> None:
    workspace = Workspace(load_game(checkmate_game_path(game_name)))
    region = synthesise(workspace, property_name, history)
    assert region.verified, region.verification
    assert equivalent_under(region, expected, workspace), str(region)
    if not workspace.game.infinitesimals:
        assert_exact(region, workspace)


def test_nonlinear_region_with_chance_nodes() -> None:
    """Practicality of honest work under random audits: q (s + g) >= g, found and proved exactly."""
    workspace = Workspace(load_game(DATA / "audit.json"))
    region = synthesise(workspace, "practicality")
    assert region.verified
    assert set(region.symbols) == {"g", "q", "s"}
    assert equivalent_under(region, "q*(s + g) >= g", workspace)
    assert_exact(region, workspace)
    assert region.contains({"q": Fraction(1, 2), "s": 2, "g": 1})
    assert not region.contains({"q": Fraction(1, 4), "s": 2, "g": 1})
    # a counterexample from outside the region, whose values really violate it
    example = region.counterexample_outside
    assert example is not None
    values = {name: Fraction(value) for name, value in example.parameters.items()}
    assert values["q"] * (values["s"] + values["g"]) < values["g"]
    assert Fraction(example.deviation_payoff) > Fraction(example.honest_payoff)


@pytest.mark.parametrize("property_name", ["weak_immunity", "collusion_resilience", "honest_dominance",
                                           "dominance_solvability"])
def test_other_regions_of_the_audit_game_are_exact(property_name: str) -> None:
    workspace = Workspace(load_game(DATA / "audit.json"))
    region = synthesise(workspace, property_name)
    assert region.verified
    assert_exact(region, workspace)


def test_weak_immunity_of_the_audit_game() -> None:
    """The client's guarantee: expected loss from cheating is covered when q (s + v) >= f."""
    workspace = Workspace(load_game(DATA / "audit.json"))
    assert equivalent_under(synthesise(workspace, "weak_immunity"), "q*s + q*v >= f", workspace)


def test_infinitesimals_are_eliminated() -> None:
    """Honest: c + epsilon; deviating: alpha, with alpha > epsilon > 0. Practical iff c > 0."""
    data = {
        "players": ["A"], "actions": ["honest", "deviate"], "infinitesimals": ["alpha", "epsilon"],
        "constants": ["c"], "initial_constraints": ["alpha > epsilon", "epsilon > 0"],
        "property_constraints": {"weak_immunity": [], "weaker_immunity": [], "collusion_resilience": [],
                                 "practicality": []},
        "honest_histories": [["honest"]],
        "tree": {"player": "A", "children": [
            {"action": "honest", "child": {"utility": [{"player": "A", "value": "c + epsilon"}]}},
            {"action": "deviate", "child": {"utility": [{"player": "A", "value": "alpha"}]}},
        ]},
    }
    workspace = Workspace(parse_game(data))
    region = synthesise(workspace, "practicality")
    assert region.infinitesimals_eliminated
    assert region.symbols == ("c",)
    assert equivalent_under(region, "c > 0", workspace)


def test_probabilities_are_constrained() -> None:
    """q + 1/2 must be 1, so q = 1/2; with q > 3/4 required the constraints are unsatisfiable."""
    data = audit_data()
    chance = data["tree"]["children"][1]["child"]["children"][1]["child"]["chance"]
    chance[1]["probability"] = "1/2"
    data["property_constraints"]["practicality"] = ["q > 3/4"]
    result = check_property(parse_game(data), "practicality")
    assert result.verdict == "holds" and "vacuously" in result.reason
    data["property_constraints"]["practicality"] = ["s >= g"]  # q = 1/2: (s + g)/2 >= g
    assert check_property(parse_game(data), "practicality").verdict == "holds"
    data["property_constraints"]["practicality"] = ["s < g"]
    assert check_property(parse_game(data), "practicality").verdict == "fails"


@pytest.mark.parametrize(("extra", "verdict"), [
    (["q >= 1/2", "s >= g"], "holds"),
    (["q <= 1/4", "s <= g"], "fails"),
    ([], "fails"),
])
def test_chance_node_practicality(extra: list[str], verdict: str) -> None:
    data = audit_data()
    data["property_constraints"]["practicality"] = extra
    result = check_property(parse_game(data), "practicality")
    assert result.verdict == verdict
    if verdict == "fails":
        example = result.counterexample
        assert example is not None and example.players == ("V",)
        values = {name: Fraction(value) for name, value in example.parameters.items()}
        # cheating's expected payoff f + g - q (s + g) beats honest work's f
        cheat = values["f"] + values["g"] - values["q"] * (values["s"] + values["g"])
        assert Fraction(example.deviation_payoff) == cheat > values["f"] == Fraction(example.honest_payoff)
    else:
        assert result.cases and all(case.strategy.action_at(("hire",)) == "honest" for case in result.cases)


def test_a_game_with_two_chance_levels() -> None:
    """Nested chance nodes multiply probabilities: V's expected value is exact."""
    data = audit_data()
    inner = copy.deepcopy(data["tree"]["children"][1]["child"]["children"][1]["child"])
    data["actions"] += ["again", "once"]
    data["tree"]["children"][1]["child"]["children"][1]["child"] = {"chance": [
        {"action": "again", "probability": "1/2", "child": inner},
        {"action": "once", "probability": "1/2",
         "child": {"utility": [{"player": "C", "value": "-f"}, {"player": "V", "value": "f + g"}]}},
    ]}
    workspace = Workspace(parse_game(data))
    region = synthesise(workspace, "practicality")
    assert equivalent_under(region, "q*(s + g) >= 2*g", workspace)
    assert_exact(region, workspace)


def test_irrational_points_are_handled_exactly() -> None:
    """With p^2 = 2 Z3's models are algebraic numbers; decisions stay exact."""
    data = json.loads(checkmate_game_path("market_entry_game").read_text())
    data["initial_constraints"].append("p * p == 2")
    game = parse_game(data)
    honest_entry = check_property(game, "practicality", ("e", "i"))
    assert honest_entry.verdict == "holds"
    fight = check_property(game, "practicality", ("e", "s"))
    assert fight.verdict == "fails"
    assert fight.counterexample is not None
    assert fight.counterexample.parameters["p"].startswith("root 2 of x^2 - 2")
    # E prefers to stay in (p ~ 1.414) over fighting (-a)
    assert fight.counterexample.deviation_payoff.startswith("root 2 of x^2 - 2")


def test_games_built_in_python_match_files() -> None:
    from proofs.games.build import chance, decision, leaf, make_game

    job = decision("V",
                   honest=leaf(C="v - f", V="f"),
                   cheat=chance(("audited", "q", leaf(C="v - f + s", V="f - s")),
                                ("unaudited", "1 - q", leaf(C="-f", V="f + g"))))
    built = make_game(players=["C", "V"], constants=["v", "f", "s", "g", "q"],
                      tree=decision("C", skip=leaf(C=0, V=0), hire=job), honest=[["hire", "honest"]],
                      constraints=["v > f", "f > 0", "s >= 0", "g > 0"])
    from_file = load_game(DATA / "audit.json")
    assert built.tree == from_file.tree
    assert built.initial_constraints == from_file.initial_constraints
    workspace = Workspace(built)
    assert equivalent_under(synthesise(workspace, "practicality"), "q*(s + g) >= g", workspace)


def test_synthesis_rediscovers_checkmates_constraints() -> None:
    """The closing game's authors assume a >= f and b >= f for weak immunity; without those
    assumptions synthesis finds exactly them (over the constants, infinitesimals eliminated)."""
    data = json.loads(checkmate_game_path("closing_game").read_text())
    assert data["property_constraints"]["weak_immunity"] == ["a >= f", "b >= f"]
    for key in data["property_constraints"]:
        data["property_constraints"][key] = []
    workspace = Workspace(parse_game(data, name="closing_game"))
    region = synthesise(workspace, "weak_immunity", ("C_h", "S"))
    assert region.verified and region.infinitesimals_eliminated
    assert set(region.symbols) <= set(workspace.game.constants)
    assert equivalent_under(region, "(a >= f) & (b >= f)", workspace)
    assert equivalent_under(synthesise(workspace, "weak_immunity", ("H",)), "a >= f", workspace)
