"""Reading and writing game files (CheckMate's JSON format, plus chance nodes).

:func:`load_game` reads ``.json`` or gzip-compressed ``.json.gz`` files, validates them
against :data:`proofs.games.schema.GAME_SCHEMA` with ``jsonschema`` and then checks what a
schema cannot say (declared players and actions, parsable terms, honest histories that are
paths to leaves, probabilities). Every problem raises :class:`GameFormatError` naming the
field, e.g. ``tree.children[1].child.utility[0].value``.

:func:`game_to_dict` / :func:`save_game` write a game back; terms keep their original text,
so reading, writing and reading again gives an equal :class:`~proofs.games.model.Game`.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any, Iterable

import jsonschema

from .model import (
    PROPERTY_CONSTRAINT_KEYS, Branch, Chance, ChanceBranch, Constraint, Decision, Game, Leaf, Node,
    Term,
)
from .schema import NODE_SCHEMA, TOP_LEVEL_SCHEMA
from .terms import TermError, parse_formula, parse_poly, split_lexicographic

_TOP_LEVEL_VALIDATOR = jsonschema.Draft202012Validator(TOP_LEVEL_SCHEMA)
_NODE_VALIDATOR = jsonschema.Draft202012Validator(NODE_SCHEMA)


class GameFormatError(ValueError):
    """A game file that cannot be used: ``field`` says where, ``reason`` says why."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _field_name(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                return json.load(handle)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise GameFormatError(str(path), "no such file") from None
    except (OSError, EOFError) as error:
        raise GameFormatError(str(path), f"cannot read: {error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise GameFormatError(str(path), f"not valid JSON: {error}") from None


def load_game(path: str | Path) -> Game:
    """Read, validate and parse a game file (``.json`` or ``.json.gz``)."""
    path = Path(path)
    name = path.name
    for suffix in (".gz", ".json"):
        name = name.removesuffix(suffix)
    return parse_game(read_json(path), name=name)


def _raise_first(errors: list[Any], prefix: list[Any]) -> None:
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors)
    # best_match prefers shallow errors; the deepest one usually names the culprit
    deepest = max(errors, key=lambda item: len(item.absolute_path))
    chosen = deepest if len(deepest.absolute_path) > len(error.absolute_path) else error
    message = chosen.message if len(chosen.message) <= 160 else chosen.message[:157] + "..."
    raise GameFormatError(_field_name(list(prefix) + list(chosen.absolute_path)), message)


def validate_schema(data: Any) -> None:
    """Validate ``data`` against :data:`~proofs.games.schema.GAME_SCHEMA`.

    The schema is compositional (a node's validity depends on its own fields and on its
    children's validity), so the tree is checked one node at a time against
    :data:`~proofs.games.schema.NODE_SCHEMA`, and a node whose own content was already seen
    is not checked again: the 21,688 nodes of a routing game have a few hundred distinct
    contents, and this is equivalent to validating the whole document at once.
    """
    _raise_first(list(_TOP_LEVEL_VALIDATOR.iter_errors(data)), [])
    seen: set[str] = set()
    stack: list[tuple[Any, list[Any]]] = [(data["tree"], ["tree"])]
    while stack:
        node, path = stack.pop()
        children: list[tuple[str, int, Any]] = []  # (edge key, index, child) of well-formed edges
        own = dict(node)
        for edge_key in ("children", "chance"):
            edges = node.get(edge_key)
            if not isinstance(edges, list):
                continue
            own[edge_key] = []
            for index, edge in enumerate(edges):
                if isinstance(edge, dict) and isinstance(edge.get("child"), dict):
                    children.append((edge_key, index, edge["child"]))
                    edge = {**edge, "child": {}}  # the child is checked on its own
                own[edge_key].append(edge)
        key = repr(own)  # JSON objects keep their key order, so equal nodes give equal keys
        if key not in seen:
            seen.add(key)
            _raise_first(list(_NODE_VALIDATOR.iter_errors(own)), path)
        for edge_key, index, child in children:
            stack.append((child, path + [edge_key, index, "child"]))


