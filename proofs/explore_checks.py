"""The properties checked on an explored graph, each with a verdict and a shortest witness.

From one :class:`proofs.explore.Exploration` this module derives:

* one **invariant** property per spec invariant and per protocol property of
  :mod:`proofs.explore_properties` — holds when no reachable market violates it;
* **no exceptions** — the spec answers every call (protocol move or malformed variant)
  with acceptance or a rejection code, never a crash;
* **deadlock freedom** — in every reachable market, every open job has a progress move
  accepted (:func:`proofs.explore.stuck_jobs`);
* **termination** — every run is finite (the finite graph of classes is acyclic, so no
  run can repeat a class forever), and from every reachable market a final market (no
  move left, every job terminal) is reachable without anyone misusing data;
* **time abstraction valid** — no run reaches the horizon beyond which licence expiries
  were taken as never reached (the longest run, in ticks, stays below it);
* the **outcome goals** — every way a job can end (:data:`spec.invariants.OUTCOMES`) is
  reached in some market ("sometimes" properties: safety cannot pass vacuously);
* **rejection coverage** — every action x outcome (accepted and each declared code) is
  seen, except the pairs listed in :data:`COVERAGE_EXCLUSIONS` with the reason they are
  unreachable; and no call is refused with a code its action does not declare.

What "progress" means. The explorer's graph is finite, so "every run terminates" is the
same as "the graph has no cycle". A cycle could only be made of moves that change
nothing the key sees; every accepted protocol move either advances a job's discrete
state (status, grants, acceptances, confirmations, results, the dispute interval or
turn, the artefacts) or is a clock tick while some open job waits for its deadline, which
brings that deadline one tick closer. The acyclicity check does not assume this, it
verifies it, and a violation is reported as a lasso (a path and a loop).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from proofs.explore import NON_PROGRESS_ACTIONS, Exploration
from proofs.explore_coverage import ACCEPTED
from proofs.explore_properties import PROTOCOL_PROPERTIES
from spec.invariants import INVARIANTS, OUTCOMES
from spec.state import is_terminal

COVERAGE_EXCLUSIONS: dict[tuple[str, str], str] = {
    ("grant_access", "INSUFFICIENT_FUNDS"):
        "an instance funds every data owner with one bond per job template it is in, and "
        "a bond is locked only by the owner's own grant in one of those jobs; no grant "
        "in the instance can lack funds",
    ("accept_job", "INSUFFICIENT_FUNDS"):
        "an instance funds every vendor with one stake per job template it is in, and a "
        "stake is locked only by the vendor's own acceptance of one of those jobs; no "
        "acceptance in the instance can lack funds",
}
"""(action, code) pairs no explored instance can reach, with the reason."""


@dataclass
class Witness:
    """Where a property fails: a BFS path to ``node`` (shortest), then maybe one more
    call, or a loop back to ``loop_start`` (a lasso)."""

    node: int
    final_call: Any = None
    final_error: str | None = None
    cycle: list[tuple[int, Any]] | None = None
    """For a lasso: the loop's edges (target, call) starting at ``node``."""
    setup_position: int | None = None
    """For a crash during setup: how many setup calls precede ``final_call``."""


@dataclass
class PropertyResult:
    """The verdict of one property on one explored instance."""

    name: str
    kind: str
    holds: bool
    detail: str
    witness: Witness | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "fails"


def _first(nodes: Iterable[int]) -> int | None:
    """The node found first by the BFS (smallest number, so on a shortest path)."""
    return min(nodes, default=None)


def invariant_results(exploration: Exploration) -> list[PropertyResult]:
    failing: dict[str, list[int]] = {}
    for node, found in exploration.violations.items():
        for name, _ in found:
            failing.setdefault(name, []).append(node)
    results = []
    names = [(invariant.name, invariant.description) for invariant in INVARIANTS]
    names += [(prop.name, prop.description) for prop in PROTOCOL_PROPERTIES]
    extra = sorted(set(failing) - {name for name, _ in names})
    names += [(name, "the invariants could be evaluated") for name in extra]
    for name, description in names:
        first = _first(failing.get(name, ()))
        if first is None:
            results.append(PropertyResult(name, "invariant", True, description))
        else:
            problem = dict(exploration.violations[first])[name]
            results.append(PropertyResult(
                name, "invariant", False,
                f"{problem} (after {exploration.depth[first]} moves)",
                Witness(first), {"violating_states": len(failing[name])}))
    return results


