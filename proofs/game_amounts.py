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

    ``coefficients`` maps each monomial to its non-zero coefficient (an int unless it needs
    a Fraction); ``terms`` lists them sorted. Lean on purpose — a dict, a hash computed
    only when asked (most intermediate sums are never hashed): the build creates hundreds
    of thousands of these."""

    __slots__ = ("coefficients", "_hash")

    def __init__(self, coefficients: dict[Monomial, Number] | None = None) -> None:
        self.coefficients: dict[Monomial, Number] = coefficients or {}
        self._hash: int | None = None

    @staticmethod
    def of(value: Any) -> Amount:
        if isinstance(value, Amount):
            return value
        if isinstance(value, (int, Fraction)):
            return Amount({(): _simplest(value)} if value else None)
        raise TypeError(f"not an amount: {value!r}")

    @staticmethod
    def symbol(name: str) -> Amount:
        return Amount({((name, 1),): 1})

    @property
    def terms(self) -> tuple[tuple[Monomial, Number], ...]:
        return tuple(sorted(self.coefficients.items()))

    def is_constant(self) -> bool:
        return not self.coefficients or (len(self.coefficients) == 1 and () in self.coefficients)

    def __add__(self, other: Any) -> Amount:
        return self._combined(other, 1)

    __radd__ = __add__

    def __neg__(self) -> Amount:
        return Amount({monomial: -coefficient for monomial, coefficient in self.coefficients.items()})

    def __sub__(self, other: Any) -> Amount:
        return self._combined(other, -1)

    def __rsub__(self, other: Any) -> Amount:
        return Amount.of(other) + (-self)

    def _combined(self, other: Any, sign: int) -> Amount:
        """``self + sign * other`` in one pass (the spec adds and subtracts far more than it
        does anything else: one dict copy per result, no intermediate negation)."""
        if type(other) is Amount:
            theirs = other.coefficients
        elif isinstance(other, (int, Fraction)):
            if not other:
                return self
            theirs = {(): _simplest(other)}
        else:
            theirs = Amount.of(other).coefficients
        if not theirs:
            return self
        if not self.coefficients:
            return Amount({monomial: sign * coefficient for monomial, coefficient in theirs.items()})
        coefficients = self.coefficients.copy()
        for monomial, coefficient in theirs.items():
            before = coefficients.get(monomial)
            if before is None:
                coefficients[monomial] = coefficient if sign == 1 else -coefficient
                continue
            total = before + coefficient if sign == 1 else before - coefficient
            if not total:
                del coefficients[monomial]
            elif type(total) is int:
                coefficients[monomial] = total
            else:
                coefficients[monomial] = _simplest(total)
        return Amount(coefficients)

    def __mul__(self, other: Any) -> Amount:
        if isinstance(other, (int, Fraction)):
            if not other:
                return Amount()
            return Amount({monomial: _simplest(coefficient * other)
                           for monomial, coefficient in self.coefficients.items()})
        other = Amount.of(other)
        coefficients: dict[Monomial, Number] = {}
        for left, left_coefficient in self.coefficients.items():
            for right, right_coefficient in other.coefficients.items():
                monomial = _multiply(left, right)
                coefficients[monomial] = coefficients.get(monomial, 0) + left_coefficient * right_coefficient
        return Amount({monomial: _simplest(coefficient)
                       for monomial, coefficient in coefficients.items() if coefficient})

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Amount:
        """Division by a number, or by a single monomial that divides every term exactly."""
        if isinstance(other, (int, Fraction)):
            return self * (Fraction(1) / Fraction(other))
        divisor = Amount.of(other)
        if len(divisor.coefficients) != 1:
            raise ArithmeticError(f"cannot divide {self} by {divisor} exactly")
        (by, factor), = divisor.coefficients.items()
        return Amount({_divide(monomial, by): _simplest(Fraction(coefficient) / factor)
                       for monomial, coefficient in self.coefficients.items()})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Amount):
            return self.coefficients == other.coefficients
        if isinstance(other, (int, Fraction)):
            return self.coefficients == Amount.of(other).coefficients
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            if not self.coefficients:
                self._hash = hash(0)
            elif self.is_constant():
                self._hash = hash(self.coefficients[()])  # a constant hashes as its number
            else:
                self._hash = hash(frozenset(self.coefficients.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"Amount({printed(self)})"


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
    terms = Amount.of(value).terms
    if not terms:
        return "0"
    ordered = [term for term in terms if term[0]] + [term for term in terms if not term[0]]
    pieces = []
    for index, (monomial, coefficient) in enumerate(ordered):
        if type(coefficient) is int:  # most are: no Fraction made for them
            numerator, denominator, negative = abs(coefficient), 1, coefficient < 0
        else:
            fraction = Fraction(coefficient)
            numerator, denominator, negative = abs(fraction.numerator), fraction.denominator, fraction < 0
        factors = [name if exponent == 1 else f"{name}**{exponent}" for name, exponent in monomial]
        if numerator != 1 or not factors:
            factors.insert(0, str(numerator))
        body = "*".join(factors) + (f"/{denominator}" if denominator != 1 else "")
        if index == 0:
            pieces.append("-" + body if negative else body)
        else:
            pieces.append(f" {'-' if negative else '+'} {body}")
    return "".join(pieces)
