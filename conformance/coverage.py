"""What the corpus must exercise, and what a set of vectors does exercise.

Three tables, each a fixed universe written down from the spec:

* **action × outcome** — every action of :data:`spec.actions.CATALOGUE`, accepted and
  refused with each code its catalogue entry lists (:func:`action_outcomes`);
* **job edges** — every ``status → status`` move of the job state machine, by the action
  that makes it, self-loops included (an accepted move that leaves the status as it was,
  such as the first of two grants) (:data:`JOB_EDGES`); the edge "from nothing" is the
  request that creates the job;
* **endings** — every way a job ends, by payout rule: the terminal status, refined for
  ``RESOLVED`` by the offence, and for a missed deadline by who missed it
  (:data:`ENDINGS`).

:func:`coverage_of` reads a vector's steps and abstract states and says which entries it
exercises; :class:`CoverageReport` adds it up over a corpus. Entries that cannot be
exercised are listed in :data:`EXCLUSIONS` with the reason; the suite requires every other
entry to be covered at least once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from traces.itf import ACCEPTED
from conformance.projection import AbstractState
from conformance.vectors import Vector
from spec.actions import CATALOGUE
from spec.invariants import OUTCOMES

NO_JOB = "-"
"""The status "before" of the request that creates a job."""


def action_outcomes() -> list[tuple[str, str]]:
    """Every (action, outcome) pair, in catalogue order, the outcomes in check order."""
    return [(name, outcome) for name, action in CATALOGUE.items()
            for outcome in (ACCEPTED, *(code.value for code in action.rejections))]


JOB_EDGES: tuple[tuple[str, str, str], ...] = (
    (NO_JOB, "request_training", "REQUESTED"),
    ("REQUESTED", "grant_access", "REQUESTED"),
    ("REQUESTED", "grant_access", "LICENSED"),
    ("REQUESTED", "deny_access", "CANCELLED"),
    ("REQUESTED", "timeout", "EXPIRED"),
    ("LICENSED", "accept_job", "LICENSED"),
    ("LICENSED", "accept_job", "RUNNING"),
    ("LICENSED", "timeout", "EXPIRED"),
    ("RUNNING", "confirm_inputs", "RUNNING"),
    ("RUNNING", "complain_inputs", "RESOLVED"),
    ("RUNNING", "submit_result", "RUNNING"),
    ("RUNNING", "submit_result", "DELIVERED"),
    ("RUNNING", "misuse_data", "RUNNING"),
    ("RUNNING", "report_misuse", "RESOLVED"),
    ("RUNNING", "timeout", "RESOLVED"),
    ("RUNNING", "timeout", "DELIVERED"),
    ("DELIVERED", "accept_result", "SETTLED"),
    ("DELIVERED", "accept_result", "RESOLVED"),
    ("DELIVERED", "dispute_result", "DISPUTED"),
    ("DELIVERED", "convict_shared_step", "RESOLVED"),
    ("DELIVERED", "misuse_data", "DELIVERED"),
    ("DELIVERED", "report_misuse", "RESOLVED"),
    ("DELIVERED", "timeout", "SETTLED"),
    ("DELIVERED", "timeout", "RESOLVED"),
    ("DISPUTED", "bisect_query", "DISPUTED"),
    ("DISPUTED", "bisect_answer", "DISPUTED"),
    ("DISPUTED", "resolve_step", "RESOLVED"),
    ("DISPUTED", "misuse_data", "DISPUTED"),
    ("DISPUTED", "report_misuse", "RESOLVED"),
    ("DISPUTED", "timeout", "DISPUTED"),
    ("DISPUTED", "timeout", "RESOLVED"),
)
"""Every move of a job, read from the guards and effects of :mod:`spec.actions`. A test
checks this table against the edges the model checker reaches (``proofs/explore.py``),
but for :data:`EDGES_THE_MODEL_CHECKER_MISSES`."""

EDGES_THE_MODEL_CHECKER_MISSES: dict[tuple[str, str, str], str] = {}
"""Edges of :data:`JOB_EDGES` that the model checker's instances do not reach, with the
reason (as ``proofs.explore_checks.COVERAGE_EXCLUSIONS`` lists the action's acceptance)."""

def spec_endings() -> tuple[str, ...]:
    """The spec's ways for a job to end (:data:`spec.invariants.OUTCOMES`), with a missed
    deadline split by who missed it: the vendors of a running job, or the developer on its
    turn in a dispute (the claimant)."""
    endings: list[str] = []
    for outcome in OUTCOMES:
        if outcome == "RESOLVED:MISSED_DEADLINE":
            endings += [f"{outcome}:vendors", f"{outcome}:claimant"]
        else:
            endings.append(outcome)
    return tuple(endings)


ENDINGS: tuple[str, ...] = spec_endings()
"""Every way a job can end: the terminal status, for ``RESOLVED`` the offence of the verdict
that decided the ending (the last one, :func:`spec.invariants.outcome_of`), and for a missed
deadline who missed it."""

EXCLUSIONS: dict[tuple[str, ...], str] = {}
"""Entries of the tables above that no vector can exercise, with the reason. Empty: the
corpus exercises every entry (a test keeps it that way)."""


def edge_name(edge: tuple[str, str, str]) -> str:
    return f"{edge[0]} --{edge[1]}--> {edge[2]}"


@dataclass
class VectorCoverage:
    """What one vector exercises, with the first step (1-based) of each."""

    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], int] = field(default_factory=dict)
    endings: dict[str, int] = field(default_factory=dict)


