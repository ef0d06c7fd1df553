"""The backward-induction deciders agree with brute force and with the Z3 encoding, point by point.

Random small games (seeded, so every run is the same) with ties, infinitesimals and chance
nodes are decided at a few exact points by (1) the engine's deciders, (2) a literal
enumeration of all strategy profiles (``brute_force``) and (3) Z3 on the independent
encoding with the point substituted.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest
import z3

from proofs.games import Workspace, parse_game
from proofs.games.encodings import Encoder
from proofs.games.point import Point
from proofs.games.properties import ALL_PROPERTIES, PROPERTY_CLASSES
from proofs.games.terms import evaluate_formula

from . import brute_force

TERMS = ["0", "1", "-1", "2", "a", "-a", "a - b", "b", "1 + e", "-e", "e", "a + e", "b - 2*e"]


def random_game(seed: int, with_chance: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    players = ["P", "Q", "R"][: rng.choice([2, 2, 3])]
    actions: list[str] = []

    def node(depth: int) -> dict[str, Any]:
        if depth >= 3 or (depth > 0 and rng.random() < 0.3):
            return {"utility": [{"player": player, "value": rng.choice(TERMS)} for player in players]}
        width = rng.choice([2, 2, 3])
        names = [f"m{len(actions) + index}" for index in range(width)]
        actions.extend(names)
        if with_chance and depth > 0 and rng.random() < 0.35:
            probabilities = ["q", "1 - q"] if width == 2 else ["1/2", "q/2", "1/2 - q/2"]
            return {"chance": [{"action": name, "probability": probability, "child": node(depth + 1)}
                               for name, probability in zip(names, probabilities)]}
        return {"player": rng.choice(players),
                "children": [{"action": name, "child": node(depth + 1)} for name in names]}

    tree = node(0)
    history: list[str] = []
    current = tree
    while "utility" not in current:
        edges = current.get("children") or current["chance"]
        edge = rng.choice(edges)
        history.append(edge["action"])
        current = edge["child"]
    return {
        "players": players, "actions": actions, "infinitesimals": ["e"], "constants": ["a", "b", "q"],
        "initial_constraints": ["e > 0", "q >= 0", "q <= 1"],
        "property_constraints": {key: [] for key in
                                 ("weak_immunity", "weaker_immunity", "collusion_resilience", "practicality")},
        "honest_histories": [history], "tree": tree,
    }


POINTS = [
    {"a": Fraction(1), "b": Fraction(1), "q": Fraction(1, 2), "e": Fraction(1)},
    {"a": Fraction(0), "b": Fraction(-1), "q": Fraction(0), "e": Fraction(1, 3)},
    {"a": Fraction(-1), "b": Fraction(2), "q": Fraction(1), "e": Fraction(2)},
    {"a": Fraction(2), "b": Fraction(0), "q": Fraction(1, 4), "e": Fraction(1, 2)},
]

def _profile_count(seed: int, with_chance: bool) -> int:
    tree = brute_force.Tree(parse_game(random_game(seed, with_chance)))
    count = 1
    for node in tree.decisions:
        count *= len(node.branches)
    return count


# brute force enumerates profiles squared: keep the games small (and the first 24 such seeds)
GAMES = [(seed, chance) for seed in range(60) for chance in (False, True)
         if _profile_count(seed, chance) <= 100][:24]


@pytest.mark.parametrize(("seed", "with_chance"), GAMES)
def test_deciders_agree_with_brute_force_and_encoding(seed: int, with_chance: bool) -> None:
    game = parse_game(random_game(seed, with_chance), name=f"random{seed}")
    workspace = Workspace(game)
    history = game.honest_histories[0]
    encoder = Encoder(workspace.compiled, history, workspace.context)
    # the unrolled elimination encoding grows fast: only for the smaller normal forms
    encoded = [name for name in ALL_PROPERTIES
               if name != "dominance_solvability" or _profile_count(seed, with_chance) <= 16]
    formulas = {name: encoder.formula(name) for name in encoded}
    for values in POINTS:
        assert all(evaluate_formula(c.formula, lambda poly: poly.evaluate(values, Fraction(1)))
                   for c in game.initial_constraints)
        substitution = [(workspace.context.variables[name], z3.RealVal(str(value))) for name, value in values.items()]
        for property_name in ALL_PROPERTIES:
            checker = PROPERTY_CLASSES[property_name](workspace.compiled, history)
            decided = checker.decide(Point(values, workspace.compiled.table)).holds
            if property_name != "dominance_solvability":
                assert decided == brute_force.decide(game, history, property_name, values), (property_name, values)
            if property_name in formulas:
                solver = z3.Solver()
                solver.add(*encoder.strategy_domain(), z3.substitute(formulas[property_name], *substitution))
                assert (solver.check() == z3.sat) == decided, (property_name, values)


def test_random_games_exercise_ties_and_both_verdicts() -> None:
    """The random suite is not vacuous: each property both holds and fails somewhere."""
    seen: dict[str, set[bool]] = {name: set() for name in ALL_PROPERTIES}
    for seed, with_chance in GAMES:
        game = parse_game(random_game(seed, with_chance))
        workspace = Workspace(game)
        for values in POINTS:
            for name in ALL_PROPERTIES:
                checker = PROPERTY_CLASSES[name](workspace.compiled, game.honest_histories[0])
                seen[name].add(checker.decide(Point(values, workspace.compiled.table)).holds)
    assert all(outcomes == {True, False} for outcomes in seen.values()), seen
