"""The closed forms derived from the analysed shapes (``proofs.general.interpolation``):
the analysed shapes fix them among regions affine in the counts; too few shapes, a family
that differs from the exact conditions, and one that differs only where no analysed shape
looks (an invisible degree-two term the cross-check accepts) are each caught."""

from __future__ import annotations

import dataclasses

import pytest

from proofs.general import closed_form, interpolation, theorem
from proofs.general.closed_form import FAMILIES, R, m, n
from proofs.general.export import counted
from proofs.general.large_shapes import every_shape_results_with
from proofs.general.report import every_shape_results
from proofs.market_game import MarketGameShape

SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 1, 4))
"""The smallest shapes that vary each of n, m and R once."""


@pytest.fixture(scope="module")
def analysed(analysis):
    return counted([(shape, analysis(shape)) for shape in SHAPES])


def family(property_: str, subject: str) -> closed_form.Family:
    return next(f for f in FAMILIES if f.property == property_ and f.subject == subject)


def test_role_families_are_derived_from_the_four_smallest_shapes(analysed):
    roles = [f for f in FAMILIES if f.property != "collusion_resilience"]
    derivations = interpolation.derive_all(analysed, roles)
    assert all(d.derived for d in derivations), [d.to_json() for d in derivations if not d.derived]
    developer = next(d for d in derivations if d.family.subject == "the developer"
                     and d.family.property == "weak_immunity")
    assert developer.points == 4 and developer.family.conditions
    # n and R never vary together in these shapes: a (n - 1)*(R - 1) term stays unseen
    assert interpolation.vanishes((n - 1) * (R - 1), developer.at) and developer.unseen
    assert not interpolation.vanishes(n - 1, developer.at) and not interpolation.vanishes(R - 1, developer.at)


def test_the_developer_with_vendors_is_derived_with_its_k(analysed):
    derivation = interpolation.derive(family("collusion_resilience", "the developer with k >= 1 vendors and no owner"),
                                      analysed)
    assert derivation.derived, derivation.to_json()
    assert derivation.points == 5


def test_shapes_without_a_second_round_do_not_determine_the_developer(analysed):
    without = [entry for entry in analysed if entry[0][3] == 1]
    assert len(without) == 3
    derivation = interpolation.derive(family("truthful_reporting", "the developer"), without)
    assert not derivation.derived and not derivation.determined
    assert "do not fix its affine coefficients" in derivation.reason
    assert "R - 1" in derivation.unseen and interpolation.vanishes(R - 1, derivation.at)


def test_a_family_unlike_the_exact_conditions_is_not_matched(analysed):
    wrong = family("weak_immunity", "the developer")
    wrong = dataclasses.replace(wrong, conditions=(wrong.conditions[0], wrong.conditions[1] - n * closed_form.P))
    derivation = interpolation.derive(wrong, analysed)
    assert not derivation.derived and derivation.unmatched
    assert any("none of the family's" in problem for point in derivation.unmatched for problem in point["problems"])


def test_an_invisible_degree_two_term_passes_the_cross_check_but_is_not_derived(analysed):
    """``(n - 1)*(R - 1)*P`` vanishes on every analysed shape: the cross-check cannot tell
    the changed family from the exact regions; the interpolation finds it is not the affine
    region the shapes determine."""
    original = family("weak_immunity", "the developer")
    changed = dataclasses.replace(original, conditions=(
        original.conditions[0], original.conditions[1] - (n - 1) * (R - 1) * closed_form.P))
    for (owners, vendors, _, rounds), regions in analysed:
        region = next(r for r in regions if r.property == "weak_immunity" and r.subject == "dev1")
        exact = [theorem.to_sympy(c.difference) for c in region.conditions]
        agrees, _ = theorem.equivalent(exact, changed.at((owners, vendors, rounds), None), (owners, vendors, rounds))
        assert agrees
    derivation = interpolation.derive(changed, analysed)
    assert derivation.determined and not derivation.unmatched
    assert not derivation.equal and not derivation.derived
    assert "interpolated" in derivation.reason


