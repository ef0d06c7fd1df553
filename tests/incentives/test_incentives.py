"""The incentive proofs: exact regions, counterexamples, and the spec's stake rule."""

from fractions import Fraction

import pytest

import spec.params
from proofs.incentives.analysis import analyse, rule_inside, spec_rule
from proofs.incentives.properties import truthful_reporting, weak_immunity
from proofs.incentives.solver import Solver
from proofs.incentives.tree import compile_tree
from proofs.market_game import MarketGameShape
from proofs.game_build import build_market_game
from proofs.games.terms import parse_poly

SHAPES = [MarketGameShape(1, 1, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 2, 2)]


@pytest.fixture(scope="module", params=SHAPES, ids=lambda shape: f"{shape.data_owners}x{shape.vendors}")
def regions(request, analysis):
    return request.param, analysis(request.param)


def value(text, point):
    constants = list(point)
    return parse_poly(text, constants).evaluate({k: Fraction(v) for k, v in point.items()}, Fraction(1))


def test_every_property_holds_wherever_the_spec_admits_a_job(regions):
    shape, found = regions
    assert {region.property for region in found} == {
        "truthful_reporting", "dominance_solvability", "weak_immunity", "collusion_resilience"}
    outside = {(r.property, r.subject): r.rule_outside for r in found if r.rule_outside}
    assert outside == {}


def test_each_region_condition_is_needed_and_its_counterexample_is_real(regions):
    shape, found = regions
    for region in found:
        assert len(region.counterexamples) == len(region.conditions)
        for example in region.counterexamples:
            point = example["at"]
            assert point, f"{region.property}: no point violates {example['violates']}"
            honest = value(example["honest_payoff"], point)
            deviating = value(example["deviating_payoff"], point)
            if region.property == "weak_immunity":  # the honest player's payoff goes negative
                assert deviating < 0, (region.subject, example)
            else:  # the deviation pays more than honesty
                assert honest < deviating, (region.property, region.subject, example)


def test_the_collusion_example_of_the_protocol_is_found_below_the_price(regions):
    shape, found = regions
    collusion = next(r for r in found if r.property == "collusion_resilience"
                     and r.subject == "dev1+vendor1")
    examples = [e for e in collusion.counterexamples
                if any(step.startswith("complain_") for play in e["deviating_play"] for step in play)]
    assert examples, collusion.counterexamples
    point = examples[0]["at"]
    assert Fraction(point["Bv"]) < shape.data_owners * Fraction(point["P"])


def test_without_stake_minimums_the_spec_admits_the_collusion(monkeypatch):
    original = spec.params.stake_requirements

    def bonds_only(**kwargs):
        return tuple(r for r in original(**kwargs) if r.code.value != "STAKE_BELOW_MINIMUM")

    monkeypatch.setattr(spec.params, "stake_requirements", bonds_only)
    found = analyse(MarketGameShape(1, 1, 2))
    broken = {(r.property, r.subject) for r in found if r.rule_outside}
    assert ("collusion_resilience", "dev1+vendor1") in broken
    assert ("weak_immunity", "dev1") in broken


def test_a_false_dispute_never_pays_even_against_a_silent_vendor():
    build = build_market_game(MarketGameShape(1, 1, 2))
    root = compile_tree(build)
    solver = Solver(build.game["constants"], build.game["initial_constraints"])
    region = truthful_reporting(root, "dev1", solver)
    # the developer's only condition is that a stake worth disputing exists at all
    assert [c["violates"] for c in region.counterexamples] == ["Bv >= -F + 2*G"]


def test_with_the_old_timeout_rule_an_honest_vendor_pays_for_another_vendors_silence(monkeypatch):
    """Decision 0011: convicting every vendor that had not both confirmed and submitted
    punished a vendor that confirmed and waited for the other to confirm."""
    import spec.actions
    monkeypatch.setattr(spec.actions, "silent_vendors", lambda job: frozenset(
        vendor for vendor in job.vendors if vendor not in job.confirmed or vendor not in job.results))
    build = build_market_game(MarketGameShape(1, 2, 2))
    root = compile_tree(build)
    solver = Solver(build.game["constants"], build.game["initial_constraints"])
    region = weak_immunity(root, "vendor1", solver)
    assert [c["violates"] for c in region.counterexamples] == ["-Bv >= 0"]
    assert "confirm_inputs" in region.counterexamples[0]["deviating_play"][0]


def test_without_the_margin_bond_an_owner_can_help_cut_a_vendor_out(monkeypatch, analysis):
    """Decision 0012: the owner bond must outweigh the margins of the vendors a coalition
    of an owner, the developer and one vendor would cut out."""
    shape = MarketGameShape(1, 2, 2)
    found = analysis(shape)
    original = spec.params.stake_requirements
    monkeypatch.setattr(spec.params, "stake_requirements", lambda **kwargs: tuple(
        r for r in original(**kwargs) if r.name != "owner bond outweighs the vendors' margins"))
    build = build_market_game(shape)
    solver = Solver(build.game["constants"], build.game["initial_constraints"])
    rule = spec_rule(shape, solver)
    broken = {(r.property, r.subject) for r in found if rule_inside(r, rule, solver)}
    # with either vendor (each may take the off-chain deal, decision 0050)
    assert broken == {("collusion_resilience", "dev1+owner1+vendor1"),
                      ("collusion_resilience", "dev1+owner1+vendor2")}


