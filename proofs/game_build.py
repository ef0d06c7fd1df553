"""Building the market game from the spec: the fast build (the default) and the plain walk.

:func:`build_market_game` writes the game of :mod:`proofs.market_game` for a job shape.
``memoise=False`` is the plain walk (:func:`proofs.market_game.plain_build`: every
history stepped anew with sympy amounts), the benchmark's baseline. The default is
:func:`fast_build`, which writes the same game (``tests/incentives`` compares the two on
every shape whose plain walk takes seconds: tree, payoffs as polynomials, honest moves,
truthful reports, counts) and takes every state from the spec's own step:

* **One subtree per equivalent state.** The subtree below a state is built once per
  distinct market and :func:`proofs.market_game.context_key` (the part of the walk's
  context that still matters); a state reached again reuses the JSON subtree built, and
  its honest moves and truthful reports are recorded under the new history.
* **Interned markets, the spec asked once** (:class:`proofs.game_stepper.Stepper`): each
  distinct market is one object, and its open moves, its steps and its leaf are asked of
  the spec once, then looked up by that object's identity.
* **Packed amounts** (:mod:`proofs.game_amounts`): the spec runs on polynomials packed
  into ints; each distinct payoff polynomial is printed once per build.
* **One pass over a node** (decision 0145). The walk decides a node's kind, its
  automatic moves and its branches in one loop over the market, asking the move
  generator once per market and state of silence, where the plain walk's ``automatic_moves`` and
  ``turn`` ask for the eligible moves twice and build a ``GameNode`` of ``Branch``
  objects for every node; the ticks and the timeout of a silence pass are stepped
  without interning the markets in between (no walk ever reads them); and the stepper's
  tables are emptied before the garbage collector is resumed, so that its first scan
  sees only the game and not every market of the build.

The rules the walk follows — who moves, the branches and their labels, the misuse and
off-chain options, the honest move and the truthful reports, the payoffs — are the
functions of :mod:`proofs.market_game` that the plain walk calls too, read from that
module when called (a test that replaces one of them changes both builds).
"""

from __future__ import annotations

import gc
from dataclasses import replace

from proofs.game_amounts import printed
from proofs.game_stepper import Stepper, accepted_step, symbolic_step
import proofs.market_game as rules
from proofs.market_game import (ACCEPT, JOB, RESOLVE, TICK, TIMEOUT, Context, GameBuild, GameTooLarge, MarketGameShape,
                                amount_symbols, audit_odds, game_file, opening_market, plain_build, the_dispute)
from spec.actions import call
from spec.payoffs import offchain_training_value
from spec.state import TERMINAL_STATUSES, JobStatus, Market, Turn

DISPUTED, DELIVERED, RUNNING = JobStatus.DISPUTED, JobStatus.DELIVERED, JobStatus.RUNNING
REPORTED = frozenset({"report_misuse"})
"""The truthful report of an owner who is shown a vendor's misuse."""

Decided = tuple[tuple[str, ...], str, frozenset[str]]
"""A decision node's history, honest move and truthful reports."""


def build_market_game(shape: MarketGameShape, node_budget: int = 2_000_000,
                      memoise: bool = True) -> GameBuild:
    """Explore the spec over one job and write the game tree: by default the fast build
    (:func:`fast_build`), with ``memoise=False`` the plain walk that is the benchmark's
    baseline (:func:`proofs.market_game.plain_build`). Both write the same game."""
    if not memoise:
        return plain_build(shape, node_budget)
    return fast_build(shape, node_budget)


def pass_deadline(market: Market) -> Market:
    """The end of a silence (:func:`proofs.market_game.let_deadline_pass`): the spec's
    ticks until the deadline has passed, then its timeout, each step checked against the
    spec's guard. The fast build interns only the market this returns."""
    deadline = market.jobs[JOB].deadline
    while market.now <= deadline:
        market = accepted_step(symbolic_step(market, TICK))
    return accepted_step(symbolic_step(market, TIMEOUT))


