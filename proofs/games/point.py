"""Exact evaluation of a game at one parameter point, with a record of every comparison.

The property algorithms decide a property at one point of parameter space (a model found by
Z3) by backward induction on exact numbers. All their numeric comparisons go through a
:class:`Judge`, which records each comparison as an :class:`~proofs.games.logic.Atom` that was
true at the point. The conjunction of the record is a region around the point on which the
algorithm takes exactly the same steps (its "path condition"), which the case-splitting loop
uses to cover parameter space.

Values are Fractions when Z3's model is rational; with non-linear constraints a model may
hold algebraic numbers, which :class:`Algebraic` compares and adds exactly through Z3.
"""

from __future__ import annotations

from fractions import Fraction
from functools import total_ordering
from typing import Iterable, Mapping, Sequence, Union

import z3

from .logic import Atom
from .model import ValueTable
from .terms import LexValue, Poly


@total_ordering
class Algebraic:
    """An exact real algebraic number held by Z3 (used only when a model is irrational)."""

    __slots__ = ("expression",)

    def __init__(self, value: "Algebraic | Fraction | int | z3.ArithRef"):
        if isinstance(value, Algebraic):
            self.expression: z3.ArithRef = value.expression
        elif isinstance(value, (int, Fraction)):
            fraction = Fraction(value)
            self.expression = z3.RealVal(f"{fraction.numerator}/{fraction.denominator}")
        else:
            self.expression = value

    @staticmethod
    def _wrap(value: object) -> "Algebraic":
        return value if isinstance(value, Algebraic) else Algebraic(value)

    def __add__(self, other: object) -> "Algebraic":
        return Algebraic(z3.simplify(self.expression + Algebraic._wrap(other).expression))

    __radd__ = __add__

    def __mul__(self, other: object) -> "Algebraic":
        return Algebraic(z3.simplify(self.expression * Algebraic._wrap(other).expression))

    __rmul__ = __mul__

    def __neg__(self) -> "Algebraic":
        return Algebraic(z3.simplify(-self.expression))

    def __sub__(self, other: object) -> "Algebraic":
        return self + (-Algebraic._wrap(other))

    def __eq__(self, other: object) -> bool:
        return z3.is_true(z3.simplify(self.expression == Algebraic._wrap(other).expression))

    def __lt__(self, other: object) -> bool:
        return z3.is_true(z3.simplify(self.expression < Algebraic._wrap(other).expression))

    def __hash__(self) -> int:
        return hash(str(self.expression))

    def __float__(self) -> float:
        return float(self.expression.approx(20).as_fraction())

    def __repr__(self) -> str:
        return f"Algebraic({self.expression})"


Real = Union[Fraction, Algebraic]


def z3_number(value: z3.ExprRef) -> Real:
    if z3.is_rational_value(value):
        return Fraction(value.numerator_as_long(), value.denominator_as_long())
    if z3.is_algebraic_value(value):
        return Algebraic(value)
    raise ValueError(f"not a number: {value}")


class Point:
    """Exact values of all symbols, and of every value in a :class:`ValueTable` (cached)."""

    def __init__(self, values: Mapping[str, Real], table: ValueTable):
        self.values = dict(values)
        self.rational = all(isinstance(value, Fraction) for value in self.values.values())
        self.one: Real = Fraction(1) if self.rational else Algebraic(1)
        if not self.rational:
            self.values = {name: Algebraic(value) if isinstance(value, Fraction) else value
                           for name, value in self.values.items()}
        self.table = table
        self._numbers: list[tuple[Real, Real] | None] = []

    @staticmethod
    def from_model(model: z3.ModelRef, variables: Mapping[str, z3.ArithRef], table: ValueTable) -> "Point":
        values = {name: z3_number(model.eval(variable, model_completion=True))
                  for name, variable in variables.items()}
        return Point(values, table)

    def poly(self, poly: Poly) -> Real:
        return poly.evaluate(self.values, self.one)

    def lex(self, value: LexValue) -> tuple[Real, Real]:
        return (self.poly(value.real), self.poly(value.infinitesimal))

    def number(self, index: int) -> tuple[Real, Real]:
        """The (real, infinitesimal) pair of table value ``index``; tuples compare lexicographically."""
        numbers = self._numbers
        if index >= len(numbers):
            numbers.extend([None] * (len(self.table) - len(numbers)))
        cached = numbers[index]
        if cached is None:
            cached = self.lex(self.table[index])
            numbers[index] = cached
        return cached

    def as_strings(self) -> dict[str, str]:
        return {name: format_real(value) for name, value in sorted(self.values.items())}


