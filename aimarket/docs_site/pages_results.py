"""Pages generated from results: the incentive proofs (proof report), the traceability
matrix (spec, vectors, proof report, chaincode), the vectors and the benchmarks."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import sympy

import traces.itf
import conformance.vectors
import proofs.general
import proofs.general.closed_form
import proofs.general.export
import proofs.general.report
import proofs.general.theorem
import proofs.incentives.report
import proofs.incentives
import proofs.market_game
import proofs.incentives.refinement
import proofs.region_export
import spec.params
import spec.payoffs
from aimarket.docs_site.context import (
    BENCHMARKS_PAGE,
    INCENTIVES_PAGE,
    INVARIANTS_PAGE,
    REJECTIONS_PAGE,
    TRACEABILITY_PAGE,
    VECTORS_PAGE,
    Asset,
    Context,
    Page,
)
from aimarket.docs_site.formulas import formula_html, to_mathml
from aimarket.docs_site.inputs import GameResults, Missing, ProofReport, entries_naming
from aimarket.docs_site.machines import NO_JOB
from aimarket.docs_site.markdown import admonition, code, link, table
from aimarket.docs_site.pages_spec import action_link, related_invariants
from aimarket.docs_site.render import object_doc
from aimarket.docs_site.spec_source import module_attribute_docs
from spec.actions import CATALOGUE

MAX_JSON_SHOWN = 20_000
WIDE_PAGE = "---\nhide:\n  - toc\n---\n"
"""Front matter that hides the table of contents, for pages of wide tables."""
VECTOR_NO_JOB_MARK_TO_SOURCE = {"-": NO_JOB}
"""The manifest writes the source of ``request_training`` as ``"-"``; the diagram as "no job"."""


def missing_note(missing: Missing, produce: str) -> str:
    return admonition("warning", f"No {missing.what}",
                      f"This page shows no {missing.what} results: {missing.reason}.\n\n{produce}")


def json_block(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    note = ""
    if len(text) > MAX_JSON_SHOWN:
        text = text[:MAX_JSON_SHOWN]
        note = f"\n\n(The first {MAX_JSON_SHOWN:,} characters of the section are shown.)"
    return f"```json\n{text}\n```{note}"


def generic_section(value: Any) -> str:
    """A section of a report the site does not interpret, shown as reported."""
    if isinstance(value, dict) and value and all(not isinstance(item, (dict, list)) for item in value.values()):
        return table(("key", "value"), [(code(key), code(item)) for key, item in value.items()])
    if (isinstance(value, list) and value and all(isinstance(item, dict) for item in value)
            and all(not isinstance(cell, (dict, list)) for item in value for cell in item.values())):
        headers = list(dict.fromkeys(key for item in value for key in item))
        return table(headers, [[code(item.get(key, "")) for key in headers] for item in value])
    return json_block(value)


# --- incentives ---------------------------------------------------------------------------

def stake_rule_table() -> str:
    """The spec's minimum stakes and bonds evaluated on sympy symbols, for the job shape
    the market game plays."""
    shape = proofs.market_game.MarketGameShape()
    symbols = proofs.market_game.symbols()
    requirements = spec.params.stake_requirements(
        prices=[symbols["P"]] * shape.data_owners, fees=[symbols["F"]] * shape.vendors,
        costs=[symbols["C"]] * shape.vendors, misuse_values=[proofs.market_game.misuse_value()] * shape.data_owners,
        audit_probability=symbols["q"], dispute_cost=symbols["G"], steps=shape.steps,
        vendor_stake=symbols["Bv"], developer_bond=symbols["Ba"], owner_bond=symbols["Bd"])
    rows = []
    for requirement in requirements:
        relation = (sympy.StrictGreaterThan if requirement.strict else sympy.GreaterThan)(
            requirement.amount, requirement.bound, evaluate=False)
        rows.append((requirement.name, code(requirement.code.value), to_mathml(relation)))
    caption = (f"`spec.params.stake_requirements` evaluated on symbols for the job the market "
               f"game plays ({shape.data_owners} dataset, {shape.vendors} vendor, "
               f"T = {shape.steps}, so R = {spec.params.bisection_rounds(shape.steps)} bisection "
               f"round(s)):")
    return caption + "\n\n" + table(("requirement", "code if it fails", "condition"), rows)


def history_text(history: list[str]) -> str:
    return code("[" + ", ".join(history) + "]")


def payoff_text(example: dict, key: str) -> str:
    """A counterexample's payoff ``key`` and, in parentheses, its term (``key``_term)."""
    parts = [code(example[key]) if key in example else "",
             f"({code(example[key + '_term'])})" if key + "_term" in example else ""]
    return " ".join(filter(None, parts))


