"""Incentive proofs for the marketplace game: exact regions, witnesses, counterexamples.

The marketplace game (:mod:`proofs.market_game`) comes with the honest strategy: a move
at every decision node. For that strategy each incentive property of the protocol (docs/protocol.md) is a finite
conjunction of polynomial inequalities over the parameters, computed here exactly:

* ``worst(i, n)`` — the least expected utility player ``i`` can get below node ``n`` when
  it plays honestly and every other player plays against it — is the minimum of a finite
  set of polynomials (one per choice of the others' moves; at a chance node the sets of
  the branches combine weighted by their probabilities). ``best(S, n)`` — the most the
  players of ``S`` get together when they choose freely — is likewise a maximum. Both
  are computed bottom-up, as sets of candidate polynomials with the play that yields each.
* **Truthful reporting** (property 1): at every report node of ``i`` (input report,
  acceptance or dispute, bisection moves, misuse report) the truthful branch's worst is
  at least every untruthful report branch's best — whatever the facts, whatever the
  others do. Because the branches' subtrees are disjoint, this is exactly weak dominance.
* **Dominance solvability** (property 2), the one notion proved, computed as documented:
  iterated elimination of weakly dominated moves, deepest nodes first. At every decision
  node of every player, with everyone playing honestly below it, the honest move pays its
  mover at least what every other move pays (expected over nature): silence, defective
  delivery, skipped computation, misuse, off-chain training, untruthful reports. Then the
  deepest deviations are dominated, and once the nodes below are reduced to their honest
  move the same holds one level up, so elimination leaves the honest profile. By the
  one-shot deviation principle the same conditions say that the honest profile is a
  subgame-perfect equilibrium (CheckMate's *practicality*), so that region is this one.
  This is *not* the stronger comparison "the honest move's worst against every other
  move's best" at every node (weak dominance in every subgame whatever the others do):
  that notion is proved only for reports (property 1); for the other moves it fails at
  the spec's own stakes (what a deviation gets when the others play along beats what the
  honest move guarantees against dishonest others), as the brute-force evaluator of the
  tests shows.
* **Ties.** Every comparison is ``>=``: a move that pays its mover exactly what the honest
  move pays is not eliminated. :attr:`Region.ties` lists every such move. Most are
  payoff-equivalent for every player (e.g. the developer's ``silent`` after auditing an
  honest result pays everyone what ``accept_result`` pays: the deadline's timeout accepts);
  merging payoff-equivalent moves, elimination leaves only the honest profile's outcome.
  Ties that are not payoff-equivalent for everyone are reported with their node; the
  result fails if one lies on the honest path. In every analysed shape they lie off it
  (e.g. a vendor's ``silent`` after a defective delivery, which pays that vendor what
  accepting and complaining pays, but not the owner).
* **Weak immunity** (property 3): ``worst(i, root) >= 0`` for every player, in expectation
  over nature — the notion the protocol promises. The per-outcome notion (no honest party
  loses in any realisation of the audit draws) is computed too
  (:func:`weak_immunity_per_outcome`, :attr:`Region.per_outcome`) and reported beside it
  with its region and counterexamples; it cannot hold under sampled audits: an honest
  developer whose lazy vendor goes unaudited has paid for a model it does not get
  (``-F - P >= 0`` in the one-vendor game), and an owner whose misusing vendor goes
  undetected loses W.
* **Collusion resilience** (property 4): for each coalition ``S`` the others play honestly
  and ``best(S, root)`` is at most the coalition's honest expected utility. Off-chain
  training is a side deal: a vendor holding the data may take it only in a coalition with
  the developer; every holder is offered it in turn (:mod:`proofs.market_game`).

Candidate sets multiply at chance nodes (one pick per branch), which made jobs with two
vendors intractable: over a thousand candidates at the root, under one nonlinear query.
Only the least (for ``worst``) or greatest (for ``best``) candidate matters, so after each
node a candidate that another one lies below (above) at every admissible parameter point
is dropped (:class:`Envelope`). Each such drop is proved by Z3; random admissible points
only choose which pairs are worth asking about. The region is unchanged, and the largest
candidate set of the two-vendor game has 99 members. With three vendors even the pruned
sets keep thousands of members, so beyond :data:`AUTO_LIMIT` the candidates are not
enumerated at all: :mod:`proofs.refinement` asks Z3 for a point where the property fails
and adds the condition of the play that fails there, until none is left (``analyse``'s
``method``).

Each condition is "for every pair of candidates, honest minus deviating >= 0". Conditions
implied by the game's participation constraints are dropped (Z3, exact nonlinear real
arithmetic); the rest form the exact region where the property holds (:class:`Region`),
simplified with sympy into lower bounds on stakes and bonds. Every kept condition is
shown necessary by a Z3 model violating it while satisfying the others: a counterexample
with parameter values, the deviation and both payoffs.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy
import sympy
import z3

from proofs.games.terms import Poly, parse_formula, parse_poly
from proofs.market_game import CONSTANTS, GameBuild

REPORT_MOVES = ("confirm_inputs", "complain_", "accept_result", "dispute_", "bisect_query",
                "bisect_answer", "report_misuse", "ignore")
"""Moves that are reports of facts (prefixes): the subject of property 1."""


def is_report(label: str) -> bool:
    return any(label == move or (move.endswith("_") and label.startswith(move))
               for move in REPORT_MOVES)


# ---------------------------------------------------------------------------- the tree
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


def compile_tree(build: GameBuild) -> Node:
    """Parse the game's terms into polynomials and attach the honest strategy.

    The builder shares the JSON subtree of a state reached through several orders of
    commuting moves (:func:`proofs.market_game.build_market_game`); such a subtree becomes
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


