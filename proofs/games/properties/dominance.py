"""Dominance of the honest strategy, per player.

**Definition.** For all parameter values satisfying the constraints there is a strategy
profile σ extending the honest history such that, for every player p and *every* node n of p
(on or off the honest history), σ's branch c at n is at least as good for p as any other
branch c', whatever the others do:

    min over the others' behaviour of p's (expected) utility after c, p following σ
    >=  max over everybody's behaviour of p's (expected) utility after c'.

Since the subtrees after c and c' are disjoint, "whatever the others do" splits into an
independent worst case after c and best case after c', so this is exactly the statement
that following σ from n on is a weakly dominant strategy for p in the subgame at n — for
every subgame, not only the ones σ reaches (a "subgame-dominant" honest strategy). On the
honest history σ's branch is the honest action.

**Algorithm.** Per player p, one backward pass computes ``best(n)`` (max over all branches,
expectation at chance nodes) and ``worst(n)`` (p follows σ, min over others' branches). At p's
node the admissible branches are those with ``worst(c) >= best(c')`` for all ``c' != c``; if
two are admissible their worst values coincide, so ``worst(n)`` is well defined. The
property fails at a point iff some node of some player has no admissible branch (or the
honest branch is not admissible on the honest history).
"""

from __future__ import annotations

from ..logic import Condition, conjunction
from ..model import CHANCE, DECISION, LEAF
from ..point import Judge, Point, comparison_atom
from ..strategy import Counterexample, Strategy, StrategyStore, describe_value, weighted
from .base import GameProperty, PointVerdict


