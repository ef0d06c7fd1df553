"""Pages generated from ``spec/``: the overview, one chapter per protocol, the action
summary, the rejection codes, the invariants and the worked examples."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import proofs.explore_properties
import spec.actions
import spec.base
import spec.examples
import spec.invariants
import spec.machine
import spec.params
import spec.payoffs
import spec.rejections
import spec.state
import spec.transcript
from aimarket.docs_site.context import (
    ACTIONS_PAGE,
    EXAMPLES_PAGE,
    INCENTIVES_PAGE,
    INVARIANTS_PAGE,
    OVERVIEW,
    REJECTIONS_PAGE,
    TRACEABILITY_PAGE,
    Context,
    ExampleRun,
    Page,
)
from aimarket.docs_site.inputs import Missing
from aimarket.docs_site.machines import (
    NO_JOB,
    Diagram,
    Transition,
    dispute_diagram,
    instance_label,
    job_diagram,
    render_svg,
    to_dot,
)
from aimarket.docs_site.markdown import code, link, prose, relative_url, table
from aimarket.docs_site.render import (
    Constant,
    enum_doc,
    format_call,
    format_value,
    function_doc,
    module_doc,
    object_doc,
)
from aimarket.docs_site.spec_source import attribute_names, called_names, module_attribute_docs
from aimarket.introspect import attribute_docs
from spec.actions import ANYONE, CATALOGUE, ENVIRONMENT, Action
from spec.invariants import INVARIANTS, OUTCOMES, Invariant
from spec.rejections import Rejection
from spec.state import TERMINAL_STATUSES, JobStatus, Offence, Role, Turn

UNDOCUMENTED = "*(no docstring in the spec)*"
JOB_DIAGRAM_ANCHOR = "job-status-machine"
DISPUTE_DIAGRAM_ANCHOR = "dispute-sub-machine"


@dataclass(frozen=True)
class Chapter:
    """One protocol chapter of the site: the chapters of ``spec.actions`` whose actions it
    documents, and the spec objects whose documentation opens it."""

    slug: str
    title: str
    parts: tuple[spec.actions.Chapter, ...]
    intro: tuple[object, ...]
    diagram: str | None = None

    @property
    def path(self) -> str:
        return f"protocol/{self.slug}.md"


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("identities", "Identities and accounts", (spec.actions.IDENTITIES,),
            (spec.state.Role, Constant(spec.state, "TREASURY"), spec.state.Identity,
             spec.state.Market, spec.state.genesis)),
    Chapter("catalogue", "The catalogue: datasets, models, offers",
            (spec.actions.LISTINGS,),
            (spec.state.Dataset, spec.state.Licence, spec.state.Model, spec.state.Offer)),
    Chapter("training-job", "The training job",
            (spec.actions.REQUESTS, spec.actions.LICENCES, spec.actions.VENDOR_MOVES,
             spec.actions.DEVELOPER_MOVES),
            (spec.state.Job, spec.state.Grant, Constant(spec.state, "STAKED_STATUSES"),
             spec.params, spec.params.Params, spec.params.Requirement,
             spec.params.stake_requirements, spec.params.minimum_stakes, spec.actions.close),
            diagram="job"),
    Chapter("disputes", "Disputes: the bisection game", (spec.actions.BISECTION,),
            (spec.transcript, spec.state.Dispute, spec.state.Verdict,
             spec.params.bisection_rounds, spec.params.dispute_compensation),
            diagram="dispute"),
    Chapter("misuse", "Misuse of data", (spec.actions.MISUSE,),
            (spec.payoffs.offchain_training_value,)),
    Chapter("deadlines", "Deadlines", (spec.actions.DEADLINES,),
            (spec.actions.deadline_passed, spec.actions.silent_vendors,
             Constant(spec.actions, "ANYONE"), Constant(spec.actions, "ENVIRONMENT"))),
)


class ChapterMismatch(ValueError):
    """An action of the spec belongs to no chapter (or to two): the site is stale."""


def assign_chapters() -> dict[str, Chapter]:
    """Action name -> its chapter of the site, by the chapter its declaration names."""
    by_part: dict[spec.actions.Chapter, Chapter] = {}
    for chapter in CHAPTERS:
        for part in chapter.parts:
            if part in by_part:
                raise ChapterMismatch(f"spec chapter {part.title!r} is in two chapters of the site")
            by_part[part] = chapter
    assigned = {}
    for action in CATALOGUE.values():
        if action.chapter not in by_part:
            raise ChapterMismatch(f"action {action.name} is declared in spec chapter "
                                  f"{action.chapter.title!r}, which no chapter of the site covers "
                                  "(aimarket/docs_site/pages_spec.py: CHAPTERS)")
        assigned[action.name] = by_part[action.chapter]
    return assigned


def action_anchor(name: str) -> str:
    return f"action-{name}"


def action_link(context: Context, name: str, from_page: str) -> str:
    return link(code(name), from_page, context.chapter_of_action[name], action_anchor(name))


def actions_of_actor(actor: str) -> list[str]:
    return [action.name for action in CATALOGUE.values() if action.actor == actor]


# --- relations derived from the spec ------------------------------------------------------

FIELD_NAMES = frozenset(
    {field.name for field in dataclasses.fields(spec.state.Market)}
    | {field.name for field in dataclasses.fields(spec.state.Job)})


def invariant_reads(invariant: Invariant) -> set[str]:
    """The market and job fields an invariant's code reads (read from its source)."""
    modules = (spec.invariants, spec.actions, spec.state, spec.transcript)
    return attribute_names(invariant.check, modules) & FIELD_NAMES


