"""What every page generator reads: the spec's runs and the optional inputs, gathered once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aimarket.docs_site.inputs import ChaincodeFunction, Missing, ProofReport, Vectors
from aimarket.docs_site.machines import Machines, record
from spec.actions import Call
from spec.examples import WORLD, Example, Story, examples
import spec.examples
from spec.machine import Step, step
from spec.state import Market, genesis

# Where the generated pages live inside the docs source tree.
OVERVIEW = "index.md"
ACTIONS_PAGE = "spec/actions.md"
REJECTIONS_PAGE = "spec/rejections.md"
INVARIANTS_PAGE = "spec/invariants.md"
EXAMPLES_PAGE = "spec/examples.md"
INCENTIVES_PAGE = "proofs/incentives.md"
TRACEABILITY_PAGE = "conformance/traceability.md"
VECTORS_PAGE = "conformance/vectors.md"
VECTOR_FORMAT_PAGE = "conformance/vector-format.md"
BENCHMARKS_PAGE = "results/benchmarks.md"


@dataclass
class Page:
    """A generated Markdown page: where it goes, its title and its text."""

    path: str
    title: str
    text: str


@dataclass
class Asset:
    """A generated file beside the pages (a plot)."""

    path: str
    data: bytes


@dataclass
class ExampleRun:
    """A worked example run through the spec: the market before its last call and the
    outcome the spec gives; ``story`` is the longest named story its calls start with."""

    example: Example
    before: Market
    result: Step
    story: str | None
    story_length: int


@dataclass
class Inputs:
    """Paths of the optional inputs (so that pages can name them)."""

    proof_report: Path
    vector_manifest: Path
    bench_results: Path


@dataclass
class Context:
    repository: Path
    inputs: Inputs
    machines: Machines
    runs: list[ExampleRun]
    stories: dict[str, tuple[Call, ...]]
    proof_report: ProofReport | Missing
    vectors: Vectors | Missing
    bench: Any
    chaincode: dict[str, ChaincodeFunction] | Missing
    code_map: dict[str, str] | Missing
    handwritten: list[str] = field(default_factory=list)
    """Paths (inside the docs source) of the hand-written pages copied from ``docs/``."""
    chapter_of_action: dict[str, str] = field(default_factory=dict)
    """Action -> path of the chapter page that documents it."""


def named_stories() -> dict[str, tuple[Call, ...]]:
    """The module-level stories of :mod:`spec.examples`, by name, in definition order."""
    return {name: value.calls for name, value in vars(spec.examples).items()
            if isinstance(value, Story) and name.isupper()}


def run_examples(machines: Machines, stories: dict[str, tuple[Call, ...]]) -> list[ExampleRun]:
    """Run every worked example; record its accepted calls in ``machines`` (for the
    fields each action writes)."""
    runs = []
    for example in examples():
        market = genesis(WORLD.dispute_cost, WORLD.audit_probability)
        for each in example.calls[:-1]:
            result = step(market, each)
            if result.accepted:
                record(machines, market, each, result.market)
            market = result.market
        result = step(market, example.calls[-1])
        if result.accepted:
            record(machines, market, example.calls[-1], result.market)
        story, length = None, 0
        for name, calls in stories.items():
            if (len(calls) > length and len(calls) < len(example.calls)
                    and example.calls[:len(calls)] == calls):
                story, length = name, len(calls)
        runs.append(ExampleRun(example, market, result, story, length))
    return runs