def fast_build(shape: MarketGameShape, node_budget: int = 2_000_000) -> GameBuild:
    """The game of ``shape`` built once per distinct state (module docstring)."""
    stepper = Stepper(remember=True)
    instance = shape.instance
    order = shape.mover_order.__getitem__
    players = shape.players
    honest_strategy: dict[tuple[str, ...], str] = {}
    truthful: dict[tuple[str, ...], frozenset[str]] = {}
    actions: set[str] = set()
    # the subtree of each (market, context_key): (tree, first and last index in `decided`
    # of its decision nodes, the depth of its root, its node and leaf counts)
    subtrees: dict[tuple, tuple[dict, int, int, int, int, int]] = {}
    decided: list[Decided] = []
    texts: dict[int, str] = {}
    counts = [0, 0]
    accepted, open_moves, market_key, canonical = stepper.accepted, stepper.open_moves, stepper.market_key, stepper.canonical
    q, not_q = audit_odds()
    q_text, not_q_text = str(q), str(not_q)
    value = amount_symbols()["V"]

    def leaf(market: Market) -> list[dict[str, str]]:
        values = rules.leaf_utilities(market, shape)
        row = []
        for player in players:
            amount = values[player]
            known = texts.get(amount)
            if known is None:
                # printed once per polynomial, as the plain build's sympy text parses
                known = texts[amount] = printed(amount)
            row.append({"player": player, "value": known})
        return row

    def record(history: tuple[str, ...], honest: str, reports: frozenset[str]) -> None:
        honest_strategy[history] = honest
        truthful[history] = reports
        decided.append((history, honest, reports))

    def grow(market: Market, context: Context, history: tuple[str, ...]) -> dict:
        key = (market_key(market), *rules.context_key(market, context))
        known = subtrees.get(key)
        if known is not None:
            tree, first, last, depth, nodes, leaves = known
            for index in range(first, last):
                below, honest, reports = decided[index]
                record(history + below[depth:], honest, reports)
            counts[0] += nodes
            counts[1] += leaves
            if counts[0] > node_budget:
                raise GameTooLarge(f"more than {node_budget} nodes")
            return tree
        first, before, leaves = len(decided), counts[0], counts[1]
        counts[0] = before + 1
        if before >= node_budget:
            raise GameTooLarge(f"more than {node_budget} nodes")
        tree = grow_node(market, context, history)
        subtrees[key] = (tree, first, len(decided), len(history), counts[0] - before, counts[1] - leaves)
        return tree

    def grow_node(market: Market, context: Context, history: tuple[str, ...]) -> dict:
        # the moves that involve no choice (proofs.market_game.automatic_moves), then the
        # node (proofs.market_game.turn)
        while True:
            job = market.jobs[JOB]
            status = job.status
            if status in TERMINAL_STATUSES:
                return grow_end(market, context, history)
            if status is DISPUTED and the_dispute(job).turn is Turn.RESOLVE:
                market = accepted(market, RESOLVE)
                continue
            if status is DELIVERED:
                audited = context.audited
                if audited is None:
                    actions.update(("audit", "no_audit"))
                    return {"chance": [
                        {"action": "audit", "probability": q_text,
                         "child": grow(market, Context(context[0], True, *context[2:]), history + ("audit",))},
                        {"action": "no_audit", "probability": not_q_text,
                         "child": grow(market, Context(context[0], False, *context[2:]), history + ("no_audit",))}]}
                if audited is False:
                    market = accepted(market, ACCEPT)
                    continue
            moves = open_moves(market, instance)
            silent = context.silent
            if silent:
                deadline = job.deadline
                moves = [move for move in moves if (move.actor, deadline) not in silent]
            if moves:
                break
            market = canonical(pass_deadline(market))
        player = min([move.actor for move in moves], key=order)
        misuse = (status is RUNNING and player in job.vendors and player not in job.confirmed
                  and player not in context.misuse_considered)
        branches = [(rules.label_of(market, move), accepted(market, move)) for move in moves if move.actor == player]
        labels = [label for label, _ in branches]
        actions.update(labels)
        labels += ["misuse_data", "silent"] if misuse else ["silent"]
        record(history, rules.honest_choice(market, player, labels), rules.truthful_reports(market, labels))
        children = []
        inner = Context(context[0] | {player}, *context[1:]) if misuse else context
        for label, stepped in branches:
            children.append({"action": label, "child": grow(stepped, inner, history + (label,))})
        if misuse:
            misused = accepted(market, call("misuse_data", player, job=JOB))
            children.append({"action": "misuse_data",
                             "child": grow_misuse(misused, inner, history + ("misuse_data",), player)})
        children.append({"action": "silent", "child": grow(
            market, Context(*context[:4], context[4] | {(player, job.deadline)}), history + ("silent",))})
        actions.add("silent")
        return {"player": player, "children": children}

    def grow_end(market: Market, context: Context, history: tuple[str, ...]) -> dict:
        """An ended job: the off-chain deal offered to each holder in turn, then the leaf."""
        options = None if context.offchain_decided else offchain_training_value(market, market.jobs[JOB], value)
        undecided = sorted(set(options) - context.offchain_declined) if options else ()
        if not undecided:
            counts[1] += 1
            # a node of its own (the analysis keys nodes by identity), the payoffs shared
            return {"utility": stepper.leaf(market, leaf)}
        vendor = undecided[0]
        trained = canonical(replace(market, artefacts=market.artefacts | {("offchain_training", JOB, vendor)}))
        record(history, "abstain", frozenset())
        actions.update(("abstain", "train_offchain"))
        declined = context._replace(offchain_declined=context.offchain_declined | {vendor})
        return {"player": vendor, "children": [
            {"action": "abstain", "child": grow(market, declined, history + ("abstain",))},
            {"action": "train_offchain", "child": grow(trained, context._replace(offchain_decided=True),
                                                       history + ("train_offchain",))}]}

    def grow_found(market: Market, context: Context, history: tuple[str, ...], vendor: str,
                   owners: tuple[str, ...]) -> dict:
        """An audit found the vendor's misuse: the owners in turn report it or not
        (:func:`proofs.market_game.misuse_found`)."""
        counts[0] += 1
        owner = owners[0]
        reported = accepted(market, call("report_misuse", owner, job=JOB, vendor=vendor))
        record(history, "report_misuse", REPORTED)
        actions.update(("report_misuse", "ignore"))
        ignored = history + ("ignore",)
        return {"player": owner, "children": [
            {"action": "report_misuse", "child": grow(reported, context, history + ("report_misuse",))},
            {"action": "ignore", "child": grow_found(market, context, ignored, vendor, owners[1:])
             if len(owners) > 1 else grow(market, context, ignored)}]}

    def grow_misuse(market: Market, context: Context, history: tuple[str, ...], vendor: str) -> dict:
        counts[0] += 1
        owners = tuple(dict.fromkeys(market.datasets[d].owner for d in market.jobs[JOB].datasets))
        actions.update(("misuse_data", "misuse_found", "misuse_unfound"))
        return {"chance": [
            {"action": "misuse_found", "probability": q_text,
             "child": grow_found(market, context, history + ("misuse_found",), vendor, owners)},
            {"action": "misuse_unfound", "probability": not_q_text,
             "child": grow(market, context, history + ("misuse_unfound",))}]}

    # every state is kept until the walk ends (nothing to collect meanwhile), so the cyclic
    # garbage collector's scans are paused; the stepper's tables and the memo are emptied
    # before it resumes, so its first scan sees the game, not every market met
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        tree = grow(canonical(opening_market(shape, fast=True)), Context(), ())
    finally:
        subtrees.clear()
        decided.clear()
        stepper.clear()
        if paused:
            gc.enable()
    return GameBuild(game_file(shape, actions, tree, honest_strategy), honest_strategy, truthful, counts[0], counts[1])