def format_real(value: Real) -> str:
    """Exact text: ``3/4``, or for an irrational algebraic number its defining polynomial and
    root index with an approximation: ``root 2 of x^2 - 2 (~1.4142135624)``."""
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    expression = value.expression
    if z3.is_rational_value(expression):
        return format_real(z3_number(expression))
    simplified = z3.simplify(expression)
    if z3.is_algebraic_value(simplified):
        coefficients = simplified.poly()
        polynomial = Poly([(((("x", power),) if power else ()), Fraction(int(str(coefficient))))
                           for power, coefficient in enumerate(coefficients)])
        approximation = simplified.approx(10).as_decimal(10).rstrip("?")
        return f"root {simplified.index()} of {polynomial} (~{approximation})"
    return str(simplified)


def format_lex(pair: tuple[Real, Real], has_infinitesimals: bool) -> str:
    real, infinitesimal = pair
    if not has_infinitesimals or infinitesimal == 0:
        return format_real(real)
    return f"{format_real(real)} (+ infinitesimal {format_real(infinitesimal)})"


Fact = tuple[int, int, bool]  # (left, right, strict): value left >= value right (> if strict)


class Judge:
    """Compares table values at a point and remembers each comparison as a true fact.

    Facts are kept as value-index pairs (cheap); :meth:`atoms` turns them into symbolic
    atoms. With ``real_only`` set (weaker immunity) only real parts are compared.
    """

    def __init__(self, point: Point, real_only: bool = False, record: bool = True):
        self.point = point
        self.table = point.table
        self.real_only = real_only
        self.record = record
        self.facts: set[Fact] = set()

    def _key(self, index: int) -> tuple[Real, ...]:
        pair = self.point.number(index)
        return pair[:1] if self.real_only else pair

    def ge(self, left: int, right: int) -> bool:
        """Is value ``left`` >= value ``right``?"""
        if left == right:
            return True
        result = self._key(left) >= self._key(right)
        if self.record:
            self.facts.add((left, right, False) if result else (right, left, True))
        return result

    def atoms(self) -> list[Atom]:
        return facts_to_atoms(self.table, self.facts, self.real_only)

    def gt(self, left: int, right: int) -> bool:
        return not self.ge(right, left)

    def argmax(self, candidates: Sequence[int]) -> int:
        """Position of a largest value (the first one among equals)."""
        best = 0
        for position in range(1, len(candidates)):
            if not self.ge(candidates[best], candidates[position]):
                best = position
        return best

    def argmin(self, candidates: Sequence[int]) -> int:
        best = 0
        for position in range(1, len(candidates)):
            if not self.ge(candidates[position], candidates[best]):
                best = position
        return best

    def maximum(self, candidates: Iterable[int]) -> int:
        values = list(candidates)
        return values[self.argmax(values)]

    def minimum(self, candidates: Iterable[int]) -> int:
        values = list(candidates)
        return values[self.argmin(values)]


def comparison_atom(table: ValueTable, left: int, right: int, strict: bool, real_only: bool) -> Atom:
    """The atom ``value left >= value right`` (``>`` if strict), cached on the table."""
    key = (left, right, strict, real_only)
    cached = table.atom_cache.get(key)
    if cached is None:
        cached = Atom.make(table[left] - table[right], strict, real_only)
        table.atom_cache[key] = cached
    return cached


def facts_to_atoms(table: ValueTable, facts: Iterable[Fact], real_only: bool) -> list[Atom]:
    return [comparison_atom(table, left, right, strict, real_only) for left, right, strict in facts]
