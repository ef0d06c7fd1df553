"""Dominance solvability with symbolic counts (issue 17 item 1, decision 0131).

The per-shape analysis (:func:`proofs.incentives.properties.dominance_solvability`)
computes dominance solvability by its criterion: at *every* decision node of the game —
also the nodes only a deviation reaches — the honest move is at least as good for its
mover as every other move, with everyone playing honestly afterwards, expected over
nature. Only the mover's value after each move with honest play below matters, so this
module writes the market game for every shape as its decision-node classes: for each
mover (the developer, a vendor at position ``p`` among the m, an owner at position ``o``
among the n) and each state the others' earlier behaviour can lead to — described by
whole-number counts with ranges (:class:`proofs.general.count_game.Behaviour`: defective
datasets before it, vendors silent or lazy, rounds played) — the mover's value after its
honest move and after each other move, everyone honest afterwards. The conditions are the
differences, for every value of the counts (:class:`proofs.general.count_game.Quantified`);
:mod:`proofs.general.count_proof` eliminates the counts by its corner lemma, proves the
region the dominance-solvability closed form for all n, m, R, and cross-checks the
classes, counts enumerated, against the exact per-shape region.

The honest continuations follow :mod:`proofs.market_game` and the spec's payout rules:

* owners grant in name order; the honest vendor complains about the *first* defective
  dataset (``pay_defective_inputs``: the guilty owner loses its bond, the others get price
  and bond back, the complainant's dispute cost comes back to it); a found misuse is
  offered to the owners in turn, the first reports it (``pay_settlement`` with the misuser
  guilty: each owner gets K), so an owner's ignoring matters only when it is the last;
* vendors report inputs in name order; a vendor's silence before confirming convicts it
  at the deadline, and the others then settle with their fee (no computation); with a
  defective dataset a later vendor's true complaint ends the job first (stakes back);
* at delivery nature audits with probability q; the honest developer disputes the *last*
  lazy vendor in job order (decision 0031), so a vendor that submits lazily with honest
  vendors after it is the one disputed; a true claim is pursued for R rounds (the
  developer spends ``(R+1)*G``, ``spec.params.dispute_compensation``), a false one
  conceded by silence (the bond lost); an honest respondent is paid G per round answered;
* the off-chain deal goes to the holders in name order; one that trains pays the cost of
  the x parts not honestly computed (``spec.payoffs.offchain_training_cost``).

Model values that appear on both sides of a comparison (the model V when delivered, the
misuse values already taken, the payments fixed before the node) are kept where they
differ and written out otherwise, so every condition is the exact difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from proofs.general.closed_form import Bd, Bv, Ba, C, F, G, K, P, R, V, m, n, q
from proofs.general.count_game import Behaviour, Fresh, Quantified
from spec.params import dispute_compensation


@dataclass(frozen=True)
class Decision:
    """One class of decision nodes: ``mover`` decides at ``node`` for every value of
    ``behaviours`` (the state counts); ``honest`` is its honest move with the mover's value
    (everyone honest afterwards), ``others`` every other move with its value."""

    mover: str
    node: str
    behaviours: tuple[Behaviour, ...]
    honest: tuple[str, sympy.Expr]
    others: tuple[tuple[str, sympy.Expr], ...]


@dataclass(frozen=True)
class Variant:
    """The modelling choices a planted error changes (the default is the spec's game)."""

    disputed: str = "last"
    """Which lazy vendor the honest developer disputes: ``"last"`` (the spec) or ``"first"``."""
    misuse: bool = True
    """Whether a vendor may misuse the data before its input report."""
    dispute_rounds: sympy.Expr = R
    """How many rounds a true claim takes to its end."""


SPEC = Variant()


def owner_decisions(fresh: Fresh) -> list[Decision]:
    """An owner at position o grants (earlier owners granted, some maybe defective) and
    reports a found misuse (earlier owners ignored it)."""
    o_first = fresh("o", 1, n, "the owner's position, no earlier dataset defective")
    o_after = fresh("o", 2, n, "the owner's position, an earlier dataset defective")
    earlier = fresh("d", 1, o_after.symbol - 1, "earlier defective datasets")
    refused = sympy.Integer(0)
    decisions = [
        Decision("a data owner", "grant, no earlier dataset defective", (o_first,), ("grant", P),
                 (("grant_defective", -Bd), ("deny_access", refused), ("silent", refused))),
        # the vendors complain about the earlier defective dataset: this owner is paid
        Decision("a data owner", "grant, an earlier dataset defective", (o_after, earlier), ("grant", P),
                 (("grant_defective", P), ("deny_access", refused), ("silent", refused))),
    ]
    # a found misuse (u misuses so far, each costing every owner W = K*q); a later owner
    # reports it if this one ignores it, otherwise the job goes on honestly
    for where, own, ending in (("own dataset correct", P, P),
                               ("own dataset the first defective", P, -Bd),
                               ("own dataset defective, an earlier one too", P, P)):
        misuses = fresh("u", 1, m, "misuses so far")
        taken = misuses.symbol * K * q
        reported = own + K - taken
        last = fresh("o", 1, n, "the owner's position")
        later = fresh("o", 1, n - 1, "the owner's position, a later owner")
        decisions += [
            Decision("a data owner", f"misuse found, {where}, the last owner", (last, misuses),
                     ("report_misuse", reported), (("ignore", ending - taken),)),
            Decision("a data owner", f"misuse found, {where}, a later owner", (later, misuses),
                     ("report_misuse", reported), (("ignore", reported),)),
        ]
    return decisions


def vendor_decisions(fresh: Fresh, variant: Variant) -> list[Decision]:
    """A vendor at position p: accepting the job, its input report (maybe misusing the
    data first), its submission, answering a dispute, and the off-chain offer."""
    decisions = []
    anywhere = fresh("p", 1, m, "the vendor's position")
    decisions += [
        Decision("a vendor", "accept the job, inputs correct", (anywhere,), ("accept_job", F - C),
                 (("silent", sympy.Integer(0)),)),
        Decision("a vendor", "accept the job, a dataset defective or a vendor silent", (anywhere,),
                 ("accept_job", sympy.Integer(0)), (("silent", sympy.Integer(0)),)),
    ]
    misused = n * K * q

    def with_misuse(honest_value: sympy.Expr) -> tuple[tuple[str, sympy.Expr], ...]:
        """Misusing first: W per dataset; found with probability q and reported (the stake
        lost), else back at the same report, played honestly."""
        if not variant.misuse:
            return ()
        return (("misuse_data", misused + q * -Bv + (1 - q) * honest_value),)

    # inputs correct: confirm; paid F - C, or F when an earlier vendor stays silent (the
    # deadline convicts it and the job settles before any computation)
    for where, paid, behaviours in (("no earlier vendor silent", F - C, (fresh("p", 1, m, "position"),)),
                                    ("an earlier vendor silent", F, (fresh("p", 2, m, "position"),))):
        decisions.append(Decision(
            "a vendor", f"input report, inputs correct, {where}", behaviours, ("confirm_inputs", paid),
            (("complain_correct", -Bv - G), ("silent", -Bv), *with_misuse(paid))))
    # a dataset defective: complain about the first one (stake back, the dispute cost
    # repaid); a later vendor would complain if this one stays silent
    for where, silence, position in (("a later vendor", sympy.Integer(0), fresh("p", 1, m - 1, "position")),
                                     ("the last vendor", -Bv, fresh("p", m, m, "the last position"))):
        defective = fresh("d", 1, n, "defective datasets")
        others: list[tuple[str, sympy.Expr]] = [("silent", silence), *with_misuse(sympy.Integer(0))]
        decisions.append(Decision("a vendor", f"input report, a dataset defective, {where}",
                                  (position, defective), ("complain_first_defective", sympy.Integer(0)),
                                  tuple(others)))
        another = fresh("d", 2, n, "defective datasets, another one")
        decisions.append(Decision("a vendor", f"input report, several datasets defective, {where}",
                                  (position, another), ("complain_first_defective", sympy.Integer(0)),
                                  (("complain_other_defective", sympy.Integer(0)),)))
        some_correct = fresh("d", 1, n - 1, "defective datasets, a correct one left")
        decisions.append(Decision("a vendor", f"input report, a dataset defective and one correct, {where}",
                                  (position, some_correct), ("complain_first_defective", sympy.Integer(0)),
                                  (("complain_correct", -Bv - G),)))
    # submission: honest vendors after it, so a lazy result of its own is the last lazy one
    # and the one the honest developer disputes when nature audits
    lazy_disputed = q * -Bv + (1 - q) * F
    first_position = fresh("p", 1, m, "position, no earlier lazy vendor")
    decisions.append(Decision("a vendor", "submission, no earlier lazy vendor", (first_position,),
                              ("submit_honest", F - C), (("submit_lazy", lazy_disputed), ("silent", -Bv))))
    later_position = fresh("p", 2, m, "position, an earlier lazy vendor")
    earlier_lazy = fresh("e", 1, later_position.symbol - 1, "earlier lazy vendors")
    escaped = F if variant.disputed == "first" else lazy_disputed
    decisions.append(Decision("a vendor", "submission, an earlier lazy vendor", (later_position, earlier_lazy),
                              ("submit_honest", F - C), (("submit_lazy", escaped), ("silent", -Bv))))
    # a false dispute against it: after i answered rounds, answering once more is paid G
    # (the developer then concedes); a lazy respondent is convicted either way
    answered = fresh("i", 0, R - 1, "rounds answered")
    decisions += [
        Decision("a vendor", "respondent of a false dispute", (answered,),
                 ("bisect_answer", F - C + (answered.symbol + 1) * G), (("silent", F - C + answered.symbol * G),)),
        Decision("a vendor", "respondent of a true dispute", (fresh("i", 0, R - 1, "rounds answered"),),
                 ("bisect_answer", -Bv), (("silent", -Bv),)),
    ]
    # the off-chain deal, offered to the holders in name order
    missing = fresh("x", 1, m, "parts not honestly computed")
    decisions.append(Decision("a vendor", "off-chain offer", (missing,), ("abstain", sympy.Integer(0)),
                              (("train_offchain", -missing.symbol * C),)))
    return decisions


def developer_decisions(fresh: Fresh, variant: Variant) -> list[Decision]:
    """The developer after an audit (s vendors convicted of silence, a lazy, the rest
    honest) and in a dispute's rounds."""
    def base(silent: sympy.Expr) -> sympy.Expr:
        # paid n prices and m fees; each silent vendor's fee and stake come to it
        return -(n * P + m * F) + silent * (F + Bv)

    pursued = Bv + F - dispute_compensation(G, variant.dispute_rounds)
    decisions = []
    # no lazy vendor: accept (silence is acceptance); a false dispute is conceded at once
    for where, convicted, good in (("every vendor honest", fresh("s", 0, 0, "silent vendors"), V),
                                   ("some vendors silent", fresh("s", 1, m - 1, "silent vendors"), 0)):
        value = base(convicted.symbol) + good
        decisions.append(Decision("the developer", f"audited, no lazy vendor, {where}", (convicted,),
                                  ("accept_result", value),
                                  (("silent", value), ("dispute_honest", value - Ba - dispute_compensation(G, 0)))))
    # a lazy vendor: dispute the last lazy one (no model either way)
    silent = fresh("s", 0, m - 1, "silent vendors")
    lazy = fresh("a", 1, m - silent.symbol, "lazy vendors")
    value = base(silent.symbol)
    decisions.append(Decision("the developer", "audited, a lazy vendor", (silent, lazy),
                              ("dispute_last_lazy", value + pursued),
                              (("accept_result", value), ("silent", value))))
    silent = fresh("s", 0, m - 2, "silent vendors")
    lazy = fresh("a", 2, m - silent.symbol, "lazy vendors, several")
    decisions.append(Decision("the developer", "audited, several lazy vendors", (silent, lazy),
                              ("dispute_last_lazy", base(silent.symbol) + pursued),
                              (("dispute_other_lazy", base(silent.symbol) + pursued),)))
    silent = fresh("s", 0, m - 2, "silent vendors")
    lazy = fresh("a", 1, m - 1 - silent.symbol, "lazy vendors, an honest one left")
    decisions.append(Decision("the developer", "audited, a lazy vendor and an honest one", (silent, lazy),
                              ("dispute_last_lazy", base(silent.symbol) + pursued),
                              (("dispute_honest", base(silent.symbol) - Ba - dispute_compensation(G, 0)),)))
    # a true claim after i rounds: pursue to the end, or concede (the bond lost)
    rounds = fresh("i", 0, R - 1, "rounds played")
    decisions.append(Decision("the developer", "claimant of a true dispute", (rounds,),
                              ("bisect_query", pursued),
                              (("silent", -Ba - dispute_compensation(G, rounds.symbol)),)))
    # a false claim after i rounds: concede now, or query once more and concede then
    rounds = fresh("i", 0, R - 1, "rounds played")
    decisions.append(Decision("the developer", "claimant of a false dispute", (rounds,),
                              ("silent", -Ba - dispute_compensation(G, rounds.symbol)),
                              (("bisect_query", -Ba - dispute_compensation(G, rounds.symbol + 1)),)))
    return decisions


def dominance_game(variant: Variant = SPEC) -> list[Decision]:
    """Every decision-node class of the market game, for every n, m, R."""
    fresh = Fresh()
    return [*owner_decisions(fresh), *vendor_decisions(fresh, variant), *developer_decisions(fresh, variant)]


def dominance_solvability(decisions: Sequence[Decision]) -> list[Quantified]:
    """The criterion of :func:`proofs.incentives.properties.dominance_solvability`: at every
    node class, for every value of its counts, the honest move's value is at least every
    other move's (everyone honest afterwards)."""
    conditions = []
    for decision in decisions:
        label, honest = decision.honest
        for other, value in decision.others:
            conditions.append(Quantified(sympy.expand(honest - value), decision.behaviours,
                                         f"{decision.mover}, {decision.node}: {label} against {other}"))
    return conditions
