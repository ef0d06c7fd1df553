"""Shared explorations for the model checker's tests (explored once per session)."""

import pytest

from proofs.instances import default_instance, shared_licence_instance, shared_vendor_instance, soundness_instance
from proofs.explore import explore


@pytest.fixture(scope="session")
def default_exploration():
    """The default instance, explored with time and symmetry abstraction and coverage."""
    return explore(default_instance(), "symmetry")


@pytest.fixture(scope="session")
def small_instance():
    """Two interchangeable owners, one vendor, two training steps: small enough to explore
    without any abstraction."""
    return soundness_instance()


@pytest.fixture(scope="session")
def small_raw(small_instance):
    return explore(small_instance, "none", coverage=False, record_outcomes=True)


@pytest.fixture(scope="session")
def small_timed(small_instance):
    return explore(small_instance, "time", coverage=False, record_outcomes=True)


@pytest.fixture(scope="session")
def concurrent_instances():
    return [shared_vendor_instance(), shared_licence_instance()]