def exception_result(exploration: Exploration) -> PropertyResult:
    crashes = exploration.exceptions
    if crashes:
        node, made, error = min(crashes, key=lambda item: item[0])
        return PropertyResult("no_exceptions", "safety", False,
                              f"{made.action} by {made.actor} raised {error}",
                              Witness(node, final_call=made, final_error=error),
                              {"crashes": len(crashes)})
    variant_crashes = exploration.variant_exceptions
    if variant_crashes:
        where, made, error = variant_crashes[0]
        in_setup = not isinstance(where, int)
        witness = (Witness(where, final_call=made, final_error=error) if isinstance(where, int) else
                   Witness(0, final_call=made, final_error=error, setup_position=where[1]))
        return PropertyResult("no_exceptions", "safety", False,
                              f"malformed {made.action} by {made.actor} raised {error}"
                              + (" during setup" if in_setup else ""),
                              witness, {"crashes": len(variant_crashes)})
    return PropertyResult("no_exceptions", "safety", True,
                          "every call is accepted or refused with a code")


def deadlock_result(exploration: Exploration) -> PropertyResult:
    node = _first(exploration.stuck)
    if node is None:
        return PropertyResult("deadlock_freedom", "deadlock", True,
                              "every open job always has a progress move (timeouts and "
                              "ticks included)")
    jobs = ", ".join(exploration.stuck[node])
    return PropertyResult("deadlock_freedom", "deadlock", False,
                          f"{jobs} cannot progress after {exploration.depth[node]} moves",
                          Witness(node), {"stuck_states": len(exploration.stuck)})


def _cyclic_components(graph: nx.DiGraph) -> list[set[int]]:
    """Strongly connected components of the state graph that contain a cycle."""
    return [component for component in nx.strongly_connected_components(graph)
            if len(component) > 1 or graph.has_edge(next(iter(component)), next(iter(component)))]


def _shortest_cycle(exploration: Exploration, start: int, members: set[int]) -> list[tuple[int, Any]]:
    """The shortest cycle from ``start`` back to itself inside ``members``."""
    previous: dict[int, tuple[int, Any]] = {}
    queue: deque[int] = deque()
    for target, made in exploration.successors[start]:
        if target == start:
            return [(start, made)]
        if target in members and target not in previous:
            previous[target] = (start, made)
            queue.append(target)
    while queue:
        node = queue.popleft()
        for target, made in exploration.successors[node]:
            if target == start:
                path = [(start, made)]
                while node != start:
                    source, edge = previous[node]
                    path.append((node, edge))
                    node = source
                return path[::-1]
            if target in members and target not in previous:
                previous[target] = (node, made)
                queue.append(target)
    raise AssertionError("a cyclic component without a cycle")


def longest_runs(exploration: Exploration, graph: nx.DiGraph) -> tuple[int, int]:
    """(longest run in moves, longest run in ticks) from node 0, on an acyclic graph."""
    moves = [0] * exploration.states
    ticks = [0] * exploration.states
    for node in nx.topological_sort(graph):
        for target, data in graph[node].items():
            moves[target] = max(moves[target], moves[node] + 1)
            ticks[target] = max(ticks[target], ticks[node] + int(data["tick"]))
    return max(moves, default=0), max(ticks, default=0)


def termination_results(exploration: Exploration) -> list[PropertyResult]:
    results = []
    graph = exploration.graph()
    components = _cyclic_components(graph)
    if components:
        start = min(min(component) for component in components)
        members = next(component for component in components if start in component)
        cycle = _shortest_cycle(exploration, start, members)
        labels = " -> ".join(made.action for _, made in cycle)
        results.append(PropertyResult(
            "termination", "termination", False,
            f"a run can repeat forever: after {exploration.depth[start]} moves, the loop "
            f"{labels} returns to the same class of markets",
            Witness(start, cycle=cycle), {"cyclic_components": len(components)}))
        longest = None
    else:
        longest = longest_runs(exploration, graph)
        # Every run is finite; now every market must reach a final one without misuse.
        final = [node for node in range(exploration.states)
                 if exploration.expanded[node] and not exploration.successors[node]
                 and node not in exploration.stuck
                 and all(is_terminal(job) for job in exploration.markets[node].jobs.values())]
        predecessors: list[list[int]] = [[] for _ in range(exploration.states)]
        for source, edges in enumerate(exploration.successors):
            for target, made in edges:
                if made.action not in NON_PROGRESS_ACTIONS:
                    predecessors[target].append(source)
        reaches = set(final)
        queue = deque(final)
        while queue:
            node = queue.popleft()
            for source in predecessors[node]:
                if source not in reaches:
                    reaches.add(source)
                    queue.append(source)
        unable = [node for node in range(exploration.states)
                  if node not in reaches and exploration.expanded[node]
                  and node not in exploration.partial]
        if unable:
            node = min(unable)
            results.append(PropertyResult(
                "termination", "termination", False,
                f"after {exploration.depth[node]} moves no final market (every job ended, "
                f"nothing left to do) can be reached without misusing data",
                Witness(node), {"unable_states": len(unable)}))
        else:
            results.append(PropertyResult(
                "termination", "termination", True,
                f"every run ends; the longest takes {longest[0]} moves ({longest[1]} ticks), "
                f"and every market can still reach an end without misuse",
                data={"longest_run": longest[0], "longest_run_ticks": longest[1],
                      "final_states": len(final)}))
    results.append(horizon_result(exploration, longest))
    return results


