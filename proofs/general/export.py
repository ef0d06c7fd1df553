"""The general region for the reference chaincode: every closed form, in the chaincode's
quantities, for every job.

A family's conditions are affine in the coalition counts ``j`` and ``k``, so over a class
of coalitions each bound is greatest at a corner of the class's ranges
(:attr:`proofs.general.closed_form.Family.ranges`); the general region is the conjunction
of every condition at every corner — the intersection of the regions of every property,
role and coalition, as constraints in ``N_d`` (datasets), ``N_v`` (vendors), ``R``
(bisection rounds) and the per-shape export's quantities (``P`` and ``W`` summed over the
datasets, ``F_j`` and ``C_j`` of each vendor; :mod:`proofs.region_export`). At an
analysed shape it is checked to be exactly the intersection of that shape's exact regions
(:func:`intersection_agrees`), and for every shape the spec's rule is proved to lie inside
it (:func:`rule_inside_general`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import sympy
import z3

from proofs.general.closed_form import FAMILIES, C, F, Family, K, P, R, S, j, k, m, n, q, rule
from proofs.general.theorem import Translator, equivalent
from proofs.incentives.formulas import to_sympy
from proofs.market_game import MarketGameShape
import proofs.region_export as region_export
from proofs.region_export import export_document, stake_requirement
from spec.params import bisection_rounds

N_d, N_v = sympy.symbols("N_d N_v")
REFERENCE = {**region_export.REFERENCE, "R": sympy.Symbol("R")}
"""The chaincode's formula symbols (:data:`proofs.region_export.REFERENCE`) and the rounds ``R``."""


def corners(family: Family) -> list[dict[sympy.Symbol, sympy.Expr]]:
    (j_low, j_high), (k_low, k_high) = family.ranges
    found = []
    for j_value in dict.fromkeys((j_low, j_high)):
        for k_value in dict.fromkeys((k_low, k_high)):
            found.append({j: sympy.sympify(j_value), k: sympy.sympify(k_value)})
    return found


def general_conditions() -> list[tuple[sympy.Expr, list[str]]]:
    """Every promised family's conditions at every corner (game constants and n, m, R),
    each ``expression >= 0``, with the families it comes from; duplicates once."""
    found: dict[sympy.Expr, list[str]] = {}
    for family in FAMILIES:
        for corner in corners(family):
            for condition in family.conditions:
                sources = found.setdefault(sympy.expand(condition.subs(corner)), [])
                source = f"{family.property} ({family.subject})"
                if source not in sources:
                    sources.append(source)
    return list(found.items())


def in_reference_quantities(expression: sympy.Expr) -> sympy.Expr:
    """Game constants to the chaincode's: per-dataset price P/N_d, misuse compensation
    W/(q N_d); the counts n, m are N_d, N_v; ``m*F`` and ``m*C`` (all the vendors' fees
    or costs) are the sums ``F`` and ``C``, so that for a job whose vendors differ the
    constraint speaks of what they are paid in all, as the spec's rule does."""
    ref = REFERENCE
    swapped = sympy.expand(expression.subs({
        P: ref["P"] / N_d, K: ref["W"] / (ref["q"] * N_d), F: ref["F_j"], C: ref["C_j"],
        q: ref["q"], S["G"]: ref["G"], S["Bv"]: ref["Bv"], S["Ba"]: ref["Ba"],
        S["Bd"]: ref["Bd"], n: N_d, m: N_v, R: ref["R"]}, simultaneous=True))
    return swapped.subs({N_v * ref["F_j"]: SUMS["F"], N_v * ref["C_j"]: SUMS["C"]})


SUMS = {"F": sympy.Symbol("F"), "C": sympy.Symbol("C")}
"""The chaincode's sums of the vendors' fees and costs."""


def positive_factor(expression: sympy.Expr) -> bool:
    """A positive number times powers of q and N_d (positive: q > 0, N_d >= 1)."""
    number, rest = sympy.factor(expression).as_coeff_Mul()
    if number <= 0:
        return False
    for factor in sympy.Mul.make_args(rest):
        base = factor.base if factor.is_Pow and factor.exp.is_Integer else factor
        if base not in (REFERENCE["q"], N_d) and factor != 1:
            return False
    return True


