"""Counterexample-guided computation of the incentive regions (no candidate enumeration).

:mod:`proofs.incentives` states every min/max property as "for every pair of candidate
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

import z3

from proofs.games.terms import Poly
from proofs.incentives import (DEVELOPER, Candidate, Condition, HonestValue, Node, Region, Solver,
                               finish_region, is_report, nodes_of, side_deal)

Side = tuple[Node, tuple[str, ...], str] | Candidate
"""One side of an obligation: a node valued for a group in a mode (``"worst"``, ``"best"``
or ``"coalition"``, as in :class:`proofs.incentives.Evaluator`), or a fixed candidate."""


@dataclass(frozen=True)
class Obligation:
    """``value(left) - value(right) >= 0`` must hold everywhere in the region."""

    node: tuple[str, ...]
    deviation: str
    left: Side
    right: Side
    immunity: bool = False
    """A weak-immunity obligation (``right`` is zero): its condition shows the player's
    own play as the deviating one, as :func:`proofs.incentives.weak_immunity` does."""


class RefinementError(RuntimeError):
    """Z3 could not decide a query, or a counterexample point cut nothing off."""


class Refiner:
    """Value terms and concrete best responses over one compiled game tree."""

    def __init__(self, solver: Solver, timeout_ms: int = 600_000):
        self.solver = solver
        self.timeout_ms = timeout_ms
        self.terms: dict[tuple[int, tuple[str, ...], str], z3.ExprRef] = {}
        self.queries = 0

    # -- which branches a node offers, as in proofs.incentives.Evaluator -------------------
    @staticmethod
    def choices(node: Node, group: tuple[str, ...], mode: str) -> tuple[list[Node], str | None]:
        """The children to choose among and ``"min"``/``"max"`` (None: a single child)."""
        honest = dict(node.children)[node.honest] if node.honest is not None else None
        ours = node.player in group
        if side_deal(node) and not {DEVELOPER, node.player} <= set(group):
            return [honest], None
        if (ours and mode == "worst") or (not ours and mode == "coalition"):
            return [honest], None
        return [child for _, child in node.children], ("min" if mode == "worst" else "max")

    def term(self, node: Node, group: tuple[str, ...], mode: str) -> z3.ExprRef:
        key = (id(node), group, mode)
        cached = self.terms.get(key)
        if cached is not None:
            return cached
        stack = [node]
        while stack:  # children first, without recursion (trees are deep)
            current = stack[-1]
            current_key = (id(current), group, mode)
            if current_key in self.terms:
                stack.pop()
                continue
            children = ([child for _, child in current.children] if current.is_chance else
                        [] if current.utilities is not None else self.choices(current, group, mode)[0])
            missing = [child for child in children if (id(child), group, mode) not in self.terms]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            self.terms[current_key] = self._combine(current, group, mode, children)
        return self.terms[key]

    def _combine(self, node: Node, group: tuple[str, ...], mode: str, children: list[Node]) -> z3.ExprRef:
        if node.utilities is not None:
            total = Poly()
            for player in group:
                total = total + node.utilities[player]
            return self.solver.poly(total)
        values = [self.terms[(id(child), group, mode)] for child in children]
        if node.is_chance:
            return z3.Sum([self.solver.poly(probability) * value
                           for probability, value in zip(node.probabilities, values)])
        _, kind = self.choices(node, group, mode)
        result = values[0]
        for value in values[1:]:
            result = z3.If(value < result if kind == "min" else value > result, value, result)
        return result

    def side_term(self, side: Side) -> z3.ExprRef:
        return self.solver.poly(side.value) if isinstance(side, Candidate) else self.term(*side)

    # -- concrete best responses ------------------------------------------------------
    def pick(self, side: Side, point: dict[str, Fraction],
             memo: dict[tuple[int, tuple[str, ...], str], tuple[Fraction, Candidate]]) -> tuple[Fraction, Candidate]:
        """The value at ``point`` and a candidate attaining it (the play that does)."""
        if isinstance(side, Candidate):
            return side.value.evaluate(point, Fraction(1)), side
        node, group, mode = side
        key = (id(node), group, mode)
        if key in memo:
            return memo[key]
        stack = [node]
        while stack:
            current = stack[-1]
            current_key = (id(current), group, mode)
            if current_key in memo:
                stack.pop()
                continue
            children = ([child for _, child in current.children] if current.is_chance else
                        [] if current.utilities is not None else self.choices(current, group, mode)[0])
            missing = [child for child in children if (id(child), group, mode) not in memo]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            memo[current_key] = self._pick(current, group, mode, children, point, memo)
        return memo[key]

    def _pick(self, node, group, mode, children, point, memo) -> tuple[Fraction, Candidate]:
        if node.utilities is not None:
            total = Poly()
            for player in group:
                total = total + node.utilities[player]
            return total.evaluate(point, Fraction(1)), Candidate(total, ((node.history, Poly.constant(1)),))
        picked = [memo[(id(child), group, mode)] for child in children]
        if node.is_chance:
            value, poly, play = Fraction(0), Poly(), []
            for probability, (child_value, candidate) in zip(node.probabilities, picked):
                value += probability.evaluate(point, Fraction(1)) * child_value
                poly = poly + probability * candidate.value
                play += [(history, probability * weight) for history, weight in candidate.play]
            return value, Candidate(poly, tuple(play))
        _, kind = self.choices(node, group, mode)
        if kind is None:
            return picked[0]
        return (min if kind == "min" else max)(picked, key=lambda item: item[0])

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
            self.queries += 1
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
    """As :func:`proofs.incentives.truthful_reporting`, by refinement."""
    group = (player,)
    obligations = [
        Obligation(node.history, label, (dict(node.children)[node.honest], group, "worst"),
                   (child, group, "best"))
        for node in nodes_of(root) if node.player == player and is_report(node.honest)
        for label, child in node.children if is_report(label) and label not in node.truthful]
    return finish_region("truthful_reporting", player, refiner.conditions(obligations), solver)


def weak_immunity(root: Node, player: str, solver: Solver, refiner: Refiner) -> Region:
    """As :func:`proofs.incentives.weak_immunity`, by refinement."""
    obligation = Obligation((), "any", (root, (player,), "worst"), ZERO, immunity=True)
    return finish_region("weak_immunity", player, refiner.conditions([obligation]), solver)


def collusion_resilience(root: Node, coalition: Sequence[str], solver: Solver,
                         refiner: Refiner) -> Region:
    """As :func:`proofs.incentives.collusion_resilience`, by refinement."""
    group = tuple(coalition)
    honest = HonestValue(group).value(root)
    obligation = Obligation((), "coalition deviation", honest, (root, group, "coalition"))
    return finish_region("collusion_resilience", "+".join(group), refiner.conditions([obligation]), solver)
