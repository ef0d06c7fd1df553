"""A deliberately naive reference: the properties by their definitions, at one point.

Every pure strategy profile of the (small) game is enumerated; each property is evaluated
literally from its definition ("for every strategy of the others ...") with exact Fractions.
Nothing here is shared with :mod:`proofs.games.properties`; the tests compare the two.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from typing import Iterator, Mapping

from proofs.games.model import Chance, Decision, Game, Leaf, Node

Value = tuple[Fraction, Fraction]


class Tree:
    """The game tree with numbered decision nodes."""

    def __init__(self, game: Game):
        self.game = game
        self.decisions: list[Decision] = []
        self.number: dict[int, int] = {}
        self.owner: list[str] = []
        self.histories: list[tuple[str, ...]] = []
        stack: list[tuple[Node, tuple[str, ...]]] = [(game.tree, ())]
        while stack:
            node, history = stack.pop()
            if isinstance(node, Decision):
                self.number[id(node)] = len(self.decisions)
                self.decisions.append(node)
                self.owner.append(node.player)
                self.histories.append(history)
            if not isinstance(node, Leaf):
                stack.extend((branch.child, history + (branch.action,)) for branch in node.branches)

    def profiles(self) -> Iterator[tuple[int, ...]]:
        return product(*(range(len(node.branches)) for node in self.decisions))

    def honest_profiles(self, history: tuple[str, ...]) -> Iterator[tuple[int, ...]]:
        fixed: dict[int, int] = {}
        node: Node = self.game.tree
        for action in history:
            assert not isinstance(node, Leaf)
            position = [branch.action for branch in node.branches].index(action)
            if isinstance(node, Decision):
                fixed[self.number[id(node)]] = position
            node = node.branches[position].child
        for profile in self.profiles():
            if all(profile[index] == position for index, position in fixed.items()):
                yield profile


def leaf_value(leaf: Leaf, player: str, values: Mapping[str, Fraction]) -> Value:
    term = leaf.utility(player).value
    return (term.real.evaluate(values, Fraction(1)), term.infinitesimal.evaluate(values, Fraction(1)))


def play_value(tree: Tree, node: Node, profile: tuple[int, ...], players: tuple[str, ...],
               values: Mapping[str, Fraction]) -> Value:
    """Summed (expected) value of ``players`` from ``node`` when everyone follows ``profile``."""
    if isinstance(node, Leaf):
        real = sum((leaf_value(node, player, values)[0] for player in players), Fraction(0))
        infinitesimal = sum((leaf_value(node, player, values)[1] for player in players), Fraction(0))
        return (real, infinitesimal)
    if isinstance(node, Decision):
        return play_value(tree, node.branches[profile[tree.number[id(node)]]].child, profile, players, values)
    assert isinstance(node, Chance)
    real = infinitesimal = Fraction(0)
    for branch in node.branches:
        weight = branch.probability.value.real.evaluate(values, Fraction(1))
        part = play_value(tree, branch.child, profile, players, values)
        real += weight * part[0]
        infinitesimal += weight * part[1]
    return (real, infinitesimal)


def agree(tree: Tree, first: tuple[int, ...], second: tuple[int, ...], players: set[str]) -> bool:
    return all(first[index] == second[index] for index in range(len(first)) if tree.owner[index] in players)


def key(value: Value, real_only: bool) -> tuple[Fraction, ...]:
    return value[:1] if real_only else value


def immune(tree: Tree, sigma: tuple[int, ...], values: Mapping[str, Fraction], real_only: bool) -> bool:
    zero = (Fraction(0),) * (1 if real_only else 2)
    for player in tree.game.players:
        for tau in tree.profiles():
            if agree(tree, sigma, tau, {player}):
                if key(play_value(tree, tree.game.tree, tau, (player,), values), real_only) < zero:
                    return False
    return True


def collusion_resilient(tree: Tree, sigma: tuple[int, ...], values: Mapping[str, Fraction]) -> bool:
    players = tree.game.players
    for mask in range(1, (1 << len(players)) - 1):
        coalition = tuple(player for index, player in enumerate(players) if mask >> index & 1)
        others = set(players) - set(coalition)
        honest = play_value(tree, tree.game.tree, sigma, coalition, values)
        for tau in tree.profiles():
            if agree(tree, sigma, tau, others) and play_value(tree, tree.game.tree, tau, coalition, values) > honest:
                return False
    return True


def subgame_perfect(tree: Tree, sigma: tuple[int, ...], values: Mapping[str, Fraction]) -> bool:
    for index, node in enumerate(tree.decisions):
        owner = (node.player,)
        chosen = play_value(tree, node, sigma, owner, values)
        for position in range(len(node.branches)):
            deviated = sigma[:index] + (position,) + sigma[index + 1:]
            if play_value(tree, node, deviated, owner, values) > chosen:
                return False
    return True


def honest_dominant(tree: Tree, sigma: tuple[int, ...], values: Mapping[str, Fraction]) -> bool:
    """In the subgame at every node n of every player p, σ's part for p is weakly dominant:
    for every behaviour of the others and every alternative of p, following σ is at least
    as good for p."""
    for node in tree.decisions:
        player = node.player
        for tau in tree.profiles():  # tau: the others' behaviour and p's alternative at once
            mine = tuple(sigma[i] if tree.owner[i] == player else tau[i] for i in range(len(sigma)))
            if key(play_value(tree, node, tau, (player,), values), False) > play_value(tree, node, mine, (player,), values):
                return False
    return True


def decide(game: Game, history: tuple[str, ...], property_name: str, values: Mapping[str, Fraction]) -> bool:
    """∃σ extending the honest history with the property at ``values``."""
    tree = Tree(game)
    test = {
        "weak_immunity": lambda sigma: immune(tree, sigma, values, False),
        "weaker_immunity": lambda sigma: immune(tree, sigma, values, True),
        "collusion_resilience": lambda sigma: collusion_resilient(tree, sigma, values),
        "practicality": lambda sigma: subgame_perfect(tree, sigma, values),
        "honest_dominance": lambda sigma: honest_dominant(tree, sigma, values),
    }[property_name]
    return any(test(sigma) for sigma in tree.honest_profiles(history))
