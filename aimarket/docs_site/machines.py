"""The state machines of the spec, derived by exploring it, and their Graphviz diagrams.

No edge is written by hand. :func:`explore_machines` runs the model checker
(:func:`proofs.explore.explore`) on a few small instances and replays every accepted move
of every explored state with :func:`spec.machine.step`, recording for the job the move
names its status before and after (the job status machine) and, while the job is
``DISPUTED``, whose turn it is (the dispute sub-machine).

Each instance is there for edges only it can show, and is kept small so that the site
builds in seconds: two datasets give the ``grant_access`` that leaves a job ``REQUESTED``
until the last licence, and one training step makes a dispute start narrowed to a single
step; two vendors give the moves that leave a job ``LICENSED``, ``RUNNING`` or
``DELIVERED`` until the last vendor is done, and three steps give every turn of the
bisection (fabricated transcripts there diverge at the last step only, as in the market
game, which changes where a dispute narrows to, not which moves exist).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from proofs.explore import Exploration, explore, setup_path
from spec.actions import Call
from spec.invariants import outcome_of
from spec.machine import step
from spec.world import Instance, make_instance
from spec.state import TERMINAL_STATUSES, Job, JobStatus, Market, Turn

NO_JOB = "no job"
"""The source of ``request_training``: the job does not exist yet."""

EXPLORED_SHAPES: tuple[dict[str, Any], ...] = (
    {"data_owners": 2, "vendors": 1, "steps": 1},
    {"data_owners": 1, "vendors": 2, "steps": 3, "wrong_steps": (3,)},
)
"""The instances explored for the diagrams (one job each; other amounts as in
:class:`spec.world.Instance`)."""


@dataclass(frozen=True, order=True)
class Transition:
    """One edge: a call of ``action`` moved a job from ``source`` to ``target``."""

    source: str
    action: str
    target: str


@dataclass
class Machines:
    """Everything observed while exploring: the two machines' edges, with the offences
    of the convictions each edge produced, and the fields each action changed."""

    instances: list[tuple[dict[str, Any], Exploration]] = field(default_factory=list)
    job_edges: dict[Transition, set[str]] = field(default_factory=dict)
    dispute_edges: dict[Transition, set[str]] = field(default_factory=dict)
    writes: dict[str, set[str]] = field(default_factory=dict)
    outcomes: dict[str, set[str]] = field(default_factory=dict)
    """Outcome (``spec.invariants.OUTCOMES``) -> descriptions of the instances reaching it."""


def instance_label(shape: dict[str, Any]) -> str:
    label = (f"{shape['data_owners']} dataset(s), {shape['vendors']} vendor(s), "
             f"T = {shape['steps']}")
    if shape.get("wrong_steps"):
        label += ", fabrications diverge at step " + ", ".join(map(str, shape["wrong_steps"]))
    return label


def job_transitions(before: Market, made: Call, after: Market) -> tuple[Transition | None,
                                                                        Transition | None,
                                                                        set[str]]:
    """The job-machine and dispute-machine edges of one accepted call, and the offences
    of the verdicts it added. Calls that name no job give no edge."""
    ident = made.args.get("job") if made.args else None
    if ident is None or ident not in after.jobs:
        return None, None, set()
    old = before.jobs.get(ident)
    new = after.jobs[ident]
    offences = {verdict.offence.value for verdict in new.verdicts[len(old.verdicts) if old else 0:]}
    source = old.status.value if old else NO_JOB
    job_edge = Transition(source, made.action, new.status.value)
    dispute_edge = None
    was_disputed = old is not None and old.status == JobStatus.DISPUTED
    if was_disputed or new.status == JobStatus.DISPUTED:
        dispute_source = _turn(old) if was_disputed else _status(old)
        if new.status == JobStatus.DISPUTED:
            dispute_target = _turn(new)
        else:
            dispute_target = outcome_of(new) or new.status.value
        dispute_edge = Transition(dispute_source, made.action, dispute_target)
    return job_edge, dispute_edge, offences


def _turn(job: Job | None) -> str:
    """Whose turn it is in a disputed job's dispute."""
    if job is None or job.dispute is None:
        raise ValueError("a disputed job has a dispute")
    return job.dispute.turn.value


