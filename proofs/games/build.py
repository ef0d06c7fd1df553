"""Building games in Python instead of writing JSON.

Each helper returns the JSON structure of a node (CheckMate's format with chance nodes), and
:func:`make_game` validates and parses the whole game exactly as a file would be, so built
games and file games behave the same (and :func:`~proofs.games.jsonio.save_game` writes
them out). Example — an audited job::

    job = decision("V",
        honest=leaf(C="v - f", V="f"),
        cheat=chance(
            ("audited", "q", leaf(C="v - f + s", V="f - s")),
            ("unaudited", "1 - q", leaf(C="-f", V="f + g")),
        ),
    )
    game = make_game(players=["C", "V"], constants=["v", "f", "s", "g", "q"],
                     tree=decision("C", hire=job, skip=leaf(C=0, V=0)),
                     honest=[["hire", "honest"]], constraints=["v > f", "f > 0", "s >= 0", "g > 0"])
    synthesise(game, "practicality")        # g*q + q*s >= g

Keyword arguments keep their order, which becomes the order of the branches.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from .jsonio import parse_game
from .model import Game

Term = str | int | float
NodeData = dict[str, Any]


def leaf(utilities: Mapping[str, Term] | None = None, /, **by_player: Term) -> NodeData:
    """A leaf: one utility term per player (``leaf(A="a - 1", B=0)``)."""
    values = dict(utilities or {}) | by_player
    return {"utility": [{"player": player, "value": value} for player, value in values.items()]}


def decision(player: str, branches: Mapping[str, NodeData] | None = None, /, **by_action: NodeData) -> NodeData:
    """A decision node of ``player`` with one child per action."""
    children = dict(branches or {}) | by_action
    return {"player": player, "children": [{"action": action, "child": child} for action, child in children.items()]}


def chance(*outcomes: tuple[str, Term, NodeData]) -> NodeData:
    """A chance node from ``(action, probability, child)`` triples."""
    return {"chance": [{"action": action, "probability": probability, "child": child}
                       for action, probability, child in outcomes]}


def _actions(node: NodeData, found: list[str]) -> list[str]:
    for edge in node.get("children", []) + node.get("chance", []):
        if edge["action"] not in found:
            found.append(edge["action"])
        _actions(edge["child"], found)
    return found


def make_game(players: Sequence[str], tree: NodeData, honest: Iterable[Sequence[str]], *,
              constants: Sequence[str] = (), infinitesimals: Sequence[str] = (),
              constraints: Sequence[str] = (), property_constraints: Mapping[str, Sequence[str]] | None = None,
              name: str = "game") -> Game:
    """A validated :class:`~proofs.games.model.Game` (the actions are collected from the tree)."""
    per_property: dict[str, list[Any]] = {
        key: [] for key in ("weak_immunity", "weaker_immunity", "collusion_resilience", "practicality")}
    for key, extra in (property_constraints or {}).items():
        per_property[key] = list(extra)
    data = {
        "players": list(players),
        "actions": _actions(tree, []),
        "infinitesimals": list(infinitesimals),
        "constants": list(constants),
        "initial_constraints": list(constraints),
        "property_constraints": per_property,
        "honest_histories": [list(history) for history in honest],
        "tree": tree,
    }
    return parse_game(data, name=name)
