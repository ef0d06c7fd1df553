"""Synthesised stake regions: per job shape, the exact conditions the incentive proofs found.

The incentive analysis solves small games — a job with a given number of datasets,
vendors and training steps — and synthesises, per shape, the region of stakes and bonds
in which every incentive property holds. ``aimarket regions`` exports those regions to
``reference/chaincode/regions.json`` (generated; never edited by hand)::

    {"format": "aimarket/stake-regions/v1", "generator": "...", "assumes": "...",
     "shapes": [{"datasets": 1, "vendors": 2, "steps": 2,
                 "constraints": [{"name": ..., "code": "STAKE_BELOW_MINIMUM",
                                  "require": "Bv >= P + F_j + W/q", "from": [...]}, ...],
                 "not_enforceable": [{"require": ..., "reason": ..., "from": [...]}]}]}

A ``general`` section (after ``shapes``) holds the region the proofs give for *every*
job shape — constraints in the counts ``N_d``, ``N_v`` and ``R`` besides the job's amounts —
and the analysed shapes it was cross-checked on. Every job must meet it, whatever its
shape (checked after its shape's region, if any), provided every vendor's fee covers its
declared cost (the proofs' participation constraint; see ``general_applies``). Its sums
``F`` and ``C`` are the vendors' fees and costs in all, as in the parameters file, so for
any such job the spec's stated rule implies it.

``require`` is written in the formula language of :mod:`.rules` over the same quantities
as the parameters file. A job whose number of datasets, number of vendors and steps are
those of a shape must meet every constraint of that shape too (checked after the
parameters file's constraints and the safety floor, with the constraint's code); jobs of
other shapes are checked against the parameters file only. ``not_enforceable`` entries
mention what the ledger cannot know (the model's value) and are ignored here; ``from``
lists the properties a constraint comes from and is informative only.

The games give every dataset of a job one price and misuse value and every vendor one fee
and cost: for such jobs the formulas are exactly the proved regions; for others they are
the same formulas applied per vendor, which the proofs do not cover.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reference.chaincode.rules import (
    JOB_QUANTITIES,
    VENDOR_QUANTITIES,
    Constraint,
    JobTerms,
    RulesError,
    StakeRules,
    make_constraint,
    names_in,
    parse_expression,
)

REGIONS_FORMAT = "aimarket/stake-regions/v1"
DEFAULT_REGIONS_PATH = Path(__file__).with_name("regions.json")

EMPTY_REGIONS_DOCUMENT: dict[str, Any] = {
    "format": REGIONS_FORMAT,
    "generator": "none: no regions file was found",
    "assumes": "",
    "shapes": [],
}
"""What a market without a regions file enforces: no shape, only the parameters file."""

_TOP_FIELDS = ("format", "generator", "assumes", "shapes")
_TOP_OPTIONAL = ("general",)
_GENERAL_FIELDS = ("statement", "constraints")
_GENERAL_OPTIONAL = ("cross_checked",)
_SHAPE_FIELDS = ("datasets", "vendors", "steps", "constraints")
_SHAPE_OPTIONAL = ("not_enforceable", "minimum_stakes")
_STAKES = ("Bv", "Bd", "Ba")
_COUNTS = ("datasets", "vendors", "steps")


@dataclass(frozen=True)
class ShapeRegion:
    """The synthesised region of one job shape."""

    datasets: int
    vendors: int
    steps: int
    constraints: tuple[Constraint, ...]

    @property
    def key(self) -> tuple[int, int, int]:
        return self.datasets, self.vendors, self.steps

    def describe(self) -> str:
        def count(number: int, noun: str) -> str:
            return f"{number} {noun}" + ("" if number == 1 else "s")
        return (f"{count(self.datasets, 'dataset')}, {count(self.vendors, 'vendor')}, "
                f"{count(self.steps, 'step')}")


@dataclass(frozen=True)
class StakeRegions:
    """Every exported shape, by (datasets, vendors, steps), and the general region that
    every job must lie in."""

    shapes: tuple[ShapeRegion, ...]
    generator: str = ""
    assumes: str = ""
    general: tuple[Constraint, ...] = ()
    """The general region (any shape), in the counts ``N_d``, ``N_v`` and ``R``."""

    def region_for(self, datasets: int, vendors: int, steps: int) -> ShapeRegion | None:
        return next((shape for shape in self.shapes
                     if shape.key == (datasets, vendors, steps)), None)

    def applicable(self, terms: JobTerms) -> ShapeRegion | None:
        """The region a job of these terms must lie in, if any: one of its shape, for a
        job inside the proofs' scope — its datasets share one price and misuse value and
        its vendors one fee and cost. Outside that scope nothing is proved, so nothing
        beyond the parameters file is enforced."""
        uniform = all(len(set(values)) <= 1 for values in
                      (terms.prices, terms.misuse_values, terms.fees, terms.costs))
        if not uniform:
            return None
        return self.region_for(len(terms.prices), len(terms.fees), terms.steps)

    @staticmethod
    def general_applies(terms: JobTerms) -> bool:
        """Whether the general region binds a job: the proofs assume every vendor's fee
        covers its declared cost (the participation constraint ``F_j >= C_j``); a job
        outside that scope is checked against the parameters file only."""
        return all(fee >= cost for fee, cost in zip(terms.fees, terms.costs))

    def constraints_for(self, terms: JobTerms) -> tuple[Constraint, ...]:
        """The constraints a job of these terms must meet besides the parameters file's:
        its shape's region and the general region, where they apply."""
        region = self.applicable(terms)
        general = self.general if self.general_applies(terms) else ()
        return (() if region is None else region.constraints) + general

    def first_failure(self, rules: StakeRules,
                      terms: JobTerms) -> tuple[ShapeRegion | None, Constraint] | None:
        """The first constraint the job's terms break, or None: first its shape's region
        (in file order; when one applies, see :meth:`applicable`), then the general region,
        which applies to every job (the region is then None). ``rules`` gives the market
        constants G and q."""
        region = self.applicable(terms)
        if region is not None:
            checked = StakeRules(rules.dispute_cost, rules.audit_probability, region.constraints,
                                 rules.source)
            failure = checked.first_failure(terms)
            if failure is not None:
                return region, failure
        if not self.general_applies(terms):
            return None
        general = StakeRules(rules.dispute_cost, rules.audit_probability, self.general, rules.source)
        failure = general.first_failure(terms)
        return None if failure is None else (None, failure)