def test_every_simplified_region_is_checked_back_by_z3(regions):
    shape, found = regions
    assert all(region.verified for region in found)


def test_a_wrong_simplification_is_caught():
    from proofs.incentives.formulas import formula_verified
    from proofs.games.terms import Poly, parse_poly
    from proofs.incentives.regions import Candidate, Condition
    build = build_market_game(MarketGameShape(1, 1, 2))
    solver = Solver(build.game["constants"], build.game["initial_constraints"])
    nothing = Candidate(Poly(), ())
    condition = Condition(parse_poly("q*Bv - P", build.game["constants"]), (), "x", nothing, nothing)
    assert formula_verified("Bv >= P/q", [condition], solver)
    assert not formula_verified("Bv >= P", [condition], solver)


def test_the_minimum_stakes_are_the_region_in_closed_form(analysis):
    from proofs.incentives.report import minimum_stakes_result
    import sympy
    from proofs.incentives.formulas import SYMPY, minimum_stakes, minimum_stakes_verified
    from proofs.market_game import CONSTANTS, participation_constraints
    shape = MarketGameShape(1, 2, 2)
    found = analysis(shape)
    result = minimum_stakes_result(found, shape)
    assert result.holds, result.detail
    minimum, other = minimum_stakes(found)
    assert other == []
    # decision 0012's finding, in closed form: the owner bond must cover the vendor margin
    assert minimum["Bd"] == sympy.Max(0, SYMPY["F"] - SYMPY["C"])
    solver = Solver(CONSTANTS, participation_constraints(shape))
    weaker = dict(minimum, Bd=sympy.Integer(0))
    assert not minimum_stakes_verified(found, weaker, solver)


def test_the_honest_profile_witness_pays_what_the_protocol_promises(monkeypatch):
    from proofs import market_game
    from proofs.incentives.report import honest_play_result
    shape = MarketGameShape(1, 2, 2)
    result = honest_play_result(shape)
    assert result.holds, result.detail
    assert ["grant", "accept_job", "accept_job", "confirm_inputs", "confirm_inputs", "submit_honest",
            "submit_honest", "no_audit"] in result.data["honest_histories"]
    original = market_game.utilities

    def fee_withheld(market, job, value):
        utility = original(market, job, value)
        return {**utility, "vendor2": utility["vendor2"] - market.offers["vendor2"].fee}

    monkeypatch.setattr(market_game, "utilities", fee_withheld)
    broken = honest_play_result(shape)
    assert not broken.holds and broken.data["wrong"][0]["player"] == "vendor2"


def test_refinement_finds_the_same_regions_as_enumeration(analysis):
    """Two independent ways to the exact region: enumerating candidates (with exact
    pruning) and counterexample-guided refinement (proofs.incentives.refinement)."""
    shape = MarketGameShape(1, 2, 2)
    enumerated = analysis(shape)
    refined = analyse(shape, method="refine")
    assert [(r.property, r.subject, r.formula) for r in refined] == [
        (r.property, r.subject, r.formula) for r in enumerated]
    assert all(r.verified for r in refined)


def test_auto_falls_back_to_refinement_when_candidates_explode(monkeypatch, analysis):
    import proofs.incentives.analysis as incentive_analysis
    import proofs.incentives.candidates as candidates
    shape = MarketGameShape(2, 1, 2)
    monkeypatch.setattr(incentive_analysis, "AUTO_LIMIT", 1)
    with pytest.raises(candidates.CandidateExplosion):
        weak_immunity(compile_tree(build_market_game(shape)), "dev1",
                      Solver(*_game_solver_args(shape)), limit=1)
    fallen_back = analyse(shape)
    assert [(r.property, r.subject, r.formula) for r in fallen_back] == [
        (r.property, r.subject, r.formula) for r in analysis(shape)]


def _game_solver_args(shape):
    game = build_market_game(shape).game
    return game["constants"], game["initial_constraints"]


def test_with_one_re_execution_the_honest_developer_examines_the_last_wrong_vendor(monkeypatch):
    """Decision 0031: a job allows one re-execution, so which wrong vendor the honest
    developer examines matters. Examining the first one in the order of moves lets a vendor
    that skips after another skipped free-ride on that one's conviction: dominance
    solvability then needs C <= 0, outside the spec's rule. The game's honest developer
    examines the last one, and the property holds (``test_every_property_holds...``)."""
    import proofs.market_game as market_game
    from spec.payoffs import did_honest_work
    from spec.state import JobStatus

    original = market_game.honest_choice

    def examines_the_first(market, player, labels):
        job = market.jobs[market_game.JOB]
        if job.status == JobStatus.DELIVERED and not {"abstain", "report_misuse"} & set(labels):
            lazy = [v for v in job.vendors
                    if not did_honest_work(market, job, v) and v not in job.convicted_vendors]
            return f"dispute_{lazy[0]}" if lazy else "accept_result"
        return original(market, player, labels)

    monkeypatch.setattr(market_game, "honest_choice", examines_the_first)
    [dominance] = [region for region in analyse(MarketGameShape(1, 2, 2))
                   if region.property == "dominance_solvability"]
    assert dominance.rule_outside
    assert "-C >= 0" in dominance.formula
