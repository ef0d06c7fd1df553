"""The count game (``proofs.general.count_game``, ``proofs.general.count_proof``): regions
derived for all counts, the lemmas, and the cross-check against the exact per-shape
analysis, including that planted modelling errors are caught."""

from __future__ import annotations

import pytest
import sympy

from proofs.general import count_game, count_proof
from proofs.general.closed_form import R, m, n
from proofs.general.count_game import Behaviour, Quantified, developer_game
from proofs.general.export import counted
from proofs.general.report import every_shape_results
from proofs.market_game import MarketGameShape

SHAPES = (MarketGameShape(1, 1, 2), MarketGameShape(1, 2, 2), MarketGameShape(2, 1, 2), MarketGameShape(1, 1, 4))


@pytest.fixture(scope="module")
def analysed(analysis):
    return counted([(shape, analysis(shape)) for shape in SHAPES])


def test_the_developer_families_are_derived_for_all_counts():
    derivations = {d.name: d for d in count_proof.derive()}
    assert set(derivations) == {"truthful_reporting", "weak_immunity"}
    for derivation in derivations.values():
        assert derivation.eliminated, derivation.name
        assert derivation.equivalent and derivation.counts == "real counts", derivation.differences
        assert derivation.conditions > 0 and derivation.region


def test_the_vendor_families_are_derived_for_all_counts():
    derivations = count_proof.derive(count_game.vendor_game(), count_game.VENDOR_FAMILIES)
    assert [d.name for d in derivations] == ["truthful_reporting", "weak_immunity"]
    assert all(d.derived and d.conditions > 0 for d in derivations), [d.differences for d in derivations]


def test_the_misuse_lemma_holds_and_the_game_without_misuse_has_the_zero_candidate():
    assert count_proof.misuse_lemma()
    worst = count_game.candidates(developer_game(misuses=0), "worst")
    assert any(c.value == 0 and not c.behaviours for c in worst)
    # one opportunity adds mixtures with the misuser's conviction, which pays the owners K each
    from proofs.general.closed_form import K
    with_one = count_game.candidates(developer_game(misuses=1), "worst")
    assert not any(c.value.has(K) for c in worst) and any(c.value.has(K) for c in with_one)


def test_the_count_game_is_the_exact_region_on_analysed_shapes(analysed):
    agreements = count_proof.cross_check(analysed)
    assert len(agreements) == 2 * len(SHAPES)
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


def test_the_vendor_count_game_is_every_vendor_s_exact_region(analysed):
    agreements = count_proof.cross_check(analysed, count_game.vendor_game(), count_game.VENDOR_FAMILIES)
    assert {a["player"] for a in agreements} == {"vendor1", "vendor2"}
    assert len(agreements) == 2 * sum(vendors for (_, vendors, _, _), _ in analysed)
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


def changed_leaves(node, label, change):
    """The count game with every leaf labelled ``label`` changed (a planted payoff error)."""
    if isinstance(node, count_game.Leaf):
        return count_game.Leaf(change(node.payoff), node.label) if node.label == label else node
    if isinstance(node, count_game.Span):
        return count_game.Span(node.behaviour, changed_leaves(node.child, label, change))
    if isinstance(node, count_game.Chance):
        return count_game.Chance([(p, name, changed_leaves(child, label, change)) for p, name, child in node.branches])
    children = [(name, changed_leaves(child, label, change)) for name, child in node.children]
    if isinstance(node, count_game.Others):
        return count_game.Others(children)
    return count_game.Subject(children, node.honest, node.reports, node.truthful)


def test_a_vendor_payoff_missing_its_stake_is_caught(analysed):
    """A settlement that forgot to return an honest vendor's stake: its weak immunity gets a
    condition the spec's game does not have, at every shape."""
    from proofs.general.closed_form import Bv
    wrong = changed_leaves(count_game.vendor_game(), "paid", lambda payoff: payoff - Bv)
    agreements = count_proof.cross_check(analysed, wrong, count_game.VENDOR_FAMILIES)
    assert not any(a["agrees"] for a in agreements if a["property"] == "weak_immunity")
    assert not count_proof.derive(wrong, count_game.VENDOR_FAMILIES)[1].equivalent


def test_the_owner_count_game_is_every_owner_s_exact_region(analysed):
    assert count_proof.owner_misuse_lemma()
    assert all(d.derived for d in count_proof.derive(count_game.owner_game(), count_game.OWNER_FAMILIES))
    agreements = count_proof.cross_check(analysed, count_game.owner_game(), count_game.OWNER_FAMILIES)
    assert {a["player"] for a in agreements} == {"owner1", "owner2"}
    assert all(a["agrees"] for a in agreements), [a for a in agreements if not a["agrees"]]


def test_an_owner_without_its_misuse_compensation_is_caught(analysed):
    """A misuse conviction that forgot to pay the owners K: the owner's expected loss W is no
    longer made good, and its weak immunity gets a condition the spec's game does not have."""
    from proofs.general.closed_form import K
    wrong = changed_leaves(count_game.owner_game(), "misuse convicted", lambda payoff: payoff - K)
    agreements = count_proof.cross_check(analysed, wrong, count_game.OWNER_FAMILIES)
    assert not any(a["agrees"] for a in agreements if a["property"] == "weak_immunity")


