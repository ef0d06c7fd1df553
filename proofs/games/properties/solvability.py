"""Dominance solvability: iterated elimination of weakly dominated strategies.

**Definition.** Work in the reduced normal form of the game: a player's (reduced) strategy
says what the player does at each of its nodes that its own earlier choices do not rule out,
and a profile's payoff is the (expected) utility of the play it induces. Starting from all
reduced strategies, repeat until nothing changes: remove, for all players *simultaneously*,
every strategy that is weakly dominated by another remaining strategy of the same player
(at least as good against every remaining profile of the others, strictly better against
one). The game is dominance solvable towards the honest history if, for all parameter values
satisfying the constraints, every surviving profile plays the honest action at every
decision node of the honest history (so the honest history is the only outcome that
survives; strategies that differ only off that play, or that no remaining strategy beats,
may survive side by side).

Removing weakly dominated strategies one at a time can give order-dependent results; the
simultaneous maximal removal used here is deterministic. The normal form is exponential in
the tree, so games beyond :data:`MAX_PROFILES` profiles are refused with
:class:`GameTooLarge`.
"""

from __future__ import annotations

from itertools import product

from ..model import CHANCE, DECISION, LEAF, CompiledGame
from ..point import Point
from ..strategy import Counterexample, Strategy, StrategyStore, describe_value, weighted
from .base import GameProperty, PointVerdict

MAX_TREE_NODES = 5_000
MAX_STRATEGIES_PER_PLAYER = 4_096
MAX_PROFILES = 200_000


class GameTooLarge(ValueError):
    """The normal form of the game is too large for this property."""


class _Occurrences:
    """The tree expanded from the shared form: one entry per node of the game tree."""

    def __init__(self, compiled: CompiledGame):
        if compiled.size[compiled.root] > MAX_TREE_NODES:
            raise GameTooLarge(f"the tree has {compiled.size[compiled.root]} nodes; dominance solvability "
                               f"builds the normal form and is limited to {MAX_TREE_NODES}")
        self.shape: list[int] = []
        self.children: list[tuple[int, ...]] = []
        self.history: list[tuple[str, ...]] = []

        def expand(shape_index: int, history: tuple[str, ...]) -> int:
            occurrence = len(self.shape)
            self.shape.append(shape_index)
            self.children.append(())
            self.history.append(history)
            shape = compiled.shapes[shape_index]
            self.children[occurrence] = tuple(expand(child, history + (action,))
                                              for child, action in zip(shape.children, shape.actions))
            return occurrence

        self.root = expand(compiled.root, ())


