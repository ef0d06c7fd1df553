"""Collusion resilience.

For all parameter values satisfying the constraints there is a strategy profile σ extending
the honest history such that for every non-empty proper subset S of the players, whatever
S does while the others follow σ, S's summed utility is at most S's summed utility under σ
(for games without chance nodes that is S's utility at the honest leaf).

**Without chance nodes** the check is a backward induction over "contexts": when a node of
player q is reached, the coalitions containing q can take any branch there, the others only
σ's branch. ``good(n, T)`` says: some σ on the subtree of n keeps every coalition S ⊇ T at
or below its honest total at every leaf it can reach (with T the players that have already
been allowed to pick freely on the way down). At q's node,
``good(n, T) = OR_c [good(c, T) AND AND_{c' != c} good(c', T ∪ {q})]`` (c forced to the honest
branch on the honest history). There are at most 2^|players| contexts per subtree.

**With chance nodes** S's best deviation is an expectation, so the check keeps, per subtree,
the Pareto frontier of achievable (best deviation value per coalition, σ's value per
player) vectors: exact, and exponential only in how much chance nodes mix the subtrees.
"""

from __future__ import annotations

from itertools import product

from ..logic import Condition, conjunction
from ..model import CHANCE, DECISION, LEAF, mask_players
from ..point import Judge, Point, comparison_atom
from ..strategy import (
    Counterexample, Strategy, StrategyStore, coalition_value, describe_value, play_from, weighted,
)
from .base import GameProperty, PointVerdict


