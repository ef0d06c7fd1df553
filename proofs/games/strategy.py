"""Strategy profiles over a compiled (shared) game tree, and shared analysis helpers.

A strategy profile picks one branch at every decision node of the tree. Identical subtrees
often get identical choices, so a profile is stored as a DAG of :class:`StrategyNode`
(shape, chosen position, strategy nodes of the children), interned in a
:class:`StrategyStore`; a 21,688-node game's profile takes a few hundred entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from .model import DECISION, LEAF, CompiledGame
from .point import Point, format_lex


@dataclass(frozen=True)
class StrategyNode:
    shape: int
    choice: int  # chosen child position at a decision node, -1 elsewhere
    children: tuple[int, ...]  # strategy node ids, one per child


class StrategyStore:
    def __init__(self) -> None:
        self.nodes: list[StrategyNode] = []
        self._index: dict[StrategyNode, int] = {}

    def make(self, shape: int, choice: int, children: tuple[int, ...]) -> int:
        node = StrategyNode(shape, choice, children)
        existing = self._index.get(node)
        if existing is None:
            existing = len(self.nodes)
            self.nodes.append(node)
            self._index[node] = existing
        return existing


@dataclass
class Strategy:
    """A strategy profile: ``store.nodes[root]`` is the strategy node at the game's root."""

    compiled: CompiledGame
    store: StrategyStore
    root: int

    def node(self, index: int) -> StrategyNode:
        return self.store.nodes[index]

    def action_at(self, history: tuple[str, ...]) -> str | None:
        """The action chosen after ``history`` (None at leaves and chance nodes)."""
        current = self.root
        for action in history:
            node = self.node(current)
            shape = self.compiled.shapes[node.shape]
            current = node.children[shape.actions.index(action)]
        node = self.node(current)
        shape = self.compiled.shapes[node.shape]
        return shape.actions[node.choice] if shape.kind == DECISION else None

    def assignments(self) -> Iterator[tuple[tuple[str, ...], str, str]]:
        """(history, player, action) for every decision node of the tree, in pre-order."""
        players = self.compiled.players
        stack: list[tuple[int, tuple[str, ...]]] = [(self.root, ())]
        while stack:
            current, history = stack.pop()
            node = self.node(current)
            shape = self.compiled.shapes[node.shape]
            if shape.kind == DECISION:
                yield history, players[shape.owner], shape.actions[node.choice]
            for position in reversed(range(len(node.children))):
                stack.append((node.children[position], history + (shape.actions[position],)))

    def decision_count(self) -> int:
        counts: dict[int, int] = {}
        for index, node in enumerate(self.store.nodes):  # children have smaller ids
            shape = self.compiled.shapes[node.shape]
            counts[index] = (1 if shape.kind == DECISION else 0) + sum(counts[child] for child in node.children)
        return counts[self.root]

    def describe(self, limit: int | None = 200) -> dict[str, str]:
        """``"[a, b] (player)": "action"`` for the first ``limit`` decision nodes."""
        result: dict[str, str] = {}
        for history, player, action in self.assignments():
            if limit is not None and len(result) >= limit:
                break
            result[f"[{', '.join(history)}] ({player})"] = action
        return result


class HonestPath:
    """The shapes along an honest history and the position of each honest action."""

    def __init__(self, compiled: CompiledGame, history: tuple[str, ...]):
        self.history = tuple(history)
        try:
            self.shapes = compiled.follow(self.history)
        except (KeyError, IndexError):
            raise ValueError(f"history {list(history)} is not a path of the game") from None
        self.positions = [
            compiled.shapes[shape].actions.index(action) for shape, action in zip(self.shapes, self.history)
        ]
        if compiled.shapes[self.shapes[-1]].kind != LEAF:
            raise ValueError(f"history {list(history)} does not end at a leaf")

    @property
    def last(self) -> int:
        return len(self.shapes) - 1

    def prefix(self, depth: int) -> tuple[str, ...]:
        return self.history[:depth]


@dataclass
class Counterexample:
    """Concrete parameter values at which a property fails, with the offending deviation.

    ``players`` deviate; ``deviation`` is the full play (actions from the root) after the
    deviation, and ``deviation_payoff`` what ``payoff_of`` get there in total (the deviators
    themselves, except for immunity, where it is the victim); ``honest_play``/``honest_payoff``
    is the play it is compared with. ``relation`` says which comparison breaks the property,
    e.g. ``"deviation_payoff > honest_payoff"`` or ``"deviation_payoff < 0"``.
    """

    property: str
    parameters: dict[str, str]
    players: tuple[str, ...]
    deviation: tuple[str, ...]
    deviation_payoff: str
    deviation_payoff_term: str
    honest_play: tuple[str, ...]
    honest_payoff: str
    honest_payoff_term: str
    relation: str
    explanation: str
    details: dict[str, object] = field(default_factory=dict)
    payoff_of: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.payoff_of:
            self.payoff_of = self.players

    def as_dict(self) -> dict[str, object]:
        return {
            "parameters": self.parameters,
            "players": list(self.players),
            "payoff_of": list(self.payoff_of),
            "deviation": list(self.deviation),
            "deviation_payoff": self.deviation_payoff,
            "deviation_payoff_term": self.deviation_payoff_term,
            "honest_play": list(self.honest_play),
            "honest_payoff": self.honest_payoff,
            "honest_payoff_term": self.honest_payoff_term,
            "relation": self.relation,
            "explanation": self.explanation,
            **({"details": self.details} if self.details else {}),
        }


def describe_value(compiled: CompiledGame, point: Point, index: int) -> tuple[str, str]:
    """(numeric value at the point, symbolic term) of table value ``index``."""
    has_infinitesimals = bool(compiled.game.infinitesimals)
    return format_lex(point.number(index), has_infinitesimals), str(compiled.table[index])


def play_from(compiled: CompiledGame, strategy: Strategy, start: int, prefix: tuple[str, ...]) -> tuple[str, ...]:
    """The play from strategy node ``start`` (reached after ``prefix``) following the profile;
    at a chance node it follows the first branch."""
    history = list(prefix)
    current = start
    while True:
        node = strategy.node(current)
        shape = compiled.shapes[node.shape]
        if shape.kind == LEAF:
            return tuple(history)
        position = node.choice if shape.kind == DECISION else 0
        history.append(shape.actions[position])
        current = node.children[position]


def coalition_value(compiled: CompiledGame, payoff: tuple[int, ...], mask: int) -> int:
    """Table index of the summed payoff of the players in ``mask``."""
    members = tuple(payoff[index] for index in range(len(payoff)) if mask >> index & 1)
    return members[0] if len(members) == 1 else compiled.table.sum(members)


def weighted(compiled: CompiledGame, shape_index: int, values: list[int]) -> int:
    """Expected value at a chance node given a value per branch."""
    shape = compiled.shapes[shape_index]
    return compiled.table.weighted_sum(tuple(zip(shape.probabilities, values)))