# ------------------------------------------------------------------ candidate value sets
@dataclass(frozen=True)
class Candidate:
    """One polynomial value and the play that yields it: ``(leaf history, weight)``
    pairs, the weight being the probability of reaching that leaf in this play."""

    value: Poly
    play: tuple[tuple[tuple[str, ...], Poly], ...]


Candidates = dict[Poly, Candidate]


def leaf_candidates(node: Node, players: Sequence[str]) -> Candidates:
    total = Poly()
    for player in players:
        total = total + node.utilities[player]
    return {total: Candidate(total, ((node.history, Poly.constant(1)),))}


def combine_chance(node: Node, branch_sets: list[Candidates], limit: int) -> Candidates:
    """Every way of picking one candidate per branch, weighted by the probabilities."""
    size = 1
    for candidates in branch_sets:
        size *= len(candidates)
    if size > limit:
        raise CandidateExplosion(f"{size} candidates at {'/'.join(node.history)}")
    combined: Candidates = {}
    for picks in itertools.product(*(list(c.values()) for c in branch_sets)):
        value = Poly()
        play: list[tuple[tuple[str, ...], Poly]] = []
        for probability, pick in zip(node.probabilities, picks):
            value = value + probability * pick.value
            play += [(history, probability * weight) for history, weight in pick.play]
        combined.setdefault(value, Candidate(value, tuple(play)))
    return combined


DEVELOPER = "dev1"


def side_deal(node: Node) -> bool:
    """Off-chain training for the developer is a side deal: only a coalition holding both
    the developer and the vendor can make it (``spec.payoffs.offchain_training_value``)."""
    return any(label == "train_offchain" for label, _ in node.children)


class CandidateExplosion(RuntimeError):
    """A candidate set would exceed the configured limit."""


