"""The theorem for every job shape, proved with Z3, and its cross-check.

**Theorem.** For all counts n >= 1 (data owners), m >= 1 (vendors), R >= 1 (bisection
rounds, i.e. every T >= 2 steps), every coalition composition (developer in or not, j
owners, k vendors) and every value of the game's constants meeting the participation
constraints, the spec's stake rule (:func:`proofs.general.closed_form.rule`) implies the
closed-form region of each family (:data:`proofs.general.closed_form.FAMILIES`).

:func:`prove` states it to Z3 with the counts as *real* variables (``n, m, R >= 1``,
``j``, ``k`` in their class's range): one query per family, ``participation & rule &
not region``, must be unsatisfiable (Z3's complete procedure for nonlinear real
arithmetic). Over the reals the statement is stronger than over the whole numbers, so
unsatisfiable settles every shape. Were a query satisfiable, :func:`smallest_failure`
searches the whole-number shapes in order of size for the smallest one where the rule
admits a point outside the region, and returns that point.

**Cross-check.** :func:`cross_check` compares each closed form, instantiated at an
analysed shape, with the exact region the per-shape analysis found there: Z3 must show
them equivalent under the participation constraints (both implications), else the check
reports the disagreement. What the machine checks is therefore: (a) for every shape, the
rule lies inside the closed forms; (b) on every analysed shape, the closed forms are the
exact regions of the game derived from the spec. That the closed forms are also the exact
regions of the shapes beyond the analysed ones is interpolated from the analysed shapes
(:mod:`proofs.general.interpolation`) under a premise on the degree of the regions in the
counts, not proved.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy
import z3

from proofs.incentives.formulas import to_sympy
from proofs.general.closed_form import (
    COUNTS,
    FAMILIES,
    PER_OUTCOME,
    STRICT,
    Composition,
    Family,
    S,
    m,
    n,
    participation,
    rule,
    R,
)


# ------------------------------------------------------------------------------ Z3 glue
class Translator:
    """sympy polynomials and rational functions (over a positive ``q``) as Z3 real terms."""

    def __init__(self, integer_counts: bool = False) -> None:
        self.variables: dict[sympy.Symbol, z3.ArithRef] = {
            symbol: z3.Real(str(symbol)) for symbol in S.values()}
        for symbol in COUNTS:
            self.variables[symbol] = z3.Int(str(symbol)) if integer_counts else z3.Real(str(symbol))

    def term(self, expression: sympy.Expr) -> z3.ArithRef:
        expression = sympy.sympify(expression)
        if expression.is_Symbol:
            variable = self.variables[expression]
            return z3.ToReal(variable) if variable.is_int() else variable
        if expression.is_Rational:
            return z3.RealVal(f"{expression.p}/{expression.q}")
        if expression.is_Add:
            return z3.Sum([self.term(part) for part in expression.args])
        if expression.is_Mul:
            return z3.Product([self.term(part) for part in expression.args])
        if expression.is_Pow and expression.exp.is_Integer:
            base, exponent = self.term(expression.base), int(expression.exp)
            power = z3.Product([base] * abs(exponent)) if exponent else z3.RealVal(1)
            return power if exponent > 0 else 1 / power
        raise ValueError(f"cannot translate {expression} to Z3")

    def nonnegative(self, expressions: Iterable[sympy.Expr]) -> list[z3.BoolRef]:
        return [self.term(expression) >= 0 for expression in expressions]

    def assumptions(self) -> list[z3.BoolRef]:
        """Participation (``q > 0`` strict) with every count at least one."""
        return (self.nonnegative(participation()) + [self.term(symbol) > 0 for symbol in STRICT]
                + [self.term(symbol) >= 1 for symbol in (n, m, R)])


def point_of(model: z3.ModelRef, translator: Translator) -> dict[str, str]:
    point = {}
    for symbol, variable in translator.variables.items():
        value = model.eval(variable, model_completion=True)
        if z3.is_int_value(value):
            point[str(symbol)] = str(value.as_long())
        else:
            point[str(symbol)] = str(Fraction(value.as_fraction()) if z3.is_rational_value(value)
                                     else value.as_decimal(12))
    return point


# ---------------------------------------------------------------------------- the proof
@dataclass
class Verdict:
    """The theorem for one family: proved, or the smallest shape where it fails."""

    family: Family
    holds: bool
    seconds: float
    counterexample: dict | None = None


def prove_family(family: Family, timeout_ms: int = 60_000) -> Verdict:
    started = time.perf_counter()
    translator = Translator()
    solver = z3.SolverFor("QF_NRA")
    solver.set("timeout", timeout_ms)
    solver.add(*translator.assumptions(), *translator.nonnegative(rule()),
               *translator.nonnegative(family.where))
    solver.add(z3.Not(z3.And(translator.nonnegative(family.conditions) or [z3.BoolVal(True)])))
    answer = solver.check()
    if answer == z3.unsat:
        return Verdict(family, True, time.perf_counter() - started)
    failure = smallest_failure(family)
    if answer == z3.unknown and failure is None:
        raise RuntimeError(f"Z3 could not decide the theorem for {family.property} ({family.subject})")
    return Verdict(family, False, time.perf_counter() - started, failure)


def compositions(owners: int, vendors: int, family: Family) -> Iterable[Composition]:
    for developer, in_owners, in_vendors in itertools.product((True, False), range(owners + 1),
                                                              range(vendors + 1)):
        subject = Composition(developer, in_owners, in_vendors)
        if family.covers(subject, (owners, vendors, 1)):
            yield subject


def smallest_failure(family: Family, largest: int = 6) -> dict | None:
    """The first whole-number shape (by owners + vendors + rounds) and subject where the
    rule admits a point outside the family's region, with that point."""
    shapes = sorted(itertools.product(range(1, largest + 1), repeat=3), key=lambda shape: (sum(shape), shape))
    for owners, vendors, rounds in shapes:
        subjects = [None] if family.developer is None else list(compositions(owners, vendors, family))
        for subject in subjects:
            conditions = family.at((owners, vendors, rounds), subject)
            values = {n: owners, m: vendors, R: rounds}
            translator = Translator()
            solver = z3.SolverFor("QF_NRA")
            solver.add(*[translator.term(sympy.sympify(expression).subs(values)) >= 0
                         for expression in participation() + rule()],
                       *[translator.term(symbol) > 0 for symbol in STRICT])
            solver.add(z3.Not(z3.And(translator.nonnegative(conditions) or [z3.BoolVal(True)])))
            if solver.check() == z3.sat:
                point = {name: value for name, value in point_of(solver.model(), translator).items()
                         if name in S}
                return {"owners": owners, "vendors": vendors, "rounds": rounds,
                        "steps": 2 ** rounds,
                        "subject": None if subject is None else vars(subject),
                        "at": point,
                        "broken": [str(sympy.Ge(expression, 0)) for expression in conditions
                                   if not bool(expression.subs({S[name]: sympy.Rational(value)
                                                                for name, value in point.items()}) >= 0)]}
    return None