def refusal_reason(region: ShapeRegion | None, constraint: Constraint) -> str:
    """The refusal message for a job outside the synthesised region of its shape, or
    (``region`` None) outside the general region."""
    if region is None:
        return (f"general incentive region (every shape): {constraint.name}: "
                f"{constraint.text} does not hold")
    return (f"synthesised incentive region of shape {region.describe()} "
            f"(datasets, vendors, steps = {region.datasets}, {region.vendors}, "
            f"{region.steps}): {constraint.name}: {constraint.text} does not hold")


def _string_list(value: Any, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RulesError(f"{where}: must be a list of strings")


def _check_fields(value: dict[str, Any], where: str, required: tuple[str, ...],
                  optional: tuple[str, ...] = ()) -> None:
    missing = [name for name in required if name not in value]
    if missing:
        raise RulesError(f"{where}missing fields {missing}")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        raise RulesError(f"{where}unknown fields {unknown}")


def _shape(value: Any, position: int) -> ShapeRegion:
    where = f"shapes[{position}]"
    if not isinstance(value, dict):
        raise RulesError(f"{where}: must be an object with {', '.join(_SHAPE_FIELDS)}")
    _check_fields(value, f"{where}: ", _SHAPE_FIELDS, _SHAPE_OPTIONAL)
    counts = []
    for name in _COUNTS:
        count = value[name]
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise RulesError(f"{where}.{name}: must be a whole number >= 1, got {count!r}")
        counts.append(count)
    constraints = value["constraints"]
    if not isinstance(constraints, list):
        raise RulesError(f"{where}.constraints: must be a list")
    parsed = []
    for index, item in enumerate(constraints):
        parsed.append(make_constraint(item, index, within=f"{where}.",
                                      optional=frozenset({"from"})))
        if "from" in item:
            _string_list(item["from"], f"{where}.constraints[{index}].from")
    minimum = value.get("minimum_stakes", {})
    if not isinstance(minimum, dict) or set(minimum) - set(_STAKES):
        raise RulesError(f"{where}.minimum_stakes: must be an object whose keys are among {_STAKES}")
    for stake, text in minimum.items():
        if not isinstance(text, str):
            raise RulesError(f"{where}.minimum_stakes.{stake}: must be a formula (string)")
        try:
            expression = parse_expression(text)
        except RulesError as problem:
            raise RulesError(f"{where}.minimum_stakes.{stake}: {problem}") from None
        unknown = names_in(expression) - set(JOB_QUANTITIES) - set(VENDOR_QUANTITIES)
        if unknown:
            raise RulesError(f"{where}.minimum_stakes.{stake}: unknown quantities {sorted(unknown)}")
    unenforceable = value.get("not_enforceable", [])
    if not isinstance(unenforceable, list):
        raise RulesError(f"{where}.not_enforceable: must be a list")
    for index, item in enumerate(unenforceable):
        entry = f"{where}.not_enforceable[{index}]"
        if not isinstance(item, dict):
            raise RulesError(f"{entry}: must be an object with require and reason")
        _check_fields(item, f"{entry}: ", ("require", "reason"), ("from",))
        if not isinstance(item["require"], str) or not item["require"].strip():
            raise RulesError(f"{entry}.require: must be a non-empty string")
        if not isinstance(item["reason"], str):
            raise RulesError(f"{entry}.reason: must be a string")
        if "from" in item:
            _string_list(item["from"], f"{entry}.from")
    return ShapeRegion(counts[0], counts[1], counts[2], tuple(parsed))


def _general(value: Any) -> tuple[Constraint, ...]:
    """The ``general`` section: a statement, the constraints (with ``from``), and the
    analysed shapes it was cross-checked on (informative only)."""
    if not isinstance(value, dict):
        raise RulesError(f"general: must be an object with {', '.join(_GENERAL_FIELDS)}")
    _check_fields(value, "general: ", _GENERAL_FIELDS, _GENERAL_OPTIONAL)
    if not isinstance(value["statement"], str):
        raise RulesError("general.statement: must be a string")
    constraints = value["constraints"]
    if not isinstance(constraints, list):
        raise RulesError("general.constraints: must be a list")
    parsed = []
    for index, item in enumerate(constraints):
        parsed.append(make_constraint(item, index, within="general.", optional=frozenset({"from"})))
        if "from" in item:
            _string_list(item["from"], f"general.constraints[{index}].from")
    checked = value.get("cross_checked", [])
    if not isinstance(checked, list) or not all(isinstance(item, dict) for item in checked):
        raise RulesError("general.cross_checked: must be a list of objects")
    return tuple(parsed)


def regions_from_json_value(value: Any) -> StakeRegions:
    """Validate a regions document (the content of ``regions.json``)."""
    if not isinstance(value, dict):
        raise RulesError("the regions file must hold a JSON object")
    if "format" in value and value["format"] != REGIONS_FORMAT:
        raise RulesError(f"format: must be {REGIONS_FORMAT!r}, got {value['format']!r}")
    _check_fields(value, "", _TOP_FIELDS, _TOP_OPTIONAL)
    for name in ("generator", "assumes"):
        if not isinstance(value[name], str):
            raise RulesError(f"{name}: must be a string")
    shapes = value["shapes"]
    if not isinstance(shapes, list):
        raise RulesError("shapes: must be a list")
    parsed: list[ShapeRegion] = []
    for position, item in enumerate(shapes):
        shape = _shape(item, position)
        earlier = next((index for index, other in enumerate(parsed) if other.key == shape.key), None)
        if earlier is not None:
            raise RulesError(f"shapes[{position}]: the shape {shape.describe()} is also "
                             f"shapes[{earlier}]")
        parsed.append(shape)
    general = _general(value["general"]) if "general" in value else ()
    return StakeRegions(tuple(parsed), value["generator"], value["assumes"], general)


def _read(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RulesError(f"{path}: not JSON ({error})") from None


def load_regions_document(path: str | Path = DEFAULT_REGIONS_PATH) -> dict[str, Any]:
    """The regions file as a JSON value, validated (what ``init_market`` records). The
    default file may be missing: the market then enforces no region
    (:data:`EMPTY_REGIONS_DOCUMENT`); a missing file named explicitly is an error."""
    if not Path(path).exists():
        if Path(path).resolve() == DEFAULT_REGIONS_PATH.resolve():
            return json.loads(json.dumps(EMPTY_REGIONS_DOCUMENT))
        raise RulesError(f"{path}: no such regions file")
    value = _read(path)
    try:
        regions_from_json_value(value)
    except RulesError as error:
        raise RulesError(f"{path}: {error}") from None
    return value


def load_regions(path: str | Path = DEFAULT_REGIONS_PATH) -> StakeRegions:
    """Read and validate a regions file (see :func:`load_regions_document`)."""
    return regions_from_json_value(load_regions_document(path))
