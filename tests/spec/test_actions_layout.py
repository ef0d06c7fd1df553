"""The layout rules of ``spec/actions.py``: one block per action, the rejection order
stated once (in the action's declaration) and the same as the order the guard checks,
helpers patchable by name."""

from __future__ import annotations

import inspect
import sys
from dataclasses import replace
from types import FrameType
from typing import Any

import pytest

import spec.actions
import spec.machine
import spec.params
from spec.actions import CATALOGUE, Action, Chapter
from spec.examples import WORLD, Example, examples
from spec.machine import step
from spec.rejections import Rejection
from spec.state import JobStatus, Market, Role, genesis

TRACED = frozenset(str(module.__file__) for module in (spec.actions, spec.machine, spec.params))
"""Where an action's checks run: its guard and requirements, and the loop of
:func:`spec.machine.step` that evaluates the requirements in order."""


def before_last(example: Example) -> Market:
    market = genesis(WORLD.dispute_cost, WORLD.audit_probability)
    for made in example.calls[:-1]:
        market = step(market, made).market
    return market


def where_refused(example: Example, traced: frozenset[str] = TRACED
                  ) -> tuple[Rejection | None, tuple[float, ...]]:
    """Run the example's last call and say where in the checks it was refused.

    The place is the path of bytecode offsets from :func:`spec.machine.step` down to the
    instruction that produced the code (the one executed just before the first ``return``
    of a rejection): the call site in ``step``, the call site in the guard, ... A check
    made later in a guard is written, and compiled, after the earlier ones, so the places
    of an action's codes sort in the order its guard checks them. A code that no guard
    returned failed a requirement; requirements are evaluated after the guard, in the
    order the action's requirements list them.
    """
    market = before_last(example)
    made = example.calls[-1]
    offsets: dict[int, list[int]] = {}
    place: list[tuple[float, ...]] = []

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in traced:
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        if event == "opcode":
            offsets.setdefault(id(frame), []).append(frame.f_lasti)
        elif event == "return" and not place and is_refusal(arg):
            path: list[float] = [offsets[id(frame)][-2]]
            caller = frame.f_back
            while caller is not None and caller.f_code.co_filename in traced:
                path.append(caller.f_lasti)
                if caller.f_code is step.__code__:
                    break
                caller = caller.f_back
            place.append(tuple(reversed(path)))
        return tracer

    sys.settrace(tracer)
    try:
        result = step(market, made)
    finally:
        sys.settrace(None)
    if place:
        return result.rejection, place[0]
    requirements = CATALOGUE[made.action].requirements(market, made)
    failing = next(index for index, requirement in enumerate(requirements)
                   if not requirement.holds())
    return result.rejection, (float("inf"), failing)


def is_refusal(value: object) -> bool:
    return isinstance(value, Rejection) or (
        isinstance(value, tuple) and bool(value) and isinstance(value[0], Rejection))


REFUSALS: dict[str, list[Example]] = {}
for each in examples():
    if each.expected is not None:
        REFUSALS.setdefault(each.action, []).append(each)


@pytest.mark.parametrize("action", [a for a in CATALOGUE.values() if a.rejections],
                         ids=[a.name for a in CATALOGUE.values() if a.rejections])
def test_rejection_order_is_the_order_the_guard_checks(action: Action) -> None:
    """Drive every code of the action in turn (its worked examples) and order the codes by
    where in the checks each was returned: the sequence must be the declared one."""
    assert_checked_in_declared_order(action, TRACED)


def assert_checked_in_declared_order(action: Action, traced: frozenset[str]) -> None:
    reached: dict[Rejection, tuple[float, ...]] = {}
    for example in REFUSALS[action.name]:
        code, place = where_refused(example, traced)
        assert code is not None and code == example.expected, example.name
        assert reached.get(code, place) == place, f"{code.value} is returned at two places"
        reached[code] = place
    assert set(reached) == set(action.rejections), "every code is driven by an example"
    checked = sorted(reached, key=lambda code: reached[code])
    assert checked == list(action.rejections), (
        f"{action.name}: the guard checks in the order {[c.value for c in checked]} "
        f"(places {[reached[c] for c in checked]}), the declaration lists "
        f"{[c.value for c in action.rejections]}")
    places = [reached[code] for code in action.rejections]
    assert len(set(places)) == len(places), "two codes are returned at the same place"


def test_order_check_fails_on_a_swapped_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """The order test is not vacuous: a guard that checks the deadline before the
    duplicate answer of ``accept_job`` is caught."""
    original = CATALOGUE["accept_job"]

    def swapped(market: Market, call: spec.actions.Call) -> Rejection | None:
        rejection, job = spec.actions.guard_party_move(market, call, Role.VENDOR, JobStatus.LICENSED)
        if rejection:
            return rejection
        assert job is not None
        if spec.actions.deadline_passed(market, job):
            return Rejection.DEADLINE_PASSED
        if call.actor in job.accepted:
            return Rejection.ALREADY_ANSWERED
        offer = market.offers[call.actor]
        return Rejection.VENDOR_AT_CAPACITY if offer.active_jobs >= offer.capacity else None

    assert_checked_in_declared_order(original, TRACED | {__file__})
    monkeypatch.setitem(CATALOGUE, "accept_job", replace(original, guard=swapped))
    with pytest.raises(AssertionError, match="the guard checks in the order"):
        assert_checked_in_declared_order(CATALOGUE["accept_job"], TRACED | {__file__})


def test_every_action_is_one_block_of_module_functions() -> None:
    """The catalogue holds the module's own guard, requirements and effect of each action
    (so patching a module attribute and patching the catalogue agree), the effect is named
    after the action, and its docstring opens with what the action changes."""
    for name, action in CATALOGUE.items():
        assert action.effect.__name__ == f"effect_{name}"
        for function in (action.guard, action.requirements, action.effect):
            assert getattr(spec.actions, function.__name__) is function, (name, function.__name__)
        assert action.changes and " ".join((inspect.getdoc(action.effect) or "").split()).startswith(action.changes)
        assert isinstance(action.chapter, Chapter)
        assert any(value is action.chapter for value in vars(spec.actions).values()
                   if isinstance(value, Chapter)), f"{name}: its chapter is a declared constant"


def test_helpers_are_looked_up_by_name() -> None:
    """No function of the spec is bound under a second name, in a default argument or in a
    closure, so replacing the module attribute replaces it everywhere (the mutants rely on
    this)."""
    functions = {name: value for name, value in vars(spec.actions).items()
                 if inspect.isfunction(value) and value.__module__ == "spec.actions"}
    by_identity: dict[int, list[str]] = {}
    for name, function in functions.items():
        by_identity.setdefault(id(function), []).append(name)
    assert [names for names in by_identity.values() if len(names) > 1] == []
    own = {id(function) for function in functions.values()}
    for name, function in functions.items():
        captured = list(function.__defaults__ or ()) + list(function.__kwdefaults__ or {}.values())
        captured += [cell.cell_contents for cell in function.__closure__ or ()]
        assert not [value for value in captured if id(value) in own], name
