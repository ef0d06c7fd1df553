"""Canonical forms of markets: the time abstraction and the symmetry reduction.

The explorer stores one node per *class* of markets that no check can tell apart. A class
is named by a key computed here; two markets with the same key must be bisimilar: the
same protocol moves are accepted or refused with the same codes, their successors again
have equal keys, and every invariant, outcome and payoff reads the same. Each class is
represented by the first concrete market the search found in it, so every node of the
graph is a real reachable market and successors are computed by the spec itself.

Three keys, from finest to coarsest:

* **no abstraction** — the market itself (it is an immutable, hashable value);
* **time** (:class:`proofs.explore_time.TimeKeys`) — every time value is replaced by its
  distance from ``now`` (see :mod:`proofs.explore_time`);
* **time and symmetry** (:class:`proofs.explore_symmetry.SymmetryKeys`) — additionally,
  parties of one role that the instance treats alike are interchangeable; the key is the
  least encoding of the market over the instance's symmetry group (see
  :mod:`proofs.explore_symmetry`).

These arguments are re-checked mechanically: :func:`proofs.explore_checks.check_bisimulation`
verifies, on the full graph of a finer key, that equal coarse keys have equal observations
and equal sets of successor keys — the definition of a bisimulation.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from proofs.explore_symmetry import SymmetryKeys
from proofs.explore_time import TimeKeys, static_horizon
from spec.world import Instance
from spec.state import Market

__all__ = ["ABSTRACTIONS", "RawKeys", "StateKeys", "SymmetryKeys", "TimeKeys", "make_keys", "static_horizon"]


class StateKeys(Protocol):
    """What the explorer asks of an abstraction: the key of a market's class."""

    def key(self, market: Market) -> Hashable: ...


class RawKeys:
    """No abstraction: the market is its own key."""

    def key(self, market: Market) -> Market:
        return market


ABSTRACTIONS = ("none", "time", "symmetry")
"""Names of the keys, finest first: no abstraction, time, time and symmetry."""


def make_keys(abstraction: str, instance: Instance, initial: Market, horizon: int | None) -> StateKeys:
    """The key function object for ``abstraction`` (one of :data:`ABSTRACTIONS`)."""
    if abstraction == "none":
        return RawKeys()
    if abstraction == "time":
        return TimeKeys(horizon)
    if abstraction == "symmetry":
        return SymmetryKeys(instance, initial, horizon)
    raise ValueError(f"unknown abstraction {abstraction!r}; known: {', '.join(ABSTRACTIONS)}")
