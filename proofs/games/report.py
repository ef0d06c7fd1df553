"""Human and JSON renderings of check results and synthesised regions."""

from __future__ import annotations

from typing import Any

from .engine import PropertyResult
from .logic import All, Atom, Condition, Constant, Not
from .model import Game, count_nodes
from .synthesis import Region, format_expression

MAX_CONDITION_TEXT = 4_000
MAX_STRATEGY_ENTRIES = 200


def condition_text(condition: Condition, limit: int = MAX_CONDITION_TEXT) -> str:
    """A compact rendering of a (possibly long) condition."""
    def render(item: Condition, top: bool) -> str:
        if isinstance(item, Constant):
            return "true" if item.value else "false"
        if isinstance(item, Atom):
            return str(item)
        if isinstance(item, Not):
            return f"¬({render(item.part, False)})"
        joiner = " ∧ " if isinstance(item, All) else " ∨ "
        text = joiner.join(sorted(render(part, False) for part in item.parts))
        return text if top else f"({text})"

    text = render(condition, True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def history_text(history: tuple[str, ...] | list[str]) -> str:
    return f"[{', '.join(history)}]"


def result_to_dict(result: PropertyResult, counterexamples: bool = True,
                   strategy_entries: int = MAX_STRATEGY_ENTRIES) -> dict[str, Any]:
    data: dict[str, Any] = {
        "history": list(result.history),
        "property": result.property,
        "verdict": result.verdict,
        "seconds": round(result.seconds, 6),
        "rounds": result.rounds,
    }
    if result.reason:
        data["reason"] = result.reason
    if result.verdict == "holds":
        data["witnesses"] = [
            {
                "case": condition_text(case.region),
                "strategy": case.strategy.describe(limit=strategy_entries),
                "strategy_decisions": case.strategy.decision_count(),
            }
            for case in result.cases
        ]
    if result.verdict == "fails" and counterexamples and result.counterexample is not None:
        data["counterexample"] = result.counterexample.as_dict()
    if result.details and result.verdict == "fails":
        data["details"] = result.details
    return data


def region_to_dict(region: Region) -> dict[str, Any]:
    data: dict[str, Any] = {
        "region": format_expression(region.expression),
        "sympy": str(region.expression),
        "z3": str(region.z3_expression),
        "symbols": list(region.symbols),
        "holding_cases": len(region.cases),
        "failing_cells": region.failure_cells,
        "infinitesimals_eliminated": region.infinitesimals_eliminated,
        "verified": region.verified,
        "verification": region.verification,
        "seconds": round(region.seconds, 6),
    }
    if region.counterexample_outside is not None:
        data["counterexample_outside"] = region.counterexample_outside.as_dict()
    if region.notes:
        data["notes"] = region.notes
    return data


def game_summary(game: Game) -> str:
    return (f"{game.name}: {count_nodes(game.tree)} nodes, {len(game.players)} players, "
            f"{len(game.constants)} constants, {len(game.infinitesimals)} infinitesimals, "
            f"{len(game.honest_histories)} honest histories")


def results_table(results: list[PropertyResult]) -> str:
    rows = [("history", "property", "verdict", "cases", "seconds")]
    for result in results:
        cases = str(len(result.cases)) if result.verdict == "holds" else "-"
        rows.append((history_text(result.history), result.property, result.verdict, cases, f"{result.seconds:.3f}"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def counterexample_text(result: PropertyResult) -> str:
    example = result.counterexample
    if example is None:
        return ""
    values = ", ".join(f"{name}={value}" for name, value in example.parameters.items())
    return "\n".join([
        f"  {history_text(result.history)} {result.property} fails at {values}",
        f"    {example.explanation}",
        f"    deviation by {', '.join(example.players)}: {history_text(example.deviation)} -> "
        f"payoff of {', '.join(example.payoff_of)}: {example.deviation_payoff} ({example.deviation_payoff_term})",
        f"    compared with: {history_text(example.honest_play)} -> payoff {example.honest_payoff} "
        f"({example.honest_payoff_term})",
    ])


def region_text(result_history: tuple[str, ...], property_name: str, region: Region) -> str:
    status = "verified" if region.verified else region.verification
    lines = [f"  {history_text(result_history)} {property_name} holds iff {format_expression(region.expression)}",
             f"    ({len(region.cases)} holding cases, {region.failure_cells} failing cells; {status})"]
    lines.extend(f"    note: {note}" for note in region.notes)
    return "\n".join(lines)