def related_invariants(context: Context, action: str) -> list[Invariant]:
    """Invariants reading a field that some accepted call of ``action`` changed."""
    writes = context.machines.writes.get(action, set())
    return [invariant for invariant in INVARIANTS if invariant_reads(invariant) & writes]


def requirement_codes(run: ExampleRun | None) -> set[Rejection]:
    if run is None:
        return set()
    action = CATALOGUE[run.example.action]
    return {requirement.code for requirement in action.requirements(run.before, run.example.calls[-1])}


def accepted_run(context: Context, action: str) -> ExampleRun | None:
    return next((run for run in context.runs if run.example.action == action
                 and run.result.accepted and run.example.expected is None), None)


# --- diagrams -----------------------------------------------------------------------------

def diagram_svg(context: Context, which: str, page: str) -> tuple[str, Diagram]:
    """The SVG of the job (``"job"``) or dispute (``"dispute"``) machine, with its links
    made relative to ``page``."""
    action_links = {name: relative_url(page, context.chapter_of_action[name], action_anchor(name),
                                       html_link=True) for name in CATALOGUE}
    training = next(chapter for chapter in CHAPTERS if chapter.diagram == "job").path
    disputes = next(chapter for chapter in CHAPTERS if chapter.diagram == "dispute").path
    status_docs = attribute_docs(JobStatus)
    node_links = {status.value: relative_url(page, training, f"status-{status.value}", html_link=True)
                  for status in JobStatus}
    tooltips = {status.value: " ".join(status_docs.get(status.name, "").split()) for status in JobStatus}
    tooltips[NO_JOB] = "before request_training"
    if which == "job":
        diagram = job_diagram(context.machines, node_links, action_links, tooltips)
    else:
        turn_docs = attribute_docs(Turn)
        offence_docs = attribute_docs(Offence)
        for turn in Turn:
            node_links[turn.value] = relative_url(page, disputes, f"turn-{turn.value}", html_link=True)
            tooltips[turn.value] = f"DISPUTED, turn {turn.value}: {turn_docs.get(turn.name, '')}"
        for offence in Offence:
            name = f"{JobStatus.RESOLVED.value}:{offence.value}"
            node_links[name] = relative_url(page, disputes, f"offence-{offence.value}", html_link=True)
            tooltips[name] = offence_docs.get(offence.name, "")
        diagram = dispute_diagram(context.machines, node_links, action_links, tooltips)
    return render_svg(to_dot(diagram)), diagram


def transitions_table(context: Context, edges: dict[Transition, set[str]], page: str) -> str:
    rows = [(code(transition.source), action_link(context, transition.action, page),
             code(transition.target), ", ".join(sorted(edges[transition])) or "")
            for transition in sorted(edges)]
    return table(("from", "action", "to", "convictions"), rows)


def exploration_caption(context: Context) -> str:
    explored = "; ".join(
        f"{instance_label(shape)}: {exploration.states:,} states, {exploration.transitions:,} moves"
        for shape, exploration in context.machines.instances)
    return (f"Derived at build time by exploring the spec with the model checker "
            f"(`proofs.explore`) on one-job instances ({explored}) and recording, for every "
            f"accepted move, the job's status before and after.")