def counterexample_doc(example: dict[str, Any], title: str) -> str:
    parameters = example.get("parameters", {})
    lines = [f"**{title}**", ""]
    if parameters:
        lines += [table([code(name) for name in parameters], [[code(value) for value in parameters.values()]]), ""]
    described = [
        ("deviating", ", ".join(code(player) for player in example.get("players", []))),
        ("payoff of", ", ".join(code(player) for player in example.get("payoff_of", []))),
        ("deviation", history_text(example.get("deviation", [])) if "deviation" in example else ""),
        ("its payoff", payoff_text(example, "deviation_payoff")),
        ("honest play", history_text(example.get("honest_play", [])) if "honest_play" in example else ""),
        ("honest payoff", payoff_text(example, "honest_payoff")),
        ("relation", code(example["relation"]) if "relation" in example else ""),
    ]
    lines += [f"* {name}: {value}" for name, value in described if value]
    lines.append("")
    if example.get("explanation"):
        lines += [example["explanation"], ""]
    return "\n".join(lines)


def region_cell(result: dict[str, Any]) -> str:
    precondition = result.get("precondition")
    if not isinstance(precondition, dict):
        return "not synthesised"
    if "error" in precondition:
        return f"not synthesised: {precondition['error']}"
    text = precondition.get("sympy") or precondition.get("region", "")
    return formula_html(text, precondition.get("symbols"))


def game_section(game: GameResults) -> str:
    parts = [f"### Game {code(game.game)}", ""]
    rows = []
    for result in game.results:
        found = result.get("precondition")
        precondition: dict[str, Any] = found if isinstance(found, dict) else {}
        verified = precondition.get("verified")
        rows.append((code(result.get("property", "?")), history_text(result.get("history", [])),
                     f"**{result.get('verdict', '?')}**", region_cell(result),
                     "" if verified is None else ("yes" if verified else "no")))
    parts += [table(("property", "honest history", "verdict", "holds exactly where", "region verified by Z3"),
                    rows), ""]
    for result in game.results:
        found = result.get("precondition")
        precondition = found if isinstance(found, dict) else {}
        examples = []
        if isinstance(result.get("counterexample"), dict):
            examples.append(("Counterexample", result["counterexample"]))
        if isinstance(precondition.get("counterexample_outside"), dict):
            examples.append(("Counterexample outside the region", precondition["counterexample_outside"]))
        if not examples and not result.get("reason") and not precondition.get("notes"):
            continue
        parts += [f"#### {code(result.get('property', '?'))} on {history_text(result.get('history', []))}", ""]
        if result.get("reason"):
            parts += [f"Reason: {result['reason']}", ""]
        if precondition.get("region"):
            parts += [f"Region: {code(precondition['region'])}", ""]
        if precondition.get("verification"):
            parts += [f"Verification: {precondition['verification']}", ""]
        for note in precondition.get("notes", []) or []:
            parts += [f"Note: {note}", ""]
        seen = []
        for title, example in examples:
            if example in seen:
                parts += [f"*{title}: the same as above.*", ""]
                continue
            seen.append(example)
            parts.append(counterexample_doc(example, title))
    return "\n".join(parts)


def checked_properties(report: ProofReport) -> list[dict[str, Any]]:
    """The ``properties`` list of an ``aimarket check --report`` file (empty otherwise)."""
    value = report.other_sections.get("properties")
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def region_formula_cell(result: dict[str, Any]) -> str:
    text = result.get("region")
    if not isinstance(text, str) or text == "true":
        return "every parameter value"
    return " ∧ ".join(formula_html(part.strip(), list(proofs.market_game.CONSTANTS)) for part in text.split("&"))


