"""The closed forms derived from the analysed shapes: interpolation in the counts.

:func:`proofs.general.theorem.cross_check` shows that each closed form
(:data:`proofs.general.closed_form.FAMILIES`) is *equivalent* to the exact region at every
analysed shape. This module asks the stronger question of where the closed form comes
from: whether the analysed shapes **determine** it, so that it is computed from the game
rather than chosen by whoever wrote it down. For each family:

1. **Matching.** At every analysed shape and subject the family covers, each exact
   condition must literally be one of the family's conditions at those counts, up to a
   positive rational factor, and each of the family's conditions must be one of the exact
   conditions or be implied there by participation and the others (Z3). (The cross-check
   allows any equivalent way of writing the region; this one demands the same
   conditions.)
2. **Interpolation.** Each condition, its count denominators cleared and divided by the
   coefficient of its first count-free monomial (a stake, e.g. ``Bv``), has as coefficients
   functions of the counts that vary over the family's class (n, m, R, and j, k where the
   class lets them vary). The machine solves for them from the exact conditions of the
   matched points (exact rational linear algebra) among polynomials of degree two in those
   counts when the points fix such polynomials (then the family's affine form is itself
   derived), else among affine ones; with too few points, or points that are not affinely
   independent, the family is *not determined* by the analysed shapes. Every further point
   must agree with the solution (the spare points test the premise), and the interpolated
   condition must be the family's, term by term.
3. **What the analysed shapes cannot see.** The count polynomials of degree at most two
   that vanish at every matched point (a basis of the kernel of the degree-two design
   matrix): adding any of them, times a constant monomial, to a condition changes no
   analysed region. They are what the affine assumption rules out and no analysed shape
   tests, e.g. ``(n - 1)*(R - 1)`` when no analysed shape has both several owners and
   several rounds.

What this proves and what it assumes: *if* each region keeps its conditions, with
coefficients polynomial in the counts of at most the stated degree (:attr:`Derivation.degree`),
for every shape, the closed forms are the only such regions that agree with the exact
analysis — derived, not read off. That premise is tested on the analysed shapes (the
spare points) and is **not** proved for the shapes beyond them: a region that gained a
condition only at larger shapes, or a coefficient of higher degree (or, at degree one, a
term like ``(n - 1)*(R - 1)`` that no analysed shape sees), would escape this check. A
symbolic-count game would remove the premise.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy
import z3

from proofs.general.closed_form import FAMILIES, PER_OUTCOME, STRICT, Composition, Family, S, j, k, m, n, participation, R
from proofs.general.theorem import Translator, composition_of
from proofs.incentives.formulas import to_sympy

CONSTANTS = tuple(S.values())
Point = tuple[int, int, int, int, int]
"""The counts of one analysed subject: (n, m, R, j, k)."""


@dataclass
class Derivation:
    """One family derived (or not) from the exact regions of the analysed shapes."""

    family: Family
    at: list[Point] = field(default_factory=list)
    """The distinct count points (n, m, R, j, k) the family covers among the analysed subjects."""
    unmatched: list[dict] = field(default_factory=list)
    """Points where the exact conditions are not the family's (see :func:`match`)."""
    determined: bool = False
    """Every condition's affine coefficients are fixed by its matched points."""
    equal: bool = False
    """The interpolated conditions are the family's, term by term."""
    spare: int = 0
    """Matched points beyond those the interpolation needs, all consistent with it."""
    unseen: list[str] = field(default_factory=list)
    """Degree-two count polynomials vanishing at every point: what no analysed shape tests."""
    degree: int = 1
    """The degree in the counts among which the analysed shapes fix every condition: 2 when
    they fix even a quadratic dependence (the affine form is then derived, not assumed),
    else 1 (the affine form is assumed)."""
    reason: str = ""
    shapes: list[tuple[int, int, int]] = field(default_factory=list)
    """The analysed shapes (owners, vendors, steps) whose subjects gave the points."""

    @property
    def points(self) -> int:
        return len(self.at)

    @property
    def derived(self) -> bool:
        return not self.unmatched and self.determined and self.equal

    def to_json(self) -> dict:
        return {"subject": self.family.subject, "derived": self.derived, "points": self.points,
                "spare_points": self.spare, "degree": self.degree, "unmatched": self.unmatched[:3],
                "unseen_degree_two": self.unseen, "reason": self.reason,
                "shapes": [shape_name(owners, vendors, steps) for owners, vendors, steps in self.shapes]}


