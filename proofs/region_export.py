"""The synthesised incentive regions, exported for the reference chaincode to enforce.

:func:`proofs.incentives.analysis.analyse` gives, per game shape (owners, vendors, steps), the exact
region where each incentive property of the protocol (docs/protocol.md) holds: a conjunction of polynomial inequalities
over the game's constants. This module rewrites every condition of those regions in the
quantities the reference chaincode knows when a job is requested (the formula language of
``reference/chaincode/params.json``) and writes them, shape by shape, to
``reference/chaincode/regions.json``. The chaincode then refuses a job of an analysed
shape whose stakes or bonds fall outside the region.

The game gives every dataset one price ``P`` and misuse value ``W = K*q`` and every vendor
one fee ``F`` and cost ``C``. In the chaincode's quantities (``P``, ``W`` summed over the
job's datasets, ``F_j``, ``C_j`` per vendor) the game's per-dataset price is ``P / N_d``,
its ``K`` is ``W / (q * N_d)``, and its fee and cost are ``F_j`` and ``C_j``. For jobs
whose datasets share one price and misuse value and whose vendors share one fee and cost
the exported formulas are exactly the proved regions; for other jobs they are the same
formulas applied per vendor, which nothing here proves.

Conditions the chaincode cannot check — they mention the model's value ``V``, known only
to the developer, or bound no stake or bond — are listed as ``not_enforceable`` with the
reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import sympy
from sympy.printing.str import StrPrinter

from proofs.incentives.formulas import SYMPY, positive_power_of_q, to_sympy
from proofs.incentives.regions import Region
from proofs.market_game import MarketGameShape

REGIONS_FORMAT = "aimarket/stake-regions/v1"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "reference" / "chaincode" / "regions.json"

REFERENCE = {name: sympy.Symbol(name) for name in ("P", "W", "F_j", "C_j", "q", "G", "Bv", "Ba", "Bd")}
STAKE_CODES = (("Bv", "STAKE_BELOW_MINIMUM"), ("Bd", "BOND_BELOW_MINIMUM"), ("Ba", "BOND_BELOW_MINIMUM"))


class ReferencePrinter(StrPrinter):
    """Prints with ``+ - * /`` and parentheses only: the chaincode's formula language has
    no powers, so ``q**2`` is written ``q*q``."""

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.as_base_exp()
        if exponent.is_Integer and exponent != 0:
            factor = self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Mul"], strict=True)
            power = "*".join([factor] * abs(int(exponent)))
            return power if exponent > 0 else f"1/({power})"
        raise ValueError(f"{expr} has a power the chaincode's formulas cannot write")


def reference_text(expression: sympy.Expr) -> str:
    return ReferencePrinter().doprint(expression)


def in_reference_quantities(expression: sympy.Expr, shape: MarketGameShape) -> sympy.Expr:
    """A game expression in the chaincode's quantities (see the module docstring)."""
    n = shape.data_owners
    q = REFERENCE["q"]
    return expression.subs({
        SYMPY["P"]: REFERENCE["P"] / n, SYMPY["K"]: REFERENCE["W"] / (q * n),
        SYMPY["F"]: REFERENCE["F_j"], SYMPY["C"]: REFERENCE["C_j"], SYMPY["q"]: q,
        SYMPY["G"]: REFERENCE["G"], SYMPY["Bv"]: REFERENCE["Bv"], SYMPY["Ba"]: REFERENCE["Ba"],
        SYMPY["Bd"]: REFERENCE["Bd"]}, simultaneous=True)


def constraint(expression: sympy.Expr, shape: MarketGameShape) -> tuple[str, str] | str:
    """``expression >= 0`` (game constants) as ``(code, require)`` for the chaincode, or
    the reason it cannot be enforced."""
    if SYMPY["V"] in expression.free_symbols:
        return "mentions the model's value V, which only the developer knows"
    numerator, denominator = sympy.fraction(sympy.together(in_reference_quantities(expression, shape)))
    if not positive_power_of_q(denominator):
        numerator = numerator * denominator  # same sign as the fraction
    found = stake_requirement(numerator, positive_power_of_q, sympy.simplify)
    return found if found is not None else "bounds no stake or bond"


def stake_requirement(numerator: sympy.Expr, positive: Callable[[sympy.Expr], bool],
                      tidy: Callable[[sympy.Expr], sympy.Expr]) -> tuple[str, str] | None:
    """``numerator >= 0`` as ``(code, require)`` on the first stake or bond it mentions (in
    :data:`STAKE_CODES` order): ``stake >= bound`` when the stake's coefficient is
    ``positive`` (the bound written after ``tidy``), else the whole inequality; None when
    it mentions no stake or bond."""
    numerator = sympy.expand(numerator)
    for name, code in STAKE_CODES:
        stake = REFERENCE[name]
        if stake not in numerator.free_symbols:
            continue
        polynomial = sympy.Poly(numerator, stake)
        if polynomial.degree() == 1:
            coefficient, rest = polynomial.all_coeffs()
            if positive(coefficient):
                return code, f"{name} >= {reference_text(tidy(-rest / coefficient))}"
        return code, f"{reference_text(numerator)} >= 0"
    return None


def shape_entry(shape: MarketGameShape, regions: Sequence[Region]) -> dict:
    constraints: dict[str, dict] = {}
    unenforceable: dict[str, dict] = {}
    for region in regions:
        source = f"{region.property} ({region.subject})"
        for condition in region.conditions:
            expression = to_sympy(condition.difference)
            result = constraint(expression, shape)
            if isinstance(result, str):
                text = f"{reference_text(sympy.factor(expression))} >= 0"
                entry = unenforceable.setdefault(text, {"require": text, "reason": result, "from": []})
            else:
                code, text = result
                entry = constraints.setdefault(text, {"name": source, "code": code, "require": text,
                                                      "from": []})
            if source not in entry["from"]:
                entry["from"].append(source)
    ordered = sorted(constraints.values(), key=lambda entry: entry["require"])
    minimum = {}
    for stake, _ in STAKE_CODES:
        bounds = [entry["require"].removeprefix(f"{stake} >= ") for entry in ordered
                  if entry["require"].startswith(f"{stake} >= ")]
        minimum[stake] = f"max({', '.join(['0', *bounds])})" if bounds else "0"
    return {"datasets": shape.data_owners, "vendors": shape.vendors, "steps": shape.steps,
            "minimum_stakes": minimum,
            "constraints": ordered,
            "not_enforceable": sorted(unenforceable.values(), key=lambda entry: entry["require"])}


def export_document(analysed: Sequence[tuple[MarketGameShape, Sequence[Region]]]) -> dict:
    return {
        "format": REGIONS_FORMAT,
        "generator": "aimarket regions (proofs/region_export.py) from the incentive proofs; "
                     "do not edit by hand",
        "assumes": "the datasets of a job share one price and misuse value and its vendors one "
                   "fee and cost (the analysed games); participation: V >= P + F, F_j >= C_j, "
                   "0 < q <= 1, every amount >= 0",
        "shapes": [shape_entry(shape, regions) for shape, regions in analysed],
    }


def document_text(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


def write_document(document: dict, path: Path = DEFAULT_PATH) -> None:
    """Write atomically: a failure leaves the old file whole."""
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(document_text(document), encoding="utf-8")
    staging.replace(path)


def is_current(document: dict, path: Path = DEFAULT_PATH) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == document_text(document)
