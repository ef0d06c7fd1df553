"""Assembling the site: generate the pages, copy the hand-written ones, write the
navigation and run ``mkdocs build --strict``."""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aimarket.docs_site.context import (
    ACTIONS_PAGE,
    BENCHMARKS_PAGE,
    EXAMPLES_PAGE,
    INCENTIVES_PAGE,
    INVARIANTS_PAGE,
    OVERVIEW,
    REJECTIONS_PAGE,
    TRACEABILITY_PAGE,
    VECTOR_FORMAT_PAGE,
    VECTORS_PAGE,
    Asset,
    Context,
    Inputs,
    Page,
    named_stories,
    run_examples,
)
from aimarket.docs_site.inputs import (
    Missing,
    load_chaincode,
    load_code_map,
    load_proof_report,
    load_vectors,
    read_json_file,
)
from aimarket.docs_site.machines import explore_machines
from aimarket.docs_site.pages_results import benchmarks_page, incentives_page, traceability_page, vectors_page
from aimarket.docs_site.pages_spec import CHAPTERS, assign_chapters, spec_pages

STYLESHEET_PATH = "assets/aimarket.css"
STYLESHEET = """\
.md-typeset .diagram { overflow-x: auto; margin: 1em 0; }
.md-typeset .diagram svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
.md-typeset .diagram a:hover text { fill: #3f51b5; text-decoration: underline; }
.md-typeset .source-note { font-size: 0.7rem; color: var(--md-default-fg-color--light); }
.md-typeset math { font-size: 1.05em; }
.md-typeset table:not([class]) td { vertical-align: top; }
.md-typeset table:not([class]) td:first-child code { white-space: nowrap; }
"""

GENERATED_INPUTS_DIR = "generated"
"""``docs/generated/`` holds inputs (the proof report, benchmark results), not pages."""

HANDWRITTEN_SECTIONS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("Protocol", lambda path: path == "protocol.md"),
    ("Proofs", lambda path: path in ("model-checking.md", "games.md", "incentives.md", "proofs.md")),
    ("Conformance", lambda path: path.startswith("conformance")),
    ("Reference implementation", lambda path: path.startswith("reference")),
    ("Design decisions", lambda path: path.startswith("decisions/")),
)
"""Where each hand-written page of ``docs/`` goes in the navigation; the rest go under
"More"."""


class DocsBuildError(RuntimeError):
    """The site could not be built; the message says why (MkDocs' output included)."""


@dataclass
class BuildOptions:
    repository: Path
    build_dir: Path
    site_dir: Path
    proof_report: Path
    vector_manifest: Path
    bench_results: Path
    run_mkdocs: bool = True


@dataclass
class BuildResult:
    pages: list[Page]
    assets: list[Asset]
    handwritten: list[str]
    missing: list[Missing]
    docs_source: Path
    config: Path
    site_dir: Path
    context: Context
    mkdocs_output: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def default_options(repository: Path) -> BuildOptions:
    return BuildOptions(
        repository=repository,
        build_dir=repository / "build",
        site_dir=repository / "site",
        proof_report=repository / "docs" / GENERATED_INPUTS_DIR / "proof-report.json",
        vector_manifest=repository / "vectors" / "manifest.json",
        bench_results=repository / "docs" / GENERATED_INPUTS_DIR / "bench.json",
    )


def handwritten_files(docs_dir: Path) -> list[Path]:
    """Every file under ``docs/`` except the inputs in ``docs/generated/`` and hidden ones."""
    if not docs_dir.is_dir():
        return []
    found = []
    for path in sorted(docs_dir.rglob("*")):
        relative = path.relative_to(docs_dir)
        if not path.is_file() or relative.parts[0] == GENERATED_INPUTS_DIR:
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        found.append(path)
    return found


MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def copy_vector_format(repository: Path, source_dir: Path) -> list[str]:
    """Copy ``vectors/FORMAT.md`` (and the files of ``vectors/`` it links to) into the site
    as :data:`VECTOR_FORMAT_PAGE`; the page paths written."""
    format_doc = repository / "vectors" / "FORMAT.md"
    if not format_doc.is_file():
        return []
    text = format_doc.read_text(encoding="utf-8")
    target = source_dir / VECTOR_FORMAT_PAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    for linked in MARKDOWN_LINK.findall(text):
        if "://" in linked or linked.startswith("/"):
            continue
        origin = (format_doc.parent / linked).resolve()
        if origin.is_file() and origin.is_relative_to(format_doc.parent.resolve()):
            copy = target.parent / linked
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, copy)
    return [VECTOR_FORMAT_PAGE]


def navigation(pages: list[Page], handwritten: list[str], format_pages: list[str]) -> list:
    titles = {page.path: page.title for page in pages}

    def entry(path: str) -> dict[str, str] | str:
        return {titles[path]: path} if path in titles else path

    markdown = [path for path in handwritten if path.endswith(".md")]
    sections: dict[str, list[str]] = {name: [] for name, _ in HANDWRITTEN_SECTIONS}
    more: list[str] = []
    for path in markdown:
        for name, belongs in HANDWRITTEN_SECTIONS:
            if belongs(path):
                sections[name].append(path)
                break
        else:
            more.append(path)
    decisions = sorted(sections["Design decisions"],
                       key=lambda path: (posixpath.basename(path) != "README.md", path))
    nav: list = [
        entry(OVERVIEW),
        {"Protocol": sections["Protocol"] + [entry(chapter.path) for chapter in CHAPTERS]},
        {"Specification": [entry(ACTIONS_PAGE), entry(REJECTIONS_PAGE), entry(INVARIANTS_PAGE),
                           entry(EXAMPLES_PAGE)]},
        {"Proofs": [entry(INCENTIVES_PAGE)] + sections["Proofs"]},
        {"Conformance": [entry(TRACEABILITY_PAGE), entry(VECTORS_PAGE)]
         + [path for path in format_pages if path not in sections["Conformance"]]
         + sections["Conformance"]},
    ]
    if sections["Reference implementation"]:
        nav.append({"Reference implementation": sections["Reference implementation"]})
    nav.append(entry(BENCHMARKS_PAGE))
    if decisions:
        nav.append({"Design decisions": decisions})
    if more:
        nav.append({"More": more})
    return nav


def write_config(options: BuildOptions, source_dir: Path, nav: list) -> Path:
    root_config = options.repository / "mkdocs.yml"
    if not root_config.is_file():
        raise DocsBuildError(f"{root_config} is missing")
    config_path = options.build_dir / "mkdocs.yml"
    config = {
        "INHERIT": posixpath.relpath(root_config.resolve(), options.build_dir.resolve()),
        "docs_dir": posixpath.relpath(source_dir.resolve(), options.build_dir.resolve()),
        "site_dir": posixpath.relpath(options.site_dir.resolve(), options.build_dir.resolve()),
        "nav": nav,
    }
    header = "# Generated by `aimarket docs`; edit ../mkdocs.yml or aimarket/docs_site instead.\n"
    config_path.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                           encoding="utf-8")
    return config_path


def run_mkdocs(config_path: Path) -> str:
    """``mkdocs build --strict``; its output, or :class:`DocsBuildError` with the output."""
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-f", str(config_path)]
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # no end-of-life banner in our output
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise DocsBuildError(f"mkdocs build --strict failed:\n{output}")
    return output


def gather(options: BuildOptions, timings: dict[str, float] | None = None) -> Context:
    """Explore the spec, run the worked examples and load the optional inputs."""
    started = time.perf_counter()
    machines = explore_machines()
    explored = time.perf_counter()
    stories = named_stories()
    runs = run_examples(machines, stories)
    context = Context(
        repository=options.repository, inputs=shown_inputs(options), machines=machines,
        runs=runs, stories=stories, proof_report=Missing("proof report", "not read"),
        vectors=Missing("vector manifest", "not read"),
        bench=Missing("benchmark results", "not read"),
        chaincode=load_chaincode(options.repository), code_map=load_code_map(),
    )
    context.chapter_of_action = {name: chapter.path for name, chapter in assign_chapters().items()}
    context = with_inputs(context, options)
    if timings is not None:
        timings["explore"] = explored - started
        timings["examples_and_inputs"] = time.perf_counter() - explored
    return context


