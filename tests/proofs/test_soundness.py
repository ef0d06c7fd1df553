"""The time abstraction and the symmetry reduction are sound: checked against no abstraction."""

from dataclasses import replace


from proofs.instances import default_instance, proof_instance, shared_licence_instance
from proofs.explore import explore
from proofs.explore_symmetry import SymmetryKeys, instance_symmetries
from proofs.explore_time import PASSED, TimeKeys, static_horizon, time_code
from proofs.explore_soundness import check_bisimulation, verdicts_agree
from spec.world import make_instance, setup


def test_time_code_keeps_exactly_what_the_guards_compare():
    assert time_code(now=5, moment=7) == 2
    assert time_code(now=7, moment=7) == 0  # on time up to and including the deadline
    assert time_code(now=8, moment=7) == PASSED
    assert time_code(now=100, moment=7) == PASSED


def test_markets_shifted_in_time_share_a_time_key(default_exploration):
    keys = TimeKeys(horizon=None)
    market = next(market for market in default_exploration.markets if market.jobs)
    job = next(iter(market.jobs.values()))
    shifted = replace(market, now=market.now + 5,
                      jobs=market.jobs.with_item(job.ident, replace(job, deadline=job.deadline + 5)),
                      datasets=market.datasets.with_items({
                          name: replace(dataset, licence=replace(dataset.licence,
                                                                 expiry=dataset.licence.expiry + 5))
                          for name, dataset in market.datasets.items()}))
    assert keys.key(shifted) == keys.key(market)
    later_deadline = replace(market, jobs=market.jobs.with_item(
        job.ident, replace(job, deadline=job.deadline + 1)))
    if job.payouts is None:
        assert keys.key(later_deadline) != keys.key(market)


def test_time_abstraction_is_a_bisimulation_on_the_full_graph(small_raw, small_instance):
    report = check_bisimulation(small_raw, TimeKeys(static_horizon(small_instance)))
    assert report.holds, report.detail
    assert report.classes < small_raw.states


def test_symmetry_reduction_is_a_bisimulation_on_the_full_graph(small_raw, small_instance):
    keys = SymmetryKeys(small_instance, setup(small_instance), static_horizon(small_instance))
    assert len(keys.group) == 2  # the two owners (with their datasets) are interchangeable
    report = check_bisimulation(small_raw, keys)
    assert report.holds, report.detail


def test_symmetry_reduction_is_a_bisimulation_with_two_vendors_and_disputes():
    # Vendors swap positions (their training digests differ), disputes follow one another.
    instance = proof_instance()
    raw = explore(instance, "none", coverage=False, record_outcomes=True)
    keys = SymmetryKeys(instance, setup(instance), static_horizon(instance))
    assert len(keys.group) == 2
    assert check_bisimulation(raw, keys).holds
    assert check_bisimulation(raw, TimeKeys(static_horizon(instance))).holds


def test_symmetry_over_jobs_is_a_bisimulation():
    instance = shared_licence_instance()
    timed = explore(instance, "time", coverage=False, record_outcomes=True)
    keys = SymmetryKeys(instance, setup(instance), static_horizon(instance))
    assert any("job1" in renaming for renaming in keys.group)  # the two jobs swap
    assert check_bisimulation(timed, keys).holds


def test_verdicts_agree_with_and_without_abstractions(small_instance, small_raw):
    timed = explore(small_instance, "time")
    symmetric = explore(small_instance, "symmetry")
    raw = explore(small_instance, "none")
    assert small_raw.states > timed.states > symmetric.states
    for first, second in ((raw, timed), (timed, symmetric)):
        agree, detail = verdicts_agree(first, second)
        assert agree, detail


def test_the_bisimulation_check_rejects_a_key_that_forgets_deadlines(small_raw):
    class ForgetsDeadlines(TimeKeys):
        def deadline_code(self, now, job):
            return 0
    report = check_bisimulation(small_raw, ForgetsDeadlines(horizon=None))
    assert not report.holds


def test_the_bisimulation_check_rejects_a_key_that_forgets_who_acted(small_raw):
    class ForgetsGrants(TimeKeys):
        def job_part(self, job):
            return super().job_part(replace(job, grants=type(job.grants)()))
    report = check_bisimulation(small_raw, ForgetsGrants(horizon=None))
    assert not report.holds


def test_symmetries_map_the_instance_to_itself():
    instance = default_instance()
    group = instance_symmetries(instance, setup(instance))
    assert group[0] == {}
    assert len(group) == 4  # owners 1 and 2 swap, vendors 1 and 2 swap; idle parties do not
    for renaming in group[1:]:
        assert "owner3" not in renaming and "vendor3" not in renaming and "dev2" not in renaming


def test_parties_in_different_roles_of_the_templates_are_not_interchangeable():
    # job1 uses data1 only: owners 1 and 2 play different parts and may not swap.
    instance = make_instance(data_owners=2, developers=1, vendors=1, jobs=1, datasets_per_job=1,
                             vendors_per_job=1)
    assert instance_symmetries(instance, setup(instance)) == [{}]


def test_parties_with_different_amounts_are_not_interchangeable():
    instance = make_instance(data_owners=2, developers=1, vendors=1, jobs=1, datasets_per_job=2,
                             vendors_per_job=1)
    market = setup(instance)
    richer = replace(market, balances=market.balances.with_item(
        "owner1", market.balances["owner1"] + 1), minted=market.minted + 1)
    assert instance_symmetries(instance, richer) == [{}]
