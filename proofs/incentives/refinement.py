"""Counterexample-guided computation of the incentive regions (no candidate enumeration).

:mod:`proofs.incentives.properties` states every min/max property as "for every pair of candidate
polynomials, one minus the other >= 0", and enumerates the candidates bottom-up. With
three vendors the candidate sets stay in the thousands even after exact pruning. Yet only
few candidates are ever the least (or greatest) one somewhere in the region. This module
finds exactly those:

1. The value of a node — the least a player can be held to, or the most a group can take —
   is written as one Z3 term: ``If``-chains pick the minimum or maximum over a node's
   branches, and a chance node weighs its branches by their probabilities. Subterms are
   shared, so the term is as large as the tree.
2. Z3 looks for an admissible parameter point where some obligation fails
   (``left < right``) while every condition found so far holds.
3. At that point, each failing side is evaluated concretely, choosing at every node the
   branch that attains the minimum (maximum). That play is a genuine candidate, and its
   polynomial is negative at the point, so the new condition cuts the point off.
4. Repeat until Z3 proves that no such point exists.

The conditions found are real candidate pairs, so the property implies them. Z3's final
"unsat" shows that they imply the property. Their conjunction is therefore the exact
region, as with enumeration; ``tests/incentives`` checks that both give the same regions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from proofs.games.terms import Poly
from proofs.incentives.candidates import choices, leaf_candidates
from proofs.incentives.properties import HonestValue, finish_region
from proofs.incentives.regions import Candidate, Condition, Region
from proofs.incentives.solver import Solver
from proofs.incentives.tree import Node, is_report, nodes_of

Side = tuple[Node, tuple[str, ...], str] | Candidate
"""One side of an obligation: a node valued for a group in a mode (``"worst"``, ``"best"``
or ``"coalition"``, as in :class:`proofs.incentives.candidates.Evaluator`), or a fixed candidate."""


@dataclass(frozen=True)
class Obligation:
    """``value(left) - value(right) >= 0`` must hold everywhere in the region."""

    node: tuple[str, ...]
    deviation: str
    left: Side
    right: Side
    immunity: bool = False
    """A weak-immunity obligation (``right`` is zero): its condition shows the player's
    own play as the deviating one, as :func:`proofs.incentives.properties.weak_immunity` does."""


class RefinementError(RuntimeError):
    """Z3 could not decide a query, or a counterexample point cut nothing off."""


class Refiner:
    """Value terms and concrete best responses over one compiled game tree."""

    def __init__(self, solver: Solver, timeout_ms: int = 600_000):
        self.solver = solver
        self.timeout_ms = timeout_ms
        self.terms: dict[tuple[int, tuple[str, ...], str], z3.ExprRef] = {}

    def children(self, node: Node, group: tuple[str, ...], mode: str) -> list[Node]:
        if node.utilities is not None:
            return []
        if node.is_chance:
            return [child for _, child in node.children]
        return choices(node, group, mode)

    def bottom_up(self, node: Node, group: tuple[str, ...], mode: str, done: dict, combine) -> Any:
        """``done[(id(node), group, mode)]``, computing ``combine(node, children)`` for every
        node below first (children before parents, without recursion: trees are deep)."""
        stack = [node]
        while stack:
            current = stack[-1]
            if (id(current), group, mode) in done:
                stack.pop()
                continue
            children = self.children(current, group, mode)
            missing = [child for child in children if (id(child), group, mode) not in done]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            done[(id(current), group, mode)] = combine(
                current, [done[(id(child), group, mode)] for child in children])
        return done[(id(node), group, mode)]

    def term(self, node: Node, group: tuple[str, ...], mode: str) -> z3.ExprRef:
        def combine(current: Node, values: list[z3.ExprRef]) -> z3.ExprRef:
            if current.utilities is not None:
                return self.solver.poly(leaf_candidate(current, group).value)
            if current.is_chance:
                return z3.Sum([self.solver.poly(probability) * value
                               for probability, value in zip(current.probabilities, values)])
            result = values[0]
            for value in values[1:]:
                result = z3.If(value < result if mode == "worst" else value > result, value, result)
            return result
        return self.bottom_up(node, group, mode, self.terms, combine)

    def side_term(self, side: Side) -> z3.ExprRef:
        return self.solver.poly(side.value) if isinstance(side, Candidate) else self.term(*side)

    def pick(self, side: Side, point: dict[str, Fraction], memo: dict) -> tuple[Fraction, Candidate]:
        """The value at ``point`` and a candidate attaining it (the play that does)."""
        if isinstance(side, Candidate):
            return side.value.evaluate(point, Fraction(1)), side
        node, group, mode = side

        def combine(current: Node, picked: list[tuple[Fraction, Candidate]]) -> tuple[Fraction, Candidate]:
            if current.utilities is not None:
                candidate = leaf_candidate(current, group)
                return candidate.value.evaluate(point, Fraction(1)), candidate
            if current.is_chance:
                value, poly, play = Fraction(0), Poly(), []
                for probability, (child_value, candidate) in zip(current.probabilities, picked):
                    value += probability.evaluate(point, Fraction(1)) * child_value
                    poly = poly + probability * candidate.value
                    play += [(history, probability * weight) for history, weight in candidate.play]
                return value, Candidate(poly, tuple(play))
            return (min if mode == "worst" else max)(picked, key=lambda item: item[0])
        return self.bottom_up(node, group, mode, memo, combine)

    # -- the loop -----------------------------------------------------------------------
    def conditions(self, obligations: Sequence[Obligation],
                   progress: Callable[[int, int], None] | None = None) -> list[Condition]:
        """Every condition (a real candidate pair) needed for all ``obligations`` to hold."""
        found: dict[Poly, Condition] = {}
        kept_terms: list[z3.BoolRef] = []
        failing = [self.side_term(o.left) < self.side_term(o.right) for o in obligations]
        rounds = 0
        while True:
            rounds += 1
            query = z3.SolverFor("QF_NRA")
            query.set("timeout", self.timeout_ms)
            query.add(*self.solver.assumptions, *kept_terms, z3.Or(failing) if failing else z3.BoolVal(False))
            verdict = query.check()
            if verdict == z3.unsat:
                return list(found.values())
            if verdict == z3.unknown:
                raise RefinementError(f"Z3 could not decide round {rounds}: {query.reason_unknown()}")
            point = model_point(query.model(), self.solver)
            memo: dict = {}
            added = 0
            for obligation in obligations:
                left_value, left = self.pick(obligation.left, point, memo)
                right_value, right = self.pick(obligation.right, point, memo)
                if left_value < right_value:
                    difference = left.value - right.value
                    if difference not in found:
                        honest, deviating = (right, left) if obligation.immunity else (left, right)
                        found[difference] = Condition(difference, obligation.node, obligation.deviation,
                                                      honest, deviating)
                        kept_terms.append(self.solver.poly(difference) >= 0)
                        added += 1
            if progress:
                progress(rounds, len(found))
            if not added:
                raise RefinementError(f"round {rounds}: the point {point} violates no new condition "
                                      "(an inexact model value?)")


def leaf_candidate(node: Node, group: tuple[str, ...]) -> Candidate:
    """The group's joint utility at a leaf, as the candidate that ends there."""
    return next(iter(leaf_candidates(node, group).values()))