def ending_of(before: AbstractState, after: AbstractState, job: str) -> str | None:
    """How ``job`` ended in the step from ``before`` to ``after`` (None if it did not)."""
    previous = before.jobs.get(job)
    current = after.jobs.get(job)
    if current is None or current.payouts is None or (previous and previous.payouts is not None):
        return None
    if current.status != "RESOLVED":
        return current.status
    if not current.verdicts:
        return "RESOLVED:WITHOUT_VERDICT"
    last = current.verdicts[-1]
    if last.offence != "MISSED_DEADLINE":
        return f"RESOLVED:{last.offence}"
    if last.convicted == current.developer:
        return "RESOLVED:MISSED_DEADLINE:claimant"
    if any(dispute.respondent == last.convicted for dispute in current.disputes):
        return "RESOLVED:MISSED_DEADLINE:respondent"
    return "RESOLVED:MISSED_DEADLINE:vendors"


def coverage_of(vector: Vector) -> VectorCoverage:
    covered = VectorCoverage()
    before = vector.initial
    for index, step in enumerate(vector.steps, start=1):
        made = step.call
        covered.outcomes.setdefault((made.action, step.outcome), index)
        job = made.args.get("job")
        if step.accepted and isinstance(job, str) and job in step.state.jobs:
            previous = before.jobs.get(job)
            edge = (NO_JOB if previous is None else previous.status, made.action,
                    step.state.jobs[job].status)
            covered.edges.setdefault(edge, index)
            ending = ending_of(before, step.state, job)
            if ending is not None:
                covered.endings.setdefault(ending, index)
        before = step.state
    return covered


@dataclass
class CoverageReport:
    """Coverage of a corpus: for each entry of each table, the vectors exercising it."""

    outcomes: dict[tuple[str, str], list[str]]
    edges: dict[tuple[str, str, str], list[str]]
    endings: dict[str, list[str]]
    unexpected: list[str] = field(default_factory=list)
    """Exercised entries outside the tables: a spec change the tables do not know yet."""

    @classmethod
    def of(cls, vectors: Iterable[Vector]) -> CoverageReport:
        report = cls({pair: [] for pair in action_outcomes()},
                     {edge: [] for edge in JOB_EDGES}, {ending: [] for ending in ENDINGS})
        for vector in vectors:
            covered = coverage_of(vector)
            tables: tuple[tuple[dict[Any, list[str]], Iterable[Any], Callable[[Any], str]], ...] = (
                (report.outcomes, covered.outcomes, lambda key: f"{key[0]} {key[1]}"),
                (report.edges, covered.edges, edge_name),
                (report.endings, covered.endings, str))
            for table, found, describe in tables:
                for key in found:
                    if key in table:
                        table[key].append(vector.name)
                    else:
                        report.unexpected.append(f"{describe(key)} (in {vector.name})")
        return report

    def rows(self) -> list[tuple[str, str, int, str]]:
        """``(table, entry, vectors, note)`` for every entry, excluded ones noted."""
        rows = []
        tables: tuple[tuple[str, dict[Any, list[str]], Callable[[Any], str]], ...] = (
            ("action x outcome", self.outcomes, lambda key: f"{key[0]} {key[1]}"),
            ("job edge", self.edges, edge_name),
            ("ending", self.endings, str))
        for table, entries, describe in tables:
            for key, names in entries.items():
                exclusion = EXCLUSIONS.get(key if isinstance(key, tuple) else (key,))
                rows.append((table, describe(key), len(names),
                             f"excluded: {exclusion}" if exclusion else ""))
        return rows

    @property
    def total(self) -> int:
        return len(self.outcomes) + len(self.edges) + len(self.endings)

    def missing(self) -> list[str]:
        """Entries neither covered nor excluded."""
        return [f"{table}: {entry}" for table, entry, count, note in self.rows()
                if count == 0 and not note]

    @property
    def covered(self) -> int:
        return sum(1 for _, _, count, _ in self.rows() if count > 0)

    def to_json(self) -> dict:
        return {
            "covered": self.covered,
            "total": self.total,
            "excluded": [{"entry": " ".join(key), "reason": reason}
                         for key, reason in EXCLUSIONS.items()],
            "action_outcomes": [{"action": action, "outcome": outcome, "vectors": names}
                                for (action, outcome), names in self.outcomes.items()],
            "job_edges": [{"from": edge[0], "action": edge[1], "to": edge[2], "vectors": names}
                          for edge, names in self.edges.items()],
            "endings": [{"ending": ending, "vectors": names}
                        for ending, names in self.endings.items()],
        }