def reference_constraint(expression: sympy.Expr) -> tuple[str, str] | None:
    """``expression >= 0`` as ``(code, require)`` in the chaincode's formula language, or
    None when it bounds no stake (then participation implies it or it is not a stake rule)."""
    numerator, denominator = sympy.fraction(sympy.together(in_reference_quantities(expression)))
    if not positive_factor(denominator):
        numerator = numerator * denominator
    return stake_requirement(numerator, positive_factor,
                             lambda bound: sympy.factor_terms(sympy.expand(bound)))


def general_constraints() -> list[dict]:
    """The general region as chaincode constraints, sorted by text."""
    entries: dict[str, dict] = {}
    for expression, sources in general_conditions():
        result = reference_constraint(expression)
        if result is None:
            continue
        code, text = result
        entry = entries.setdefault(text, {"name": sources[0], "code": code, "require": text, "from": []})
        entry["from"] += [source for source in sources if source not in entry["from"]]
    return sorted(entries.values(), key=lambda entry: entry["require"])


def intersection_agrees(shape: tuple[int, int, int], regions: Sequence) -> tuple[bool, list[dict]]:
    """Whether the general region at ``shape`` (owners, vendors, rounds) is exactly the
    intersection of the shape's exact regions (promised notions), under participation."""
    exact = [to_sympy(condition.difference) for region in regions for condition in region.conditions]
    values = {n: shape[0], m: shape[1], R: shape[2]}
    closed = [expression.subs(values) for expression, _ in general_conditions()]
    return equivalent(exact, closed, shape)


def rule_inside_general() -> tuple[bool, float]:
    """Z3: for all counts (reals >= 1), participation and the spec's rule imply every
    general condition."""
    started = time.perf_counter()
    translator = Translator()
    base = translator.assumptions() + translator.nonnegative(rule())
    for expression, _ in general_conditions():  # one query per condition: far faster than one for all
        solver = z3.SolverFor("QF_NRA")
        solver.add(*base, z3.Not(translator.term(expression) >= 0))
        if solver.check() != z3.unsat:
            return False, time.perf_counter() - started
    return True, time.perf_counter() - started


def general_section(analysed: "Counted") -> dict:
    """The ``general`` section of ``regions.json``. ``analysed``: ((owners, vendors,
    steps, rounds), regions) per analysed shape."""
    checked = []
    for (owners, vendors, steps, rounds), regions in analysed:
        agrees, _ = intersection_agrees((owners, vendors, rounds), regions)
        checked.append({"datasets": owners, "vendors": vendors, "steps": steps,
                        "equals_intersection_of_regions": agrees})
    return {
        "statement": "every job, any number of datasets N_d >= 1 and vendors N_v >= 1, any steps "
                     "T >= 2 (R = ceil(log2 T)): the intersection of the closed-form incentive "
                     "regions (proofs/general); the spec's stake rule lies inside it (Z3, for all "
                     "counts)",
        "constraints": general_constraints(),
        "cross_checked": checked,
    }



Counted = Sequence[tuple[tuple[int, int, int, int], Sequence]]
"""((owners, vendors, steps, rounds), regions) per analysed shape."""


def counted(analysed: Sequence[tuple[MarketGameShape, Sequence]]) -> list[tuple[tuple[int, int, int, int], Sequence]]:
    """The per-shape analysis keyed by counts, rounds included."""
    return [((shape.data_owners, shape.vendors, shape.steps, bisection_rounds(shape.steps)), regions)
            for shape, regions in analysed]


def document_with_general(analysed: Sequence[tuple[MarketGameShape, Sequence]]) -> dict:
    """``regions.json``: the per-shape regions (:func:`proofs.region_export.export_document`)
    with the general region after them."""
    document = export_document(analysed)
    document["general"] = general_section(counted(analysed))
    return document
