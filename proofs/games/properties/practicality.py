"""Practicality: the honest history is the outcome of a subgame-perfect equilibrium.

For all parameter values satisfying the constraints there is a strategy profile σ extending
the honest history that is a subgame-perfect equilibrium: at every decision node, the owner's
(expected) utility of σ's branch, with σ played afterwards, is at least that of every other
branch with σ played afterwards (by the one-shot deviation principle this is equivalent to
every subgame being in Nash equilibrium).

With ties a subtree can have several equilibrium outcomes, and which one σ selects matters
to the players above. At one point the checker computes, for every subtree, the set of value
vectors of all its subgame-perfect equilibria: at q's node, an outcome of branch c survives
iff q's value in it is at least, for every other branch c', the *smallest* value q can get in
an equilibrium of c' (σ may pick the equilibrium of c' that is worst for q); at a chance
node the sets combine by expectation. The property holds at the point iff, along the honest
history, the honest outcome survives at every node.
"""

from __future__ import annotations

from itertools import product

from ..logic import Condition, conjunction
from ..model import CHANCE, LEAF
from ..point import Judge, Point, comparison_atom
from ..strategy import Counterexample, Strategy, StrategyStore, describe_value, play_from, weighted
from .base import GameProperty, PointVerdict

Vector = tuple[int, ...]  # a value index per player


