"""Breadth-first search over compact states: the fast explorer.

:func:`fast_explore` does what :func:`proofs.explore.explore` does with the time
abstraction and without the rejection coverage's malformed variants — every class of
markets reachable by protocol moves, every property checked in every new state, stuck
jobs in every expanded state, the outcomes reached, the misuse reduction on request — on
the compact states of :mod:`proofs.fast.state`. Successors come in the spec's move order,
so the states are numbered as the spec explorer numbers its nodes.

It runs the unmutated rules only, and is trusted where
:func:`proofs.fast.agreement.check_agreement` has compared it with the spec explorer.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from proofs.fast.checks import FastChecker, outcome, stuck
from proofs.fast.context import FastContext, make_context, time_keys
from proofs.fast.moves import successors
from proofs.fast.state import ARTEFACTS, JOBS, STATUS, VERDICTS, Label, State, encode
from proofs.fast.step import TERMINAL
from proofs.fast.symmetry import FastSymmetry
from spec.world import Instance

ProgressCallback = Callable[[int, int], None]


@dataclass
class FastExploration:
    """The explored graph: ``states[n]`` is node ``n`` (BFS order; under the symmetry
    abstraction the first state found in its class), ``successors[n]`` its ``(target,
    label)`` edges, ``index`` maps a class's key (``key(state)``) to its node; the rest as
    in :class:`proofs.explore.Exploration`."""

    context: FastContext
    reduction: str
    abstraction: str = "time"
    symmetry: FastSymmetry | None = None
    states: list[State] = field(default_factory=list)
    index: dict[Any, int] = field(default_factory=dict)
    parent: list[int] = field(default_factory=list)
    parent_label: list[Label | None] = field(default_factory=list)
    successors: list[list[tuple[int, Label]]] = field(default_factory=list)
    violations: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    stuck: dict[int, list[str]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    partial: set[int] = field(default_factory=set)
    transitions: int = 0
    truncated: bool = False
    cpu_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.states)

    def key(self, state: State) -> Any:
        """The key of ``state``'s class under this exploration's abstraction."""
        return state if self.symmetry is None else self.symmetry.key(state)


def pending_misuse(context: FastContext, state: State) -> frozenset[tuple[str, str, str]]:
    """``proofs.explore.pending_misuse``: misuse artefacts of open jobs."""
    open_jobs = {ctx.ident for ctx, job in zip(context.jobs, state[JOBS])
                 if job is not None and job[STATUS] not in TERMINAL}
    return frozenset(artefact for artefact in state[ARTEFACTS]
                     if artefact[0] == "misuse" and artefact[1] in open_jobs)


def initial_state(context: FastContext) -> State:
    """The compact state of the market after setup."""
    return encode(context.initial, context, time_keys(context))


NONE_PENDING: frozenset[tuple[str, str, str]] = frozenset()

ABSTRACTIONS = ("time", "symmetry")
"""The fast explorer's abstractions: time, or time and symmetry (:mod:`proofs.fast.symmetry`)."""


def fast_explore(instance: Instance, *, reduction: str = "none", max_states: int | None = None,
                 horizon: int | None = None, context: FastContext | None = None,
                 progress: ProgressCallback | None = None,
                 abstraction: str = "time") -> FastExploration:
    """Explore ``instance`` with the time abstraction (and with ``abstraction="symmetry"``
    the symmetry abstraction too) on compact states (see the module)."""
    if reduction not in ("none", "misuse"):
        raise ValueError(f"unknown reduction {reduction!r}; known: none, misuse")
    if abstraction not in ABSTRACTIONS:
        raise ValueError(f"unknown abstraction {abstraction!r}; known: {', '.join(ABSTRACTIONS)}")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _explore(instance, reduction, max_states, horizon, context, progress, abstraction)
    finally:
        if was_enabled:
            gc.enable()


def _explore(instance: Instance, reduction: str, max_states: int | None, horizon: int | None,
             context: FastContext | None, progress: ProgressCallback | None,
             abstraction: str) -> FastExploration:
    started, cpu_started = time.perf_counter(), time.process_time()
    if context is None:
        context = make_context(instance, horizon)
    result = FastExploration(context, reduction, abstraction)
    if abstraction == "symmetry":
        result.symmetry = FastSymmetry(context)
    keyed = result.symmetry.key if result.symmetry is not None else None
    checker = FastChecker(context)
    states, index, parents, labels, edges_of = (result.states, result.index, result.parent,
                                                result.parent_label, result.successors)
    violations, outcomes = result.violations, result.outcomes
    reduce_misuse = reduction == "misuse"
    outcome_names: dict[tuple[Any, ...], str | None] = {}
    """Memo of :func:`outcome`: it reads the status and the last verdict only."""

    def add(state: State, key: Any, parent: int, label: Label | None) -> int:
        node = len(states)
        states.append(state)
        index[key] = node
        parents.append(parent)
        labels.append(label)
        edges_of.append([])
        if label is not None and label[0] == "tick":
            # A tick changes time codes only, which no property reads (proofs.fast.checks).
            found = violations.get(parent)
        else:
            found = checker.violations(state)
        if found:
            violations[node] = found
        # A job record that is its parent's own object (a tick, another job's move) ended,
        # if it did, in the parent already, which was numbered first: nothing new here.
        before = states[parent][JOBS] if parent >= 0 else None
        for position, job in enumerate(state[JOBS]):
            if job is not None and job[STATUS] in TERMINAL and (
                    before is None or before[position] is not job):
                ended = outcome_names.get((job[STATUS], job[VERDICTS][-1:]))
                if ended is None:
                    ended = outcome_names[(job[STATUS], job[VERDICTS][-1:])] = outcome(job)
                if ended is not None and ended not in outcomes:
                    outcomes[ended] = node
        return node

    start = initial_state(context)
    add(start, start if keyed is None else keyed(start), -1, None)
    seen: dict[State, int] = {start: 0}
    """Under the symmetry abstraction: every state met so far and its class."""
    transitions = 0
    node = -1
    # Breadth first: nodes are expanded in the order they were found.
    while node + 1 < len(states):
        if max_states is not None and len(states) >= max_states:
            result.truncated = True
            break
        node += 1
        state = states[node]
        moves = successors(context, state)
        fresh = pending_misuse(context, state) if reduce_misuse else NONE_PENDING
        if fresh:
            moves = [(label, target) for label, target in moves if label[0] == "report_misuse"
                     and ("misuse", label[2], label[3]) in fresh]
            result.partial.add(node)
        edges = edges_of[node]
        transitions += len(moves)
        if keyed is None:
            for label, target_state in moves:
                target = index.get(target_state)
                if target is None:
                    target = add(target_state, target_state, node, label)
                edges.append((target, label))
        else:
            for label, target_state in moves:
                # Equal compact states are in one class: the key is computed once per state.
                target = seen.get(target_state)
                if target is None:
                    key = keyed(target_state)
                    target = index.get(key)
                    if target is None:
                        target = add(target_state, key, node, label)
                    seen[target_state] = target
                edges.append((target, label))
        if not fresh:
            blocked = stuck(context, state, moves)
            if blocked:
                result.stuck[node] = blocked
        if progress is not None and node % 5000 == 0:
            progress(len(states), node + 1)
    result.transitions = transitions
    result.cpu_seconds = time.process_time() - cpu_started
    result.seconds = time.perf_counter() - started
    if progress is not None:
        progress(len(states), len(states))
    return result