class Envelope:
    """Drops candidates that cannot be the minimum (or maximum) anywhere.

    Only the least (greatest) candidate of a set matters, so a candidate that another one
    lies below (above) at *every* admissible parameter point can go: the conditions it
    would add are implied by those of the one that stays, and the region is unchanged.
    Whether ``a <= b`` everywhere under the assumptions is decided exactly by Z3; a set of
    admissible sample points filters out most pairs first (a pair that differs the wrong
    way at one sample cannot be ordered everywhere), so few queries are needed. The
    samples are only a filter: every candidate dropped is dropped on Z3's proof.
    Dropping stays exact above the node because a chance node weighs its branches with
    probabilities that are non-negative under the assumptions (q and 1 - q), so a
    dominated pick never yields a new least (greatest) combination.
    """

    def __init__(self, solver: "Solver"):
        self.solver = solver
        self.points = solver.samples
        self.columns = {name: numpy.array([float(point[name]) for point in self.points])
                        for name in solver.constants}
        self.values_cache: dict[Poly, numpy.ndarray] = {}
        self.order_cache: dict[tuple[Poly, Poly], bool] = {}

    def values(self, poly: Poly) -> numpy.ndarray:
        cached = self.values_cache.get(poly)
        if cached is None:
            cached = numpy.zeros(len(self.points))
            for monomial, coefficient in poly.terms:
                term = numpy.full(len(self.points), float(coefficient))
                for name, exponent in monomial:
                    term = term * self.columns[name] ** exponent
                cached = cached + term
            self.values_cache[poly] = cached
        return cached

    def everywhere_below(self, low: Poly, high: Poly) -> bool:
        key = (low, high)
        known = self.order_cache.get(key)
        if known is None:
            known = self.order_cache[key] = self.solver.implied([], self.solver.poly(high - low) >= 0)
        return known

    def prune(self, candidates: Candidates, keep: str) -> Candidates:
        """The candidates that are not dominated: ``keep`` is ``"min"`` or ``"max"``."""
        if len(candidates) < 2 or not self.points:
            return candidates
        sign = 1.0 if keep == "min" else -1.0
        items = list(candidates.values())
        signed = [sign * self.values(item.value) for item in items]
        order = sorted(range(len(items)), key=lambda index: float(signed[index].sum()))
        kept: list[int] = []
        for index in order:
            mine = signed[index]
            slack = 1e-9 * (1.0 + numpy.abs(mine))
            dominated = False
            for other in kept:
                if numpy.all(signed[other] <= mine + slack):
                    low, high = items[other].value, items[index].value
                    if keep == "max":
                        low, high = high, low
                    if self.everywhere_below(low, high):
                        dominated = True
                        break
            if not dominated:
                kept.append(index)
        return {items[index].value: items[index] for index in sorted(kept)}


def admissible_samples(solver: "Solver", count: int, seed: int) -> list[dict[str, Fraction]]:
    """Up to ``count`` parameter points that satisfy the assumptions, drawn at random
    (log-uniform magnitudes, some zeros, probabilities in (0, 1]) and kept when every
    assumption holds exactly at them."""
    rng = random.Random(seed)
    points: list[dict[str, Fraction]] = []
    for _ in range(count * 200):
        if len(points) == count:
            break
        point = {}
        for name in solver.constants:
            draw = rng.random()
            magnitude = 0 if draw < 0.08 else 10 ** rng.uniform(-2, 3)
            point[name] = Fraction(magnitude).limit_denominator(10**6)
        if "q" in point:
            point["q"] = Fraction(1) if rng.random() < 0.15 else Fraction(rng.randint(1, 999), 1000)
        if solver.admits(point):
            points.append(point)
    return points


def choices(node: Node, group: Sequence[str], mode: str) -> list[Node]:
    """The children a decision node offers when ``group`` is valued in ``mode`` (see
    :class:`Evaluator`): the honest child alone where the mover plays honestly (or where
    only a coalition of the developer and the mover could make the side deal), else every
    child, to be minimised (``"worst"``) or maximised over."""
    honest = dict(node.children)[node.honest]
    ours = node.player in group
    if side_deal(node) and not {DEVELOPER, node.player} <= set(group):
        return [honest]
    if (ours and mode == "worst") or (not ours and mode == "coalition"):
        return [honest]
    return [child for _, child in node.children]


