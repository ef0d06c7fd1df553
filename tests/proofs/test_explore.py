"""Explicit-state exploration of the spec: pinned sizes, every property, BFS-tree runs."""

import pytest

from dataclasses import replace

from proofs.instances import (
    abstraction_for,
    default_context,
    default_instance,
    secret_shared_instance,
    shared_licence_instance,
    shared_vendor_instance,
)
from proofs.explore import explore, stuck_jobs
from proofs.explore_checks import COVERAGE_EXCLUSIONS, coverage_result, exploration_results
from proofs.explore_coverage import Coverage, expected_outcomes
from spec.actions import call
from spec.invariants import OUTCOMES
from spec.machine import step
from spec.world import make_instance, request_call, setup

# The size of the default instance's graph. Any change of the spec's behaviour (or of the
# instance, or of the abstractions) moves these numbers: update them in the same change,
# and say in review why the state space grew or shrank.
DEFAULT_STATES = 1692
DEFAULT_TRANSITIONS = 4812
DEFAULT_TIME_ONLY_STATES = 4002
DEFAULT_TIME_ONLY_TRANSITIONS = 9392
SHARED_VENDOR_STATES = 2752
SHARED_LICENCE_STATES = 486
# The secret-shared instance (decision 0102), explored with the time abstraction alone
# (abstraction_for); without its tampered records and convictions the same instance has
# 666 classes and 1,520 transitions.
SECRET_SHARED_STATES = 1338
SECRET_SHARED_TRANSITIONS = 3076


def test_default_instance_size_is_pinned(default_exploration):
    assert (default_exploration.states, default_exploration.transitions) == (
        DEFAULT_STATES, DEFAULT_TRANSITIONS)
    assert default_exploration.symmetries == 4
    assert not default_exploration.truncated


def test_default_instance_size_without_symmetry_is_pinned():
    exploration = explore(default_instance(), "time", coverage=False)
    assert (exploration.states, exploration.transitions) == (
        DEFAULT_TIME_ONLY_STATES, DEFAULT_TIME_ONLY_TRANSITIONS)


def test_concurrent_instances_sizes_are_pinned():
    assert explore(shared_vendor_instance(), "symmetry", coverage=False).states == SHARED_VENDOR_STATES
    assert explore(shared_licence_instance(), "symmetry", coverage=False).states == SHARED_LICENCE_STATES


def test_every_property_holds_on_the_default_instance(default_exploration):
    results = exploration_results(default_exploration, coverage=False)
    failing = [(result.name, result.detail) for result in results if not result.holds]
    assert failing == []
    names = {result.name for result in results}
    assert {"token_conservation", "escrow_paid_out_once", "deadlock_freedom", "termination",
            "outcomes_reached", "no_exceptions", "settlement_pays_as_promised"} <= names


def test_every_outcome_is_reached(default_exploration):
    assert set(default_exploration.outcomes) == set(OUTCOMES)


def test_bfs_tree_is_made_of_real_runs(default_exploration):
    exploration = default_exploration
    for node in range(1, exploration.states, 97):
        parent = exploration.markets[exploration.parent[node]]
        result = step(parent, exploration.parent_call[node])
        assert result.accepted
        assert result.market == exploration.markets[node]
        assert exploration.depth[node] == exploration.depth[exploration.parent[node]] + 1


def test_bfs_depth_is_a_shortest_distance(default_exploration):
    exploration = default_exploration
    for source, edges in enumerate(exploration.successors):
        for target, _ in edges:
            assert exploration.depth[target] <= exploration.depth[source] + 1


def test_root_is_the_market_after_setup(default_exploration):
    assert default_exploration.markets[0] == setup(default_instance())


def test_the_graph_is_a_networkx_graph_with_labelled_edges(default_exploration):
    graph = default_exploration.graph()
    assert graph.number_of_nodes() == default_exploration.states
    source, target, data = next(iter(graph.edges(data=True)))
    assert data["calls"] and all(made.action for made in data["calls"])


