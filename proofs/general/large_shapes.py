"""The every-shape results with more analysed shapes than ``make check`` affords.

``aimarket check --kind incentive`` derives the closed forms from the shapes it analyses
(:data:`proofs.incentives.report.SHAPES` and :data:`proofs.general.report.PREMISE_SHAPES`):
ten of the twelve promised families at degree two. The other two need shapes that take
minutes (decision 0115): the developer with owners and vendors needs a shape with several
owners and several vendors beyond 2 x 2 (3 x 3, :data:`proofs.incentives.report.LARGE_SHAPES`,
or 3 x 2), and owners alone — a region with no condition, so its degree-two test is that no
count polynomial of degree two in (n, m, R, j) vanishes at all its points — needs fifteen
unisolvent points, which :data:`DERIVATION_SHAPES` add. ``make check-large`` runs
:func:`every_shape_results_with` on all of them (``tests/incentives/test_large_shapes.py``).

The results are :func:`proofs.general.report.every_shape_results` on every shape given,
each family's ``derivation`` entry also saying the degree the ``make check`` shapes alone
fix (``degree_from_check_shapes``), which added shapes gave it points
(``added_shapes``) and, where the added shapes raised the degree, those it cannot do
without (``needed_shapes``: leaving any one out lowers the degree): which shapes fixed what.
"""

from __future__ import annotations

from collections.abc import Sequence

from proofs.general.export import counted
from proofs.general.closed_form import FAMILIES, PER_OUTCOME
from proofs.general.interpolation import derive, derive_all, shape_name
from proofs.general.report import every_shape_results
from proofs.market_game import MarketGameShape
from proofs.results import CheckResult

DERIVATION_SHAPES = (MarketGameShape(data_owners=2, vendors=1, steps=8),
                     MarketGameShape(data_owners=4, vendors=1, steps=2),
                     MarketGameShape(data_owners=2, vendors=2, steps=4),
                     MarketGameShape(data_owners=3, vendors=2, steps=2))
"""Shapes analysed for the derivation only (``make check-large``): with the ``make check``
shapes and 3 x 3 at T = 2 and 8 they give owners alone fifteen points fixing every
polynomial of degree two in (n, m, R, j) — the cheapest four such shapes among those with
up to 4 owners and 2 vendors — and the developer with owners and vendors a second shape
with several of each beyond 2 x 2."""

Analysed = Sequence[tuple[MarketGameShape, Sequence]]


def label(shape: MarketGameShape) -> str:
    return shape_name(shape.data_owners, shape.vendors, shape.steps)


def every_shape_results_with(analysed: Analysed, added: Analysed) -> list[CheckResult]:
    """The every-shape results over ``analysed`` (the ``make check`` shapes) and ``added``,
    each family's derivation saying what the added shapes changed."""
    results = every_shape_results(counted([*analysed, *added]))
    before = {(d.family.property, d.family.subject, d.family.per_outcome): d for d in derive_all(counted(analysed))}
    names = [label(shape) for shape, _ in added]
    for result in results:
        derivation = result.data.get("derivation")
        if derivation is None:
            continue
        derivation["added_shapes"] = names
        entries = [(entry, False) for entry in derivation["families"]]
        entries += [(entry, True) for entry in result.data.get("per_outcome", {}).get("derivation", [])]
        for entry, per_outcome in entries:
            earlier = before[(result.name, entry["subject"], per_outcome)]
            entry["degree_from_check_shapes"] = earlier.degree if earlier.derived else None
            entry["added_shapes"] = [name for name in entry["shapes"] if name in names]
            if entry["derived"] and (not earlier.derived or earlier.degree < entry["degree"]):
                entry["needed_shapes"] = needed(result.name, entry["subject"], per_outcome, analysed, added,
                                                entry["degree"])
    return results


def needed(name: str, subject: str, per_outcome: bool, analysed: Analysed, added: Analysed,
           degree: int) -> list[str]:
    """The added shapes without any one of which the family is no longer derived at ``degree``."""
    family = next(family for family in FAMILIES + PER_OUTCOME if family.property == name
                  and family.subject == subject and family.per_outcome == per_outcome)
    missing = []
    for index, (shape, _) in enumerate(added):
        rest = [*added[:index], *added[index + 1:]]
        derivation = derive(family, counted([*analysed, *rest]))
        if not derivation.derived or derivation.degree < degree:
            missing.append(label(shape))
    return missing
