"""An independent brute-force evaluator of the market game's properties, in exact fractions.

It shares no code with the Z3 analysis (``proofs.incentives``, ``proofs.incentives.refinement``,
``proofs.games``): it reads the game as the builder writes it (CheckMate JSON, the honest
move and the truthful reports at every decision node), evaluates every payoff term at one
parameter point with its own little arithmetic over :class:`fractions.Fraction`, and
decides each property at that point by backward induction on numbers. The differential
tests compare its verdicts with the regions the Z3 analysis synthesised, evaluated at the
same point.

Definitions (the ones ``docs`` state, restated here from the text, not the code):

* ``worst(i)``: ``i`` plays the honest move, everyone else the move worst for ``i``;
  nature by expectation. ``best(G)``: the group plays freely for its sum, everyone else
  against it. ``coalition(G)``: the group plays freely for its sum, everyone else honestly.
  Off-chain training is a side deal: a vendor may take it only when the developer and that
  vendor are both in the group considered; otherwise that node plays the honest move.
* truthful reporting of ``i``: at every node of ``i`` whose honest move is a report, the
  worst of the honest move >= the best of every untruthful report move.
* dominance solvability: at every decision node, with everyone honest below, the honest
  move pays its mover at least what every other move pays (expected over nature).
* weak immunity of ``i``: worst(i) at the root >= 0; per outcome: every leaf ``i`` can reach
  playing honestly (others and nature arbitrary) pays ``i`` >= 0.
* collusion resilience of ``G``: coalition(G) at the root <= the group's honest sum.
"""

from __future__ import annotations

import ast
import functools
import operator
from fractions import Fraction

REPORTS = ("confirm_inputs", "accept_result", "bisect_query", "bisect_answer", "report_misuse", "ignore")
REPORT_PREFIXES = ("complain_", "dispute_")
DEVELOPER = "dev1"

_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow}


@functools.cache
def parsed(text: str) -> ast.Expression:
    return ast.parse(text, mode="eval")


def value_of(text: str, point: dict[str, Fraction]) -> Fraction:
    """An arithmetic term (``+ - * / **``, names, integers) at ``point``, exactly."""
    def walk(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow):
                return left ** int(right)
            return _OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Name):
            return point[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)):
            return Fraction(node.value)
        raise ValueError(f"unexpected term {ast.dump(node)}")
    return walk(parsed(text))


def formula_holds(formula: str, point: dict[str, Fraction]) -> bool:
    """A conjunction ``a >= b & c >= d ...`` (or ``true``) at ``point``."""
    if formula == "true":
        return True
    for part in formula.split(" & "):
        tree = ast.parse(part, mode="eval").body
        if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1):
            raise ValueError(f"not a comparison: {part}")
        left = value_of(ast.unparse(tree.left), point)
        right = value_of(ast.unparse(tree.comparators[0]), point)
        relation = {ast.GtE: operator.ge, ast.Gt: operator.gt, ast.LtE: operator.le,
                    ast.Lt: operator.lt, ast.Eq: operator.eq}[type(tree.ops[0])]
        if not relation(left, right):
            return False
    return True


def is_report(label: str) -> bool:
    return label in REPORTS or label.startswith(REPORT_PREFIXES)


class GameView:
    """The game's tree flattened once: nodes with their history, children by index, the
    payoff and probability terms kept as text."""

    def __init__(self, build):
        self.players = list(build.game["players"])
        self.honest = build.honest_strategy
        self.truthful = build.truthful
        self.nodes: list[dict] = []
        self.root = self._flatten(build.game["tree"], ())

    def _flatten(self, raw: dict, history: tuple[str, ...]) -> int:
        index = len(self.nodes)
        entry: dict = {"history": history}
        self.nodes.append(entry)
        if "utility" in raw:
            entry["payoff"] = {item["player"]: item["value"] for item in raw["utility"]}
        elif "chance" in raw:
            entry["chance"] = [(edge["action"], edge["probability"],
                                self._flatten(edge["child"], history + (edge["action"],)))
                               for edge in raw["chance"]]
        else:
            entry["player"] = raw["player"]
            entry["moves"] = [(edge["action"], self._flatten(edge["child"], history + (edge["action"],)))
                              for edge in raw["children"]]
        return index