def model_point(model: z3.ModelRef, solver: Solver) -> dict[str, Fraction]:
    point = {}
    for name, variable in solver.variables.items():
        value = model.eval(variable, model_completion=True)
        point[name] = (Fraction(value.as_fraction()) if z3.is_rational_value(value)
                       else Fraction(str(value.approx(30)).rstrip("?")))
    return point


# ------------------------------------------------------------------------ the properties
ZERO = Candidate(Poly(), ())


def truthful_reporting(root: Node, player: str, solver: Solver, refiner: Refiner) -> Region:
    """As :func:`proofs.incentives.properties.truthful_reporting`, by refinement."""
    group = (player,)
    obligations = [
        Obligation(node.history, label, (node.honest_child, group, "worst"),
                   (child, group, "best"))
        for node in nodes_of(root) if node.player == player and is_report(node.honest_move)
        for label, child in node.children if is_report(label) and label not in node.truthful]
    return finish_region("truthful_reporting", player, refiner.conditions(obligations), solver)


def weak_immunity(root: Node, player: str, solver: Solver, refiner: Refiner) -> Region:
    """As :func:`proofs.incentives.properties.weak_immunity`, by refinement."""
    obligation = Obligation((), "any", (root, (player,), "worst"), ZERO, immunity=True)
    return finish_region("weak_immunity", player, refiner.conditions([obligation]), solver)


def collusion_resilience(root: Node, coalition: Sequence[str], solver: Solver,
                         refiner: Refiner) -> Region:
    """As :func:`proofs.incentives.properties.collusion_resilience`, by refinement."""
    group = tuple(coalition)
    honest = HonestValue(group).value(root)
    obligation = Obligation((), "coalition deviation", honest, (root, group, "coalition"))
    return finish_region("collusion_resilience", "+".join(group), refiner.conditions([obligation]), solver)
