"""The marketplace as an extensive-form game, derived from the spec.

The incentive proofs must read the protocol, never a hand-copied game tree. This module
runs the spec itself — :func:`walks.moves.protocol_moves` for the choices available
in a state, :func:`spec.machine.symbolic_step` for their effects on symbolic amounts, and
:func:`spec.payoffs.utilities` for the payoffs — over one job and writes the result as a
game in CheckMate's JSON format (with chance nodes, see ``docs/games.md``).

How the state machine becomes a game tree:

* **Turns.** In each state the party first in the order owners, vendors, developer (each
  by name) that has a move decides; its branches are its moves from ``protocol_moves``
  plus ``silent``: doing nothing until the current deadline. The others still move
  before that deadline; once every party with a move has moved or stayed silent, the
  deadline passes and the spec's ``timeout`` applies. Concurrent moves of different
  parties commute in the spec (each touches its own records), so a fixed order loses no
  outcome.
* **Chance.** The developer learns whether a result is wrong only by auditing; nature
  audits with probability q when every result is in (an unaudited developer accepts).
  Misuse leaves an artefact that an audit finds with probability q, right after the
  misuse; a data owner then reports it or not.
* **Choices a vendor has besides its protocol moves.** At its input report a vendor may
  first misuse the data (``misuse_data``). A fabricated transcript diverges at the last
  step (where it diverges changes only the number of bisection rounds).
* **Off-chain training.** When a job ends without the developer receiving the model while
  vendors hold the data, every such vendor may train off-chain for the developer
  (``spec.payoffs.offchain_training_value``): the holders are offered the deal in turn, by
  name; the first that takes it trains (the developer gains V, that vendor pays the cost of
  the parts of the model not yet honestly computed) and the deal is closed; one that
  abstains passes it to the next. So the deal is open to every vendor alike, each paying
  its own cost, and a coalition of the developer with any one holder can make it.
* **Payoffs.** Each leaf gives every party ``spec.payoffs.utilities`` of the final market.

:func:`honest_choice` names the honest move at every decision node: the truthful report
given the facts, honest delivery, honest computation, no misuse, answering in disputes,
pursuing a true claim and conceding a false one.

:func:`plain_build` walks every history with these rules (the benchmark's baseline);
:func:`proofs.game_build.build_market_game` writes the game, by default with the fast
build, a walk of its own that calls the same rule functions (decision 0145).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import sympy

from proofs.game_amounts import Amount as FastAmount
from proofs.game_stepper import NOT_CHOICES, Stepper
from spec.actions import Call, call
from spec.base import Amount
from spec.machine import symbolic_step
from spec.payoffs import did_honest_work, offchain_training_cost, offchain_training_value, utilities
from spec.state import (TERMINAL_STATUSES, TREASURY, Dispute, Job, JobStatus, Market, Role, Turn, genesis,
                        is_terminal)
from spec.world import PURPOSE, Instance, JobTemplate, commitment_of, model_commitment
from walks.moves import protocol_moves

JOB = "job1"
CONSTANTS = ("P", "F", "C", "V", "Bv", "Ba", "Bd", "G", "q", "K")
"""Price per dataset, fee per vendor, compute cost, model value, vendor stake, developer
bond, owner bond, dispute cost per round, audit probability, and K = W / q, the misuse
compensation per dataset. The misuse value W itself is written K*q, so that every payoff
is a polynomial (the game format admits no division by a symbol)."""


def misuse_value() -> sympy.Expr:
    """W, the misuse value per dataset, in the game's constants."""
    return sympy.Symbol("K") * sympy.Symbol("q")


class GameTooLarge(RuntimeError):
    """The game tree would exceed the node budget."""


@dataclass(frozen=True)
class MarketGameShape:
    """Which job the game plays: counts of data owners and vendors, training steps."""

    data_owners: int = 1
    vendors: int = 1
    steps: int = 2

    @functools.cached_property
    def instance(self) -> Instance:
        template = JobTemplate(JOB, "dev1", tuple(f"data{i}" for i in range(1, self.data_owners + 1)),
                               tuple(f"vendor{i}" for i in range(1, self.vendors + 1)))
        return Instance(data_owners=self.data_owners, developers=1, vendors=self.vendors,
                        jobs=(template,), steps=self.steps, window=1, wrong_steps=(self.steps,))

    @functools.cached_property
    def players(self) -> tuple[str, ...]:
        return ("dev1", *self.instance.owner_names, *self.instance.vendor_names)

    @functools.cached_property
    def mover_order(self) -> dict[str, int]:
        """Who moves first when several can: owners, vendors, the developer, each by name."""
        order = [*self.instance.owner_names, *self.instance.vendor_names, "dev1"]
        return {name: index for index, name in enumerate(order)}