def _status(job: Job | None) -> str:
    if job is None:
        raise ValueError("a job enters a dispute from an earlier status")
    return job.status.value


def changed_fields(before: Market, after: Market) -> set[str]:
    """Names of the market fields, and of the job fields, that differ between two markets."""
    changed = {name for name in before.__dataclass_fields__
               if getattr(before, name) != getattr(after, name)}
    for ident, job in after.jobs.items():
        old = before.jobs.get(ident)
        if old is None:
            changed |= set(job.__dataclass_fields__)
        elif old != job:
            changed |= {name for name in job.__dataclass_fields__
                        if getattr(old, name) != getattr(job, name)}
    return changed


def record(machines: Machines, before: Market, made: Call, after: Market) -> None:
    """Record one accepted call."""
    job_edge, dispute_edge, offences = job_transitions(before, made, after)
    if job_edge is not None:
        machines.job_edges.setdefault(job_edge, set()).update(offences)
    if dispute_edge is not None:
        machines.dispute_edges.setdefault(dispute_edge, set()).update(offences)
    machines.writes.setdefault(made.action, set()).update(changed_fields(before, after))


def explore_machines(shapes: Iterable[dict[str, Any]] = EXPLORED_SHAPES) -> Machines:
    """Explore each instance and record every accepted move of every explored market."""
    machines = Machines()
    for shape in shapes:
        instance: Instance = make_instance(jobs=1, **shape)
        calls, markets = setup_path(instance)
        for position, made in enumerate(calls):
            record(machines, markets[position], made, markets[position + 1])
        exploration = explore(instance, coverage=False)
        if exploration.truncated or exploration.violations or exploration.exceptions:
            raise RuntimeError(f"exploring {instance_label(shape)} did not finish cleanly: "
                               f"{len(exploration.violations)} violations, "
                               f"{len(exploration.exceptions)} exceptions")
        for node, successors in enumerate(exploration.successors):
            market = exploration.markets[node]
            for _, made in successors:
                result = step(market, made)
                record(machines, market, made, result.market)
        for outcome in exploration.outcomes:
            machines.outcomes.setdefault(outcome, set()).add(instance_label(shape))
        machines.instances.append((shape, exploration))
    return machines


# --- Graphviz ---------------------------------------------------------------------------

class GraphvizMissing(RuntimeError):
    """The ``dot`` program of Graphviz is not installed."""


