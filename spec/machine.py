"""Processing one call: guard, requirements, effect.

:func:`step` is the whole state machine for concrete amounts: the first failing check
rejects the call and leaves the market as it was. :func:`symbolic_step` runs the same
action on symbolic amounts: instead of evaluating the requirements it returns them, so a
proof can take them as assumptions (the region where the call is accepted).
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.actions import CATALOGUE, Call
from spec.params import Requirement
from spec.rejections import Rejection
from spec.state import Market


class UnknownAction(ValueError):
    """A call names an action that is not in the catalogue."""


@dataclass(frozen=True)
class Step:
    """The outcome of one call: ``rejection`` is ``None`` when it was accepted."""

    call: Call
    rejection: Rejection | None
    market: Market

    @property
    def accepted(self) -> bool:
        return self.rejection is None


def action_of(call: Call):
    try:
        return CATALOGUE[call.action]
    except KeyError:
        raise UnknownAction(f"unknown action {call.action!r}") from None


def step(market: Market, call: Call) -> Step:
    """Apply ``call`` to ``market`` with concrete amounts."""
    action = action_of(call)
    rejection = action.guard(market, call)
    if rejection is None:
        for requirement in action.requirements(market, call):
            if not requirement.holds():
                rejection = requirement.code
                break
    if rejection is not None:
        return Step(call, rejection, market)
    return Step(call, None, action.effect(market, call))


@dataclass(frozen=True)
class SymbolicStep:
    """The outcome of one call on symbolic amounts.

    ``rejection`` is a discrete rejection (the guard's); when it is ``None`` the call is
    accepted exactly where every one of ``requirements`` holds, and ``market`` is then the
    next market with symbolic amounts.
    """

    call: Call
    rejection: Rejection | None
    requirements: tuple[Requirement, ...]
    market: Market


def symbolic_step(market: Market, call: Call) -> SymbolicStep:
    """Apply ``call`` to a market whose amounts may be z3 or sympy terms."""
    action = action_of(call)
    rejection = action.guard(market, call)
    if rejection is not None:
        return SymbolicStep(call, rejection, (), market)
    requirements = action.requirements(market, call)
    return SymbolicStep(call, None, requirements, action.effect(market, call))
