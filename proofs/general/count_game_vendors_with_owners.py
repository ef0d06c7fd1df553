"""Collusion resilience with symbolic counts for k >= 1 vendors with j owners and no developer
(issue 17 item 1, decision 0140).

The per-shape analysis values a coalition by its summed payoff: everyone honest against
every strategy of the coalition, the others honest, expected over nature
(:func:`proofs.incentives.properties.collusion_resilience`). This module writes that game
for the class **k >= 1 vendors with j >= 0 owners and no developer** (j + k >= 2) of
:data:`proofs.general.closed_form.FAMILIES`, for every shape: the coalition's counts ``j``
and ``k`` are :class:`proofs.general.count_game.Behaviour` spans over ``0 <= j <= n`` and
``1 <= k <= m`` (or fixed, for one coalition of an analysed shape).

**What the others do.** The developer is honest and outside: nature audits the results
with probability q, an unaudited developer accepts, an audited one disputes the *last*
lazy vendor in job order (decision 0031) and pursues the true claim to the end. The
non-member owners grant correct data and report a found misuse; the non-member vendors
accept, confirm correct inputs, complain about the first defective dataset, compute
honestly and answer disputes. The off-chain deal needs the developer and a holder
(:func:`proofs.incentives.candidates.choices`), so it is never made here.

**Positions.** The members' positions among their roles enter in three places, each
settled here:

* the lazy vendor the honest developer disputes is the last lazy one; non-members are
  never lazy, so it is always a member, and which member does not change the summed
  payoff (each convicted member forfeits its fee and stake to the developer);
* a found misuse is offered to the owners in name order; while some owner is not a
  member, one reports it whatever the members before it do, so the coalition can let it
  pass only when every owner is a member (a span whose range is empty unless ``j = n``);
* a member owner's defective dataset is complained about by the first non-member vendor
  to report its inputs; the ``f`` members before it (a count, ``0 <= f <= k``, exact for
  a coalition of an analysed shape) may first misuse the data or complain falsely (about a
  correct dataset, if one is left). No vendor can confirm defective inputs (the spec's
  guard), so when every vendor is a member they complain or all stay silent.

**Misuse.** A misuse by a member gains ``(n-j)*K*q`` (the members' own datasets' loss
cancels their part); found and reported, the misuser's stake pays every owner K, the
members' j included. One opportunity is modelled; :func:`misuse_lemma` proves by
induction on the opportunities left (the step by Z3) that more add nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
import z3

from proofs.general.closed_form import FAMILIES, Bd, Bv, C, Composition, F, G, K, P, m, n, q
from proofs.general.count_game import Chance, Fresh, Leaf, Node, Quantified, Span, Subject, candidates
from proofs.general.count_game_coalitions import collusion_resilience, honest_value

VENDORS_WITH_OWNERS = "k >= 1 vendors with j owners, no developer (j + k >= 2)"


@dataclass(frozen=True)
class Planted:
    """A modelling error for the tests (the default is the spec's game)."""

    lazy_keeps_fee: bool = False
    """A member convicted after the honest developer's dispute keeping its fee."""
    members_uncompensated: bool = False
    """A misuse conviction paying the member owners no compensation."""
    complaint_free: bool = False
    """A false complaint about the inputs costing the complainant nothing (no region sees
    it: the condition it changes is implied; the value-by-value check does)."""


SPEC = Planted()


@dataclass(frozen=True)
class Coalition:
    """One coalition of the class at a shape: its owner and vendor counts, and ``leading``,
    how many of its vendors come before the first non-member vendor in job order (``k``
    when every vendor is a member)."""

    owners: int
    vendors: int
    leading: int


def coalition_of(subject: str, vendors_in_job: int) -> Coalition:
    """The coalition a per-shape result's subject names ("owner1+vendor2+vendor3")."""
    members = subject.split("+")
    ours = {int(member.removeprefix("vendor")) for member in members if member.startswith("vendor")}
    leading = next((index - 1 for index in range(1, vendors_in_job + 1) if index not in ours), vendors_in_job)
    return Coalition(sum(member.startswith("owner") for member in members), len(ours), leading)


def vendors_owners_game(coalition: Coalition | None = None, planted: Planted = SPEC,
                        outsider: bool = True, misuses: int = 1) -> Node:
    """The coalition's game (None: every j, k and f of the class, as spans; with
    ``outsider`` some vendor is not a member, ``1 <= k <= m - 1``, else ``k = m``: the two
    cases are two games, so that each span's range is non-empty at its corners), with
    ``misuses`` opportunities (one: :func:`misuse_lemma` covers more; a coalition of an
    analysed shape can be given one per member vendor, its whole game, for the tests).

    Before the data is released a member may end the job (an owner denies or stays
    silent, a vendor does not accept: every deposit back, 0). Member owners grant correct
    data (honest) or d >= 1 of them a defective dataset (:func:`defective` inside). With
    correct data a member may misuse the data, then at the input reports the members
    confirm (honest), one complains about a correct dataset (its stake to the owners, G
    spent; the job ends) or g >= 1 stay silent (convicted at the deadline, the job
    resolved: the others get their fees without computing). At
    submission s members stay silent and a >= 1 submit lazily (or none lazy and s >= 1
    silent); nature audits with probability q and the honest developer disputes the last
    lazy vendor, a member, which is convicted whatever it answers."""
    fresh = Fresh()
    spans: list = []
    if coalition is None:
        owners = fresh("j", 0, n, "owners in the coalition")
        spans = [owners]
        j: sympy.Expr = owners.symbol
        k: sympy.Expr = m
        if outsider:
            vendors = fresh("k", 1, m - 1, "vendors in the coalition, not all")
            spans.append(vendors)
            k = vendors.symbol
    else:
        j, k = sympy.Integer(coalition.owners), sympy.Integer(coalition.vendors)
    gain = (n - j) * K * q
    honest = j * P + k * (F - C)
    complained = (j - 1) * P - Bd
    false_complaint = j * P if planted.complaint_free else j * P - Bv - G
    reported = j * P + (k - 1) * F - Bv + (0 if planted.members_uncompensated else j * K)

    def found(continuation: Node, won: sympy.Expr) -> Node:
        """A found misuse: reported (by a member or, later, a non-member owner), or let pass
        when every owner is a member."""
        every_owner = fresh("x", n, j, "every owner in the coalition")
        return Subject([("report_misuse", Leaf(won + reported, "misuser convicted, the owners compensated")),
                        ("ignore", Span(every_owner, continuation))],
                       "report_misuse", frozenset(), frozenset())

    def with_misuse(stage: Callable[[sympy.Expr], Node], opportunities: int = misuses,
                    won: sympy.Expr = sympy.Integer(0)) -> Node:
        """``opportunities`` misuse opportunities before ``stage`` (each a member's, at its
        input report; the gains ``won`` so far kept)."""
        if opportunities == 0:
            return stage(won)
        def after(gained: sympy.Expr) -> Node:
            return with_misuse(stage, opportunities - 1, gained)
        return Subject([("no_misuse", after(won)),
                        ("misuse_data", Chance([(q, "misuse_found", found(after(won + gain), won + gain)),
                                                (1 - q, "misuse_unfound", after(won + gain))]))],
                       "no_misuse", frozenset(), frozenset())

    def lazy_delivery(won: sympy.Expr) -> Node:
        silent = fresh("s", 0, k - 1, "members silent at submission")
        lazy = fresh("a", 1, k - silent.symbol, "members submitting lazily")
        s, a = silent.symbol, lazy.symbol
        computed = (k - s - a) * C
        kept = (k - s) * F if planted.lazy_keeps_fee else (k - s - 1) * F
        disputed = Leaf(won + j * P - (s + 1) * Bv + kept - computed, "last lazy member convicted")
        audited = Subject([("bisect_answer", disputed), ("silent", disputed)],
                          "bisect_answer", frozenset(), frozenset())
        unaudited = Leaf(won + j * P - s * Bv + (k - s) * F - computed, "lazy results accepted")
        return Span(silent, Span(lazy, Chance([(q, "audit", audited), (1 - q, "no_audit", unaudited)])))

    def submissions(won: sympy.Expr) -> Node:
        silent = fresh("s", 1, k, "members silent at submission, the others honest")
        s = silent.symbol
        return Subject([("submit_honest", Leaf(won + honest, "settled")),
                        ("submit_lazy", lazy_delivery(won)),
                        ("silent", Span(silent, Leaf(won + j * P - s * Bv + (k - s) * (F - C),
                                                     "silent members convicted")))],
                       "submit_honest", frozenset(), frozenset())

    def inputs(won: sympy.Expr) -> Node:
        """The input reports with correct data."""
        unconfirmed = fresh("g", 1, k, "members silent at their input report")
        g = unconfirmed.symbol
        return Subject([("confirm_inputs", submissions(won)),
                        ("complain_correct", Leaf(won + false_complaint, "false complaint")),
                        ("silent", Span(unconfirmed, Leaf(won + j * P + (k - g) * F - g * Bv,
                                                          "silent members convicted")))],
                       "confirm_inputs", frozenset(), frozenset())

    def defective() -> Node:
        """d >= 1 member owners grant a defective dataset: no vendor can confirm the inputs
        (the spec's guard); the first non-member vendor to report complains about the
        first defective dataset, and the members before it may first misuse the data,
        complain about a correct dataset (if one is left, d < n) or stay silent; when every
        vendor is a member they complain or all stay silent (convicted, the job resolved)."""
        some = fresh("d", 1, j, "members granting a defective dataset")

        def false_complaint_if_correct_left(won: sympy.Expr) -> Node:
            correct = fresh("x", some.symbol + 1, n, "a correct dataset")
            return Span(correct, Leaf(won + false_complaint, "false complaint"))

        def members_only(won: sympy.Expr) -> Node:
            return Subject([("complain_defective", Leaf(won + complained, "true complaint")),
                            ("complain_correct", false_complaint_if_correct_left(won)),
                            ("silent", Leaf(won + j * P - k * Bv, "every vendor convicted of silence"))],
                           "complain_defective", frozenset(), frozenset())

        def before_complaint(won: sympy.Expr) -> Node:
            """A leading member's moves before a non-member complains (true complaints and
            silence end alike: the non-member's complaint, or the member's own)."""
            return Subject([("let_complain", Leaf(won + complained, "the first defective dataset complained about")),
                            ("complain_correct", false_complaint_if_correct_left(won))],
                           "let_complain", frozenset(), frozenset())

        if not outsider:
            return Span(some, with_misuse(members_only))
        leading_misuses = misuses if coalition is None else min(misuses, coalition.leading)
        if coalition is None:
            leading = fresh("f", 0, k, "members reporting before the first non-member vendor")
        else:
            leading = fresh("f", coalition.leading, coalition.leading, "members before the first non-member")
        ahead = fresh("y", 1, leading.symbol, "a member reports before it")
        complaint = Subject([("let_complain", Leaf(complained, "a non-member complains")),
                             ("lead", Span(ahead, with_misuse(before_complaint, leading_misuses)))],
                            "let_complain", frozenset(), frozenset())
        return Span(some, Span(leading, complaint))

    root: Node = Subject([("grant", with_misuse(inputs)),
                          ("grant_defective", defective()),
                          ("refuse", Leaf(sympy.Integer(0), "job ended before the data: deposits back"))],
                         "grant", frozenset(), frozenset())
    for span in reversed(spans):
        root = Span(span, root)
    return root


def misuse_lemma() -> bool:
    """Any number of misuses by members has the region of one (induction on the
    opportunities left; the step by Z3 for all reals, ``0 < q <= 1``).

    Every value is counted net of the misuse gains already made. A misuse is worth
    ``w + q*X + (1-q)*Y``: the gain ``w = (n-j)*K*q``, a found branch X and a continuation
    Y with one opportunity fewer. X is the report (the ending D, the same at every
    opportunity: nobody has computed, every owner paid) or, only where every owner is a
    member (so ``w = 0``), a continuation. The one-opportunity game has the candidate
    ``w + q*D + (1-q)*H`` (unfound, everyone honest after: checked below in the game), so
    its region includes ``q*(H - D) >= w``. Step: if every continuation's candidate is at
    most H and ``q*(H - D) >= w``, the misuse is worth at most H; every other move either
    ends the job or leads to a stage of the one-opportunity game (the same subtree, the
    gains aside)."""
    w, d, x, y, h, p = z3.Reals("w d x y h p")
    step = z3.Solver()
    step.add(p > 0, p <= 1, y <= h,
             z3.Or(z3.And(x == d, p * (h - d) >= w), z3.And(x <= h, w == 0)),
             w + p * x + (1 - p) * y > h)
    return step.check() == z3.unsat and all(misuse_as_modelled(game) for game in vendors_with_owners())


def misuse_as_modelled(game: Node) -> bool:
    """The lemma's premises in one of the class's games: the unfound misuse has the honest
    continuation (gain aside), the found one a single report value, and the let-pass lies
    under the span "every owner a member" (``n <= j``), where the gain is zero."""
    honest = honest_value(game)
    root, spans = game, []
    while isinstance(root, Span):
        spans.append(root.behaviour.symbol)
        root = root.child
    owners = spans[0]
    gain = (n - owners) * K * q
    if not isinstance(root, Subject):
        return False
    misuse = root.child("grant")
    chance = misuse.child("misuse_data") if isinstance(misuse, Subject) else None
    if not isinstance(chance, Chance):
        return False
    found, unfound = chance.branches[0][2], chance.branches[1][2]
    continues_honestly = any(sympy.expand(c.value - gain - honest) == 0 and not c.behaviours
                             for c in candidates(unfound, "best"))
    if not isinstance(found, Subject):
        return False
    report = found.child("report_misuse")
    ignored = found.child("ignore")
    let_pass_where_no_gain = (isinstance(ignored, Span) and ignored.behaviour.low == n
                              and ignored.behaviour.high == owners and gain.subs(owners, n) == 0)
    return continues_honestly and isinstance(report, Leaf) and let_pass_where_no_gain


def vendors_with_owners() -> tuple[Node, Node]:
    """The class's two games: some vendor outside the coalition, and every vendor in it."""
    return vendors_owners_game(outsider=True), vendors_owners_game(outsider=False)


def class_conditions(games: tuple[Node, ...]) -> list[Quantified]:
    """Collusion resilience over the class: the conditions of each of its games."""
    return [condition for game in games for condition in collusion_resilience(game)]


def coalition_game(subject: str, vendors_in_job: int, planted: Planted = SPEC, every_misuse: bool = False) -> Node:
    """The game of one coalition of an analysed shape (its counts and positions fixed; with
    ``every_misuse`` each member vendor has its own misuse opportunity, as in the spec)."""
    coalition = coalition_of(subject, vendors_in_job)
    return vendors_owners_game(coalition, planted, outsider=coalition.vendors < vendors_in_job,
                               misuses=coalition.vendors if every_misuse else 1)


VENDORS_WITH_OWNERS_GAMES: tuple[tuple[Callable[[], tuple[Node, Node]],
                                        tuple[tuple[str, str, Callable[[tuple[Node, ...]], list[Quantified]]], ...]],
                                  ...] = (
    (vendors_with_owners, (("collusion_resilience", VENDORS_WITH_OWNERS, class_conditions),)),
)
"""The count game of this class, with the family it gives."""


def in_class(composition: Composition) -> bool:
    """Whether a coalition of an analysed shape belongs to this class."""
    return (not composition.developer and composition.vendors >= 1
            and composition.owners + composition.vendors >= 2)


assert {subject for _, families in VENDORS_WITH_OWNERS_GAMES for _, subject, _ in families} <= {
    f.subject for f in FAMILIES}