def market_counterexamples(result: dict[str, Any]) -> str:
    lines = []
    for example in result.get("counterexamples") or []:
        point = example.get("at") or {}
        play = "; ".join("/".join(history) for history in example.get("deviating_play", [])[:2])
        lines.append(f"* violating {code(example.get('violates', '?'))} at "
                     + ", ".join(f"{name} = {value}" for name, value in point.items())
                     + f": {code(example.get('deviation', '?'))} pays "
                       f"{code(example.get('deviating_value', '?'))} "
                       f"against {code(example.get('honest_value', '?'))} when honest"
                     + (f" — play {code(play)}" if play else ""))
    return "\n".join(lines)


def market_section(results: list[dict[str, Any]]) -> str:
    """The marketplace incentive proofs of ``aimarket check``, one table per job shape."""
    by_shape: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        by_shape.setdefault(str(result.get("instance", "?")), []).append(result)
    parts = [f"{len(results)} results of kind {code('incentive')}. A property *holds* when the "
             "spec's stake rule lies inside the exact region shown; the region's conditions are "
             "each shown necessary by a counterexample.", ""]
    for shape, rows in by_shape.items():
        parts += [f"#### {shape}", ""]
        parts.append(table(("property", "role or coalition", "verdict", "holds exactly where", "seconds"), [
            (code(str(row.get("name", "?")).split(" (")[0]), code(row.get("role", "")) if row.get("role") else "",
             f"**{row.get('verdict', '?')}**",
             region_formula_cell(row) if "region" in row else row.get("detail", ""),
             f"{row.get('seconds', 0):.1f}") for row in rows]))
        parts.append("")
        details = [(row, market_counterexamples(row)) for row in rows]
        for row, text in details:
            if text:
                parts += [f"Counterexamples for {code(row.get('name', '?'))}:", "", text, ""]
    return "\n".join(parts)


def check_table(results: list[dict[str, Any]]) -> str:
    return table(("property", "kind", "instance", "states", "transitions", "verdict", "seconds"), [
        (code(row.get("name", "?")), row.get("kind", ""), row.get("instance", ""),
         str(row.get("states") if row.get("states") is not None else "–"),
         str(row.get("transitions") if row.get("transitions") is not None else "–"),
         f"**{row.get('verdict', '?')}**", f"{row.get('seconds', 0):.1f}") for row in results])


def incentives_page(context: Context) -> Page:
    page = INCENTIVES_PAGE
    constants_doc = module_attribute_docs(proofs.market_game).get("CONSTANTS", "")
    parts = ["# Incentives", "",
             "## Payoffs", "", object_doc(spec.payoffs), "",
             "## The parameters", "", object_doc(spec.params.Params), "",
             f"The market game's constants {', '.join(code(name) for name in proofs.market_game.CONSTANTS)}: "
             f"{constants_doc}", "",
             "## The minimum stakes and bonds the spec enforces", "",
             stake_rule_table(), "",
             "## The market game", "", object_doc(proofs.market_game), "",
             "## How the regions are decided", "", object_doc(proofs.incentives), "",
             "### Without enumerating candidates", "", object_doc(proofs.incentives.refinement), "",
             "## What `aimarket check` reports", "", object_doc(proofs.incentives.report), "",
             "## For every job shape", "", object_doc(proofs.general), "",
             "### The closed forms", "", object_doc(proofs.general.closed_form), "",
             "### The theorem and its cross-check", "", object_doc(proofs.general.theorem), "",
             "### The general region the reference enforces", "", object_doc(proofs.general.export), "",
             "### The results", "", object_doc(proofs.general.report), "",
             "## The export the reference enforces", "", object_doc(proofs.region_export), "",
             "## Results of the proof report", ""]
    report = context.proof_report
    if isinstance(report, Missing):
        parts.append(missing_note(report, "Produce the report with the proof commands and save "
                                  "their JSON output there (for example `aimarket games check "
                                  "GAME --counterexamples --preconditions --json`), then run "
                                  "`aimarket docs` again."))
    else:
        parts += [f"From {code(str(context.inputs.proof_report))}: {len(report.games)} game file(s) "
                  f"and {len(checked_properties(report))} checked properties. For a game file, each "
                  "row is one property checked on one honest history; the region where it holds "
                  "and the counterexamples are shown where the report has them.", ""]
        for game in report.games:
            parts.append(game_section(game))
        checked = checked_properties(report)
        market = [row for row in checked if row.get("kind") == "incentive"]
        if market:
            parts += ["### The marketplace game", "", market_section(market), ""]
        if checked:
            others = [row for row in checked if row.get("kind") != "incentive"]
            parts += ["### Model checking (same report)", "", check_table(others), ""]
        for key, value in report.other_sections.items():
            if key == "properties" and checked:
                continue
            parts += [f"### {code(key)} (as reported)", "", generic_section(value), ""]
    return Page(page, "Incentives", "\n".join(parts))


