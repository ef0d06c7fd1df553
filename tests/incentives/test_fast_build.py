"""The fast build of the market game (memoised states, polynomial amounts, remembered
steps) writes the very game the plain walk writes, on every shape small enough to walk
plainly; and the comparison that says so does fail when the fast build is wrong."""

import os
from typing import Any

import pytest

import proofs.market_game as market_game
from proofs.game_amounts import Amount, printed, to_sympy
from proofs.incentives.report import SHAPES
from proofs.market_game import MarketGameShape, build_market_game
from tests.incentives.game_compare import differences

PLAIN_SECONDS_SMALL = [shape for shape in SHAPES if shape.vendors * shape.steps <= 8 and shape.vendors < 3]
"""The shapes whose plain walk takes a few seconds at most (``make bench`` times them)."""

LARGE = [MarketGameShape(1, 2, 8), MarketGameShape(1, 3, 2), MarketGameShape(3, 3, 2)]


@pytest.mark.parametrize("shape", PLAIN_SECONDS_SMALL, ids=str)
def test_fast_build_writes_the_plain_game(shape):
    assert differences(build_market_game(shape, memoise=False), build_market_game(shape)) == []


@pytest.mark.skipif(os.environ.get("AIMARKET_LARGE_CHECKS") != "1",
                    reason="a minute or more of plain walking: run with AIMARKET_LARGE_CHECKS=1 (make check-large)")
@pytest.mark.parametrize("shape", LARGE, ids=str)
def test_fast_build_writes_the_plain_game_on_large_shapes(shape):
    assert differences(build_market_game(shape, memoise=False), build_market_game(shape)) == []


def test_the_comparison_finds_a_memo_that_forgets_the_context(monkeypatch):
    """Keying the memo by the market alone merges states that differ in who has chosen
    silence or whether the developer audited: the comparison must see a different game."""
    shape = MarketGameShape(1, 2, 2)
    plain = build_market_game(shape, memoise=False)
    monkeypatch.setattr(market_game, "context_key", lambda market, context: ())
    assert differences(plain, build_market_game(shape))


def test_the_comparison_finds_one_changed_payoff():
    shape = MarketGameShape(1, 1, 2)
    plain, fast = build_market_game(shape, memoise=False), build_market_game(shape)
    node = fast.game["tree"]
    while "utility" not in node:
        node = (node.get("children") or node["chance"])[-1]["child"]
    node["utility"][0] = {**node["utility"][0], "value": node["utility"][0]["value"] + " + G"}
    assert any("payoffs differ" in line for line in differences(plain, fast))


def test_amounts_compute_as_sympy_does():
    """The fast build's amounts: ring operations, the exact division by q the spec makes
    (W = K*q over q), numbers mixed in, equality and hashing with numbers, printing."""
    import sympy
    from fractions import Fraction
    P, K, q, G = (Amount.symbol(name) for name in ("P", "K", "q", "G"))
    parts: list[Any] = [P, -K * q, 3 * G, Fraction(1, 2)]
    value = sum(parts, 0) - P
    assert to_sympy(value) == sympy.sympify("-K*q + 3*G + 1/2")
    assert (K * q) / q == K
    assert P - P == 0 and hash(P - P) == hash(0) and (G + 1) - G == 1
    assert P != K and P * 2 == P + P
    assert sympy.sympify(printed(value - G / 4)) == sympy.sympify("-K*q + 11*G/4 + 1/2")
    with pytest.raises(ArithmeticError):
        (P + K) / (q + 1)
