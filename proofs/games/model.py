"""Finite extensive-form games with symbolic utilities, and their compiled (shared) form.

A :class:`Game` is what a game file says: players, actions, symbolic constants and
infinitesimals, constraints, honest histories and a tree of

* :class:`Decision` nodes — a player chooses one of the outgoing branches;
* :class:`Chance` nodes — nature picks a branch with a symbolic probability (an extension of
  CheckMate's format);
* :class:`Leaf` nodes — a utility per player.

:func:`compile_game` turns the tree into a :class:`CompiledGame`: identical subtrees are
shared (hash-consing), utilities are interned in a value table, so that the property
algorithms work once per distinct subtree. A 21,688-node routing game has 396 distinct
subtrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

from .logic import Atom
from .terms import LexValue, Poly, Formula

PROPERTY_CONSTRAINT_KEYS = ("weak_immunity", "weaker_immunity", "collusion_resilience", "practicality")


@dataclass(frozen=True)
class Term:
    """A utility or probability term: the text as written and its parsed value."""

    source: str | int | float
    value: LexValue


@dataclass(frozen=True)
class Constraint:
    source: str
    formula: Formula


@dataclass(frozen=True)
class Leaf:
    utilities: tuple[tuple[str, Term], ...]  # (player, term) in the order written

    def utility(self, player: str) -> Term:
        for name, term in self.utilities:
            if name == player:
                return term
        raise KeyError(player)


@dataclass(frozen=True)
class Branch:
    action: str
    child: "Node"


@dataclass(frozen=True)
class Decision:
    player: str
    branches: tuple[Branch, ...]


@dataclass(frozen=True)
class ChanceBranch:
    action: str
    probability: Term  # a real term (no infinitesimals)
    child: "Node"


@dataclass(frozen=True)
class Chance:
    branches: tuple[ChanceBranch, ...]


Node = Union[Leaf, Decision, Chance]


@dataclass(frozen=True)
class Game:
    players: tuple[str, ...]
    actions: tuple[str, ...]
    constants: tuple[str, ...]
    infinitesimals: tuple[str, ...]
    initial_constraints: tuple[Constraint, ...]
    property_constraints: tuple[tuple[str, tuple[Constraint, ...]], ...]
    honest_histories: tuple[tuple[str, ...], ...]
    tree: Node
    name: str = field(default="game", compare=False)

    def constraints_for(self, property_name: str) -> tuple[Constraint, ...]:
        """Initial constraints plus those listed for ``property_name`` (none if not listed)."""
        extra = dict(self.property_constraints).get(property_name, ())
        return self.initial_constraints + extra

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.constants + self.infinitesimals


def iter_nodes(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Decision):
            stack.extend(branch.child for branch in reversed(current.branches))
        elif isinstance(current, Chance):
            stack.extend(branch.child for branch in reversed(current.branches))


def count_nodes(node: Node) -> int:
    return sum(1 for _ in iter_nodes(node))




# ---------------------------------------------------------------------------- compiled form
LEAF, DECISION, CHANCE = 0, 1, 2


class ValueTable:
    """Interned lexicographic values; the property algorithms refer to values by index."""

    def __init__(self) -> None:
        self.values: list[LexValue] = []
        self._index: dict[LexValue, int] = {}
        self._sums: dict[tuple[int, ...], int] = {}
        self._weighted: dict[tuple[tuple[Poly, int], ...], int] = {}
        self.atom_cache: dict[tuple[int, int, bool, bool], Atom] = {}  # see point.comparison_atom

    def intern(self, value: LexValue) -> int:
        index = self._index.get(value)
        if index is None:
            index = len(self.values)
            self.values.append(value)
            self._index[value] = index
        return index

    def __getitem__(self, index: int) -> LexValue:
        return self.values[index]

    def __len__(self) -> int:
        return len(self.values)

    def sum(self, indices: tuple[int, ...]) -> int:
        """Index of the sum of the given values (memoised; order matters only for the key)."""
        index = self._sums.get(indices)
        if index is None:
            total = LexValue(Poly(), Poly())
            for part in indices:
                total = total + self.values[part]
            index = self.intern(total)
            self._sums[indices] = index
        return index

    def weighted_sum(self, weighted: tuple[tuple[Poly, int], ...]) -> int:
        """Index of sum(probability * value) — an expected utility at a chance node."""
        index = self._weighted.get(weighted)
        if index is None:
            total = LexValue(Poly(), Poly())
            for probability, part in weighted:
                total = total + self.values[part].times(probability)
            index = self.intern(total)
            self._weighted[weighted] = index
        return index


@dataclass(frozen=True)
class Shape:
    """One distinct subtree. ``children``/``actions``/``probabilities`` are parallel tuples."""

    kind: int
    owner: int  # player index at decision nodes, -1 otherwise
    children: tuple[int, ...]
    actions: tuple[str, ...]
    probabilities: tuple[Poly, ...]  # chance nodes only
    payoff: tuple[int, ...]  # leaves only: value index per player (in game.players order)


@dataclass
class CompiledGame:
    game: Game
    shapes: list[Shape]
    root: int
    table: ValueTable
    zero: int  # value index of 0
    size: list[int]  # number of tree nodes in each shape (with multiplicity)
    contains_chance: list[bool]

    @property
    def players(self) -> tuple[str, ...]:
        return self.game.players

    def child_by_action(self, shape_index: int, action: str) -> int:
        shape = self.shapes[shape_index]
        return shape.actions.index(action)

    def follow(self, history: tuple[str, ...] | list[str]) -> list[int]:
        """Shapes along ``history`` from the root (inclusive of the node it ends at)."""
        path = [self.root]
        for action in history:
            shape = self.shapes[path[-1]]
            if action not in shape.actions:
                raise KeyError(action)
            path.append(shape.children[shape.actions.index(action)])
        return path


def compile_game(game: Game) -> CompiledGame:
    table = ValueTable()
    zero = table.intern(LexValue(Poly(), Poly()))
    shapes: list[Shape] = []
    index_of: dict[Shape, int] = {}
    size: list[int] = []
    contains_chance: list[bool] = []
    player_index = {player: index for index, player in enumerate(game.players)}

    def add(shape: Shape, nodes: int, chance: bool) -> int:
        existing = index_of.get(shape)
        if existing is not None:
            return existing
        index_of[shape] = len(shapes)
        shapes.append(shape)
        size.append(nodes)
        contains_chance.append(chance)
        return len(shapes) - 1

    def build(node: Node) -> int:
        if isinstance(node, Leaf):
            payoff = tuple(table.intern(node.utility(player).value) for player in game.players)
            return add(Shape(LEAF, -1, (), (), (), payoff), 1, False)
        children = tuple(build(branch.child) for branch in node.branches)
        actions = tuple(branch.action for branch in node.branches)
        nodes = 1 + sum(size[child] for child in children)
        chance_below = any(contains_chance[child] for child in children)
        if isinstance(node, Decision):
            shape = Shape(DECISION, player_index[node.player], children, actions, (), ())
            return add(shape, nodes, chance_below)
        probabilities = tuple(branch.probability.value.real for branch in node.branches)
        return add(Shape(CHANCE, -1, children, actions, probabilities, ()), nodes, True)

    root = _with_recursion_limit(game.tree, build)
    return CompiledGame(game, shapes, root, table, zero, size, contains_chance)


def _with_recursion_limit(tree: Node, build) -> int:
    """Run ``build`` with a recursion limit that fits deep trees."""
    import sys

    depth = _depth(tree)
    limit = sys.getrecursionlimit()
    if depth * 3 + 100 > limit:
        sys.setrecursionlimit(depth * 3 + 100)
    return build(tree)


def _depth(tree: Node) -> int:
    deepest = 0
    stack: list[tuple[Node, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, (Decision, Chance)):
            stack.extend((branch.child, depth + 1) for branch in node.branches)
    return deepest



def mask_players(mask: int, players: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(player for index, player in enumerate(players) if mask >> index & 1)