def parse_game(data: Any, name: str = "game") -> Game:
    """Validate a decoded game file and build a :class:`Game`."""
    validate_schema(data)
    players = tuple(data["players"])
    constants = tuple(data["constants"])
    infinitesimals = tuple(data["infinitesimals"])
    both = set(constants) & set(infinitesimals)
    if both:
        raise GameFormatError("infinitesimals", f"{sorted(both)[0]!r} is also declared a constant")
    symbols = frozenset(constants) | frozenset(infinitesimals)
    infinitesimal_set = frozenset(infinitesimals)

    def constraint(text: str, field: str) -> Constraint:
        try:
            return Constraint(text, parse_formula(text, symbols))
        except TermError as error:
            raise GameFormatError(field, str(error)) from None

    initial = tuple(constraint(text, f"initial_constraints[{index}]")
                    for index, text in enumerate(data["initial_constraints"]))
    by_property = tuple(
        (key, tuple(constraint(text, f"property_constraints.{key}[{index}]")
                    for index, text in enumerate(texts)))
        for key, texts in data["property_constraints"].items()
    )
    declared_actions = tuple(data["actions"])
    tree = _parse_tree(data["tree"], players, frozenset(declared_actions), symbols, infinitesimal_set)
    histories = tuple(tuple(history) for history in data["honest_histories"])
    game = Game(players, declared_actions, constants, infinitesimals, initial, by_property, histories,
                tree, name=name)
    for index, history in enumerate(histories):
        problem = history_problem(game.tree, history)
        if problem:
            raise GameFormatError(f"honest_histories[{index}]", problem)
    return game


def history_problem(tree: Node, history: tuple[str, ...]) -> str | None:
    """Why ``history`` is not a path from the root to a leaf, or None if it is one."""
    node = tree
    for step, action in enumerate(history):
        if isinstance(node, Leaf):
            return f"action {action!r} (step {step}) comes after the game has ended"
        branches = node.branches
        matches = [branch for branch in branches if branch.action == action]
        if not matches:
            offered = ", ".join(branch.action for branch in branches)
            return f"action {action!r} (step {step}) is not available there (available: {offered})"
        node = matches[0].child
    if not isinstance(node, Leaf):
        return "the history stops before reaching a leaf"
    return None


def _term(raw: Any, field: str, symbols: frozenset[str], infinitesimals: frozenset[str]) -> Term:
    try:
        return _cached_term(type(raw).__name__, raw, symbols, infinitesimals)
    except TermError as error:
        raise GameFormatError(field, str(error)) from None


@functools.lru_cache(maxsize=65536)
def _cached_term(kind: str, raw: Any, symbols: frozenset[str], infinitesimals: frozenset[str]) -> Term:
    """Parse a term once per distinct text (large trees repeat a handful of terms)."""
    poly = parse_poly(raw, symbols)
    return Term(raw, split_lexicographic(poly, infinitesimals, str(raw)))


class _Where:
    """The field name of a node, built only when an error needs it."""

    __slots__ = ("parent", "step")

    def __init__(self, parent: "_Where | None", step: str):
        self.parent = parent
        self.step = step

    def __str__(self) -> str:
        steps: list[str] = []
        current: _Where | None = self
        while current is not None:
            steps.append(current.step)
            current = current.parent
        return "".join(reversed(steps))


def _parse_tree(raw_root: Any, players: tuple[str, ...], actions: frozenset[str],
                symbols: frozenset[str], infinitesimals: frozenset[str]) -> Node:
    """Build nodes bottom-up without recursion (trees can be deep)."""
    order: list[tuple[Any, _Where]] = []  # pre-order
    stack: list[tuple[Any, _Where]] = [(raw_root, _Where(None, "tree"))]
    while stack:
        raw, where = stack.pop()
        order.append((raw, where))
        for edge_key in ("children", "chance"):
            if edge_key in raw:
                for index, edge in enumerate(raw[edge_key]):
                    stack.append((edge["child"], _Where(where, f".{edge_key}[{index}].child")))
    built: dict[int, Node] = {}
    player_set = set(players)
    leaves: dict[tuple[tuple[str, Any], ...], Leaf] = {}  # equal leaves share one object
    for raw, where in reversed(order):
        if "utility" in raw:
            key = tuple((entry["player"], entry["value"]) for entry in raw["utility"])
            leaf = leaves.get(key)
            if leaf is None:
                leaf = _parse_leaf(raw, where, players, player_set, symbols, infinitesimals)
                leaves[key] = leaf
            built[id(raw)] = leaf
            continue
        edge_key = "children" if "children" in raw else "chance"
        seen_actions: set[str] = set()
        for index, edge in enumerate(raw[edge_key]):
            action = edge["action"]
            if action not in actions:
                raise GameFormatError(f"{where}.{edge_key}[{index}].action",
                                      f"action {action!r} is not in the game's list of actions")
            if action in seen_actions:
                raise GameFormatError(f"{where}.{edge_key}[{index}].action",
                                      f"action {action!r} appears twice at this node")
            seen_actions.add(action)
        if edge_key == "children":
            player = raw["player"]
            if player not in player_set:
                raise GameFormatError(f"{where}.player", f"unknown player {player!r}")
            branches = tuple(Branch(edge["action"], built.pop(id(edge["child"])))
                             for edge in raw["children"])
            built[id(raw)] = Decision(player, branches)
        else:
            built[id(raw)] = _parse_chance(raw, where, built, symbols, infinitesimals)
    return built[id(raw_root)]


