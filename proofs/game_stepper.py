"""The spec stepped for the market game's builder (:mod:`proofs.market_game`).

The plain stepper calls the spec each time it is asked, as the builder did before
memoisation (the benchmark's baseline). The fast build's stepper interns markets — one
object per distinct market, hashed once when the spec produces it — and keeps, under
that object's identity, what the spec said about it: its open moves, its steps, its
leaf. Every state, move and payoff still comes from the spec's own functions
(:func:`spec.machine.symbolic_step`, the guards, :func:`walks.moves.protocol_moves`);
they are only not asked twice (decisions 0097, 0125).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from spec.actions import Call
from spec.machine import SymbolicStep, action_of, symbolic_step
from spec.state import Market
from spec.world import Instance
from walks.moves import protocol_moves


class Stepper:
    """Runs the spec's step and move generator. The plain one calls the spec each time, as
    the builder did before memoisation. The fast build's stepper (``remember``) keeps one
    object per distinct market (:meth:`canonical`: equal markets are merged when the spec
    produces them, so each is hashed once) and what it learnt about a market under that
    object's identity: its open moves (the move generator and each move's guard asked
    once), its steps (the spec's step run once per distinct market and call) and its
    leaf (the payoffs asked once), however often the walk asks. The canonical markets are
    kept until the build ends, so an identity is never reused. Each table's key is one
    method (``tests/incentives`` plants a too coarse one in each)."""

    def __init__(self, remember: bool = False) -> None:
        self.remember = remember
        self.markets: dict[Market, Market] = {}
        self.known: dict[int, Market] = {}
        self.steps: dict[Hashable, Market] = {}
        self.open: dict[Hashable, list[Call]] = {}
        self.leaves: dict[Hashable, Any] = {}

    def canonical(self, market: Market) -> Market:
        """The one object of the build equal to ``market`` (``market`` itself if new)."""
        if id(market) in self.known:
            return market
        kept = self.markets.setdefault(market, market)
        self.known[id(kept)] = kept
        return kept

    def clear(self) -> None:
        """Forget every market and what was learnt about it (the build is over)."""
        for table in (self.markets, self.known, self.steps, self.open, self.leaves):
            table.clear()

    def market_key(self, market: Market) -> Hashable:
        """A market's key in the tables: the identity of its canonical object."""
        key = id(market)
        return key if key in self.known else id(self.canonical(market))

    def step_key(self, market: Market, each: Call) -> Hashable:
        return self.market_key(market), each

    open_key = leaf_key = market_key

    def accepted(self, market: Market, each: Call) -> Market:
        if not self.remember:
            return accepted_step(symbolic_step(market, each))
        key = self.step_key(market, each)
        known = self.steps.get(key)
        if known is None:
            known = self.steps[key] = self.canonical(accepted_step(symbolic_step(market, each)))
        return known

    def open_moves(self, market: Market, instance: Instance) -> list[Call]:
        """The spec's moves in ``market`` that are choices (no clock, no timeout, no misuse)
        and pass the spec's guard (``symbolic_step``'s rejection is the guard's): the fast
        build runs the effect only for the moves it takes."""
        key = self.open_key(market)
        known = self.open.get(key)
        if known is None:
            known = self.open[key] = [move for move in protocol_moves(market, instance)
                                      if move.action not in NOT_CHOICES and admitted(market, move)]
        return known

    def leaf(self, market: Market, make: Callable[[Market], Any]) -> Any:
        """The leaf ``make`` writes for ``market``, made once per distinct market (leaves of
        different walk contexts can share a market)."""
        if not self.remember:
            return make(market)
        key = self.leaf_key(market)
        known = self.leaves.get(key)
        if known is None:
            known = self.leaves[key] = make(market)
        return known


def admitted(market: Market, move: Call) -> bool:
    """Whether the spec's guard lets ``move`` through in ``market``."""
    return action_of(move).guard(market, move) is None


NOT_CHOICES = ("tick", "timeout", "misuse_data", "report_misuse")
"""Spec moves that are not a party's choice at a decision node (the clock, the timeout
after silence) or that the game offers apart (misuse and its report)."""


def accepted_step(outcome: SymbolicStep) -> Market:
    """The market after a step the game has chosen; it must have passed the spec's guard."""
    if outcome.rejection is not None:
        raise AssertionError(f"{outcome.call.action} by {outcome.call.actor} refused: {outcome.rejection.value}")
    return outcome.market