def shape_name(owners: int, vendors: int, steps: int) -> str:
    """How a derivation names an analysed shape, e.g. ``3x3 T=8``."""
    return f"{owners}x{vendors} T={steps}"


def varying(family: Family) -> tuple[sympy.Symbol, ...]:
    """The counts that vary over the family's class: n, m, R, and j, k unless fixed."""
    (j_low, j_high), (k_low, k_high) = family.ranges
    return (n, m, R) + ((j,) if j_low != j_high else ()) + ((k,) if k_low != k_high else ())


def cleared(condition: sympy.Expr) -> sympy.Expr:
    """The condition with its denominators in the counts multiplied out (they are positive)."""
    numerator, denominator = sympy.fraction(sympy.together(condition))
    if not denominator.free_symbols <= {n, m, R, j, k} or not (denominator.is_Mul or denominator.is_Symbol
                                                               or denominator.is_Number or denominator.is_Pow):
        raise ValueError(f"denominator {denominator} of {condition} is not a product of counts")
    return sympy.expand(numerator)


def reference_monomial(condition: sympy.Expr) -> tuple[int, ...] | None:
    """The first monomial (in the constants) whose coefficient is a positive number: its
    coefficient fixes the condition's scale at every shape."""
    poly = sympy.Poly(condition, *CONSTANTS)
    for monomial, coefficient in sorted(poly.terms(), reverse=True):
        if coefficient.is_Number and coefficient > 0:
            return monomial
    return None


Terms = dict[tuple[int, ...], sympy.Expr]
"""A polynomial in the constants: coefficient by monomial (exponents in :data:`CONSTANTS` order)."""


def terms_of(condition: sympy.Expr) -> Terms:
    return {monomial: sympy.sympify(coefficient)
            for monomial, coefficient in sympy.Poly(condition, *CONSTANTS).as_dict().items()}


def normalised(condition: sympy.Expr | Terms, monomial: tuple[int, ...]) -> Terms | None:
    """``condition`` divided by its (positive, numeric) coefficient of ``monomial``."""
    terms = condition if isinstance(condition, dict) else terms_of(condition)
    coefficient = terms.get(monomial, sympy.Integer(0))
    if not (coefficient.is_Number and coefficient > 0):
        return None
    return {key: value / coefficient for key, value in terms.items()}


def expression_of(terms: Terms) -> sympy.Expr:
    return sympy.Add(*(coefficient * sympy.Mul(*(symbol ** power for symbol, power in zip(CONSTANTS, monomial)))
                       for monomial, coefficient in terms.items()))


def implied(others: Sequence[sympy.Expr], goal: sympy.Expr) -> bool:
    """Z3: participation (at the counts substituted) and ``others`` imply ``goal >= 0``."""
    translator = Translator()
    solver = z3.SolverFor("QF_NRA")
    solver.add(*translator.nonnegative(others), *[translator.term(symbol) > 0 for symbol in STRICT],
               z3.Not(translator.term(goal) >= 0))
    return solver.check() == z3.unsat


def exact_points(family: Family, analysed: Sequence[tuple[tuple[int, int, int, int], Sequence]],
                 converted: dict[int, list[sympy.Expr]] | None = None) -> dict[Point, list[list[sympy.Expr]]]:
    """The exact conditions of every analysed subject the family covers, by counts
    (``converted``: the regions' conditions already in sympy, by the region's id)."""
    found: dict[Point, list[list[sympy.Expr]]] = {}
    converted = {} if converted is None else converted
    for (owners, vendors, _, rounds), regions in analysed:
        for region in regions:
            if region.property != family.property:
                continue
            exact = region.per_outcome if family.per_outcome else region
            subject = composition_of(region.subject)
            if exact is None or not family.covers(subject, (owners, vendors, rounds)):
                continue
            whole = subject or Composition(True, owners, vendors)
            point = (owners, vendors, rounds, whole.owners, whole.vendors)
            if id(exact) not in converted:
                converted[id(exact)] = [to_sympy(c.difference) for c in exact.conditions]
            found.setdefault(point, []).append(converted[id(exact)])
    return found


