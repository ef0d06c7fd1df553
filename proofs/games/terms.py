"""The term language of game files: polynomials, lexicographic utilities and constraints.

Utility values and constraints in a game file are strings such as ``"a + p*s - 2*f"`` or
``"j > t | f > t"``. This module parses them with a small recursive-descent parser (never
``eval``) into exact objects:

* :class:`Poly` — a polynomial with rational coefficients over named symbols;
* :class:`LexValue` — a utility ``(real part, infinitesimal part)``: monomials that contain an
  infinitesimal symbol form the infinitesimal part; values compare lexicographically;
* :class:`Constraint` — a boolean combination of comparisons between polynomials (constraints
  treat infinitesimals as ordinary real symbols, as CheckMate does).

Grammar (whitespace ignored)::

    formula    := conjunct (("|" | "||" | "or") conjunct)*
    conjunct   := negation (("&" | "&&" | "and") negation)*
    negation   := ("!" | "not") negation | comparison | "(" formula ")" | "true" | "false"
    comparison := expr (("<" | "<=" | ">" | ">=" | "=" | "==" | "!=") expr)+
    expr       := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := primary (("^" | "**") unary)?
    primary    := NUMBER | NAME | "(" expr ")"

Division is allowed by non-zero numbers only and exponents must be non-negative integers, so
every term is a polynomial. A chain ``a < b <= c`` means ``a < b & b <= c``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping, Protocol, TypeVar, Union


class RingElement(Protocol):
    """What :meth:`Poly.evaluate` computes with: elements that add and multiply with each
    other and with Fractions (Fraction, Z3 or sympy numbers)."""

    def __add__(self, other: Any, /) -> Any: ...

    def __mul__(self, other: Any, /) -> Any: ...


Number = TypeVar("Number", bound=RingElement)

# A monomial is a sorted tuple of (symbol name, exponent >= 1); () is the constant monomial.
Monomial = tuple[tuple[str, int], ...]


class TermError(ValueError):
    """A term or constraint string that cannot be parsed; ``position`` is a 0-based offset."""

    def __init__(self, text: str, position: int, reason: str):
        super().__init__(f"{reason} at position {position} in {text!r}")
        self.text = text
        self.position = position
        self.reason = reason


def _multiply_monomials(left: Monomial, right: Monomial) -> Monomial:
    powers: dict[str, int] = dict(left)
    for name, exponent in right:
        powers[name] = powers.get(name, 0) + exponent
    return tuple(sorted(powers.items()))


class Poly:
    """An immutable polynomial with exact rational coefficients, in canonical form."""

    __slots__ = ("_terms", "_hash")

    def __init__(self, terms: Mapping[Monomial, Fraction] | Iterable[tuple[Monomial, Fraction]] = ()):
        items = terms.items() if isinstance(terms, Mapping) else terms
        canonical: dict[Monomial, Fraction] = {}
        for monomial, coefficient in items:
            total = canonical.get(monomial, Fraction(0)) + Fraction(coefficient)
            if total:
                canonical[monomial] = total
            else:
                canonical.pop(monomial, None)
        self._terms: tuple[tuple[Monomial, Fraction], ...] = tuple(sorted(canonical.items()))
        self._hash = hash(self._terms)

    # -- constructors -------------------------------------------------------------------
    @staticmethod
    def constant(value: int | Fraction) -> "Poly":
        constant: dict[Monomial, Fraction] = {(): Fraction(value)}
        return Poly(constant)

    @staticmethod
    def symbol(name: str) -> "Poly":
        linear: dict[Monomial, Fraction] = {((name, 1),): Fraction(1)}
        return Poly(linear)

    # -- inspection ---------------------------------------------------------------------
    @property
    def terms(self) -> tuple[tuple[Monomial, Fraction], ...]:
        return self._terms

    def is_zero(self) -> bool:
        return not self._terms

    def is_constant(self) -> bool:
        return all(monomial == () for monomial, _ in self._terms)

    def constant_value(self) -> Fraction:
        """The value of a constant polynomial (raises if the polynomial has symbols)."""
        if not self.is_constant():
            raise ValueError(f"{self} is not a constant")
        return self._terms[0][1] if self._terms else Fraction(0)

    def symbols(self) -> frozenset[str]:
        return frozenset(name for monomial, _ in self._terms for name, _ in monomial)

    def degree(self) -> int:
        return max((sum(exponent for _, exponent in monomial) for monomial, _ in self._terms), default=0)

    # -- arithmetic ---------------------------------------------------------------------
    def __add__(self, other: "Poly") -> "Poly":
        return Poly(list(self._terms) + list(other._terms))

    def __neg__(self) -> "Poly":
        return Poly([(monomial, -coefficient) for monomial, coefficient in self._terms])

    def __sub__(self, other: "Poly") -> "Poly":
        return self + (-other)

    def __mul__(self, other: "Poly") -> "Poly":
        return Poly([
            (_multiply_monomials(left, right), left_coefficient * right_coefficient)
            for left, left_coefficient in self._terms
            for right, right_coefficient in other._terms
        ])

    def scale(self, factor: Fraction) -> "Poly":
        return Poly([(monomial, coefficient * factor) for monomial, coefficient in self._terms])

    def power(self, exponent: int) -> "Poly":
        result = Poly.constant(1)
        for _ in range(exponent):
            result = result * self
        return result

    def split(self, predicate: Callable[[Monomial], bool]) -> tuple["Poly", "Poly"]:
        """(monomials where ``predicate`` holds, the others)."""
        chosen = [(m, c) for m, c in self._terms if predicate(m)]
        rest = [(m, c) for m, c in self._terms if not predicate(m)]
        return Poly(chosen), Poly(rest)

    # -- evaluation and rendering -------------------------------------------------------
    def evaluate(self, values: Mapping[str, Number], one: Number) -> Number:
        """The value at ``values`` in any ring whose elements accept ``+``/``*`` with Fractions."""
        total = one * 0
        for monomial, coefficient in self._terms:
            product = one * coefficient
            for name, exponent in monomial:
                for _ in range(exponent):
                    product = product * values[name]
            total = total + product
        return total

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Poly) and self._terms == other._terms

    def __hash__(self) -> int:
        return self._hash

    def __lt__(self, other: "Poly") -> bool:  # only for deterministic sorting
        return self._terms < other._terms

    def __repr__(self) -> str:
        return f"Poly({str(self)!r})"

    def __str__(self) -> str:
        if not self._terms:
            return "0"
        pieces: list[str] = []
        # constants last reads more naturally: "a - b + 1"
        ordered = [t for t in self._terms if t[0] != ()] + [t for t in self._terms if t[0] == ()]
        for index, (monomial, coefficient) in enumerate(ordered):
            factors = [name if exponent == 1 else f"{name}^{exponent}" for name, exponent in monomial]
            magnitude = abs(coefficient)
            if not factors:
                body = str(magnitude)
            elif magnitude == 1:
                body = "*".join(factors)
            else:
                body = f"{magnitude}*" + "*".join(factors)
            if index == 0:
                pieces.append(("-" if coefficient < 0 else "") + body)
            else:
                pieces.append((" - " if coefficient < 0 else " + ") + body)
        return "".join(pieces)


ZERO = Poly()
ONE = Poly.constant(1)


@dataclass(frozen=True, order=True)
class LexValue:
    """A utility: ``real`` plus an infinitesimal part ``infinitesimal``, compared lexicographically."""

    real: Poly
    infinitesimal: Poly = ZERO

    def __add__(self, other: "LexValue") -> "LexValue":
        return LexValue(self.real + other.real, self.infinitesimal + other.infinitesimal)

    def __sub__(self, other: "LexValue") -> "LexValue":
        return LexValue(self.real - other.real, self.infinitesimal - other.infinitesimal)

    def __neg__(self) -> "LexValue":
        return LexValue(-self.real, -self.infinitesimal)

    def times(self, factor: Poly) -> "LexValue":
        """Multiply by a real (non-infinitesimal) polynomial such as a probability."""
        return LexValue(self.real * factor, self.infinitesimal * factor)

    def is_zero(self) -> bool:
        return self.real.is_zero() and self.infinitesimal.is_zero()

    def __str__(self) -> str:
        if self.infinitesimal.is_zero():
            return str(self.real)
        if self.real.is_zero():
            return str(self.infinitesimal)
        rendered = str(self.infinitesimal)
        return f"{self.real} - {rendered[1:]}" if rendered.startswith("-") else f"{self.real} + {rendered}"


LEX_ZERO = LexValue(ZERO, ZERO)


def split_lexicographic(poly: Poly, infinitesimals: frozenset[str], text: str = "") -> LexValue:
    """Split a polynomial into its real and infinitesimal parts.

    A monomial with an infinitesimal factor belongs to the infinitesimal part; a monomial with
    two infinitesimal factors (``alpha*epsilon``, ``alpha^2``) would be infinitely smaller
    still, which a two-level lexicographic utility cannot express, so it is rejected.
    """
    for monomial, _ in poly.terms:
        order = sum(exponent for name, exponent in monomial if name in infinitesimals)
        if order > 1:
            raise TermError(text or str(poly), 0, "a product of infinitesimals is not supported")
    infinitesimal, real = poly.split(lambda monomial: any(name in infinitesimals for name, _ in monomial))
    return LexValue(real, infinitesimal)


# ---------------------------------------------------------------------------- constraints
COMPARISON_OPERATORS = ("<=", ">=", "!=", "==", "<", ">", "=")


@dataclass(frozen=True)
class Comparison:
    """``left OP right`` with OP one of ``<, <=, >, >=, ==, !=`` (``=`` is read as ``==``)."""

    operator: str
    left: Poly
    right: Poly


@dataclass(frozen=True)
class Junction:
    """A conjunction (``kind == "and"``) or disjunction (``kind == "or"``)."""

    kind: str
    parts: tuple["Formula", ...]


@dataclass(frozen=True)
class Negation:
    part: "Formula"


@dataclass(frozen=True)
class Truth:
    value: bool


Formula = Union[Comparison, Junction, Negation, Truth]


# ---------------------------------------------------------------------------- the parser
_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<operator>\*\*|<=|>=|==|!=|\|\||&&|[-+*/^()<>=!|&]))"
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "operator", "end"
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            offending = position + (len(text[position:]) - len(text[position:].lstrip()))
            raise TermError(text, offending, f"unexpected character {text[offending]!r}")
        kind = match.lastgroup or "operator"
        token_text = match.group(kind)
        tokens.append(_Token(kind, token_text, match.start(kind)))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


_KEYWORDS = {"and", "or", "not", "true", "false"}


class _Parser:
    def __init__(self, text: str, symbols: frozenset[str]):
        self.text = text
        self.symbols = symbols
        self.tokens = _tokenize(text)
        self.index = 0

    # -- helpers
    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def at(self, *texts: str) -> bool:
        token = self.current
        return token.kind in ("operator", "name") and token.text in texts

    def take(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        if not self.at(text):
            self.fail(f"expected {text!r}")
        self.take()

    def fail(self, reason: str, token: _Token | None = None) -> None:
        token = token or self.current
        found = "end of input" if token.kind == "end" else repr(token.text)
        raise TermError(self.text, token.position, f"{reason}, found {found}")

    def finish(self) -> None:
        if self.current.kind != "end":
            self.fail("unexpected trailing input")

    # -- arithmetic
    def expression(self) -> Poly:
        result = self.term()
        while self.at("+", "-"):
            operator = self.take().text
            right = self.term()
            result = result + right if operator == "+" else result - right
        return result

    def term(self) -> Poly:
        result = self.unary()
        while self.at("*", "/"):
            operator_token = self.take()
            right = self.unary()
            if operator_token.text == "*":
                result = result * right
            else:
                if not right.is_constant() or right.is_zero():
                    raise TermError(self.text, operator_token.position,
                                    "division is allowed only by a non-zero number")
                result = result.scale(1 / right.constant_value())
        return result

    def unary(self) -> Poly:
        if self.at("-"):
            self.take()
            return -self.unary()
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Poly:
        base = self.primary()
        if self.at("^", "**"):
            operator_token = self.take()
            exponent = self.unary()
            if not exponent.is_constant():
                raise TermError(self.text, operator_token.position, "an exponent must be a number")
            value = exponent.constant_value()
            if value.denominator != 1 or value < 0 or value > 64:
                raise TermError(self.text, operator_token.position,
                                "an exponent must be an integer between 0 and 64")
            return base.power(int(value))
        return base

    def primary(self) -> Poly:
        token = self.current
        if token.kind == "number":
            self.take()
            return Poly.constant(Fraction(token.text))
        if token.kind == "name" and token.text not in _KEYWORDS:
            self.take()
            if token.text not in self.symbols:
                raise TermError(self.text, token.position,
                                f"unknown symbol {token.text!r} (not a declared constant or infinitesimal)")
            return Poly.symbol(token.text)
        if self.at("("):
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        self.fail("expected a number, a symbol or '('")
        raise AssertionError("unreachable")

    # -- logic
    def formula(self) -> Formula:
        parts = [self.conjunct()]
        while self.at("|", "||", "or"):
            self.take()
            parts.append(self.conjunct())
        return parts[0] if len(parts) == 1 else Junction("or", tuple(parts))

    def conjunct(self) -> Formula:
        parts = [self.negation()]
        while self.at("&", "&&", "and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))

    def negation(self) -> Formula:
        if self.at("!", "not"):
            self.take()
            return Negation(self.negation())
        if self.at("true", "false"):
            return Truth(self.take().text == "true")
        if self.at("("):
            # "(" may open an arithmetic expression ("(a + b) > c") or a sub-formula.
            saved = self.index
            try:
                return self.comparison()
            except TermError:
                self.index = saved
            self.take()
            inner = self.formula()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Formula:
        left = self.expression()
        if not self.at(*COMPARISON_OPERATORS):
            self.fail("expected a comparison operator (<, <=, >, >=, =, ==, !=)")
        parts: list[Formula] = []
        while self.at(*COMPARISON_OPERATORS):
            operator = self.take().text
            right = self.expression()
            parts.append(Comparison("==" if operator == "=" else operator, left, right))
            left = right
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))


def parse_poly(text: str | int | float, symbols: Iterable[str]) -> Poly:
    """Parse an arithmetic term; numbers (JSON numbers too) are read exactly."""
    if isinstance(text, bool):
        raise TermError(str(text), 0, "a boolean is not a number")
    if isinstance(text, int):
        return Poly.constant(text)
    if isinstance(text, float):
        return Poly.constant(Fraction(repr(text)))
    parser = _Parser(text, frozenset(symbols))
    if parser.current.kind == "end":
        raise TermError(text, 0, "empty term")
    result = parser.expression()
    parser.finish()
    return result


def parse_formula(text: str, symbols: Iterable[str]) -> Formula:
    """Parse a constraint such as ``"a >= f & (b > 0 | c != 1)"``."""
    parser = _Parser(text, frozenset(symbols))
    if parser.current.kind == "end":
        raise TermError(text, 0, "empty constraint")
    result = parser.formula()
    parser.finish()
    return result


def formula_symbols(formula: Formula) -> frozenset[str]:
    if isinstance(formula, Comparison):
        return formula.left.symbols() | formula.right.symbols()
    if isinstance(formula, Junction):
        return frozenset().union(*(formula_symbols(part) for part in formula.parts))
    if isinstance(formula, Negation):
        return formula_symbols(formula.part)
    return frozenset()



def evaluate_formula(formula: Formula, evaluate_poly: Callable[[Poly], Fraction]) -> bool:
    """Truth of a constraint given an exact evaluator for polynomials."""
    if isinstance(formula, Truth):
        return formula.value
    if isinstance(formula, Negation):
        return not evaluate_formula(formula.part, evaluate_poly)
    if isinstance(formula, Junction):
        results = (evaluate_formula(part, evaluate_poly) for part in formula.parts)
        return all(results) if formula.kind == "and" else any(results)
    difference = evaluate_poly(formula.left - formula.right)
    return {
        "<": difference < 0, "<=": difference <= 0, ">": difference > 0,
        ">=": difference >= 0, "==": difference == 0, "!=": difference != 0,
    }[formula.operator]