@functools.cache
def _symbols() -> tuple[tuple[str, sympy.Symbol], ...]:
    return tuple((name, sympy.Symbol(name)) for name in CONSTANTS)


def symbols() -> dict[str, sympy.Symbol]:
    return dict(_symbols())


@functools.cache
def _amount_symbols() -> tuple[tuple[str, FastAmount], ...]:
    return tuple((name, FastAmount.symbol(name)) for name in (*CONSTANTS, "endowment"))


def amount_symbols() -> dict[str, FastAmount]:
    """The game's constants as :class:`proofs.game_amounts.Amount` (the fast build's amounts)."""
    return dict(_amount_symbols())


@functools.cache
def _numbers(fast: bool) -> dict[str, Amount]:
    return amount_symbols() if fast else symbols()


def game_numbers(market: Market) -> dict[str, Amount]:
    """The game's constants in the number system of ``market``'s amounts (sympy, or the
    fast build's), one shared mapping each: not to be changed."""
    return _numbers(isinstance(market.dispute_cost, FastAmount))


@functools.cache
def audit_odds() -> tuple[sympy.Expr, sympy.Expr]:
    """Nature's odds, q and 1 - q, as the game file writes them in either build (made once)."""
    q = symbols()["q"]
    return q, 1 - q


def model_value(market: Market) -> FastAmount | sympy.Symbol:
    """V in the number system of ``market``'s amounts (sympy, or the fast build's)."""
    return game_numbers(market)["V"]


PLAIN = Stepper()


def accepted(market: Market, each: Call, stepper: Stepper = PLAIN) -> Market:
    """Apply a call the game has chosen; it must pass the spec's guard."""
    return stepper.accepted(market, each)


def opening_market(shape: MarketGameShape, fast: bool = False) -> Market:
    """Genesis, registrations, funding and the developer's request, all symbolic: amounts
    are sympy expressions, or with ``fast`` packed polynomials (:mod:`proofs.game_amounts`)."""
    s: dict = amount_symbols() if fast else symbols()
    instance = shape.instance
    # balances outside the job never reach a payoff
    endowment = s["endowment"] if fast else sympy.Symbol("endowment")
    market = genesis(s["G"], s["q"])
    parties = ([(name, Role.DATA_OWNER) for name in instance.owner_names]
               + [("dev1", Role.DEVELOPER)] + [(name, Role.VENDOR) for name in instance.vendor_names])
    for name, role in parties:
        market = accepted(market, call("register_identity", name, role=role, organisation=name))
        market = accepted(market, call("fund", TREASURY, recipient=name, amount=endowment))
    for owner, dataset in zip(instance.owner_names, instance.dataset_names):
        market = accepted(market, call("register_dataset", owner, dataset=dataset,
                                       commitment=commitment_of(dataset), price=s["P"],
                                       misuse_value=s["K"] * s["q"], purposes=frozenset({PURPOSE}),
                                       expiry=10**6, max_uses=10**6))
    market = accepted(market, call("register_model", "dev1", model="model1",
                                   commitment=model_commitment("model1")))
    for vendor in instance.vendor_names:
        market = accepted(market, call("register_vendor", vendor, fee=s["F"], cost=s["C"], capacity=1))
    template = instance.jobs[0]
    return accepted(market, call("request_training", "dev1", job=JOB, model="model1",
                                 datasets=template.datasets, vendors=template.vendors,
                                 purpose=PURPOSE, steps=shape.steps, window=1,
                                 vendor_stake=s["Bv"], developer_bond=s["Ba"], owner_bond=s["Bd"]))


