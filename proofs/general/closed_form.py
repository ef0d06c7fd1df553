"""The incentive regions of the market game as closed forms in the job's counts.

The per-shape analysis (:func:`proofs.incentives.analyse`) gives, for one job shape — n
data owners, m vendors, T training steps — the exact region of each property: a
conjunction of polynomial inequalities over the game's constants (``P`` the price of one
dataset, ``F`` the fee and ``C`` the cost of one vendor, ``K = W/q`` the misuse
compensation of one dataset, ``q``, ``G``, the stakes ``Bv``, ``Ba``, ``Bd``). Players of
one role are exchangeable in the game (same price, fee, cost; the spec treats them alike),
so a region depends on the shape only through the counts, and a coalition's region only
through its composition: whether the developer is in it, how many owners ``j`` and how
many vendors ``k``. This module writes every region as such a closed form, a
:class:`Family` per property and subject, in the symbols ``n``, ``m``, ``R`` (the
bisection bound ceil(log2 T), ``R >= 1`` for ``T >= 2``), ``j`` and ``k``.

The closed forms were read off the exact regions of the analysed shapes (1-3 owners, 1-3
vendors, T = 2, 4, 8); :func:`proofs.general.theorem.cross_check` confirms with Z3 that
each one, instantiated at an analysed shape, is *equivalent* to the exact region there
(under the game's participation constraints), and fails on any disagreement;
:mod:`proofs.general.interpolation` derives each one again from the exact conditions, as
the only region of its degree in the counts that agrees with the analysed shapes.

:func:`rule` is the spec's stake rule (``spec.params.stake_requirements``) for a job of n
datasets of one price and misuse value and m vendors of one fee and cost, in the same
symbols; :func:`rule_agrees_with_spec` compares it with the spec's own function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

from proofs.market_game import CONSTANTS

S = {name: sympy.Symbol(name) for name in CONSTANTS}
P, F, C, V, Bv, Ba, Bd, G, q, K = (S[name] for name in ("P", "F", "C", "V", "Bv", "Ba", "Bd", "G", "q", "K"))
n, m, R, j, k = sympy.symbols("n m R j k")
COUNTS = (n, m, R, j, k)


@dataclass(frozen=True)
class Composition:
    """Who a subject is: the developer or not, how many owners, how many vendors."""

    developer: bool
    owners: int
    vendors: int


DEVELOPER = Composition(True, 0, 0)
OWNER = Composition(False, 1, 0)
VENDOR = Composition(False, 0, 1)


@dataclass(frozen=True)
class Family:
    """One property's region for a class of subjects, for every shape: ``conditions``
    (each ``expression >= 0``) hold over the class ``where`` (constraints on the counts,
    each ``expression >= 0``, ``n, m, R >= 1`` always assumed) — e.g. coalitions with the
    developer and ``k >= 1`` vendors."""

    property: str
    subject: str
    developer: bool | None
    """Whether the subject includes the developer (None: the family is about every player)."""
    where: tuple[sympy.Expr, ...]
    conditions: tuple[sympy.Expr, ...]
    per_outcome: bool = False
    """Weak immunity per outcome of nature (reported; the protocol promises the expected one)."""
    ranges: tuple[tuple[sympy.Expr, sympy.Expr], tuple[sympy.Expr, sympy.Expr]] = ((0, 0), (0, 0))
    """The least and greatest ``j`` and ``k`` of the class (``where`` may exclude some
    points between or at them): every condition is affine in ``j`` and ``k``, so its
    bound over the class is at most its bound at these corners."""

    def covers(self, subject: Composition | None, shape: tuple[int, int, int]) -> bool:
        """Whether this family gives the region of ``subject`` (None: all players) in a
        game of ``shape`` (owners, vendors, rounds)."""
        if subject is None or self.developer is None:
            return subject is None and self.developer is None
        if subject.developer != self.developer:
            return False
        values = counts(shape, subject)
        return all(bool(sympy.sympify(bound).subs(values) >= 0) for bound in self.where)

    def at(self, shape: tuple[int, int, int], subject: Composition | None) -> list[sympy.Expr]:
        """The conditions at a shape, for a subject (game constants only)."""
        values = counts(shape, subject or Composition(True, shape[0], shape[1]))
        return [sympy.expand(condition.subs(values)) for condition in self.conditions]


def counts(shape: tuple[int, int, int], subject: Composition) -> dict[sympy.Symbol, int]:
    owners, vendors, rounds = shape
    return {n: owners, m: vendors, R: rounds, j: subject.owners, k: subject.vendors}


def _role(property_: str, subject: str, composition: Composition,
          conditions: tuple[sympy.Expr, ...], per_outcome: bool = False) -> Family:
    where = (j - composition.owners, composition.owners - j, k - composition.vendors, composition.vendors - k)
    ranges = ((composition.owners, composition.owners), (composition.vendors, composition.vendors))
    return Family(property_, subject, composition.developer, where, conditions, per_outcome, ranges)


DISPUTE = (R + 1) * G
"""What a claimant spends over a full bisection: opening plus R rounds."""

FAMILIES: tuple[Family, ...] = (
    # property 1: truthful reporting, per role
    _role("truthful_reporting", "the developer", DEVELOPER, (Bv + F - DISPUTE,)),
    _role("truthful_reporting", "each data owner", OWNER, ()),
    _role("truthful_reporting", "each vendor", VENDOR, ()),
    # property 2: dominance solvability, all players at once
    Family("dominance_solvability", "all players", None, (),
           (Bv + F - DISPUTE, q * (Bv + F) - C, Bv - n * K)),
    # property 3: weak immunity in expectation over nature (the protocol's promise), per role
    _role("weak_immunity", "the developer", DEVELOPER,
          (q * (Bv + F - DISPUTE) - m * F - n * P, Bv - (m - 1) * F - n * P - n * K)),
    _role("weak_immunity", "each data owner", OWNER, ()),
    _role("weak_immunity", "each vendor", VENDOR, ()),
    # property 4: collusion resilience, by composition (j owners, k vendors, developer in or
    # not); a coalition has two or more members and leaves someone out
    Family("collusion_resilience", "the developer with k >= 1 vendors and no owner", True,
           (k - 1, m - k, -j, j),
           (Bv - (m - k) * (F - C) + G - n * P,), ranges=((0, 0), (1, m))),
    Family("collusion_resilience", "the developer with j >= 1 owners and k >= 1 vendors", True,
           (j - 1, n - j, k - 1, m - k),
           (Bv - (m - k) * (F - C) + G - n * P, Bd - (n - 1) * P - (m - k) * (F - C)),
           ranges=((1, n), (1, m))),
    Family("collusion_resilience", "the developer with j >= 1 owners and no vendor", True,
           (j - 1, n - j, -k, k), (), ranges=((1, n), (0, 0))),
    Family("collusion_resilience", "k >= 1 vendors with j owners, no developer (j + k >= 2)", False,
           (k - 1, m - k, j, n - j, j + k - 2),
           (Bv - k * C + F - n * K, q * (Bv + F) - k * C), ranges=((0, n), (1, m))),
    Family("collusion_resilience", "j >= 2 owners, no vendor, no developer", False,
           (j - 2, n - j, -k, k), (), ranges=((2, n), (0, 0))),
)
"""The closed-form regions (promised notions), one family per property and subject class."""


def families_of(property_: str, per_outcome: bool = False) -> list[Family]:
    return [family for family in FAMILIES + PER_OUTCOME
            if family.property == property_ and family.per_outcome == per_outcome]


PER_OUTCOME: tuple[Family, ...] = (
    # an honest developer whose lazy vendor goes unaudited has paid for nothing
    _role("weak_immunity", "the developer", DEVELOPER,
          (-m * F - n * P, Bv - DISPUTE - n * P / m, Bv - (m - 1) * F - n * P - n * K), per_outcome=True),
    # an owner whose vendors' misuse goes undetected loses W per vendor
    _role("weak_immunity", "each data owner", OWNER, (P - m * K * q,), per_outcome=True),
    _role("weak_immunity", "each vendor", VENDOR, (), per_outcome=True),
)
"""Weak immunity per outcome of nature, per role (reported beside the promised notion,
decision 0050): the spec's rule lies outside the developer's and the owners' regions."""


