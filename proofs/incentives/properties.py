"""The incentive properties of the protocol as regions: truthful reporting, dominance
solvability, weak immunity, collusion resilience.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence

import sympy

from proofs.games.terms import Poly, parse_poly
from proofs.incentives.candidates import Envelope, Evaluator, choices, leaf_candidates
from proofs.incentives.formulas import counterexample, formula_verified, region_formula, sympy_to_z3, to_sympy
from proofs.incentives.regions import Candidate, Candidates, Condition, Region
from proofs.incentives.solver import Solver, scaled
from proofs.incentives.tree import Node, is_report, nodes_of


def without_signed_factors(condition: Condition, solver: Solver) -> Condition:
    """The same condition with every factor whose sign the assumptions fix divided out
    (e.g. ``q*(2 - q)*(Bv - P) >= 0`` becomes ``Bv - P >= 0``, as 0 < q <= 1): the region
    is unchanged and its formula reads as a bound. Each factor's sign is proved by Z3.
    Each difference is factored once per solver (regions share many conditions)."""
    if len(condition.difference.terms) < 2:
        return condition
    if condition.difference not in solver.factored:
        solver.factored[condition.difference] = signed_factors_divided(condition.difference, solver)
    simpler = solver.factored[condition.difference]
    return condition if simpler is None else dataclasses.replace(condition, difference=simpler)


def signed_factors_divided(difference: Poly, solver: Solver) -> Poly | None:
    """``difference`` with the factors of fixed sign divided out (None: there are none)."""
    expression = to_sympy(difference)
    coefficient, factors = sympy.factor_list(expression)
    kept, sign = sympy.Integer(1), 1 if coefficient > 0 else -1
    changed = False
    for factor, power in factors:
        term = sympy_to_z3(factor, solver)
        if power % 2 == 0 and solver.implied([], term != 0):
            changed = True
            continue
        if solver.implied([], term > 0):
            changed = True
            continue
        if solver.implied([], term < 0):
            sign, changed = -sign, True
            continue
        kept = kept * factor ** power
    if not changed:
        return None
    return parse_poly(str(sympy.expand(sign * kept)), solver.constants)


def canonical_order(condition: Condition) -> tuple:
    """Simplest first (fewest terms, lowest degree), then by the polynomial itself."""
    key = scaled(condition.difference)
    return (len(key.terms), key.degree(), key)


def reduce_conditions(raw: Iterable[Condition], solver: Solver) -> tuple[list[Condition], int]:
    """Drop duplicates, conditions that always hold under the assumptions, and conditions
    implied by the others. Returns the kept conditions and the number compared."""
    unique: dict[Poly, Condition] = {}
    count = 0
    for condition in raw:
        count += 1
        key = scaled(condition.difference)
        if key.is_constant():
            if key.constant_value() >= 0:
                continue
        unique.setdefault(key, condition)
    # in a canonical order, so the kept conditions depend only on the region, not on the
    # models Z3 happened to return on the way
    needed = sorted(dict((scaled(c.difference), c) for c in
                         (without_signed_factors(c, solver) for c in solver.not_implied(unique))).values(),
                    key=canonical_order)
    # keep a condition only if those kept so far do not imply it, then drop any kept one
    # the other kept ones imply: the conjunction is unchanged, and few conditions remain
    kept: list[Condition] = []
    for condition in needed:
        if not solver.implied([solver.poly(c.difference) >= 0 for c in kept],
                              solver.poly(condition.difference) >= 0):
            kept.append(condition)
    for condition in list(kept):
        others = [solver.poly(c.difference) >= 0 for c in kept if c is not condition]
        if solver.implied(others, solver.poly(condition.difference) >= 0):
            kept.remove(condition)
    return kept, count


def pairs(node: Node, honest: Candidates, deviating: Candidates, label: str) -> Iterable[Condition]:
    for good in honest.values():
        for bad in deviating.values():
            yield Condition(good.value - bad.value, node.history, label, good, bad)


def truthful_reporting(root: Node, player: str, solver: Solver,
                       envelope: Envelope | None = None, limit: int = 200_000) -> Region:
    envelope = envelope or Envelope(solver)
    worst = Evaluator([player], "worst", envelope=envelope, limit=limit)
    best = Evaluator([player], "best", envelope=envelope, limit=limit)

    def conditions():
        for node in nodes_of(root):
            if node.player != player or not is_report(node.honest_move):
                continue
            honest = worst.candidates(node.honest_child)
            for label, child in node.children:
                if is_report(label) and label not in node.truthful:
                    yield from pairs(node, honest, best.candidates(child), label)

    return finish_region("truthful_reporting", player, conditions(), solver)


def dominance_solvability(root: Node, players: Sequence[str], solver: Solver) -> Region:
    """Iterated elimination of weakly dominated moves, deepest nodes first.

    At a deepest decision node a move other than the honest one is weakly dominated when
    the honest move gives the mover at least as much; once every node below has been
    reduced to its honest move, the same holds one level up. Elimination succeeds for
    the whole tree exactly when, at every node, the honest move is at least as good for
    its mover as every other move with everyone playing honestly afterwards (expected
    over nature); iterated elimination then leaves only the honest profile.
    """
    value_of = {player: HonestValue([player]) for player in players}
    ties: list[dict] = []
    on_path = {id(node) for node in honest_path_nodes(root)}

    def conditions():
        for node in nodes_of(root):
            if node.player is None:
                continue
            honest_child = node.honest_child
            honest = value_of[node.player].value(honest_child)
            for label, child in node.children:
                if label != node.honest:
                    deviating = value_of[node.player].value(child)
                    if deviating.value == honest.value:
                        ties.append({"node": list(node.history), "player": node.player, "move": label,
                                     "honest": node.honest, "on_honest_path": id(node) in on_path,
                                     "payoff_equivalent": all(
                                         value_of[p].value(child).value == value_of[p].value(honest_child).value
                                         for p in players)})
                    yield Condition(honest.value - deviating.value, node.history, label,
                                    honest, deviating)

    region = finish_region("dominance_solvability", "all players", conditions(), solver)
    region.ties = ties
    return region


def honest_path_nodes(root: Node) -> Iterable[Node]:
    """The nodes the honest profile reaches, under every outcome of nature."""
    stack, seen = [root], {id(root)}
    while stack:
        node = stack.pop()
        yield node
        if node.is_chance:
            following = [child for _, child in node.children]
        elif node.player is not None:
            following = [node.honest_child]
        else:
            following = []
        for child in following:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)


def outcome_leaves(root: Node, player: str) -> list[Node]:
    """The leaves ``player`` can end in while playing honestly, whatever the others do and
    whatever nature draws (at side-deal nodes as :func:`choices` says)."""
    leaves, stack, seen = [], [root], {id(root)}
    while stack:
        node = stack.pop()
        if node.utilities is not None:
            leaves.append(node)
            continue
        following = ([child for _, child in node.children] if node.is_chance
                     else choices(node, [player], "worst"))
        for child in following:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return leaves


def weak_immunity_per_outcome(root: Node, player: str, solver: Solver) -> Region:
    """Weak immunity per outcome of nature: ``player``, playing honestly, ends with a
    utility >= 0 in every leaf it can reach, whatever the others do and whatever the audits
    draw. The conditions are the leaves' utilities themselves (no expectation)."""
    zero = Candidate(Poly(), ())

    def conditions():
        seen: set[Poly] = set()
        for leaf in outcome_leaves(root, player):
            value = leaf.payoffs[player]
            if value in seen:
                continue
            seen.add(value)
            yield Condition(value, (), "any", zero, Candidate(value, ((leaf.history, Poly.constant(1)),)))

    return finish_region("weak_immunity_per_outcome", player, conditions(), solver)