class Practicality(GameProperty):
    name = "practicality"
    constraint_key = "practicality"

    def decide(self, point: Point) -> PointVerdict:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        judge = self.judge(point)
        player_count = len(self.players)
        # outcomes[shape]: equilibrium value vector -> provenance (chosen branch, or the
        # children's vectors at a chance node)
        outcomes: dict[int, dict[Vector, object]] = {}
        lowest: dict[tuple[int, int], Vector] = {}  # (shape, player) -> an outcome worst for player

        def worst_for(shape_index: int, player: int) -> Vector:
            key = (shape_index, player)
            cached = lowest.get(key)
            if cached is None:
                vectors = list(equilibria(shape_index))
                cached = vectors[judge.argmin([vector[player] for vector in vectors])]
                lowest[key] = cached
            return cached

        def survivors(shape_index: int, child_sets: list[dict[Vector, object]], children: list[int],
                      forced: int | None) -> dict[Vector, object]:
            shape = shapes[shape_index]
            owner = shape.owner
            floors = [worst_for(child, owner)[owner] if child >= 0 else None for child in children]
            result: dict[Vector, object] = {}
            positions = [forced] if forced is not None else range(len(children))
            for position in positions:
                rivals = [floor for other, floor in enumerate(floors) if other != position and floor is not None]
                threshold = judge.maximum(rivals) if rivals else None
                for vector in child_sets[position]:
                    if threshold is None or judge.ge(vector[owner], threshold):
                        result.setdefault(vector, position)
            return result

        def expectations(shape_index: int, child_sets: list[dict[Vector, object]]) -> dict[Vector, object]:
            result: dict[Vector, object] = {}
            for combination in product(*child_sets):
                vector = tuple(weighted(compiled, shape_index, [child[player] for child in combination])
                               for player in range(player_count))
                result.setdefault(vector, combination)
            return result

        def equilibria(shape_index: int) -> dict[Vector, object]:
            cached = outcomes.get(shape_index)
            if cached is None:
                shape = shapes[shape_index]
                if shape.kind == LEAF:
                    cached = {shape.payoff: None}
                else:
                    child_sets = [equilibria(child) for child in shape.children]
                    if shape.kind == CHANCE:
                        cached = expectations(shape_index, child_sets)
                    else:
                        cached = survivors(shape_index, child_sets, list(shape.children), None)
                outcomes[shape_index] = cached
            return cached

        path_outcomes: list[dict[Vector, object]] = [dict() for _ in path.shapes]
        path_outcomes[path.last] = {shapes[path.shapes[-1]].payoff: None}
        for depth in reversed(range(path.last)):
            shape_index = path.shapes[depth]
            shape = shapes[shape_index]
            honest = path.positions[depth]
            child_sets = [path_outcomes[depth + 1] if position == honest else equilibria(child)
                          for position, child in enumerate(shape.children)]
            if shape.kind == CHANCE:
                path_outcomes[depth] = expectations(shape_index, child_sets)
                continue
            # the honest branch's own floor is irrelevant: mark it with -1
            children = [-1 if position == honest else child for position, child in enumerate(shape.children)]
            path_outcomes[depth] = survivors(shape_index, child_sets, children, honest)
            if not path_outcomes[depth]:
                counterexample = self._counterexample(point, depth, path_outcomes[depth + 1], worst_for, equilibria)
                return PointVerdict(False, None, counterexample, judge.facts)

        realise = self._realiser(outcomes, worst_for, path_outcomes)
        strategy = realise(next(iter(path_outcomes[0])))
        return PointVerdict(True, strategy, None, judge.facts)

    def _realiser(self, outcomes, worst_for, path_outcomes):
        """A function building σ whose outcome from the root is the given vector."""
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        store = StrategyStore()
        memo: dict[tuple[int, Vector], int] = {}

        def off_path(shape_index: int, vector: Vector) -> int:
            key = (shape_index, vector)
            cached = memo.get(key)
            if cached is None:
                shape = shapes[shape_index]
                if shape.kind == LEAF:
                    cached = store.make(shape_index, -1, ())
                elif shape.kind == CHANCE:
                    combination = outcomes[shape_index][vector]
                    children = tuple(off_path(child, part) for child, part in zip(shape.children, combination))
                    cached = store.make(shape_index, -1, children)
                else:
                    chosen = outcomes[shape_index][vector]
                    children = tuple(
                        off_path(child, vector if position == chosen else worst_for(child, shape.owner))
                        for position, child in enumerate(shape.children))
                    cached = store.make(shape_index, chosen, children)
                memo[key] = cached
            return cached

        def on_path(depth: int, vector: Vector) -> int:
            shape_index = path.shapes[depth]
            shape = shapes[shape_index]
            if depth == path.last:
                return store.make(shape_index, -1, ())
            honest = path.positions[depth]
            if shape.kind == CHANCE:
                combination = path_outcomes[depth][vector]
                children = tuple(on_path(depth + 1, part) if position == honest else off_path(child, part)
                                 for position, (child, part) in enumerate(zip(shape.children, combination)))
                return store.make(shape_index, -1, children)
            children = tuple(
                on_path(depth + 1, vector) if position == honest else off_path(child, worst_for(child, shape.owner))
                for position, child in enumerate(shape.children))
            return store.make(shape_index, honest, children)

        return lambda vector: Strategy(compiled, store, on_path(0, vector))

    def witness_region(self, verdict: PointVerdict, point: Point) -> Condition:
        """Exactly where σ is a subgame-perfect equilibrium: at every decision node the
        owner's value of σ's branch is at least that of each other branch (values under σ)."""
        strategy = verdict.strategy
        assert strategy is not None
        compiled, shapes = self.compiled, self.compiled.shapes
        values: dict[int, tuple[int, ...]] = {}
        pairs: set[tuple[int, int]] = set()
        for index, node in enumerate(strategy.store.nodes):
            shape = shapes[node.shape]
            if shape.kind == LEAF:
                values[index] = shape.payoff
            elif shape.kind == CHANCE:
                values[index] = tuple(weighted(compiled, node.shape, [values[child][player] for child in node.children])
                                      for player in range(len(self.players)))
            else:
                chosen = values[node.children[node.choice]]
                owner = shape.owner
                for position, child in enumerate(node.children):
                    if position != node.choice:
                        pairs.add((chosen[owner], values[child][owner]))
                values[index] = chosen
        return conjunction(comparison_atom(compiled.table, mine, other, False, False) for mine, other in pairs)

    def _counterexample(self, point: Point, depth: int, continuing: dict[Vector, object], worst_for,
                        equilibria) -> Counterexample:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        quiet = Judge(point, record=False)
        shape_index = path.shapes[depth]
        shape = shapes[shape_index]
        owner = shape.owner
        honest = path.positions[depth]
        honest_vectors = list(continuing)
        best_honest = honest_vectors[quiet.argmax([vector[owner] for vector in honest_vectors])]
        rivals = [(position, worst_for(child, owner)) for position, child in enumerate(shape.children)
                  if position != honest]
        position, rival = rivals[quiet.argmax([vector[owner] for _, vector in rivals])]
        # the deviation's continuation: an equilibrium of the deviating branch worst for the owner
        store_strategy = self._realiser_for_subtree(shape.children[position], rival, worst_for, equilibria)
        prefix = path.prefix(depth) + (shape.actions[position],)
        deviation = play_from(compiled, store_strategy, store_strategy.root, prefix)
        name = self.players[owner]
        gained, gained_term = describe_value(compiled, point, rival[owner])
        kept, kept_term = describe_value(compiled, point, best_honest[owner])
        return Counterexample(
            property=self.name,
            parameters=point.as_strings(),
            players=(name,),
            deviation=deviation,
            deviation_payoff=gained,
            deviation_payoff_term=gained_term,
            honest_play=path.history,
            honest_payoff=kept,
            honest_payoff_term=kept_term,
            relation="deviation_payoff > honest_payoff",
            explanation=(
                f"after [{', '.join(path.prefix(depth))}] {name} prefers {shape.actions[position]!r}: every "
                f"subgame-perfect continuation gives {name} at least {gained}, more than the honest {kept}, "
                f"so no subgame-perfect equilibrium follows the honest history"
            ),
            details={"node": list(path.prefix(depth)), "honest_action": shape.actions[honest],
                     "deviating_action": shape.actions[position]},
        )

    def _realiser_for_subtree(self, root_shape: int, vector: Vector, worst_for, equilibria) -> Strategy:
        shapes = self.compiled.shapes
        store = StrategyStore()
        memo: dict[tuple[int, Vector], int] = {}

        def build(shape_index: int, target: Vector) -> int:
            key = (shape_index, target)
            if key in memo:
                return memo[key]
            shape = shapes[shape_index]
            if shape.kind == LEAF:
                result = store.make(shape_index, -1, ())
            elif shape.kind == CHANCE:
                provenance = equilibria(shape_index)[target]
                children = tuple(build(child, part) for child, part in zip(shape.children, provenance))
                result = store.make(shape_index, -1, children)
            else:
                provenance = equilibria(shape_index)[target]
                children = tuple(build(child, target if position == provenance else worst_for(child, shape.owner))
                                 for position, child in enumerate(shape.children))
                result = store.make(shape_index, provenance, children)
            memo[key] = result
            return result

        return Strategy(self.compiled, store, build(root_shape, vector))
