"""The fast build of the market game (memoised states, polynomial amounts, remembered
steps) writes the very game the plain walk writes, on every shape small enough to walk
plainly; and the comparison that says so does fail when the fast build is wrong."""

import gc
import os
from fractions import Fraction
from collections.abc import Hashable
from dataclasses import replace
from typing import Any

import pytest

import proofs.game_build as game_build
import proofs.market_game as market_game
from proofs.game_amounts import WIDTH, Amount, pack, printed, terms_of, to_sympy
from proofs.game_stepper import Stepper
from proofs.incentives.report import SHAPES
from proofs.game_build import build_market_game
from proofs.market_game import GameTooLarge, MarketGameShape
from proofs.game_stepper import accepted_step
from spec.machine import symbolic_step
from spec.state import Market
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


def _caught(plain: Any, shape: MarketGameShape) -> bool:
    """Whether a planted fault of the fast build shows: the spec refuses a move the build
    took from a wrong entry (the stepper re-checks every step taken), or the comparison
    finds another game."""
    try:
        fast = build_market_game(shape)
    except AssertionError as refused:
        return "refused" in str(refused)
    return bool(differences(plain, fast))


def _status(self: Stepper, market: Market) -> Hashable:
    """A key too coarse for a market: its job's status (distinct markets share it)."""
    return market.jobs[market_game.JOB].status


@pytest.mark.parametrize("table", ["open_key", "leaf_key"])
def test_the_comparison_finds_a_stepper_table_keyed_too_coarsely(monkeypatch, table):
    """The fast stepper's open moves and leaves are kept per distinct market: keyed by
    something coarser (here the job's status), markets with other moves or payoffs share
    an entry, and the spec's refusal or the comparison must show it. Without the planted key both
    builds agree (``test_fast_build_writes_the_plain_game``)."""
    shape = MarketGameShape(1, 1, 2)
    plain = build_market_game(shape, memoise=False)
    monkeypatch.setattr(Stepper, table, _status)
    assert _caught(plain, shape)


def test_the_comparison_finds_steps_keyed_without_the_arguments(monkeypatch):
    """A remembered step keyed by the action's name alone (forgetting its arguments: the
    correct and the defective delivery are both ``grant_access``) must be seen."""
    shape = MarketGameShape(1, 1, 2)
    plain = build_market_game(shape, memoise=False)
    monkeypatch.setattr(Stepper, "step_key", lambda self, market, each: (self.market_key(market), each.action))
    assert _caught(plain, shape)


def test_the_comparison_finds_markets_interned_too_coarsely(monkeypatch):
    """Every table and the memo key markets by their interned object: interning that
    forgets the signed off-chain artefacts (misuse, off-chain training) merges different
    markets, and must be seen."""
    shape = MarketGameShape(1, 1, 2)
    plain = build_market_game(shape, memoise=False)
    merged: dict[Hashable, Market] = {}

    def coarse(self: Stepper, market: Market) -> Market:
        kept = merged.setdefault(replace(market, artefacts=frozenset()), market)
        self.known[id(kept)] = kept
        return kept

    monkeypatch.setattr(Stepper, "canonical", coarse)
    assert _caught(plain, shape)


def test_the_spec_refuses_a_silence_pass_that_skips_the_clock(monkeypatch):
    """The fast build steps a silence's ticks and timeout without interning the markets in
    between (``game_build.pass_deadline``): a pass that let no time go by (the timeout
    asked before the deadline) must be refused by the spec, not written into the game."""
    shape = MarketGameShape(1, 1, 2)
    plain = build_market_game(shape, memoise=False)
    passes: list[Market] = []

    def clock_stopped(market: Market) -> Market:
        passes.append(market)
        return accepted_step(symbolic_step(market, game_build.TIMEOUT))

    monkeypatch.setattr(game_build, "pass_deadline", clock_stopped)
    assert _caught(plain, shape) and passes


@pytest.mark.parametrize("enabled", [True, False])
def test_the_fast_build_leaves_the_collector_as_it_found_it(enabled):
    """The fast build pauses the garbage collector and resumes it after emptying its
    tables; it must leave it as it was, also when it stops on the node budget."""
    shape = MarketGameShape(1, 1, 2)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert build_market_game(shape).nodes == build_market_game(shape, memoise=False).nodes
        assert gc.isenabled() is enabled
        with pytest.raises(GameTooLarge):
            build_market_game(shape, node_budget=20)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_both_builds_stop_on_the_node_budget():
    shape = MarketGameShape(1, 1, 2)
    nodes = build_market_game(shape).nodes
    for memoise in (True, False):
        assert build_market_game(shape, node_budget=nodes, memoise=memoise).nodes == nodes
        with pytest.raises(GameTooLarge):
            build_market_game(shape, node_budget=nodes - 1, memoise=memoise)


def test_the_comparison_finds_one_changed_payoff():
    shape = MarketGameShape(1, 1, 2)
    plain, fast = build_market_game(shape, memoise=False), build_market_game(shape)
    node = fast.game["tree"]
    while "utility" not in node:
        node = (node.get("children") or node["chance"])[-1]["child"]
    node["utility"][0] = {**node["utility"][0], "value": node["utility"][0]["value"] + " + G"}
    assert any("payoffs differ" in line for line in differences(plain, fast))


def test_amounts_compute_as_sympy_does():
    """The fast build's packed amounts: ring operations, the exact division by q the spec
    makes (W = K*q over q), numbers mixed in, equality and hashing with numbers, negative
    coefficients read back, printing; what they cannot be is refused, not approximated."""
    import sympy
    P, K, q, G = (Amount.symbol(name) for name in ("P", "K", "q", "G"))
    parts: list[Any] = [P, -K * q, 3 * G, 7]
    value = sum(parts, 0) - P
    assert to_sympy(value) == sympy.sympify("-K*q + 3*G + 7")
    assert (K * q) / q == K and (K * q - 2 * q) / q == K - 2 and (2 * K * q) / Amount(2 * q) == K
    assert P - P == 0 and hash(P - P) == hash(0) and (G + 1) - G == 1 and not P - P
    assert P != K and P * 2 == P + P and q * (P - G) == P * q - q * G
    assert terms_of(-3 * P + G - 5) == {(("P", 1),): -3, (("G", 1),): 1, (): -5}
    assert sympy.sympify(printed(value - G * 4)) == sympy.sympify("-K*q - G + 7")
    with pytest.raises(ArithmeticError):
        (P + K) / Amount(q + 1)
    with pytest.raises(ArithmeticError):
        (P + K) / q
    with pytest.raises(ArithmeticError):
        (3 * q) / Amount(2 * q)
    with pytest.raises(TypeError):
        terms_of(Fraction(1, 2))
    with pytest.raises(OverflowError):
        pack({(("P", 1),): 2 ** WIDTH})
