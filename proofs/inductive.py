"""Inductive invariants for unbounded amounts, proved with Z3.

The explicit explorer checks the invariants for one choice of small amounts. Here every
amount is a symbol: each balance, escrow, deposit, payout, price, fee, cost, stake, bond,
the dispute cost and the audit probability are z3 reals, constrained only by an
inductive invariant, and the spec's own effect functions run on them
(:func:`spec.machine.symbolic_step` returns the requirements of a call as z3 terms).

The invariant ``Inv`` (:func:`invariant`) is a conjunction of

* **conservation** — the balances and escrows add up to the tokens minted;
* **no negative amount** — every balance and escrow is at least 0;
* **parameters** — prices, misuse values, fees and costs are at least 0, the dispute
  cost is at least 0 and the audit probability lies in (0, 1];
* for an **open job** — its escrow equals the sum of its deposits and nothing was paid
  out; the deposits are exactly: the developer's price of every dataset + fee of every
  vendor + its bond, one owner bond per granted dataset, one vendor stake per acceptance;
  and its stakes and bonds still meet every minimum of
  :func:`spec.params.stake_requirements` that ``request_training`` checked (the spec's
  own rule, so the proof follows it when it changes; the payout rules rely on some of
  them to pay nobody a negative amount);
* for an **ended job** — its escrow is 0, its payouts add up to its deposits (paid out in
  full) and no payout is negative.

Proof obligations, discharged for every *shape* (below) and every protocol move:

1. ``init => Inv`` — genesis (every amount 0) satisfies ``Inv`` under the parameter
   assumptions ``G >= 0`` and ``0 < q <= 1``;
2. ``Inv /\\ guard /\\ requirements /\\ effect => Inv'`` — the guard is discrete (it is
   evaluated on the shape), the requirements are the call's amount conditions and the
   effect is the spec's; a move whose requirements contradict ``Inv`` cannot happen and
   is skipped (the solver shows that: unsat);
3. ``Inv => safety`` — token conservation, no negative balance or escrow, and "an open
   job's escrow holds exactly its deposits; an ended job's escrow was paid out exactly
   once, in full" (``spec.invariants.escrow_paid_out_once``, restated over the reals).
   "Once" holds because every guard refuses a terminal job, and obligation 2 shows that
   no other move changes an ended job's escrow or payouts.

**Shapes.** Amounts never decide which way an effect goes: guards look at discrete facts
only and effects branch on discrete facts only; amounts decide just whether a call's
requirements hold (accepted) or not (refused, nothing changes). So the *shape* of a
market — the market with every amount blanked — is moved by a call to a successor shape
that does not depend on the amounts. The prover explores shapes breadth first from
genesis (the instance's setup calls, then its protocol moves), giving every amount of a
shape fresh symbols constrained by ``Inv``; a successor shape is added whenever the
move's requirements are satisfiable together with ``Inv``. Every concrete run, with any
amounts, follows a path of this shape graph (induction on the run: its calls were
accepted, so their requirements held, so the shape graph has the step), and each of its
markets satisfies ``Inv`` (induction with obligations 1 and 2). Shapes are keyed like
the explorer's classes (time and symmetry abstraction) — obligations of two markets of
one class differ only by a renaming of the symbols.

What is fixed: the instance's discrete structure (parties, job templates, steps,
windows) — amounts and parameters are unbounded and symbolic, and the setup's funding,
prices, fees and costs, and every requested stake and bond, are symbols too.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from fractions import Fraction
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import z3

from proofs.explore_symmetry import SymmetryKeys
from proofs.explore_time import TimeKeys, static_horizon
from spec.actions import Call
from spec.base import FrozenMap
from spec.machine import symbolic_step
from spec.params import Requirement, stake_requirements
from spec.world import Instance, setup, setup_calls
from spec.state import Market, genesis, is_terminal
from walks.moves import protocol_moves

AMOUNT_ARGS = frozenset({"amount", "price", "misuse_value", "fee", "cost", "vendor_stake",
                         "developer_bond", "owner_bond"})
"""Call arguments that are amounts (given symbols of their own)."""


# ---------------------------------------------------------------------------------------
# Markets with symbolic or blank amounts
# ---------------------------------------------------------------------------------------

def _map_amounts(market: Market, amount: Callable[[str, Any], Any]) -> Market:
    """``market`` with every amount replaced by ``amount(path, value)``."""
    jobs = {}
    for ident, job in market.jobs.items():
        payouts = None if job.payouts is None else tuple(
            (account, amount(f"payout[{ident}][{index}]", value))
            for index, (account, value) in enumerate(job.payouts))
        jobs[ident] = replace(
            job,
            vendor_stake=amount(f"Bv[{ident}]", job.vendor_stake),
            developer_bond=amount(f"Ba[{ident}]", job.developer_bond),
            owner_bond=amount(f"Bd[{ident}]", job.owner_bond),
            deposits=FrozenMap({party: amount(f"deposit[{ident}][{party}]", value)
                                for party, value in job.deposits.items()}),
            payouts=payouts)
    return replace(
        market,
        dispute_cost=amount("G", market.dispute_cost),
        audit_probability=amount("q", market.audit_probability),
        balances=FrozenMap({name: amount(f"balance[{name}]", value)
                            for name, value in market.balances.items()}),
        escrows=FrozenMap({name: amount(f"escrow[{name}]", value)
                           for name, value in market.escrows.items()}),
        minted=amount("minted", market.minted),
        datasets=FrozenMap({name: replace(dataset,
                                          price=amount(f"price[{name}]", dataset.price),
                                          misuse_value=amount(f"W[{name}]", dataset.misuse_value))
                            for name, dataset in market.datasets.items()}),
        offers=FrozenMap({name: replace(offer, fee=amount(f"fee[{name}]", offer.fee),
                                        cost=amount(f"cost[{name}]", offer.cost))
                          for name, offer in market.offers.items()}),
        jobs=FrozenMap(jobs),
    )


_SYMBOLS: dict[str, Any] = {}


def _symbol(path: str) -> Any:
    symbol = _SYMBOLS.get(path)
    if symbol is None:
        symbol = _SYMBOLS[path] = z3.Real(path)
    return symbol


def symbolic_market(market: Market) -> Market:
    """``market`` with every amount a fresh z3 real named by where it sits."""
    return _map_amounts(market, lambda path, value: _symbol(path))


def blank_market(market: Market) -> Market:
    """``market`` with every amount blanked (its shape)."""
    return _map_amounts(market, lambda path, value: None)


def symbolic_call(made: Call) -> Call:
    """``made`` with every amount argument a symbol ``call.<name>``."""
    if not AMOUNT_ARGS.intersection(made.args):
        return made
    args = {name: z3.Real(f"call.{name}") if name in AMOUNT_ARGS else value
            for name, value in made.args.items()}
    return Call(made.action, made.actor, FrozenMap(args))


# Formula building goes through Z3's C API directly for the few operations the invariant
# uses: the Python operators coerce and check sorts on every call, which made building
# formulas (not solving them) most of the prover's time.

_CONTEXT = z3.main_ctx()
_CONSTANTS: dict[object, Any] = {}


def _term(value: Any) -> Any:
    """A z3 real for an amount: symbolic amounts as they are, numbers as constants."""
    if isinstance(value, z3.ArithRef):
        return value
    constant = _CONSTANTS.get(value)
    if constant is None:
        fraction = Fraction(value)
        constant = z3.Q(fraction.numerator, fraction.denominator) if fraction.denominator != 1 \
            else z3.RealVal(fraction.numerator)
        _CONSTANTS[value] = constant
    return constant


def _ge(left: Any, right: Any) -> Any:
    return z3.BoolRef(z3.Z3_mk_ge(_CONTEXT.ref(), _term(left).as_ast(), _term(right).as_ast()),
                      _CONTEXT)


def _eq(left: Any, right: Any) -> Any:
    return z3.BoolRef(z3.Z3_mk_eq(_CONTEXT.ref(), _term(left).as_ast(), _term(right).as_ast()),
                      _CONTEXT)


def _ast_array(items: list[Any]):
    array = (z3.Ast * len(items))()
    for index, item in enumerate(items):
        array[index] = item.as_ast()
    return array, len(items)


def _sum(terms) -> Any:
    items = [_term(item) for item in terms]
    if not items:
        return _term(0)
    if len(items) == 1:
        return items[0]
    array, size = _ast_array(items)
    return z3.ArithRef(z3.Z3_mk_add(_CONTEXT.ref(), size, array), _CONTEXT)


def _and(formulas) -> Any:
    items = list(formulas)
    if not items:
        return z3.BoolVal(True)
    if len(items) == 1:
        return items[0]
    array, size = _ast_array(items)
    return z3.BoolRef(z3.Z3_mk_and(_CONTEXT.ref(), size, array), _CONTEXT)


# ---------------------------------------------------------------------------------------
# The invariant
# ---------------------------------------------------------------------------------------

def invariant_inputs(market: Market) -> tuple[tuple, list[Any]]:
    """What ``Inv`` and the safety properties read from a market: its discrete facts, with
    each amount replaced by its position in the returned list of z3 terms.

    The formulas are built from these inputs alone (:func:`invariant`), so two markets
    with equal inputs and the same terms have the same formulas, and the prover builds
    them once.
    """
    terms: list[Any] = []

    def term(value: Any) -> int:
        terms.append(_term(value))
        return len(terms) - 1

    jobs = []
    for ident, job in market.jobs.items():
        jobs.append((
            ident, is_terminal(job),
            None if job.payouts is None else tuple((account, term(amount))
                                                   for account, amount in job.payouts),
            job.developer, job.datasets, job.vendors,
            tuple(market.datasets[dataset].owner for dataset in job.grants),
            tuple(sorted(job.accepted)),
            tuple((party, term(amount)) for party, amount in job.deposits.items()),
            job.steps,
            term(job.vendor_stake), term(job.developer_bond), term(job.owner_bond),
            job.payouts is None,
        ))
    facts = (
        tuple((name, term(value)) for name, value in market.balances.items()),
        tuple((name, term(value)) for name, value in market.escrows.items()),
        term(market.minted), term(market.dispute_cost), term(market.audit_probability),
        tuple((name, dataset.owner, term(dataset.price), term(dataset.misuse_value))
              for name, dataset in market.datasets.items()),
        tuple((name, term(offer.fee), term(offer.cost)) for name, offer in market.offers.items()),
        tuple(jobs),
    )
    return facts, terms


def invariant(market: Market) -> list[tuple[str, Any]]:
    """The conjuncts of ``Inv`` for a market with symbolic amounts, each named.

    A discrete mismatch (a deposit by a party that should have none, an escrow for no
    job) is the conjunct ``False`` with a name saying what is wrong.
    """
    return _invariant(*invariant_inputs(market))


def safety_properties(market: Market) -> list[tuple[str, Any]]:
    """The safety invariants of :mod:`spec.invariants` that concern amounts, over the
    reals: token conservation, no negative balance or escrow, escrow paid out once."""
    return _safety(*invariant_inputs(market))


def _invariant(facts: tuple, terms: list[Any]) -> list[tuple[str, Any]]:
    balances, escrows, minted, dispute_cost, probability, datasets, offers, jobs = facts
    amount = terms.__getitem__
    conjuncts: list[tuple[str, Any]] = [
        ("conservation", _eq(_sum(amount(index) for _, index in balances + escrows), amount(minted))),
        *[(f"balance of {name} >= 0", _ge(amount(index), 0)) for name, index in balances],
        *[(f"escrow of {name} >= 0", _ge(amount(index), 0)) for name, index in escrows],
        ("dispute cost >= 0", _ge(amount(dispute_cost), 0)),
        ("0 < audit probability <= 1",
         _and([amount(probability) > 0, _ge(1, amount(probability))])),
    ]
    for name, _, price, misuse in datasets:
        conjuncts.append((f"price of {name} >= 0", _ge(amount(price), 0)))
        conjuncts.append((f"misuse value of {name} >= 0", _ge(amount(misuse), 0)))
    for name, fee, cost in offers:
        conjuncts.append((f"fee of {name} >= 0", _ge(amount(fee), 0)))
        conjuncts.append((f"cost of {name} >= 0", _ge(amount(cost), 0)))
    escrow_of = dict(escrows)
    if set(escrow_of) != {job[0] for job in jobs}:
        conjuncts.append(("every job has one escrow", z3.BoolVal(False)))
    price_of = {name: price for name, _, price, _ in datasets}
    misuse_of = {name: misuse for name, _, _, misuse in datasets}
    fee_of = {name: fee for name, fee, _ in offers}
    cost_of = {name: cost for name, _, cost in offers}
    for (ident, terminal, payouts, developer, job_datasets, vendors, granted_owners,
         accepted, deposits, steps, vendor_stake, developer_bond, owner_bond, open_) in jobs:
        escrow = amount(escrow_of[ident]) if ident in escrow_of else _term(0)
        deposited = _sum(amount(index) for _, index in deposits)
        if terminal:
            if payouts is None:
                conjuncts.append((f"{ident} ended but was never paid out", z3.BoolVal(False)))
                continue
            conjuncts.append((f"escrow of ended {ident} is 0", _eq(escrow, 0)))
            conjuncts.append((f"{ident} paid out its deposits in full",
                              _eq(_sum(amount(index) for _, index in payouts), deposited)))
            conjuncts += [(f"payout {position} of {ident} >= 0", _ge(amount(index), 0))
                          for position, (_, index) in enumerate(payouts)]
            continue
        if payouts is not None:
            conjuncts.append((f"open {ident} was already paid out", z3.BoolVal(False)))
            continue
        prices = [amount(price_of[dataset]) for dataset in job_datasets]
        fees = [amount(fee_of[vendor]) for vendor in vendors]
        expected = {developer: _sum(prices + fees + [amount(developer_bond)])}
        for owner in set(granted_owners):
            expected[owner] = amount(owner_bond) * granted_owners.count(owner)
        for vendor in accepted:
            expected[vendor] = amount(vendor_stake)
        conjuncts.append((f"escrow of {ident} holds its deposits", _eq(escrow, deposited)))
        deposit_of = dict(deposits)
        if set(deposit_of) != set(expected):
            conjuncts.append((f"deposits of {ident} are by the right parties", z3.BoolVal(False)))
        else:
            conjuncts += [(f"deposit of {party} in {ident}", _eq(amount(deposit_of[party]), value))
                          for party, value in expected.items()]
        minimums = stake_requirements(
            prices=prices, fees=fees, costs=[amount(cost_of[vendor]) for vendor in vendors],
            misuse_values=[amount(misuse_of[dataset]) for dataset in job_datasets],
            audit_probability=amount(probability), dispute_cost=amount(dispute_cost),
            steps=steps, vendor_stake=amount(vendor_stake),
            developer_bond=amount(developer_bond), owner_bond=amount(owner_bond))
        conjuncts += [(f"{ident}: {requirement.name}", requirement_formula(requirement))
                      for requirement in minimums]
    return conjuncts


def _safety(facts: tuple, terms: list[Any]) -> list[tuple[str, Any]]:
    balances, escrows, minted, _, _, _, _, jobs = facts
    amount = terms.__getitem__
    properties = [
        ("token_conservation",
         _eq(_sum(amount(index) for _, index in balances + escrows), amount(minted))),
        ("no_negative_balance", _and([_ge(amount(index), 0) for _, index in balances + escrows])),
    ]
    escrow_of = dict(escrows)
    once = []
    for job in jobs:
        ident, terminal, payouts, deposits, open_ = job[0], job[1], job[2], job[8], job[13]
        escrow = amount(escrow_of[ident]) if ident in escrow_of else _term(0)
        deposited = _sum(amount(index) for _, index in deposits)
        if terminal:
            if payouts is None:
                once.append(z3.BoolVal(False))
            else:
                once += [_eq(escrow, 0), _eq(_sum(amount(index) for _, index in payouts), deposited)]
        else:
            once += [z3.BoolVal(open_), _eq(escrow, deposited)]
    properties.append(("escrow_paid_out_once", _and(once)))
    return properties


class FormulaCache:
    """``Inv`` and the safety formulas, built once per distinct inputs and terms."""

    def __init__(self):
        self._formulas: dict[tuple, tuple[list, list, list]] = {}

    def formulas(self, market: Market) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
        facts, terms = invariant_inputs(market)
        key = (facts, tuple(item.get_id() for item in terms))
        known = self._formulas.get(key)
        if known is None:
            known = (terms, _invariant(facts, terms), _safety(facts, terms))
            self._formulas[key] = known  # the terms are kept alive, so ids stay unique
        return known[1], known[2]


def requirement_formula(requirement: Requirement) -> Any:
    if requirement.strict:
        return _term(requirement.amount) > _term(requirement.bound)
    return _ge(requirement.amount, requirement.bound)


# ---------------------------------------------------------------------------------------
# The prover
# ---------------------------------------------------------------------------------------

@dataclass
class Failure:
    """An obligation Z3 could not discharge, with a model when it found one."""

    obligation: str
    shape: int
    call: Call | None
    broken: list[str]
    model: dict[str, str]


@dataclass
class InductiveResult:
    instance: Instance
    shapes: int = 0
    transitions: int = 0
    infeasible: int = 0
    """Moves whose requirements contradict ``Inv`` (they can never be accepted)."""
    obligations: int = 0
    """Obligations stated (before sharing identical formulas)."""
    solver_calls: int = 0
    """Distinct formulas given to Z3."""
    failures: list[Failure] = field(default_factory=list)
    unknown: int = 0
    most_ticks: int | None = None
    """The most clock ticks on a run of shapes (checked against the time horizon)."""
    seconds: float = 0.0

    @property
    def holds(self) -> bool:
        return not self.failures and self.unknown == 0


class Prover:
    """Discharges formulas with Z3, sharing the answer between identical formulas (z3
    terms are hash-consed: equal formulas have the same id)."""

    def __init__(self, timeout_ms: int = 20_000):
        self.timeout_ms = timeout_ms
        self._answers: dict[int, tuple[Any, Any, Any]] = {}
        self.calls = 0

    def check(self, formula) -> tuple[Any, Any]:
        """(z3 result, model or None) for the satisfiability of ``formula``."""
        known = self._answers.get(formula.get_id())
        if known is not None:
            return known[1], known[2]
        solver = z3.Solver()
        solver.set("timeout", self.timeout_ms)
        solver.add(formula)
        answer = solver.check()
        model = solver.model() if answer == z3.sat else None
        self.calls += 1
        self._answers[formula.get_id()] = (formula, answer, model)
        return answer, model


def _model_values(model, formula) -> dict[str, str]:
    if model is None:
        return {}
    return {str(declaration): str(model[declaration]) for declaration in model.decls()}


def _broken(model, conjuncts) -> list[str]:
    if model is None:
        return []
    return [name for name, formula in conjuncts
            if z3.is_false(model.eval(formula, model_completion=True))]


def prove(instance: Instance, symmetry: bool = True, max_shapes: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> InductiveResult:
    """Discharge the three obligations for every shape of ``instance``."""
    was_enabled = gc.isenabled()
    gc.disable()  # as in the explorer: many live, acyclic values; see proofs.explore
    try:
        return _prove(instance, symmetry, max_shapes, progress)
    finally:
        if was_enabled:
            gc.enable()


def _prove(instance: Instance, symmetry: bool, max_shapes: int | None,
           progress: Callable[[int, int], None] | None) -> InductiveResult:
    started = time.perf_counter()
    result = InductiveResult(instance)
    prover = Prover()
    formulas = FormulaCache()
    calls = setup_calls(instance)
    start = genesis(instance.dispute_cost, instance.audit_probability)

    # 1. init => Inv, with the genesis parameters symbolic and every other amount 0.
    parameters = replace(start, dispute_cost=z3.Real("G"), audit_probability=z3.Real("q"))
    assumptions = _and([_ge(parameters.dispute_cost, 0), parameters.audit_probability > 0,
                        _ge(1, parameters.audit_probability)])
    initial = invariant(parameters)
    result.obligations += 1
    answer, model = prover.check(_and([assumptions, z3.Not(_and(f for _, f in initial))]))
    if answer != z3.unsat:
        result.failures.append(Failure("init => Inv", 0, None, _broken(model, initial),
                                       _model_values(model, None)))

    # Shapes: (shape market, number of setup calls made); setup calls come first.
    horizon = static_horizon(instance)
    keys = SymmetryKeys(instance, setup(instance), horizon) if symmetry else TimeKeys(horizon)
    shapes: list[tuple[Market, int]] = [(start, 0)]
    edges: list[tuple[int, int, bool]] = []
    index_of: dict[object, int] = {("setup", 0): 0}
    queue = deque([0])
    while queue:
        node = queue.popleft()
        shape, made_setup = shapes[node]
        market = symbolic_market(shape)
        current, safety = formulas.formulas(market)
        current_formula = _and(formula for _, formula in current)
        # 3. Inv => safety
        for name, formula in safety:
            result.obligations += 1
            answer, model = prover.check(_and([current_formula, z3.Not(formula)]))
            if answer == z3.sat:
                result.failures.append(Failure(f"Inv => {name}", node, None, [],
                                               _model_values(model, None)))
            elif answer == z3.unknown:
                result.unknown += 1
        if made_setup < len(calls):
            moves = [calls[made_setup]]
        else:
            moves = protocol_moves(market, instance)
        for move in moves:
            made = symbolic_call(move)
            outcome = symbolic_step(market, made)
            if outcome.rejection is not None:
                continue
            required = _and(requirement_formula(item) for item in outcome.requirements)
            answer, _ = prover.check(_and([current_formula, required]))
            if answer == z3.unsat:
                result.infeasible += 1
                continue
            result.transitions += 1
            # 2. Inv /\ requirements /\ effect => Inv'
            after, _ = formulas.formulas(outcome.market)
            result.obligations += 1
            answer, model = prover.check(_and([current_formula, required,
                                               z3.Not(_and(f for _, f in after))]))
            if answer == z3.sat:
                result.failures.append(Failure("Inv /\\ requirements => Inv'", node, move,
                                               _broken(model, after), _model_values(model, None)))
                continue
            if answer == z3.unknown:
                result.unknown += 1
            successor = blank_market(outcome.market)
            following = made_setup + 1 if made_setup < len(calls) else made_setup
            key: object = ("setup", following) if following < len(calls) else keys.key(successor)
            target = index_of.get(key)
            if target is None:
                if max_shapes is not None and len(shapes) >= max_shapes:
                    result.failures.append(Failure("exhaustive", node, move,
                                                   [f"more than {max_shapes} shapes"], {}))
                    queue.clear()
                    break
                target = len(shapes)
                index_of[key] = target
                shapes.append((successor, following))
                queue.append(target)
            edges.append((node, target, move.action == "tick"))
        if progress is not None and node % 200 == 0:
            progress(len(shapes), node + 1)
    result.shapes = len(shapes)
    result.solver_calls = prover.calls
    result.most_ticks = _most_ticks(len(shapes), edges)
    far = [dataset.licence.expiry for dataset in shapes[-1][0].datasets.values()
           if dataset.licence.expiry >= horizon]
    if far and (result.most_ticks is None or result.most_ticks > min(far)):
        result.failures.append(Failure(
            "time abstraction valid", 0, None,
            [f"a run of shapes takes {result.most_ticks} ticks (None: unbounded), beyond the "
             f"licence expiry {min(far)} taken as never reached"], {}))
    result.seconds = time.perf_counter() - started
    return result


def _most_ticks(count: int, edges: list[tuple[int, int, bool]]) -> int | None:
    """The most ticks on any path from shape 0, or None if the shape graph has a cycle."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(count))
    for source, target, tick in edges:
        if graph.has_edge(source, target):
            graph[source][target]["tick"] |= tick
        else:
            graph.add_edge(source, target, tick=tick)
    if not nx.is_directed_acyclic_graph(graph):
        return None
    most = [0] * count
    for node in nx.topological_sort(graph):
        for target, data in graph[node].items():
            most[target] = max(most[target], most[node] + int(data["tick"]))
    return max(most, default=0)


__all__ = ["Failure", "InductiveResult", "blank_market", "invariant", "prove",
           "safety_properties", "symbolic_call", "symbolic_market"]
