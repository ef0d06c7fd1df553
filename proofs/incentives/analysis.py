"""Every incentive property on one game shape (:func:`analyse`), and the spec's stake rule
checked against each region.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence

import z3

import spec.params  # read at call time: tests replace the rule
from proofs.incentives import refinement
from proofs.incentives.candidates import CandidateExplosion, Envelope
from proofs.incentives.formulas import as_bound, to_sympy
from proofs.incentives.properties import (
    collusion_resilience,
    dominance_solvability,
    truthful_reporting,
    weak_immunity,
    weak_immunity_per_outcome,
)
from proofs.incentives.regions import Region
from proofs.incentives.solver import Solver
from proofs.incentives.tree import compile_tree
from proofs.game_build import build_market_game


def spec_rule(shape, solver: Solver) -> list[z3.BoolRef]:
    """The spec's minimum stakes and bonds (``spec.params.stake_requirements``) for the
    game's job, as Z3 constraints over the game's constants (W written K*q)."""
    v = solver.variables
    misuse = v["K"] * v["q"]
    requirements = spec.params.stake_requirements(
        prices=[v["P"]] * shape.data_owners, fees=[v["F"]] * shape.vendors,
        costs=[v["C"]] * shape.vendors, misuse_values=[misuse] * shape.data_owners,
        audit_probability=v["q"], dispute_cost=v["G"], steps=shape.steps,
        vendor_stake=v["Bv"], developer_bond=v["Ba"], owner_bond=v["Bd"])
    return [requirement.amount > requirement.bound if requirement.strict
            else requirement.amount >= requirement.bound for requirement in requirements]


def rule_inside(region: Region, rule: Sequence[z3.BoolRef], solver: Solver) -> list[dict]:
    """Conditions of ``region`` that the spec's rule does not imply, each with a point
    that meets the rule but breaks the condition (empty: the rule lies inside)."""
    outside = []
    for condition in region.conditions:
        goal = solver.poly(condition.difference) >= 0
        if not solver.implied(rule, goal):
            point = solver.model(list(rule) + [z3.Not(goal)])
            outside.append({"condition": str(as_bound(to_sympy(condition.difference))),
                            "at": {k: str(val) for k, val in (point or {}).items()}})
    return outside


def coalitions(players: Sequence[str]) -> list[tuple[str, ...]]:
    """Every coalition of two or more players that leaves someone out."""
    return [group for size in range(2, len(players))
            for group in itertools.combinations(players, size)]


METHODS = ("auto", "enumerate", "refine")
"""How min/max properties are decided: by enumerating candidates with exact pruning
(:class:`Evaluator`, :class:`Envelope`), by counterexample-guided refinement
(:mod:`proofs.incentives.refinement`), or ``auto`` (the default): enumeration while a chance node
combines at most :data:`AUTO_LIMIT` candidates, refinement beyond. Enumeration is faster
on small sets (its Z3 queries are small); refinement never builds the sets, so it decides
games whose sets explode (three vendors). Both give the same exact regions."""

AUTO_LIMIT = 5_000


def analyse(shape, progress: Callable[[str], None] | None = None, method: str = "auto") -> list[Region]:
    """Every incentive property of the protocol on the game of ``shape``: regions, counterexamples,
    and whether the spec's stake rule lies inside each region."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    build = build_market_game(shape)
    root = compile_tree(build)
    solver = Solver(build.game["constants"], build.game["initial_constraints"])
    rule = spec_rule(shape, solver)
    players = build.game["players"]
    refiner, envelope = refinement.Refiner(solver), Envelope(solver)
    limit = AUTO_LIMIT if method == "auto" else 10**9

    def decide(enumerated: Callable[[], Region], refined: Callable[[], Region]) -> Region:
        if method == "refine":
            return refined()
        try:
            return enumerated()
        except CandidateExplosion:
            if method == "enumerate":
                raise
            return refined()

    def truthful(player: str) -> Region:
        return decide(lambda: truthful_reporting(root, player, solver, envelope, limit),
                      lambda: refinement.truthful_reporting(root, player, solver, refiner))

    def immunity(player: str) -> Region:
        region = decide(lambda: weak_immunity(root, player, solver, envelope, limit),
                        lambda: refinement.weak_immunity(root, player, solver, refiner))
        region.per_outcome = weak_immunity_per_outcome(root, player, solver)
        region.per_outcome.rule_outside = rule_inside(region.per_outcome, rule, solver)
        return region

    def collusion(group: tuple[str, ...]) -> Region:
        return decide(lambda: collusion_resilience(root, group, solver, envelope, limit),
                      lambda: refinement.collusion_resilience(root, group, solver, refiner))
    jobs: list[tuple[str, Callable[[], Region]]] = []
    for player in players:
        jobs.append((f"truthful reporting: {player}", functools.partial(truthful, player)))
    jobs.append(("dominance solvability", lambda: dominance_solvability(root, players, solver)))
    for player in players:
        jobs.append((f"weak immunity: {player}", functools.partial(immunity, player)))
    for group in coalitions(players):
        jobs.append((f"collusion resilience: {'+'.join(group)}", functools.partial(collusion, group)))
    regions = []
    for title, job in jobs:
        if progress:
            progress(title)
        region = job()
        region.rule_outside = rule_inside(region, rule, solver)
        regions.append(region)
    return regions
