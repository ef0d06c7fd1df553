"""Regions derived from the count game for all counts, and checked against the analysed shapes.

For each family a count game covers (:data:`COUNT_GAMES`: the developer's, a vendor's
and an owner's view, every mover's decision-node classes for dominance solvability,
:mod:`proofs.general.count_game_dominance`, and the five coalition classes' games: owners
alone and the developer with owners, :mod:`proofs.general.count_game_coalitions`; the
developer with vendors, :mod:`proofs.general.count_game_vendor_coalitions`; the developer
with owners and vendors, :mod:`proofs.general.count_game_mixed_coalitions`; vendors with
owners, :mod:`proofs.general.count_game_vendors_with_owners`):

1. **Eliminating the others' behaviour.** Each condition of the count game says "for every
   whole-number value of its behaviour counts, in their nested ranges, ``expression >= 0``".
   Its expression must be affine in those counts (checked with sympy); the machine then
   takes the corners of the ranges (each count at its low or high end, in order, where the
   ranges are non-empty) and Z3 proves the lemma that the corner conditions imply the
   condition at *every real* point of the ranges, for all real counts n, m, R >= 1 and all
   constants under participation. The corners are whole-number behaviours (the bounds have
   integer coefficients), so the corner conditions are exactly the condition.
2. **Equivalence with the closed form.** Z3 proves, for all real n, m, R >= 1 under
   participation, that the conjunction of the corner conditions (each where its ranges
   are non-empty) is equivalent to the family's closed form
   (:data:`proofs.general.closed_form.FAMILIES`), both ways. Over the reals the statement
   is stronger than over the whole numbers; if Z3 cannot show it there it is asked again
   with whole-number counts.
3. **The misuse lemma.** The count game gives one misuse opportunity; with k of them the
   candidates grow by mixtures ``q*x + (1-q)*y`` of earlier candidates and the misuser's
   conviction. Z3 proves the step that makes every k the same: with ``0 < q <= 1`` a
   mixture of non-negative values is non-negative, and ``q*x + (1-q)*0 >= 0`` forces
   ``x >= 0``, where the 0 is a candidate of the game without misuse (a complaint ends the
   job with the deposit back) — which the code checks in the game itself.
4. **Faithfulness** (:func:`cross_check`): at every analysed shape the count game, its
   behaviour counts enumerated one by one (no lemma), must give a region Z3-equivalent to
   the exact region the per-shape analysis computed from the spec.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy
import z3

from proofs.general.closed_form import FAMILIES, Family, R, j, k, m, n
from proofs.general.count_game import (
    DEVELOPER_FAMILIES,
    GAMES,
    Behaviour,
    Quantified,
    candidates,
    developer_game,
)
from proofs.general.count_game_coalitions import COALITION_GAMES, Planted, class_game, class_of
from proofs.general.count_game_coalitions import collusion_resilience as coalition_conditions
from proofs.general.count_game_dominance import dominance_game, dominance_solvability
from proofs.general.count_game_mixed_coalitions import (
    MIXED_COALITION_GAMES,
    member_first,
    mixed_class_game,
    mixed_class_of,
    mixed_misuse_lemma,
)
from proofs.general.count_game_mixed_coalitions import Planted as MixedPlanted
from proofs.general.count_game_vendor_coalitions import (
    VENDOR_COALITION_GAMES,
    vendor_class_game,
    vendor_class_of,
    vendor_misuse_lemma,
)
from proofs.general.count_game_vendor_coalitions import Planted as VendorPlanted
from proofs.general.count_game_vendors_with_owners import VENDORS_WITH_OWNERS, VENDORS_WITH_OWNERS_GAMES, coalition_game
from proofs.general.count_game_vendors_with_owners import Planted as OwnersVendorsPlanted
from proofs.general.count_game_vendors_with_owners import in_class
from proofs.general.count_game_vendors_with_owners import misuse_lemma as vendors_owners_misuse_lemma
from proofs.general.theorem import composition_of
from proofs.general.theorem import Translator, equivalent, point_of
from proofs.incentives.formulas import to_sympy

Guarded = tuple[tuple[sympy.Expr, ...], sympy.Expr]
"""A condition ``expression >= 0`` required where every guard is ``>= 0``."""

def compared(subject: str, shape_subject: str) -> bool:
    """Whether a per-shape result's subject (``dev1``, ``vendor2``, ...) is one the count game's
    closed-form subject stands for: every vendor of the shape for "each vendor"."""
    if subject == "the developer":
        return shape_subject == "dev1"
    if subject == "each vendor":
        return shape_subject.startswith("vendor") and "+" not in shape_subject
    if subject == "each data owner":
        return shape_subject.startswith("owner") and "+" not in shape_subject
    if subject == "all players":
        return shape_subject == "all players"
    raise ValueError(f"no count game for {subject}")


def solver_with(translator: Translator, *facts: z3.BoolRef, timeout_ms: int = 60_000) -> z3.Solver:
    solver = z3.SolverFor("QF_NRA")
    solver.set("timeout", timeout_ms)
    solver.add(*translator.assumptions(), *facts)
    return solver


def with_behaviours(translator: Translator, behaviours: Sequence[Behaviour]) -> Translator:
    for behaviour in behaviours:
        translator.variables.setdefault(behaviour.symbol, z3.Real(str(behaviour.symbol)))
    return translator


def affine_in(expression: sympy.Expr, behaviours: Sequence[Behaviour]) -> bool:
    symbols = [behaviour.symbol for behaviour in behaviours]
    if not symbols:
        return True
    return sympy.Poly(sympy.expand(expression), *symbols).total_degree() <= 1


def integral_bounds(behaviours: Sequence[Behaviour]) -> bool:
    """Every bound has integer coefficients, so a corner is a whole number for whole counts."""
    for behaviour in behaviours:
        for bound in (behaviour.low, behaviour.high):
            coefficients = sympy.Poly(sympy.expand(bound), n, m, R, *[b.symbol for b in behaviours]).coeffs()
            if not all(sympy.sympify(c).is_integer for c in coefficients):
                return False
    return True


def corners(condition: Quantified) -> list[Guarded]:
    """The condition at every corner of its behaviour ranges (each count at an end, in order),
    guarded by the ranges being non-empty there."""
    result = []
    for ends in itertools.product((0, 1), repeat=len(condition.behaviours)):
        values: dict[sympy.Symbol, sympy.Expr] = {}
        guards = []
        for behaviour, end in zip(condition.behaviours, ends):
            low, high = behaviour.low.subs(values), behaviour.high.subs(values)
            guards.append(sympy.expand(high - low))
            values[behaviour.symbol] = high if end else low
        result.append((tuple(g for g in guards if not (g.is_number and g >= 0)),
                       sympy.expand(condition.expression.subs(values))))
    return list(dict.fromkeys(result))


def guarded_terms(translator: Translator, guarded: Guarded) -> z3.BoolRef:
    guards, expression = guarded
    return z3.Implies(z3.And([translator.term(g) >= 0 for g in guards] or [z3.BoolVal(True)]),
                      translator.term(expression) >= 0)


@dataclass
class Elimination:
    """One count-game condition with its behaviours eliminated (the lemma's proof)."""

    condition: Quantified
    corners: list[Guarded]
    proved: bool


def eliminate(condition: Quantified) -> Elimination:
    """Step 1: the corners, and Z3's proof that they imply the condition on the whole range."""
    found = corners(condition)
    if not condition.behaviours:
        return Elimination(condition, found, True)
    if not affine_in(condition.expression, condition.behaviours) or not integral_bounds(condition.behaviours):
        return Elimination(condition, found, False)
    translator = with_behaviours(Translator(), condition.behaviours)
    inside = [z3.And(translator.term(b.symbol) >= translator.term(b.low),
                     translator.term(b.symbol) <= translator.term(b.high)) for b in condition.behaviours]
    solver = solver_with(translator, *inside, *[guarded_terms(translator, g) for g in found],
                         translator.term(condition.expression) < 0)
    return Elimination(condition, found, solver.check() == z3.unsat)


def implies_each(premises: Sequence[Guarded], goals: Sequence[Guarded], integer_counts: bool) -> list[dict]:
    """The goals the premises do not imply for all counts (with a point), under participation."""
    translator = Translator(integer_counts=integer_counts)
    premised = [guarded_terms(translator, p) for p in premises]
    missing = []
    # a goal implied without its guards is implied with them: many goals share an expression
    unguarded: dict[sympy.Expr, bool] = {}
    for goal in goals:
        guards, expression = goal
        if guards and expression not in unguarded:
            unguarded[expression] = solver_with(translator, *premised, translator.term(expression) < 0
                                                ).check() == z3.unsat
        if guards and unguarded[expression]:
            continue
        solver = solver_with(translator, *premised,
                             *[translator.term(g) >= 0 for g in guards], translator.term(expression) < 0)
        answer = solver.check()
        if answer != z3.unsat:
            missing.append({"condition": str(sympy.Ge(expression, 0)),
                            "where": [str(sympy.Ge(g, 0)) for g in guards],
                            "at": point_of(solver.model(), translator) if answer == z3.sat else "unknown"})
    return missing


def equivalent_for_all_counts(derived: Sequence[Guarded], family: Family) -> tuple[bool, list[dict], str]:
    """Step 2: the derived region against the closed form, both ways, over real counts, else whole ones.

    A coalition class's closed form holds for every composition in it: its conditions are
    affine in j and k, so over the class they are the conditions at the corners of its
    ranges (:attr:`proofs.general.closed_form.Family.ranges`), where those are non-empty."""
    closed: list[Guarded] = list(dict.fromkeys(
        ((sympy.expand(high_j - low_j), sympy.expand(high_k - low_k)), sympy.expand(c.subs({j: at_j, k: at_k})))
        for c in family.conditions
        for (low_j, high_j), (low_k, high_k) in [family.ranges]
        for at_j in (low_j, high_j) for at_k in (low_k, high_k)))
    closed = [(tuple(g for g in guards if not (g.is_number and g >= 0)), e) for guards, e in closed]
    differences: list[dict] = []
    for integer_counts in (False, True):
        differences = ([dict(d, direction="count game => closed form") for d in implies_each(derived, closed, integer_counts)]
                       + [dict(d, direction="closed form => count game") for d in implies_each(closed, derived, integer_counts)])
        if not differences:
            return True, [], "whole-number counts" if integer_counts else "real counts"
    return False, differences, "whole-number counts"


def misuse_lemma() -> bool:
    """Step 3: mixtures with 0 < q <= 1 of non-negative values are non-negative, and a
    mixture ``q*x + (1-q)*0 >= 0`` forces ``x >= 0``; and the developer's game without misuse
    has the candidate 0 (the deposit back), so one opportunity fixes ``x >= 0`` for the
    misuser's conviction, and further ones add only mixtures."""
    x, y, p = z3.Reals("x y p")
    closure = z3.Solver()
    closure.add(p > 0, p <= 1, x >= 0, y >= 0, p * x + (1 - p) * y < 0)
    forcing = z3.Solver()
    forcing.add(p > 0, p <= 1, p * x + (1 - p) * 0 >= 0, x < 0)
    zero = any(c.value == 0 and not c.behaviours for c in candidates(developer_game(misuses=0), "worst"))
    return closure.check() == z3.unsat and forcing.check() == z3.unsat and zero


def owner_misuse_lemma() -> bool:
    """The owner's game with any number of misuses has the regions of one (induction on the
    misuses u so far, each step proved by Z3 for all real u >= 0, 0 < q <= 1, K >= 0):

    * immunity: if after u + 1 misuses the honest owner's value is at least
      ``P - (u+1)*K*q``, then before that misuse it is at least ``P - u*K*q`` — a found
      misuse is reported (by the owner if no one before it did) and pays K; the endings
      pay ``P - u*K*q`` or more; so at release it is at least P, and P >= 0;
    * reports: every value below a let-pass after u misuses (an ending, a later report,
      a further misuse found or not, and mixtures of these) is at most ``P + K - u*K*q``,
      the value of reporting."""
    P_, K_, q_, u, y, x = z3.Reals("P K q u y x")
    base = [q_ > 0, q_ <= 1, K_ >= 0, u >= 0]
    step = z3.Solver()
    step.add(*base, y >= P_ - (u + 1) * K_ * q_,
             q_ * (P_ + K_ - (u + 1) * K_ * q_) + (1 - q_) * y < P_ - u * K_ * q_)
    bound = P_ + K_ - u * K_ * q_
    capped = z3.Solver()
    capped.add(*base, y <= P_ + K_ - (u + 1) * K_ * q_, x <= bound,
               z3.Or(P_ - (u + 1) * K_ * q_ > bound, P_ + K_ - (u + 1) * K_ * q_ > bound,
                     q_ * y + (1 - q_) * x > bound, P_ - u * K_ * q_ > bound))
    return step.check() == z3.unsat and capped.check() == z3.unsat


@dataclass
class CountDerivation:
    """One family derived from the count game for all counts, and checked at the shapes."""

    name: str
    """The property."""
    subject: str
    conditions: int
    eliminated: bool
    """Every condition's behaviours eliminated by a lemma Z3 proved."""
    equivalent: bool
    """Z3: the derived region is the closed form for all counts."""
    counts: str
    differences: list[dict]
    region: list[str]
    seconds: float
    agreements: list[dict] = field(default_factory=list)
    """The cross-check: the count game at each analysed shape against the exact region."""

    @property
    def derived(self) -> bool:
        return self.eliminated and self.equivalent

    @property
    def faithful(self) -> bool:
        return bool(self.agreements) and all(entry["agrees"] for entry in self.agreements)

    def to_json(self) -> dict:
        return {"property": self.name, "subject": self.subject,
                "derived_for_all_counts": self.derived, "behaviours_eliminated_by_z3_lemma": self.eliminated,
                "equals_closed_form": self.equivalent, "proved_over": self.counts,
                "differences": self.differences, "count_game_conditions": self.conditions,
                "derived_region": self.region, "seconds": round(self.seconds, 3),
                "cross_check": {"shapes": len({(a["owners"], a["vendors"], a["steps"]) for a in self.agreements}),
                                "regions": len(self.agreements),
                                "disagreements": [entry for entry in self.agreements if not entry["agrees"]]}}


Families = Sequence[tuple[str, str, Callable[[Any], list[Quantified]]]]
"""(property, closed-form subject, the property's conditions on the count game)."""

DOMINANCE_FAMILIES: tuple[tuple[str, str, Callable[[Any], list[Quantified]]], ...] = (
    ("dominance_solvability", "all players", dominance_solvability),)

COUNT_GAMES: tuple[tuple[Callable[[], Any], Families], ...] = (
    *((build, families) for build, families in GAMES), (dominance_game, DOMINANCE_FAMILIES), *COALITION_GAMES,
    *VENDOR_COALITION_GAMES, *MIXED_COALITION_GAMES, *VENDORS_WITH_OWNERS_GAMES)
"""Every count game with the families it gives: the three views (a game tree each), the
decision-node classes for dominance solvability, and the coalition classes' games."""


def derive(game: Any = None, families: Families = DEVELOPER_FAMILIES) -> list[CountDerivation]:
    """Steps 1 and 2 for every family of the count game."""
    game = game if game is not None else developer_game()
    derivations = []
    for property_, subject, conditions_of in families:
        started = time.perf_counter()
        family = next(f for f in FAMILIES if f.property == property_ and f.subject == subject)
        conditions = conditions_of(game)
        eliminations = [eliminate(condition) for condition in conditions]
        derived = list(dict.fromkeys(g for e in eliminations for g in e.corners))
        same, differences, over = equivalent_for_all_counts(derived, family)
        region = [str(sympy.Ge(e, 0)) + (f" where {', '.join(str(sympy.Ge(g, 0)) for g in gs)}" if gs else "")
                  for gs, e in derived if not (e.is_number and e >= 0) and not any(g.is_number for g in gs)]
        derivations.append(CountDerivation(property_, subject, len(conditions),
                                           all(e.proved for e in eliminations), same, over, differences,
                                           region, time.perf_counter() - started))
    return derivations


# ---------------------------------------------------------------------- faithfulness
def enumerated(condition: Quantified, shape: tuple[int, int, int]) -> list[sympy.Expr]:
    """The condition at one shape, every whole-number behaviour in its ranges taken in turn."""
    counts = {n: shape[0], m: shape[1], R: shape[2]}
    found = []

    def walk(index: int, values: dict) -> None:
        if index == len(condition.behaviours):
            found.append(sympy.expand(condition.expression.subs(values)))
            return
        behaviour = condition.behaviours[index]
        low, high = int(behaviour.low.subs(values)), int(behaviour.high.subs(values))
        for value in range(low, high + 1):
            walk(index + 1, {**values, behaviour.symbol: value})

    walk(0, dict(counts))
    return found


def at_shape(conditions: Sequence[Quantified], shape: tuple[int, int, int]) -> list[sympy.Expr]:
    return list(dict.fromkeys(e for c in conditions for e in enumerated(c, shape)
                              if not (e.is_number and e >= 0)))


def cross_check(analysed: Sequence[tuple[tuple[int, int, int, int], Sequence]], game: Any = None,
                families: Families = DEVELOPER_FAMILIES) -> list[dict]:
    """Step 4: at every analysed shape ((owners, vendors, steps, rounds), regions), each
    count-game region against the exact region of the same property and subject (of every
    player the subject stands for)."""
    game = game if game is not None else developer_game()
    agreements = []
    for property_, subject, conditions_of in families:
        conditions = conditions_of(game)
        for (owners, vendors, steps, rounds), regions in analysed:
            shape = (owners, vendors, rounds)
            ours = at_shape(conditions, shape)
            for exact in [r for r in regions if r.property == property_ and compared(subject, r.subject)]:
                agrees, points = equivalent([to_sympy(c.difference) for c in exact.conditions], ours, shape)
                agreements.append({"property": property_, "subject": subject, "player": exact.subject,
                                   "owners": owners, "vendors": vendors, "steps": steps,
                                   "agrees": agrees, "points": points})
    return agreements


def coalition_cross_check(analysed: Sequence[tuple[tuple[int, int, int, int], Sequence]],
                           planted: Planted = Planted(), vendor_planted: VendorPlanted = VendorPlanted(),
                           mixed_planted: MixedPlanted = MixedPlanted(),
                           owners_vendors_planted: OwnersVendorsPlanted = OwnersVendorsPlanted()) -> list[dict]:
    """Step 4 for the coalition classes (:mod:`proofs.general.count_game_coalitions`,
    :mod:`proofs.general.count_game_vendor_coalitions`,
    :mod:`proofs.general.count_game_mixed_coalitions`,
    :mod:`proofs.general.count_game_vendors_with_owners`): at every analysed shape, every
    coalition of a class built there, its composition fixed (and its position where one
    matters: for the developer with owners and vendors whether a member is the first vendor,
    for vendors with owners its vendors' positions), against the exact region of that
    coalition."""
    agreements = []
    for (owners, vendors, steps, rounds), regions in analysed:
        # coalitions of one composition (and position) have the same count-game conditions
        known: dict[tuple, list[sympy.Expr]] = {}
        for region in regions:
            composition = composition_of(region.subject) if region.property == "collusion_resilience" else None
            if composition is None:
                continue
            subject = class_of(composition)
            build: Callable[[], Any]
            if subject is not None:
                key: tuple = (composition,)
                build = functools.partial(class_game, composition, planted)
            elif (subject := vendor_class_of(composition)) is not None:
                key = (composition,)
                build = functools.partial(vendor_class_game, composition, vendor_planted)
            elif (subject := mixed_class_of(region.subject)) is not None:
                key = (composition, member_first(region.subject, vendors))
                build = functools.partial(mixed_class_game, region.subject, vendors, mixed_planted)
            elif in_class(composition):
                subject = VENDORS_WITH_OWNERS
                key = (composition, region.subject)
                build = functools.partial(coalition_game, region.subject, vendors, owners_vendors_planted)
            else:
                continue
            if key not in known:
                known[key] = at_shape(coalition_conditions(build()), (owners, vendors, rounds))
            ours = known[key]
            agrees, points = equivalent([to_sympy(c.difference) for c in region.conditions], ours,
                                        (owners, vendors, rounds))
            agreements.append({"property": region.property, "subject": subject, "player": region.subject,
                               "owners": owners, "vendors": vendors, "steps": steps,
                               "agrees": agrees, "points": points})
    return agreements


def count_game_results(analysed: Sequence[tuple[tuple[int, int, int, int], Sequence]]) -> dict:
    """Everything the every-shape results say about the count game."""
    started = time.perf_counter()
    derivations, agreements = [], []
    for build, families in COUNT_GAMES:
        game = build()
        derivations += derive(game, families)
        if (build, families) not in (COALITION_GAMES + VENDOR_COALITION_GAMES + MIXED_COALITION_GAMES
                                     + VENDORS_WITH_OWNERS_GAMES):
            agreements += cross_check(analysed, game, families)
    agreements += coalition_cross_check(analysed)
    for derivation in derivations:
        derivation.agreements = [a for a in agreements
                                 if (a["property"], a["subject"]) == (derivation.name, derivation.subject)]
    return {"derivations": derivations, "misuse_lemma": (misuse_lemma() and owner_misuse_lemma()
                                                         and vendor_misuse_lemma() and mixed_misuse_lemma()
                                                         and vendors_owners_misuse_lemma()),
            "seconds": time.perf_counter() - started}