def weak_immunity(root: Node, player: str, solver: Solver,
                  envelope: Envelope | None = None, limit: int = 200_000) -> Region:
    worst = Evaluator([player], "worst", envelope=envelope or Envelope(solver), limit=limit)
    zero = Candidate(Poly(), ())

    def conditions():
        for candidate in worst.candidates(root).values():
            yield Condition(candidate.value, (), "any", zero, candidate)

    region = finish_region("weak_immunity", player, conditions(), solver)
    return region


def collusion_resilience(root: Node, coalition: Sequence[str], solver: Solver,
                         envelope: Envelope | None = None, limit: int = 200_000) -> Region:
    everyone_honest = HonestValue(coalition).value(root)
    best = Evaluator(coalition, "coalition", envelope=envelope or Envelope(solver), limit=limit)

    def conditions():
        for candidate in best.candidates(root).values():
            yield Condition(everyone_honest.value - candidate.value, (), "coalition deviation",
                            everyone_honest, candidate)

    return finish_region("collusion_resilience", "+".join(coalition), conditions(), solver)


class HonestValue:
    """The expected joint utility of ``group`` when everyone plays honestly."""

    def __init__(self, group: Sequence[str]):
        self.group = tuple(group)
        self.memo: dict[int, Candidate] = {}

    def value(self, node: Node) -> Candidate:
        cached = self.memo.get(id(node))
        if cached is None:
            cached = self.memo[id(node)] = self._value(node)
        return cached

    def _value(self, node: Node) -> Candidate:
        if node.utilities is not None:
            return next(iter(leaf_candidates(node, self.group).values()))
        if node.is_chance:
            total, play = Poly(), []
            for probability, (_, child) in zip(node.probabilities, node.children):
                part = self.value(child)
                total = total + probability * part.value
                play += [(history, probability * weight) for history, weight in part.play]
            return Candidate(total, tuple(play))
        return self.value(node.honest_child)


def finish_region(name: str, subject: str, conditions: Iterable[Condition], solver: Solver) -> Region:
    started = time.perf_counter()
    kept, count = reduce_conditions(conditions, solver)
    region = Region(name, subject, kept, count)
    region.formula = region_formula(kept)
    region.verified = formula_verified(region.formula, kept, solver)
    region.counterexamples = [counterexample(condition, kept, solver) for condition in kept]
    region.seconds = time.perf_counter() - started
    return region
