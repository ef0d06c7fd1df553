"""Why the secret-shared instance is explored with the time abstraction alone (decision
0102): with two vendors that can both commit a sender fault at one step, the spec names the
first in the job's order, so swapping the vendors is no symmetry of the runs; the time
abstraction stays a bisimulation there."""

import pytest

from proofs.explore import explore
from proofs.explore_soundness import check_bisimulation
from proofs.explore_symmetry import SymmetryKeys
from proofs.explore_time import TimeKeys, static_horizon
from proofs.instances import secret_shared_instance
from spec.world import setup


@pytest.fixture(scope="module")
def raw():
    return explore(secret_shared_instance(), "none", coverage=False, record_outcomes=True)


def test_the_time_abstraction_is_a_bisimulation_on_the_secret_shared_instance(raw):
    report = check_bisimulation(raw, TimeKeys(static_horizon(secret_shared_instance())))
    assert report.holds, report.detail


def test_the_symmetry_reduction_is_not_one_there(raw):
    instance = secret_shared_instance()
    report = check_bisimulation(raw, SymmetryKeys(instance, setup(instance),
                                                  static_horizon(instance)))
    assert not report.holds
    assert "successors fall into different classes" in report.detail