class CollusionResilience(GameProperty):
    name = "collusion_resilience"
    constraint_key = "collusion_resilience"

    def __init__(self, compiled, history):
        super().__init__(compiled, history)
        player_count = len(self.players)
        self.coalitions = list(range(1, (1 << player_count) - 1))  # proper, non-empty
        # for a set T of players (mask): bit k set iff coalition k contains T
        self.supersets_of = [
            sum(1 << position for position, coalition in enumerate(self.coalitions) if coalition & t == t)
            for t in range(1 << player_count)
        ]

    def decide(self, point: Point) -> PointVerdict:
        if self.compiled.contains_chance[self.compiled.root]:
            return self._decide_with_chance(point)
        return self._decide_without_chance(point)

    # ---------------------------------------------------------------- without chance nodes
    def _decide_without_chance(self, point: Point) -> PointVerdict:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        judge = self.judge(point)
        honest_payoff = shapes[path.shapes[-1]].payoff
        honest_totals = [coalition_value(compiled, honest_payoff, coalition) for coalition in self.coalitions]
        bad_masks: dict[int, int] = {}

        def bad_mask(shape_index: int) -> int:
            """Bit k set iff coalition k gets more than its honest total at this leaf."""
            cached = bad_masks.get(shape_index)
            if cached is None:
                payoff = shapes[shape_index].payoff
                cached = 0
                for position, coalition in enumerate(self.coalitions):
                    if judge.gt(coalition_value(compiled, payoff, coalition), honest_totals[position]):
                        cached |= 1 << position
                bad_masks[shape_index] = cached
            return cached

        good_memo: dict[tuple[int, int], int] = {}  # (shape, context) -> chosen position or -1

        def good(shape_index: int, context: int) -> bool:
            return choose(shape_index, context) >= 0

        def choose(shape_index: int, context: int) -> int:
            """A branch making the subtree good in ``context`` (0 at leaves), or -1 if none."""
            key = (shape_index, context)
            cached = good_memo.get(key)
            if cached is not None:
                return cached
            shape = shapes[shape_index]
            result = -1
            if shape.kind == LEAF:
                result = 0 if bad_mask(shape_index) & self.supersets_of[context] == 0 else -1
            else:
                widened = context | (1 << shape.owner)
                for position, child in enumerate(shape.children):
                    if good(child, context) and all(
                        good(other, widened) for other_position, other in enumerate(shape.children)
                        if other_position != position
                    ):
                        result = position
                        break
            good_memo[key] = result
            return result

        def good_on_path(depth: int, context: int) -> bool:
            shape_index = path.shapes[depth]
            if depth == path.last:
                return good(shape_index, context)
            shape = shapes[shape_index]
            honest = path.positions[depth]
            widened = context | (1 << shape.owner)
            return all(good(child, widened) for position, child in enumerate(shape.children)
                       if position != honest) and good_on_path(depth + 1, context)

        holds = good_on_path(0, 0)
        strategy = self._strategy_from_choices(choose)
        if holds:
            return PointVerdict(True, strategy, None, judge.facts)
        counterexample = self._counterexample(point, strategy, judge)
        return PointVerdict(False, strategy, counterexample, judge.facts)

    def _strategy_from_choices(self, choose) -> Strategy:
        """σ top-down: a node reached in context T takes ``choose(n, T)`` (first branch if none)."""
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        store = StrategyStore()
        memo: dict[tuple[int, int], int] = {}

        def off_path(shape_index: int, context: int) -> int:
            key = (shape_index, context)
            cached = memo.get(key)
            if cached is None:
                shape = shapes[shape_index]
                if shape.kind == LEAF:
                    cached = store.make(shape_index, -1, ())
                else:
                    chosen = max(choose(shape_index, context), 0)
                    widened = context | (1 << shape.owner)
                    children = tuple(off_path(child, context if position == chosen else widened)
                                     for position, child in enumerate(shape.children))
                    cached = store.make(shape_index, chosen, children)
                memo[key] = cached
            return cached

        def on_path(depth: int) -> int:
            shape_index = path.shapes[depth]
            if depth == path.last:
                return store.make(shape_index, -1, ())
            shape = shapes[shape_index]
            honest = path.positions[depth]
            widened = 1 << shape.owner
            children = tuple(on_path(depth + 1) if position == honest else off_path(child, widened)
                             for position, child in enumerate(shape.children))
            return store.make(shape_index, honest, children)

        return Strategy(compiled, store, on_path(0))

    # ------------------------------------------------------------------- with chance nodes
    def _decide_with_chance(self, point: Point) -> PointVerdict:
        """Pareto frontiers of (best deviation per coalition, σ's value per player)."""
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        judge = self.judge(point)
        coalitions = self.coalitions
        player_count = len(self.players)
        # A profile: (tuple of best-deviation values per coalition, tuple of σ values per
        # player, provenance) with provenance (choice, tuple of child profiles).

        def dominates(left, right) -> bool:
            return all(judge.ge(b, a) for a, b in zip(left[0], right[0])) and \
                all(judge.ge(a, b) for a, b in zip(left[1], right[1]))

        def prune(profiles):
            kept: list = []
            for candidate in profiles:
                if any(dominates(other, candidate) for other in kept):
                    continue
                kept = [other for other in kept if not dominates(candidate, other)]
                kept.append(candidate)
            return kept

        def combine_decision(shape_index: int, options_per_child, forced: int | None):
            shape = shapes[shape_index]
            owner_bit = 1 << shape.owner
            results = []
            positions = [forced] if forced is not None else range(len(shape.children))
            for chosen in positions:
                others = [options_per_child[position] for position in range(len(shape.children)) if position != chosen]
                for mine in options_per_child[chosen]:
                    for combination in product(*others):
                        deviation = []
                        for index, coalition in enumerate(coalitions):
                            if coalition & owner_bit:
                                candidates = [mine[0][index]] + [other[0][index] for other in combination]
                                deviation.append(judge.maximum(candidates))
                            else:
                                deviation.append(mine[0][index])
                        children = []
                        rest = iter(combination)
                        for position in range(len(shape.children)):
                            children.append(mine if position == chosen else next(rest))
                        results.append((tuple(deviation), mine[1], (chosen, tuple(children))))
            return prune(results)

        def combine_chance(shape_index: int, options_per_child):
            results = []
            for combination in product(*options_per_child):
                deviation = tuple(weighted(compiled, shape_index, [child[0][index] for child in combination])
                                  for index in range(len(coalitions)))
                values = tuple(weighted(compiled, shape_index, [child[1][player] for child in combination])
                               for player in range(player_count))
                results.append((deviation, values, (-1, tuple(combination))))
            return prune(results)

        memo: dict[int, list] = {}

        def frontier(shape_index: int):
            cached = memo.get(shape_index)
            if cached is None:
                shape = shapes[shape_index]
                if shape.kind == LEAF:
                    deviation = tuple(coalition_value(compiled, shape.payoff, coalition) for coalition in coalitions)
                    cached = [(deviation, shape.payoff, (-1, ()))]
                else:
                    options = [frontier(child) for child in shape.children]
                    cached = (combine_chance(shape_index, options) if shape.kind == CHANCE
                              else combine_decision(shape_index, options, None))
                memo[shape_index] = cached
            return cached

        def frontier_on_path(depth: int):
            shape_index = path.shapes[depth]
            if depth == path.last:
                return frontier(shape_index)
            shape = shapes[shape_index]
            honest = path.positions[depth]
            options = [frontier_on_path(depth + 1) if position == honest else frontier(child)
                       for position, child in enumerate(shape.children)]
            if shape.kind == CHANCE:
                return combine_chance(shape_index, options)
            return combine_decision(shape_index, options, honest)

        def satisfied(profile) -> bool:
            return all(judge.ge(coalition_value(compiled, profile[1], coalition), profile[0][index])
                       for index, coalition in enumerate(coalitions))

        profiles = frontier_on_path(0)
        chosen_profile = next((profile for profile in profiles if satisfied(profile)), None)
        strategy = self._strategy_from_profile(chosen_profile if chosen_profile is not None else profiles[0])
        if chosen_profile is not None:
            return PointVerdict(True, strategy, None, judge.facts)
        return PointVerdict(False, strategy, self._counterexample(point, strategy, judge), judge.facts)

    def _strategy_from_profile(self, profile) -> Strategy:
        store = StrategyStore()
        memo: dict[int, int] = {}

        def build(shape_index: int, item) -> int:
            key = id(item)
            if key not in memo:
                choice, children = item[2]
                shape = self.compiled.shapes[shape_index]
                child_nodes = tuple(build(child, child_item) for child, child_item in zip(shape.children, children))
                memo[key] = store.make(shape_index, choice if shape.kind == DECISION else -1, child_nodes)
            return memo[key]

        return Strategy(self.compiled, store, build(self.compiled.root, profile))

    # ------------------------------------------------------------------ regions and reports
    def _best_deviation(self, strategy: Strategy, coalition: int, judge: Judge) -> tuple[dict[int, int], dict[int, int]]:
        """Per strategy node: the coalition's best value and (at its nodes) the branch it takes."""
        compiled, shapes = self.compiled, self.compiled.shapes
        values: dict[int, int] = {}
        branch: dict[int, int] = {}
        for index, node in enumerate(strategy.store.nodes):
            shape = shapes[node.shape]
            if shape.kind == LEAF:
                values[index] = coalition_value(compiled, shape.payoff, coalition)
                continue
            child_values = [values[child] for child in node.children]
            if shape.kind == CHANCE:
                values[index] = weighted(compiled, node.shape, child_values)
            elif coalition >> shape.owner & 1:
                position = judge.argmax(child_values)
                branch[index] = position
                values[index] = child_values[position]
            else:
                values[index] = child_values[node.choice]
        return values, branch

    def _honest_values(self, strategy: Strategy) -> dict[int, tuple[int, ...]]:
        compiled, shapes = self.compiled, self.compiled.shapes
        values: dict[int, tuple[int, ...]] = {}
        for index, node in enumerate(strategy.store.nodes):
            shape = shapes[node.shape]
            if shape.kind == LEAF:
                values[index] = shape.payoff
            elif shape.kind == CHANCE:
                values[index] = tuple(weighted(compiled, node.shape, [values[child][player] for child in node.children])
                                      for player in range(len(self.players)))
            else:
                values[index] = values[node.children[node.choice]]
        return values

    def witness_region(self, verdict: PointVerdict, point: Point) -> Condition:
        """Where no coalition gains against σ: exact without chance nodes (every leaf S can
        reach while the others follow σ is at most S's honest total); with chance nodes the
        coalitions' best replies found at the point are kept."""
        strategy = verdict.strategy
        assert strategy is not None
        compiled, shapes = self.compiled, self.compiled.shapes
        honest = self._honest_values(strategy)[strategy.root]
        parts: list[Condition] = []
        if not compiled.contains_chance[compiled.root]:
            for coalition in self.coalitions:
                total = coalition_value(compiled, honest, coalition)
                reachable: dict[int, frozenset[int]] = {}
                for index, node in enumerate(strategy.store.nodes):
                    shape = shapes[node.shape]
                    if shape.kind == LEAF:
                        reachable[index] = frozenset((coalition_value(compiled, shape.payoff, coalition),))
                    elif coalition >> shape.owner & 1:
                        reachable[index] = frozenset().union(*(reachable[child] for child in node.children))
                    else:
                        reachable[index] = reachable[node.children[node.choice]]
                parts.extend(comparison_atom(compiled.table, total, value, False, False)
                             for value in reachable[strategy.root])
            return conjunction(parts)
        judge = Judge(point)
        for coalition in self.coalitions:
            values, _ = self._best_deviation(strategy, coalition, judge)
            judge.ge(coalition_value(compiled, honest, coalition), values[strategy.root])
        return conjunction(judge.atoms())

    def _counterexample(self, point: Point, strategy: Strategy, judge: Judge) -> Counterexample:
        """The most profitable deviation of the smallest coalition that beats ``strategy``
        (which is the best attempt: at these values no profile extending the honest history
        is collusion resilient)."""
        compiled = self.compiled
        quiet = Judge(point, record=False)
        honest = self._honest_values(strategy)[strategy.root]
        for coalition in sorted(self.coalitions, key=lambda mask: (bin(mask).count("1"), mask)):
            values, branch = self._best_deviation(strategy, coalition, quiet)
            honest_total = coalition_value(compiled, honest, coalition)
            if not quiet.gt(values[strategy.root], honest_total):
                continue
            history: list[str] = []
            current = strategy.root
            while True:
                node = strategy.node(current)
                shape = compiled.shapes[node.shape]
                if shape.kind == LEAF:
                    break
                if shape.kind == CHANCE:
                    position = 0
                elif current in branch:
                    position = branch[current]
                else:
                    position = node.choice
                history.append(shape.actions[position])
                current = node.children[position]
            members = mask_players(coalition, self.players)
            gained, gained_term = describe_value(compiled, point, values[strategy.root])
            kept, kept_term = describe_value(compiled, point, honest_total)
            return Counterexample(
                property=self.name,
                parameters=point.as_strings(),
                players=members,
                deviation=tuple(history),
                deviation_payoff=gained,
                deviation_payoff_term=gained_term,
                honest_play=play_from(compiled, strategy, strategy.root, ()),
                honest_payoff=kept,
                honest_payoff_term=kept_term,
                relation="deviation_payoff > honest_payoff",
                explanation=(
                    f"coalition {{{', '.join(members)}}} gets {gained} in total by deviating, more than "
                    f"its honest {kept}; at these values every strategy extending the honest history "
                    f"can be beaten by some coalition"
                ),
                details={"honest_strategy": strategy.describe(limit=50)},
            )
        raise AssertionError("collusion resilience failed but no coalition gains")