# --- traceability -------------------------------------------------------------------------

def outcomes_of(name: str) -> list[str]:
    return ["accepted"] + [rejection.value for rejection in CATALOGUE[name].rejections]


def vector_cell(context: Context, name: str) -> str:
    vectors = context.vectors
    if isinstance(vectors, Missing):
        return "no manifest"
    outcomes = outcomes_of(name)
    covered = [outcome for outcome in outcomes if vectors.action_outcomes.get((name, outcome))]
    files = sorted({file for outcome in outcomes for file in vectors.action_outcomes.get((name, outcome), [])})
    text = link(f"{len(covered)}/{len(outcomes)} outcomes", TRACEABILITY_PAGE, VECTORS_PAGE,
                f"vectors-{name}") + f" in {len(files)} vector(s)"
    uncovered = [outcome for outcome in outcomes if outcome not in covered]
    if uncovered:
        text += "; **no vector:** " + ", ".join(code(outcome) for outcome in uncovered)
    return text


def report_entries(report: ProofReport, name: str) -> list[str]:
    found = []
    for index, game in enumerate(report.games):
        found += [f"/games/{index}/results{where}" for where, _ in entries_naming(game.results, name)]
    for key, value in report.other_sections.items():
        found += [f"/{key}{where}" for where, _ in entries_naming(value, name)]
    return found


def proof_cell(context: Context, name: str) -> str:
    report = context.proof_report
    if isinstance(report, Missing):
        return "no proof report"
    entries = report_entries(report, name)
    if not entries:
        return "none names this action"
    shown = ", ".join(code(entry) for entry in entries[:3])
    return f"{len(entries)}: {shown}" + (" …" if len(entries) > 3 else "")


def chaincode_cell(context: Context, name: str) -> str:
    chaincode = context.chaincode
    if isinstance(chaincode, Missing):
        return "chaincode not read"
    function = chaincode.get(name)
    if function is None:
        if CATALOGUE[name].kind != "ledger":
            return "none (off-chain event)"
        return "**missing**"
    return f"{code(function.name)}<br><small>{function.source_file}:{function.line}</small>"


def traceability_page(context: Context) -> Page:
    page = TRACEABILITY_PAGE
    rows = []
    for name in CATALOGUE:
        invariants = ", ".join(link(invariant.name, page, INVARIANTS_PAGE, f"invariant-{invariant.name}")
                               for invariant in related_invariants(context, name)) or "none"
        rows.append((f'<a id="trace-{name}"></a>' + action_link(context, name, page),
                     link(str(len(outcomes_of(name))), page, REJECTIONS_PAGE),
                     vector_cell(context, name), invariants, proof_cell(context, name),
                     chaincode_cell(context, name)))
    parts = [WIDE_PAGE, "# Traceability", "",
             "For every action of the spec: the outcomes a conformance vector must show "
             "(acceptance and each rejection code), the vectors that show them, the invariants "
             "over what it changes, the proof-report entries that name it, and the reference "
             "chaincode function that implements it. Everything is read at build time.", "",
             table(("action", "outcomes", "vectors", "invariants", "proofs", "reference chaincode"), rows), "",
             "How each column is found:", "",
             f"* **vectors** — the coverage the manifest {code(str(context.inputs.vector_manifest))} "
             f"declares for each action and outcome; details on {link('Vectors', page, VECTORS_PAGE)};",
             "* **invariants** — those whose code reads a market or job field that an accepted "
             "call of the action changed (in the model checker's explorations or the worked examples);",
             f"* **proofs** — objects of the proof report ({code(str(context.inputs.proof_report))}) "
             "with a key `action` equal to the action's name, or a list `actions` containing it;",
             "* **reference chaincode** — the contract's function table "
             "(`MarketplaceChaincode().transactions`) and where each function is written.", ""]
    missing = [value for value in (context.vectors, context.proof_report, context.chaincode)
               if isinstance(value, Missing)]
    for value in missing:
        parts.append(admonition("warning", f"No {value.what}", f"{value.reason}; its column says so."))
    chaincode = context.chaincode
    if not isinstance(chaincode, Missing):
        extra = [function for name, function in chaincode.items() if name not in CATALOGUE]
        if extra:
            parts += ["## Chaincode functions that are not protocol actions", "",
                      table(("function", "kind", "where", "summary"),
                            [(code(function.name), function.kind,
                              code(f"{function.source_file}:{function.line}"), function.summary)
                             for function in extra]), ""]
    return Page(page, "Traceability", "\n".join(parts))


