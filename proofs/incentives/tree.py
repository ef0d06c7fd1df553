"""The marketplace game as a tree of nodes: who moves, the honest move, the leaves'
utilities, and which moves are reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from proofs.games.terms import Poly, parse_poly
from proofs.market_game import GameBuild

REPORT_MOVES = ("confirm_inputs", "complain_", "accept_result", "dispute_", "bisect_query",
                "bisect_answer", "report_misuse", "ignore")
"""Moves that are reports of facts (prefixes): the subject of property 1."""


def is_report(label: str) -> bool:
    return any(label == move or (move.endswith("_") and label.startswith(move))
               for move in REPORT_MOVES)


@dataclass(eq=False)
class Node:
    """A node of the game tree, with its history and the honest move where it decides."""

    history: tuple[str, ...]
    player: str | None = None
    honest: str | None = None
    truthful: frozenset[str] = frozenset()
    children: list[tuple[str, "Node"]] = field(default_factory=list)
    probabilities: list[Poly] = field(default_factory=list)
    utilities: dict[str, Poly] | None = None

    @property
    def is_chance(self) -> bool:
        return self.player is None and self.utilities is None

    @property
    def honest_move(self) -> str:
        """The honest move of a decision node."""
        if self.honest is None:
            raise ValueError(f"{'/'.join(self.history)} is not a decision node")
        return self.honest

    @property
    def honest_child(self) -> Node:
        """The child the honest move leads to."""
        return dict(self.children)[self.honest_move]

    @property
    def payoffs(self) -> dict[str, Poly]:
        """A leaf's utility per player."""
        if self.utilities is None:
            raise ValueError(f"{'/'.join(self.history)} is not a leaf")
        return self.utilities


def compile_tree(build: GameBuild) -> Node:
    """Parse the game's terms into polynomials and attach the honest strategy.

    The builder shares the JSON subtree of a state reached through several orders of
    commuting moves (:func:`proofs.game_build.build_market_game`); such a subtree becomes
    one :class:`Node` here, so the analysis values it once (its evaluators memoise by
    node). The game is still the tree: a shared node stands for each of its copies, and
    its ``history`` names the first path to it (the others differ only in the order of
    moves that commute)."""
    symbols = build.game["constants"]
    compiled: dict[int, Node] = {}
    terms: dict[str, Poly] = {}

    def poly(text: str) -> Poly:
        known = terms.get(text)
        if known is None:
            known = terms[text] = parse_poly(text, symbols)
        return known

    def convert(raw: dict, history: tuple[str, ...]) -> Node:
        known = compiled.get(id(raw))
        if known is None:
            known = compiled[id(raw)] = convert_new(raw, history)
        return known

    def convert_new(raw: dict, history: tuple[str, ...]) -> Node:
        if "utility" in raw:
            return Node(history, utilities={item["player"]: poly(item["value"])
                                            for item in raw["utility"]})
        if "chance" in raw:
            node = Node(history)
            for edge in raw["chance"]:
                node.children.append((edge["action"], convert(edge["child"], history + (edge["action"],))))
                node.probabilities.append(poly(edge["probability"]))
            return node
        node = Node(history, player=raw["player"], honest=build.honest_strategy[history],
                    truthful=build.truthful[history])
        for edge in raw["children"]:
            node.children.append((edge["action"], convert(edge["child"], history + (edge["action"],))))
        return node

    return convert(build.game["tree"], ())


def nodes_of(root: Node) -> Iterable[Node]:
    """Every distinct node below ``root`` (a shared subtree once)."""
    stack, seen = [root], {id(root)}
    while stack:
        node = stack.pop()
        yield node
        for _, child in node.children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