class Context(NamedTuple):
    """What the tree walk remembers beside the market (a named tuple: the walk makes one
    per branch, and a tuple's ``_replace`` is cheap)."""

    misuse_considered: frozenset[str] = frozenset()
    audited: bool | None = None
    offchain_decided: bool = False
    """Some vendor trained off-chain: the deal is taken."""
    offchain_declined: frozenset[str] = frozenset()
    """Vendors that were offered the off-chain deal and abstained (each holder is offered
    it in turn, by name)."""
    silent: frozenset[tuple[str, int]] = frozenset()
    """Parties that chose to stay silent until a deadline, with that deadline."""


def context_key(market: Market, context: Context) -> tuple:
    """Of the walk's context, what the subtree below ``(market, context)`` still depends
    on. An ended job's subtree is the off-chain offer alone; a silence chosen until an
    earlier deadline no longer restrains anyone (deadlines only move forward); the misuse
    option is offered only while the job runs. The fast build keys its memo by the
    market's identity among its distinct markets and this; the plain build walks every
    history, and ``tests/incentives`` checks that both write the same game."""
    job = market.jobs[JOB]
    if job.status in TERMINAL_STATUSES:
        return context.offchain_decided, context.offchain_declined
    silent = context.silent and frozenset(entry for entry in context.silent if entry[1] >= job.deadline)
    misuse = context.misuse_considered if job.status in RUNNING_OR_BEFORE else frozenset()
    return context.audited, misuse, silent


RUNNING_OR_BEFORE = (JobStatus.REQUESTED, JobStatus.LICENSED, JobStatus.RUNNING)


@dataclass
class Branch:
    label: str
    market: Market
    context: Context
    probability: Amount = None


@dataclass
class GameNode:
    """A node of the tree: a decision (``player`` set), a chance node, or a leaf."""

    player: str | None = None
    branches: list[Branch] = field(default_factory=list)
    chance: bool = False
    honest: str | None = None
    truthful: frozenset[str] = frozenset()

    @property
    def decision(self) -> tuple[str, str]:
        """``(player, honest move)`` of a decision node."""
        if self.player is None or self.honest is None:
            raise ValueError("not a decision node")
        return self.player, self.honest


def the_dispute(job: Job) -> Dispute:
    """The dispute being played (the job is DISPUTED, or a dispute move is considered)."""
    if job.dispute is None:
        raise ValueError(f"job {job.ident} has no dispute")
    return job.dispute


def label_of(market: Market, move: Call) -> str:
    """A short action name for a spec call, naming the variant where one action has several."""
    if move.action == "grant_access":
        correct = move["delivery_digest"] == market.datasets[move["dataset"]].commitment
        return "grant" if correct else "grant_defective"
    if move.action == "complain_inputs":
        return f"complain_{move['dataset']}"
    if move.action == "submit_result":
        job = market.jobs[JOB]
        honest = did_honest_work(market, replace(job, results=job.results.with_item(
            move.actor, tuple(move["transcript"]))), move.actor)
        return "submit_honest" if honest else "submit_lazy"
    if move.action == "dispute_result":
        return f"dispute_{move['vendor']}"
    return move.action


TICK = call("tick", "clock")
TIMEOUT = call("timeout", TREASURY, job=JOB)
RESOLVE = call("resolve_step", TREASURY, job=JOB)
ACCEPT = call("accept_result", "dev1", job=JOB)


def let_deadline_pass(market: Market, stepper: Stepper = PLAIN) -> Market:
    """The silent branch: ticks until the deadline has passed, then the spec's timeout."""
    while market.now <= market.jobs[JOB].deadline:
        market = accepted(market, TICK, stepper)
    return accepted(market, TIMEOUT, stepper)


def first_mover(moves: list[Call], shape: MarketGameShape) -> str:
    return min((move.actor for move in moves), key=shape.mover_order.__getitem__)


def truthful_reports(market: Market, labels: list[str]) -> frozenset[str]:
    """The labels among ``labels`` that are truthful reports of the facts in ``market``:
    complaining about a defective dataset, confirming correct inputs, disputing a vendor
    whose transcript is wrong, accepting when no unconvicted vendor's is, answering and
    pursuing a true claim, reporting found misuse."""
    job = market.jobs[JOB]
    truthful = set()
    for label in labels:
        if label.startswith("complain_"):
            dataset = label.removeprefix("complain_")
            if job.grants[dataset].delivery_digest != market.datasets[dataset].commitment:
                truthful.add(label)
        elif label.startswith("dispute_"):
            if not did_honest_work(market, job, label.removeprefix("dispute_")):
                truthful.add(label)
        elif label == "accept_result":
            if all(did_honest_work(market, job, v) or v in job.convicted_vendors for v in job.vendors):
                truthful.add(label)
        elif label in ("confirm_inputs", "bisect_answer", "report_misuse"):
            truthful.add(label)
        elif label == "bisect_query" and not did_honest_work(market, job, the_dispute(job).respondent):
            truthful.add(label)
    return frozenset(truthful)


