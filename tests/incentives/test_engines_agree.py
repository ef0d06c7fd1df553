"""The two incentive engines run against each other on the market game.

``proofs.incentives`` computes, from the market game (:mod:`proofs.market_game`), the exact
region of parameters where each property holds for the honest strategy. The CheckMate
engine (:mod:`proofs.games`) reads the same game in CheckMate's format and decides
CheckMate's properties at a point. At admissible parameter points drawn at random the two
must agree:

* weak immunity (expected over nature): CheckMate's verdict is the conjunction of the
  per-player regions;
* collusion resilience: CheckMate's verdict is the conjunction of the per-coalition regions;
* practicality (some subgame-perfect equilibrium follows the honest history) is implied by
  dominance solvability (the honest move weakly dominates at every node, off the honest
  path too), and is strictly weaker: some points satisfy it and not dominance solvability.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from fractions import Fraction

from proofs.games.engine import Workspace, resolve_property
from proofs.games.jsonio import parse_game
from proofs.games.point import Point
from proofs.incentives.regions import Region
from proofs.incentives.solver import Solver, admissible_samples, evaluate
from proofs.market_game import MarketGameShape
from proofs.game_build import build_market_game

SHAPE = MarketGameShape(1, 1, 2)
POINTS = 40
SEED = 7


def inside(regions: list[Region], point: dict[str, Fraction]) -> bool:
    return all(evaluate(condition.difference, point) >= 0
               for region in regions for condition in region.conditions)


def test_the_engines_agree_on_the_market_game(
        analysis: Callable[[MarketGameShape], list[Region]]) -> None:
    regions = analysis(SHAPE)
    by_property: dict[str, list[Region]] = {}
    for region in regions:
        by_property.setdefault(region.property, []).append(region)
    build = build_market_game(SHAPE)
    workspace = Workspace(parse_game(build.game))
    histories = workspace.game.honest_histories
    checkers = {name: [resolve_property(name)(workspace.compiled, history) for history in histories]
                for name in ("weak_immunity", "collusion_resilience", "practicality")}
    solver = Solver(build.game["constants"], build.game["initial_constraints"])
    points = admissible_samples(solver, POINTS, SEED)
    assert len(points) == POINTS
    seen: Counter[tuple[str, bool]] = Counter()
    for values in points:
        point = Point(values, workspace.compiled.table)
        checkmate = {name: {checker.decide(point).holds for checker in each}
                     for name, each in checkers.items()}
        assert all(len(verdicts) == 1 for verdicts in checkmate.values()), (
            "the honest histories (audited or not) get different verdicts", values)
        immune = inside(by_property["weak_immunity"], values)
        resilient = inside(by_property["collusion_resilience"], values)
        solvable = inside(by_property["dominance_solvability"], values)
        assert checkmate["weak_immunity"] == {immune}, values
        assert checkmate["collusion_resilience"] == {resilient}, values
        practical = checkmate["practicality"] == {True}
        assert practical or not solvable, ("dominance solvable but not practical", values)
        seen.update({("immune", immune), ("resilient", resilient), ("solvable", solvable),
                     ("practical only", practical and not solvable)})
    # the comparison is not vacuous: each verdict occurs both ways among the points
    for name in ("immune", "resilient", "solvable"):
        assert seen[(name, True)] and seen[(name, False)], (name, seen)
    assert seen[("practical only", True)], "practicality is strictly weaker at some point"
