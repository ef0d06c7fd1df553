"""The term and constraint language: exact parsing, precedence, and clear errors."""

from __future__ import annotations

from fractions import Fraction

import pytest

from proofs.games.terms import (
    Comparison, Junction, Negation, Poly, TermError, evaluate_formula, parse_formula, parse_poly,
    split_lexicographic,
)

SYMBOLS = {"a", "b", "p_A", "alpha", "epsilon"}


def value(text: str | int | float, **values: Fraction | int) -> Fraction:
    return parse_poly(text, SYMBOLS).evaluate({k: Fraction(v) for k, v in values.items()}, Fraction(1))


def test_precedence_and_unary_minus() -> None:
    assert value("1 + 2 * 3") == 7
    assert value("-2^2") == -4  # power binds tighter than unary minus
    assert value("(1 + 2) * 3") == 9
    assert value("2 * -a", a=3) == -6
    assert value("- a - b", a=1, b=2) == -3
    assert value("a - (b - 1)", a=5, b=3) == 3
    assert value("2 ** 3 - a^2", a=2) == 4


def test_numbers_are_exact() -> None:
    assert value("0.1 + 0.2") == Fraction(3, 10)
    assert value("1/3 + 1/6") == Fraction(1, 2)
    assert value(0.1) == Fraction(1, 10)  # JSON floats are read by their decimal text
    assert value(7) == 7
    assert value("1e2") == 100


def test_polynomials_are_canonical() -> None:
    assert parse_poly("a + b", SYMBOLS) == parse_poly("b + a", SYMBOLS)
    assert parse_poly("(a + b)^2", SYMBOLS) == parse_poly("a*a + 2*a*b + b^2", SYMBOLS)
    assert parse_poly("a - a", SYMBOLS).is_zero()
    assert parse_poly("p_A * 2 / 4", SYMBOLS) == Poly.symbol("p_A").scale(Fraction(1, 2))


@pytest.mark.parametrize(("text", "reason"), [
    ("a +", "expected a number, a symbol or '('"),
    ("a b", "unexpected trailing input"),
    ("(a + b", "expected ')'"),
    ("a / b", "division is allowed only by a non-zero number"),
    ("a / 0", "division is allowed only by a non-zero number"),
    ("a ^ b", "an exponent must be a number"),
    ("a ^ 0.5", "an exponent must be an integer"),
    ("c + 1", "unknown symbol 'c'"),
    ("a # 2", "unexpected character '#'"),
    ("", "empty term"),
])
def test_term_errors_say_what_and_where(text: str, reason: str) -> None:
    with pytest.raises(TermError) as caught:
        parse_poly(text, SYMBOLS)
    assert reason in str(caught.value)
    assert 0 <= caught.value.position <= len(text)


def test_error_position_points_at_the_culprit() -> None:
    with pytest.raises(TermError) as caught:
        parse_poly("a + b + zz", SYMBOLS)
    assert caught.value.position == 8


def test_lexicographic_split() -> None:
    infinitesimals = frozenset({"alpha", "epsilon"})
    split = split_lexicographic(parse_poly("a + alpha - 2*epsilon + 3", SYMBOLS), infinitesimals)
    assert split.real == parse_poly("a + 3", SYMBOLS)
    assert split.infinitesimal == parse_poly("alpha - 2*epsilon", SYMBOLS)
    # a real factor times an infinitesimal is still infinitesimal
    assert split_lexicographic(parse_poly("a*alpha", SYMBOLS), infinitesimals).real.is_zero()
    with pytest.raises(TermError, match="product of infinitesimals"):
        split_lexicographic(parse_poly("alpha*epsilon", SYMBOLS), infinitesimals)
    with pytest.raises(TermError, match="product of infinitesimals"):
        split_lexicographic(parse_poly("alpha^2", SYMBOLS), infinitesimals)


def truth(text: str, **values: int) -> bool:
    formula = parse_formula(text, SYMBOLS)
    assignment = {k: Fraction(v) for k, v in values.items()}
    return evaluate_formula(formula, lambda poly: poly.evaluate(assignment, Fraction(1)))


def test_constraints() -> None:
    assert truth("a > b | b > a", a=1, b=0)
    assert not truth("a > b & b > a", a=1, b=0)
    assert truth("!(a == b)", a=1, b=0)
    assert truth("not a = b and a >= 0", a=1, b=0)
    assert truth("(a + b) * 2 >= 4 | a < 0", a=1, b=1)
    assert truth("((a > 0))", a=1)
    assert truth("0 < a <= b", a=1, b=1) and not truth("0 < a <= b", a=2, b=1)
    assert truth("a != b || false", a=1, b=2)
    assert truth("true && a >= a", a=5)


def test_constraint_structure() -> None:
    formula = parse_formula("j > t | f > t", {"j", "t", "f"})
    assert isinstance(formula, Junction) and formula.kind == "or"
    assert all(isinstance(part, Comparison) for part in formula.parts)
    assert isinstance(parse_formula("!(a > 0)", SYMBOLS), Negation)


@pytest.mark.parametrize("text", ["a", "a > ", "a > 0 |", "(a > 0", "a >> 0", "a > 0 & & b > 0"])
def test_constraint_errors(text: str) -> None:
    with pytest.raises(TermError):
        parse_formula(text, SYMBOLS)
