"""Conditions over the parameters: lexicographic atoms, conjunctions, disjunctions.

An :class:`Atom` says ``d >= 0`` or ``d > 0`` for a lexicographic value ``d = (real, inf)``:
``d >= 0`` means ``real > 0 or (real == 0 and inf >= 0)``. With ``real_only`` only the real
part counts (weaker immunity). Atoms are normalised (positive scaling) so that equal
comparisons are shared. Conditions convert to Z3 (for proofs) and to sympy (for display).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping, Protocol, Union

import sympy
import z3

from .terms import ZERO, Comparison, Formula, Junction, LexValue, Negation, Poly, Truth



class Valuation(Protocol):
    """A parameter point that evaluates polynomials (:class:`~proofs.games.point.Point`);
    named by what it does so that this module does not import the module that imports it."""

    def poly(self, poly: Poly) -> Any: ...


def _normalise(value: LexValue) -> LexValue:
    """Divide by the absolute value of a leading coefficient (keeps the sign of ``>= 0``):
    the first coefficient of a non-constant monomial of the real part (else of the
    infinitesimal part), so ``2*a - 4 >= 0`` becomes ``a - 2 >= 0``."""
    def leading(poly: Poly) -> Fraction | None:
        for monomial, coefficient in poly.terms:
            if monomial:
                return coefficient
        return None

    chosen = leading(value.real) or leading(value.infinitesimal)
    if chosen is None:  # both parts constant: the atom is true or false anyway
        return value
    factor = 1 / abs(chosen)
    if factor == 1:
        return value
    return LexValue(value.real.scale(factor), value.infinitesimal.scale(factor))


@dataclass(frozen=True)
class Atom:
    """``difference >= 0`` (``strict`` false) or ``difference > 0`` (``strict`` true)."""

    difference: LexValue
    strict: bool
    real_only: bool

    @staticmethod
    def make(difference: LexValue, strict: bool, real_only: bool = False) -> "Atom":
        if real_only:
            difference = LexValue(difference.real, ZERO)
        return Atom(_normalise(difference), strict, real_only)

    def constant_truth(self) -> bool | None:
        """True/False when the atom does not depend on any symbol, else None."""
        real, infinitesimal = self.difference.real, self.difference.infinitesimal
        if real.is_constant():
            value = real.constant_value()
            if value != 0:
                return value > 0
            if infinitesimal.is_constant():
                rest = infinitesimal.constant_value()
                return rest > 0 if self.strict else rest >= 0
        return None

    def holds_at(self, point: Valuation) -> bool:
        real = point.poly(self.difference.real)
        infinitesimal = point.poly(self.difference.infinitesimal)
        pair = (real, infinitesimal)
        zero = (0, 0)
        return pair > zero if self.strict else pair >= zero

    def __str__(self) -> str:
        operator = ">" if self.strict else ">="
        if self.difference.infinitesimal.is_zero():
            return _comparison_text(self.difference.real, operator)
        return f"{self.difference} {operator}lex 0"


def _comparison_text(poly: Poly, operator: str) -> str:
    """Render ``poly OP 0`` as ``positive side OP negative side``."""
    positive = Poly([(m, c) for m, c in poly.terms if c > 0])
    negative = Poly([(m, -c) for m, c in poly.terms if c < 0])
    return f"{positive} {operator} {negative}"


@dataclass(frozen=True)
class All:
    parts: frozenset["Condition"]


@dataclass(frozen=True)
class Any_:
    parts: frozenset["Condition"]


@dataclass(frozen=True)
class Not:
    part: "Condition"


@dataclass(frozen=True)
class Constant:
    value: bool


TRUE = Constant(True)
FALSE = Constant(False)

Condition = Union[Atom, All, Any_, Not, Constant]


def atom(difference: LexValue, strict: bool = False, real_only: bool = False) -> Condition:
    made = Atom.make(difference, strict, real_only)
    truth = made.constant_truth()
    return made if truth is None else Constant(truth)


def conjunction(parts: Iterable[Condition]) -> Condition:
    collected: set[Condition] = set()
    for part in parts:
        if isinstance(part, Atom) and part.constant_truth() is not None:
            part = Constant(bool(part.constant_truth()))
        if part == FALSE:
            return FALSE
        if part == TRUE:
            continue
        if isinstance(part, All):
            collected.update(part.parts)
        else:
            collected.add(part)
    if not collected:
        return TRUE
    if len(collected) == 1:
        return next(iter(collected))
    return All(frozenset(collected))


def disjunction(parts: Iterable[Condition]) -> Condition:
    collected: set[Condition] = set()
    for part in parts:
        if isinstance(part, Atom) and part.constant_truth() is not None:
            part = Constant(bool(part.constant_truth()))
        if part == TRUE:
            return TRUE
        if part == FALSE:
            continue
        if isinstance(part, Any_):
            collected.update(part.parts)
        else:
            collected.add(part)
    if not collected:
        return FALSE
    if len(collected) == 1:
        return next(iter(collected))
    return Any_(frozenset(collected))


def negation(part: Condition) -> Condition:
    """The negation, pushed down to the atoms (De Morgan), so conditions stay negation-free."""
    if isinstance(part, Constant):
        return Constant(not part.value)
    if isinstance(part, Not):
        return part.part
    if isinstance(part, Atom):  # not (d >= 0)  <=>  -d > 0
        return atom(-part.difference, not part.strict, part.real_only)
    if isinstance(part, All):
        return disjunction(negation(item) for item in part.parts)
    return conjunction(negation(item) for item in part.parts)


def holds_at(condition: Condition, point: Valuation) -> bool:
    if isinstance(condition, Constant):
        return condition.value
    if isinstance(condition, Atom):
        return condition.holds_at(point)
    if isinstance(condition, Not):
        return not holds_at(condition.part, point)
    if isinstance(condition, All):
        return all(holds_at(part, point) for part in condition.parts)
    return any(holds_at(part, point) for part in condition.parts)


def condition_atoms(condition: Condition) -> set[Atom]:
    if isinstance(condition, Atom):
        return {condition}
    if isinstance(condition, Not):
        return condition_atoms(condition.part)
    if isinstance(condition, (All, Any_)):
        result: set[Atom] = set()
        for part in condition.parts:
            result |= condition_atoms(part)
        return result
    return set()


# ---------------------------------------------------------------------------- Z3
class SymbolContext:
    """Z3 variables for a game's symbols and conversions of terms and conditions."""

    def __init__(self, constants: Iterable[str], infinitesimals: Iterable[str] = ()):
        self.constants = tuple(constants)
        self.infinitesimals = tuple(infinitesimals)
        self.variables: dict[str, z3.ArithRef] = {
            name: z3.Real(name) for name in self.constants + self.infinitesimals
        }
        self._poly_cache: dict[Poly, z3.ArithRef] = {}
        self._atom_cache: dict[Atom, z3.BoolRef] = {}

    def poly(self, poly: Poly) -> z3.ArithRef:
        cached = self._poly_cache.get(poly)
        if cached is not None:
            return cached
        summands: list[z3.ArithRef] = []
        for monomial, coefficient in poly.terms:
            factors: list[z3.ArithRef] = []
            for name, exponent in monomial:
                factors.extend([self.variables[name]] * exponent)
            coefficient_term = z3.RealVal(f"{coefficient.numerator}/{coefficient.denominator}")
            if not factors:
                summands.append(coefficient_term)
            else:
                product = factors[0]
                for factor in factors[1:]:
                    product = product * factor
                summands.append(product if coefficient == 1 else coefficient_term * product)
        if not summands:
            result: z3.ArithRef = z3.RealVal(0)
        elif len(summands) == 1:
            result = summands[0]
        else:
            result = z3.Sum(summands)
        self._poly_cache[poly] = result
        return result

    def atom(self, item: Atom) -> z3.BoolRef:
        cached = self._atom_cache.get(item)
        if cached is not None:
            return cached
        truth = item.constant_truth()
        real, infinitesimal = item.difference.real, item.difference.infinitesimal
        if truth is not None:
            result: z3.BoolRef = z3.BoolVal(truth)
        elif infinitesimal.is_zero():
            result = self.poly(real) > 0 if item.strict else self.poly(real) >= 0
        else:
            rest = self.poly(infinitesimal) > 0 if item.strict else self.poly(infinitesimal) >= 0
            if real.is_constant():  # real part is exactly 0 here
                result = rest
            else:
                real_term = self.poly(real)
                result = z3.Or(real_term > 0, z3.And(real_term == 0, rest))
        self._atom_cache[item] = result
        return result

    def condition(self, condition: Condition, cache: dict[int, z3.BoolRef] | None = None) -> z3.BoolRef:
        cache = {} if cache is None else cache
        key = id(condition)
        if key in cache:
            return cache[key]
        if isinstance(condition, Constant):
            result: z3.BoolRef = z3.BoolVal(condition.value)
        elif isinstance(condition, Atom):
            result = self.atom(condition)
        elif isinstance(condition, Not):
            result = z3.Not(self.condition(condition.part, cache))
        else:
            parts = [self.condition(part, cache) for part in sorted(condition.parts, key=str)]
            result = z3.And(parts) if isinstance(condition, All) else z3.Or(parts)
        cache[key] = result
        return result

    def formula(self, formula: Formula) -> z3.BoolRef:
        """A constraint from a game file (infinitesimals are plain reals here)."""
        if isinstance(formula, Truth):
            return z3.BoolVal(formula.value)
        if isinstance(formula, Negation):
            return z3.Not(self.formula(formula.part))
        if isinstance(formula, Junction):
            parts = [self.formula(part) for part in formula.parts]
            return z3.And(parts) if formula.kind == "and" else z3.Or(parts)
        assert isinstance(formula, Comparison)
        left, right = self.poly(formula.left), self.poly(formula.right)
        return {
            "<": lambda: left < right, "<=": lambda: left <= right, ">": lambda: left > right,
            ">=": lambda: left >= right, "==": lambda: left == right, "!=": lambda: left != right,
        }[formula.operator]()