def _parse_leaf(raw: Any, where: _Where, players: tuple[str, ...], player_set: set[str],
                symbols: frozenset[str], infinitesimals: frozenset[str]) -> Leaf:
    seen: dict[str, Term] = {}
    for index, entry in enumerate(raw["utility"]):
        player = entry["player"]
        if player not in player_set:
            raise GameFormatError(f"{where}.utility[{index}].player", f"unknown player {player!r}")
        if player in seen:
            raise GameFormatError(f"{where}.utility[{index}].player",
                                  f"player {player!r} has two utilities at this leaf")
        seen[player] = _term(entry["value"], f"{where}.utility[{index}].value", symbols, infinitesimals)
    missing = [player for player in players if player not in seen]
    if missing:
        raise GameFormatError(f"{where}.utility", f"no utility for player {missing[0]!r}")
    return Leaf(tuple(seen.items()))


def _parse_chance(raw: Any, where: _Where, built: dict[int, Node], symbols: frozenset[str],
                  infinitesimals: frozenset[str]) -> Chance:
    branches = []
    total = None
    for index, edge in enumerate(raw["chance"]):
        field = f"{where}.chance[{index}].probability"
        probability = _term(edge["probability"], field, symbols, infinitesimals)
        if not probability.value.infinitesimal.is_zero():
            raise GameFormatError(field, "a probability cannot involve infinitesimals")
        real = probability.value.real
        if real.is_constant() and not 0 <= real.constant_value() <= 1:
            raise GameFormatError(field, "a probability must lie in [0, 1]")
        total = real if total is None else total + real
        branches.append(ChanceBranch(edge["action"], probability, built.pop(id(edge["child"]))))
    if total is not None and total.is_constant() and total.constant_value() != 1:
        raise GameFormatError(f"{where}.chance", f"the probabilities sum to {total.constant_value()}, not 1")
    return Chance(tuple(branches))


# ---------------------------------------------------------------------------- writing
def _node_to_dict(node: Node) -> dict[str, Any]:
    if isinstance(node, Leaf):
        return {"utility": [{"player": player, "value": term.source} for player, term in node.utilities]}
    if isinstance(node, Decision):
        return {"player": node.player,
                "children": [{"action": branch.action, "child": _node_to_dict(branch.child)}
                             for branch in node.branches]}
    return {"chance": [{"action": branch.action, "probability": branch.probability.source,
                        "child": _node_to_dict(branch.child)} for branch in node.branches]}


def game_to_dict(game: Game) -> dict[str, Any]:
    property_constraints: dict[str, list[str]] = {key: [] for key in PROPERTY_CONSTRAINT_KEYS}
    for key, constraints in game.property_constraints:
        property_constraints[key] = [constraint.source for constraint in constraints]
    return {
        "players": list(game.players),
        "actions": list(game.actions),
        "infinitesimals": list(game.infinitesimals),
        "constants": list(game.constants),
        "initial_constraints": [constraint.source for constraint in game.initial_constraints],
        "property_constraints": property_constraints,
        "honest_histories": [list(history) for history in game.honest_histories],
        "tree": _node_to_dict(game.tree),
    }


def save_game(game: Game, path: str | Path) -> None:
    """Write ``game`` as JSON (gzip-compressed when the name ends in ``.gz``)."""
    path = Path(path)
    text = json.dumps(game_to_dict(game), indent=1)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
