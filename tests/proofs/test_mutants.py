"""Non-vacuity: every deliberately broken spec is caught by some check."""

import pytest

import spec.actions as actions
from mutation.patching import applied
from proofs.instances import default_instance
from proofs.mutants import MUTANTS, MUTANTS_BY_NAME, baseline, run_mutant
from spec.actions import CATALOGUE
from spec.rejections import Rejection
from spec.machine import step
from spec.world import setup

EXPECTED_KILLERS = {
    "settle_pays_twice": "token_conservation",
    "settle_pays_wrong_party": "settlement_pays_as_promised",
    "timeout_forgets_escrow": "escrow_paid_out_once",
    "accept_result_ignores_deadline": "rejection_coverage",
    "fund_ignores_role": "rejection_coverage",
    "answers_twice": "rejection_coverage",
    "complaint_always_convicts_owner": "convictions_backed_by_evidence",
    "data_released_on_first_acceptance": "data_only_to_licensed_vendors",
    "model_delivered_to_vendors": "model_only_to_developer",
    "capacity_never_freed": "capacity_respected",
    "dispute_never_times_out": "deadlock_freedom",
    "bisection_never_narrows": "termination",
    "resolve_always_convicts_developer": "convictions_backed_by_evidence",
    "deny_always_refused": "outcomes_reached",
    "stake_minimum_ignored": "rejection_coverage",
    "complaint_reads_wrong_record": "no_exceptions",
    "silent_vendors_spared": "evaluable",
    "misuse_outside_staked_jobs": "rejection_coverage",
}
"""For each mutant, one check it is meant to trip (others may trip too)."""


def test_the_catalogue_has_at_least_ten_mutants_with_distinct_names():
    assert len(MUTANTS) >= 10
    assert len(MUTANTS_BY_NAME) == len(MUTANTS)
    assert set(EXPECTED_KILLERS) == set(MUTANTS_BY_NAME)


def test_applying_a_mutant_changes_the_spec_and_restores_it():
    catalogue_before = dict(CATALOGUE)
    close_before = actions.close
    with applied(MUTANTS_BY_NAME["settle_pays_twice"]):
        assert actions.close is not close_before
    with applied(MUTANTS_BY_NAME["deny_always_refused"]):
        assert CATALOGUE["deny_access"] is not catalogue_before["deny_access"]
    assert actions.close is close_before
    assert CATALOGUE == catalogue_before


def test_a_mutant_is_restored_even_when_the_body_fails():
    before = CATALOGUE["timeout"]
    with pytest.raises(RuntimeError):
        with applied(MUTANTS_BY_NAME["dispute_never_times_out"]):
            raise RuntimeError("boom")
    assert CATALOGUE["timeout"] is before


def test_every_mutant_behaves_differently_from_the_spec_somewhere():
    # Cheap sanity check that each patch takes effect: the mutated guard, effect or helper
    # is no longer the original object.
    for mutant in MUTANTS:
        patches = mutant.patches()
        assert patches, mutant.name
        originals = [(patch, patch.current()) for patch in patches]
        with applied(mutant):
            for patch, original in originals:
                assert patch.target is actions or patch.target is CATALOGUE, mutant.name
                assert patch.current() is not original, (mutant.name, patch.attribute)


@pytest.fixture(scope="module")
def kill_matrix():
    instance = default_instance()
    reference = baseline(instance)
    assert reference.failing == set()  # every check holds on the spec
    return {mutant.name: run_mutant(mutant, instance, reference, complete=False)
            for mutant in MUTANTS}


@pytest.mark.parametrize("name", [mutant.name for mutant in MUTANTS])
def test_every_mutant_is_killed(kill_matrix, name):
    outcome = kill_matrix[name]
    assert outcome.killed, f"{name} survives every check"
    assert EXPECTED_KILLERS[name] in outcome.killed_by, outcome.killed_by


def test_the_spec_is_restored_after_the_matrix(kill_matrix):
    instance = default_instance()
    market = setup(instance)
    assert step(market, actions.call("fund", "vendor1", recipient="dev1", amount=1)).rejection == Rejection.WRONG_ROLE
