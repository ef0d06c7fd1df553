"""Exact polynomial amounts for stepping the spec fast while building the market game.

The spec computes amounts with ``+``, ``-``, multiplication and, once, division by the
audit probability (``spec.actions.misuse_compensation``: the misuse value is written
``K*q``, so ``K*q / q`` is ``K``). Building the game with sympy expressions as amounts
spends most of its time in sympy's arithmetic and hashing. Here a polynomial over the
game's constants with whole coefficients is *packed into one Python int*: each monomial
has a slot of :data:`WIDTH` bits (slot 0 is the constant term), and the polynomial is
the sum of its coefficients shifted to their slots (a coefficient may be negative: the
slots are read back with borrows, :func:`terms_of`). Packing is injective while every
coefficient lies in ``[-2**(WIDTH-1), 2**(WIDTH-1))``, so

* adding, subtracting, negating and multiplying by a whole number are the int's own
  operations, and so are equality and hashing: two amounts are equal exactly when they
  are the same polynomial;
* a constant amount *is* its number (``P - P == 0``, ``hash(P - P) == hash(0)``, as
  sympy's ``Integer(0) == 0``), so the spec's ``total`` from 0, a balance starting at 0
  and ``if amount`` (is it the zero polynomial) behave as with sympy amounts.

Only a product of two amounts that are not numbers, and a division, need the terms:
:class:`Amount` (an ``int`` subclass, which Python asks first for ``*`` and ``/`` even
on the right) does them. The game's constants are :class:`Amount` (``Amount.symbol``),
and in the spec only the audit probability ``q`` (a constant of the market) multiplies
another amount, and only the misuse value ``K*q`` is divided (by ``q``). A product of
two plain packed ints that are not numbers would be wrong, and so would an order comparison
(``<``, ``>=``) of amounts that are not numbers, which sympy and the earlier amounts refused
and a packed int answers: ``tests/incentives`` compares every payoff of the fast build with
the sympy build's, on every shape small enough (and the sympy build refuses such a comparison).
Fractions are not amounts here (the market game has none; :func:`terms_of` refuses
them). :func:`to_sympy` and :func:`printed` read a packed amount back as a polynomial.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

Monomial = tuple[tuple[str, int], ...]
"""A sorted tuple of (constant name, exponent >= 1); () is the constant monomial."""

WIDTH = 64
"""Bits per monomial's slot in a packed amount."""
_MASK = (1 << WIDTH) - 1
_HALF = 1 << (WIDTH - 1)

_SLOTS: dict[Monomial, int] = {(): 0}
_MONOMIALS: list[Monomial] = [()]
"""The slot of each monomial met so far in this process (a slot, once given, never changes)."""


def pack(coefficients: dict[Monomial, int]) -> int:
    """The packed int of the polynomial with these (whole) coefficients."""
    value = 0
    for monomial, coefficient in coefficients.items():
        if type(coefficient) is not int:
            coefficient = _whole(coefficient)
        if not -_HALF <= coefficient < _HALF:
            raise OverflowError(f"coefficient {coefficient} of {monomial} does not fit {WIDTH} bits")
        slot = _SLOTS.get(monomial)
        if slot is None:
            slot = _SLOTS[monomial] = len(_MONOMIALS)
            _MONOMIALS.append(monomial)
        value += coefficient << (WIDTH * slot)
    return value


def terms_of(value: Any) -> dict[Monomial, int]:
    """The non-zero coefficients of a packed amount, by monomial."""
    remaining = _whole(value)
    found: dict[Monomial, int] = {}
    slot = 0
    while remaining:
        digit = remaining & _MASK
        if digit >= _HALF:
            digit -= 1 << WIDTH
        if digit:
            found[_MONOMIALS[slot]] = digit
        remaining = (remaining - digit) >> WIDTH
        slot += 1
    return found


def is_number(value: int) -> bool:
    """Whether a packed amount is a constant (then it is that number)."""
    return -_HALF <= value < _HALF


def _whole(value: Any) -> int:
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    raise TypeError(f"not a packed amount: {value!r} (amounts here are whole polynomials)")


class Amount(int):
    """A packed amount that multiplies and divides as a polynomial (the game's constants,
    and the products and quotients made of them). Sums of these are plain packed ints."""

    @staticmethod
    def symbol(name: str) -> Amount:
        return Amount(pack({((name, 1),): 1}))

    @staticmethod
    def of(value: Any) -> int:
        """``value`` as a packed amount (a number is its own packing)."""
        return _whole(value)

    def __mul__(self, other: Any) -> Any:
        if isinstance(other, int) and is_number(other):
            return int.__mul__(self, other)  # scaling by a whole number
        if not isinstance(other, (int, Fraction)):
            return NotImplemented
        coefficients: dict[Monomial, int] = {}
        for left, left_coefficient in terms_of(self).items():
            for right, right_coefficient in terms_of(other).items():
                monomial = _multiply(left, right)
                coefficients[monomial] = coefficients.get(monomial, 0) + left_coefficient * right_coefficient
        return Amount(pack({monomial: value for monomial, value in coefficients.items() if value}))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Amount:
        return _quotient(self, other)

    def __rtruediv__(self, other: Any) -> Amount:
        return _quotient(other, self)

    def __repr__(self) -> str:
        return f"Amount({printed(self)})"


def _quotient(dividend: Any, divisor: Any) -> Amount:
    """``dividend / divisor`` where the divisor is one term dividing every term exactly."""
    by_terms = terms_of(divisor)
    if len(by_terms) != 1:
        raise ArithmeticError(f"cannot divide {printed(dividend)} by {printed(divisor)} exactly")
    (by, factor), = by_terms.items()
    coefficients = {}
    for monomial, coefficient in terms_of(dividend).items():
        if coefficient % factor:
            raise ArithmeticError(f"{printed(dividend)} / {printed(divisor)} is not whole")
        coefficients[_divide(monomial, by)] = coefficient // factor
    return Amount(pack(coefficients))


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
    """The sympy expression of a packed amount."""
    total: sympy.Expr = sympy.Integer(0)
    for monomial, coefficient in sorted(terms_of(value).items()):
        term: sympy.Expr = sympy.Integer(coefficient)
        for name, exponent in monomial:
            term = term * sympy.Symbol(name) ** exponent
        total = total + term
    return total


def printed(value: Any) -> str:
    """The amount as a game-file term in Python syntax (``"Bv - F + 3*G"``): the same
    polynomial as sympy's printing of it, with the terms in canonical order (constant last)."""
    terms = terms_of(value)
    if not terms:
        return "0"
    constant = terms.pop((), None)
    pieces: list[str] = []
    for monomial, coefficient in sorted(terms.items()):
        body = "*".join([name if exponent == 1 else f"{name}**{exponent}" for name, exponent in monomial])
        if coefficient != 1 and coefficient != -1:
            body = f"{abs(coefficient)}*{body}"
        if pieces:
            pieces.append(" - " if coefficient < 0 else " + ")
        elif coefficient < 0:
            pieces.append("-")
        pieces.append(body)
    if constant is not None:
        if pieces:
            pieces.append(" - " if constant < 0 else " + ")
            pieces.append(str(abs(constant)))
        else:
            pieces.append(str(constant))
    return "".join(pieces)