class Evaluator:
    """Bottom-up candidate sets for a group of players against everyone else.

    ``mode`` says how each kind of decision node is resolved (:func:`choices`):
    * ``"worst"``: the group plays the honest move; others choose anything (the value is
      the minimum of the candidates);
    * ``"best"``: the group chooses anything, others choose anything (maximum);
    * ``"coalition"``: the group chooses anything, others play honestly (maximum).
    """

    def __init__(self, group: Sequence[str], mode: str, limit: int = 200_000,
                 envelope: Envelope | None = None):
        self.group = tuple(group)
        self.mode = mode
        self.limit = limit
        self.envelope = envelope
        self.memo: dict[int, Candidates] = {}

    def candidates(self, node: Node) -> Candidates:
        cached = self.memo.get(id(node))
        if cached is not None:
            return cached
        if node.utilities is not None:
            result = leaf_candidates(node, self.group)
        elif node.is_chance:
            result = combine_chance(node, [self.candidates(child) for _, child in node.children],
                                    self.limit)
        else:
            result = {}
            for child in choices(node, self.group, self.mode):
                for value, candidate in self.candidates(child).items():
                    result.setdefault(value, candidate)
        if self.envelope is not None:
            result = self.envelope.prune(result, "min" if self.mode == "worst" else "max")
        self.memo[id(node)] = result
        return result


# ------------------------------------------------------------------------- conditions
@dataclass(frozen=True)
class Condition:
    """``honest - deviation >= 0`` at one node, for one pair of candidates."""

    difference: Poly
    node: tuple[str, ...]
    deviation: str
    honest_play: Candidate
    deviating_play: Candidate


@dataclass
class Region:
    """The exact region where a property holds, and what shows it."""

    property: str
    subject: str
    conditions: list[Condition]
    """Conditions not implied by the assumptions; their conjunction is the region."""
    checked: int
    """How many candidate comparisons the property amounts to."""
    seconds: float = 0.0
    counterexamples: list[dict] = field(default_factory=list)
    formula: str = "true"
    rule_outside: list[dict] = field(default_factory=list)
    """Conditions the spec's stake rule does not imply, with a point (see rule_inside)."""
    verified: bool = False
    """Z3 re-checked that :attr:`formula`, the sympy-simplified text, is equivalent to the
    conjunction of :attr:`conditions` under the assumptions."""
    ties: list[dict] = field(default_factory=list)
    """Dominance solvability only: the moves that pay their mover exactly what the honest
    move pays (the same polynomial), and whether they are payoff-equivalent for everyone."""
    per_outcome: "Region | None" = None
    """Weak immunity only: the region of the per-outcome notion (no realisation of nature
    leaves the honest player below zero), beside the expected one this region is."""

    @property
    def holds_everywhere(self) -> bool:
        return not self.conditions