class Oracle:
    """The game at one parameter point: every property decidable by backward induction."""

    def __init__(self, view: GameView, point: dict[str, Fraction]):
        self.players = view.players
        self.honest = view.honest
        self.truthful = view.truthful
        self.nodes = view.nodes
        self.root = view.root
        self.point = point
        self.terms: dict[str, Fraction] = {}

    def term(self, text: str) -> Fraction:
        value = self.terms.get(text)
        if value is None:
            value = self.terms[text] = value_of(text, self.point)
        return value

    # -- valuations --------------------------------------------------------------------
    def _allowed(self, index: int, group: frozenset[str], free: bool) -> list[int]:
        """The children a decision node offers: the honest one unless ``free`` (the mover
        may deviate); a side deal needs the developer and the mover both in ``group``."""
        node = self.nodes[index]
        honest = dict(node["moves"])[self.honest[node["history"]]]
        if any(label == "train_offchain" for label, _ in node["moves"]):
            if not {DEVELOPER, node["player"]} <= group:
                return [honest]
        return [child for _, child in node["moves"]] if free else [honest]

    def value(self, index: int, group: frozenset[str], mode: str, memo: dict) -> Fraction:
        """The group's summed payoff below ``index``: ``worst`` (group honest, others
        minimise), ``best`` (everyone free, maximised), ``coalition`` (group maximises,
        others honest), ``honest`` (everyone honest), ``outcome_worst`` (group honest,
        others and nature minimise). ``memo`` belongs to one group."""
        key = (index, mode)
        if key in memo:
            return memo[key]
        node = self.nodes[index]
        if "payoff" in node:
            result = sum((self.term(node["payoff"][p]) for p in group), Fraction(0))
        elif "chance" in node:
            if mode == "outcome_worst":
                result = min(self.value(child, group, mode, memo) for _, _, child in node["chance"])
            else:
                result = sum((self.term(probability) * self.value(child, group, mode, memo)
                              for _, probability, child in node["chance"]), Fraction(0))
        else:
            ours = node["player"] in group
            if mode in ("worst", "outcome_worst"):
                children = self._allowed(index, group, free=not ours)
                result = min(self.value(child, group, mode, memo) for child in children)
            elif mode == "best":
                children = self._allowed(index, group, free=True)
                result = max(self.value(child, group, mode, memo) for child in children)
            elif mode == "coalition":
                children = self._allowed(index, group, free=ours)
                result = max(self.value(child, group, mode, memo) for child in children)
            else:
                result = self.value(dict(node["moves"])[self.honest[node["history"]]], group, mode, memo)
        memo[key] = result
        return result

    def _decision_nodes(self):
        return [index for index, node in enumerate(self.nodes) if "moves" in node]

    # -- properties -------------------------------------------------------------------
    def truthful_reporting(self, player: str) -> bool:
        group = frozenset({player})
        worst: dict[int, Fraction] = {}
        best: dict[int, Fraction] = {}
        for index in self._decision_nodes():
            node = self.nodes[index]
            honest = self.honest[node["history"]]
            if node["player"] != player or not is_report(honest):
                continue
            low = self.value(dict(node["moves"])[honest], group, "worst", worst)
            for label, child in node["moves"]:
                if is_report(label) and label not in self.truthful[node["history"]]:
                    if self.value(child, group, "best", best) > low:
                        return False
        return True

    def dominance_solvability(self) -> bool:
        memos: dict[str, dict[int, Fraction]] = {player: {} for player in self.players}
        for index in self._decision_nodes():
            node = self.nodes[index]
            group = frozenset({node["player"]})
            memo = memos[node["player"]]
            moves = dict(node["moves"])
            honest = self.value(moves[self.honest[node["history"]]], group, "honest", memo)
            if any(self.value(child, group, "honest", memo) > honest for _, child in node["moves"]):
                return False
        return True

    def weak_immunity(self, player: str) -> bool:
        return self.value(self.root, frozenset({player}), "worst", {}) >= 0

    def weak_immunity_per_outcome(self, player: str) -> bool:
        return self.value(self.root, frozenset({player}), "outcome_worst", {}) >= 0

    def collusion_resilience(self, coalition: tuple[str, ...]) -> bool:
        group = frozenset(coalition)
        return self.value(self.root, group, "coalition", {}) <= self.value(self.root, group, "honest", {})


def admissible(point: dict[str, Fraction], owners: int, vendors: int) -> bool:
    """The participation constraints, restated: amounts >= 0, 0 < q <= 1, the model worth
    its prices and fees, the fee covering the compute cost."""
    return (all(point[name] >= 0 for name in ("P", "F", "C", "V", "Bv", "Ba", "Bd", "G", "K"))
            and 0 < point["q"] <= 1 and point["V"] >= owners * point["P"] + vendors * point["F"]
            and point["F"] >= point["C"])


def honest_dominance(oracle: Oracle) -> bool:
    """The stronger notion the docs once described: at every decision node, the worst of
    the honest move (mover honest below, others arbitrary) >= the best of every other move
    (everyone arbitrary). Not what the protocol proves (it fails at the spec's own stakes,
    see the incentives page); computed here to show that it is a different notion."""
    worst: dict = {player: {} for player in oracle.players}
    best: dict = {player: {} for player in oracle.players}
    for index in oracle._decision_nodes():
        node = oracle.nodes[index]
        player = node["player"]
        group = frozenset({player})
        moves = dict(node["moves"])
        honest = oracle.honest[node["history"]]
        if len(oracle._allowed(index, group, free=True)) < 2:
            continue
        low = oracle.value(moves[honest], group, "worst", worst[player])
        if any(label != honest and oracle.value(child, group, "best", best[player]) > low
               for label, child in node["moves"]):
            return False
    return True
