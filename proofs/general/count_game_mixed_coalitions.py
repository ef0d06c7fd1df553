"""Collusion resilience with symbolic counts for the developer with j >= 1 owners and k >= 1 vendors.

The per-shape analysis values a coalition by its summed payoff: everyone honest against
every strategy of the coalition, the others honest, expected over nature
(:func:`proofs.incentives.properties.collusion_resilience`). This module writes that game
for the class **the developer with j >= 1 owners and k >= 1 vendors** of
:data:`proofs.general.closed_form.FAMILIES`, for every shape: the coalition's owner count
``j`` and vendor count ``k`` are :class:`proofs.general.count_game.Behaviour` spans over
``1 <= j <= n`` and ``1 <= k <= m`` (or fixed, for one coalition of an analysed shape,
with the one position that matters, below). The stages after the input reports
(submission, audit, disputes, the off-chain deal) are those of
:mod:`proofs.general.count_game_vendor_coalitions` (decision 0132), built by the one
:class:`proofs.general.count_game_vendor_stages.VendorStages` with the members' prices
kept in the coalition.

**What the others do.** The n - j other owners grant correct data and report a found
misuse; the m - k other vendors accept, confirm correct inputs, complain about the first
defective dataset, compute honestly, answer a dispute and abstain from the off-chain deal.

**What the member owners change** (``spec.actions``, ``spec.payoffs``):

* every settlement pays each owner its price and bond: the members' prices stay in the
  coalition, so its ledger is ``-(n-j)*P - (m-k)*F`` less ``C`` per member that computed;
* a false complaint pays every owner its price out of the complainant's stake: the
  coalition keeps ``j*P`` and loses ``Bv`` and ``G``;
* misuse: a misuser gains W on every dataset and each owner loses W, so the coalition
  gains ``(n-j)*K*q``; a reported misuse pays each owner K out of the misuser's stake, so it
  loses ``(n-j)*K``; a found misuse is reported by the first owner that does not let it
  pass, so it can be let pass only when every owner is a member (j = n);
* a member owner may grant a **defective dataset** (``grant_defective``). Then no vendor can
  confirm its inputs (``spec.actions.guard_confirm_inputs``: ``INPUTS_DEFECTIVE``, which
  settles the question decision 0132 left open: member vendors cannot confirm it, and
  ``did_honest_work`` never comes into play). A vendor complains about the defective
  dataset (``pay_defective_inputs``: the owner's bond pays the other owners' prices and
  the complainant's G; the coalition gets ``(j-1)*P - Bd``), about a correct one (a false
  complaint), or stays silent: with a non-member vendor, that one complains; with every
  vendor a member, all silent are convicted at the deadline (every owner paid, as a
  settlement; with k < m the members' silence ends as a member's true complaint, written
  once). A vendor's misuse comes before its input report, so after a defective grant only
  the member vendors before the first non-member can misuse: the **position** "vendor1 is
  a member (or k = m)" matters. A coalition of a shape is built with its position; the
  class game (which must hold for every composition, so has the union of both positions'
  candidates) writes the member-first one, whose candidates include the other's
  (:func:`non_member_first_is_covered` checks it).

**Misuse, any number, without the blow-up.** One opportunity per stage is modelled, as in
0132, and :func:`mixed_misuse_lemma` extends 0132's induction to a found misuse let pass.
When every owner is a member a found misuse may be let pass, and the continuation after it
is the same as after an unfound misuse: the full game's candidates at that chance node
would be every pair ``w + q*Y1 + (1-q)*Y2`` of the continuation's candidates (the square of
their number: the first attempt of decision 0132 did not finish). The game writes only
the diagonal ``w + Y`` (``misuse_found_let_pass``: misuse, let it pass if found, play the
same continuation either way — a strategy of the full game); Z3 proves that every pair is
then implied (a mixture of two values at most H is at most H), and the code checks that the
let-pass continuation is the unfound one (same candidates, spans renamed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
import z3

from proofs.general.closed_form import FAMILIES, Bd, Bv, G, K, P, m, n, q
from proofs.general.count_game import (
    Candidate,
    Chance,
    Fresh,
    Leaf,
    Node,
    Quantified,
    Span,
    Subject,
    candidates,
)
from proofs.general.count_game_coalitions import collusion_resilience, honest_value
from proofs.general.count_game_vendor_stages import VendorStages

DEVELOPER_WITH_OWNERS_AND_VENDORS = "the developer with j >= 1 owners and k >= 1 vendors"


@dataclass(frozen=True)
class Planted:
    """A modelling error for the tests (the default is the spec's game)."""

    defective_bond_kept: bool = False
    """A complaint about a member's defective dataset costing its owner nothing."""
    misuse_let_pass: bool = False
    """A found misuse let pass even when an owner outside the coalition would report it."""
    complaint_pays_members: bool = True
    """A false complaint pays the member owners their prices (False: only the others')."""
    let_pass_without_gain: bool = False
    """A misuse let pass written without its gain: with every owner a member the gain is 0,
    so no analysed shape can tell, but :func:`mixed_misuse_lemma`'s check does."""


SPEC = Planted()


@dataclass
class Stage:
    """One misuse opportunity as built: the misuse gain ``w``, the found ending, the
    continuation without the misuse, after an unfound one, and after a found one let pass
    (None: an owner outside the coalition reports it)."""

    gain: sympy.Expr
    found: Node
    untouched: Node
    unfound: Node
    let_pass: Node | None


def mixed_game(owners: int | None = None, vendors: int | None = None, vendor1_member: bool | None = None,
               planted: Planted = SPEC, stages: list[Stage] | None = None, written_out: bool = False) -> Node:
    """The coalition of the developer, ``owners`` owners and ``vendors`` vendors (None: every
    j, every k of the class; ``vendor1_member``: whether a member is the first vendor, None
    for the class, which has the candidates of both). ``stages`` collects the misuse stages built.
    ``written_out`` writes a found misuse let pass as the full game has it (the owners'
    choice inside nature's branch, every pair of continuations a candidate) instead of its
    diagonal: for the tests, which compare the two at analysed shapes.

    The members grant correct data and accept the job (honest), or one refuses or stays
    silent (every deposit back), or d >= 1 member owners grant a defective dataset. With
    correct data a member may misuse it, then at its input report confirm (honest),
    complain about a correct dataset or stay silent (g >= 1 members convicted); at
    submission s members stay silent and a submit lazily; nature audits with probability
    q and the developer (unaudited: accepts) accepts or disputes a lazy member, an honest
    member or a non-member, as in :mod:`proofs.general.count_game_vendor_coalitions`.
    Every ending without the model lets a member train off-chain."""
    fresh = Fresh()
    owner_span = fresh("j", 1, n, "owners in the coalition") if owners is None else None
    vendor_span = fresh("k", 1, m, "vendors in the coalition") if vendors is None else None
    j: sympy.Expr = owner_span.symbol if owner_span is not None else sympy.Integer(owners or 0)
    k: sympy.Expr = vendor_span.symbol if vendor_span is not None else sympy.Integer(vendors or 0)
    gain = (n - j) * K * q

    shared = VendorStages(fresh, k, n - j)
    ledger, deal = shared.ledger, shared.deal

    members_paid = j * P if planted.complaint_pays_members else sympy.Integer(0)
    false_complaint = members_paid - Bv - G
    """A member's false complaint: every owner gets its price from the complainant's stake."""

    def inputs(won: sympy.Expr) -> Node:
        unconfirmed = fresh("g", 1, k, "members silent at their input report")
        return Subject([("confirm_inputs", shared.submissions(won)),
                        ("complain_correct", deal(won + false_complaint, m, "false complaint")),
                        ("silent", Span(unconfirmed, deal(won + ledger(0), m, "silent members convicted")))],
                       "confirm_inputs", frozenset(), frozenset())

    defective = fresh("d", 1, j, "member owners granting a defective dataset")
    bond = sympy.Integer(0) if planted.defective_bond_kept else Bd
    true_complaint = (j - 1) * P - bond
    """A complaint about a member's defective dataset: its owner's bond pays the other owners'
    prices and the complainant's G (the complainant's G spent and paid back)."""

    def defective_reports(won: sympy.Expr) -> Node:
        correct = fresh("c", 1, n - defective.symbol, "a correct dataset to complain about")
        every_vendor = fresh("x", m, k, "every vendor in the coalition")
        # the members silent while a non-member complains (k < m) end as a member's true
        # complaint does (the complainant's G is paid back), so that ending is written once
        return Subject([
            ("complain_defective", deal(won + true_complaint, m, "defective inputs")),
            ("complain_correct", Span(correct, deal(won + false_complaint, m, "false complaint"))),
            ("silent_all", Span(every_vendor, deal(won + ledger(0), m, "every vendor convicted of silence")))],
            "complain_defective", frozenset(), frozenset())

    def misuse(continuation: Callable[[sympy.Expr], Node]) -> Node:
        """One misuse opportunity before ``continuation`` (the input reports)."""
        found = deal(gain + ledger(0) - (n - j) * K, m, "misuse reported, the misuser convicted")
        untouched, unfound = continuation(sympy.Integer(0)), continuation(gain)
        moves: list[tuple[str, Node]] = [
            ("no_misuse", untouched),
            ("misuse_data", Chance([(q, "misuse_found", found), (1 - q, "misuse_unfound", unfound)]))]
        # a found misuse is let pass only when no owner outside the coalition reports it
        let_pass = continuation(sympy.Integer(0) if planted.let_pass_without_gain else gain)
        every_owner = fresh("z", n, j, "every owner in the coalition")
        guarded = let_pass if planted.misuse_let_pass else Span(every_owner, let_pass)
        if written_out:
            # the full game's chance node: found, the owners report it or let it pass
            moves[1] = ("misuse_data", Chance([
                (q, "misuse_found", Subject([("report_misuse", found), ("let_pass", guarded)],
                                            "report_misuse", frozenset(), frozenset())),
                (1 - q, "misuse_unfound", unfound)]))
        else:
            moves.append(("misuse_found_let_pass", guarded))
        if stages is not None:
            stages.append(Stage(gain, found, untouched, unfound, let_pass))
        return Subject(moves, "no_misuse", frozenset(), frozenset())

    if vendor1_member is False:
        # a vendor outside the coalition moves first and complains: no member can misuse
        after_defective: Node = deal(true_complaint, m, "a non-member vendor complains first")
    else:
        # the class: the other position's endings are among these (non_member_first_is_covered)
        after_defective = misuse(defective_reports)
    grant_defective = Span(defective, after_defective)
    root: Node = Subject([("grant_and_accept", misuse(inputs)),
                          ("grant_defective", grant_defective),
                          ("refuse_or_silent", Leaf(sympy.Integer(0), "refused or expired: deposits back"))],
                         "grant_and_accept", frozenset(), frozenset())
    if owner_span is not None:
        root = Span(owner_span, root)
    return Span(vendor_span, root) if vendor_span is not None else root


def root_candidates(game: Node) -> tuple[Node, list[Candidate]]:
    """The game inside its class spans (j, k) and its candidates there."""
    while isinstance(game, Span):
        game = game.child
    return game, candidates(game, "best")


def canonical(found: list[Candidate], shift: sympy.Expr = sympy.Integer(0)) -> set[tuple]:
    """Candidates with their spans renamed in order (two builds of one subtree use fresh
    symbols), each value shifted by ``shift``."""
    result = set()
    for candidate in found:
        rename = {b.symbol: sympy.Symbol(f"span{i}") for i, b in enumerate(candidate.behaviours)}
        result.add((sympy.expand((candidate.value + shift).subs(rename)),
                    tuple((sympy.expand(b.low.subs(rename)), sympy.expand(b.high.subs(rename)))
                          for b in candidate.behaviours)))
    return result


def mixed_misuse_lemma(planted: Planted = SPEC) -> bool:
    """Any number of misuses, and a found misuse let pass, add nothing to the region of the
    game as built (one opportunity per stage, the let-pass written as its diagonal).

    Z3 proves, for all reals with ``0 < q <= 1`` (``w`` a misuse's gain, ``h`` the honest
    value, ``d`` a found ending, ``y``, ``y2`` continuation values without this gain):

    * *diagonal*: ``w + y <= h`` and ``w + y2 <= h`` give ``w + q*y + (1-q)*y2 <= h`` — the
      pairs a found misuse let pass would add at a stage (found and let pass: ``y``;
      unfound: ``y2``, the same continuation) are implied by the diagonal the game writes;
    * *step* (decision 0132): ``y <= h`` and ``q*(h - d) >= w`` give ``w + q*d + (1-q)*y <= h``;
    * *step, let pass*: ``y <= h``, ``y2 <= h`` and ``w + h <= h`` give
      ``w + q*y + (1-q)*y2 <= h``.

    The two steps are the induction on the misuse opportunities left (each member vendor
    has one): with the continuation's candidates at most h, a further misuse's are too. Their
    premises are conditions of the game, which the code checks: at every stage the unfound
    and the let-pass continuations are the untouched one shifted by the gain (same
    candidates, spans renamed), the found endings have no span, and the game has the
    candidates ``q*d + (1-q)*(w + h)`` (misuse, then honest) for every found ending d and,
    where a found misuse can be let pass, ``w + h`` (both outside any span but the guard
    that every owner is a member)."""
    w, d, y, y2, h, p = z3.Reals("w d y y2 h p")
    unit = [p > 0, p <= 1]
    claims = [
        [*unit, w + y <= h, w + y2 <= h, w + p * y + (1 - p) * y2 > h],
        [*unit, y <= h, p * (h - d) >= w, w + p * d + (1 - p) * y > h],
        [*unit, y <= h, y2 <= h, w + h <= h, w + p * y + (1 - p) * y2 > h],
    ]
    for claim in claims:
        solver = z3.Solver()
        solver.add(*claim)
        if solver.check() != z3.unsat:
            return False
    stages: list[Stage] = []
    game = mixed_game(planted=planted, stages=stages)
    honest = honest_value(game)
    _, found = root_candidates(game)
    values = {sympy.expand(c.value) for c in found
              if all(not c.value.has(b.symbol) for b in c.behaviours)}
    for stage in stages:
        untouched = candidates(stage.untouched, "best")
        if canonical(candidates(stage.unfound, "best")) != canonical(untouched, stage.gain):
            return False
        if stage.let_pass is not None:
            if canonical(candidates(stage.let_pass, "best")) != canonical(untouched, stage.gain):
                return False
            if sympy.expand(stage.gain + honest) not in values:
                return False
        for ending in candidates(stage.found, "best"):
            if ending.behaviours or sympy.expand(q * ending.value + (1 - q) * (stage.gain + honest)) not in values:
                return False
    return bool(stages) and non_member_first_is_covered()


def non_member_first_is_covered() -> bool:
    """The class game writes one position, a member vendor first: a coalition whose first
    vendor is not a member has, after a defective grant, only that vendor's complaint, an
    ending the member-first game has too (a member's true complaint without misuse). Checked:
    every candidate of the non-member-first game is one of the class game's."""
    ours = canonical(candidates(mixed_game(), "best"))
    return canonical(candidates(mixed_game(vendor1_member=False), "best")) <= ours


def developer_with_owners_and_vendors() -> Node:
    return mixed_game()


MIXED_COALITION_GAMES: tuple[tuple[Callable[[], Node], tuple[tuple[str, str, Callable[[Node], list[Quantified]]], ...]], ...] = (
    (developer_with_owners_and_vendors,
     (("collusion_resilience", DEVELOPER_WITH_OWNERS_AND_VENDORS, collusion_resilience),)),
)
"""The coalition count game of this module, with the class it gives."""


def members(subject: str) -> list[str]:
    return subject.split("+")


def mixed_class_of(subject: str) -> str | None:
    """The class built here that a coalition of an analysed shape (``dev1+owner1+vendor2``)
    belongs to (None: none)."""
    names = members(subject)
    owners = sum(name.startswith("owner") for name in names)
    vendors = sum(name.startswith("vendor") for name in names)
    return DEVELOPER_WITH_OWNERS_AND_VENDORS if "dev1" in names and owners >= 1 and vendors >= 1 else None


def member_first(subject: str, vendor_count: int) -> bool:
    """Whether a member of the coalition moves first among a shape's ``vendor_count``
    vendors (vendor1 is a member, or every vendor is): the position its game is built with."""
    names = members(subject)
    return "vendor1" in names or sum(name.startswith("vendor") for name in names) == vendor_count


def mixed_class_game(subject: str, vendor_count: int, planted: Planted = SPEC) -> Node:
    """The game of one coalition of a shape with ``vendor_count`` vendors: its owners and
    vendors fixed, and whether a member moves first among the vendors (:func:`member_first`)."""
    names = members(subject)
    vendors = sum(name.startswith("vendor") for name in names)
    return mixed_game(sum(name.startswith("owner") for name in names), vendors,
                      member_first(subject, vendor_count), planted)


assert {subject for _, families in MIXED_COALITION_GAMES for _, subject, _ in families} <= {
    f.subject for f in FAMILIES}