def honest_choice(market: Market, player: str, labels: list[str]) -> str:
    """The honest move of ``player`` among ``labels`` in ``market``."""
    job = market.jobs[JOB]
    if "abstain" in labels:
        return "abstain"
    if "report_misuse" in labels:
        return "report_misuse"
    if job.status == JobStatus.REQUESTED:
        return "grant"
    if job.status == JobStatus.LICENSED:
        return "accept_job"
    if job.status == JobStatus.RUNNING:
        if any(label.startswith("complain_") for label in labels):
            defective = [d for d in job.datasets
                         if job.grants[d].delivery_digest != market.datasets[d].commitment]
            return f"complain_{defective[0]}" if defective else "confirm_inputs"
        return "submit_honest"
    if job.status == JobStatus.DELIVERED:
        # a job allows one re-execution (decision 0031): with several wrong results the
        # honest developer examines the last wrong vendor in the job's order (the order the
        # vendors move in here), so that no vendor deciding after another one skipped the
        # computation can count on that one being examined instead
        lazy = [v for v in job.vendors
                if not did_honest_work(market, job, v) and v not in job.convicted_vendors]
        return f"dispute_{lazy[-1]}" if lazy else "accept_result"
    if job.status == JobStatus.DISPUTED:
        if the_dispute(job).turn == Turn.RESPONDENT:
            return "bisect_answer"
        # a claimant pursues a true claim; one whose claim is false concedes by silence
        return "silent" if did_honest_work(market, job, the_dispute(job).respondent) else "bisect_query"
    raise AssertionError(f"no honest move defined in {job.status}")


def eligible_moves(market: Market, context: Context, shape: MarketGameShape,
                   stepper: Stepper = PLAIN) -> list[Call]:
    """The spec's moves open to parties that have not chosen silence until the deadline."""
    deadline = market.jobs[JOB].deadline
    return [move for move in protocol_moves(market, shape.instance)
            if move.action not in NOT_CHOICES
            and (move.actor, deadline) not in context.silent
            and symbolic_step(market, move).rejection is None]


def automatic_moves(market: Market, context: Context, shape: MarketGameShape,
                    stepper: Stepper = PLAIN) -> Market:
    """Moves that involve no choice: anyone resolves a narrowed dispute; a developer that
    did not audit has nothing to dispute with and accepts; when every party left to move
    has chosen silence, the deadline passes and the spec's timeout applies."""
    while True:
        job = market.jobs[JOB]
        if is_terminal(job):
            return market
        if job.status == JobStatus.DISPUTED and the_dispute(job).turn == Turn.RESOLVE:
            market = accepted(market, RESOLVE, stepper)
        elif job.status == JobStatus.DELIVERED and context.audited is None:
            return market  # nature decides on an audit first
        elif job.status == JobStatus.DELIVERED and context.audited is False:
            market = accepted(market, ACCEPT, stepper)
        elif not eligible_moves(market, context, shape, stepper):
            market = let_deadline_pass(market, stepper)
        else:
            return market