def with_inputs(context: Context, options: BuildOptions) -> Context:
    """``context`` with the proof report, vectors and benchmark results of ``options``."""
    shown = shown_inputs(options)

    def relabel(value: Any, path: Path, shown_path: Path) -> Any:
        # pages name files the way a reader of the repository would, not by absolute path
        if isinstance(value, Missing):
            return Missing(value.what, value.reason.replace(str(path), str(shown_path)))
        return value

    return dataclasses.replace(
        context, inputs=shown,
        proof_report=relabel(load_proof_report(options.proof_report), options.proof_report,
                             shown.proof_report),
        vectors=relabel(load_vectors(options.vector_manifest), options.vector_manifest,
                        shown.vector_manifest),
        bench=relabel(read_json_file(options.bench_results, "benchmark results"),
                      options.bench_results, shown.bench_results))


def shown_inputs(options: BuildOptions) -> Inputs:
    """The input paths as pages name them: relative to the repository when inside it."""
    return Inputs(display_path(options.proof_report, options.repository),
                  display_path(options.vector_manifest, options.repository),
                  display_path(options.bench_results, options.repository))


def display_path(path: Path, repository: Path) -> Path:
    try:
        return path.resolve().relative_to(repository.resolve())
    except ValueError:
        return path


def build_site(options: BuildOptions, progress: Callable[[str], None] = lambda message: None,
               context: Context | None = None) -> BuildResult:
    """Generate the docs source, then (unless ``options.run_mkdocs`` is false) build the
    site. ``context`` saves exploring the spec again (see :func:`gather`, :func:`with_inputs`)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if context is None:
        progress("exploring the spec and reading the inputs")
        context = gather(options, timings)

    source_dir = options.build_dir / "docs-src"
    if source_dir.exists():
        shutil.rmtree(source_dir)
    source_dir.mkdir(parents=True)

    docs_dir = options.repository / "docs"
    handwritten = []
    for path in handwritten_files(docs_dir):
        relative = path.relative_to(docs_dir).as_posix()
        target = source_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        handwritten.append(relative)
    context.handwritten = handwritten
    format_pages = copy_vector_format(options.repository, source_dir)
    if "conformance.md" in handwritten:
        format_pages.append("conformance.md")

    progress("generating the pages and diagrams")
    generating = time.perf_counter()
    pages = spec_pages(context)
    pages += [incentives_page(context), traceability_page(context), vectors_page(context, format_pages)]
    bench_page, assets = benchmarks_page(context)
    pages.append(bench_page)
    assets.append(Asset(STYLESHEET_PATH, STYLESHEET.encode("utf-8")))
    timings["generate"] = time.perf_counter() - generating

    taken = set(handwritten) | set(format_pages)
    written: list[Page | Asset] = [*pages, *assets]
    for item in written:
        if item.path in taken:
            raise DocsBuildError(f"docs/{item.path} is hand-written but the site generates "
                                 f"{item.path}; rename one of them")
        target = source_dir / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(item, Page):
            target.write_text(item.text.rstrip() + "\n", encoding="utf-8")
        else:
            target.write_bytes(item.data)
    config_path = write_config(options, source_dir, navigation(pages, handwritten, format_pages))

    missing = [value for value in (context.proof_report, context.vectors, context.bench,
                                   context.chaincode, context.code_map) if isinstance(value, Missing)]
    result = BuildResult(pages, assets, handwritten, missing, source_dir, config_path, options.site_dir,
                         context, timings=timings)
    if options.run_mkdocs:
        progress("mkdocs build --strict")
        building = time.perf_counter()
        result.mkdocs_output = run_mkdocs(config_path)
        timings["mkdocs"] = time.perf_counter() - building
    result.seconds = time.perf_counter() - started
    return result
