"""The incentive proofs as a check provider of ``aimarket check`` (``kind="incentive"``).

For each game shape in :data:`SHAPES` the marketplace game is derived from the spec and
every incentive property of the protocol (docs/protocol.md) is decided exactly (:func:`proofs.incentives.analysis.analyse`). A
result *holds* when the spec's own stake rule (``spec.params.stake_requirements``) lies
inside the exact region where the property holds — so the protocol as specified enjoys
the property for every parameter value it admits. The region itself, simplified, and a
counterexample for each of its conditions (parameter values, the deviation, both payoffs)
are part of the result; so is a check that the protocol's collusion example — a vendor and
the developer complaining falsely to get the data price back and training off-chain — is
found as a counterexample outside the region, at a vendor stake below the data price.
Each weak-immunity result is the promised notion (in expectation over nature) and also
carries the per-outcome region, its counterexamples and whether the stake rule lies
inside it (``per_outcome``, decision 0050); the dominance-solvability result lists its
ties and fails if a move paying its mover the honest payoff but someone else a different
one lies on the honest path.
Per shape, two more results: ``honest_play`` — the witness of every "holds", the honest
strategy profile, whose plays (one per outcome of nature) must end with the promised
payoffs — and ``minimum_stakes`` — property 5's closed form, the least stakes and bonds
for which every property holds, checked back by Z3 against the regions.
Then the theorem for every shape (:mod:`proofs.general`): one result per property whose
instance is ``"every shape"``, cross-checked against the shapes just analysed.
Last, the regions are exported for the reference chaincode
(:mod:`proofs.region_export`); the check fails if the committed export is not the one
just synthesised.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import sympy

from proofs.general.export import counted, document_with_general
from proofs.general.report import PREMISE_SHAPES, every_shape_results
from proofs.incentives.analysis import analyse
from proofs.incentives.formulas import minimum_stakes, minimum_stakes_verified
from proofs.incentives.regions import Region
from proofs.incentives.solver import Solver
from proofs.market_game import CONSTANTS, MarketGameShape, participation_constraints
from proofs.game_build import build_market_game
from proofs.region_export import DEFAULT_PATH, is_current
from proofs.results import CheckContext, CheckProvider, CheckResult, ProviderReport

SHAPES = (MarketGameShape(data_owners=1, vendors=1, steps=2),
          MarketGameShape(data_owners=2, vendors=1, steps=2),
          MarketGameShape(data_owners=1, vendors=2, steps=2),
          MarketGameShape(data_owners=2, vendors=2, steps=2),
          MarketGameShape(data_owners=1, vendors=1, steps=4),
          MarketGameShape(data_owners=1, vendors=2, steps=4),
          MarketGameShape(data_owners=1, vendors=3, steps=2),
          MarketGameShape(data_owners=3, vendors=1, steps=2),
          MarketGameShape(data_owners=1, vendors=1, steps=8),
          MarketGameShape(data_owners=1, vendors=2, steps=8))
"""Jobs the incentive game plays: one to three data owners, one to three vendors, and a
dispute over two steps (one bisection round), four (two rounds) or eight (three). The
three-vendor game has 41,947 nodes; the fast build
(:func:`proofs.game_build.build_market_game`) writes it in about a second; the larger
shapes are :data:`LARGE_SHAPES`."""

LARGE_SHAPES = (MarketGameShape(data_owners=3, vendors=3, steps=2),
                MarketGameShape(data_owners=3, vendors=3, steps=8))
"""Shapes the per-shape analysis reaches but ``make check`` cannot afford (minutes each:
3 x 3 has 119 coalitions): analysed by ``make check-large`` and timed by ``make bench``
(decision 0097). Not exported to the chaincode nor cross-checked by ``proofs.general``."""


def shape_name(shape: MarketGameShape) -> str:
    return f"{shape.data_owners} owner(s), {shape.vendors} vendor(s), T={shape.steps}"


def region_result(region: Region, shape: MarketGameShape) -> CheckResult:
    inside = not region.rule_outside
    detail = (f"region: {region.formula}" if region.conditions else "holds for every parameter value")
    if not inside:
        detail += f"; the spec's stake rule admits points outside: {region.rule_outside[0]}"
    if not region.verified:
        detail += "; Z3 did NOT confirm the simplified formula equals the exact conditions"
    data = {"role": region.subject, "region": region.formula,
            "conditions": len(region.conditions), "comparisons": region.checked,
            "formula_verified": region.verified,
            "counterexamples": region.counterexamples, "rule_outside": region.rule_outside}
    holds = inside and region.verified
    if region.property == "dominance_solvability":
        # ties: moves paying their mover exactly the honest payoff are not eliminated; the
        # honest outcome is unique when every tie on the honest path is payoff-equivalent
        unequal = [tie for tie in region.ties if not tie["payoff_equivalent"]]
        on_path = [tie for tie in unequal if tie["on_honest_path"]]
        data["ties"] = {"moves": len(region.ties), "not_payoff_equivalent": unequal,
                        "not_payoff_equivalent_on_honest_path": on_path}
        detail += (f"; {len(region.ties)} tied moves (pay their mover exactly the honest payoff), "
                   f"{len(region.ties) - len(unequal)} payoff-equivalent for everyone, "
                   f"{len(unequal)} not (on the honest path: {len(on_path)})")
        holds = holds and not on_path
    if region.per_outcome is not None:
        # the protocol promises weak immunity in expectation over nature (this result);
        # the per-outcome notion is reported beside it, with its region and counterexamples
        per = region.per_outcome
        data["per_outcome"] = {"promised": False, "region": per.formula,
                               "formula_verified": per.verified, "rule_inside": not per.rule_outside,
                               "rule_outside": per.rule_outside, "counterexamples": per.counterexamples}
        detail += ("; per outcome of nature (not promised): "
                   + ("holds wherever the stake rule does" if not per.rule_outside else
                      f"region {per.formula}, outside the stake rule, e.g. {per.rule_outside[0]['at']}"))
        holds = holds and per.verified
    return CheckResult(
        name=f"{region.property} ({region.subject})", kind="incentive", holds=holds,
        detail=detail, instance=shape_name(shape), seconds=region.seconds, data=data)


def collusion_example(regions: list[Region], shape: MarketGameShape) -> CheckResult:
    """The protocol's collusion example must appear as a counterexample at a stake below the price."""
    found = []
    for region in regions:
        if region.property != "collusion_resilience" or set(region.subject.split("+")) != {"dev1", "vendor1"}:
            continue
        for example in region.counterexamples:
            plays = [step for play in example["deviating_play"] for step in play]
            point = example["at"]
            below_price = point and Fraction(point["Bv"]) < Fraction(point["P"])
            if any(step.startswith("complain_") for step in plays) and "train_offchain" in plays and below_price:
                found.append(example)
    return CheckResult(
        name="collusion_example_found", kind="incentive", holds=bool(found),
        detail=(f"developer+vendor1: false complaint then off-chain training pays at "
                f"Bv={found[0]['at']['Bv']} < P={found[0]['at']['P']}" if found else
                "the false-complaint collusion was not found outside the region"),
        instance=shape_name(shape), data={"counterexample": found[0] if found else None})


