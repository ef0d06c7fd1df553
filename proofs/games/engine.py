"""Checking a property for all parameter values: case splitting driven by Z3.

For a property P and honest history h, the question is

    for all parameter values x satisfying the constraints C, there is a strategy profile
    σ extending h with P(σ, x)

(the strategy may depend on the case, as in CheckMate). The engine answers it exactly:

1. ask Z3 for a point x satisfying C and outside every region found so far;
2. none left: P holds, and the regions with their profiles are the witness, case by case;
3. otherwise decide P at x exactly (:meth:`GameProperty.decide`): if no profile works at x,
   x is a counterexample and P fails; else add the region where the profile found keeps
   working (:meth:`GameProperty.witness_region`, which contains x) and repeat.

Each round adds a profile that works at a point no earlier profile covered, so the loop ends
(there are finitely many profiles); in practice a handful of rounds suffice. Chance-node
probabilities are constrained to lie in [0, 1] and to sum to 1 at each chance node.
"""

from __future__ import annotations

import builtins
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import z3

from .logic import Condition, SymbolContext, holds_at
from .model import CHANCE, CompiledGame, Game, compile_game
from .point import Point
from .properties import ALL_PROPERTIES, CHECKMATE_PROPERTIES, PROPERTY_CLASSES, GameProperty
from .properties.solvability import GameTooLarge
from .strategy import Counterexample, Strategy

Progress = Callable[[str], None]


class EngineError(RuntimeError):
    """Z3 could not decide a query (e.g. ``unknown`` on a hard non-linear problem)."""


@dataclass
class WitnessCase:
    """One case of a "holds" verdict: on ``region`` the profile ``strategy`` witnesses it."""

    region: Condition
    strategy: Strategy


@dataclass
class PropertyResult:
    game: str
    history: tuple[str, ...]
    property: str
    verdict: str  # "holds", "fails" or "not_checked"
    seconds: float
    cases: list[WitnessCase] = field(default_factory=list)
    counterexample: Counterexample | None = None
    rounds: int = 0
    reason: str = ""
    details: dict[str, object] = field(default_factory=dict)

    @builtins.property  # the class has a field named `property`
    def holds(self) -> bool:
        return self.verdict == "holds"


def resolve_property(name: str) -> type[GameProperty]:
    try:
        return PROPERTY_CLASSES[name]
    except KeyError:
        raise KeyError(f"unknown property {name!r}; known: {', '.join(ALL_PROPERTIES)}") from None


class Workspace:
    """Everything shared by the checks of one game: compiled tree, Z3 symbols, constraints."""

    def __init__(self, game: Game | CompiledGame):
        self.compiled = game if isinstance(game, CompiledGame) else compile_game(game)
        self.game = self.compiled.game
        self.context = SymbolContext(self.game.constants, self.game.infinitesimals)

    def probability_constraints(self) -> list[z3.BoolRef]:
        constraints: list[z3.BoolRef] = []
        seen: set[int] = set()
        for index, shape in enumerate(self.compiled.shapes):
            if shape.kind != CHANCE or index in seen:
                continue
            seen.add(index)
            terms = [self.context.poly(probability) for probability in shape.probabilities]
            constraints.extend(term >= 0 for term in terms)
            constraints.extend(term <= 1 for term in terms)
            constraints.append(z3.Sum(terms) == 1 if len(terms) > 1 else terms[0] == 1)
        return [constraint for constraint in constraints if not z3.is_true(z3.simplify(constraint))]

    def constraints(self, constraint_key: str) -> list[z3.BoolRef]:
        """Initial constraints, the property's own constraints and the probability axioms."""
        stated = [self.context.formula(constraint.formula) for constraint in self.game.constraints_for(constraint_key)]
        return stated + self.probability_constraints()

    def point(self, model: z3.ModelRef) -> Point:
        return Point.from_model(model, self.context.variables, self.compiled.table)


def _check_sat(solver: z3.Solver) -> z3.CheckSatResult:
    result = solver.check()
    if result == z3.unknown:
        raise EngineError(f"Z3 returned unknown: {solver.reason_unknown()}")
    return result


def check_property(workspace: Workspace | Game, property_name: str, history: Sequence[str] | None = None,
                   progress: Progress | None = None) -> PropertyResult:
    """Decide ``property_name`` for ``history`` (default: the game's first honest history)."""
    if not isinstance(workspace, Workspace):
        workspace = Workspace(workspace)
    game = workspace.game
    honest = tuple(history) if history is not None else game.honest_histories[0]
    started = time.perf_counter()
    cls = resolve_property(property_name)
    try:
        checker = cls(workspace.compiled, honest)
    except GameTooLarge as error:
        return PropertyResult(game.name, honest, property_name, "not_checked", time.perf_counter() - started,
                              reason=str(error))
    solver = z3.Solver()
    solver.add(*workspace.constraints(cls.constraint_key))
    cases: list[WitnessCase] = []
    rounds = 0
    if _check_sat(solver) == z3.unsat:
        return PropertyResult(game.name, honest, property_name, "holds", time.perf_counter() - started,
                              reason="the constraints are unsatisfiable: the property holds vacuously")
    while True:
        if _check_sat(solver) == z3.unsat:
            return PropertyResult(game.name, honest, property_name, "holds", time.perf_counter() - started,
                                  cases=cases, rounds=rounds)
        rounds += 1
        point = workspace.point(solver.model())
        verdict = checker.decide(point)
        if not verdict.holds:
            return PropertyResult(game.name, honest, property_name, "fails", time.perf_counter() - started,
                                  counterexample=verdict.counterexample, rounds=rounds, details=verdict.details)
        region = checker.witness_region(verdict, point)
        if not holds_at(region, point):
            raise AssertionError(f"{property_name}: witness region does not contain its own point")
        assert verdict.strategy is not None
        cases.append(WitnessCase(region, verdict.strategy))
        solver.add(z3.Not(workspace.context.condition(region)))
        if progress is not None and rounds % 10 == 0:
            progress(f"{game.name} [{', '.join(honest)}] {property_name}: {rounds} cases so far")


def check_game(game: Game, properties: Iterable[str] | None = None,
               histories: Iterable[Sequence[str]] | None = None,
               progress: Progress | None = None) -> list[PropertyResult]:
    """Check every requested property for every requested honest history of ``game``."""
    workspace = Workspace(game)
    names = list(properties) if properties is not None else list(ALL_PROPERTIES)
    for name in names:
        resolve_property(name)
    chosen = [tuple(history) for history in histories] if histories is not None else list(game.honest_histories)
    results: list[PropertyResult] = []
    for history in chosen:
        for name in names:
            if progress is not None:
                progress(f"{game.name} [{', '.join(history)}] {name} ...")
            results.append(check_property(workspace, name, history, progress))
    return results


__all__ = [
    "ALL_PROPERTIES", "CHECKMATE_PROPERTIES", "EngineError", "PropertyResult", "WitnessCase", "Workspace",
    "check_game", "check_property",
]
