"""The market game with symbolic counts, seen from one subject (issue 17 item 1).

The per-shape analysis builds the game of one job shape from the spec and computes each
property's exact region. This module writes the same game for *every* shape at once, from
the point of view of one subject: the other players of each role are exchangeable (one
price per dataset, one fee and cost per vendor), so what the others do is described by
counts — how many vendors stay silent before confirming, how many submit a lazy
transcript, how many rounds a dispute lasts — and every payoff is a polynomial in the
game's constants, the counts n (owners), m (vendors), R (bisection rounds) and those
behaviour counts. A :class:`Span` says "the others choose a whole number in this range";
a property's region is then a conjunction of :class:`Quantified` conditions, each "for
every value of the spans above it, expression >= 0" — the "for every behaviour of the
others" quantifier kept explicit. :mod:`proofs.general.count_proof` eliminates the spans
by a lemma Z3 proves and compares the result with the closed forms for all counts.

The nodes mirror :mod:`proofs.market_game`: the subject's decisions (:class:`Subject`,
with its honest move and which moves are reports), the others' (:class:`Others`, one
adversary when the subject plays honestly, as in the analysis's ``worst`` evaluator),
nature (:class:`Chance`: audits with probability q, misuse found with probability q).
The evaluation is the analysis's own: truthful reporting compares the honest move's
worst candidates (subject honest below, others anything) with each untruthful report's
best; weak immunity takes the subject's worst candidates, expected over nature. As in
:func:`proofs.incentives.candidates.choices`, a single subject never makes the off-chain
side deal (it needs the developer and a vendor together), so that node is left out.

Payoffs follow the spec's payout rules (``spec.actions``: ``refund_everyone``,
``pay_settlement``, ``pay_false_dispute``, ``pay_defective_inputs``,
``pay_false_complaint``) and ``spec.payoffs.utilities`` (value V only for a model all of
whose parts are honest; the developer pays ``spec.params.dispute_compensation`` per
dispute). Whether this transcription is the spec's game is checked, not assumed, on every
analysed shape: :func:`proofs.general.count_proof.cross_check` instantiates the count
game there and Z3 compares its regions with the exact per-shape regions.

Built here: the developer's view (:func:`developer_game`), a vendor's
(:func:`vendor_game`) and a data owner's (:func:`owner_game`), which give truthful reporting
and weak immunity for every role (:data:`GAMES`). Dominance solvability is derived from
the decision-node classes of :mod:`proofs.general.count_game_dominance`, the coalitions
without a vendor from :mod:`proofs.general.count_game_coalitions` (decision 0131), the
developer with vendors from :mod:`proofs.general.count_game_vendor_coalitions` (decision
0132), the developer with owners and vendors from
:mod:`proofs.general.count_game_mixed_coalitions` (decision 0135), and vendors with owners
and no developer from :mod:`proofs.general.count_game_vendors_with_owners` (decision 0140).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import sympy

from proofs.general.closed_form import Bv, Ba, C, F, G, K, P, R, V, m, n, q
from spec.params import dispute_compensation


@dataclass(frozen=True)
class Behaviour:
    """The others choose a whole number ``symbol`` with ``low <= symbol <= high`` (bounds
    polynomials with integer coefficients in the counts and earlier behaviours)."""

    symbol: sympy.Symbol
    low: sympy.Expr
    high: sympy.Expr
    meaning: str


@dataclass
class Leaf:
    payoff: sympy.Expr
    label: str


@dataclass
class Others:
    """The other players move: any child (they are one adversary against an honest subject)."""

    children: list[tuple[str, "Node"]]


@dataclass
class Subject:
    """The subject moves: ``honest`` is its honest move; ``reports`` the moves that are
    reports of facts and ``truthful`` those of them that are truthful here."""

    children: list[tuple[str, "Node"]]
    honest: str
    reports: frozenset[str]
    truthful: frozenset[str]

    def child(self, label: str) -> "Node":
        return dict(self.children)[label]


@dataclass
class Chance:
    branches: list[tuple[sympy.Expr, str, "Node"]]


@dataclass
class Span:
    """The others choose ``behaviour``'s count; ``child`` is written in its symbol."""

    behaviour: Behaviour
    child: "Node"


