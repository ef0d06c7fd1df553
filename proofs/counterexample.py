"""Counterexamples: a failing property's shortest run, readable and as an ITF trace.

The explorer's BFS tree is a set of real runs (each node's market is exactly the
successor of its parent's market by the recorded call), so the path to the first node
that fails a property is a shortest run to a failing market. A counterexample starts
at genesis: the instance's setup calls first, then the path, then — for a crash — the
call that raised, or — for a run that never ends — the loop, replayed concretely from
the loop's first market (the loop returns to a market of the same class: equal but for
a shift of every time value, or a renaming of interchangeable parties).
"""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from pathlib import Path

from traces.itf import ACCEPTED, RunTrace, TraceStep, write_trace
from proofs.explore import Exploration
from proofs.explore_checks import PropertyResult
from spec.actions import Call
from spec.machine import step
from spec.state import genesis
from walks.moves import protocol_moves

EXCEPTION = "exception"
"""The outcome recorded for a call on which the spec raised."""


def setup_steps(exploration: Exploration, length: int | None = None) -> list[TraceStep]:
    """Genesis and the market after each of the first ``length`` setup calls."""
    instance = exploration.instance
    market = genesis(instance.dispute_cost, instance.audit_probability)
    steps = [TraceStep(market)]
    for made in exploration.setup[:length]:
        market = step(market, made).market
        steps.append(TraceStep(market, made, ACCEPTED))
    return steps


def _loop_steps(exploration: Exploration, start: int, cycle) -> list[TraceStep]:
    """The loop replayed from the concrete market of ``start``; each call is the edge's
    own call when it leads to the right class, else the protocol move that does."""
    keys = exploration.keys
    if keys is None:
        raise ValueError("the exploration recorded no abstraction")
    market = exploration.markets[start]
    steps = []
    for target, made in cycle:
        wanted = keys.key(exploration.markets[target])
        chosen = None
        for candidate in [made, *protocol_moves(market, exploration.instance)]:
            result = step(market, candidate)
            if result.accepted and keys.key(result.market) == wanted:
                chosen = result
                break
        if chosen is None:
            raise RuntimeError(f"the loop edge {made.action} cannot be replayed concretely")
        market = chosen.market
        steps.append(TraceStep(market, chosen.call, ACCEPTED))
    return steps


def instance_fields(exploration: Exploration) -> dict:
    """The instance as JSON-friendly fields (templates as lists)."""
    values = {}
    for name, value in asdict(exploration.instance).items():
        if name == "jobs":
            value = [{"ident": template["ident"], "developer": template["developer"],
                      "datasets": list(template["datasets"]), "vendors": list(template["vendors"])}
                     for template in value]
        elif name == "wrong_steps" and value is not None:
            value = list(value)
        elif not isinstance(value, (int, str, bool, type(None))):
            value = str(value)
        values[name] = value
    return values


def counterexample_trace(exploration: Exploration, result: PropertyResult,
                         mutant: str | None = None) -> RunTrace | None:
    """The shortest run showing that ``result`` fails, or None (no run shows it: an
    unreached goal or coverage gap is an absence, not a run)."""
    witness = result.witness
    if witness is None:
        return None
    if witness.setup_position is not None:
        steps = setup_steps(exploration, witness.setup_position)
        steps.append(TraceStep(steps[-1].market, witness.final_call, EXCEPTION))
        return RunTrace(steps, None, _meta(exploration, result, mutant, witness, None))
    steps = setup_steps(exploration)
    for node in exploration.path_to(witness.node)[1:]:
        steps.append(TraceStep(exploration.markets[node], exploration.parent_call[node], ACCEPTED))
    loop = None
    if witness.cycle:
        loop = len(steps) - 1
        steps += _loop_steps(exploration, witness.node, witness.cycle)
    if witness.final_call is not None:
        steps.append(TraceStep(steps[-1].market, witness.final_call, EXCEPTION))
    return RunTrace(steps, loop, _meta(exploration, result, mutant, witness, loop))


def _meta(exploration: Exploration, result: PropertyResult, mutant: str | None, witness,
          loop: int | None) -> dict:
    meta = {
        "source": "aimarket proofs.explore",
        "description": f"counterexample to {result.name}: {result.detail}",
        "property": result.name,
        "kind": result.kind,
        "abstraction": exploration.abstraction,
        "horizon": exploration.horizon,
        "setup_calls": len(exploration.setup),
        "instance": instance_fields(exploration),
    }
    if mutant:
        meta["mutant"] = mutant
    if witness.final_error:
        meta["error"] = witness.final_error
    if loop is not None:
        meta["loop_note"] = ("the last state is in the same class as the state at index "
                             "'loop' (equal up to the explorer's abstraction), so the loop "
                             "can be repeated forever")
    return meta


def describe_call(made: Call) -> str:
    """A call's arguments, short: long transcripts are cut."""
    parts = []
    for name, value in made.args.items():
        if name == "transcript":
            value = "[" + ",".join(str(digest) for digest in value[:3]) + (",…]" if len(value) > 3 else "]")
        elif isinstance(value, (tuple, frozenset)):
            value = "+".join(str(item) for item in sorted(value, key=str))
        elif isinstance(value, Enum):
            value = value.value
        parts.append(f"{name}={value}")
    return " ".join(parts)


def describe_trace(trace: RunTrace, setup_calls: int = 0) -> list[str]:
    """One line per step; the setup calls are summarised in one line."""
    lines = []
    if setup_calls:
        lines.append(f"   (genesis and {setup_calls} setup calls: identities, funding, datasets, "
                     f"models, offers)")
    for index, item in enumerate(trace.steps):
        if item.call is None or index <= setup_calls:
            continue
        marker = "  <- loop starts here" if trace.loop is not None and index == trace.loop + 1 else ""
        statuses = ", ".join(f"{ident} {job.status.value}" for ident, job in item.market.jobs.items())
        lines.append(f"{index - setup_calls:>4}. t={item.market.now:<3} {item.call.action:<16} "
                     f"{item.call.actor:<9} {describe_call(item.call)}  -> {item.outcome}"
                     f"  [{statuses}]{marker}")
    return lines


def write_counterexample(trace: RunTrace, directory: str | Path, name: str) -> Path:
    """Write ``trace`` as ``directory/name.itf.json``."""
    return write_trace(Path(directory) / f"{name}.itf.json", trace)


__all__ = ["EXCEPTION", "counterexample_trace", "describe_call", "describe_trace",
           "setup_steps", "write_counterexample"]