# --- vectors ------------------------------------------------------------------------------

def vector_list(names: list[str], limit: int = 3) -> str:
    if not names:
        return "**none**"
    shown = ", ".join(code(name) for name in names[:limit])
    return f"{len(names)}: {shown}" + (" …" if len(names) > limit else "")


def vectors_page(context: Context, format_pages: list[str]) -> Page:
    page = VECTORS_PAGE
    parts = ["# Conformance vectors", ""]
    if format_pages:
        parts += ["The format documents for implementers: " + ", ".join(
            link(path, page, path) for path in format_pages) + ".", ""]
    else:
        parts += [admonition("warning", "No format document",
                             "Neither `docs/conformance.md` nor `vectors/FORMAT.md` exists yet; "
                             "below is what the vector writer's own documentation says."), ""]
    parts += ["## What a vector is", "", object_doc(conformance.vectors), "",
              "## How spec values are written", "",
              object_doc(traces.itf), ""]
    vectors = context.vectors
    parts += ["## The released vectors", ""]
    if isinstance(vectors, Missing):
        parts.append(missing_note(vectors, "The conformance suite writes the manifest and the "
                                  "vectors; run `aimarket docs` again once they exist."))
        return Page(page, "Vectors", "\n".join(parts))
    scalars = {key: value for key, value in vectors.manifest.items() if not isinstance(value, (dict, list))}
    parts += [f"From {code(str(context.inputs.vector_manifest))}:", "", generic_section(scalars), ""]
    kinds: dict[str, list] = {}
    for entry in vectors.files:
        kinds.setdefault(entry.kind, []).append(entry)
    rows = [(code(kind), str(len(entries)), str(sum(entry.steps or 0 for entry in entries)),
             f"{sum(entry.sha256_matches for entry in entries)} of {len(entries)}")
            for kind, entries in kinds.items()]
    parts += [table(("kind", "vectors", "steps", "sha256 matches the manifest"), rows), ""]
    bad = [entry for entry in vectors.files if not entry.sha256_matches]
    if bad:
        parts += ["**Files missing or changed since the manifest was written:** "
                  + ", ".join(code(entry.name) for entry in bad), ""]
    coverage = vectors.manifest.get("coverage", {})
    parts += ["## Coverage", "",
              f"The manifest declares {coverage.get('covered', '?')} of {coverage.get('total', '?')} "
              "coverage goals covered.", ""]
    if vectors.excluded:
        parts += ["Excluded goals, as declared:", "", generic_section(vectors.excluded), ""]
    else:
        parts += ["No goal is excluded.", ""]
    parts += ["### Actions and outcomes", ""]
    for name in CATALOGUE:
        outcome_rows = [(code(outcome), vector_list(vectors.action_outcomes.get((name, outcome), [])))
                        for outcome in outcomes_of(name)]
        parts += [f'<a id="vectors-{name}"></a>{action_link(context, name, page)}', "",
                  table(("outcome", "vectors"), outcome_rows), ""]
    unknown = sorted(key for key in vectors.action_outcomes
                     if key[0] not in CATALOGUE or key[1] not in outcomes_of(key[0]))
    if unknown:
        parts += ["Outcomes in the manifest that the spec's catalogue does not list: "
                  + ", ".join(code(f"{action}: {outcome}") for action, outcome in unknown), ""]
    diagram = {(edge.source, edge.action, edge.target) for edge in context.machines.job_edges}
    declared = {(VECTOR_NO_JOB_MARK_TO_SOURCE.get(source, source), action, target): names
                for (source, action, target), names in vectors.job_edges.items()}
    edge_rows = []
    for edge in sorted(diagram | set(declared)):
        edge_rows.append((code(edge[0]), action_link(context, edge[1], page), code(edge[2]),
                     vector_list(declared.get(edge, [])),
                     "yes" if edge in diagram else "**no**"))
    parts += ["### Job status machine edges", "",
              "Each edge of the job status machine (as the model checker derives it for the "
              "diagram) next to the vectors the manifest says take it:", "",
              table(("from", "action", "to", "vectors", "in the diagram"), edge_rows), ""]
    if vectors.endings:
        parts += ["### Endings", "",
                  table(("ending", "vectors"), [(code(ending), vector_list(names))
                                                for ending, names in vectors.endings.items()]), ""]
    return Page(page, "Vectors", "\n".join(parts))