def test_rejection_coverage_over_the_default_instances_is_complete():
    coverage = Coverage()
    for _, instance in reversed(default_context().instances):
        explore(instance, abstraction_for(instance, "symmetry"), coverage=coverage)
    result = coverage_result(coverage.covered(), coverage.missing(), coverage.undeclared())
    assert result.holds, result.detail
    assert set(coverage.missing()) == set(COVERAGE_EXCLUSIONS)


def test_the_secret_shared_instance_reaches_the_shared_conviction():
    assert abstraction_for(secret_shared_instance(), "symmetry") == "time"
    assert abstraction_for(default_instance(), "symmetry") == "symmetry"
    exploration = explore(secret_shared_instance(), "time")
    assert (exploration.states, exploration.transitions) == (
        SECRET_SHARED_STATES, SECRET_SHARED_TRANSITIONS)
    assert ("convict_shared_step", "accepted") in exploration.coverage.covered()
    failing = [(result.name, result.detail)
               for result in exploration_results(exploration, coverage=False) if not result.holds]
    assert failing == []
    convictions = [(node, target) for node, successors in enumerate(exploration.successors)
                   for target, made in successors if made.action == "convict_shared_step"]
    assert convictions
    for _, target in convictions:
        [job] = exploration.markets[target].jobs.values()
        assert job.status.value == "RESOLVED" and len(job.convicted_vendors) == 1


def test_only_a_secret_shared_instance_offers_tampered_records_and_their_conviction():
    def moves_made(instance):
        exploration = explore(instance, "time", coverage=False)
        return exploration, [made for successors in exploration.successors
                             for _, made in successors]

    shared, shared_moves = moves_made(secret_shared_instance())
    plain, plain_moves = moves_made(replace(secret_shared_instance(), secret_shared=False))
    assert "convict_shared_step" in {made.action for made in shared_moves}
    assert "convict_shared_step" not in {made.action for made in plain_moves}
    submitted = {made["transcript"] for made in plain_moves if made.action == "submit_result"}
    assert {made["transcript"] for made in shared_moves if made.action == "submit_result"} > submitted
    assert plain.states < shared.states


def test_coverage_reports_a_missing_pair():
    missing = [("fund", "WRONG_ROLE")]
    result = coverage_result(set(), missing, [])
    assert not result.holds and "fund/WRONG_ROLE" in result.detail


def test_coverage_reports_a_stale_exclusion():
    covered = set(COVERAGE_EXCLUSIONS)
    result = coverage_result(covered, [], [])
    assert not result.holds and "excluded as unreachable but reached" in result.detail


def test_every_declared_outcome_is_a_coverage_target():
    expected = expected_outcomes()
    assert expected["fund"][0] == "accepted"
    assert "WRONG_ROLE" in expected["fund"]


def test_a_job_waiting_for_its_deadline_is_not_stuck():
    instance = make_instance(jobs=1)
    result = step(setup(instance), request_call(instance, instance.jobs[0]))
    assert result.accepted
    assert stuck_jobs(result.market, [call("tick", "environment")]) == []
    assert stuck_jobs(result.market, []) == ["job1"]


def test_a_truncated_search_does_not_pass():
    exploration = explore(default_instance(), "symmetry", coverage=False, max_states=50)
    results = exploration_results(exploration)
    assert exploration.truncated
    assert [result.name for result in results] == ["exhaustive"] and not results[0].holds


@pytest.mark.parametrize("abstraction", ["time", "symmetry"])
def test_the_horizon_check_fails_when_runs_reach_a_far_expiry(abstraction):
    # Licences expire at 5 but are taken as "far" from time 3: runs do reach time 6 (since
    # decision 0031 a conviction by re-execution ends the job, so the longest run is 6 ticks).
    instance = make_instance(data_owners=1, developers=1, vendors=1, jobs=1, steps=1,
                             licence_expiry=5)
    exploration = explore(instance, abstraction, coverage=False, horizon=3)
    result = next(item for item in exploration_results(exploration, coverage=False)
                  if item.name == "time_abstraction_valid")
    assert not result.holds