def minimum_stakes_result(regions: list[Region], shape: MarketGameShape) -> CheckResult:
    """Property 5's closed form: the least stakes and bonds for which every property holds."""
    minimum, other = minimum_stakes(regions)
    solver = Solver(CONSTANTS, participation_constraints(shape))
    verified = not other and minimum_stakes_verified(regions, minimum, solver)
    detail = "; ".join(f"{stake} >= {bound}" for stake, bound in minimum.items())
    if other:
        detail += "; and conditions on no single stake: " + " & ".join(other)
    if not verified:
        detail += "; Z3 did NOT confirm these minimums are exactly the intersection of the regions"
    return CheckResult(
        name="minimum_stakes", kind="incentive", holds=verified,
        detail=detail, instance=shape_name(shape),
        data={"minimum": {stake: str(bound) for stake, bound in minimum.items()}, "other": other,
              "verified": verified})


def leaf_at(tree: dict, history: list[str]) -> dict:
    node = tree
    for label in history:
        edges = node.get("children") or node.get("chance") or []
        node = next(edge["child"] for edge in edges if edge["action"] == label)
    return node


def honest_play_result(shape: MarketGameShape) -> CheckResult:
    """The witness of every "holds": the honest strategy profile. Its plays (one per
    outcome of nature) must end as the protocol promises: each owner earns its price,
    each vendor its fee less its cost, the developer the model's value less what it paid."""
    build = build_market_game(shape)
    n, m = shape.data_owners, shape.vendors
    promised = {"dev1": f"V - {n}*P - {m}*F", **{owner: "P" for owner in shape.instance.owner_names},
                **{vendor: "F - C" for vendor in shape.instance.vendor_names}}
    wrong = []
    for history in build.game["honest_histories"]:
        leaf = leaf_at(build.game["tree"], history)
        for item in leaf["utility"]:
            if sympy.simplify(sympy.sympify(item["value"]) - sympy.sympify(promised[item["player"]])) != 0:
                wrong.append({"history": history, "player": item["player"], "payoff": item["value"],
                              "promised": promised[item["player"]]})
    return CheckResult(
        name="honest_play", kind="incentive", holds=not wrong,
        detail=(f"the honest profile ({len(build.honest_strategy)} decision nodes) plays "
                f"{len(build.game['honest_histories'])} histories, one per outcome of nature, each "
                f"ending with the promised payoffs" if not wrong else f"honest play pays otherwise: {wrong[0]}"),
        instance=shape_name(shape),
        data={"honest_histories": build.game["honest_histories"], "promised": promised, "wrong": wrong})


