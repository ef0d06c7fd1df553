"""Collusion resilience with symbolic counts for the coalitions without a vendor (decision 0131).

The per-shape analysis (:func:`proofs.incentives.properties.collusion_resilience`) values a
coalition by its summed payoff: everyone honest against every strategy of the coalition
with the others honest (:class:`proofs.incentives.candidates.Evaluator` in ``coalition``
mode), expected over nature. This module writes that game for two classes of
:data:`proofs.general.closed_form.FAMILIES` for every shape, the coalition's size ``j`` a
count: **j >= 2 owners alone**, and **the developer with j >= 1 owners** (no vendor in
either). The coalition's moves are :class:`proofs.general.count_game.Subject` nodes (any
child), nature :class:`proofs.general.count_game.Chance`, and the others' honest moves are
written out: with no vendor in the coalition the vendors accept, confirm correct inputs,
compute honestly and never misuse the data (so no misuse is found and no owner decides on
one), complain about the first defective dataset, and never take the off-chain deal
(:func:`proofs.incentives.candidates.choices`: it needs the developer *and* the holder).

The coalition's members are owners at any positions; with the other owners honest only
the members' datasets can be defective, and the vendors' complaint names the first of
them, so the positions do not matter. A class's ``j`` is a
:class:`proofs.general.count_game.Behaviour` over its range (the class holds for every
composition in it), or a fixed number for one coalition of an analysed shape
(:func:`proofs.general.count_proof.coalition_cross_check`).

The classes with vendors are not built here: the developer with k >= 1 vendors and no
owner is :mod:`proofs.general.count_game_vendor_coalitions` (decision 0132), the developer
with owners and vendors :mod:`proofs.general.count_game_mixed_coalitions` (decision 0135),
vendors with owners and no developer :mod:`proofs.general.count_game_vendors_with_owners`
(decision 0140).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

from proofs.general.closed_form import FAMILIES, Ba, Bd, Bv, Composition, F, G, P, R, V, m, n, q
from proofs.general.count_game import Chance, Fresh, Leaf, Node, Quantified, Span, Subject, candidates
from spec.params import dispute_compensation

OWNERS_ONLY = "j >= 2 owners, no vendor, no developer"
DEVELOPER_WITH_OWNERS = "the developer with j >= 1 owners and no vendor"


@dataclass(frozen=True)
class Planted:
    """A modelling error for the tests (the default is the spec's game)."""

    denial_honest: bool = False
    """The owners' honest move taken to be denying access."""
    false_dispute_convicts: bool = False
    """A dispute against an honest vendor convicting it (its fee and stake to the developer)."""


SPEC = Planted()


def owners_game(developer: bool, owners: int | None = None, planted: Planted = SPEC) -> Node:
    """The coalition of ``owners`` data owners (None: every j of the class) with the
    developer or not. Owners grant: all correctly (honest), or some deny or stay silent
    (the job is refused or expires: every deposit back), or d >= 1 of them deliver a
    defective dataset (the vendors complain about the first: that owner loses its bond,
    the other members get price and bond back, the developer its deposit). Then the job
    runs honestly; at delivery nature audits with probability q and a developer in the
    coalition accepts, stays silent (acceptance) or disputes an honest vendor, pursuing the
    false claim for i of the R rounds (the bond lost, ``(i+1)*G`` spent)."""
    fresh = Fresh()
    low = 1 if developer else 2
    size = fresh("j", low, n, "owners in the coalition") if owners is None else None
    j = size.symbol if size is not None else sympy.Integer(owners if owners is not None else low)
    paid = -(n * P + m * F) if developer else sympy.Integer(0)
    delivered = j * P + paid + (V if developer else 0)
    defective = fresh("d", 1, j, "members delivering a defective dataset")
    guilty = -Bd + (j - 1) * P
    grants: list[tuple[str, Node]] = [
        ("deny_or_silent", Leaf(sympy.Integer(0), "refused or expired")),
        ("grant_defective", Span(defective, Leaf(guilty, "the first defective dataset complained about")))]
    if developer:
        quits = fresh("i", 0, R, "rounds before the developer stops a false claim")
        lost = -(Bv + F) if planted.false_dispute_convicts else Ba
        dispute = Span(quits, Leaf(delivered - lost - dispute_compensation(G, quits.symbol), "false dispute"))
        audited: Node = Subject([("accept_result", Leaf(delivered, "accepted")),
                                 ("silent", Leaf(delivered, "silence is acceptance")),
                                 ("dispute_honest", dispute)],
                                "accept_result", frozenset(), frozenset())
        run: Node = Chance([(q, "audit", audited), (1 - q, "no_audit", Leaf(delivered, "accepted unaudited"))])
    else:
        run = Leaf(delivered, "settled")
    honest = "deny_or_silent" if planted.denial_honest else "grant"
    root: Node = Subject([("grant", run), *grants], honest, frozenset(), frozenset())
    return Span(size, root) if size is not None else root


def honest_value(node: Node) -> sympy.Expr:
    """The coalition's summed payoff when everyone plays honestly (expected over nature)."""
    if isinstance(node, Leaf):
        return node.payoff
    if isinstance(node, Subject):
        return honest_value(node.child(node.honest))
    if isinstance(node, Chance):
        return sympy.expand(sum(p * honest_value(child) for p, _, child in node.branches))
    if isinstance(node, Span):
        return honest_value(node.child)
    raise ValueError("the others' moves are written out: no Others node in a coalition's game")


def collusion_resilience(root: Node) -> list[Quantified]:
    """Everyone honest is worth at least every strategy of the coalition, the others honest."""
    honest = honest_value(root)
    # a class's j is a span at the root: every candidate is quantified over it
    return [Quantified(sympy.expand(honest - candidate.value), candidate.behaviours,
                       "coalition deviation") for candidate in candidates(root, "best")]


def owners_only() -> Node:
    return owners_game(developer=False)


def developer_with_owners() -> Node:
    return owners_game(developer=True)


COALITION_GAMES: tuple[tuple[Callable[[], Node], tuple[tuple[str, str, Callable[[Node], list[Quantified]]], ...]], ...] = (
    (owners_only, (("collusion_resilience", OWNERS_ONLY, collusion_resilience),)),
    (developer_with_owners, (("collusion_resilience", DEVELOPER_WITH_OWNERS, collusion_resilience),)),
)
"""The coalition count games with the class each gives."""



def class_of(composition: Composition) -> str | None:
    """The class built here that a coalition of an analysed shape belongs to (None: none)."""
    if composition.vendors:
        return None
    if composition.developer:
        return DEVELOPER_WITH_OWNERS if composition.owners >= 1 else None
    return OWNERS_ONLY if composition.owners >= 2 else None


def class_game(composition: Composition, planted: Planted = SPEC) -> Node:
    """The game of one coalition (its owners fixed)."""
    return owners_game(composition.developer, composition.owners, planted)


assert {subject for _, families in COALITION_GAMES for _, subject, _ in families} <= {f.subject for f in FAMILIES}
