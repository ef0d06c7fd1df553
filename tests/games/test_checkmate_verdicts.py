"""Every verdict of CheckMate's example suite is reproduced, with valid evidence."""

from __future__ import annotations

from fractions import Fraction

import pytest
import z3

from proofs.games import CHECKMATE_PROPERTIES, check_property
from proofs.games.encodings import Encoder
from proofs.games.model import Decision, Leaf, Node
from proofs.games.terms import evaluate_formula

from .conftest import checkmate_available, checkmate_directory, checkmate_verdicts, checkmate_workspace


def _cases() -> list[tuple[str, str, str, bool]]:
    cases = []
    for game, per_history in sorted(checkmate_verdicts().items()):
        for history, per_property in per_history.items():
            for property_name, verdict in per_property.items():
                cases.append((game, history, property_name, verdict))
    return cases


CASES = _cases() if checkmate_available() else []


def test_the_suite_is_complete() -> None:
    checkmate_directory()  # skips without the suite
    assert len(CASES) == 76  # 19 honest histories in 11 games, 4 properties each
    assert {case[2] for case in CASES} == set(CHECKMATE_PROPERTIES)


def _history(workspace, text: str) -> tuple[str, ...]:
    for history in workspace.game.honest_histories:
        if f"[{', '.join(history)}]" == text:
            return history
    raise KeyError(text)


def _parameters(values: dict[str, str]) -> dict[str, Fraction]:
    return {name: Fraction(value) for name, value in values.items()}


def _leaf(root: Node, history: tuple[str, ...]) -> Leaf:
    node = root
    for action in history:
        assert isinstance(node, Decision)
        node = next(branch.child for branch in node.branches if branch.action == action)
    assert isinstance(node, Leaf)
    return node


def _payoff(leaf: Leaf, players: tuple[str, ...], values: dict[str, Fraction]) -> tuple[Fraction, Fraction]:
    real = sum((leaf.utility(player).value.real.evaluate(values, Fraction(1)) for player in players), Fraction(0))
    rest = sum((leaf.utility(player).value.infinitesimal.evaluate(values, Fraction(1)) for player in players),
               Fraction(0))
    return (real, rest)


@pytest.mark.parametrize(("game_name", "history_text", "property_name", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_checkmate_verdict(game_name: str, history_text: str, property_name: str, expected: bool) -> None:
    workspace = checkmate_workspace(game_name)
    game = workspace.game
    history = _history(workspace, history_text)
    result = check_property(workspace, property_name, history)
    assert result.verdict == ("holds" if expected else "fails")
    if expected:
        # a witness per case, each extending the honest history
        assert result.cases
        for case in result.cases:
            for depth in range(len(history)):
                assert case.strategy.action_at(history[:depth]) == history[depth]
        return
    example = result.counterexample
    assert example is not None
    values = _parameters(example.parameters)
    # the counterexample satisfies the constraints ...
    for constraint in game.constraints_for(property_name):
        assert evaluate_formula(constraint.formula, lambda poly: poly.evaluate(values, Fraction(1)))
    # ... and its plays really break the property at those values
    real_only = property_name == "weaker_immunity"
    deviation = _payoff(_leaf(game.tree, example.deviation), example.payoff_of, values)
    honest = _payoff(_leaf(game.tree, example.honest_play), example.payoff_of, values)
    if real_only:
        deviation, honest = deviation[:1], honest[:1]  # type: ignore[assignment]
    if example.relation == "deviation_payoff < 0":
        assert deviation < ((Fraction(0),) if real_only else (Fraction(0), Fraction(0)))
    else:
        assert example.relation == "deviation_payoff > honest_payoff"
        assert deviation > honest
    if "immunity" not in property_name:  # a deviation that breaks the property is a different play
        assert example.deviation != example.honest_play


SMALL_GAMES = sorted({case[0] for case in CASES if case[0] not in ("routing_game-three", "auction", "closing_game")})


@pytest.mark.parametrize("game_name", SMALL_GAMES)
def test_independent_encoding_agrees(game_name: str) -> None:
    """Z3's direct encoding Φ(σ, x): every witness satisfies Φ on its whole case, and at
    every counterexample point no strategy extending the honest history satisfies Φ."""
    workspace = checkmate_workspace(game_name)
    context = workspace.context
    for history in workspace.game.honest_histories:
        encoder = Encoder(workspace.compiled, history, context)
        for property_name in CHECKMATE_PROPERTIES:
            result = check_property(workspace, property_name, history)
            formula = encoder.formula(property_name)
            constraints = workspace.constraints(property_name)
            solver = z3.Solver()
            if result.verdict == "holds":
                for case in result.cases:
                    solver.push()
                    solver.add(*constraints, context.condition(case.region), *encoder.fix(case.strategy),
                               z3.Not(formula))
                    assert solver.check() == z3.unsat, (property_name, history)
                    solver.pop()
            else:
                assert result.counterexample is not None
                fixed = [context.variables[name] == z3.RealVal(value)
                         for name, value in result.counterexample.parameters.items()]
                solver.add(*fixed, *encoder.strategy_domain(), formula)
                assert solver.check() == z3.unsat, (property_name, history)