def match(conditions: Sequence[sympy.Expr], monomials: Sequence[tuple[int, ...]], point: Point,
          exact: Sequence[sympy.Expr]) -> tuple[dict[int, Terms], list[str]]:
    """Which of the family's conditions (cleared, at ``point``) appear among ``exact`` up to
    a positive factor: ``{index: the exact condition normalised}``; and what disagrees."""
    values = dict(zip((n, m, R, j, k), point))
    here = [sympy.expand(condition.subs(values)) for condition in conditions]
    ours = [normalised(condition, monomial) for condition, monomial in zip(here, monomials)]
    matched: dict[int, Terms] = {}
    problems = []
    for condition in exact:
        terms = terms_of(condition)
        hits: dict[int, Terms] = {}
        for index, monomial in enumerate(monomials):
            scaled = normalised(terms, monomial)
            if scaled is not None and scaled == ours[index]:
                hits[index] = scaled
        if not hits:
            problems.append(f"exact condition {sympy.Ge(condition, 0)} is none of the family's")
        matched.update(hits)
    base = [sympy.expand(expression.subs(values)) for expression in participation()]
    for index, condition in enumerate(here):
        if index not in matched and not implied(base + list(exact), condition):
            problems.append(f"the family's {sympy.Ge(condition, 0)} is neither an exact condition nor implied")
    return matched, problems


def basis(counts: Sequence[sympy.Symbol], degree: int) -> list[tuple[sympy.Symbol, ...]]:
    """The monomials of degree <= ``degree`` in ``counts``, each as its factors."""
    return [chosen for size in range(degree + 1)
            for chosen in itertools.combinations_with_replacement(counts, size)]


POSITION = {n: 0, m: 1, R: 2, j: 3, k: 4}


def vanishes(polynomial: sympy.Expr, points: Sequence[Point]) -> bool:
    """Whether a count polynomial is zero at every point (no analysed shape sees it)."""
    return all(sympy.sympify(polynomial).subs(dict(zip((n, m, R, j, k), point))) == 0 for point in points)


def design(points: Sequence[Point], terms: Sequence[tuple[sympy.Symbol, ...]]) -> sympy.Matrix:
    """The monomials' values (whole numbers) at the points, a row per point."""
    rows = []
    for point in points:
        row = []
        for term in terms:
            value = 1
            for symbol in term:
                value *= point[POSITION[symbol]]
            row.append(value)
        rows.append(row)
    return sympy.Matrix(rows)


def unisolvent(points: Sequence[Point], counts: Sequence[sympy.Symbol], degree: int) -> bool:
    """Whether a polynomial of degree <= ``degree`` in ``counts`` is fixed by its values at the points."""
    terms = basis(counts, degree)
    return len(points) >= len(terms) and design(sorted(points), terms).rank() == len(terms)


def interpolate(samples: dict[Point, Terms], counts: Sequence[sympy.Symbol],
                degree: int = 1) -> tuple[sympy.Expr | None, int]:
    """The condition whose coefficients are polynomials of degree <= ``degree`` (affine by
    default) in ``counts`` and agree with every sample (normalised conditions by point);
    None if the samples do not fix it or no such condition meets them all. Also the number
    of spare samples."""
    points = sorted(samples)
    terms = basis(counts, degree)
    matrix = design(points, terms)
    if matrix.rank() < len(terms):
        return None, 0
    polys = [samples[point] for point in points]
    monomials = sorted({monomial for poly in polys for monomial in poly})
    result = sympy.Integer(0)
    normal = (matrix.T * matrix).inv()
    for monomial in monomials:
        column = sympy.Matrix([poly.get(monomial, sympy.Integer(0)) for poly in polys])
        weights = normal * matrix.T * column
        if matrix * weights != column:
            return None, len(points) - len(terms)
        coefficient = sum((weight * sympy.Mul(*term) for weight, term in zip(weights, terms)), sympy.Integer(0))
        result += coefficient * sympy.Mul(*(symbol ** power for symbol, power in zip(CONSTANTS, monomial)))
    return sympy.expand(result), len(points) - len(terms)


