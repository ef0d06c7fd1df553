"""Z3 inductive invariants over symbolic amounts."""

from dataclasses import replace

import pytest
import z3

from proofs.instances import proof_instance, shared_licence_instance
from proofs.inductive import (
    blank_market,
    invariant,
    prove,
    safety_properties,
    symbolic_call,
    symbolic_market,
)
from mutation.patching import applied
from proofs.mutants import MUTANTS_BY_NAME
from spec.actions import call
from spec.world import make_instance


@pytest.fixture(scope="module")
def small():
    return make_instance(data_owners=2, developers=1, vendors=1, jobs=1, steps=2)


def test_the_invariant_is_inductive_on_a_small_instance(small):
    result = prove(small)
    assert result.holds, result.failures[:1]
    assert result.shapes > 50 and result.transitions > result.shapes
    assert result.solver_calls < result.obligations  # identical obligations are shared


def test_the_invariant_is_inductive_with_two_concurrent_jobs():
    result = prove(shared_licence_instance())
    assert result.holds, result.failures[:1]


def test_the_invariant_is_inductive_with_disputes_against_two_vendors():
    result = prove(proof_instance())
    assert result.holds, result.failures[:1]


def test_every_amount_becomes_a_symbol_and_the_shape_keeps_the_rest(default_exploration):
    market = default_exploration.markets[-1]
    symbolic = symbolic_market(market)
    assert all(z3.is_const(value) for value in symbolic.balances.values())
    assert z3.is_const(symbolic.minted) and str(symbolic.minted) == "minted"
    assert blank_market(symbolic) == blank_market(market)
    assert all(value is None for value in blank_market(market).balances.values())
    assert blank_market(market).jobs.keys() == market.jobs.keys()


def test_the_concrete_markets_satisfy_the_invariant(default_exploration):
    # Inv is a property of every reachable market: evaluate it with the concrete amounts.
    for market in default_exploration.markets[::50]:
        for name, formula in invariant(market):
            assert z3.is_true(z3.simplify(formula)), name
        for name, formula in safety_properties(market):
            assert z3.is_true(z3.simplify(formula)), name


def test_call_amounts_become_symbols():
    made = call("fund", "treasury", recipient="dev1", amount=5)
    assert str(symbolic_call(made)["amount"]) == "call.amount"
    assert symbolic_call(call("tick", "environment")) == call("tick", "environment")


@pytest.mark.parametrize("mutant, broken", [
    ("settle_pays_twice", "conservation"),
    ("timeout_forgets_escrow", "paid out its deposits in full"),
])
def test_a_mutant_that_breaks_an_amount_rule_fails_the_proof(small, mutant, broken):
    with applied(MUTANTS_BY_NAME[mutant]):
        result = prove(small)
    assert not result.holds
    failure = result.failures[0]
    assert failure.obligation.startswith("Inv /\\ requirements")
    assert any(broken in name for name in failure.broken), failure.broken
    assert failure.model  # Z3's counterexample: values of the amounts


def test_a_broken_requirement_fails_the_proof(small):
    # Without the stake minimums, a misuse settlement can pay the treasury a negative
    # amount: the invariant (every payout >= 0, stakes meet the minimums) breaks.
    with applied(MUTANTS_BY_NAME["stake_minimum_ignored"]):
        result = prove(small)
    assert not result.holds


def test_the_invariant_rejects_a_market_that_breaks_it(default_exploration):
    market = next(market for market in default_exploration.markets if market.jobs)
    owner = "owner1"
    negative = replace(market, balances=market.balances.with_item(owner, -1),
                       minted=market.minted - market.balances[owner] - 1)
    failing = [name for name, formula in invariant(negative) if z3.is_false(z3.simplify(formula))]
    assert failing == [f"balance of {owner} >= 0"]
