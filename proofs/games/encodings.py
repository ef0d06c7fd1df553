"""Direct Z3 encodings of the properties, written independently of the checkers.

``property_formula(...)`` returns a quantifier-free Z3 formula Φ(σ, x) over the game's
symbols x and one integer variable per decision node of the (fully expanded) tree — the
branch σ takes there (fixed on the honest history). Values are built as nested
``If``-terms (lexicographic pairs of reals), with no reference to the backward-induction
code of :mod:`proofs.games.properties`. It serves as a second opinion:

* a witness σ found by the engine must satisfy Φ(σ, x) on its whole region;
* outside a synthesised region, ``C ∧ ¬region ∧ Φ(σ, x)`` must be unsatisfiable with σ free.

The expanded tree is exponential in depth for shared subtrees, so these encodings are meant
for games of moderate size (``MAX_NODES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Sequence

import z3

from .logic import SymbolContext
from .model import CHANCE, DECISION, LEAF, CompiledGame
from .strategy import Strategy

MAX_NODES = 20_000

Pair = tuple[z3.ArithRef, z3.ArithRef]  # (real part, infinitesimal part)


class EncodingTooLarge(ValueError):
    pass


def _ge(left: Pair, right: Pair, real_only: bool) -> z3.BoolRef:
    if real_only:
        return left[0] >= right[0]
    return z3.Or(left[0] > right[0], z3.And(left[0] == right[0], left[1] >= right[1]))


def _gt(left: Pair, right: Pair, real_only: bool) -> z3.BoolRef:
    return z3.Not(_ge(right, left, real_only))


def _select(condition: z3.BoolRef, left: Pair, right: Pair) -> Pair:
    return (z3.If(condition, left[0], right[0]), z3.If(condition, left[1], right[1]))


def _extremum(values: Sequence[Pair], largest: bool, real_only: bool) -> Pair:
    best = values[0]
    for value in values[1:]:
        keep = _ge(best, value, real_only) if largest else _ge(value, best, real_only)
        best = _select(keep, best, value)
    return best


def _add(left: Pair, right: Pair) -> Pair:
    return (left[0] + right[0], left[1] + right[1])


@dataclass
class _Node:
    shape: int
    children: tuple[int, ...]
    history: tuple[str, ...]


class Encoder:
    """Φ(σ, x) for the properties of one game and honest history."""

    def __init__(self, compiled: CompiledGame, history: Sequence[str], context: SymbolContext):
        if compiled.size[compiled.root] > MAX_NODES:
            raise EncodingTooLarge(f"the tree has {compiled.size[compiled.root]} nodes (limit {MAX_NODES})")
        self.compiled = compiled
        self.context = context
        self.history = tuple(history)
        self.nodes: list[_Node] = []
        self.root = self._expand(compiled.root, ())
        self.choice: dict[int, z3.ArithRef] = {}
        self.honest: dict[int, int] = {}
        node = self.root
        for action in self.history:
            shape = compiled.shapes[self.nodes[node].shape]
            position = shape.actions.index(action)
            if shape.kind == DECISION:
                self.honest[node] = position
            node = self.nodes[node].children[position]
        for index, item in enumerate(self.nodes):
            if compiled.shapes[item.shape].kind == DECISION:
                self.choice[index] = z3.Int(f"choice_{index}")

    def _expand(self, shape_index: int, history: tuple[str, ...]) -> int:
        shape = self.compiled.shapes[shape_index]
        index = len(self.nodes)
        self.nodes.append(_Node(shape_index, (), history))
        children = tuple(self._expand(child, history + (action,)) for child, action in zip(shape.children, shape.actions))
        self.nodes[index] = _Node(shape_index, children, history)
        return index

    # -- strategy variables -------------------------------------------------------------
    def strategy_domain(self) -> list[z3.BoolRef]:
        """Each choice variable names a branch; honest nodes take the honest branch."""
        constraints: list[z3.BoolRef] = []
        for index, variable in self.choice.items():
            branches = len(self.nodes[index].children)
            if index in self.honest:
                constraints.append(variable == self.honest[index])
            else:
                constraints.extend([variable >= 0, variable < branches])
        return constraints

    def fix(self, strategy: Strategy) -> list[z3.BoolRef]:
        """Constraints making the choice variables equal to ``strategy``."""
        constraints: list[z3.BoolRef] = []
        stack = [(self.root, strategy.root)]
        while stack:
            index, strategy_node = stack.pop()
            node = strategy.node(strategy_node)
            if index in self.choice:
                constraints.append(self.choice[index] == node.choice)
            stack.extend(zip(self.nodes[index].children, node.children))
        return constraints

    # -- values -----------------------------------------------------------------------
    def _payoff(self, index: int, player: int) -> Pair:
        value = self.compiled.table[self.compiled.shapes[self.nodes[index].shape].payoff[player]]
        return (self.context.poly(value.real), self.context.poly(value.infinitesimal))

    def _chance(self, index: int, values: Sequence[Pair]) -> Pair:
        shape = self.compiled.shapes[self.nodes[index].shape]
        total: Pair = (z3.RealVal(0), z3.RealVal(0))
        for probability, value in zip(shape.probabilities, values):
            weight = self.context.poly(probability)
            total = _add(total, (weight * value[0], weight * value[1]))
        return total

    def _by_choice(self, index: int, values: Sequence[Pair]) -> Pair:
        result = values[-1]
        for position in reversed(range(len(values) - 1)):
            result = _select(self.choice[index] == position, values[position], result)
        return result

    def value(self, index: int, objective: tuple[int, ...], rule, real_only: bool, memo: dict) -> Pair:
        """Value of the summed utility of ``objective`` players at node ``index``; ``rule(owner)``
        says what happens at a decision node: "sigma", "max" or "min"."""
        if index in memo:
            return memo[index]
        node = self.nodes[index]
        shape = self.compiled.shapes[node.shape]
        if shape.kind == LEAF:
            parts = [self._payoff(index, player) for player in objective]
            result = parts[0]
            for part in parts[1:]:
                result = _add(result, part)
        else:
            values = [self.value(child, objective, rule, real_only, memo) for child in node.children]
            if shape.kind == CHANCE:
                result = self._chance(index, values)
            else:
                how = rule(shape.owner)
                if how == "sigma":
                    result = self._by_choice(index, values)
                else:
                    result = _extremum(values, how == "max", real_only)
        memo[index] = result
        return result

    # -- the properties ---------------------------------------------------------------
    def immunity(self, real_only: bool) -> z3.BoolRef:
        zero: Pair = (z3.RealVal(0), z3.RealVal(0))
        parts = []
        for player in range(len(self.compiled.players)):
            guarantee = self.value(self.root, (player,), lambda owner, p=player: "sigma" if owner == p else "min",
                                   real_only, {})
            parts.append(_ge(guarantee, zero, real_only))
        return z3.And(parts)

    def collusion_resilience(self) -> z3.BoolRef:
        count = len(self.compiled.players)
        parts = []
        for mask in range(1, (1 << count) - 1):
            members = tuple(player for player in range(count) if mask >> player & 1)
            best = self.value(self.root, members, lambda owner, m=mask: "max" if m >> owner & 1 else "sigma",
                              False, {})
            honest = self.value(self.root, members, lambda owner: "sigma", False, {})
            parts.append(_ge(honest, best, False))
        return z3.And(parts)

    def practicality(self) -> z3.BoolRef:
        parts = []
        memos: list[dict] = [{} for _ in self.compiled.players]
        for index, node in enumerate(self.nodes):
            shape = self.compiled.shapes[node.shape]
            if shape.kind != DECISION:
                continue
            owner = shape.owner
            mine = self.value(index, (owner,), lambda _: "sigma", False, memos[owner])
            for child in node.children:
                parts.append(_ge(mine, self.value(child, (owner,), lambda _: "sigma", False, memos[owner]), False))
        return z3.And(parts) if parts else z3.BoolVal(True)

    def honest_dominance(self) -> z3.BoolRef:
        parts = []
        for player in range(len(self.compiled.players)):
            worst_memo: dict = {}
            best_memo: dict = {}
            for index, node in enumerate(self.nodes):
                shape = self.compiled.shapes[node.shape]
                if shape.kind != DECISION or shape.owner != player:
                    continue
                worsts = [self.value(child, (player,), lambda owner, p=player: "sigma" if owner == p else "min",
                                     False, worst_memo) for child in node.children]
                bests = [self.value(child, (player,), lambda _: "max", False, best_memo) for child in node.children]
                chosen = self._by_choice(index, worsts)
                for position in range(len(node.children)):
                    parts.append(z3.Implies(self.choice[index] != position, _ge(chosen, bests[position], False)))
        return z3.And(parts) if parts else z3.BoolVal(True)

    def formula(self, property_name: str) -> z3.BoolRef:
        if property_name == "weak_immunity":
            return self.immunity(False)
        if property_name == "weaker_immunity":
            return self.immunity(True)
        if property_name == "collusion_resilience":
            return self.collusion_resilience()
        if property_name == "practicality":
            return self.practicality()
        if property_name == "honest_dominance":
            return self.honest_dominance()
        if property_name == "dominance_solvability":
            return self.dominance_solvability()
        raise KeyError(property_name)

    # -- dominance solvability (no strategy variables) ---------------------------------
    def dominance_solvability(self, max_profiles: int = 2_000) -> z3.BoolRef:
        """Iterated simultaneous elimination of weakly dominated reduced strategies, unrolled."""
        compiled = self.compiled
        count = len(compiled.players)
        plans = [self._plans(player) for player in range(count)]
        total = 1
        for player_plans in plans:
            total *= len(player_plans)
        if total > max_profiles:
            raise EncodingTooLarge(f"{total} strategy profiles (limit {max_profiles})")
        profiles = list(product(*(range(len(player_plans)) for player_plans in plans)))
        payoff: dict[tuple[int, ...], list[Pair]] = {}
        follows: dict[tuple[int, ...], bool] = {}
        for profile in profiles:
            chosen = [plans[player][profile[player]] for player in range(count)]
            payoff[profile] = [self._play_value(self.root, chosen, player) for player in range(count)]
            follows[profile] = all(chosen[self._owner(index)].get(index) == position
                                   for index, position in self.honest.items())
        alive = [[z3.BoolVal(True) for _ in player_plans] for player_plans in plans]
        rounds = sum(len(player_plans) for player_plans in plans) - count + 1
        for _ in range(rounds):
            next_alive = []
            for player in range(count):
                others = [range(len(plans[other])) for other in range(count) if other != player]
                opponent_profiles = list(product(*others))

                def full(own: int, rest: tuple[int, ...], p: int = player) -> tuple[int, ...]:
                    return rest[:p] + (own,) + rest[p:]

                def opponents_alive(rest: tuple[int, ...], p: int = player) -> z3.BoolRef:
                    names = [other for other in range(count) if other != p]
                    return z3.And([alive[other][plan] for other, plan in zip(names, rest)]) if names else z3.BoolVal(True)

                row = []
                for worse in range(len(plans[player])):
                    dominated = []
                    for better in range(len(plans[player])):
                        if better == worse:
                            continue
                        at_least = z3.And([z3.Implies(opponents_alive(rest), _ge(payoff[full(better, rest)][player],
                                                                                   payoff[full(worse, rest)][player], False))
                                           for rest in opponent_profiles])
                        strictly = z3.Or([z3.And(opponents_alive(rest), _gt(payoff[full(better, rest)][player],
                                                                           payoff[full(worse, rest)][player], False))
                                          for rest in opponent_profiles])
                        dominated.append(z3.And(alive[player][better], at_least, strictly))
                    row.append(z3.And(alive[player][worse], z3.Not(z3.Or(dominated)) if dominated else z3.BoolVal(True)))
                next_alive.append(row)
            alive = next_alive
        return z3.And([z3.Implies(z3.And([alive[player][profile[player]] for player in range(count)]),
                                  z3.BoolVal(follows[profile])) for profile in profiles])

    def _owner(self, index: int) -> int:
        return self.compiled.shapes[self.nodes[index].shape].owner

    def _plans(self, player: int) -> list[dict[int, int]]:
        def plans(index: int) -> list[dict[int, int]]:
            node = self.nodes[index]
            shape = self.compiled.shapes[node.shape]
            if shape.kind == LEAF:
                return [{}]
            per_child = [plans(child) for child in node.children]
            if shape.kind == DECISION and shape.owner == player:
                return [{index: position, **plan} for position, child_plans in enumerate(per_child) for plan in child_plans]
            result = []
            for combination in product(*per_child):
                merged: dict[int, int] = {}
                for plan in combination:
                    merged.update(plan)
                result.append(merged)
            return result

        return plans(self.root)

    def _play_value(self, index: int, chosen: list[dict[int, int]], player: int) -> Pair:
        node = self.nodes[index]
        shape = self.compiled.shapes[node.shape]
        if shape.kind == LEAF:
            return self._payoff(index, player)
        if shape.kind == DECISION:
            return self._play_value(node.children[chosen[shape.owner][index]], chosen, player)
        return self._chance(index, [self._play_value(child, chosen, player) for child in node.children])
