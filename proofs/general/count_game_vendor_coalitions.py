"""Collusion resilience with symbolic counts for the developer with k >= 1 vendors (issue 17 item 1).

The per-shape analysis values a coalition by its summed payoff (everyone honest against
every strategy of the coalition, the others honest, expected over nature), as
:mod:`proofs.general.count_game_coalitions` does for the classes without a vendor. This
module writes that game for the class **the developer with k >= 1 vendors and no owner**
of :data:`proofs.general.closed_form.FAMILIES`, for every shape, the coalition's vendor
count ``k`` a :class:`proofs.general.count_game.Behaviour` over ``1 <= k <= m`` (or fixed,
for one coalition of an analysed shape).

**What the others do.** The owners grant correct data and report a found misuse (the
first owner reports it: the misuser's stake pays each owner K); the m - k other vendors
accept, confirm correct inputs, compute honestly, answer a dispute, and abstain from the
off-chain deal.

**Why the members' positions do not matter.** Every settlement pays each owner its price
and each unconvicted non-member its fee; what a convicted member forfeits (its stake, its
fee) goes to the developer, inside the coalition. So the coalition's summed payoff depends
only on how many members do what: ``-n*P - (m-k)*F`` from the ledger, less ``C`` per
member that computed honestly, less what leaves the coalition (a false complaint's stake
``Bv`` to the owners and its cost ``G``, the developer's bond ``Ba`` after a false
dispute, the dispute's cost ``(b+1)*G``, the misuse compensation ``n*K``), plus the
misuse gain ``n*K*q``, plus ``V`` for a good model. The off-chain deal is offered to the
holders in name order; the non-members before a member abstain (honestly), so whenever the
job ends without the developer holding the model, a member can take it, paying ``C`` for
each part not honestly computed (``spec.payoffs.offchain_training_cost``). A found misuse
is reported whichever owner comes first. The honest developer's choice of *which* lazy
vendor to dispute concerns the others, not the coalition, whose developer may dispute any.

**Misuse.** Each member may misuse the data before its input report; one opportunity is
modelled, and :func:`vendor_misuse_lemma` proves by induction on the number of
opportunities left (each step by Z3) that more add nothing to the region.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
import z3

from proofs.general.closed_form import FAMILIES, Bv, Composition, F, G, K, P, m, n, q
from proofs.general.count_game import Chance, Fresh, Leaf, Node, Quantified, Span, Subject, candidates
from proofs.general.count_game_coalitions import collusion_resilience, honest_value
from proofs.general.count_game_vendor_stages import VendorStages

DEVELOPER_WITH_VENDORS = "the developer with k >= 1 vendors and no owner"


@dataclass(frozen=True)
class Planted:
    """A modelling error for the tests (the default is the spec's game)."""

    no_offchain_deal: bool = False
    """The off-chain deal left out (a job ended without the model stays so)."""
    complaint_free: bool = False
    """A false complaint about the inputs costing the complainant nothing (no stake, no G)."""


SPEC = Planted()


def developer_vendors_game(vendors: int | None = None, planted: Planted = SPEC) -> Node:
    """The coalition of the developer and ``vendors`` vendors (None: every k of the class).

    The members accept the job (honest) or one stays silent (the job expires before the
    data is released: every deposit back). Once the data is released a member may misuse
    it (gain ``n*K*q``; found with probability q, reported, the misuser convicted, the job
    ends). At the input reports a member confirms (honest), complains about a correct
    dataset (its stake to the owners, ``G`` spent; the job ends) or stays silent (g >= 1
    silent members convicted at the deadline). At submission s members stay silent
    (convicted) and a others submit a lazy transcript; nature audits with probability q and
    the developer (unaudited: accepts) accepts, disputes a lazy member (convicted after b
    answered rounds, ``(b+1)*G`` spent) or disputes an honest vendor (a member conceding is
    convicted; one answering, or a non-member, refutes it: the bond ``Ba`` lost). Every
    ending where the developer does not receive the model lets a member train off-chain."""
    fresh = Fresh()
    size = fresh("k", 1, m, "vendors in the coalition") if vendors is None else None
    k: sympy.Expr = size.symbol if size is not None else sympy.Integer(vendors if vendors is not None else 1)
    gain = n * K * q
    stages = VendorStages(fresh, k, n, offchain_deal=not planted.no_offchain_deal)
    ledger, deal = stages.ledger, stages.deal

    def inputs(won: sympy.Expr) -> Node:
        complaint = won if planted.complaint_free else won - Bv - G
        unconfirmed = fresh("g", 1, k, "members silent at their input report")
        convicted = (won - (n * P + m * F) + unconfirmed.symbol * (F + Bv) - unconfirmed.symbol * Bv
                     + (k - unconfirmed.symbol) * F)
        return Subject([("confirm_inputs", stages.submissions(won)),
                        ("complain_correct", deal(complaint, m, "false complaint")),
                        ("silent", Span(unconfirmed, deal(convicted, m, "silent members convicted")))],
                       "confirm_inputs", frozenset(), frozenset())

    found = deal(gain + ledger(0) - n * K, m, "misuse reported, the misuser convicted")
    released = Subject([("no_misuse", inputs(sympy.Integer(0))),
                        ("misuse_data", Chance([(q, "misuse_found", found),
                                                (1 - q, "misuse_unfound", inputs(gain))]))],
                       "no_misuse", frozenset(), frozenset())
    root: Node = Subject([("accept_job", released), ("refuse", Leaf(sympy.Integer(0), "expired: deposits back"))],
                         "accept_job", frozenset(), frozenset())
    return Span(size, root) if size is not None else root


def vendor_misuse_lemma() -> bool:
    """Any number of misuses by members has the region of one (induction on the
    opportunities left, the step by Z3 for all reals with ``0 < q <= 1``).

    A misuse's value is ``w + q*D + (1-q)*Y``: the gain ``w = n*K*q``, the found ending
    ``D`` (any candidate of it), and with chance ``1 - q`` a continuation ``Y`` with one
    opportunity fewer. The one-opportunity game has the candidate with ``Y = H`` (the
    honest continuation; checked below in the game), so its region includes
    ``H >= w + q*D + (1-q)*H``, i.e. ``q*(H - D) >= w``, for every found ending D. Step:
    if every candidate Y of the continuation is at most H (induction) and
    ``q*(H - D) >= w``, the misuse's value is at most H. Other moves either end the job
    (candidates of the one-opportunity game) or lead on with as many opportunities."""
    w, d, y, h, p = z3.Reals("w d y h p")
    step = z3.Solver()
    step.add(p > 0, p <= 1, y <= h, p * (h - d) >= w, w + p * d + (1 - p) * y > h)
    game = developer_vendors_game()
    honest = honest_value(game)
    root = game.child if isinstance(game, Span) else game
    assert isinstance(root, Subject)
    released = root.child("accept_job")
    assert isinstance(released, Subject)
    misuse = released.child("misuse_data")
    assert isinstance(misuse, Chance)
    unfound = misuse.branches[1][2]
    gain = n * K * q
    continues_honestly = any(sympy.expand(c.value - gain - honest) == 0 and not c.behaviours
                             for c in candidates(unfound, "best"))
    return step.check() == z3.unsat and continues_honestly


def developer_with_vendors() -> Node:
    return developer_vendors_game()


VENDOR_COALITION_GAMES: tuple[tuple[Callable[[], Node], tuple[tuple[str, str, Callable[[Node], list[Quantified]]], ...]], ...] = (
    (developer_with_vendors, (("collusion_resilience", DEVELOPER_WITH_VENDORS, collusion_resilience),)),
)
"""The coalition count games with vendors, with the class each gives."""


def vendor_class_of(composition: Composition) -> str | None:
    """The class built here that a coalition of an analysed shape belongs to (None: none)."""
    if composition.developer and composition.vendors >= 1 and composition.owners == 0:
        return DEVELOPER_WITH_VENDORS
    return None


def vendor_class_game(composition: Composition, planted: Planted = SPEC) -> Node:
    """The game of one coalition (its vendors fixed)."""
    return developer_vendors_game(composition.vendors, planted)


assert {subject for _, families in VENDOR_COALITION_GAMES for _, subject, _ in families} <= {
    f.subject for f in FAMILIES}