def prove(families: Sequence[Family] = FAMILIES + PER_OUTCOME) -> list[Verdict]:
    return [prove_family(family) for family in families]


# ------------------------------------------------------------------------ the cross-check
def composition_of(subject: str) -> Composition | None:
    """The composition of a per-shape result's subject ("dev1", "owner2", "all players",
    "dev1+owner1+vendor2")."""
    if subject == "all players":
        return None
    members = subject.split("+")
    return Composition("dev1" in members, sum(member.startswith("owner") for member in members),
                       sum(member.startswith("vendor") for member in members))


@dataclass
class Agreement:
    """One per-shape region compared with the closed form covering it."""

    shape: tuple[int, int, int]
    property: str
    subject: str
    per_outcome: bool
    family: str | None
    agrees: bool
    detail: str = ""
    points: list[dict] = field(default_factory=list)


def equivalent(exact: Sequence[sympy.Expr], closed: Sequence[sympy.Expr], shape: tuple[int, int, int]
               ) -> tuple[bool, list[dict]]:
    """Whether the two conjunctions (each ``expression >= 0``) agree under participation
    at ``shape``; else a point for each direction that fails."""
    translator = Translator()
    values = {n: shape[0], m: shape[1], R: shape[2]}
    base = ([translator.term(sympy.sympify(expression).subs(values)) >= 0 for expression in participation()]
            + [translator.term(symbol) > 0 for symbol in STRICT])
    points = []
    for holds, other in ((exact, closed), (closed, exact)):
        solver = z3.SolverFor("QF_NRA")
        solver.add(*base, *translator.nonnegative(holds))
        solver.add(z3.Not(z3.And(translator.nonnegative(other) or [z3.BoolVal(True)])))
        answer = solver.check()
        if answer != z3.unsat:
            points.append({"direction": "exact => closed form" if holds is exact else "closed form => exact",
                           "at": point_of(solver.model(), translator) if answer == z3.sat else "unknown"})
    return not points, points


def cross_check(shape: tuple[int, int, int], regions: Sequence) -> list[Agreement]:
    """Every region of one analysed shape (``proofs.incentives.Region``; ``shape`` is
    owners, vendors, rounds) against the closed forms; per-outcome regions too."""
    agreements = []
    for region in regions:
        subject = composition_of(region.subject)
        for per_outcome, exact in ((False, region), (True, region.per_outcome)):
            if exact is None:
                continue
            covering = [family for family in FAMILIES + PER_OUTCOME
                        if family.property == region.property and family.per_outcome == per_outcome
                        and family.covers(subject, shape)]
            if len(covering) != 1:
                agreements.append(Agreement(shape, region.property, region.subject, per_outcome, None, False,
                                            f"{len(covering)} closed forms cover this subject (need one)"))
                continue
            family = covering[0]
            conditions = [to_sympy(condition.difference) for condition in exact.conditions]
            agrees, points = equivalent(conditions, family.at(shape, subject), shape)
            agreements.append(Agreement(shape, region.property, region.subject, per_outcome, family.subject,
                                        agrees, "" if agrees else "the closed form differs from the exact region",
                                        points))
    return agreements