Node = Leaf | Others | Subject | Chance | Span


@dataclass(frozen=True)
class Candidate:
    """A value the subject can end with, for every value of ``behaviours``."""

    value: sympy.Expr
    behaviours: tuple[Behaviour, ...]


@dataclass(frozen=True)
class Quantified:
    """For every whole-number value of ``behaviours`` in their ranges: ``expression >= 0``."""

    expression: sympy.Expr
    behaviours: tuple[Behaviour, ...]
    origin: str


def candidates(node: Node, mode: str) -> list[Candidate]:
    """The subject's candidate values below ``node``: ``mode`` ``"worst"`` (the subject plays
    its honest move, the others anything) or ``"best"`` (everyone anything), expected over
    nature (a chance node combines one candidate per branch, as the analysis does)."""
    if isinstance(node, Leaf):
        return [Candidate(sympy.expand(node.payoff), ())]
    if isinstance(node, Span):
        return [Candidate(c.value, (node.behaviour, *c.behaviours)) for c in candidates(node.child, mode)]
    if isinstance(node, Others):
        return [c for _, child in node.children for c in candidates(child, mode)]
    if isinstance(node, Subject):
        if mode == "worst":
            return candidates(node.child(node.honest), mode)
        return [c for _, child in node.children for c in candidates(child, mode)]
    combined = []
    for picks in itertools.product(*(candidates(child, mode) for _, _, child in node.branches)):
        value = sympy.expand(sum(probability * pick.value
                                 for (probability, _, _), pick in zip(node.branches, picks)))
        combined.append(Candidate(value, tuple(b for pick in picks for b in pick.behaviours)))
    return unique(combined)


def unique(items: Iterable[Candidate]) -> list[Candidate]:
    return list(dict.fromkeys(items))


def subject_nodes(node: Node, behaviours: tuple[Behaviour, ...] = ()) -> Iterator[tuple[Subject, tuple[Behaviour, ...]]]:
    """Every decision node of the subject with the spans above it."""
    if isinstance(node, Span):
        yield from subject_nodes(node.child, behaviours + (node.behaviour,))
    elif isinstance(node, (Others, Subject)):
        if isinstance(node, Subject):
            yield node, behaviours
        for _, child in node.children:
            yield from subject_nodes(child, behaviours)
    elif isinstance(node, Chance):
        for _, _, child in node.branches:
            yield from subject_nodes(child, behaviours)


def truthful_reporting(root: Node) -> list[Quantified]:
    """Property 1 as the analysis computes it: at every decision node of the subject whose
    honest move is a report, the honest move's worst value is at least the best value of
    every report that is not truthful there, for every behaviour of the others."""
    conditions = []
    for node, above in subject_nodes(root):
        if node.honest not in node.reports:
            continue
        honest = candidates(node.child(node.honest), "worst")
        for label, child in node.children:
            if label in node.reports and label not in node.truthful:
                for good in honest:
                    for bad in candidates(child, "best"):
                        conditions.append(Quantified(sympy.expand(good.value - bad.value),
                                                     above + good.behaviours + bad.behaviours,
                                                     f"{node.honest} against {label}"))
    return conditions


def weak_immunity(root: Node) -> list[Quantified]:
    """Property 3 (in expectation over nature): the honest subject's every worst candidate >= 0."""
    return [Quantified(candidate.value, candidate.behaviours, "honest play, others anything")
            for candidate in candidates(root, "worst")]


