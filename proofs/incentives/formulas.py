"""Regions as formulas and points: sympy bounds on stakes and bonds, their verification by
Z3, counterexamples.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
import z3

from proofs.games.terms import Poly
from proofs.incentives.regions import Condition, Region
from proofs.incentives.solver import Solver, evaluate
from proofs.market_game import CONSTANTS

SYMPY = {name: sympy.Symbol(name) for name in CONSTANTS}


def to_sympy(poly: Poly) -> sympy.Expr:
    total = sympy.Integer(0)
    for monomial, coefficient in poly.terms:
        term = sympy.Rational(coefficient.numerator, coefficient.denominator)
        for name, exponent in monomial:
            term = term * SYMPY[name] ** exponent
        total += term
    return total


STAKES = ("Bv", "Ba", "Bd")


def positive_power_of_q(expression: sympy.Expr) -> bool:
    """A positive number times a power of q (positive, as q > 0 is assumed)."""
    number, rest = sympy.factor(expression).as_coeff_Mul()
    return number > 0 and (rest == 1 or rest == SYMPY["q"]
                           or (rest.is_Pow and rest.base == SYMPY["q"] and rest.exp.is_Integer))


def as_bound(expression: sympy.Expr) -> sympy.Basic:
    """``expression >= 0`` rewritten as a lower bound on a stake or bond where it is
    linear in one (dividing by a coefficient that is positive under the assumptions)."""
    for stake in STAKES:
        symbol = SYMPY[stake]
        poly = sympy.Poly(sympy.expand(expression), symbol)
        if poly.degree() == 1:
            coefficient, rest = poly.all_coeffs()
            if positive_power_of_q(coefficient):
                return sympy.Ge(symbol, sympy.simplify(-rest / coefficient))
    return sympy.Ge(sympy.factor(expression), 0)


def minimum_stakes_verified(regions: Sequence[Region], minimum: dict[str, sympy.Expr],
                            solver: Solver) -> bool:
    """Z3: ``stake >= minimum[stake]`` for every stake is the intersection of the regions
    (for regions whose every condition bounds a single stake)."""
    closed = z3.And([solver.variables[stake] >= sympy_to_z3(bound, solver)
                     for stake, bound in minimum.items()])
    exact = z3.And([solver.poly(c.difference) >= 0 for region in regions for c in region.conditions])
    return solver.implied([], closed == exact)


def minimum_stakes(regions: Sequence[Region]) -> tuple[dict[str, sympy.Expr], list[str]]:
    """The closed-form minimum of each stake and bond over the intersection of
    ``regions``: the largest of the lower bounds their conditions put on it (sympy ``Max``),
    and the conditions that bound no single stake, as text (see
    :func:`minimum_stakes_verified` for the check back)."""
    bounds: dict[str, list[sympy.Expr]] = {stake: [] for stake in STAKES}
    other: list[str] = []
    for region in regions:
        for condition in region.conditions:
            relation = as_bound(to_sympy(condition.difference))
            if relation.lhs.is_Symbol and relation.lhs.name in STAKES:
                bounds[relation.lhs.name].append(relation.rhs)
            elif str(relation) not in other:
                other.append(str(relation))
    # sympy drops a bound another one dominates only when it knows the signs: every
    # constant is >= 0 and q > 0 (the assumptions), so simplify under those and rename back
    signed = {symbol: sympy.Symbol(name, positive=True) if name == "q" else
              sympy.Symbol(name, nonnegative=True) for name, symbol in SYMPY.items()}
    back = {value: key for key, value in signed.items()}
    return {stake: sympy.Max(0, *[bound.subs(signed) for bound in found]).subs(back)
            for stake, found in bounds.items()}, other


def region_formula(conditions: Sequence[Condition]) -> str:
    if not conditions:
        return "true"
    return " & ".join(sorted(str(as_bound(to_sympy(c.difference))) for c in conditions))


def sympy_to_z3(expression: sympy.Basic, solver: Solver) -> z3.ExprRef:
    """A sympy term or relation over the game's constants as a Z3 term (exact)."""
    if isinstance(expression, sympy.Rel):
        left, right = sympy_to_z3(expression.lhs, solver), sympy_to_z3(expression.rhs, solver)
        return {">=": left >= right, ">": left > right, "<=": left <= right, "<": left < right,
                "==": left == right}[expression.rel_op]
    if expression.is_Symbol:
        return solver.variables[expression.name]
    if expression.is_Rational:
        return z3.RealVal(f"{expression.p}/{expression.q}")
    if expression.is_Add:
        return z3.Sum([sympy_to_z3(part, solver) for part in expression.args])
    if expression.is_Mul:
        product = z3.RealVal(1)
        for part in expression.args:
            product = product * sympy_to_z3(part, solver)
        return product
    if isinstance(expression, sympy.Max):
        parts = [sympy_to_z3(part, solver) for part in expression.args]
        largest = parts[0]
        for part in parts[1:]:
            largest = z3.If(part > largest, part, largest)
        return largest
    if expression.is_Pow and expression.exp.is_Integer:
        base = sympy_to_z3(expression.base, solver)
        power = z3.RealVal(1)
        for _ in range(abs(int(expression.exp))):
            power = power * base
        return power if expression.exp > 0 else 1 / power
    raise ValueError(f"cannot give {expression} to Z3")


def formula_verified(formula: str, conditions: Sequence[Condition], solver: Solver) -> bool:
    """Whether the displayed ``formula`` (parsed back from its text) and the conditions
    define the same region under the assumptions: Z3 finds no point where one holds and
    the other does not."""
    if not conditions:
        return formula == "true"
    shown = z3.And([sympy_to_z3(sympy.sympify(part, locals=SYMPY), solver)
                    for part in formula.split(" & ")])
    exact = z3.And([solver.poly(c.difference) >= 0 for c in conditions])
    return solver.implied([], shown == exact)


def counterexample(condition: Condition, others: Sequence[Condition], solver: Solver) -> dict:
    """A point violating ``condition`` (and satisfying the rest), with both plays."""
    rest = [solver.poly(c.difference) >= 0 for c in others if c is not condition]
    point = solver.model(rest + [solver.poly(condition.difference) < 0])
    if point is None:  # needed only together with others: violate it alone
        point = solver.model([solver.poly(condition.difference) < 0])
    return {
        "violates": str(as_bound(to_sympy(condition.difference))),
        "at": {name: str(value) for name, value in (point or {}).items()},
        "node": list(condition.node),
        "deviation": condition.deviation,
        "honest_payoff": str(to_sympy(condition.honest_play.value)),
        "deviating_payoff": str(to_sympy(condition.deviating_play.value)),
        "honest_value": str(evaluate(condition.honest_play.value, point)) if point else None,
        "deviating_value": str(evaluate(condition.deviating_play.value, point)) if point else None,
        "deviating_play": [list(history) for history, _ in condition.deviating_play.play][:4],
    }
