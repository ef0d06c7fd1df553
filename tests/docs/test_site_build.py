"""The documentation site: built strictly, complete for every action, diagrams equal to the
spec's transitions, and honest about missing inputs."""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import pytest

from aimarket.cli import main
from aimarket.docs_site import pages_spec, site
from aimarket.docs_site.context import (
    BENCHMARKS_PAGE,
    INCENTIVES_PAGE,
    OVERVIEW,
    TRACEABILITY_PAGE,
    VECTORS_PAGE,
)
from aimarket.docs_site.machines import NO_JOB
from aimarket.docs_site.pages_spec import CHAPTERS, ChapterMismatch, assign_chapters
from aimarket.docs_site.site import with_inputs
from spec.actions import CATALOGUE
from spec.examples import WORLD, examples
from spec.invariants import outcome_of
from spec.machine import step
from spec.world import make_instance
from spec.state import JobStatus, genesis
from walks.walk import random_walk

from .conftest import Built

EDGE_ID = re.compile(r'id="a_((?:job|dispute)(?:&#45;|-)[^"]*)"')


def diagram_edges(page_html: str, prefix: str) -> set[tuple[str, str, str]]:
    """(source, action, target) of every action line of a diagram, read from the SVG ids."""
    found = set()
    for raw in EDGE_ID.findall(page_html):
        parts = html.unescape(raw).split("--")
        if parts[0] == prefix and len(parts) == 4:
            found.add((parts[1], parts[2], parts[3]))
    return found


def observed_edges(before, made, after) -> tuple[set, set]:
    """The job-status and dispute-turn edges of one accepted call, derived here directly
    from the markets (independently of the site generator)."""
    ident = made.args.get("job") if made.args else None
    if ident is None or ident not in after.jobs:
        return set(), set()
    old, new = before.jobs.get(ident), after.jobs[ident]
    job = {(old.status.value if old else NO_JOB, made.action, new.status.value)}
    dispute = set()
    was_disputed = old is not None and old.status == JobStatus.DISPUTED
    if was_disputed or new.status == JobStatus.DISPUTED:
        source = old.dispute.turn.value if was_disputed else old.status.value
        target = new.dispute.turn.value if new.status == JobStatus.DISPUTED else (outcome_of(new) or new.status.value)
        dispute.add((source, made.action, target))
    return job, dispute


def test_the_site_builds_strictly_with_every_page(built: Built) -> None:
    assert "WARNING" not in built.present.mkdocs_output
    for page in built.present.pages:
        assert (built.present.site_dir / page.path).with_suffix(".html").is_file(), page.path
    for path in built.present.handwritten:
        if path.endswith(".md"):
            name = "index.html" if Path(path).name == "README.md" else Path(path).with_suffix(".html").name
            assert (built.present.site_dir / Path(path).parent / name).is_file(), path


def test_every_action_has_its_section_its_diagram_reference_and_its_trace_row(built: Built) -> None:
    context = built.present.context
    traceability = built.page("present", TRACEABILITY_PAGE)
    trace_html = built.html(TRACEABILITY_PAGE)
    job_svg_edges = diagram_edges(built.html(next(c.path for c in CHAPTERS if c.diagram == "job")), "job")
    for name, action in CATALOGUE.items():
        chapter = context.chapter_of_action[name]
        text = built.page("present", chapter)
        heading = f"{{#action-{name}}}"
        assert heading in text, f"{name} has no section in {chapter}"
        section = text.split(heading, 1)[1].split("\n### ", 1)[0]
        assert "**State machine:**" in section
        moves = [edge for edge in context.machines.job_edges if edge.action == name]
        if moves:
            assert "#job-status-machine" in section, f"{name} does not point to its diagram"
            assert {(edge.source, edge.action, edge.target) for edge in moves} <= job_svg_edges
        else:
            assert "names no job" in section
        for code in action.rejections:
            assert f"`{code.value}`" in section, f"{name}: {code.value} is not documented"
        assert f'<a id="trace-{name}"></a>' in traceability
        assert f'id="trace-{name}"' in trace_html
        assert f'id="action-{name}"' in built.html(chapter)


def test_the_diagrams_are_the_spec_s_transitions(built: Built) -> None:
    machines = built.present.context.machines
    job_page = built.html(next(c.path for c in CHAPTERS if c.diagram == "job"))
    dispute_page = built.html(next(c.path for c in CHAPTERS if c.diagram == "dispute"))
    drawn_job = diagram_edges(job_page, "job")
    drawn_dispute = diagram_edges(dispute_page, "dispute")
    assert drawn_job == {(t.source, t.action, t.target) for t in machines.job_edges}
    assert drawn_dispute == {(t.source, t.action, t.target) for t in machines.dispute_edges}
    assert {source for source, _, _ in drawn_job} | {target for _, _, target in drawn_job} == \
        {NO_JOB} | {status.value for status in JobStatus}

    # Every transition the worked examples and a long random walk take is drawn.
    seen_job: set = set()
    seen_dispute: set = set()
    for example in examples():
        market = genesis(WORLD.dispute_cost, WORLD.audit_probability)
        for made in example.calls:
            result = step(market, made)
            if result.accepted:
                job, dispute = observed_edges(market, made, result.market)
                seen_job |= job
                seen_dispute |= dispute
            market = result.market
    instance = make_instance(data_owners=2, vendors=2, steps=3)
    market = genesis(instance.dispute_cost, instance.audit_probability)
    for result in random_walk(instance, random.Random(7), steps=6000):
        if result.accepted:
            job, dispute = observed_edges(market, result.call, result.market)
            seen_job |= job
            seen_dispute |= dispute
        market = result.market
    assert seen_job <= drawn_job, f"transitions missing from the diagram: {seen_job - drawn_job}"
    assert seen_dispute <= drawn_dispute, f"missing from the dispute diagram: {seen_dispute - drawn_dispute}"
    assert len(seen_job) >= len(drawn_job) * 2 // 3, "the walk saw too little to compare"


