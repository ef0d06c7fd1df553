"""Explicit-state exploration of the spec on a small instance.

:func:`explore` starts from the market after :func:`spec.world.setup` and applies every
call of :func:`walks.moves.protocol_moves` with :func:`spec.machine.step`, breadth first,
until no new class of markets appears. Classes are named by the keys of
:mod:`proofs.explore_keys`; each node of the graph is the first concrete market found in
its class, so the BFS tree is a set of real runs and the path to any node is a shortest
run to its class.

While exploring, each new market is checked against every invariant of
:mod:`spec.invariants` and the protocol properties of :mod:`proofs.explore_checks`; each
expanded market is checked for stuck jobs (deadlock); every call evaluated — protocol
moves and the malformed variants of :mod:`proofs.explore_coverage` — is counted for
coverage (action x outcome). A market that violates a property is recorded — the first
one found is at the end of a shortest run — and still expanded, so that every property
is judged on the whole graph (a broken invariant does not hide a deadlock). The
graph-level properties
(termination, outcomes reached) are computed afterwards from the finished graph by
:mod:`proofs.explore_checks`.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from proofs.explore_coverage import Coverage, variant_calls
from proofs.explore_keys import StateKeys, make_keys
from proofs.explore_time import static_horizon
from proofs.explore_properties import protocol_violations
from spec.actions import Call
from spec.invariants import outcome_of, violations
from spec.machine import step
from spec.world import Instance, setup_calls
from spec.state import Market, genesis, is_terminal
from walks.moves import protocol_moves

NON_PROGRESS_ACTIONS = frozenset({"misuse_data", "report_misuse"})
"""Moves that do not count as progress of a job: misusing data is an off-chain deviation,
and reporting misuse is only possible after one. A job that could only end through them
is stuck (the protocol must end it without anyone misusing data)."""

REDUCTIONS = ("none", "misuse")
"""Move reductions of :func:`explore`: none, or misuse reported at once (:func:`pending_misuse`)."""

ProgressCallback = Callable[[int, int], None]
"""Called now and then with (states found, states expanded)."""


@dataclass
class Exploration:
    """The explored graph of one instance, with everything observed while exploring.

    Nodes are numbered in BFS order from 0 (the market after setup). ``markets[n]`` is the
    representative of node ``n``; ``parent[n]`` and ``parent_call[n]`` give the BFS tree,
    so that ``step(markets[parent[n]], parent_call[n])`` is exactly ``markets[n]``.
    ``successors[n]`` lists ``(target, call)`` for every accepted protocol move.
    """

    instance: Instance
    abstraction: str
    horizon: int | None
    setup: tuple[Call, ...]
    markets: list[Market] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    parent_call: list[Call | None] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    successors: list[list[tuple[int, Call]]] = field(default_factory=list)
    expanded: list[bool] = field(default_factory=list)
    violations: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    """Node -> every failed invariant or protocol property (name, what is wrong)."""
    stuck: dict[int, list[str]] = field(default_factory=dict)
    """Node -> open jobs with no progress move accepted (deadlock)."""
    exceptions: list[tuple[int, Call, str]] = field(default_factory=list)
    """(node, call, error) for every call on which the spec raised."""
    variant_exceptions: list[tuple[int | tuple[str, int], Call, str]] = field(default_factory=list)
    """(where, call, error) for every malformed call on which the spec raised."""
    outcomes: dict[str, int] = field(default_factory=dict)
    """Job outcome -> first node where some job ended that way."""
    coverage: Coverage = field(default_factory=Coverage)
    transitions: int = 0
    """Accepted protocol moves evaluated (edges, counting parallel ones)."""
    truncated: bool = False
    """True when ``max_states`` stopped the search before the graph was complete."""
    seconds: float = 0.0
    unclassified: int = 0
    """Markets the symmetric encoding could not classify (given their finer time key)."""
    symmetries: int = 1
    """Size of the symmetry group used (1: only the identity)."""
    keys: StateKeys | None = None
    """The key function object (``keys.key(market)`` names a market's class)."""
    move_outcomes: dict[int, tuple] | None = None
    """With ``record_outcomes``: per node, the sorted (action, outcome) of every protocol move."""
    reduction: str = "none"
    """The move reduction used (:data:`REDUCTIONS`)."""
    partial: set[int] = field(default_factory=set)
    """Nodes expanded partially by the reduction (only the reports of a fresh misuse): they
    are not judged for deadlock or for reaching an end, their parent stands for them."""

    @property
    def states(self) -> int:
        return len(self.markets)

    def graph(self) -> nx.DiGraph:
        """The state graph: nodes are class numbers; an edge carries the calls between
        two classes (``calls``) and whether one of them is a clock tick (``tick``)."""
        graph = nx.DiGraph()
        graph.add_nodes_from(range(self.states))
        for source, edges in enumerate(self.successors):
            for target, made in edges:
                if graph.has_edge(source, target):
                    graph[source][target]["calls"].append(made)
                else:
                    graph.add_edge(source, target, calls=[made])
        for source, target, data in graph.edges(data=True):
            data["tick"] = any(made.action == "tick" for made in data["calls"])
        return graph

    def path_to(self, node: int) -> list[int]:
        """The BFS tree path from node 0 to ``node`` (both included)."""
        path = [node]
        while self.parent[path[-1]] >= 0:
            path.append(self.parent[path[-1]])
        return path[::-1]


def setup_path(instance: Instance) -> tuple[list[Call], list[Market]]:
    """The setup calls and the markets before each of them and after the last."""
    calls = setup_calls(instance)
    market = genesis(instance.dispute_cost, instance.audit_probability)
    markets = [market]
    for made in calls:
        result = step(market, made)
        if result.rejection is not None:
            raise ValueError(f"the instance is inconsistent: setup call {made.action} by "
                             f"{made.actor} was refused with {result.rejection.value}")
        market = result.market
        markets.append(market)
    return calls, markets


def stuck_jobs(market: Market, accepted: list[Call]) -> list[str]:
    """Open jobs of ``market`` for which no accepted call is progress.

    Progress for job ``j`` is an accepted call naming ``j`` other than a misuse move, or a
    clock tick while ``j``'s deadline has not passed (the job is waiting for it).
    """
    ticking = any(made.action == "tick" for made in accepted)
    moved = {made.args.get("job") for made in accepted if made.action not in NON_PROGRESS_ACTIONS}
    return [ident for ident, job in market.jobs.items()
            if not is_terminal(job) and ident not in moved
            and not (ticking and market.now <= job.deadline)]


def pending_misuse(market: Market) -> frozenset[tuple[str, str, str]]:
    """Misuse artefacts of open jobs that no verdict cites yet.

    Under the ``misuse`` reduction a market holds one only right after ``misuse_data``:
    the explorer then expands it with the reports of that misuse only (decision 0056).
    """
    found = set()
    for artefact in market.artefacts:
        job = market.jobs.get(artefact[1])
        if artefact[0] == "misuse" and job is not None and not is_terminal(job):
            found.add(artefact)
    return frozenset(found)


def explore(instance: Instance, abstraction: str = "symmetry", *, coverage: bool | Coverage = True,
            max_states: int | None = None, horizon: int | None = None,
            record_outcomes: bool = False, reduction: str = "none",
            progress: ProgressCallback | None = None) -> Exploration:
    """Explore every class of markets reachable by protocol moves.

    ``abstraction`` is ``"none"``, ``"time"`` or ``"symmetry"`` (time and symmetry);
    ``horizon`` overrides the time from which licence expiries count as never reached
    (default :func:`proofs.explore_time.static_horizon`, checked after the search);
    ``coverage`` also evaluates malformed variants of the moves at every market, for the
    rejection coverage (pass a :class:`Coverage` to share one tally between instances:
    variants are only tried for actions that still miss one of its targets);
    ``record_outcomes`` keeps, per node, the outcomes of its protocol moves (for the
    bisimulation check); ``max_states`` bounds the search (the result is then marked
    truncated and no property that needs the whole graph holds).

    ``reduction="misuse"`` explores a misuse of data only together with its report: a
    market with a fresh misuse artefact (:func:`pending_misuse`) is expanded with the
    owners' reports of it and nothing else, and is not judged for deadlock or for
    reaching an end (its parent, the same market without the artefact, is). Misusing
    data commutes with every other move and no property reads an unreported artefact, so
    every market of the full graph corresponds to one of the reduced graph without its
    unreported artefacts, with the same verdicts (decision 0056;
    :func:`proofs.explore_reduction.check_reduction` checks the correspondence).

    Python's cyclic garbage collector is paused during the search: the explorer builds
    only immutable, acyclic values (reference counting frees them), and with tens of
    thousands of live markets the collector's repeated full scans took a third to a half
    of the time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _explore(instance, abstraction, coverage=coverage, max_states=max_states,
                        horizon=horizon, record_outcomes=record_outcomes, reduction=reduction,
                        progress=progress)
    finally:
        if was_enabled:
            gc.enable()


def _explore(instance: Instance, abstraction: str = "symmetry", *, coverage: bool | Coverage = True,
            max_states: int | None = None, horizon: int | None = None,
            record_outcomes: bool = False, reduction: str = "none",
            progress: ProgressCallback | None = None) -> Exploration:
    """The search itself (see :func:`explore`)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; known: {', '.join(REDUCTIONS)}")
    reduce_misuse = reduction == "misuse"
    started = time.perf_counter()
    calls, path_markets = setup_path(instance)
    if horizon is None:
        horizon = static_horizon(instance)
    initial = path_markets[-1]
    keys = make_keys(abstraction, instance, initial, horizon if abstraction != "none" else None)
    result = Exploration(instance, abstraction, horizon if abstraction != "none" else None,
                         tuple(calls))
    result.reduction = reduction
    result.symmetries = len(getattr(keys, "group", [{}]))
    result.keys = keys
    if isinstance(coverage, Coverage):
        result.coverage = coverage
    tally = result.coverage
    if record_outcomes:
        result.move_outcomes = {}

    # The setup run: its calls count for coverage, and so do variants at its markets.
    for position, made in enumerate(calls):
        tally.record(made.action, None, ("setup", position), made)
        if coverage:
            for variant in variant_calls(path_markets[position], instance, calls[position:],
                                         tally.incomplete_actions()):
                _try_variant(result, path_markets[position], variant, ("setup", position))

    index_of: dict[object, int] = {}

    def add(market: Market, parent: int, made: Call | None) -> int:
        node = len(result.markets)
        result.markets.append(market)
        result.parent.append(parent)
        result.parent_call.append(made)
        result.depth.append(0 if parent < 0 else result.depth[parent] + 1)
        result.successors.append([])
        result.expanded.append(False)
        try:
            found = violations(market) + protocol_violations(market, instance)
        except Exception as error:  # an invariant that cannot even be evaluated fails
            found = [("evaluable", f"checking the invariants raised {type(error).__name__}: {error}")]
        try:
            ended = [outcome_of(job) for job in market.jobs.values()]
        except Exception as error:
            found.append(("evaluable", f"naming a job's outcome raised "
                                       f"{type(error).__name__}: {error}"))
            ended = []
        if found:
            result.violations[node] = found
        for outcome in ended:
            if outcome is not None and outcome not in result.outcomes:
                result.outcomes[outcome] = node
        return node

    root = add(initial, -1, None)
    index_of[keys.key(initial)] = root
    queue = deque([root])
    while queue:
        if max_states is not None and len(result.markets) >= max_states:
            result.truncated = True
            break
        node = queue.popleft()
        market = result.markets[node]
        try:
            moves = protocol_moves(market, instance)
        except Exception as error:  # the scenario cannot even list the moves: a finding
            result.violations.setdefault(node, []).append(
                ("evaluable", f"listing the protocol moves raised {type(error).__name__}: {error}"))
            result.expanded[node] = True
            continue
        fresh = pending_misuse(market) if reduce_misuse else frozenset()
        if fresh:
            moves = [made for made in moves if made.action == "report_misuse"
                     and ("misuse", made.args.get("job"), made.args.get("vendor")) in fresh]
            result.partial.add(node)
        accepted: list[Call] = []
        edges = result.successors[node]
        seen_outcomes = []
        for made in moves:
            try:
                outcome = step(market, made)
            except Exception as error:  # a crash of the spec is itself a finding
                result.exceptions.append((node, made, f"{type(error).__name__}: {error}"))
                seen_outcomes.append((made.action, "exception"))
                continue
            tally.record(made.action, outcome.rejection, node, made)
            seen_outcomes.append((made.action, outcome.rejection.value if outcome.rejection
                                  else "accepted"))
            if outcome.rejection is not None:
                continue
            accepted.append(made)
            result.transitions += 1
            key = keys.key(outcome.market)
            target = index_of.get(key)
            if target is None:
                target = add(outcome.market, node, made)
                index_of[key] = target
                queue.append(target)
            edges.append((target, made))
        result.expanded[node] = True
        if result.move_outcomes is not None:
            result.move_outcomes[node] = tuple(sorted(seen_outcomes))
        stuck = stuck_jobs(market, accepted) if not fresh else []
        if stuck:
            result.stuck[node] = stuck
        if coverage:
            for variant in variant_calls(market, instance, moves, tally.incomplete_actions()):
                _try_variant(result, market, variant, node)
        if progress is not None and node % 500 == 0:
            progress(len(result.markets), node + 1)
    result.unclassified = getattr(keys, "unclassified", 0)
    result.seconds = time.perf_counter() - started
    if progress is not None:
        progress(len(result.markets), len(result.markets))
    return result


def _try_variant(result: Exploration, market: Market, variant: Call, where: int | tuple[str, int]) -> None:
    """Evaluate a malformed call for coverage; a spec that raises on it is a finding
    (every call must be accepted or refused with a code)."""
    try:
        rejection = step(market, variant).rejection
    except Exception as error:
        result.variant_exceptions.append((where, variant, f"{type(error).__name__}: {error}"))
        return
    result.coverage.record(variant.action, rejection, where, variant)