def test_a_payoff_off_by_a_term_is_caught(analysed, monkeypatch):
    """The developer's dispute spending one round short: the cross-check finds the count
    game unlike the spec's game, and the region it gives is not the closed form."""
    monkeypatch.setattr(count_game, "dispute_compensation", lambda cost, rounds: cost * rounds)
    agreements = count_proof.cross_check(analysed)
    wrong = {(a["property"], a["owners"], a["vendors"], a["steps"]) for a in agreements if not a["agrees"]}
    assert ("truthful_reporting", 1, 1, 2) in wrong and ("weak_immunity", 1, 1, 2) in wrong
    assert not any(d.equivalent for d in count_proof.derive())


def test_a_missing_move_of_the_others_is_caught(analysed):
    """Without the vendors' misuse (a move of the others left out), the developer's weak
    immunity loses the misuse conviction's condition: the cross-check fails everywhere."""
    agreements = count_proof.cross_check(analysed, developer_game(misuses=0))
    immunity = [a for a in agreements if a["property"] == "weak_immunity"]
    assert immunity and not any(a["agrees"] for a in immunity)
    assert all(a["points"] for a in immunity)
    assert all(a["agrees"] for a in agreements if a["property"] == "truthful_reporting")


def test_the_wrong_honest_move_is_caught(analysed, monkeypatch):
    """An honest developer that accepted a lazy result instead of disputing it has another
    truthful-reporting region."""
    original = count_game.Subject.__init__

    def accepting(self, children, honest, reports, truthful):
        if honest == "dispute_lazy":
            honest, truthful = "accept_result", frozenset({"accept_result"})
        original(self, children, honest, reports, truthful)
    monkeypatch.setattr(count_game.Subject, "__init__", accepting)
    agreements = count_proof.cross_check(analysed)
    assert not any(a["agrees"] for a in agreements if a["property"] == "truthful_reporting")


def test_the_corner_lemma_needs_an_affine_condition_and_whole_number_bounds():
    s = sympy.Symbol("s1", integer=True)
    square = Quantified(s**2 - m, (Behaviour(s, sympy.Integer(0), m, "test"),), "test")
    assert not count_proof.eliminate(square).proved
    halves = Quantified(s - 1, (Behaviour(s, sympy.Integer(0), m / 2, "test"),), "test")
    assert not count_proof.eliminate(halves).proved
    affine = Quantified(n - s, (Behaviour(s, sympy.Integer(0), n, "test"),), "test")
    elimination = count_proof.eliminate(affine)
    assert elimination.proved and {e for _, e in elimination.corners} == {n, sympy.Integer(0)}


def test_a_condition_unlike_the_closed_form_is_reported_with_a_point():
    family = next(f for f in count_proof.FAMILIES if f.subject == "the developer"
                  and f.property == "truthful_reporting")
    same, differences, _ = count_proof.equivalent_for_all_counts([((), family.conditions[0] - R)], family)
    assert not same
    assert {d["direction"] for d in differences} == {"closed form => count game"}
    assert all(isinstance(d["at"], dict) for d in differences)


def test_every_shape_results_say_what_the_count_game_derives(analysed):
    results = {result.name: result.to_json() for result in every_shape_results(analysed)}
    truthful = results["truthful_reporting"]
    assert truthful["verdict"] == "holds", truthful["detail"]
    game = truthful["count_game"]
    assert game["derived_for_all_counts"] == ["the developer", "each vendor", "each data owner"]
    assert game["not_derived"] == []
    assert game["families"][0]["cross_check"]["shapes"] == len(SHAPES)
    assert game["misuse_lemma"] is True
    assert results["weak_immunity"]["count_game"]["derived_for_all_counts"] == [
        "the developer", "each vendor", "each data owner"]
    dominance = results["dominance_solvability"]
    assert dominance["count_game"]["derived_for_all_counts"] == ["all players"]
    assert dominance["count_game"]["not_derived"] == []
    assert "the premise is not needed" in dominance["detail"]
    collusion = results["collusion_resilience"]["count_game"]
    assert collusion["derived_for_all_counts"] == ["j >= 2 owners, no vendor, no developer",
                                                   "the developer with j >= 1 owners and no vendor",
                                                   "the developer with k >= 1 vendors and no owner",
                                                   "the developer with j >= 1 owners and k >= 1 vendors",
                                                   "k >= 1 vendors with j owners, no developer (j + k >= 2)"]
    assert collusion["not_derived"] == []
    assert "the premise is not needed" in results["collusion_resilience"]["detail"]
    assert "derived from the count game for all counts" in truthful["detail"]


def test_a_count_game_unlike_the_spec_s_game_fails_its_property(analysed, monkeypatch):
    monkeypatch.setattr(count_game, "dispute_compensation", lambda cost, rounds: cost * rounds)
    results = {result.name: result for result in every_shape_results(analysed)}
    truthful = results["truthful_reporting"]
    assert not truthful.holds
    assert truthful.detail.startswith("fails: the count game for the developer differs from the exact region")
    assert truthful.to_json()["count_game"]["derived_for_all_counts"] == ["each vendor", "each data owner"]
    assert results["collusion_resilience"].holds