# ------------------------------------------------------------------- the spec's rule
def rule() -> list[sympy.Expr]:
    """``spec.params.stake_requirements`` for n datasets (price P, misuse value K*q each)
    and m vendors (fee F, cost C each), in the order the spec checks them, each
    ``expression >= 0``: the spec's sums over datasets and vendors are n and m equal terms."""
    dispute = (R + 1) * G
    return [
        Bv - n * P,
        q * Bv - n * K * q,
        q * (Bv + F) - (C + n * K * q),
        q * (Bv + F - dispute) - (n * P + m * F),
        q * (Bv + F) - (q * (n * P + m * F) + n * K * q),
        Ba - G * R,
        Bd - (G + n * P),
        Bd - (G + n * P + m * F - m * C),
    ]


def participation() -> list[sympy.Expr]:
    """The game's participation constraints (:func:`proofs.market_game.participation_constraints`)
    in the counts, each ``expression >= 0`` except ``q > 0`` (see :data:`STRICT`)."""
    return [P, F, C, V, Bv, Ba, Bd, G, K, 1 - q, V - n * P - m * F, F - C]


STRICT = (q,)
"""Participation constraints that are strict: ``q > 0``."""


def rule_agrees_with_spec(owners: int, vendors: int, steps: int,
                          requirements: Callable[..., tuple]) -> bool:
    """Whether :func:`rule` at (owners, vendors, steps) is the spec's own rule: the same
    expressions, in the same order, as ``requirements`` (``spec.params.stake_requirements``)
    evaluated on symbolic amounts."""
    from spec.params import bisection_rounds
    given = requirements(
        prices=[P] * owners, fees=[F] * vendors, costs=[C] * vendors,
        misuse_values=[K * q] * owners, audit_probability=q, dispute_cost=G, steps=steps,
        vendor_stake=Bv, developer_bond=Ba, owner_bond=Bd)
    spec_side = [sympy.expand(item.amount - item.bound) for item in given]
    ours = [sympy.expand(expression.subs({n: owners, m: vendors, R: bisection_rounds(steps)}))
            for expression in rule()]
    if len(spec_side) != len(ours) + 3 * (vendors - 1):
        return False
    # the spec states the three per-vendor conditions once per vendor, all equal here
    distinct = list(dict.fromkeys(spec_side))
    return distinct == list(dict.fromkeys(ours)) and not any(item.strict for item in given)