def export_result(document: dict) -> CheckResult:
    """The regions the reference enforces must be the ones just proved."""
    current = is_current(document)
    constraints = sum(len(shape["constraints"]) for shape in document["shapes"])
    return CheckResult(
        name="regions_exported", kind="incentive", holds=current,
        detail=(f"{DEFAULT_PATH.name} holds the synthesised regions ({constraints} constraints "
                f"over {len(document['shapes'])} shapes)" if current else
                f"{DEFAULT_PATH} differs from the regions just synthesised; regenerate it with "
                f"`aimarket regions`"),
        instance="all shapes", data={"path": str(DEFAULT_PATH), "constraints": constraints})


def analyse_shapes(context: CheckContext | None = None,
                   announce: Callable[[MarketGameShape], None] | None = None
                   ) -> list[tuple[MarketGameShape, list[Region]]]:
    """Every shape of :data:`SHAPES` analysed, with progress shown through ``context`` (a
    check run) or ``announce`` (called before each shape)."""
    analysed = []
    for shape in SHAPES:
        if announce:
            announce(shape)
        task = context.progress.task(f"incentives {shape_name(shape)}", total=None) if context else None
        regions = analyse(shape, progress=(lambda title: task.update(description=f"incentives: {title}"))
                          if task else None)
        if task:
            task.done()
        analysed.append((shape, regions))
    return analysed


def run_incentives(context: CheckContext) -> ProviderReport:
    results: list[CheckResult] = []
    analysed = analyse_shapes(context)
    for shape, regions in analysed:
        results += [region_result(region, shape) for region in regions]
        results.append(honest_play_result(shape))
        results.append(minimum_stakes_result(regions, shape))
        results.append(collusion_example(regions, shape))
    # the theorem for every shape (proofs.general), cross-checked against these shapes
    task = context.progress.task("incentives: every shape (Z3)", total=None)
    premise = [(shape, analyse(shape)) for shape in PREMISE_SHAPES]  # for the interpolation only
    results += every_shape_results(counted(analysed + premise))
    task.done()
    results.append(export_result(document_with_general(analysed)))
    return ProviderReport(results)


PROVIDERS = [CheckProvider("incentives", "incentive", run_incentives)]