# ------------------------------------------------------------------ the developer's view
def developer_paid(guilty: sympy.Expr, misuse: bool = False) -> sympy.Expr:
    """The developer's ledger transfer when a job whose data was released settles
    (``spec.actions.pay_settlement``): it paid n prices, m fees and its bond, and gets its
    bond back plus the fee and stake of each of ``guilty`` convicted vendors, less every
    owner's misuse compensation W/q = K out of a misuser's stake."""
    return -(n * P + m * F + Ba) + Ba + guilty * (F + Bv) - (n * K if misuse else 0)


def false_dispute_paid(guilty: sympy.Expr, rounds: sympy.Expr) -> sympy.Expr:
    """``spec.actions.pay_false_dispute``: as a settlement, but the bond goes to the
    respondent (its answers) and the treasury; the developer also spends the dispute's
    cost over ``rounds`` rounds (``spec.params.dispute_compensation``)."""
    return developer_paid(guilty) - Ba - dispute_compensation(G, rounds)


class Fresh:
    """Behaviour symbols, a new one for every span (so that spans in different branches of
    nature are chosen independently)."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def __call__(self, name: str, low: sympy.Expr, high: sympy.Expr, meaning: str) -> Behaviour:
        self.used[name] = self.used.get(name, 0) + 1
        symbol = sympy.Symbol(f"{name}{self.used[name]}", integer=True)
        return Behaviour(symbol, sympy.sympify(low), sympy.sympify(high), meaning)


DISPUTE_REPORTS = frozenset({"accept_result", "dispute_lazy", "dispute_honest"})


def developer_game(misuses: int = 1) -> Node:
    """The game from the developer's point of view, for every n, m, R.

    After the request the developer has no move until the results are in; the others
    (owners, vendors) can end the job before the data is released (a refusal or silence:
    every deposit back, 0), by a complaint about the inputs (true or false: the developer's
    deposit back, 0), by a misuse report (the misuser convicted), or by silence before
    confirming (the g silent vendors convicted, 1 <= g <= m); once every vendor confirmed,
    s of them may stay silent (convicted, the job DELIVERED if some submitted) and a of
    the others submit a lazy transcript. Nature audits with probability q; an unaudited
    developer accepts. An audited one facing a lazy vendor disputes one (the honest move;
    which lazy vendor changes nothing for it), may accept, or dispute an honest vendor with
    a false claim (only if one is left, h = m - s - a >= 1). A true claim pursued to the
    end takes R rounds whatever the respondent does (its silence answers for it); a claim
    conceded after i rounds loses the bond.

    ``misuses`` vendors may misuse the data before confirming; each misuse is found with
    probability q, and the owners then report it (the job ends) or let it pass.
    :func:`proofs.general.count_proof.misuse_lemma` proves that one opportunity gives the
    region of any number; the shapes' cross-check takes one too."""
    fresh = Fresh()
    deposit_back = sympy.Integer(0)

    def audited(s: sympy.Expr, lazy: bool, honest_left: bool, value: sympy.Expr) -> Subject:
        children: list[tuple[str, Node]] = [("accept_result", Leaf(developer_paid(s) + value, "accepted")),
                                            ("silent", Leaf(developer_paid(s) + value, "silence is acceptance"))]
        if lazy:
            answers = fresh("b", 0, R, "rounds the lazy respondent answers")
            quit_after = fresh("i", 0, R - 1, "rounds before the developer falls silent")
            pursued = Span(answers, Leaf(developer_paid(s + 1) - dispute_compensation(G, R), "lazy convicted"))
            conceded = Span(quit_after, Leaf(false_dispute_paid(s, quit_after.symbol), "claimant silent"))
            children.append(("dispute_lazy", Subject([("bisect_query", pursued), ("silent", conceded)],
                                                     "bisect_query", frozenset({"bisect_query"}),
                                                     frozenset({"bisect_query"}))))
        if honest_left:
            to_end = fresh("b", 0, R, "rounds the honest respondent answers")
            quit_after = fresh("i", 0, R - 1, "rounds before the developer falls silent")
            # a false dispute: the model is still delivered when no vendor is convicted
            pursued = Span(to_end, Leaf(false_dispute_paid(s, R) + value, "false claim refuted"))
            conceded = Span(quit_after, Leaf(false_dispute_paid(s, quit_after.symbol) + value, "false claim conceded"))
            children.append(("dispute_honest", Subject([("bisect_query", pursued), ("silent", conceded)],
                                                       "silent", frozenset({"bisect_query"}), frozenset())))
        honest = "dispute_lazy" if lazy else "accept_result"
        truthful = frozenset({"dispute_lazy"} if lazy else {"accept_result"})
        return Subject(children, honest, DISPUTE_REPORTS, truthful)

    def delivered(s: sympy.Expr, lazy: bool, honest_left: bool, value: sympy.Expr) -> Chance:
        return Chance([(q, "audit", audited(s, lazy, honest_left, value)),
                       (1 - q, "no_audit", Leaf(developer_paid(s) + (0 if lazy else value), "accepted unaudited"))])

    def submissions() -> Node:
        silent_lazy = fresh("s", 0, m - 1, "vendors silent at submission")
        lazy_all = Span(silent_lazy, delivered(silent_lazy.symbol, True, False, 0))
        silent_mixed = fresh("s", 0, m - 2, "vendors silent at submission")
        lazy_some = fresh("a", 1, m - 1 - silent_mixed.symbol, "lazy vendors, an honest one left")
        mixed = Span(silent_mixed, Span(lazy_some, delivered(silent_mixed.symbol, True, True, 0)))
        silent_only = fresh("s", 1, m - 1, "vendors silent at submission, the others honest")
        return Others([
            ("all_honest", delivered(sympy.Integer(0), False, True, V)),
            ("lazy_none_honest", lazy_all),
            ("lazy_and_honest", mixed),
            ("silent_and_honest", Span(silent_only, delivered(silent_only.symbol, False, True, 0))),
            ("none_submitted", Leaf(developer_paid(m), "every vendor convicted of silence")),
        ])

    def inputs() -> Node:
        unconfirmed = fresh("g", 1, m, "vendors silent before confirming")
        return Others([
            ("complain", Leaf(deposit_back, "a complaint ends the job: deposit back")),
            ("silent_before_confirming", Span(unconfirmed, Leaf(developer_paid(unconfirmed.symbol),
                                                                "silent vendors convicted"))),
            ("all_confirmed", submissions()),
        ])

    def misuse_stage(left: int) -> Node:
        if left == 0:
            return inputs()
        found = Others([("report_misuse", Leaf(developer_paid(sympy.Integer(1), misuse=True), "misuser convicted")),
                        ("ignore", misuse_stage(left - 1))])
        return Others([("no_misuse", misuse_stage(left - 1)),
                       ("misuse_data", Chance([(q, "misuse_found", found),
                                               (1 - q, "misuse_unfound", misuse_stage(left - 1))]))])

    return Others([("no_job", Leaf(deposit_back, "refused or expired: every deposit back")),
                   ("data_released", misuse_stage(misuses))])