# --- benchmarks ---------------------------------------------------------------------------

NETWORK_KEY = re.compile(r"network_(\d+)_peers")


def numeric_leaves(value: Any, prefix: str = "") -> dict[str, float]:
    leaves: dict[str, float] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            leaves.update(numeric_leaves(item, f"{prefix}{key}."))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        leaves[prefix.rstrip(".")] = float(value)
    return leaves


def bench_plot(name: str, results: dict[str, Any]) -> bytes | None:
    """Bar charts of every rate (``*_per_s``) measured on several network sizes."""
    networks = sorted((int(match.group(1)), value) for key, value in results.items()
                      if (match := NETWORK_KEY.fullmatch(key)) and isinstance(value, dict))
    if not networks:
        return None
    per_network = {peers: numeric_leaves(value) for peers, value in networks}
    metrics = sorted({metric for leaves in per_network.values() for metric in leaves
                      if metric.endswith("_per_s")})
    if not metrics:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    matplotlib.rcParams["svg.hashsalt"] = "aimarket-docs"
    columns = min(2, len(metrics))
    rows = (len(metrics) + columns - 1) // columns
    figure, axes = pyplot.subplots(rows, columns, figsize=(4.5 * columns, 3.0 * rows), squeeze=False)
    for index, metric in enumerate(metrics):
        axis = axes[index // columns][index % columns]
        peers = [count for count in per_network if metric in per_network[count]]
        values = [per_network[count][metric] for count in peers]
        bars = axis.bar([str(count) for count in peers], values, color="#3f51b5")
        axis.bar_label(bars, labels=[f"{value:,.1f}" for value in values], fontsize=8)
        axis.set_title(metric.replace(".", "\n"), fontsize=9)
        axis.set_xlabel("peers", fontsize=8)
        axis.tick_params(labelsize=8)
        axis.margins(y=0.2)
    for index in range(len(metrics), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.suptitle(f"{name}: rates by network size", fontsize=11)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    pyplot.close(figure)
    return buffer.getvalue().encode("utf-8")


def benchmarks_page(context: Context) -> tuple[Page, list[Asset]]:
    page = BENCHMARKS_PAGE
    parts = ["# Benchmarks", ""]
    assets: list[Asset] = []
    bench = context.bench
    if isinstance(bench, Missing):
        parts.append(missing_note(bench, "Run the benchmarks with `python -m bench --json` "
                                  f"and save the output to {code(str(context.inputs.bench_results))}, "
                                  "then run `aimarket docs` again."))
        return Page(page, "Benchmarks", "\n".join(parts)), assets
    if not isinstance(bench, dict) or not all(isinstance(value, dict) for value in bench.values()):
        parts.append(missing_note(Missing("benchmark results", "the file is not an object of "
                                          "benchmark name -> results"), ""))
        return Page(page, "Benchmarks", "\n".join(parts)), assets
    parts += [f"From {code(str(context.inputs.bench_results))} (the output of "
              "`python -m bench --json`). Figures are measured in one run on one machine; "
              "compare them as ratios against the baselines measured in the same run.", ""]
    for name, results in bench.items():
        parts += [f"## {code(name)}", ""]
        plot = bench_plot(name, results)
        if plot is not None:
            asset = f"results/bench-{name}.svg"
            assets.append(Asset(asset, plot))
            parts += [f"![{name}: rates by network size](bench-{name}.svg)", ""]
        leaves = numeric_leaves(results)
        other = {key: value for key, value in results.items() if not isinstance(value, (dict, int, float))}
        rows = [(code(metric), f"{value:,.3f}".rstrip("0").rstrip(".")) for metric, value in leaves.items()]
        rows += [(code(key), code(value)) for key, value in other.items() if not isinstance(value, list)]
        parts += [table(("figure", "value"), rows), ""]
    return Page(page, "Benchmarks", "\n".join(parts)), assets