def quoted(text: str) -> str:
    """A DOT string literal; a line break becomes DOT's centred line break."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def edge_id(prefix: str, transition: Transition) -> str:
    """The SVG ``id`` of an edge; tests and readers can recover the transition from it."""
    return f"{prefix}--{transition.source}--{transition.action}--{transition.target}"


@dataclass(frozen=True)
class Diagram:
    """A diagram to draw: its id prefix, nodes in order, edges, and where each edge and
    node links to (URLs relative to the page the diagram is shown on)."""

    prefix: str
    nodes: tuple[str, ...]
    edges: dict[Transition, set[str]]
    terminal: frozenset[str]
    start: str
    node_links: dict[str, str]
    action_links: dict[str, str]
    node_tooltips: dict[str, str]


def job_diagram(machines: Machines, node_links: dict[str, str], action_links: dict[str, str],
                node_tooltips: dict[str, str]) -> Diagram:
    nodes = (NO_JOB, *(status.value for status in JobStatus))
    return Diagram("job", nodes, machines.job_edges,
                   frozenset(status.value for status in TERMINAL_STATUSES), NO_JOB,
                   node_links, action_links, node_tooltips)


def dispute_diagram(machines: Machines, node_links: dict[str, str], action_links: dict[str, str],
                    node_tooltips: dict[str, str]) -> Diagram:
    """The turns of a dispute, the status a dispute is opened from, and its endings."""
    turns = {turn.value for turn in Turn}
    names = sorted({name for transition in machines.dispute_edges
                    for name in (transition.source, transition.target)})
    openings = sorted({transition.source for transition in machines.dispute_edges
                       if transition.source not in turns})
    start = openings[0] if openings else JobStatus.DELIVERED.value
    terminal = {status.value for status in TERMINAL_STATUSES}
    ends = frozenset(name for name in names if name.split(":")[0] in terminal)
    ordered = [start] + [name for name in names if name != start and name not in ends] + sorted(ends)
    return Diagram("dispute", tuple(ordered), machines.dispute_edges, ends, start,
                   node_links, action_links, node_tooltips)


SIDE_ACTIONS = frozenset({"timeout", "misuse_data", "report_misuse"})
"""Actions drawn dashed: deadlines and misuse, the ways off the main path."""


def html_text(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def to_dot(diagram: Diagram) -> str:
    """The diagram in the DOT language.

    The calls between the same two nodes share one arrow; its label lists them, one line
    per action, each line carrying the id :func:`edge_id` of its transition and a link to
    the action's documentation.
    """
    lines = [
        f"digraph {diagram.prefix} {{",
        '  graph [rankdir=TB, bgcolor="transparent", fontname="Helvetica", nodesep=0.3, ranksep=0.4];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef1fb", color="#3f51b5", '
        'fontname="Helvetica", fontsize=12];',
        '  edge [fontname="Helvetica", fontsize=10, color="#555555", fontcolor="#222222"];',
    ]
    for name in diagram.nodes:
        attributes = [f"id={quoted(diagram.prefix + '-node--' + name)}",
                      f"label={quoted(name.replace(':', chr(10)))}"]
        if name == diagram.start:
            attributes.append('shape=oval, style="filled", fillcolor="#ffffff", color="#888888"')
        elif name in diagram.terminal:
            attributes.append('peripheries=2, fillcolor="#e8f5e9", color="#2e7d32"')
        if name in diagram.node_links:
            attributes.append(f"URL={quoted(diagram.node_links[name])}")
            attributes.append('target="_top"')
        attributes.append(f"tooltip={quoted(diagram.node_tooltips.get(name, name))}")
        lines.append(f"  {quoted(name)} [{', '.join(attributes)}];")
    grouped: dict[tuple[str, str], list[Transition]] = {}
    for transition in sorted(diagram.edges):
        grouped.setdefault((transition.source, transition.target), []).append(transition)
    for (source, target), transitions in grouped.items():
        rows = []
        for transition in transitions:
            text = html_text(transition.action)
            offences = sorted(diagram.edges[transition])
            if offences and diagram.prefix == "job":
                text += '<BR/><FONT POINT-SIZE="8">' + html_text(", ".join(offences)) + "</FONT>"
            cell = [f'ID="{html_text(edge_id(diagram.prefix, transition))}"',
                    f'TOOLTIP="{html_text(f"{source} → {target} by {transition.action}")}"']
            if transition.action in diagram.action_links:
                cell.append(f'HREF="{html_text(diagram.action_links[transition.action])}"')
                cell.append('TARGET="_top"')
            rows.append(f"<TR><TD {' '.join(cell)}>{text}</TD></TR>")
        label = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
                 + "".join(rows) + "</TABLE>>")
        attributes = [f"id={quoted(diagram.prefix + '-edge--' + source + '--' + target)}",
                      f"label={label}"]
        if all(transition.action in SIDE_ACTIONS for transition in transitions):
            attributes.append('style="dashed"')
        lines.append(f"  {quoted(source)} -> {quoted(target)} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_source: str) -> str:
    """Lay out ``dot_source`` with Graphviz and return the SVG element (no XML prologue)."""
    executable = shutil.which("dot")
    if executable is None:
        raise GraphvizMissing("Graphviz's `dot` is not installed (Debian: apt-get install graphviz)")
    result = subprocess.run([executable, "-Tsvg"], input=dot_source, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dot failed: {result.stderr.strip()}")
    svg = result.stdout
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("dot produced no <svg> element")
    # Graphviz writes comments and blank lines between elements; a raw HTML block in
    # Markdown must not contain blank lines.
    lines = [line for line in svg[start:].splitlines()
             if line.strip() and not line.lstrip().startswith("<!--")]
    return "\n".join(lines)
