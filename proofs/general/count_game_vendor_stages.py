"""The stages after the input reports that the coalition count games with vendors share.

The developer with k >= 1 vendors (:mod:`proofs.general.count_game_vendor_coalitions`,
decision 0132) and the developer with j >= 1 owners and k >= 1 vendors
(:mod:`proofs.general.count_game_mixed_coalitions`, decision 0135) play the same game once
the member vendors have confirmed their inputs: submission (s members silent, a lazy),
nature's audit, the developer's disputes, and the off-chain deal at every ending without
the model. What differs between the two is only the coalition's ledger at a settlement
(the owners outside the coalition: n, or n - j) and, for a planted modelling error, whether
the off-chain deal is written. :class:`VendorStages` builds those stages for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from proofs.general.closed_form import Ba, C, F, G, P, R, V, m, q
from proofs.general.count_game import Chance, Fresh, Leaf, Node, Span, Subject
from spec.params import dispute_compensation


@dataclass(frozen=True)
class VendorStages:
    """The shared stages of one coalition game: ``fresh`` the game's span symbols (the
    stages take theirs from it, in build order), ``vendors`` the coalition's vendor count k,
    ``owners_outside`` the owners not in the coalition (their prices leave it), and
    ``offchain_deal`` whether an ending without the model lets a member train off-chain
    (False only for a planted modelling error)."""

    fresh: Fresh
    vendors: sympy.Expr
    owners_outside: sympy.Expr
    offchain_deal: bool = True

    def ledger(self, honest_members: sympy.Expr) -> sympy.Expr:
        """The coalition's summed ledger transfer at a settlement, less the members' compute."""
        return -self.owners_outside * P - (m - self.vendors) * F - honest_members * C

    def deal(self, value: sympy.Expr, not_computed: sympy.Expr, label: str) -> Node:
        """An ending without the model: a member may train off-chain, paying ``C`` for each
        part not honestly computed."""
        if not self.offchain_deal:
            return Leaf(value, label)
        return Subject([("abstain", Leaf(value, label)),
                        ("train_offchain", Leaf(value + V - not_computed * C, f"{label}, trained off-chain"))],
                       "abstain", frozenset(), frozenset())

    def disputed(self, value: sympy.Expr, delivered_value: sympy.Expr | None, not_computed: sympy.Expr,
                 lazy: sympy.Expr | None, honest_member: bool) -> list[tuple[str, Node]]:
        """The developer's disputes after an audit: ``value`` the ledger as it stands,
        ``delivered_value`` what a refuted false claim leaves (None: members were convicted,
        the model is not delivered and the deal is open), ``lazy`` the lazy members' count
        (a dispute of one needs it >= 1; None: none)."""
        fresh, deal = self.fresh, self.deal
        moves: list[tuple[str, Node]] = []
        if lazy is not None:
            exists = fresh("y", 1, lazy, "a lazy member to dispute")
            answered = fresh("b", 0, R, "rounds the lazy member answers")
            moves.append(("dispute_lazy_member", Span(exists, Span(answered, deal(
                value - dispute_compensation(G, answered.symbol), not_computed, "lazy member convicted")))))
        if honest_member:
            conceded = fresh("b", 0, R, "rounds before the honest member concedes")
            answered = fresh("b", 0, R, "rounds the honest member answers")
            assert delivered_value is not None
            moves.append(("dispute_honest_member", Subject([
                ("respondent_concedes", Span(conceded, deal(
                    value - dispute_compensation(G, conceded.symbol), not_computed, "member convicted"))),
                ("respondent_answers", Span(answered, Leaf(
                    delivered_value - Ba + answered.symbol * G - dispute_compensation(G, answered.symbol),
                    "false claim refuted")))],
                "respondent_answers", frozenset(), frozenset())))
        # a non-member (k < m) refutes a false claim: the bond leaves the coalition
        outsider = fresh("x", self.vendors + 1, m, "a vendor outside the coalition")
        quits = fresh("i", 0, R, "rounds before the developer gives up")
        refuted = "false claim against a non-member"
        lost = (value if delivered_value is None else delivered_value) - Ba - dispute_compensation(G, quits.symbol)
        moves.append(("dispute_non_member", Span(outsider, Span(quits, Leaf(lost, refuted) if delivered_value is not None
                                                                else deal(lost, not_computed, refuted)))))
        return moves

    @staticmethod
    def audit(accepted: Node, disputes: list[tuple[str, Node]]) -> Node:
        """Nature audits with probability q; audited, the developer accepts or disputes."""
        audited = Subject([("accept_result", accepted), ("silent", accepted), *disputes],
                          "accept_result", frozenset(), frozenset())
        return Chance([(q, "audit", audited), (1 - q, "no_audit", accepted)])

    def submissions(self, won: sympy.Expr) -> Node:
        """Submission after every member confirmed its inputs (``won`` a misuse's gain so
        far): all honest, a lazy, s silent beside a lazy and another member submitting,
        every member silent while a non-member submits (k < m), or nobody submits (k = m);
        the cases' spans have an empty range when the case is impossible."""
        fresh, deal, ledger, audit, disputed, k = self.fresh, self.deal, self.ledger, self.audit, self.disputed, self.vendors
        all_honest = won + ledger(k) + V
        honest_delivery = audit(Leaf(all_honest, "accepted"), disputed(won + ledger(k), all_honest, 0, None, True))
        lazy = fresh("a", 1, k, "lazy members, no member silent")
        lazy_value = won + ledger(k - lazy.symbol)
        lazy_delivery = Span(lazy, audit(Leaf(lazy_value, "lazy result accepted: no good model"),
                                         disputed(lazy_value, lazy_value, lazy.symbol, lazy.symbol, False)))
        silent = fresh("s", 1, k - 1, "silent members, another member submits")
        mixed_lazy = fresh("a", 0, k - silent.symbol - 1, "lazy members beside them")
        resolved = won + ledger(k - silent.symbol - mixed_lazy.symbol)
        not_computed = silent.symbol + mixed_lazy.symbol
        silent_some = Span(silent, Span(mixed_lazy, audit(
            deal(resolved, not_computed, "silent members convicted"),
            disputed(resolved, None, not_computed, mixed_lazy.symbol, False))))
        # every member silent while a non-member (k < m) submits
        outsider = fresh("x", k + 1, m, "a vendor outside the coalition submits")
        every_member_silent = Span(outsider, audit(deal(won + ledger(0), k, "every member convicted of silence"),
                                                   disputed(won + ledger(0), None, k, None, False)))
        # nobody submits: every vendor is a silent member (k = m)
        everyone = fresh("x", m, k, "every vendor in the coalition")
        nobody = Span(everyone, deal(won + ledger(0), m, "every vendor convicted of silence"))
        return Subject([("submit_honest", honest_delivery), ("submit_lazy", lazy_delivery),
                        ("silent_some", silent_some), ("silent_members", every_member_silent),
                        ("silent_all", nobody)], "submit_honest", frozenset(), frozenset())