class HonestDominance(GameProperty):
    name = "honest_dominance"
    constraint_key = "honest_dominance"

    def decide(self, point: Point) -> PointVerdict:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        judge = self.judge(point)
        choice: dict[int, int] = {}  # shape -> branch σ takes (owner's admissible branch)
        failures: list[dict[str, object]] = []
        per_player: dict[str, str] = {}
        for player in range(len(self.players)):
            memo: dict[int, tuple[int, int]] = {}
            worst_branch: dict[int, int] = {}
            best_branch: dict[int, int] = {}
            where: dict[int, tuple[str, ...]] = {}
            player_failures: list[dict[str, object]] = []

            def admissible(shape_index: int, pairs: list[tuple[int, int]], forced: int | None,
                           history: tuple[str, ...]) -> int:
                """σ's branch at a node of ``player``; records a failure if none is admissible."""
                candidates = [forced] if forced is not None else list(range(len(pairs)))
                for position in candidates:
                    rivals = [pairs[other][1] for other in range(len(pairs)) if other != position]
                    if not rivals or judge.ge(pairs[position][0], judge.maximum(rivals)):
                        return position
                attempt = forced if forced is not None else judge.argmax([worst for worst, _ in pairs])
                rival_positions = [other for other in range(len(pairs)) if other != attempt]
                rival = rival_positions[judge.argmax([pairs[other][1] for other in rival_positions])]
                player_failures.append({"shape": shape_index, "history": history, "attempt": attempt,
                                        "rival": rival, "worst": pairs[attempt][0], "best": pairs[rival][1],
                                        "worst_branch": worst_branch, "best_branch": best_branch})
                return attempt

            def combine(shape_index: int, pairs: list[tuple[int, int]], forced: int | None,
                        history: tuple[str, ...]) -> tuple[int, int]:
                shape = shapes[shape_index]
                worsts = [worst for worst, _ in pairs]
                bests = [best for _, best in pairs]
                if shape.kind == CHANCE:
                    return weighted(compiled, shape_index, worsts), weighted(compiled, shape_index, bests)
                best_position = judge.argmax(bests)
                if forced is None:
                    best_branch[shape_index] = best_position
                if shape.owner == player:
                    position = admissible(shape_index, pairs, forced, history)
                    if forced is None:
                        choice[shape_index] = position
                    return worsts[position], bests[best_position]
                position = judge.argmin(worsts)
                if forced is None:
                    worst_branch[shape_index] = position
                return worsts[position], bests[best_position]

            def off_path(shape_index: int, history: tuple[str, ...]) -> tuple[int, int]:
                cached = memo.get(shape_index)
                if cached is None:
                    shape = shapes[shape_index]
                    where[shape_index] = history
                    if shape.kind == LEAF:
                        cached = (shape.payoff[player], shape.payoff[player])
                    else:
                        pairs = [off_path(child, history + (action,))
                                 for child, action in zip(shape.children, shape.actions)]
                        cached = combine(shape_index, pairs, None, history)
                    memo[shape_index] = cached
                return cached

            def on_path(depth: int) -> tuple[int, int]:
                shape_index = path.shapes[depth]
                shape = shapes[shape_index]
                if depth == path.last:
                    return shape.payoff[player], shape.payoff[player]
                honest = path.positions[depth]
                history = path.prefix(depth)
                pairs = [on_path(depth + 1) if position == honest else off_path(child, history + (action,))
                         for position, (child, action) in enumerate(zip(shape.children, shape.actions))]
                forced = honest if shape.kind == DECISION else None
                return combine(shape_index, pairs, forced, history)

            on_path(0)
            per_player[self.players[player]] = "fails" if player_failures else "holds"
            for failure in player_failures:
                failure["player"] = player
            failures.extend(player_failures)
        strategy = self._strategy(choice)
        details: dict[str, object] = {"players": per_player}
        if not failures:
            return PointVerdict(True, strategy, None, judge.facts, details)
        counterexample = self._counterexample(point, failures[0], strategy, per_player)
        return PointVerdict(False, strategy, counterexample, judge.facts, details)

    def _strategy(self, choice: dict[int, int]) -> Strategy:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        store = StrategyStore()
        memo: dict[int, int] = {}

        def off_path(shape_index: int) -> int:
            cached = memo.get(shape_index)
            if cached is None:
                shape = shapes[shape_index]
                children = tuple(off_path(child) for child in shape.children)
                cached = store.make(shape_index, choice.get(shape_index, 0) if shape.kind == DECISION else -1, children)
                memo[shape_index] = cached
            return cached

        def on_path(depth: int) -> int:
            shape_index = path.shapes[depth]
            shape = shapes[shape_index]
            if depth == path.last:
                return store.make(shape_index, -1, ())
            honest = path.positions[depth]
            children = tuple(on_path(depth + 1) if position == honest else off_path(child)
                             for position, child in enumerate(shape.children))
            return store.make(shape_index, honest if shape.kind == DECISION else -1, children)

        return Strategy(compiled, store, on_path(0))

    def witness_region(self, verdict: PointVerdict, point: Point) -> Condition:
        """Where σ's branch is admissible at every node of every player. Without chance nodes
        this is exact: every leaf p can reach after σ's branch (p following σ) is worth at least
        every leaf after any other branch. With chance nodes the extremal branches found at the
        point are kept."""
        strategy = verdict.strategy
        assert strategy is not None
        compiled, shapes = self.compiled, self.compiled.shapes
        nodes = strategy.store.nodes
        if compiled.contains_chance[compiled.root]:
            return self._chance_region(strategy, point)
        pairs: set[tuple[int, int]] = set()
        for player in range(len(self.players)):
            reachable: dict[int, frozenset[int]] = {}
            everything: dict[int, frozenset[int]] = {}
            for index, node in enumerate(nodes):
                shape = shapes[node.shape]
                if shape.kind == LEAF:
                    reachable[index] = everything[index] = frozenset((shape.payoff[player],))
                    continue
                everything[index] = frozenset().union(*(everything[child] for child in node.children))
                if shape.owner == player:
                    chosen = node.children[node.choice]
                    reachable[index] = reachable[chosen]
                    for position, child in enumerate(node.children):
                        if position != node.choice:
                            pairs.update((mine, theirs) for mine in reachable[chosen] for theirs in everything[child])
                else:
                    reachable[index] = frozenset().union(*(reachable[child] for child in node.children))
        return conjunction(comparison_atom(compiled.table, mine, theirs, False, False) for mine, theirs in pairs)

    def _chance_region(self, strategy: Strategy, point: Point) -> Condition:
        compiled, shapes = self.compiled, self.compiled.shapes
        judge = Judge(point)
        for player in range(len(self.players)):
            worst: dict[int, int] = {}
            best: dict[int, int] = {}
            for index, node in enumerate(strategy.store.nodes):
                shape = shapes[node.shape]
                if shape.kind == LEAF:
                    worst[index] = best[index] = shape.payoff[player]
                    continue
                worsts = [worst[child] for child in node.children]
                bests = [best[child] for child in node.children]
                if shape.kind == CHANCE:
                    worst[index] = weighted(compiled, node.shape, worsts)
                    best[index] = weighted(compiled, node.shape, bests)
                    continue
                best[index] = judge.maximum(bests)
                if shape.owner == player:
                    worst[index] = worsts[node.choice]
                    for position in range(len(node.children)):
                        if position != node.choice:
                            judge.ge(worsts[node.choice], bests[position])
                else:
                    worst[index] = judge.minimum(worsts)
        return conjunction(judge.atoms())

    def _counterexample(self, point: Point, failure: dict, strategy: Strategy,
                        per_player: dict[str, str]) -> Counterexample:
        compiled, shapes = self.compiled, self.compiled.shapes
        player = failure["player"]
        shape = shapes[failure["shape"]]
        history = failure["history"]
        worst_branch, best_branch = failure["worst_branch"], failure["best_branch"]

        def play(start_shape: int, prefix: tuple[str, ...], pick) -> tuple[str, ...]:
            actions = list(prefix)
            current = start_shape
            while shapes[current].kind != LEAF:
                node = shapes[current]
                position = pick(current, node)
                actions.append(node.actions[position])
                current = node.children[position]
            return tuple(actions)

        def worst_pick(shape_index: int, node) -> int:
            if node.kind == CHANCE:
                return 0
            if node.owner == player:
                return strategy_choice_for_shape(strategy, shape_index, compiled)
            return worst_branch.get(shape_index, 0)

        def best_pick(shape_index: int, node) -> int:
            return 0 if node.kind == CHANCE else best_branch.get(shape_index, 0)

        attempt, rival = failure["attempt"], failure["rival"]
        honest_play = play(shape.children[attempt], history + (shape.actions[attempt],), worst_pick)
        deviation = play(shape.children[rival], history + (shape.actions[rival],), best_pick)
        name = self.players[player]
        gained, gained_term = describe_value(compiled, point, failure["best"])
        kept, kept_term = describe_value(compiled, point, failure["worst"])
        return Counterexample(
            property=self.name,
            parameters=point.as_strings(),
            players=(name,),
            deviation=deviation,
            deviation_payoff=gained,
            deviation_payoff_term=gained_term,
            honest_play=honest_play,
            honest_payoff=kept,
            honest_payoff_term=kept_term,
            relation="deviation_payoff > honest_payoff",
            explanation=(
                f"at [{', '.join(history)}] no branch dominates for {name}: after "
                f"{shape.actions[attempt]!r} the others can hold {name} to {kept}, while after "
                f"{shape.actions[rival]!r} {name} can get {gained}"
            ),
            details={"node": list(history), "players": per_player},
        )


def strategy_choice_for_shape(strategy: Strategy, shape_index: int, compiled) -> int:
    for node in strategy.store.nodes:
        if node.shape == shape_index and node.choice >= 0:
            return node.choice
    return 0