def turn(market: Market, context: Context, shape: MarketGameShape, stepper: Stepper = PLAIN) -> GameNode:
    """The node of the game tree in this state (after :func:`automatic_moves`)."""
    job = market.jobs[JOB]
    if is_terminal(job):
        options = None if context.offchain_decided else offchain_training_value(market, job, model_value(market))
        undecided = sorted(set(options or ()) - context.offchain_declined)
        if not undecided:
            return GameNode()
        vendor = undecided[0]
        declined = context._replace(offchain_declined=context.offchain_declined | {vendor})
        done = context._replace(offchain_decided=True)
        trained = replace(market, artefacts=market.artefacts | {("offchain_training", JOB, vendor)})
        return GameNode(player=vendor, branches=[Branch("abstain", market, declined),
                                              Branch("train_offchain", trained, done)],
                     honest="abstain")
    if job.status == JobStatus.DELIVERED and context.audited is None:
        q, not_q = audit_odds()
        return GameNode(chance=True, branches=[
            Branch("audit", market, context._replace(audited=True), q),
            Branch("no_audit", market, context._replace(audited=False), not_q)])
    deadline = job.deadline
    moves = eligible_moves(market, context, shape, stepper)
    player = first_mover(moves, shape)
    branches = [Branch(label_of(market, move), accepted(market, move, stepper), context)
                for move in moves if move.actor == player]
    if (job.status == JobStatus.RUNNING and player in job.vendors
            and player not in job.confirmed and player not in context.misuse_considered):
        considered = context._replace(misuse_considered=context.misuse_considered | {player})
        for branch in branches:
            branch.context = considered
        misused = accepted(market, call("misuse_data", player, job=JOB), stepper)
        branches.append(Branch("misuse_data", misused, considered))
    branches.append(Branch("silent", market, context._replace(silent=context.silent | {(player, deadline)})))
    labels = [branch.label for branch in branches]
    return GameNode(player=player, branches=branches, honest=honest_choice(market, player, labels),
                    truthful=truthful_reports(market, labels))


def misuse_found(market: Market, context: Context, vendor: str, owners: tuple[str, ...],
                 stepper: Stepper = PLAIN) -> GameNode:
    """An audit found a vendor's misuse artefact: the owners, in turn, report it or not
    (any owner of the job may report; the next decides if one ignores it)."""
    owner = owners[0]
    reported = accepted(market, call("report_misuse", owner, job=JOB, vendor=vendor), stepper)
    return GameNode(player=owner, branches=[Branch("report_misuse", reported, context),
                                            Branch("ignore", market, context)],
                    honest="report_misuse")


def leaf_utilities(market: Market, shape: MarketGameShape) -> dict:
    """Every player's payoff at a leaf: sympy expressions expanded, or in the fast build
    packed polynomials (:mod:`proofs.game_amounts`, already canonical)."""
    value = model_value(market)
    job = market.jobs[JOB]
    utility = utilities(market, job, value)
    for kind, ident, vendor in market.artefacts:
        if kind == "offchain_training" and ident == JOB:
            utility["dev1"] = utility["dev1"] + value
            utility[vendor] = utility[vendor] - offchain_training_cost(market, job)
    if isinstance(value, FastAmount):
        return {player: utility.get(player, 0) for player in shape.players}
    return {player: sympy.expand(utility.get(player, 0)) for player in shape.players}


@dataclass
class GameBuild:
    """The game as CheckMate JSON plus the honest strategy at every decision node."""

    game: dict
    honest_strategy: dict[tuple[str, ...], str]
    truthful: dict[tuple[str, ...], frozenset[str]]
    """At each decision node, the moves that are truthful reports of the facts."""
    nodes: int
    leaves: int