def diagram_section(context: Context, which: str, page: str) -> str:
    svg, diagram = diagram_svg(context, which, page)
    if which == "job":
        heading = f"## The job status machine {{#{JOB_DIAGRAM_ANCHOR}}}"
        explanation = ("Each arrow lists the actions that move a job between two statuses; "
                       "small type names the offences of the convictions a move can produce. "
                       "Dashed arrows are deadlines and misuse. Click a status or an action "
                       "for its rules.")
    else:
        heading = f"## The dispute sub-machine {{#{DISPUTE_DIAGRAM_ANCHOR}}}"
        explanation = ("While a job is `DISPUTED`, its dispute's turn says who moves next "
                       f"({', '.join(code(turn.value) for turn in Turn)}); a dispute ends "
                       "in `RESOLVED` with the offence of the conviction. Dashed arrows are "
                       "deadlines and misuse.")
    return "\n".join([
        heading, "", exploration_caption(context), explanation, "",
        f'<div class="diagram" id="{diagram.prefix}-diagram">', svg, "</div>", "",
        '??? info "The same transitions as a table"', "",
        "    " + transitions_table(context, diagram.edges, page).replace("\n", "\n    "), "",
    ])


# --- one action ---------------------------------------------------------------------------

def payout_functions() -> list[Callable[..., Any]]:
    return list(spec.actions.PAYOUT_RULES)


def action_doc(context: Context, action: Action, page: str) -> str:
    rejection_docs = attribute_docs(Rejection)
    run = accepted_run(context, action.name)
    requirement_set = requirement_codes(run)
    kind = "ledger transaction" if action.kind == "ledger" else "off-chain event (not a transaction)"
    parameters = ", ".join(code(name) for name in action.params) or "none"
    parts = [f"### {code(action.name)} {{#{action_anchor(action.name)}}}", "",
             f"**{kind[0].upper() + kind[1:]}**, signed by {code(action.actor)}; "
             f"parameters: {parameters}.", "",
             f"**Changes:** {action.changes}.", ""]
    if action.details:
        parts += [prose(action.details), ""]
    payouts = [function for function in payout_functions()
               if function.__name__ in called_names(action.effect)]
    training = next(chapter for chapter in CHAPTERS if chapter.diagram == "job").path
    if payouts:
        parts += ["Payout rules applied: " + ", ".join(
            link(code(function.__name__), page, training, f"payout-{function.__name__}")
            for function in payouts) + ".", ""]
    if action.rejections:
        rows = [(number, code(rejection.value),
                 "amount requirement" if rejection in requirement_set else "guard",
                 prose(rejection_docs.get(rejection.name, "")))
                for number, rejection in enumerate(action.rejections, 1)]
        parts += ["**Checks, in the order they are made** (the first that fails decides the code):", "",
                  table(("#", "code", "checked by", "meaning"), rows), ""]
    else:
        parts += ["**Checks:** none; the call is always accepted.", ""]
    if run is not None:
        requirements = action.requirements(run.before, run.example.calls[-1])
        if requirements:
            requirement_rows = [(requirement.name, code(requirement.code.value),
                     code(f"{format_value(requirement.amount)} {'>' if requirement.strict else '≥'} "
                          f"{format_value(requirement.bound)}"))
                    for requirement in requirements]
            parts += [f"**Amount requirements**, as evaluated in the accepted worked example "
                      f"“{run.example.name}”:", "",
                      table(("requirement", "code if it fails", "amount vs bound"), requirement_rows), ""]
    job_moves = sorted(transition for transition in context.machines.job_edges
                       if transition.action == action.name)
    dispute_moves = sorted(transition for transition in context.machines.dispute_edges
                           if transition.action == action.name)
    disputes = next(chapter for chapter in CHAPTERS if chapter.diagram == "dispute").path
    if job_moves:
        moves = ", ".join(f"{code(t.source)} → {code(t.target)}" for t in job_moves)
        parts.append(f"**State machine:** {moves} in the "
                     f"{link('job status machine', page, training, JOB_DIAGRAM_ANCHOR)}")
        if dispute_moves:
            moves = ", ".join(f"{code(t.source)} → {code(t.target)}" for t in dispute_moves)
            parts[-1] += (f"; {moves} in the "
                          f"{link('dispute sub-machine', page, disputes, DISPUTE_DIAGRAM_ANCHOR)}")
        parts[-1] += "."
    else:
        parts.append("**State machine:** names no job, so it is no edge of the state machines.")
    count = sum(1 for each in context.runs if each.example.action == action.name)
    examples = link(f"{count} for this action", page, EXAMPLES_PAGE, f"examples-{action.name}")
    trace = link("vectors, invariants, proofs, chaincode", page, TRACEABILITY_PAGE, f"trace-{action.name}")
    parts += ["", f"**Worked examples:** {examples}; **traceability:** {trace}.", ""]
    return "\n".join(parts)


