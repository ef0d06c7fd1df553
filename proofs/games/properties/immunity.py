"""Weak immunity and weaker immunity.

**Weak immunity** (CheckMate): for all parameter values satisfying the constraints there is a
strategy profile σ extending the honest history such that every player p who follows σ gets
utility ``>= 0`` (lexicographically) whatever the other players do. With chance nodes,
"utility" is p's expected utility. **Weaker immunity** asks only the real part to be ``>= 0``
(infinitesimal losses are allowed).

The choice of σ at a node of player q matters only for q's own guarantee (for everyone else
all branches are possible), so the property splits per player: p's best guarantee is a
max-min backward induction (max over p's branches, honest branch forced on the honest
history; min over others' branches; expectation at chance nodes), and the property holds at a
point iff every player's guarantee is ``>= 0``. The witness σ takes at each node its owner's
max-min branch.
"""

from __future__ import annotations

from ..logic import Condition, conjunction
from ..model import CHANCE, DECISION, LEAF
from ..point import Judge, Point, comparison_atom
from ..strategy import Counterexample, Strategy, StrategyStore, describe_value, weighted
from .base import GameProperty, PointVerdict


class WeakImmunity(GameProperty):
    name = "weak_immunity"
    constraint_key = "weak_immunity"
    real_only = False

    def decide(self, point: Point) -> PointVerdict:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        judge = self.judge(point)
        owner_choice: dict[int, int] = {}  # shape -> branch its owner takes (max-min)
        punishment: list[dict[int, int]] = []  # per player: shape -> branch the others take
        guarantees: list[int] = []
        for player in range(len(self.players)):
            memo: dict[int, int] = {}
            punish: dict[int, int] = {}

            def off_path(shape_index: int) -> int:
                cached = memo.get(shape_index)
                if cached is not None:
                    return cached
                shape = shapes[shape_index]
                if shape.kind == LEAF:
                    value = shape.payoff[player]
                else:
                    values = [off_path(child) for child in shape.children]
                    if shape.kind == CHANCE:
                        value = weighted(compiled, shape_index, values)
                    elif shape.owner == player:
                        position = judge.argmax(values)
                        owner_choice[shape_index] = position
                        value = values[position]
                    else:
                        position = judge.argmin(values)
                        punish[shape_index] = position
                        value = values[position]
                memo[shape_index] = value
                return value

            def on_path(depth: int) -> int:
                shape_index = path.shapes[depth]
                shape = shapes[shape_index]
                if depth == path.last:
                    return shape.payoff[player]
                honest = path.positions[depth]
                values = [on_path(depth + 1) if position == honest else off_path(child)
                          for position, child in enumerate(shape.children)]
                if shape.kind == CHANCE:
                    return weighted(compiled, shape_index, values)
                if shape.owner == player:
                    return values[honest]
                position = judge.argmin(values)
                punish[-1 - depth] = position  # negative keys: honest-path depths
                return values[position]

            guarantees.append(on_path(0))
            punishment.append(punish)
        strategy = self._strategy(owner_choice)
        for player, guarantee in enumerate(guarantees):
            if not judge.ge(guarantee, compiled.zero):
                counterexample = self._counterexample(point, player, guarantee, strategy, punishment[player])
                return PointVerdict(False, strategy, counterexample, judge.facts)
        return PointVerdict(True, strategy, None, judge.facts)

    # -- the witness profile ------------------------------------------------------------
    def _strategy(self, owner_choice: dict[int, int]) -> Strategy:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        store = StrategyStore()
        memo: dict[int, int] = {}

        def off_path(shape_index: int) -> int:
            cached = memo.get(shape_index)
            if cached is None:
                shape = shapes[shape_index]
                children = tuple(off_path(child) for child in shape.children)
                choice = owner_choice.get(shape_index, 0) if shape.kind == DECISION else -1
                cached = store.make(shape_index, choice, children)
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
        """Where σ guarantees every player ``>= 0``.

        Without chance nodes this is exact: p's guarantee under σ is the minimum over the
        leaves reachable when p follows σ, so the region says each of those leaf utilities is
        ``>= 0``. With chance nodes the minimising branches found at the point are kept (a
        smaller but sound region).
        """
        strategy = verdict.strategy
        assert strategy is not None
        compiled, shapes = self.compiled, self.compiled.shapes
        nodes = strategy.store.nodes
        parts: list[Condition] = []
        has_chance = compiled.contains_chance[compiled.root]
        judge = Judge(point, real_only=self.real_only)
        for player in range(len(self.players)):
            if not has_chance:
                reachable: dict[int, frozenset[int]] = {}
                for index, node in enumerate(nodes):  # children come before parents
                    shape = shapes[node.shape]
                    if shape.kind == LEAF:
                        reachable[index] = frozenset((shape.payoff[player],))
                    elif shape.owner == player:
                        reachable[index] = reachable[node.children[node.choice]]
                    else:
                        reachable[index] = frozenset().union(*(reachable[child] for child in node.children))
                parts.extend(comparison_atom(compiled.table, value, compiled.zero, False, self.real_only)
                             for value in reachable[strategy.root])
                continue
            values: dict[int, int] = {}
            for index, node in enumerate(nodes):
                shape = shapes[node.shape]
                if shape.kind == LEAF:
                    values[index] = shape.payoff[player]
                    continue
                child_values = [values[child] for child in node.children]
                if shape.kind == CHANCE:
                    values[index] = weighted(compiled, node.shape, child_values)
                elif shape.owner == player:
                    values[index] = child_values[node.choice]
                else:
                    values[index] = judge.minimum(child_values)
            judge.ge(values[strategy.root], compiled.zero)
        parts.extend(judge.atoms())
        return conjunction(parts)

    # -- counterexample -----------------------------------------------------------------
    def _counterexample(self, point: Point, player: int, guarantee: int, strategy: Strategy,
                        punish: dict[int, int]) -> Counterexample:
        compiled, shapes, path = self.compiled, self.compiled.shapes, self.path
        # the play: the player follows its max-min choices, the others punish
        history: list[str] = []
        depth = 0
        shape_index = path.shapes[0]
        on_honest_path = True
        while shapes[shape_index].kind != LEAF:
            shape = shapes[shape_index]
            if shape.kind == CHANCE:
                position = path.positions[depth] if on_honest_path else 0
            elif shape.owner == player:
                position = path.positions[depth] if on_honest_path else strategy_choice(strategy, tuple(history))
            else:
                key = -1 - depth if on_honest_path else shape_index
                position = punish.get(key, 0)
            if on_honest_path and position != path.positions[depth]:
                on_honest_path = False
            history.append(shape.actions[position])
            shape_index = shape.children[position]
            depth += 1
        name = self.players[player]
        value_text, value_term = describe_value(compiled, point, guarantee)
        honest_value = shapes[path.shapes[-1]].payoff[player]
        honest_text, honest_term = describe_value(compiled, point, honest_value)
        others = tuple(other for other in self.players if other != name)
        chance_note = " (expected value over chance)" if compiled.contains_chance[compiled.root] else ""
        kind = "real part of the " if self.real_only else ""
        return Counterexample(
            property=self.name,
            parameters=point.as_strings(),
            players=others,
            payoff_of=(name,),
            deviation=tuple(history),
            deviation_payoff=value_text,
            deviation_payoff_term=value_term,
            honest_play=path.history,
            honest_payoff=honest_text,
            honest_payoff_term=honest_term,
            relation="deviation_payoff < 0",
            explanation=(
                f"{name} follows an honest strategy (its best one at these values), yet "
                f"{', '.join(others) or 'nobody'} can deviate so that the {kind}utility of {name} "
                f"is {value_text}{chance_note} < 0; no strategy extending the honest history "
                f"protects {name} here"
            ),
            details={"victim": name},
        )


def strategy_choice(strategy: Strategy, history: tuple[str, ...]) -> int:
    """The branch position the profile takes after ``history``."""
    compiled = strategy.compiled
    current = strategy.root
    for action in history:
        node = strategy.node(current)
        shape = compiled.shapes[node.shape]
        current = node.children[shape.actions.index(action)]
    return strategy.node(current).choice


class WeakerImmunity(WeakImmunity):
    name = "weaker_immunity"
    constraint_key = "weaker_immunity"
    real_only = True