def horizon_result(exploration: Exploration, longest: tuple[int, int] | None) -> PropertyResult:
    """Licence expiries coded "far" must lie beyond every run: the guard ``now > expiry``
    is then false in every reachable market, whatever the expiry's distance from now."""
    far = {name: dataset.licence.expiry for name, dataset in exploration.markets[0].datasets.items()
           if exploration.horizon is not None and dataset.licence.expiry >= exploration.horizon}
    name = "time_abstraction_valid"
    if exploration.abstraction == "none" or not far:
        return PropertyResult(name, "abstraction", True,
                              "no licence expiry was taken as never reached")
    if longest is None:
        return PropertyResult(name, "abstraction", False,
                              "the graph has a cycle, so no bound on the ticks of a run is known "
                              "and far licence expiries cannot be justified")
    earliest = min(far.values())
    if longest[1] > earliest:
        return PropertyResult(name, "abstraction", False,
                              f"a run takes {longest[1]} ticks, beyond the licence expiry "
                              f"{earliest} taken as never reached; explore with a larger horizon")
    return PropertyResult(name, "abstraction", True,
                          f"runs take at most {longest[1]} ticks, before the earliest expiry "
                          f"taken as never reached ({earliest}): the licences of "
                          f"{', '.join(sorted(far))} never expire in any run",
                          data={"horizon": exploration.horizon, "longest_run_ticks": longest[1]})


def outcome_result(exploration: Exploration) -> PropertyResult:
    missing = [outcome for outcome in OUTCOMES if outcome not in exploration.outcomes]
    if missing:
        return PropertyResult("outcomes_reached", "goal", False,
                              "never reached: " + ", ".join(missing),
                              data={"missing": missing})
    return PropertyResult("outcomes_reached", "goal", True,
                          f"all {len(OUTCOMES)} ways a job can end are reached",
                          data={"first_state": dict(exploration.outcomes)})


def coverage_result(covered: set[tuple[str, str]], missing: list[tuple[str, str]],
                    undeclared: list[tuple[str, str]]) -> PropertyResult:
    """Rejection coverage from a (possibly merged) coverage tally."""
    unexplained = [pair for pair in missing if pair not in COVERAGE_EXCLUSIONS]
    stale = sorted(pair for pair in COVERAGE_EXCLUSIONS if pair in covered)
    problems = []
    if unexplained:
        problems.append("never seen: " + ", ".join(f"{action}/{outcome}"
                                                  for action, outcome in unexplained))
    if undeclared:
        problems.append("undeclared codes returned: " + ", ".join(
            f"{action}/{outcome}" for action, outcome in undeclared))
    if stale:
        problems.append("excluded as unreachable but reached: " + ", ".join(
            f"{action}/{outcome}" for action, outcome in stale))
    excluded = [pair for pair in missing if pair in COVERAGE_EXCLUSIONS]
    data = {"covered": len(covered), "missing": [list(pair) for pair in unexplained],
            "excluded": {f"{action}/{outcome}": COVERAGE_EXCLUSIONS[(action, outcome)]
                         for action, outcome in excluded}}
    if problems:
        return PropertyResult("rejection_coverage", "coverage", False, "; ".join(problems),
                              data=data)
    return PropertyResult("rejection_coverage", "coverage", True,
                          f"{len(covered)} action x outcome pairs seen"
                          + (f", {len(excluded)} excluded as unreachable" if excluded else ""),
                          data=data)


def exploration_results(exploration: Exploration, coverage: bool = True) -> list[PropertyResult]:
    """Every property of one exploration (coverage only if asked: it is usually judged
    over several instances together)."""
    if exploration.truncated:
        return [PropertyResult("exhaustive", "abstraction", False,
                               f"the search stopped at {exploration.states} states before "
                               f"the graph was complete")]
    results = invariant_results(exploration)
    results.append(exception_result(exploration))
    results.append(deadlock_result(exploration))
    results += termination_results(exploration)
    results.append(outcome_result(exploration))
    if coverage:
        results.append(coverage_result(exploration.coverage.covered(),
                                       exploration.coverage.missing(),
                                       exploration.coverage.undeclared()))
    return results


__all__ = ["ACCEPTED", "COVERAGE_EXCLUSIONS", "PropertyResult", "Witness",
           "coverage_result", "exploration_results", "longest_runs"]
