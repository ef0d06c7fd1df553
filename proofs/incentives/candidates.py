"""Candidate value sets, computed bottom-up by enumeration, with exact pruning
(:class:`Envelope`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy

from proofs.games.terms import Poly
from proofs.incentives.regions import Candidate, Candidates
from proofs.incentives.solver import Solver
from proofs.incentives.tree import Node


def leaf_candidates(node: Node, players: Sequence[str]) -> Candidates:
    total = Poly()
    for player in players:
        total = total + node.payoffs[player]
    return {total: Candidate(total, ((node.history, Poly.constant(1)),))}


def combine_chance(node: Node, branch_sets: list[Candidates], limit: int) -> Candidates:
    """Every way of picking one candidate per branch, weighted by the probabilities."""
    size = 1
    for candidates in branch_sets:
        size *= len(candidates)
    if size > limit:
        raise CandidateExplosion(f"{size} candidates at {'/'.join(node.history)}")
    combined: Candidates = {}
    for picks in itertools.product(*(list(c.values()) for c in branch_sets)):
        value = Poly()
        play: list[tuple[tuple[str, ...], Poly]] = []
        for probability, pick in zip(node.probabilities, picks):
            value = value + probability * pick.value
            play += [(history, probability * weight) for history, weight in pick.play]
        combined.setdefault(value, Candidate(value, tuple(play)))
    return combined


DEVELOPER = "dev1"


def side_deal(node: Node) -> bool:
    """Off-chain training for the developer is a side deal: only a coalition holding both
    the developer and the vendor can make it (``spec.payoffs.offchain_training_value``)."""
    return any(label == "train_offchain" for label, _ in node.children)


class CandidateExplosion(RuntimeError):
    """A candidate set would exceed the configured limit."""


class Envelope:
    """Drops candidates that cannot be the minimum (or maximum) anywhere.

    Only the least (greatest) candidate of a set matters, so a candidate that another one
    lies below (above) at *every* admissible parameter point can go: the conditions it
    would add are implied by those of the one that stays, and the region is unchanged.
    Whether ``a <= b`` everywhere under the assumptions is decided exactly by Z3; a set of
    admissible sample points filters out most pairs first (a pair that differs the wrong
    way at one sample cannot be ordered everywhere), so few queries are needed. The
    samples are only a filter: every candidate dropped is dropped on Z3's proof.
    Dropping stays exact above the node because a chance node weighs its branches with
    probabilities that are non-negative under the assumptions (q and 1 - q), so a
    dominated pick never yields a new least (greatest) combination.
    """

    def __init__(self, solver: "Solver"):
        self.solver = solver
        self.points = solver.samples
        self.columns = {name: numpy.array([float(point[name]) for point in self.points])
                        for name in solver.constants}
        self.values_cache: dict[Poly, numpy.ndarray] = {}
        self.order_cache: dict[tuple[Poly, Poly], bool] = {}

    def values(self, poly: Poly) -> numpy.ndarray:
        cached = self.values_cache.get(poly)
        if cached is None:
            cached = numpy.zeros(len(self.points))
            for monomial, coefficient in poly.terms:
                term = numpy.full(len(self.points), float(coefficient))
                for name, exponent in monomial:
                    term = term * self.columns[name] ** exponent
                cached = cached + term
            self.values_cache[poly] = cached
        return cached

    def everywhere_below(self, low: Poly, high: Poly) -> bool:
        key = (low, high)
        known = self.order_cache.get(key)
        if known is None:
            known = self.order_cache[key] = self.solver.implied([], self.solver.poly(high - low) >= 0)
        return known

    def prune(self, candidates: Candidates, keep: str) -> Candidates:
        """The candidates that are not dominated: ``keep`` is ``"min"`` or ``"max"``."""
        if len(candidates) < 2 or not self.points:
            return candidates
        sign = 1.0 if keep == "min" else -1.0
        items = list(candidates.values())
        signed = [sign * self.values(item.value) for item in items]
        order = sorted(range(len(items)), key=lambda index: float(signed[index].sum()))
        kept: list[int] = []
        for index in order:
            mine = signed[index]
            slack = 1e-9 * (1.0 + numpy.abs(mine))
            dominated = False
            for other in kept:
                if numpy.all(signed[other] <= mine + slack):
                    low, high = items[other].value, items[index].value
                    if keep == "max":
                        low, high = high, low
                    if self.everywhere_below(low, high):
                        dominated = True
                        break
            if not dominated:
                kept.append(index)
        return {items[index].value: items[index] for index in sorted(kept)}


def choices(node: Node, group: Sequence[str], mode: str) -> list[Node]:
    """The children a decision node offers when ``group`` is valued in ``mode`` (see
    :class:`Evaluator`): the honest child alone where the mover plays honestly (or where
    only a coalition of the developer and the mover could make the side deal), else every
    child, to be minimised (``"worst"``) or maximised over."""
    honest = node.honest_child
    ours = node.player in group
    if side_deal(node) and not {DEVELOPER, node.player} <= set(group):
        return [honest]
    if (ours and mode == "worst") or (not ours and mode == "coalition"):
        return [honest]
    return [child for _, child in node.children]


class Evaluator:
    """Bottom-up candidate sets for a group of players against everyone else.

    ``mode`` says how each kind of decision node is resolved (:func:`choices`):
    * ``"worst"``: the group plays the honest move; others choose anything (the value is
      the minimum of the candidates);
    * ``"best"``: the group chooses anything, others choose anything (maximum);
    * ``"coalition"``: the group chooses anything, others play honestly (maximum).
    """

    def __init__(self, group: Sequence[str], mode: str, limit: int = 200_000,
                 envelope: Envelope | None = None):
        self.group = tuple(group)
        self.mode = mode
        self.limit = limit
        self.envelope = envelope
        self.memo: dict[int, Candidates] = {}

    def candidates(self, node: Node) -> Candidates:
        cached = self.memo.get(id(node))
        if cached is not None:
            return cached
        if node.utilities is not None:
            result = leaf_candidates(node, self.group)
        elif node.is_chance:
            result = combine_chance(node, [self.candidates(child) for _, child in node.children],
                                    self.limit)
        else:
            result = {}
            for child in choices(node, self.group, self.mode):
                for value, candidate in self.candidates(child).items():
                    result.setdefault(value, candidate)
        if self.envelope is not None:
            result = self.envelope.prune(result, "min" if self.mode == "worst" else "max")
        self.memo[id(node)] = result
        return result