class DominanceSolvability(GameProperty):
    name = "dominance_solvability"
    constraint_key = "dominance_solvability"

    def __init__(self, compiled: CompiledGame, history: tuple[str, ...]):
        super().__init__(compiled, history)
        self.tree = _Occurrences(compiled)
        self.plans = [self._plans(player) for player in range(len(self.players))]
        total = 1
        for plans in self.plans:
            total *= len(plans)
        if total > MAX_PROFILES:
            raise GameTooLarge(f"the reduced normal form has {total} strategy profiles; the limit is {MAX_PROFILES}")
        self._outcomes: dict[tuple[int, ...], tuple[int, ...]] = {}

    def _plans(self, player: int) -> list[dict[int, int]]:
        """The reduced strategies of ``player`` as {occurrence: chosen position}."""
        shapes, tree = self.compiled.shapes, self.tree

        def plans(occurrence: int) -> list[tuple[tuple[int, int], ...]]:
            shape = shapes[tree.shape[occurrence]]
            if shape.kind == LEAF:
                return [()]
            per_child = [plans(child) for child in tree.children[occurrence]]
            if shape.kind == DECISION and shape.owner == player:
                result = [((occurrence, position),) + plan
                          for position, child_plans in enumerate(per_child) for plan in child_plans]
            else:
                result = [sum(combination, ()) for combination in product(*per_child)]
            if len(result) > MAX_STRATEGIES_PER_PLAYER:
                raise GameTooLarge(f"player {self.players[player]!r} has more than {MAX_STRATEGIES_PER_PLAYER} "
                                   "reduced strategies")
            return result

        return [dict(plan) for plan in plans(tree.root)]

    def outcome(self, profile: tuple[int, ...]) -> tuple[int, ...]:
        """Value index per player of the play induced by ``profile`` (plan index per player)."""
        cached = self._outcomes.get(profile)
        if cached is not None:
            return cached
        compiled, shapes, tree = self.compiled, self.compiled.shapes, self.tree
        plans = [self.plans[player][index] for player, index in enumerate(profile)]

        def value(occurrence: int) -> tuple[int, ...]:
            shape = shapes[tree.shape[occurrence]]
            if shape.kind == LEAF:
                return shape.payoff
            if shape.kind == DECISION:
                return value(tree.children[occurrence][plans[shape.owner][occurrence]])
            parts = [value(child) for child in tree.children[occurrence]]
            return tuple(weighted(compiled, tree.shape[occurrence], [part[player] for part in parts])
                         for player in range(len(self.players)))

        cached = value(tree.root)
        self._outcomes[profile] = cached
        return cached

    def decide(self, point: Point) -> PointVerdict:
        judge = self.judge(point)
        player_count = len(self.players)
        alive = [list(range(len(plans))) for plans in self.plans]

        def payoff(player: int, own: int, others: tuple[int, ...]) -> int:
            profile = others[:player] + (own,) + others[player:]
            return self.outcome(profile)[player]

        def dominates(player: int, better: int, worse: int, opponents: list[tuple[int, ...]]) -> bool:
            strictly = False
            for others in opponents:
                high, low = payoff(player, better, others), payoff(player, worse, others)
                if not judge.ge(high, low):
                    return False
                if not strictly and not judge.ge(low, high):
                    strictly = True
            return strictly

        rounds = 0
        while True:
            rounds += 1
            removed: list[set[int]] = [set() for _ in range(player_count)]
            for player in range(player_count):
                opponents = list(product(*(alive[other] for other in range(player_count) if other != player)))
                for worse in alive[player]:
                    if any(better != worse and dominates(player, better, worse, opponents) for better in alive[player]):
                        removed[player].add(worse)
            if not any(removed):
                break
            alive = [[plan for plan in alive[player] if plan not in removed[player]] for player in range(player_count)]

        survivors = list(product(*alive))
        details = {"rounds": rounds, "surviving_strategies": {self.players[player]: len(alive[player])
                                                             for player in range(player_count)}}
        for profile in survivors:
            deviation = self._first_deviation(profile)
            if deviation is not None:
                return PointVerdict(False, self._strategy(profile), self._counterexample(point, profile, deviation),
                                    judge.facts, details)
        return PointVerdict(True, self._strategy(survivors[0]), None, judge.facts, details)

    def _first_deviation(self, profile: tuple[int, ...]) -> int | None:
        """Depth of the first honest-history node where ``profile`` leaves the honest history."""
        tree, shapes, path = self.tree, self.compiled.shapes, self.path
        occurrence = tree.root
        for depth, position in enumerate(path.positions):
            shape = shapes[tree.shape[occurrence]]
            if shape.kind == DECISION and self.plans[shape.owner][profile[shape.owner]][occurrence] != position:
                return depth
            occurrence = tree.children[occurrence][position]
        return None

    def _strategy(self, profile: tuple[int, ...]) -> Strategy:
        tree, shapes = self.tree, self.compiled.shapes
        store = StrategyStore()

        def build(occurrence: int) -> int:
            shape = shapes[tree.shape[occurrence]]
            children = tuple(build(child) for child in tree.children[occurrence])
            choice = -1
            if shape.kind == DECISION:
                choice = self.plans[shape.owner][profile[shape.owner]].get(occurrence, 0)
            return store.make(tree.shape[occurrence], choice, children)

        return Strategy(self.compiled, store, build(tree.root))

    def _counterexample(self, point: Point, profile: tuple[int, ...], depth: int) -> Counterexample:
        compiled, shapes, tree, path = self.compiled, self.compiled.shapes, self.tree, self.path
        owner = shapes[path.shapes[depth]].owner
        play: list[str] = []
        occurrence = tree.root
        while shapes[tree.shape[occurrence]].kind != LEAF:
            shape = shapes[tree.shape[occurrence]]
            position = 0 if shape.kind == CHANCE else self.plans[shape.owner][profile[shape.owner]][occurrence]
            play.append(shape.actions[position])
            occurrence = tree.children[occurrence][position]
        name = self.players[owner]
        survived, survived_term = describe_value(compiled, point, self.outcome(profile)[owner])
        honest_value = shapes[path.shapes[-1]].payoff[owner]
        honest, honest_term = describe_value(compiled, point, honest_value)
        return Counterexample(
            property=self.name,
            parameters=point.as_strings(),
            players=(name,),
            deviation=tuple(play),
            deviation_payoff=survived,
            deviation_payoff_term=survived_term,
            honest_play=path.history,
            honest_payoff=honest,
            honest_payoff_term=honest_term,
            relation="a surviving profile leaves the honest history",
            explanation=(
                f"after iterated elimination of weakly dominated strategies a profile survives in which "
                f"{name} leaves the honest history after [{', '.join(path.prefix(depth))}]"
            ),
            details={"node": list(path.prefix(depth))},
        )