# --------------------------------------------------------------------- a vendor's view
def vendor_game() -> Node:
    """The game from one vendor's point of view (its stake Bv, its fee F, its cost C),
    for every n, m, R and every position p of the vendor among the m (vendors move in
    name order: earlier ones decide before it, later ones after).

    Before its input report, an earlier vendor (if p >= 2) may end the job by a complaint
    (its stake back: 0) or be convicted of a reported misuse (the vendor, innocent and not
    yet working, is paid: F). At its input report, with correct inputs it confirms (the
    honest move) or complains falsely (its stake to the owners, and it pays the complaint's
    G); with a defective dataset it can only complain, truly (G back) or about a correct
    dataset. It may first misuse the data (W = K*q per dataset, n of them), found with
    probability q and then reported (its stake pays the owners). After it confirms, a later
    vendor (if p < m) may complain or be convicted of misuse, or someone stays silent (the
    job settles, the vendor paid F), or all confirm; it then submits honestly (cost C) or a
    lazy transcript, or stays silent (convicted). Nature audits a lazy result with
    probability q; the developer then accepts, disputes it (a lazy respondent is convicted
    whether it answers or not) or disputes another vendor; an honest respondent it disputes
    falsely answers b rounds and is paid b*G from the developer's bond.

    Abstracted: another vendor's misuse is taken as found and reported outright (not behind
    its chance q); that can only add conditions (a pure value is required to meet what a
    mixture with it would), so a region with no condition is still exact."""
    fresh = Fresh()
    position = fresh("p", 1, m, "the vendor's position among the vendors")
    earlier = fresh("e", 1, position.symbol - 1, "an earlier vendor")
    later = fresh("l", position.symbol + 1, m, "a later vendor")

    def after_confirming(gain: sympy.Expr) -> Node:
        answered = fresh("b", 0, R, "rounds the vendor answers a false dispute")
        quits = fresh("i", 0, R - 1, "rounds before it falls silent in the dispute")
        false_dispute = Subject([("bisect_answer", Span(answered, Leaf(F - C + answered.symbol * G + gain, "refuted"))),
                                 ("silent", Span(quits, Leaf(F - C + quits.symbol * G + gain, "developer silent")))],
                                "bisect_answer", frozenset({"bisect_answer"}), frozenset({"bisect_answer"}))
        lazy_disputed = Subject([("bisect_answer", Leaf(-Bv + gain, "lazy convicted")),
                                 ("silent", Leaf(-Bv + gain, "lazy convicted"))],
                                "bisect_answer", frozenset({"bisect_answer"}), frozenset({"bisect_answer"}))
        audited = Others([("accept_result", Leaf(F + gain, "lazy paid")), ("dispute_it", lazy_disputed),
                          ("dispute_another", Leaf(F + gain, "lazy paid"))])
        submit = Subject([
            ("submit_honest", Others([("accept_result", Leaf(F - C + gain, "paid")),
                                      ("dispute_it", false_dispute),
                                      ("dispute_another", Leaf(F - C + gain, "paid"))])),
            ("submit_lazy", Chance([(q, "audit", audited), (1 - q, "no_audit", Leaf(F + gain, "lazy paid"))])),
            ("silent", Leaf(-Bv + gain, "convicted of silence"))],
            "submit_honest", frozenset(), frozenset())
        return Others([
            ("later_complains", Span(later, Leaf(gain, "stake back"))),
            ("later_misuse_reported", Span(later, Leaf(F + gain, "paid, innocent"))),
            ("someone_silent", Leaf(F + gain, "paid, the silent convicted")),
            ("all_confirmed", submit)])

    def report(gain: sympy.Expr, defective: bool, misuse_left: bool) -> Subject:
        children: list[tuple[str, Node]] = [
            ("complain_correct", Leaf(-Bv - G + gain, "false complaint")),
            ("silent", Others([("later_complains", Span(later, Leaf(gain, "stake back"))),
                               ("deadline", Leaf(-Bv + gain, "convicted of silence"))]))]
        if defective:
            children.append(("complain_defective", Leaf(gain, "true complaint: G back")))
        else:
            children.append(("confirm_inputs", after_confirming(gain)))
        if misuse_left:
            misused = n * K * q
            found = Others([("report_misuse", Leaf(-Bv + misused, "misuse convicted")),
                            ("ignore", report(misused, defective, False))])
            children.append(("misuse_data", Chance([(q, "misuse_found", found),
                                                    (1 - q, "misuse_unfound", report(misused, defective, False))])))
        honest = "complain_defective" if defective else "confirm_inputs"
        reports = frozenset({"complain_correct", "complain_defective", "confirm_inputs"})
        return Subject(children, honest, reports, frozenset({honest}))

    running = Others([
        ("earlier_complains", Span(earlier, Leaf(sympy.Integer(0), "stake back"))),
        ("earlier_misuse_reported", Span(earlier, Leaf(F, "paid, innocent"))),
        ("inputs_correct", report(sympy.Integer(0), False, True)),
        ("inputs_defective", report(sympy.Integer(0), True, True))])
    return Span(position, Others([("no_job", Leaf(sympy.Integer(0), "refused or expired")),
                                  ("data_released", running)]))