def test_missing_inputs_are_reported_not_invented(built: Built) -> None:
    incentives = built.page("absent", INCENTIVES_PAGE)
    assert '!!! warning "No proof report"' in incentives
    assert "### Game" not in incentives and "<math" not in incentives.split("## Results of the proof report")[1]
    benchmarks = built.page("absent", BENCHMARKS_PAGE)
    assert '!!! warning "No benchmark results"' in benchmarks
    assert "![" not in benchmarks and not any("bench-" in asset.path for asset in built.absent.assets)
    vectors = built.page("absent", VECTORS_PAGE)
    assert '!!! warning "No vector manifest"' in vectors
    traceability = built.page("absent", TRACEABILITY_PAGE)
    rows = [line for line in traceability.splitlines() if line.startswith('| <a id="trace-')]
    assert len(rows) == len(CATALOGUE)
    assert all("| no manifest |" in row and "| no proof report |" in row for row in rows)
    overview = built.page("absent", OVERVIEW)
    assert overview.count("| missing — ") >= 3
    assert {missing.what for missing in built.absent.missing} >= {"proof report", "vector manifest",
                                                                   "benchmark results"}


def test_present_inputs_are_shown_as_given(built: Built) -> None:
    vectors = built.page("present", VECTORS_PAGE)
    assert "| `coverage` | 1 | 3 | 1 of 1 |" in vectors
    assert "| `walk` | 1 | 5 | 0 of 1 |" in vectors
    assert "**Files missing or changed since the manifest was written:** `two.itf.json`" in vectors
    assert "3 of 4 coverage goals" in vectors and "tick: accepted" in vectors
    traceability = built.page("present", TRACEABILITY_PAGE)
    fund_row = next(line for line in traceability.splitlines() if 'id="trace-fund"' in line)
    assert "2/5 outcomes" in fund_row and "in 2 vector(s)" in fund_row
    benchmarks = built.page("present", BENCHMARKS_PAGE)
    assert "![ledger: rates by network size](bench-ledger.svg)" in benchmarks
    assert "| `network_24_peers.signature_bound_tx_per_s` | 260.5 |" in benchmarks
    plot = next(asset for asset in built.present.assets if asset.path == "results/bench-ledger.svg")
    assert plot.data.startswith(b"<?xml") and b"<svg" in plot.data
    if not built.has_proof_report:
        pytest.skip(f"no proof report to render: {built.inputs} (needs tests/games/data/audit.json)")
    incentives = built.page("present", INCENTIVES_PAGE)
    assert "### Game `audit`" in incentives
    report = json.loads((built.inputs / "proof-report.json").read_text(encoding="utf-8"))
    for result in report["results"]:
        assert f"| `{result['property']}` |" in incentives
        assert f"**{result['verdict']}**" in incentives
    assert "<math" in built.html(INCENTIVES_PAGE)


def test_every_section_of_the_spec_s_actions_belongs_to_a_chapter(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(assign_chapters()) == set(CATALOGUE)
    without_misuse = tuple(chapter for chapter in CHAPTERS if chapter.slug != "misuse")
    monkeypatch.setattr(pages_spec, "CHAPTERS", without_misuse)
    with pytest.raises(ChapterMismatch, match="Misuse of data"):
        assign_chapters()


def test_docs_command_refuses_a_directory_as_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--proof-report", str(tmp_path)]) == 2
    assert "--proof-report" in capsys.readouterr().err


def test_docs_command_generates_the_sources_and_names_what_is_missing(
        built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The spec was explored for the session's build already; reuse it, read the inputs anew.
    monkeypatch.setattr(site, "gather", lambda options, timings=None: with_inputs(built.present.context, options))
    missing = tmp_path / "missing"
    code = main(["docs", "--no-mkdocs", "--json", "--quiet", "--build-dir", str(tmp_path / "build"),
                 "--proof-report", str(missing / "report.json"), "--vectors", str(missing / "manifest.json"),
                 "--bench", str(missing / "bench.json")])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["site_dir"] is None
    assert {item["input"] for item in summary["missing_inputs"]} >= {
        "proof report", "vector manifest", "benchmark results"}
    sources = Path(summary["docs_source"])
    assert all((sources / page).is_file() for page in summary["generated_pages"])
    assert (tmp_path / "build" / "mkdocs.yml").read_text(encoding="utf-8").count("INHERIT:") == 1