# ---------------------------------------------------------------------------- Z3 glue
class Solver:
    """Z3 over the game's constants, with the participation constraints assumed."""

    def __init__(self, constants: Sequence[str], assumptions: Sequence[str]):
        self.constants = tuple(constants)
        self.variables = {name: z3.Real(name) for name in constants}
        self.assumptions = [self.formula(text) for text in assumptions]

    def poly(self, poly: Poly) -> z3.ArithRef:
        total = z3.RealVal(0)
        for monomial, coefficient in poly.terms:
            term = z3.RealVal(f"{coefficient.numerator}/{coefficient.denominator}")
            for name, exponent in monomial:
                for _ in range(exponent):
                    term = term * self.variables[name]
            total = total + term
        return total

    def formula(self, text: str) -> z3.BoolRef:
        formula = parse_formula(text, self.constants)
        return self._formula(formula)

    def _formula(self, formula) -> z3.BoolRef:
        from proofs.games.terms import Comparison, Junction, Negation
        if isinstance(formula, Comparison):
            left, right = self.poly(formula.left), self.poly(formula.right)
            return {"<": left < right, "<=": left <= right, ">": left > right,
                    ">=": left >= right, "==": left == right, "!=": left != right}[formula.operator]
        if isinstance(formula, Junction):
            parts = [self._formula(part) for part in formula.parts]
            return z3.And(parts) if formula.kind == "and" else z3.Or(parts)
        if isinstance(formula, Negation):
            return z3.Not(self._formula(formula.part))
        return z3.BoolVal(bool(formula.value))

    @functools.cached_property
    def samples(self) -> list[dict[str, Fraction]]:
        """Admissible points (every assumption holds exactly), for filtering queries."""
        return admissible_samples(self, 64, 0)

    def admits(self, point: dict[str, Fraction]) -> bool:
        """Whether every assumption holds at ``point`` (exactly)."""
        return all(z3.is_true(z3.simplify(z3.substitute(
            assumption, *[(self.variables[name], z3.RealVal(f"{value.numerator}/{value.denominator}"))
                          for name, value in point.items()])))
            for assumption in self.assumptions)

    def implied(self, extra: Sequence[z3.BoolRef], goal: z3.BoolRef) -> bool:
        solver = z3.SolverFor("QF_NRA")
        solver.add(*self.assumptions, *extra, z3.Not(goal))
        result = solver.check()
        if result == z3.unknown:
            raise RuntimeError(f"Z3 could not decide {goal}")
        return result == z3.unsat

    def not_implied(self, conditions: dict[Poly, "Condition"]) -> list["Condition"]:
        """The conditions (``key >= 0``) that the assumptions do not imply.

        One query asks for a point where some condition fails; every condition failing
        there is not implied and is set aside; repeat until no condition can fail. This
        takes about one query per condition kept rather than one per condition.
        """
        remaining = dict(conditions)
        failing: list[Condition] = []
        # a condition negative at an admissible point is not implied: no query needed
        for key in list(remaining):
            if any(key.evaluate(point, Fraction(1)) < 0 for point in self.samples):
                failing.append(remaining.pop(key))
        terms = {key: self.poly(key) for key in remaining}
        while remaining:
            solver = z3.SolverFor("QF_NRA")
            solver.add(*self.assumptions, z3.Or([terms[key] < 0 for key in remaining]))
            result = solver.check()
            if result == z3.unsat:
                break
            if result == z3.unknown:
                raise RuntimeError("Z3 could not decide which conditions the assumptions imply")
            model = solver.model()
            broken = [key for key in remaining
                      if z3.is_true(model.eval(terms[key] < 0, model_completion=True))]
            for key in broken:
                failing.append(remaining.pop(key))
        return failing

    def model(self, constraints: Sequence[z3.BoolRef]) -> dict[str, Fraction] | None:
        solver = z3.SolverFor("QF_NRA")
        solver.add(*self.assumptions, *constraints)
        if solver.check() != z3.sat:
            return None
        model = solver.model()
        values = {}
        for name, variable in self.variables.items():
            value = model.eval(variable, model_completion=True)
            values[name] = Fraction(value.as_fraction()) if z3.is_rational_value(value) else \
                Fraction(str(value.approx(12)).rstrip("?"))
        return values


def scaled(poly: Poly) -> Poly:
    """The same inequality with a leading coefficient of one in absolute value (dedup)."""
    if poly.is_zero():
        return poly
    lead = abs(poly.terms[-1][1])
    return poly.scale(Fraction(1) / lead)


def evaluate(poly: Poly, point: dict[str, Fraction]) -> Fraction:
    return poly.evaluate(point, Fraction(1))


def without_signed_factors(condition: Condition, solver: Solver) -> Condition:
    """The same condition with every factor whose sign the assumptions fix divided out
    (e.g. ``q*(2 - q)*(Bv - P) >= 0`` becomes ``Bv - P >= 0``, as 0 < q <= 1): the region
    is unchanged and its formula reads as a bound. Each factor's sign is proved by Z3."""
    expression = to_sympy(condition.difference)
    if len(condition.difference.terms) < 2:
        return condition
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
        return condition
    simpler = parse_poly(str(sympy.expand(sign * kept)), solver.constants)
    return dataclasses.replace(condition, difference=simpler)


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


# ------------------------------------------------------------------------ the properties
def truthful_reporting(root: Node, player: str, solver: Solver,
                       envelope: Envelope | None = None, limit: int = 200_000) -> Region:
    envelope = envelope or Envelope(solver)
    worst = Evaluator([player], "worst", envelope=envelope, limit=limit)
    best = Evaluator([player], "best", envelope=envelope, limit=limit)

    def conditions():
        for node in nodes_of(root):
            if node.player != player or not is_report(node.honest):
                continue
            honest = worst.candidates(dict(node.children)[node.honest])
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
            honest_child = dict(node.children)[node.honest]
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
            following = [dict(node.children)[node.honest]]
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
            value = leaf.utilities[player]
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
        return self.value(dict(node.children)[node.honest])


