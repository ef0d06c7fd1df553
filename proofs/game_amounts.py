"""Exact polynomial amounts for stepping the spec fast while building the market game.

The spec computes amounts with ``+``, ``-``, multiplication and, once, division by the
audit probability (``spec.actions.misuse_compensation``: the misuse value is written
``K*q``, so ``K*q / q`` is ``K``). Building the game with sympy expressions as amounts
spends most of its time in sympy's arithmetic and hashing. :class:`Amount` is the same
polynomial ring over the game's constants in a canonical form (like
:class:`proofs.games.terms.Poly`, but lean and mixing with numbers),
with the number coercions the spec relies on (``total`` starts from the integer 0, a
balance starts at 0, stakes are multiplied by whole numbers). Two amounts are equal
exactly when they are the same polynomial, and a constant amount equals (and hashes as)
its number, as sympy's ``Integer(0) == 0`` does, so markets compare as they do with
sympy amounts. :func:`to_sympy` turns a payoff back into the sympy expression the game
file prints, so the game is the one the sympy build writes (``tests/incentives`` compares
them).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

Monomial = tuple[tuple[str, int], ...]
"""A sorted tuple of (constant name, exponent >= 1); () is the constant monomial."""

Number = int | Fraction


class Amount:
    """A polynomial amount that mixes with ints and Fractions as the spec's amounts do.

    ``terms`` is the canonical form: (monomial, non-zero coefficient) pairs sorted by
    monomial. Lean on purpose (a tuple and a hash, no Fraction unless a coefficient needs
    one): the build creates hundreds of thousands of these."""

    __slots__ = ("terms", "_hash")

    def __init__(self, terms: tuple[tuple[Monomial, Number], ...] = ()) -> None:
        self.terms = terms
        if not terms:
            self._hash = hash(0)
        elif len(terms) == 1 and terms[0][0] == ():
            self._hash = hash(terms[0][1])  # a constant equals its number, so hashes as it
        else:
            self._hash = hash(terms)

    @staticmethod
    def of(value: Any) -> Amount:
        if isinstance(value, Amount):
            return value
        if isinstance(value, (int, Fraction)):
            return Amount((((), value),) if value else ())
        raise TypeError(f"not an amount: {value!r}")

    @staticmethod
    def symbol(name: str) -> Amount:
        return Amount(((((name, 1),), 1),))

    @staticmethod
    def _canonical(coefficients: dict[Monomial, Number]) -> Amount:
        return Amount(tuple(sorted((monomial, _simplest(coefficient))
                                   for monomial, coefficient in coefficients.items() if coefficient)))

    def is_constant(self) -> bool:
        return not self.terms or (len(self.terms) == 1 and self.terms[0][0] == ())

    def __add__(self, other: Any) -> Amount:
        if not isinstance(other, Amount):
            if not other and isinstance(other, (int, Fraction)):
                return self
            other = Amount.of(other)
        if not other.terms:
            return self
        if not self.terms:
            return other
        coefficients = dict(self.terms)
        for monomial, coefficient in other.terms:
            coefficients[monomial] = coefficients.get(monomial, 0) + coefficient
        return Amount._canonical(coefficients)

    __radd__ = __add__

    def __neg__(self) -> Amount:
        return Amount(tuple((monomial, -coefficient) for monomial, coefficient in self.terms))

    def __sub__(self, other: Any) -> Amount:
        return self + (-Amount.of(other))

    def __rsub__(self, other: Any) -> Amount:
        return Amount.of(other) + (-self)

    def __mul__(self, other: Any) -> Amount:
        if isinstance(other, (int, Fraction)):
            if not other:
                return Amount()
            return Amount(tuple((monomial, _simplest(coefficient * other))
                                for monomial, coefficient in self.terms))
        other = Amount.of(other)
        coefficients: dict[Monomial, Number] = {}
        for left, left_coefficient in self.terms:
            for right, right_coefficient in other.terms:
                monomial = _multiply(left, right)
                coefficients[monomial] = coefficients.get(monomial, 0) + left_coefficient * right_coefficient
        return Amount._canonical(coefficients)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Amount:
        """Division by a number, or by a single monomial that divides every term exactly."""
        if isinstance(other, (int, Fraction)):
            return self * (Fraction(1) / Fraction(other))
        divisor = Amount.of(other)
        if len(divisor.terms) != 1:
            raise ArithmeticError(f"cannot divide {self} by {divisor} exactly")
        (by, factor), = divisor.terms
        return Amount._canonical({_divide(monomial, by): Fraction(coefficient) / factor
                                  for monomial, coefficient in self.terms})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Amount):
            return self.terms == other.terms
        if isinstance(other, (int, Fraction)):
            return self.terms == Amount.of(other).terms
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Amount({to_sympy(self)})"


def _simplest(coefficient: Number) -> Number:
    return coefficient.numerator if isinstance(coefficient, Fraction) and coefficient.denominator == 1 \
        else coefficient


def _multiply(left: Monomial, right: Monomial) -> Monomial:
    if not left:
        return right
    if not right:
        return left
    powers = dict(left)
    for name, exponent in right:
        powers[name] = powers.get(name, 0) + exponent
    return tuple(sorted(powers.items()))


def _divide(monomial: Monomial, by: Monomial) -> Monomial:
    powers = dict(monomial)
    for name, exponent in by:
        if powers.get(name, 0) < exponent:
            raise ArithmeticError(f"{by} does not divide {monomial}")
        powers[name] -= exponent
    return tuple(sorted((name, exponent) for name, exponent in powers.items() if exponent))


def to_sympy(value: Any) -> sympy.Expr:
    """The sympy expression of an amount (an int or Fraction becomes a sympy number)."""
    amount = Amount.of(value)
    total: sympy.Expr = sympy.Integer(0)
    for monomial, coefficient in amount.terms:
        fraction = Fraction(coefficient)
        term: sympy.Expr = sympy.Rational(fraction.numerator, fraction.denominator)
        for name, exponent in monomial:
            term = term * sympy.Symbol(name) ** exponent
        total = total + term
    return total


def printed(value: Any) -> str:
    """The amount as a game-file term in Python syntax (``"Bv - F + 3*G/2"``): the same
    polynomial as sympy's printing of it, with the terms in canonical order (constant last)."""
    amount = Amount.of(value)
    if not amount.terms:
        return "0"
    ordered = [term for term in amount.terms if term[0]] + [term for term in amount.terms if not term[0]]
    pieces = []
    for index, (monomial, coefficient) in enumerate(ordered):
        fraction = Fraction(coefficient)
        numerator, denominator = abs(fraction.numerator), fraction.denominator
        factors = [name if exponent == 1 else f"{name}**{exponent}" for name, exponent in monomial]
        if numerator != 1 or not factors:
            factors.insert(0, str(numerator))
        body = "*".join(factors) + (f"/{denominator}" if denominator != 1 else "")
        sign = "-" if fraction < 0 else "+"
        pieces.append((sign if sign == "-" else "") + body if index == 0 else f" {sign} {body}")
    return "".join(pieces)