# --- pages --------------------------------------------------------------------------------

def chapter_page(context: Context, chapter: Chapter) -> Page:
    page = chapter.path
    parts = [f"# {chapter.title}", "",
             "This chapter is generated from the spec: the records and rules below are the "
             "docstrings of the objects named under each heading, the tables are read from "
             "`spec.actions.CATALOGUE` and `spec.rejections`.", ""]
    if chapter.intro:
        parts += ["## Records and rules", ""]
        for thing in chapter.intro:
            parts.append(module_doc(thing, "###") if isinstance(thing, ModuleType) else object_doc(thing))
    if chapter.diagram == "job":
        parts.append(enum_doc(JobStatus, "###", "status-",
                              ("terminal", lambda member: "yes" if member in TERMINAL_STATUSES else "")))
        parts.append(diagram_section(context, "job", page))
        parts += ["## Payout rules", "", "How the escrow is paid out, one rule per way a job "
                  "can end (the functions of `spec.actions.PAYOUT_RULES`).", ""]
        for function in payout_functions():
            parts.append(function_doc(function, "###", f"payout-{function.__name__}"))
    if chapter.diagram == "dispute":
        parts.append(enum_doc(Turn, "###", "turn-"))
        parts.append(enum_doc(Offence, "###", "offence-"))
        parts.append(diagram_section(context, "dispute", page))
    parts += ["## Actions", ""]
    for name, action in CATALOGUE.items():
        if context.chapter_of_action[name] == page:
            parts.append(action_doc(context, action, page))
    return Page(page, chapter.title, "\n".join(parts))


def status_of_inputs(context: Context) -> str:
    def state(value: object, found: str) -> str:
        return f"missing — {value.reason}" if isinstance(value, Missing) else found

    rows = [
        ("the spec", code("spec/"), "read at build time"),
        ("model checker", code("proofs/explore.py"), f"run at build time on {len(context.machines.instances)} instances"),
        ("proof report", code(str(context.inputs.proof_report)),
         state(context.proof_report, "found")),
        ("vector manifest", code(str(context.inputs.vector_manifest)), state(context.vectors, "found")),
        ("benchmark results", code(str(context.inputs.bench_results)), state(context.bench, "found")),
        ("reference chaincode", code("reference/chaincode/"), state(context.chaincode, "function table read")),
    ]
    return table(("input", "where", "status"), rows)


def overview_page(context: Context) -> Page:
    page = OVERVIEW
    training = next(chapter for chapter in CHAPTERS if chapter.diagram == "job").path
    role_docs = attribute_docs(Role)
    actor_docs = module_attribute_docs(spec.actions)
    rows = []
    for role in Role:
        rows.append((code(role.value), prose(role_docs.get(role.name, "")) or UNDOCUMENTED,
                     ", ".join(action_link(context, name, page) for name in actions_of_actor(role.value))))
    for actor, constant in ((ANYONE, "ANYONE"), (ENVIRONMENT, "ENVIRONMENT")):
        rows.append((code(actor), prose(actor_docs.get(constant, "")),
                     ", ".join(action_link(context, name, page) for name in actions_of_actor(actor))))
    invariants = table(("invariant", "what always holds"),
                       [(link(code(invariant.name), page, INVARIANTS_PAGE, f"invariant-{invariant.name}"),
                         invariant.description) for invariant in INVARIANTS])
    explored = {instance_label(shape) for shape, _ in context.machines.instances}

    def reached(outcome: str) -> str:
        where = context.machines.outcomes.get(outcome, set())
        if not where:
            return "**not reached**"
        return "every explored instance" if where == explored else "; ".join(sorted(where))

    outcomes = table(("outcome", "reached by the model checker in"),
                     [(code(outcome), reached(outcome)) for outcome in OUTCOMES])
    report = context.proof_report
    if isinstance(report, Missing):
        incentives = (f"No proof report is available ({report.reason}), so no incentive result "
                      f"is shown; see {link('Incentives', page, INCENTIVES_PAGE)}.")
    else:
        verdicts: dict[str, int] = {}
        results = [result for game in report.games for result in game.results]
        checked = report.other_sections.get("properties")
        if isinstance(checked, list):
            results += [item for item in checked if isinstance(item, dict) and item.get("kind") == "incentive"]
        for result in results:
            verdicts[result.get("verdict", "?")] = verdicts.get(result.get("verdict", "?"), 0) + 1
        summary = ", ".join(f"{count} {verdict}" for verdict, count in sorted(verdicts.items())) or "no results"
        incentives = (f"The proof report has {len(results)} incentive result(s): {summary}. "
                      f"Details, regions and counterexamples: {link('Incentives', page, INCENTIVES_PAGE)}.")
    text = "\n".join([
        "# The aimarket protocol", "",
        prose(spec.state.__doc__), "",
        "## The roles", "",
        table(("actor", "role", "signs"), rows), "",
        "## The life of a job", "",
        prose(spec.actions.__doc__), "",
        f"The statuses and every move between them: {link('the job status machine', page, training, JOB_DIAGRAM_ANCHOR)}.", "",
        "## The guarantees", "",
        "### Safety: what holds in every reachable state", "",
        invariants, "",
        "### Endings", "",
        prose(module_attribute_docs(spec.invariants).get("OUTCOMES", "")), "",
        outcomes, "",
        "### Incentives", "",
        incentives, "",
        "## How the spec is written", "",
        prose(spec.base.__doc__), "",
        prose(spec.machine.__doc__), "",
        "## Where this site's content comes from", "",
        "Every table, diagram and result on this site is generated when the site is built "
        "(`aimarket docs`); an input that is missing is reported, never filled in.", "",
        status_of_inputs(context), "",
    ])
    return Page(page, "Overview", text)


