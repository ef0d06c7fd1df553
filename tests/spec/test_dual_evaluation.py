"""The same effects evaluated on concrete amounts and on symbolic ones (z3 and sympy)
give the same amounts once the parameters are substituted."""

import random
from fractions import Fraction
from dataclasses import replace

import pytest
import sympy
import z3

from spec.actions import Call
from spec.machine import symbolic_step
from spec.world import make_instance
from spec.state import genesis
from walks.walk import random_walk

INSTANCE = make_instance(data_owners=3, developers=2, vendors=3, steps=4,
                         licence_uses=10**6, licence_expiry=10**6)

AMOUNT_ARGS = ("amount", "price", "misuse_value", "fee", "cost", "vendor_stake",
               "developer_bond", "owner_bond")


class Symbols:
    """Fresh symbols for every distinct concrete amount met in a run."""

    def __init__(self, make):
        self.make = make
        self.by_name = {}
        self.values = {}

    def for_value(self, kind, value):
        name = f"{kind}_{value}".replace("/", "_over_")
        if name not in self.by_name:
            self.by_name[name] = self.make(name)
            self.values[name] = value
        return self.by_name[name]


def symbolic_call(each: Call, symbols: Symbols) -> Call:
    args = each.args
    for key in AMOUNT_ARGS:
        if key in args:
            args = args.with_item(key, symbols.for_value(key, args[key]))
    return replace(each, args=args)


def amounts(market):
    """Every amount of a market, by a readable path."""
    found = {"minted": market.minted}
    found.update({f"balance:{k}": v for k, v in market.balances.items()})
    found.update({f"escrow:{k}": v for k, v in market.escrows.items()})
    for ident, job in market.jobs.items():
        found.update({f"{ident}:deposit:{k}": v for k, v in job.deposits.items()})
        for index, (account, amount) in enumerate(job.payouts or ()):
            found[f"{ident}:payout:{index}:{account}"] = amount
    return found


def z3_value(term, symbols):
    if isinstance(term, int):
        return term
    pairs = [(symbols.by_name[name], z3.RealVal(str(value))) for name, value in symbols.values.items()]
    return z3.simplify(z3.substitute(term, *pairs)).as_fraction()


def sympy_value(term, symbols):
    if isinstance(term, int):
        return term
    substituted = sympy.sympify(term).subs(
        {symbols.by_name[n]: sympy.Rational(str(v)) for n, v in symbols.values.items()})
    return Fraction(str(substituted))


@pytest.mark.parametrize("backend", ["z3", "sympy"])
@pytest.mark.parametrize("seed", [1, 2])
def test_concrete_and_symbolic_effects_agree(backend, seed):
    make = z3.Real if backend == "z3" else sympy.Symbol
    value_of = z3_value if backend == "z3" else sympy_value
    symbols = Symbols(make)
    dispute_cost = symbols.for_value("dispute_cost", INSTANCE.dispute_cost)
    audit_probability = symbols.for_value("audit_probability", INSTANCE.audit_probability)
    symbolic = genesis(dispute_cost, audit_probability)
    compared = 0
    for index, result in enumerate(random_walk(INSTANCE, random.Random(seed), 400)):
        if not result.accepted:
            continue
        outcome = symbolic_step(symbolic, symbolic_call(result.call, symbols))
        assert outcome.rejection is None, "guards branch on discrete facts only"
        symbolic = outcome.market
        if index % 20 and index != 399:
            continue  # compare on a sample of states: substitution is the costly part
        concrete_amounts, symbolic_amounts = amounts(result.market), amounts(symbolic)
        assert concrete_amounts.keys() == symbolic_amounts.keys()
        for path, concrete in concrete_amounts.items():
            assert value_of(symbolic_amounts[path], symbols) == concrete, path
            compared += 1
    assert compared > 300
    # The symbolic run really was symbolic: some payouts are terms, not numbers.
    assert any(not isinstance(v, int) for v in amounts(symbolic).values())
