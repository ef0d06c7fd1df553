"""Z3 over the game's constants with the participation constraints assumed, and admissible
sample points.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from fractions import Fraction

import z3

from proofs.games.terms import Formula, Poly, evaluate_formula, parse_formula
from proofs.incentives.regions import Condition


class Solver:
    """Z3 over the game's constants, with the participation constraints assumed."""

    def __init__(self, constants: Sequence[str], assumptions: Sequence[str]):
        self.constants = tuple(constants)
        self.variables = {name: z3.Real(name) for name in constants}
        self.parsed: list[Formula] = [parse_formula(text, self.constants) for text in assumptions]
        self.assumptions = [self._formula(formula) for formula in self.parsed]
        self.answers: dict[tuple[tuple[int, ...], int], tuple[bool, tuple[z3.BoolRef, ...]]] = {}
        """:meth:`implied`'s answers by query (Z3 shares equal terms, so equal queries have
        equal ids while their terms live; the entry keeps them alive)."""
        self.factored: dict[Poly, Poly | None] = {}
        """Conditions with their factors of fixed sign divided out, by difference
        (:func:`proofs.incentives.properties.without_signed_factors`)."""

    def poly(self, poly: Poly) -> z3.ArithRef:
        total = z3.RealVal(0)
        for monomial, coefficient in poly.terms:
            term = z3.RealVal(f"{coefficient.numerator}/{coefficient.denominator}")
            for name, exponent in monomial:
                for _ in range(exponent):
                    term = term * self.variables[name]
            total = total + term
        return total

    def formula(self, text: str) -> z3.BoolRef:
        formula = parse_formula(text, self.constants)
        return self._formula(formula)

    def _formula(self, formula) -> z3.BoolRef:
        from proofs.games.terms import Comparison, Junction, Negation
        if isinstance(formula, Comparison):
            left, right = self.poly(formula.left), self.poly(formula.right)
            return {"<": left < right, "<=": left <= right, ">": left > right,
                    ">=": left >= right, "==": left == right, "!=": left != right}[formula.operator]
        if isinstance(formula, Junction):
            parts = [self._formula(part) for part in formula.parts]
            return z3.And(parts) if formula.kind == "and" else z3.Or(parts)
        if isinstance(formula, Negation):
            return z3.Not(self._formula(formula.part))
        return z3.BoolVal(bool(formula.value))

    @functools.cached_property
    def samples(self) -> list[dict[str, Fraction]]:
        """Admissible points (every assumption holds exactly), for filtering queries."""
        return admissible_samples(self, 64, 0)

    def admits(self, point: dict[str, Fraction]) -> bool:
        """Whether every assumption holds at ``point`` (exactly, in fractions; ``point``
        gives every constant a value)."""
        return all(evaluate_formula(formula, lambda poly: poly.evaluate(point, Fraction(1)))
                   for formula in self.parsed)

    @functools.cached_property
    def incremental(self) -> z3.Solver:
        """One solver holding the assumptions, for :meth:`implied`'s queries (each pushed
        and popped): a fresh solver per query spent most of its time setting up."""
        solver = z3.SolverFor("QF_NRA")
        solver.add(*self.assumptions)
        return solver

    def implied(self, extra: Sequence[z3.BoolRef], goal: z3.BoolRef) -> bool:
        """Whether the assumptions and ``extra`` imply ``goal`` (Z3 decides, on
        :attr:`incremental`; each distinct query once: the analysis asks many of them
        again, e.g. one sign of a factor per condition that contains it). Only the answer
        is read, so which solver decides cannot change a result."""
        key = (tuple(term.get_id() for term in extra), goal.get_id())
        known = self.answers.get(key)
        if known is not None:
            return known[0]
        solver = self.incremental
        solver.push()
        solver.add(*extra, z3.Not(goal))
        result = solver.check()
        solver.pop()
        if result == z3.unknown:
            raise RuntimeError(f"Z3 could not decide {goal}")
        self.answers[key] = (result == z3.unsat, (*extra, goal))
        return result == z3.unsat

    def not_implied(self, conditions: dict[Poly, "Condition"]) -> list["Condition"]:
        """The conditions (``key >= 0``) that the assumptions do not imply.

        One query asks for a point where some condition fails; every condition failing
        there is not implied and is set aside; repeat until no condition can fail. This
        takes about one query per condition kept rather than one per condition.
        """
        remaining = dict(conditions)
        failing: list[Condition] = []
        # a condition negative at an admissible point is not implied: no query needed
        for key in list(remaining):
            if any(key.evaluate(point, Fraction(1)) < 0 for point in self.samples):
                failing.append(remaining.pop(key))
        terms = {key: self.poly(key) for key in remaining}
        while remaining:
            solver = z3.SolverFor("QF_NRA")
            solver.add(*self.assumptions, z3.Or([terms[key] < 0 for key in remaining]))
            result = solver.check()
            if result == z3.unsat:
                break
            if result == z3.unknown:
                raise RuntimeError("Z3 could not decide which conditions the assumptions imply")
            model = solver.model()
            broken = [key for key in remaining
                      if z3.is_true(model.eval(terms[key] < 0, model_completion=True))]
            for key in broken:
                failing.append(remaining.pop(key))
        return failing

    def model(self, constraints: Sequence[z3.BoolRef]) -> dict[str, Fraction] | None:
        solver = z3.SolverFor("QF_NRA")
        solver.add(*self.assumptions, *constraints)
        if solver.check() != z3.sat:
            return None
        model = solver.model()
        values = {}
        for name, variable in self.variables.items():
            value = model.eval(variable, model_completion=True)
            values[name] = Fraction(value.as_fraction()) if z3.is_rational_value(value) else \
                Fraction(str(value.approx(12)).rstrip("?"))
        return values


def scaled(poly: Poly) -> Poly:
    """The same inequality with a leading coefficient of one in absolute value (dedup)."""
    if poly.is_zero():
        return poly
    lead = abs(poly.terms[-1][1])
    return poly.scale(Fraction(1) / lead)


def evaluate(poly: Poly, point: dict[str, Fraction]) -> Fraction:
    return poly.evaluate(point, Fraction(1))


def admissible_samples(solver: "Solver", count: int, seed: int) -> list[dict[str, Fraction]]:
    """Up to ``count`` parameter points that satisfy the assumptions, drawn at random
    (log-uniform magnitudes, some zeros, probabilities in (0, 1]) and kept when every
    assumption holds exactly at them."""
    rng = random.Random(seed)
    points: list[dict[str, Fraction]] = []
    for _ in range(count * 200):
        if len(points) == count:
            break
        point = {}
        for name in solver.constants:
            draw = rng.random()
            magnitude = 0 if draw < 0.08 else 10 ** rng.uniform(-2, 3)
            point[name] = Fraction(magnitude).limit_denominator(10**6)
        if "q" in point:
            point["q"] = Fraction(1) if rng.random() < 0.15 else Fraction(rng.randint(1, 999), 1000)
        if solver.admits(point):
            points.append(point)
    return points