def finish_region(name: str, subject: str, conditions: Iterable[Condition], solver: Solver) -> Region:
    started = time.perf_counter()
    kept, count = reduce_conditions(conditions, solver)
    region = Region(name, subject, kept, count)
    region.formula = region_formula(kept)
    region.verified = formula_verified(region.formula, kept, solver)
    region.counterexamples = [counterexample(condition, kept, solver) for condition in kept]
    region.seconds = time.perf_counter() - started
    return region


# ------------------------------------------------------------------ formulas and points
SYMPY = {name: sympy.Symbol(name) for name in CONSTANTS}


def to_sympy(poly: Poly) -> sympy.Expr:
    total = sympy.Integer(0)
    for monomial, coefficient in poly.terms:
        term = sympy.Rational(coefficient.numerator, coefficient.denominator)
        for name, exponent in monomial:
            term = term * SYMPY[name] ** exponent
        total += term
    return total


STAKES = ("Bv", "Ba", "Bd")


def positive_power_of_q(expression: sympy.Expr) -> bool:
    """A positive number times a power of q (positive, as q > 0 is assumed)."""
    number, rest = sympy.factor(expression).as_coeff_Mul()
    return number > 0 and (rest == 1 or rest == SYMPY["q"]
                           or (rest.is_Pow and rest.base == SYMPY["q"] and rest.exp.is_Integer))


def as_bound(expression: sympy.Expr) -> sympy.Basic:
    """``expression >= 0`` rewritten as a lower bound on a stake or bond where it is
    linear in one (dividing by a coefficient that is positive under the assumptions)."""
    for stake in STAKES:
        symbol = SYMPY[stake]
        poly = sympy.Poly(sympy.expand(expression), symbol)
        if poly.degree() == 1:
            coefficient, rest = poly.all_coeffs()
            if positive_power_of_q(coefficient):
                return sympy.Ge(symbol, sympy.simplify(-rest / coefficient))
    return sympy.Ge(sympy.factor(expression), 0)


def minimum_stakes_verified(regions: Sequence[Region], minimum: dict[str, sympy.Expr],
                            solver: Solver) -> bool:
    """Z3: ``stake >= minimum[stake]`` for every stake is the intersection of the regions
    (for regions whose every condition bounds a single stake)."""
    closed = z3.And([solver.variables[stake] >= sympy_to_z3(bound, solver)
                     for stake, bound in minimum.items()])
    exact = z3.And([solver.poly(c.difference) >= 0 for region in regions for c in region.conditions])
    return solver.implied([], closed == exact)


def minimum_stakes(regions: Sequence[Region]) -> tuple[dict[str, sympy.Expr], list[str]]:
    """The closed-form minimum of each stake and bond over the intersection of
    ``regions``: the largest of the lower bounds their conditions put on it (sympy ``Max``),
    and the conditions that bound no single stake, as text (see
    :func:`minimum_stakes_verified` for the check back)."""
    bounds: dict[str, list[sympy.Expr]] = {stake: [] for stake in STAKES}
    other: list[str] = []
    for region in regions:
        for condition in region.conditions:
            relation = as_bound(to_sympy(condition.difference))
            if relation.lhs.is_Symbol and relation.lhs.name in STAKES:
                bounds[relation.lhs.name].append(relation.rhs)
            elif str(relation) not in other:
                other.append(str(relation))
    # sympy drops a bound another one dominates only when it knows the signs: every
    # constant is >= 0 and q > 0 (the assumptions), so simplify under those and rename back
    signed = {symbol: sympy.Symbol(name, positive=True) if name == "q" else
              sympy.Symbol(name, nonnegative=True) for name, symbol in SYMPY.items()}
    back = {value: key for key, value in signed.items()}
    return {stake: sympy.Max(0, *[bound.subs(signed) for bound in found]).subs(back)
            for stake, found in bounds.items()}, other