def plain_build(shape: MarketGameShape, node_budget: int = 2_000_000) -> GameBuild:
    """The plain walk: every history of the job stepped anew with sympy amounts, each node
    built on its own. It is the benchmark's baseline and what ``tests/incentives`` compares
    the fast build (:func:`proofs.game_build.build_market_game`, the default) with; it is
    the builder as it was before memoisation (decisions 0097, 0125, 0145)."""
    counts = {"nodes": 0, "leaves": 0}
    stepper = Stepper()
    honest_strategy: dict[tuple[str, ...], str] = {}
    truthful: dict[tuple[str, ...], frozenset[str]] = {}
    actions: set[str] = set()

    def leaf(market: Market) -> dict:
        values = leaf_utilities(market, shape)
        return {"utility": [{"player": p, "value": str(values[p])} for p in shape.players]}

    def decide(history: tuple[str, ...], honest: str, reports: frozenset[str]) -> None:
        honest_strategy[history] = honest
        truthful[history] = reports

    def grow(market: Market, context: Context, history: tuple[str, ...]) -> dict:
        counts["nodes"] += 1
        if counts["nodes"] > node_budget:
            raise GameTooLarge(f"more than {node_budget} nodes")
        market = automatic_moves(market, context, shape, stepper)
        node = turn(market, context, shape, stepper)
        if node.player is None and not node.chance:
            counts["leaves"] += 1
            return {"utility": stepper.leaf(market, leaf)["utility"]}
        if node.chance:
            edges = []
            for branch in node.branches:
                actions.add(branch.label)
                edges.append({"action": branch.label, "probability": str(branch.probability),
                              "child": grow(branch.market, branch.context, history + (branch.label,))})
            return {"chance": edges}
        player, honest = node.decision
        decide(history, honest, node.truthful)
        children = []
        for branch in node.branches:
            actions.add(branch.label)
            if branch.label == "misuse_data":
                child = grow_misuse(branch.market, branch.context, history + (branch.label,), player)
            else:
                child = grow(branch.market, branch.context, history + (branch.label,))
            children.append({"action": branch.label, "child": child})
        return {"player": node.player, "children": children}

    def grow_found(market: Market, context: Context, history: tuple[str, ...], vendor: str,
                   owners: tuple[str, ...]) -> dict:
        counts["nodes"] += 1
        found = misuse_found(market, context, vendor, owners, stepper)
        decide(history, found.decision[1], frozenset({"report_misuse"}))
        children = []
        for branch in found.branches:
            actions.add(branch.label)
            step = history + (branch.label,)
            if branch.label == "ignore" and len(owners) > 1:
                child = grow_found(branch.market, branch.context, step, vendor, owners[1:])
            else:
                child = grow(branch.market, branch.context, step)
            children.append({"action": branch.label, "child": child})
        return {"player": found.player, "children": children}

    def grow_misuse(market: Market, context: Context, history: tuple[str, ...], vendor: str) -> dict:
        counts["nodes"] += 1
        owners = tuple(dict.fromkeys(market.datasets[d].owner for d in market.jobs[JOB].datasets))
        actions.update(("misuse_found", "misuse_unfound"))
        q, not_q = audit_odds()
        return {"chance": [
            {"action": "misuse_found", "probability": str(q),
             "child": grow_found(market, context, history + ("misuse_found",), vendor, owners)},
            {"action": "misuse_unfound", "probability": str(not_q),
             "child": grow(market, context, history + ("misuse_unfound",))}]}

    tree = grow(stepper.canonical(opening_market(shape)), Context(), ())
    return GameBuild(game_file(shape, actions, tree, honest_strategy), honest_strategy, truthful,
                     counts["nodes"], counts["leaves"])


def game_file(shape: MarketGameShape, actions: set[str], tree: dict,
              honest_strategy: dict[tuple[str, ...], str]) -> dict:
    """The game in CheckMate's JSON format, around the tree either walk built."""
    return {
        "players": list(shape.players),
        "actions": sorted(actions),
        "infinitesimals": [],
        "constants": list(CONSTANTS),
        "initial_constraints": participation_constraints(shape),
        "property_constraints": {"weak_immunity": [], "weaker_immunity": [],
                                 "collusion_resilience": [], "practicality": []},
        "honest_histories": list(honest_paths(tree, honest_strategy, ())),
        "tree": tree,
    }


def honest_paths(node: dict, strategy: dict, history: tuple[str, ...]) -> Iterator[list[str]]:
    """Every path of the honest strategy profile, one per outcome of nature."""
    if "utility" in node:
        yield list(history)
    elif "chance" in node:
        for edge in node["chance"]:
            yield from honest_paths(edge["child"], strategy, history + (edge["action"],))
    else:
        choice = strategy[history]
        edge = next(edge for edge in node["children"] if edge["action"] == choice)
        yield from honest_paths(edge["child"], strategy, history + (choice,))


def participation_constraints(shape: MarketGameShape) -> list[str]:
    """What every analysis assumes: amounts are non-negative, audits happen with a
    probability in (0, 1], and each party wants to take part at the asking prices — the
    model is worth its price and fees to the developer, the fee covers the compute cost."""
    n, m = shape.data_owners, shape.vendors
    return [
        "P >= 0", "F >= 0", "C >= 0", "V >= 0", "Bv >= 0", "Ba >= 0", "Bd >= 0",
        "G >= 0", "K >= 0", "q > 0", "q <= 1",
        f"V >= {n}*P + {m}*F", "F >= C",
    ]
