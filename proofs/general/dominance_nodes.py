"""The dominance count game against the spec's game node by node (decision 0131).

The region cross-check (:func:`proofs.general.count_proof.cross_check`) compares the
conjunction of conditions, so a count-game condition that the others imply could be
wrong unseen. This check is finer: at a shape, every decision node of the game built from
the spec (:func:`proofs.game_build.build_market_game`) gives, for each move other than
the honest one, the mover's honest value minus that move's (everyone honest afterwards,
as :func:`proofs.incentives.properties.dominance_solvability` computes it); the count
game's decision classes, their counts enumerated at the shape, give the same differences.
The two sets of non-zero differences, per mover role, must be equal: every node class the
spec's game has is in the count game with the same payoff difference, and the count game
has no class the spec's game lacks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from proofs.general.count_game_dominance import Decision, dominance_game, dominance_solvability
from proofs.general.count_proof import enumerated
from proofs.incentives.formulas import to_sympy
from proofs.incentives.properties import HonestValue
from proofs.incentives.tree import compile_tree, nodes_of
from proofs.market_game import MarketGameShape
from proofs.game_build import build_market_game
from spec.params import bisection_rounds

Differences = set[tuple[str, sympy.Expr]]


def role_of(player: str) -> str:
    """The count game's mover for a player of the spec's game."""
    if player.startswith("dev"):
        return "the developer"
    return "a vendor" if player.startswith("vendor") else "a data owner"


def exact_differences(shape: MarketGameShape) -> Differences:
    """Every non-zero (mover role, honest value - other move's value) of the spec's game."""
    build = build_market_game(shape)
    root = compile_tree(build)
    value_of = {player: HonestValue([player]) for player in build.game["players"]}
    found: Differences = set()
    for node in nodes_of(root):
        if node.player is None:
            continue
        honest = value_of[node.player].value(node.honest_child).value
        for label, child in node.children:
            if label != node.honest:
                difference = sympy.expand(to_sympy(honest - value_of[node.player].value(child).value))
                if difference != 0:
                    found.add((role_of(node.player), difference))
    return found


def count_differences(shape: MarketGameShape, decisions: Sequence[Decision] | None = None) -> Differences:
    """The same from the count game's decision classes, counts enumerated at ``shape``."""
    rounds = bisection_rounds(shape.steps)
    found: Differences = set()
    decisions = decisions if decisions is not None else dominance_game()
    by_origin = {f"{d.mover}, {d.node}": d.mover for d in decisions}
    for condition in dominance_solvability(decisions):
        mover = by_origin[condition.origin.split(":")[0]]
        for difference in enumerated(condition, (shape.data_owners, shape.vendors, rounds)):
            if difference != 0:
                found.add((mover, difference))
    return found


def node_check(shape: MarketGameShape, decisions: Sequence[Decision] | None = None) -> dict:
    """The node-by-node comparison at one shape: what each side has that the other lacks."""
    exact, ours = exact_differences(shape), count_differences(shape, decisions)
    return {"owners": shape.data_owners, "vendors": shape.vendors, "steps": shape.steps,
            "differences": len(exact), "agrees": exact == ours,
            "only_in_spec_game": sorted(f"{role}: {d} >= 0" for role, d in exact - ours),
            "only_in_count_game": sorted(f"{role}: {d} >= 0" for role, d in ours - exact)}
