"""What ``aimarket check`` is made of: check providers, the context they are given and the
results they return.

A **check provider** is a named function that runs some checks and returns their
results (:class:`ProviderReport`). :mod:`proofs.suite` lists the providers ``aimarket
check`` runs, in order, shows progress, prints one table row per :class:`CheckResult`
and exits 1 if any result fails.

To add checks of another kind (as the Z3 incentive proofs do, ``kind="incentive"``, in
:mod:`proofs.incentives.report`), write a module with a provider and add it to
:data:`proofs.suite.PROVIDERS`::

    # proofs/incentives/report.py
    from proofs.results import CheckContext, CheckProvider, CheckResult, ProviderReport

    def run_incentives(context: CheckContext) -> ProviderReport:
        task = context.progress.task("incentive proofs", total=3)
        ...
        return ProviderReport([CheckResult("weak_immunity", "incentive", True, ...)])

    PROVIDERS = [CheckProvider("incentives", "incentive", run_incentives)]

A provider should honour ``context.selected(kind)`` (the user may ask for some kinds
only), report progress through ``context.progress`` and write any counterexample under
``context.trace_dir``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spec.world import Instance


@dataclass
class CheckResult:
    """One verdict: a property of some kind, on some instance (or "all")."""

    name: str
    kind: str
    holds: bool
    detail: str
    instance: str = "-"
    states: int | None = None
    transitions: int | None = None
    seconds: float = 0.0
    counterexample: str | None = None
    """Path of the ITF file of a shortest counterexample, when there is one."""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "fails"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "verdict": self.verdict,
                "instance": self.instance, "states": self.states,
                "transitions": self.transitions, "seconds": round(self.seconds, 3),
                "detail": self.detail, "counterexample": self.counterexample, **self.data}


@dataclass
class ProviderReport:
    results: list[CheckResult] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    """Extra top-level JSON sections (for example ``"mutants"``)."""


class Progress:
    """Progress reporting; the CLI passes one that draws bars, tests a silent one."""

    def task(self, description: str, total: int | None = None) -> "ProgressTask":
        return ProgressTask()


class ProgressTask:
    def update(self, completed: int | None = None, total: int | None = None,
               description: str | None = None) -> None:
        pass

    def done(self) -> None:
        pass


@dataclass
class CheckContext:
    """What a provider is asked to do."""

    instances: list[tuple[str, Instance]]
    """The explicit-state instances (name, instance); the first is the main one."""
    proof_instances: list[tuple[str, Instance]]
    """Instances for the Z3 inductive proof."""
    soundness_instances: list[tuple[str, Instance]]
    """Small instances on which the abstractions are checked against no abstraction."""
    mutant_instance: tuple[str, Instance]
    kinds: frozenset[str] | None = None
    """Kinds of checks to run (None: all)."""
    trace_dir: Path | None = None
    progress: Progress = field(default_factory=Progress)
    abstraction: str = "symmetry"
    reduction: str = "none"
    """Move reduction of the explorations (``proofs.explore.REDUCTIONS``)."""
    complete_mutants: bool = False
    """Find every check that kills each mutant (slower) rather than the first that does."""

    def selected(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


@dataclass(frozen=True)
class CheckProvider:
    name: str
    kind: str
    """The main kind of its results (a provider may report other kinds too)."""
    run: Callable[[CheckContext], ProviderReport]
    kinds: tuple[str, ...] = ()
    """Every kind of result the provider can report (default: ``(kind,)``)."""

    def reports(self, kinds: frozenset[str] | None) -> bool:
        return kinds is None or bool(kinds & set(self.kinds or (self.kind,)))


@dataclass
class CheckReport:
    results: list[CheckResult]
    sections: dict[str, Any]
    seconds: float

    @property
    def holds(self) -> bool:
        return all(result.holds for result in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"properties": [result.to_json() for result in self.results], **self.sections,
                "verdict": "holds" if self.holds else "fails", "seconds": round(self.seconds, 3)}