def actions_page(context: Context) -> Page:
    page = ACTIONS_PAGE
    rows = [(action_link(context, action.name, page), action.kind, code(action.actor),
             ", ".join(code(name) for name in action.params) or "none", action.changes)
            for action in CATALOGUE.values()]
    text = "\n".join([
        "# Actions at a glance", "",
        module_attribute_docs(spec.actions).get("CATALOGUE", ""), "",
        table(("action", "kind", "signed by", "parameters", "changes"), rows), "",
        "## How a call is processed", "",
        object_doc(spec.machine), "",
        object_doc(spec.actions.Action), "",
        object_doc(spec.actions.Call), "",
    ])
    return Page(page, "Actions at a glance", text)


def rejections_page(context: Context) -> Page:
    page = REJECTIONS_PAGE
    docs = attribute_docs(Rejection)
    code_map = context.code_map
    headers = ["code", "meaning", "returned by"]
    if not isinstance(code_map, Missing):
        headers.append("reference chaincode code")
    headers.append("worked examples")
    rows = []
    for rejection in Rejection:
        returned_by = ", ".join(action_link(context, action.name, page) for action in CATALOGUE.values()
                                if rejection in action.rejections)
        examples = sum(1 for run in context.runs if run.example.expected == rejection)
        row = [f'<a id="code-{rejection.value}"></a>{code(rejection.value)}',
               prose(docs.get(rejection.name, "")), returned_by or "**no action**"]
        if not isinstance(code_map, Missing):
            row.append(code(code_map[rejection.value]) if rejection.value in code_map else "**none**")
        row.append(str(examples))
        rows.append(row)
    parts = ["# Rejection codes", "", prose(spec.rejections.__doc__), "",
             table(headers, rows), ""]
    if isinstance(code_map, Missing):
        parts += [f"The reference chaincode's codes are not shown: {code_map.reason}.", ""]
    return Page(page, "Rejection codes", "\n".join(parts))