# ---------------------------------------------------------------------- an owner's view
def owner_game() -> Node:
    """The game from one data owner's point of view (its price P, bond Bd, misuse
    compensation K = W/q), for every n, m, R and every position of the owner among the n.

    Honest, it grants its correct data. Before the data is released the job may end with
    every deposit back (0). Once released, every ending pays each owner its price and bond
    back (a settlement, a dispute's end, a complaint about another owner's defective data
    or a false one about its own), less W = K*q for each vendor that misused the data
    (u of them). A vendor may misuse; an audit finds it with probability q and the owners,
    in turn by name, report it (the misuser's stake pays each owner K, the job ends) or let
    it pass: earlier owners (if the owner is not first) may report, then the owner decides,
    then later owners (if it is not last) may report.

    One misuse opportunity is modelled; :func:`proofs.general.count_proof.owner_misuse_lemma`
    proves by induction on the number of misuses that more do not change the regions: the
    honest owner's value once u misuses happened is at least P - u*W (so >= 0 at release),
    and below a let-pass every value is at most P + K - u*W."""
    fresh = Fresh()
    position = fresh("o", 1, n, "the owner's position among the owners")
    earlier = fresh("e", 1, position.symbol - 1, "an earlier owner")
    later = fresh("l", position.symbol + 1, n, "a later owner")

    def ending(misuses: int) -> Leaf:
        return Leaf(P - misuses * K * q, "price and bond back, less the misuse")

    def found(misuses: int) -> Node:
        reported = P + K - misuses * K * q
        decides = Subject([("report_misuse", Leaf(reported, "misuse convicted")),
                           ("ignore", Others([("later_reports", Span(later, Leaf(reported, "misuse convicted"))),
                                              ("nobody_reports", ending(misuses))]))],
                          "report_misuse", frozenset({"report_misuse", "ignore"}), frozenset({"report_misuse"}))
        return Others([("earlier_reports", Span(earlier, Leaf(reported, "misuse convicted"))),
                       ("owner_decides", decides)])

    released = Others([("no_misuse", ending(0)),
                       ("misuse_data", Chance([(q, "misuse_found", found(1)),
                                               (1 - q, "misuse_unfound", ending(1))]))])
    return Span(position, Others([("no_job", Leaf(sympy.Integer(0), "refused or expired")),
                                  ("data_released", released)]))


Property = Callable[[Node], list[Quantified]]

DEVELOPER_FAMILIES: tuple[tuple[str, str, Property], ...] = (
    ("truthful_reporting", "the developer", truthful_reporting),
    ("weak_immunity", "the developer", weak_immunity),
)
"""The families the developer's count game gives: (property, closed-form subject, the
property's conditions on the game)."""

VENDOR_FAMILIES: tuple[tuple[str, str, Property], ...] = (
    ("truthful_reporting", "each vendor", truthful_reporting),
    ("weak_immunity", "each vendor", weak_immunity),
)

OWNER_FAMILIES: tuple[tuple[str, str, Property], ...] = (
    ("truthful_reporting", "each data owner", truthful_reporting),
    ("weak_immunity", "each data owner", weak_immunity),
)

GAMES: tuple[tuple[Callable[[], Node], tuple[tuple[str, str, Property], ...]], ...] = (
    (developer_game, DEVELOPER_FAMILIES), (vendor_game, VENDOR_FAMILIES), (owner_game, OWNER_FAMILIES))
"""Each count game with the families it gives."""
