"""The misuse reduction: the same verdicts, a correspondence checked node by node."""

from dataclasses import replace

import pytest

from proofs.instances import default_instance, shared_licence_instance, shared_vendor_instance
from proofs.explore import explore, pending_misuse
from proofs.explore_checks import exploration_results
from proofs.explore_reduction import check_reduction, without_unreported
from spec.actions import CATALOGUE

# Sizes of the default instance under the misuse reduction (pinned like the full ones in
# test_explore.py; the full graphs keep their pinned sizes).
REDUCED_TIME_STATES = 2304
REDUCED_TIME_TRANSITIONS = 3842
REDUCED_STATES = 1003
REDUCED_TRANSITIONS = 1979


def _verdicts(exploration) -> dict[str, bool]:
    return {result.name: result.holds for result in exploration_results(exploration, coverage=False)}


def test_reduced_sizes_are_pinned():
    timed = explore(default_instance(), "time", coverage=False, reduction="misuse")
    assert (timed.states, timed.transitions) == (REDUCED_TIME_STATES, REDUCED_TIME_TRANSITIONS)
    symmetric = explore(default_instance(), "symmetry", coverage=False, reduction="misuse")
    assert (symmetric.states, symmetric.transitions) == (REDUCED_STATES, REDUCED_TRANSITIONS)
    assert symmetric.partial and all(pending_misuse(symmetric.markets[node]) for node in symmetric.partial)
    assert not any(pending_misuse(market) for node, market in enumerate(symmetric.markets)
                   if node not in symmetric.partial)


@pytest.mark.parametrize("instance", [default_instance(), shared_vendor_instance(),
                                      shared_licence_instance()],
                         ids=["single-job", "shared-vendor", "shared-licence"])
def test_reduction_corresponds_to_the_full_graph(instance):
    full = explore(instance, "time", coverage=False)
    reduced = explore(instance, "time", coverage=False, reduction="misuse")
    report = check_reduction(full, reduced)
    assert report.holds, report.problems
    assert reduced.states < full.states
    assert _verdicts(full) == _verdicts(reduced)
    assert all(_verdicts(reduced).values())


def test_unreported_artefacts_are_dropped_and_cited_ones_kept():
    full = explore(shared_licence_instance(), "time", coverage=False)
    with_misuse = [market for market in full.markets if market.artefacts]
    assert with_misuse
    for market in with_misuse:
        image = without_unreported(market)
        cited = {value for job in market.jobs.values() for verdict in job.verdicts
                 for fact, value in verdict.evidence if fact == "artefact"}
        assert image.artefacts == market.artefacts & cited
        assert replace(image, artefacts=market.artefacts) == market


def test_reduction_check_fails_when_misuse_does_more_than_leave_an_artefact(monkeypatch):
    """A misuse that also hands the model to the vendor is visible: the reduction no
    longer corresponds to the full graph, and the check says so."""
    original = CATALOGUE["misuse_data"]

    def leaky_effect(market, made):
        after = original.effect(market, made)
        return replace(after, model_holders=after.model_holders | {(made["job"], made.actor)})

    monkeypatch.setitem(CATALOGUE, "misuse_data", replace(original, effect=leaky_effect))
    instance = shared_licence_instance()
    report = check_reduction(explore(instance, "time", coverage=False),
                             explore(instance, "time", coverage=False, reduction="misuse"))
    assert not report.holds
    assert report.problems


def test_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="unknown reduction"):
        explore(shared_licence_instance(), "time", coverage=False, reduction="everything")