def invariants_page(context: Context) -> Page:
    page = INVARIANTS_PAGE
    parts = ["# Invariants", "", prose(spec.invariants.__doc__), ""]
    for invariant in INVARIANTS:
        reads = sorted(invariant_reads(invariant))
        writers = [name for name in CATALOGUE
                   if context.machines.writes.get(name, set()) & set(reads)]
        parts += [f"## {code(invariant.name)} {{#invariant-{invariant.name}}}", "",
                  invariant.description[0].upper() + invariant.description[1:] + ".", "",
                  "Scope", f":   {invariant.scope}", "",
                  "Reads", f":   {', '.join(code(name) for name in reads)}", "",
                  "Actions that change what it reads",
                  f":   {', '.join(action_link(context, name, page) for name in writers) or 'none'}", ""]
        doc = inspect.getdoc(invariant.check)
        if doc:
            parts += [prose(doc), ""]
    parts += ["The fields an invariant reads are read from its code (and the spec functions it "
              "calls); the fields an action changes are observed on every accepted move of the "
              "explorations and worked examples.", ""]
    parts += ["## Protocol properties the model checker adds", "",
              object_doc(proofs.explore_properties), "",
              table(("property", "what always holds"),
                    [(code(prop.name), prop.description) for prop in proofs.explore_properties.PROTOCOL_PROPERTIES]), ""]
    rows = []
    for shape, exploration in context.machines.instances:
        rows.append((instance_label(shape), f"{exploration.states:,}", f"{exploration.transitions:,}",
                     str(len(exploration.violations)), str(len(exploration.stuck)),
                     str(len(exploration.outcomes))))
    parts += ["## Checked while building this site", "",
              "Building the site explores these instances with the model checker and checks every "
              "invariant and protocol property in every state found (a violation stops the build):", "",
              table(("instance", "states", "accepted moves", "violations", "stuck states",
                     f"outcomes reached (of {len(OUTCOMES)})"), rows), ""]
    return Page(page, "Invariants", "\n".join(parts))


def outcome_text(run: ExampleRun) -> str:
    expected = run.example.expected
    got = run.result.rejection
    if got is not None:
        text = f"refused: {code(got.value)}"
        if got != expected:
            text += f" — **the example expects {code(expected.value) if expected else 'acceptance'}**"
        return text
    text = "accepted"
    if expected is not None:
        text += f" — **the example expects {code(expected.value)}**"
    made = run.example.calls[-1]
    ident = made.args.get("job") if made.args else None
    after = run.result.market
    if ident is not None and ident in after.jobs:
        before_job = run.before.jobs.get(ident)
        job = after.jobs[ident]
        before_status = before_job.status.value if before_job else NO_JOB
        text += f"; {ident}: {code(before_status)} → {code(job.status.value)}"
        new_verdicts = job.verdicts[len(before_job.verdicts) if before_job else 0:]
        for verdict in new_verdicts:
            text += f"; convicted {code(verdict.convicted)} of {code(verdict.offence.value)}"
        if job.payouts is not None and (before_job is None or before_job.payouts is None):
            text += "; paid out " + ", ".join(f"{account} {format_value(amount)}"
                                             for account, amount in job.payouts)
    return text


def examples_page(context: Context) -> Page:
    page = EXAMPLES_PAGE
    parts = ["# Worked examples", "", prose(spec.examples.__doc__), "",
             "Each row is run through the spec when the site is built; the outcome column is "
             "what the spec returned. A run starts from a named story (listed at the end of "
             "the page) and continues with the calls shown.", ""]
    for name in CATALOGUE:
        runs = [run for run in context.runs if run.example.action == name]
        parts += [f"## {code(name)} {{#examples-{name}}}", "",
                  f"Rules: {action_link(context, name, page)}.", ""]
        if not runs:
            parts += ["**No worked example for this action.**", ""]
            continue
        rows = []
        for run in runs:
            story = (link(code(run.story), page, page, f"story-{run.story}") if run.story
                     else "genesis")
            calls = "<br>".join(format_call(made) for made in run.example.calls[run.story_length:])
            rows.append((run.example.name, story, calls, outcome_text(run)))
        parts += [table(("example", "starts from", "then", "outcome"), rows), ""]
    parts += ["## Stories", "", "The named runs of `spec/examples.py` the examples start from; "
              "each continues a shorter story or starts at genesis.", ""]
    stories = context.stories
    for name, story_calls in stories.items():
        base, base_length = None, 0
        for other, other_calls in stories.items():
            if (other != name and base_length < len(other_calls) < len(story_calls)
                    and story_calls[:len(other_calls)] == other_calls):
                base, base_length = other, len(other_calls)
        origin = link(code(base), page, page, f"story-{base}") if base else "genesis"
        parts += [f"### {code(name)} {{#story-{name}}}", "", f"From {origin}:", ""]
        parts += [f"{number}. {format_call(made)}" for number, made in enumerate(story_calls[base_length:], 1)]
        parts.append("")
    return Page(page, "Worked examples", "\n".join(parts))


def spec_pages(context: Context) -> list[Page]:
    pages = [overview_page(context)]
    pages += [chapter_page(context, chapter) for chapter in CHAPTERS]
    pages += [actions_page(context), rejections_page(context), invariants_page(context),
              examples_page(context)]
    return pages