def region_formula(conditions: Sequence[Condition]) -> str:
    if not conditions:
        return "true"
    return " & ".join(sorted(str(as_bound(to_sympy(c.difference))) for c in conditions))


def sympy_to_z3(expression: sympy.Basic, solver: Solver) -> z3.ExprRef:
    """A sympy term or relation over the game's constants as a Z3 term (exact)."""
    if isinstance(expression, sympy.Rel):
        left, right = sympy_to_z3(expression.lhs, solver), sympy_to_z3(expression.rhs, solver)
        return {">=": left >= right, ">": left > right, "<=": left <= right, "<": left < right,
                "==": left == right}[expression.rel_op]
    if expression.is_Symbol:
        return solver.variables[expression.name]
    if expression.is_Rational:
        return z3.RealVal(f"{expression.p}/{expression.q}")
    if expression.is_Add:
        return z3.Sum([sympy_to_z3(part, solver) for part in expression.args])
    if expression.is_Mul:
        product = z3.RealVal(1)
        for part in expression.args:
            product = product * sympy_to_z3(part, solver)
        return product
    if isinstance(expression, sympy.Max):
        parts = [sympy_to_z3(part, solver) for part in expression.args]
        largest = parts[0]
        for part in parts[1:]:
            largest = z3.If(part > largest, part, largest)
        return largest
    if expression.is_Pow and expression.exp.is_Integer:
        base = sympy_to_z3(expression.base, solver)
        power = z3.RealVal(1)
        for _ in range(abs(int(expression.exp))):
            power = power * base
        return power if expression.exp > 0 else 1 / power
    raise ValueError(f"cannot give {expression} to Z3")


def formula_verified(formula: str, conditions: Sequence[Condition], solver: Solver) -> bool:
    """Whether the displayed ``formula`` (parsed back from its text) and the conditions
    define the same region under the assumptions: Z3 finds no point where one holds and
    the other does not."""
    if not conditions:
        return formula == "true"
    shown = z3.And([sympy_to_z3(sympy.sympify(part, locals=SYMPY), solver)
                    for part in formula.split(" & ")])
    exact = z3.And([solver.poly(c.difference) >= 0 for c in conditions])
    return solver.implied([], shown == exact)


def counterexample(condition: Condition, others: Sequence[Condition], solver: Solver) -> dict:
    """A point violating ``condition`` (and satisfying the rest), with both plays."""
    rest = [solver.poly(c.difference) >= 0 for c in others if c is not condition]
    point = solver.model(rest + [solver.poly(condition.difference) < 0])
    if point is None:  # needed only together with others: violate it alone
        point = solver.model([solver.poly(condition.difference) < 0])
    return {
        "violates": str(as_bound(to_sympy(condition.difference))),
        "at": {name: str(value) for name, value in (point or {}).items()},
        "node": list(condition.node),
        "deviation": condition.deviation,
        "honest_payoff": str(to_sympy(condition.honest_play.value)),
        "deviating_payoff": str(to_sympy(condition.deviating_play.value)),
        "honest_value": str(evaluate(condition.honest_play.value, point)) if point else None,
        "deviating_value": str(evaluate(condition.deviating_play.value, point)) if point else None,
        "deviating_play": [list(history) for history, _ in condition.deviating_play.play][:4],
    }


# ------------------------------------------------------------- the spec's rule and report
def spec_rule(shape, solver: Solver) -> list[z3.BoolRef]:
    """The spec's minimum stakes and bonds (``spec.params.stake_requirements``) for the
    game's job, as Z3 constraints over the game's constants (W written K*q)."""
    from spec.params import stake_requirements
    v = solver.variables
    misuse = v["K"] * v["q"]
    requirements = stake_requirements(
        prices=[v["P"]] * shape.data_owners, fees=[v["F"]] * shape.vendors,
        costs=[v["C"]] * shape.vendors, misuse_values=[misuse] * shape.data_owners,
        audit_probability=v["q"], dispute_cost=v["G"], steps=shape.steps,
        vendor_stake=v["Bv"], developer_bond=v["Ba"], owner_bond=v["Bd"])
    return [requirement.amount > requirement.bound if requirement.strict
            else requirement.amount >= requirement.bound for requirement in requirements]


