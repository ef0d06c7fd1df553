"""The theorem for every shape as ``aimarket check`` results (``instance: "every shape"``).

One result per property — ``truthful_reporting``, ``dominance_solvability``,
``weak_immunity``, ``collusion_resilience`` — that *holds* when (a) Z3 proves, for all
counts, that the spec's stake rule lies inside the closed-form region of every family of
the property (every role, every coalition composition) and (b) every closed form of the
property is equivalent to the exact region of the per-shape analysis on every analysed
shape. Otherwise it *fails*, naming the smallest shape where the rule leaves a region
(with the point) or the analysed shape where a closed form disagrees. The weak-immunity
result also carries the per-outcome notion (not promised, decision 0050): its families,
and for each the smallest shape where the rule leaves it. One more result,
``general_region``, says the exported general region is the intersection of the exact
regions on every analysed shape and contains the spec's rule for all counts.

Each property result also says (``count_game``) which of its families are derived for all
counts from the game with symbolic counts (:mod:`proofs.general.count_game`,
:mod:`proofs.general.count_proof`) and cross-checked on the analysed shapes, and,
family by family, whether the closed form is *derived*
from the analysed shapes (:mod:`proofs.general.interpolation`: the unique region with
coefficients affine in the counts that agrees with the exact conditions there) and what
that assumes (the regions stay affine in the counts beyond the analysed shapes), with the
degree-two count terms no analysed shape tests. The derivation does not decide whether a
result holds: it says how far beyond the analysed shapes the closed forms are the game's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import sympy

from proofs.market_game import MarketGameShape
from proofs.results import CheckResult
from proofs.general.closed_form import FAMILIES, PER_OUTCOME, Family
from proofs.general.count_proof import CountDerivation, count_game_results
from proofs.general.export import general_section, rule_inside_general
from proofs.general.interpolation import Derivation, derive_all
from proofs.general.theorem import Agreement, Verdict, cross_check, prove

PREMISE_SHAPES = (MarketGameShape(data_owners=2, vendors=1, steps=4),)
"""Shapes analysed for the every-shape results only (not exported per shape): the smallest
with several owners and several rounds. With it the analysed shapes fix every family but
two (the developer with owners and vendors, and owners alone, whose region has no
condition) among
regions whose coefficients are polynomials of degree two in the counts, so the affine form
is derived there rather than assumed (:mod:`proofs.general.interpolation`)."""

PROPERTIES = ("truthful_reporting", "dominance_solvability", "weak_immunity", "collusion_resilience")
EVERY_SHAPE = "every shape"
SCOPE = ("proved by Z3 for all n >= 1 owners, m >= 1 vendors, T >= 2 steps: the spec's stake rule "
         "lies inside the closed-form regions; the closed forms are checked equal to the exact "
         "per-shape regions on every analysed shape, and interpolated from them in the counts "
         "(proofs.general.interpolation); the families under count_game.derived_for_all_counts are "
         "derived from a game with symbolic counts for all counts (proofs.general.count_game), the "
         "count game checked equal to the exact regions on every analysed shape; for the other "
         "families assumed, not proved: that every region's coefficients stay affine in the counts "
         "beyond the analysed shapes")


def family_text(family: Family) -> str:
    conditions = " & ".join(str(sympy.Ge(condition, 0)) for condition in family.conditions)
    return conditions or "true"


def verdict_data(verdict: Verdict) -> dict:
    return {"subject": verdict.family.subject, "region": family_text(verdict.family),
            "proved": verdict.holds, "seconds": round(verdict.seconds, 3),
            "smallest_failure": verdict.counterexample}


def shape_label(shape: dict) -> str:
    return f"{shape['owners']} owner(s), {shape['vendors']} vendor(s), T={shape['steps']}"


def derivation_text(derivations: Sequence[Derivation]) -> str:
    """What the interpolation says about these families (see :mod:`proofs.general.interpolation`)."""
    derived = [d for d in derivations if d.derived]
    quadratic = [d for d in derived if d.degree == 2]
    text = (f"beyond them, {len(derived)} of {len(derivations)} closed forms are derived from the analysed "
            f"shapes (interpolated from their exact conditions, {sum(d.spare for d in derived)} spare points "
            f"agreeing): {len(quadratic)} are the only regions with coefficients of degree <= 2 in the counts "
            f"that agree there, {len(derived) - len(quadratic)} the only ones with affine coefficients; "
            f"assumed, not proved: that the regions keep such coefficients and their conditions beyond the "
            f"analysed shapes")
    missing = [d for d in derivations if not d.derived]
    if missing:
        text += "; not derived (read off): " + "; ".join(f"{d.family.subject} ({d.reason})" for d in missing)
    return text


def count_game_data(name: str, count_game: dict) -> tuple[dict, str, str | None]:
    """What the count game (:mod:`proofs.general.count_game`) says about property ``name``: the
    ``count_game`` entry of the result, a sentence for its detail, and why it fails (None: it
    does not). A family the count game covers fails the property if the region derived for
    all counts is not the closed form, or if the count game disagrees with the exact region
    on an analysed shape (the count game would then not be the spec's game)."""
    mine: list[CountDerivation] = [d for d in count_game["derivations"] if d.name == name]
    covered = {d.subject for d in mine}
    promised = [family.subject for family in FAMILIES if family.property == name]
    derived = [d.subject for d in mine if d.derived and d.faithful and count_game["misuse_lemma"]]
    rest = [subject for subject in promised if subject not in covered]
    data = {"families": [d.to_json() for d in mine], "derived_for_all_counts": derived,
            "not_derived": rest, "misuse_lemma": count_game["misuse_lemma"],
            "assumed": ("that the count game is the spec's game beyond the analysed shapes; checked on "
                        "every analysed shape (cross_check), region by region") if mine else None}
    failing = next((d for d in mine if d.subject not in derived), None)
    why = None
    if failing is not None:
        wrong = next((a for a in failing.agreements if not a["agrees"]), None)
        why = (f"the count game for {failing.subject} differs from the exact region at "
               f"{wrong['owners']} owner(s), {wrong['vendors']} vendor(s), T={wrong['steps']}"
               if wrong is not None else
               f"no analysed shape checks the count game for {failing.subject}" if not failing.agreements else
               f"the count game's region for {failing.subject} is not its closed form for all counts "
               f"({failing.differences[:1] or 'a lemma was not proved'})")
    text = (f"derived from the count game for all counts (no premise on the regions' form): "
            f"{', '.join(derived) or 'none'}; not derived from a count game (closed form read off, "
            f"interpolated): {', '.join(rest) or 'none'}")
    if promised and set(derived) == set(promised):
        text += ("; so for this property the premise is not needed: every family is derived from the "
                 "count game, which is assumed to be the spec's game beyond the analysed shapes (checked "
                 "on each of them)")
    return data, text, why


def property_result(name: str, verdicts: Sequence[Verdict], agreements: Sequence[Agreement],
                    shapes: int, derivations: Sequence[Derivation] = (),
                    count_game: dict | None = None) -> CheckResult:
    mine = [verdict for verdict in verdicts if verdict.family.property == name and not verdict.family.per_outcome]
    promised = [d for d in derivations if d.family.property == name and not d.family.per_outcome]
    checked = [agreement for agreement in agreements if agreement.property == name and not agreement.per_outcome]
    failed = [verdict for verdict in mine if not verdict.holds]
    disagree = [agreement for agreement in checked if not agreement.agrees]
    # every closed form must meet at least one exact region (else nothing checks it)
    unchecked = sorted({v.family.subject for v in mine} - {a.family for a in checked if a.agrees})
    holds = bool(mine) and not failed and not disagree and not unchecked
    if failed:
        first = failed[0]
        detail = (f"fails: the spec's stake rule leaves the region of {first.family.subject} at "
                  f"{shape_label(first.counterexample)}, e.g. {first.counterexample['at']}"
                  if first.counterexample else f"fails: Z3 found no proof for {first.family.subject}")
    elif unchecked:
        detail = f"fails: no analysed shape checks the closed form for {unchecked[0]}"
    elif disagree:
        differing = disagree[0]
        detail = (f"fails: the closed form for {differing.subject} differs from the exact region at "
                  f"{differing.shape[0]} owner(s), {differing.shape[1]} vendor(s), {differing.shape[2]} round(s)")
    else:
        detail = (f"holds for every shape, under the premise stated last: the spec's stake rule lies "
                  f"inside the closed-form region of each of {len(mine)} subject classes "
                  f"({', '.join(v.family.subject for v in mine)}), "
                  f"proved by Z3 for all counts; {len(checked)} exact regions of {shapes} analysed shapes "
                  f"equal their closed forms; " + derivation_text(promised))
    data: dict = {"scope": SCOPE, "families": [verdict_data(verdict) for verdict in mine],
                  "cross_check": {"regions": len(checked), "shapes": shapes,
                                  "disagreements": [vars(agreement) for agreement in disagree],
                                  "unchecked_families": unchecked},
                  "derivation": {"assumed": "beyond the analysed shapes, every region has the same conditions "
                                            "with coefficients polynomial in the counts n, m, R (and j, k) "
                                            "of at most the family's degree (2: quadratic terms are tested "
                                            "by the analysed shapes; 1: affine, unseen_degree_two lists "
                                            "what no analysed shape tests)",
                                 "families": [d.to_json() for d in promised]}}
    if count_game is not None:
        data["count_game"], text, why = count_game_data(name, count_game)
        detail += "; " + text
        if why is not None and holds:
            holds, detail = False, f"fails: {why}; " + detail
    if name == "dominance_solvability":
        detail += ("; ties on the honest path are checked per analysed shape (dominance_solvability "
                   "results of each shape), not for every shape")
    if name == "weak_immunity":
        outcome = [verdict for verdict in verdicts if verdict.family.per_outcome]
        outcome_checked = [agreement for agreement in agreements if agreement.per_outcome]
        broken = [verdict for verdict in outcome if not verdict.holds]
        data["per_outcome"] = {
            "promised": False, "families": [verdict_data(verdict) for verdict in outcome],
            "cross_check": {"regions": len(outcome_checked),
                            "disagreements": [vars(a) for a in outcome_checked if not a.agrees]},
            "derivation": [d.to_json() for d in derivations
                           if d.family.property == name and d.family.per_outcome]}
        detail += "; per outcome of nature (not promised): " + ("; ".join(
            f"fails for {verdict.family.subject} from {shape_label(verdict.counterexample)}"
            for verdict in broken if verdict.counterexample) or "holds for every role")
        holds = holds and all(agreement.agrees for agreement in outcome_checked)
    return CheckResult(name=name, kind="incentive", holds=holds, detail=detail, instance=EVERY_SHAPE,
                       seconds=sum(verdict.seconds for verdict in mine), data=data)


def general_region_result(section: dict, inside: bool, seconds: float) -> CheckResult:
    checked = section["cross_checked"]
    wrong = [entry for entry in checked if not entry["equals_intersection_of_regions"]]
    holds = inside and not wrong
    detail = (f"the general region ({len(section['constraints'])} constraints in N_d, N_v, R) contains the "
              f"spec's stake rule for all counts (Z3) and equals the intersection of the exact regions "
              f"on all {len(checked)} analysed shapes" if holds else
              ("the spec's stake rule is not inside the general region" if not inside else
               f"the general region differs from the exact regions at {wrong[0]}"))
    return CheckResult(name="general_region", kind="incentive", holds=holds, detail=detail,
                       instance=EVERY_SHAPE, seconds=seconds,
                       data={"constraints": [entry["require"] for entry in section["constraints"]],
                             "cross_checked": checked})


def every_shape_results(analysed: Sequence[tuple[tuple[int, int, int, int], Sequence]]) -> list[CheckResult]:
    """The results for every shape; ``analysed``: ((owners, vendors, steps, rounds),
    regions) per shape the per-shape analysis reached."""
    started = time.perf_counter()
    verdicts = prove(FAMILIES + PER_OUTCOME)
    agreements = [agreement for (owners, vendors, _, rounds), regions in analysed
                  for agreement in cross_check((owners, vendors, rounds), regions)]
    derivations = derive_all(analysed)
    count_game = count_game_results(analysed)
    results = [property_result(name, verdicts, agreements, len(analysed), derivations, count_game)
               for name in PROPERTIES]
    section = general_section(analysed)
    inside, seconds = rule_inside_general()
    results.append(general_region_result(section, inside, seconds))
    for result in results:
        result.data["seconds_every_shape"] = round(time.perf_counter() - started, 3)
    return results
