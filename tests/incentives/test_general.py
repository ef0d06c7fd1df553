"""The theorem for every job shape (``proofs.general``): the Z3 proof, that it can fail
(and then names the smallest shape), the closed form of the spec's rule against the spec,
and the cross-check of the closed forms against the exact per-shape analysis."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
import sympy

from proofs.general import closed_form, export, theorem
from proofs.general.closed_form import FAMILIES, PER_OUTCOME, Composition, rule_agrees_with_spec
from proofs.general.report import every_shape_results
from proofs.market_game import MarketGameShape
from spec.params import bisection_rounds, stake_requirements

COUNTED = (*closed_form.S.values(), closed_form.n, closed_form.m, closed_form.R)
"""The closed forms' symbols: the game's constants, then the counts."""

ANALYSED = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2))


def test_the_spec_rule_lies_inside_every_promised_closed_form_for_every_shape():
    verdicts = theorem.prove(FAMILIES)
    assert len(verdicts) == len(FAMILIES) >= 12
    assert all(verdict.holds for verdict in verdicts), [
        (v.family.subject, v.counterexample) for v in verdicts if not v.holds]


def test_a_weaker_rule_fails_at_the_smallest_shape_with_a_point(monkeypatch):
    """Without the owner bond's margin term (decision 0012) the developer, an owner and one
    vendor gain by cutting the other vendors out: from 1 owner, 2 vendors, T = 2 on."""
    weaker = [condition for condition in closed_form.rule()
              if condition != closed_form.Bd - (closed_form.G + closed_form.n * closed_form.P
                                                + closed_form.m * closed_form.F - closed_form.m * closed_form.C)]
    assert len(weaker) == len(closed_form.rule()) - 1
    monkeypatch.setattr(theorem, "rule", lambda: weaker)
    family = next(f for f in FAMILIES if f.property == "collusion_resilience" and "owners and k" in f.subject)
    verdict = theorem.prove_family(family)
    assert not verdict.holds
    failure = verdict.counterexample
    assert failure is not None
    assert (failure["owners"], failure["vendors"], failure["rounds"]) == (1, 2, 1)
    assert failure["subject"] == {"developer": True, "owners": 1, "vendors": 1}
    point = {name: Fraction(value) for name, value in failure["at"].items()}
    # the point breaks the Bd condition and meets the weaker rule
    assert point["Bd"] < point["F"] - point["C"]
    values = {closed_form.S[name]: sympy.Rational(value.numerator, value.denominator) for name, value in point.items()}
    values.update({closed_form.n: 1, closed_form.m: 2, closed_form.R: 1})
    assert all(condition.subs(values) >= 0 for condition in weaker)


def test_the_closed_form_rule_is_the_spec_rule():
    assert all(rule_agrees_with_spec(owners, vendors, steps, stake_requirements)
               for owners in range(1, 6) for vendors in range(1, 6) for steps in (2, 3, 4, 5, 8, 9, 1000))

    def changed(**arguments):
        requirements = stake_requirements(**arguments)
        return requirements[:-1] + (dataclasses.replace(requirements[-1], bound=requirements[-1].bound + 1),)
    assert not rule_agrees_with_spec(2, 3, 4, changed)


def test_each_subject_is_covered_by_exactly_one_closed_form():
    for owners, vendors in ((1, 1), (2, 3), (5, 4)):
        for developer in (True, False):
            for j in range(owners + 1):
                for k in range(vendors + 1):
                    size = developer + j + k
                    if size < 2 or (developer and j == owners and k == vendors):
                        continue
                    subject = Composition(developer, j, k)
                    covering = [family for family in FAMILIES if family.property == "collusion_resilience"
                                and family.covers(subject, (owners, vendors, 1))]
                    assert len(covering) == 1, (subject, [f.subject for f in covering])


@pytest.fixture(scope="module")
def analysed(analysis):
    return [(shape, analysis(shape)) for shape in ANALYSED]


def test_the_closed_forms_are_the_exact_regions_of_analysed_shapes(analysed):
    for shape, regions in analysed:
        agreements = theorem.cross_check((shape.data_owners, shape.vendors, bisection_rounds(shape.steps)), regions)
        per_outcome = [agreement for agreement in agreements if agreement.per_outcome]
        assert len(agreements) == len(regions) + len(per_outcome)
        assert per_outcome, "the per-outcome regions are cross-checked too"
        assert all(agreement.agrees for agreement in agreements), [
            vars(agreement) for agreement in agreements if not agreement.agrees]


def test_the_cross_check_fails_on_a_wrong_closed_form(analysed, monkeypatch):
    wrong = tuple(dataclasses.replace(family, conditions=family.conditions[:-1])
                  if family.property == "dominance_solvability" else family for family in FAMILIES)
    monkeypatch.setattr(theorem, "FAMILIES", wrong)
    shape, regions = analysed[0]
    agreements = theorem.cross_check((1, 1, 1), regions)
    wrong_ones = [agreement for agreement in agreements if not agreement.agrees]
    assert [agreement.property for agreement in wrong_ones] == ["dominance_solvability"]
    assert wrong_ones[0].points and wrong_ones[0].points[0]["direction"] == "closed form => exact"


def test_the_general_region_is_the_intersection_of_the_exact_regions(analysed):
    for shape, regions in analysed:
        agrees, points = export.intersection_agrees(
            (shape.data_owners, shape.vendors, bisection_rounds(shape.steps)), regions)
        assert agrees, points
    inside, _ = export.rule_inside_general()
    assert inside


def test_every_shape_results_hold_and_report_the_per_outcome_notion(analysed):
    results = every_shape_results(export.counted(analysed))
    by_name = {result.name: result for result in results}
    assert set(by_name) == {"truthful_reporting", "dominance_solvability", "weak_immunity",
                            "collusion_resilience", "general_region"}
    assert all(result.instance == "every shape" and result.holds for result in results), [
        (result.name, result.detail) for result in results if not result.holds]
    outcome = by_name["weak_immunity"].to_json()["per_outcome"]
    assert outcome["promised"] is False and len(outcome["families"]) == len(PER_OUTCOME)
    broken = {family["subject"]: family["smallest_failure"] for family in outcome["families"] if not family["proved"]}
    assert set(broken) == {"the developer", "each data owner"}
    assert (broken["the developer"]["owners"], broken["the developer"]["vendors"]) == (1, 1)


def test_the_general_constraints_mean_the_closed_forms():
    """Each exported constraint, evaluated by the chaincode's own evaluator, agrees with its
    closed form on uniform jobs of several shapes (outside the per-shape set too)."""
    import random
    from reference.chaincode.rules import _compare, evaluate, parse_constraint
    rng = random.Random(3)
    exported = []
    for expression, _ in export.general_conditions():
        constraint = export.reference_constraint(expression)
        if constraint is not None:
            exported.append((sympy.lambdify(COUNTED, expression, modules=[{}]), parse_constraint(constraint[1])))
    assert len(exported) >= 11
    checked = 0
    for owners, vendors, steps in ((1, 1, 2), (5, 4, 1000), (3, 7, 17)):
        rounds = bisection_rounds(steps)
        for _ in range(40):
            game = {name: Fraction(rng.randint(0, 60), rng.choice([1, 2, 3])) for name in
                    ("P", "F", "C", "Bv", "Ba", "Bd", "G", "K")}
            game["q"] = Fraction(rng.randint(1, 10), 10)
            job = {"P": owners * game["P"], "W": owners * game["K"] * game["q"], "F_j": game["F"],
                   "C_j": game["C"], "F": vendors * game["F"], "C": vendors * game["C"],
                   "q": game["q"], "G": game["G"], "Bv": game["Bv"], "Ba": game["Ba"],
                   "Bd": game["Bd"], "N_d": Fraction(owners), "N_v": Fraction(vendors), "R": Fraction(rounds)}
            arguments = [game.get(str(symbol), Fraction(0)) for symbol in COUNTED[:10]] + [
                Fraction(owners), Fraction(vendors), Fraction(rounds)]
            for closed, (left, comparison, right) in exported:
                assert (closed(*arguments) >= 0) == _compare(
                    evaluate(left, job), comparison, evaluate(right, job)), (left, game)
                checked += 1
    assert checked > 1000
