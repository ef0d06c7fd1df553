"""Are the abstractions sound? A mechanical check that a coarser key is a bisimulation.

The time and symmetry abstractions of :mod:`proofs.explore_keys` come with arguments
about what the spec reads. This module checks the conclusion directly on a finished graph
of a *finer* key (for example the graph with no abstraction at all): the coarse key is a
bisimulation on that graph when any two nodes with the same coarse key

* have the same observations — the same failed properties, the same number of stuck
  jobs, the same multiset of job outcomes and the same multiset of (action, outcome) over
  their protocol moves (names are left out, so that renamed markets compare equal); and
* have the same set of coarse keys among their successors.

Then merging nodes by the coarse key changes no verdict: a path in the coarse graph is a
path of the fine one with the same observations, and back. :func:`verdicts_agree`
compares the verdicts of all properties between two explorations as well.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from proofs.explore import Exploration
from proofs.explore_checks import PropertyResult, exploration_results
from spec.invariants import outcome_of


@dataclass
class BisimulationReport:
    holds: bool
    fine_states: int
    classes: int
    detail: str


def observation(exploration: Exploration, node: int) -> tuple:
    """What the checks can see of a node, without names."""
    market = exploration.markets[node]
    try:
        outcomes: tuple[tuple[str, object], ...] = tuple(
            sorted(Counter(str(outcome_of(job)) for job in market.jobs.values()).items()))
    except Exception as error:
        outcomes = (("error", type(error).__name__),)
    moves = exploration.move_outcomes.get(node, ()) if exploration.move_outcomes is not None else ()
    return (tuple(sorted(name for name, _ in exploration.violations.get(node, ()))),
            len(exploration.stuck.get(node, ())), outcomes, tuple(sorted(Counter(moves).items())))


def check_bisimulation(fine: Exploration, coarse_keys) -> BisimulationReport:
    """Whether ``coarse_keys.key`` is a bisimulation on the graph ``fine`` (explored with
    ``record_outcomes=True`` and without truncation)."""
    if fine.truncated:
        return BisimulationReport(False, fine.states, 0, "the fine graph is incomplete")
    if fine.move_outcomes is None:
        raise ValueError("explore the fine graph with record_outcomes=True")
    keys = [coarse_keys.key(market) for market in fine.markets]
    seen: dict[object, tuple[int, tuple, frozenset]] = {}
    for node in range(fine.states):
        if not fine.expanded[node]:
            continue
        observed = observation(fine, node)
        successors = frozenset(keys[target] for target, _ in fine.successors[node])
        first = seen.get(keys[node])
        if first is None:
            seen[keys[node]] = (node, observed, successors)
            continue
        other, other_observed, other_successors = first
        if observed != other_observed:
            return BisimulationReport(False, fine.states, len(seen),
                                      f"states {other} and {node} share a class but differ in "
                                      f"what the checks see: {other_observed} / {observed}")
        if successors != other_successors:
            return BisimulationReport(False, fine.states, len(seen),
                                      f"states {other} and {node} share a class but their "
                                      f"successors fall into different classes")
    return BisimulationReport(True, fine.states, len(seen),
                              f"{fine.states} states in {len(seen)} classes: equal "
                              f"observations and successor classes within every class")


def verdicts_agree(first: Exploration, second: Exploration) -> tuple[bool, str]:
    """Whether two explorations of one instance give every property the same verdict
    and reach the same outcomes."""
    def verdicts(exploration: Exploration) -> dict[str, bool]:
        results: list[PropertyResult] = exploration_results(exploration, coverage=False)
        return {result.name: result.holds for result in results
                if result.name != "time_abstraction_valid"}
    left, right = verdicts(first), verdicts(second)
    if left != right:
        differing = sorted(name for name in set(left) | set(right) if left.get(name) != right.get(name))
        return False, "verdicts differ on " + ", ".join(differing)
    if set(first.outcomes) != set(second.outcomes):
        return False, "different outcomes reached"
    if first.coverage.covered() != second.coverage.covered():
        return False, "different action x outcome pairs seen"
    return True, f"{len(left)} verdicts and {len(first.outcomes)} outcomes agree"
