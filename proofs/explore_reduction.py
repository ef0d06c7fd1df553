"""The misuse reduction re-checked against the full graph.

Under ``reduction="misuse"`` (:func:`proofs.explore.explore`) a misuse of data is explored
only together with its report: a market with an unreported misuse artefact of an open job
is expanded with the reports of it alone. The argument (decision 0056): ``misuse_data``
only adds an artefact; the only readers of an artefact are ``misuse_data`` itself (one
misuse per vendor and job), ``report_misuse`` and the evidence check of a ``DATA_MISUSE``
verdict, which cites it. So every market ``m`` of the full graph corresponds to the
market ``r(m)`` — ``m`` without the artefacts no verdict cites — which the reduced graph
reaches, and ``m`` and ``r(m)`` fail the same invariants, have the same stuck jobs and the
same job outcomes.

:func:`check_reduction` verifies this conclusion on two finished explorations of one
instance with the same abstraction, one full and one reduced: every full node's ``r(m)``
is a fully expanded node of the reduced graph with the same observations, every reduced
node is a node of the full graph, and the verdicts of every property agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from proofs.explore import Exploration
from proofs.explore_time import TimeKeys
from spec.state import Market


def cited_artefacts(market: Market) -> frozenset[tuple[str, str, str]]:
    """The artefacts some verdict of some job cites as evidence."""
    cited = set()
    for job in market.jobs.values():
        for verdict in job.verdicts:
            for fact, value in verdict.evidence:
                if fact == "artefact":
                    cited.add(value)
    return frozenset(cited)


def without_unreported(market: Market) -> Market:
    """``r(m)``: the market without the artefacts no verdict cites."""
    cited = cited_artefacts(market)
    kept = frozenset(artefact for artefact in market.artefacts if artefact in cited)
    return market if kept == market.artefacts else replace(market, artefacts=kept)


@dataclass
class ReductionReport:
    full_states: int
    reduced_states: int
    partial_states: int
    problems: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.problems


def _observation(exploration: Exploration, node: int) -> tuple:
    failed = tuple(sorted(name for name, _ in exploration.violations.get(node, [])))
    stuck = tuple(sorted(exploration.stuck.get(node, [])))
    return failed, stuck


def check_reduction(full: Exploration, reduced: Exploration, limit: int = 5) -> ReductionReport:
    """Check the correspondence between a full and a reduced exploration (see above)."""
    keys = TimeKeys(full.horizon)
    report = ReductionReport(full.states, reduced.states, len(reduced.partial))
    if full.reduction != "none" or reduced.reduction != "misuse":
        report.problems.append("needs a full and a misuse-reduced exploration")
        return report
    if full.truncated or reduced.truncated:
        report.problems.append("an exploration was truncated")
        return report
    reduced_nodes = {keys.key(market): node for node, market in enumerate(reduced.markets)}
    full_keys = {keys.key(market) for market in full.markets}
    for node, market in enumerate(full.markets):
        image = reduced_nodes.get(keys.key(without_unreported(market)))
        if image is None:
            report.problems.append(f"full node {node}: r(m) is not reached by the reduced search")
        elif image in reduced.partial:
            report.problems.append(f"full node {node}: r(m) is a partially expanded node")
        elif _observation(full, node) != _observation(reduced, image):
            report.problems.append(f"full node {node}: observations differ from reduced node {image}")
        if len(report.problems) >= limit:
            return report
    for node, market in enumerate(reduced.markets):
        if keys.key(market) not in full_keys:
            report.problems.append(f"reduced node {node} is not a node of the full graph")
            if len(report.problems) >= limit:
                return report
    full_outcomes, reduced_outcomes = set(full.outcomes), set(reduced.outcomes)
    if full_outcomes != reduced_outcomes:
        report.problems.append(f"outcomes reached differ: {sorted(full_outcomes ^ reduced_outcomes)}")
    return report