def test_interpolation_is_exact_linear_algebra():
    Bv, P, terms = closed_form.Bv, closed_form.P, interpolation.terms_of
    samples = {(1, 1, 1, 0, 0): terms(Bv - P), (2, 1, 1, 0, 0): terms(Bv - 2 * P),
               (1, 2, 1, 0, 0): terms(Bv - P), (1, 1, 2, 0, 0): terms(Bv - P)}
    derived, spare = interpolation.interpolate(samples, (n, m, R))
    assert derived is not None and spare == 0
    assert derived - (Bv - n * P) == 0
    samples[(2, 2, 1, 0, 0)] = terms(Bv - 5 * P)  # not affine with the others
    assert interpolation.interpolate(samples, (n, m, R)) == (None, 1)


def test_the_every_shape_results_state_what_is_derived_and_assumed(analysed):
    results = {result.name: result for result in every_shape_results(analysed)}
    truthful = results["truthful_reporting"]
    assert truthful.holds
    assert "3 of 3 closed forms are derived" in truthful.detail
    assert "assumed, not proved" in truthful.detail
    derivation = truthful.to_json()["derivation"]
    assert "polynomial in the counts" in derivation["assumed"]
    assert all(entry["degree"] == 1 for entry in derivation["families"])  # no shape has n, R >= 2
    assert all(entry["derived"] for entry in derivation["families"])
    collusion = results["collusion_resilience"]
    assert "not derived (read off)" in collusion.detail


def test_the_checked_shapes_fix_every_role_at_degree_two_only_with_the_premise_shape():
    """Linear algebra alone: the (n, m, R) of the per-shape set leave ``(n - 1)*(R - 1)``
    unseen; the premise shape 2 owners, 1 vendor, T = 4 fixes degree two."""
    from proofs.general.report import PREMISE_SHAPES
    from proofs.incentives.report import SHAPES as CHECKED
    from spec.params import bisection_rounds

    def points(shapes):
        return sorted({(s.data_owners, s.vendors, bisection_rounds(s.steps), 0, 0) for s in shapes})
    assert not interpolation.unisolvent(points(CHECKED), (n, m, R), 2)
    assert interpolation.vanishes((n - 1) * (R - 1), points(CHECKED))
    assert interpolation.unisolvent(points(CHECKED + PREMISE_SHAPES), (n, m, R), 2)


def test_a_game_with_one_settlement_term_changed_is_caught(monkeypatch):
    """The claimant's dispute spending doubled per round in the spec's settlement: the game
    derived from the changed spec has other regions, and the family is not matched."""
    import spec.payoffs
    from proofs.incentives.analysis import analyse
    monkeypatch.setattr(spec.payoffs, "dispute_compensation", lambda cost, rounds: cost * (2 * rounds + 1))
    changed = counted([(shape, analyse(shape)) for shape in (MarketGameShape(1, 1, 2), MarketGameShape(1, 1, 4))])
    derivation = interpolation.derive(family("truthful_reporting", "the developer"), changed)
    assert not derivation.derived and derivation.unmatched
    assert any("none of the family's" in problem for point in derivation.unmatched for problem in point["problems"])


def test_added_shapes_say_which_shapes_fixed_what(analysis):
    analysed = [(shape, analysis(shape)) for shape in SHAPES if shape.steps == 2]
    added = [(MarketGameShape(1, 1, 4), analysis(MarketGameShape(1, 1, 4)))]
    results = {result.name: result for result in every_shape_results_with(analysed, added)}
    developer = next(entry for entry in results["weak_immunity"].data["derivation"]["families"]
                     if entry["subject"] == "the developer")
    # one round only: the developer's region is not derived; the two-round shape derives it
    assert developer["degree_from_check_shapes"] is None and developer["derived"]
    assert developer["added_shapes"] == developer["needed_shapes"] == ["1x1 T=4"]
    assert results["weak_immunity"].data["derivation"]["added_shapes"] == ["1x1 T=4"]
    owners = next(entry for entry in results["weak_immunity"].data["derivation"]["families"]
                  if entry["subject"] == "each data owner")
    # the owners' region was derived (affine) without it: nothing is needed
    assert owners["derived"] and owners["degree_from_check_shapes"] == 1 and "needed_shapes" not in owners