def unseen(points: Sequence[Point], counts: Sequence[sympy.Symbol]) -> list[str]:
    """Count polynomials of degree <= 2 that vanish at every point (a kernel basis)."""
    if not points:
        return []
    terms = basis(counts, 2)
    return [str(sympy.factor(sum((value * sympy.Mul(*term) for value, term in zip(vector, terms)), sympy.Integer(0))))
            for vector in design(sorted(points), terms).nullspace()]


def derive(family: Family, analysed: Sequence[tuple[tuple[int, int, int, int], Sequence]],
           converted: dict[int, list[sympy.Expr]] | None = None) -> Derivation:
    """Derive ``family`` from the exact regions of the analysed shapes (see the module)."""
    found = exact_points(family, analysed, converted)
    seen = {point[:3] for point in found}
    derivation = Derivation(family, at=sorted(found), shapes=[
        (owners, vendors, steps) for (owners, vendors, steps, rounds), _ in analysed if (owners, vendors, rounds) in seen])
    if not found:
        derivation.reason = "no analysed shape has a subject of this class"
        return derivation
    conditions = [cleared(condition) for condition in family.conditions]
    monomials = [reference_monomial(condition) for condition in conditions]
    if any(monomial is None for monomial in monomials):
        derivation.reason = "a condition has no count-free coefficient to fix its scale (e.g. no stake)"
        derivation.unmatched = [{"reason": derivation.reason}]
        return derivation
    fixed = [monomial for monomial in monomials if monomial is not None]
    samples: list[dict[Point, Terms]] = [{} for _ in conditions]
    for point, regions in sorted(found.items()):
        for exact in regions:
            matched, problems = match(conditions, fixed, point, exact)
            if problems:
                derivation.unmatched.append({"counts": dict(zip("nmRjk", point)), "problems": problems})
            for index, condition in matched.items():
                samples[index][point] = condition
    counts = varying(family)
    derivation.determined, derivation.equal = True, True
    derivation.degree = 2 if unisolvent(list(found), counts, 2) else 1
    unseen_terms = [] if conditions else unseen(list(found), counts)
    for index, condition in enumerate(conditions):
        # degree two where the matched points fix it (then the affine premise is tested too)
        degree = 2 if unisolvent(list(samples[index]), counts, 2) else 1
        derivation.degree = min(derivation.degree, degree)
        unseen_terms += unseen(list(samples[index]), counts)
        derived, spare = interpolate(samples[index], counts, degree)
        if derived is None:
            derivation.determined = False
            derivation.reason = (f"the matched points of {sympy.Ge(condition, 0)} do not fix its affine "
                                 f"coefficients in {', '.join(map(str, counts))}")
            continue
        derivation.spare = spare if index == 0 else min(derivation.spare, spare)
        ours = normalised(fixed_counts(family, condition), fixed[index])
        if ours is None or sympy.expand(derived - expression_of(ours)) != 0:
            derivation.equal = False
            derivation.reason = f"interpolated {sympy.Ge(derived, 0)}, the family says {sympy.Ge(condition, 0)}"
    derivation.unseen = list(dict.fromkeys(unseen_terms))
    if derivation.unmatched and not derivation.reason:
        derivation.reason = "the exact conditions are not the family's at some analysed point"
    return derivation


def fixed_counts(family: Family, condition: sympy.Expr) -> sympy.Expr:
    """``condition`` with the counts its class fixes (j or k) substituted."""
    (j_low, j_high), (k_low, k_high) = family.ranges
    values = {}
    if j_low == j_high:
        values[j] = j_low
    if k_low == k_high:
        values[k] = k_low
    return sympy.expand(sympy.sympify(condition).subs(values))


def derive_all(analysed: Sequence[tuple[tuple[int, int, int, int], Sequence]],
               families: Sequence[Family] = FAMILIES + PER_OUTCOME) -> list[Derivation]:
    converted: dict[int, list[sympy.Expr]] = {}
    return [derive(family, analysed, converted) for family in families]