# ---------------------------------------------------------------------------- sympy
def sympy_poly(poly: Poly, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    total: sympy.Expr = sympy.Integer(0)
    for monomial, coefficient in poly.terms:
        term: sympy.Expr = sympy.Rational(coefficient.numerator, coefficient.denominator)
        for name, exponent in monomial:
            term = term * symbols[name] ** exponent
        total = total + term
    return total


def sympy_condition(condition: Condition, symbols: Mapping[str, sympy.Symbol]) -> sympy.Basic:
    if isinstance(condition, Constant):
        return sympy.true if condition.value else sympy.false
    if isinstance(condition, Not):
        return sympy.Not(sympy_condition(condition.part, symbols))
    if isinstance(condition, (All, Any_)):
        parts = [sympy_condition(part, symbols) for part in condition.parts]
        return sympy.And(*parts) if isinstance(condition, All) else sympy.Or(*parts)
    real = sympy_poly(condition.difference.real, symbols)
    infinitesimal = sympy_poly(condition.difference.infinitesimal, symbols)
    relation = sympy.StrictGreaterThan if condition.strict else sympy.GreaterThan
    if condition.difference.infinitesimal.is_zero():
        return relation(real, 0)
    if condition.difference.real.is_zero():
        return relation(infinitesimal, 0)
    return sympy.Or(sympy.StrictGreaterThan(real, 0), sympy.And(sympy.Eq(real, 0), relation(infinitesimal, 0)))
