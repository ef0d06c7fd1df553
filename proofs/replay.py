"""Replaying an ITF trace against the spec, step by step.

:func:`replay` starts from the trace's first market, applies each recorded call with
:func:`spec.machine.step`, and compares the outcome and the market after it with what
the trace recorded. Every market is checked against the spec's invariants and the
model checker's protocol properties. At the end it reports what the run shows: the
recorded property failing (a counterexample that reproduces), a stuck job (deadlock),
a loop back to an earlier class of markets (a run that never ends), or nothing.

A trace recorded under a mutant (``#meta.mutant``) replays against the spec as it is, so
it normally *diverges* where the mutant behaved differently; that divergence is itself
the evidence that the spec does not have the mutant's bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from traces.itf import ACCEPTED, RunTrace
from proofs.explore import stuck_jobs
from proofs.explore_symmetry import SymmetryKeys
from proofs.explore_time import TimeKeys
from proofs.explore_properties import protocol_violations
from spec.invariants import violations
from spec.machine import step
from spec.world import Instance, JobTemplate, setup
from walks.moves import protocol_moves

EXCEPTION = "exception"


@dataclass
class ReplayStep:
    index: int
    call: Any
    recorded: str
    outcome: str
    market: Any
    matches: bool
    problems: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


@dataclass
class ReplayReport:
    steps: list[ReplayStep]
    diverged_at: int | None
    """Index of the first state whose outcome or market differs from the recording."""
    violated: list[tuple[int, str, str]]
    """(state index, property, what is wrong) for every failed invariant or property."""
    stuck: list[str]
    """Open jobs with no progress move in the last market (when the instance is known)."""
    loop: str | None
    """What the trace's loop shows, when it was confirmed."""
    meta: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def reproduces(self) -> bool:
        """Whether the run shows a failure: a property violated, a stuck job, a loop, or
        a crash of the spec."""
        return bool(self.violated or self.stuck or self.loop
                    or any(item.error for item in self.steps))


def instance_from_meta(meta: dict[str, Any]) -> Instance | None:
    """The instance a counterexample was found on (from ``#meta.instance``), if any."""
    fields = meta.get("instance")
    if not isinstance(fields, dict):
        return None
    try:
        values = dict(fields)
        values["jobs"] = tuple(JobTemplate(job["ident"], job["developer"], tuple(job["datasets"]),
                                           tuple(job["vendors"])) for job in values.get("jobs", ()))
        if values.get("wrong_steps") is not None:
            values["wrong_steps"] = tuple(values["wrong_steps"])
        if isinstance(values.get("audit_probability"), str):
            from fractions import Fraction
            values["audit_probability"] = Fraction(values["audit_probability"])
        return Instance(**values)
    except (KeyError, TypeError, ValueError):
        return None


def replay(trace: RunTrace) -> ReplayReport:
    market = trace.steps[0].market
    steps: list[ReplayStep] = []
    violated: list[tuple[int, str, str]] = []
    diverged_at = None
    for name, problem in violations(market) + protocol_violations(market):
        violated.append((0, name, problem))
    for index, recorded in enumerate(trace.steps[1:], start=1):
        made = recorded.call
        try:
            if made is None:
                raise ValueError(f"step {index} of the trace records no call")
            result = step(market, made)
        except Exception as error:
            message = f"{type(error).__name__}: {error}"
            matches = recorded.outcome == EXCEPTION
            steps.append(ReplayStep(index, made, recorded.outcome, EXCEPTION, market, matches,
                                    error=message))
            if not matches and diverged_at is None:
                diverged_at = index
            break
        outcome = ACCEPTED if result.rejection is None else result.rejection.value
        market = result.market
        matches = outcome == recorded.outcome and market == recorded.market
        problems = violations(market) + protocol_violations(market)
        steps.append(ReplayStep(index, made, recorded.outcome, outcome, market, matches, problems))
        violated += [(index, name, problem) for name, problem in problems]
        if not matches and diverged_at is None:
            diverged_at = index
            break
    instance = instance_from_meta(trace.meta)
    stuck: list[str] = []
    loop = None
    if instance is not None and diverged_at is None and not any(item.error for item in steps):
        try:
            moves = protocol_moves(market, instance)
            accepted = [made for made in moves if step(market, made).accepted]
            stuck = stuck_jobs(market, accepted)
        except Exception:
            stuck = []
    notes = []
    if trace.loop is not None and instance is not None and diverged_at is None:
        loop = _loop_claim(trace, instance)
        if loop is None:
            notes.append(f"the trace claims a loop back to market {trace.loop}, but the last "
                         f"market is not in its class")
    return ReplayReport(steps, diverged_at, violated, stuck, loop, trace.meta, notes)


def _loop_claim(trace: RunTrace, instance: Instance) -> str | None:
    """Check that the last market is in the same class as the loop's first one."""
    if trace.loop is None:
        return None
    first, last = trace.steps[trace.loop].market, trace.steps[-1].market
    horizon = trace.meta.get("horizon")
    for keys, how in ((TimeKeys(horizon), "with every time value shifted"),
                      (SymmetryKeys(instance, setup(instance), horizon),
                       "up to a time shift and a renaming of interchangeable parties")):
        if keys.key(first) == keys.key(last):
            return (f"the last market equals market {trace.loop} {how}: the loop "
                    f"{trace.loop + 1}..{len(trace.steps) - 1} can repeat forever")
    return None


__all__ = ["ReplayReport", "ReplayStep", "instance_from_meta", "replay"]