def rule_inside(region: Region, rule: Sequence[z3.BoolRef], solver: Solver) -> list[dict]:
    """Conditions of ``region`` that the spec's rule does not imply, each with a point
    that meets the rule but breaks the condition (empty: the rule lies inside)."""
    outside = []
    for condition in region.conditions:
        goal = solver.poly(condition.difference) >= 0
        if not solver.implied(rule, goal):
            point = solver.model(list(rule) + [z3.Not(goal)])
            outside.append({"condition": str(as_bound(to_sympy(condition.difference))),
                            "at": {k: str(val) for k, val in (point or {}).items()}})
    return outside


def coalitions(players: Sequence[str]) -> list[tuple[str, ...]]:
    """Every coalition of two or more players that leaves someone out."""
    return [group for size in range(2, len(players))
            for group in itertools.combinations(players, size)]


METHODS = ("auto", "enumerate", "refine")
"""How min/max properties are decided: by enumerating candidates with exact pruning
(:class:`Evaluator`, :class:`Envelope`), by counterexample-guided refinement
(:mod:`proofs.refinement`), or ``auto`` (the default): enumeration while a chance node
combines at most :data:`AUTO_LIMIT` candidates, refinement beyond. Enumeration is faster
on small sets (its Z3 queries are small); refinement never builds the sets, so it decides
games whose sets explode (three vendors). Both give the same exact regions."""

AUTO_LIMIT = 5_000


def analyse(shape, progress: Callable[[str], None] | None = None, method: str = "auto") -> list[Region]:
    """Every incentive property of the protocol on the game of ``shape``: regions, counterexamples,
    and whether the spec's stake rule lies inside each region."""
    from proofs import refinement
    from proofs.market_game import build_market_game
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    build = build_market_game(shape)
    root = compile_tree(build)
    solver = Solver(build.game["constants"], build.game["initial_constraints"])
    rule = spec_rule(shape, solver)
    players = build.game["players"]
    refiner, envelope = refinement.Refiner(solver), Envelope(solver)
    limit = AUTO_LIMIT if method == "auto" else 10**9

    def decide(enumerated: Callable[[], Region], refined: Callable[[], Region]) -> Region:
        if method == "refine":
            return refined()
        try:
            return enumerated()
        except CandidateExplosion:
            if method == "enumerate":
                raise
            return refined()

    def truthful(player: str) -> Region:
        return decide(lambda: truthful_reporting(root, player, solver, envelope, limit),
                      lambda: refinement.truthful_reporting(root, player, solver, refiner))

    def immunity(player: str) -> Region:
        region = decide(lambda: weak_immunity(root, player, solver, envelope, limit),
                        lambda: refinement.weak_immunity(root, player, solver, refiner))
        region.per_outcome = weak_immunity_per_outcome(root, player, solver)
        region.per_outcome.rule_outside = rule_inside(region.per_outcome, rule, solver)
        return region

    def collusion(group: tuple[str, ...]) -> Region:
        return decide(lambda: collusion_resilience(root, group, solver, envelope, limit),
                      lambda: refinement.collusion_resilience(root, group, solver, refiner))
    jobs: list[tuple[str, Callable[[], Region]]] = []
    for player in players:
        jobs.append((f"truthful reporting: {player}", lambda p=player: truthful(p)))
    jobs.append(("dominance solvability", lambda: dominance_solvability(root, players, solver)))
    for player in players:
        jobs.append((f"weak immunity: {player}", lambda p=player: immunity(p)))
    for group in coalitions(players):
        jobs.append((f"collusion resilience: {'+'.join(group)}", lambda g=group: collusion(g)))
    regions = []
    for title, job in jobs:
        if progress:
            progress(title)
        region = job()
        region.rule_outside = rule_inside(region, rule, solver)
        regions.append(region)
    return regions
