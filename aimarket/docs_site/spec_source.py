"""Reading the spec's structure from its source: section banners and documented constants.

``spec/actions.py`` is divided by banner comments::

    # -----------------------------------------------------------------
    # Identities and accounts
    # -----------------------------------------------------------------

The site groups actions into protocol chapters by the banner under which each action's
effect function is written, so an action moved or added in the spec lands in the right
chapter without anyone editing the site.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import spec.actions
from spec.actions import Action

_BANNER_RULE = "# " + "-" * 20


@dataclass(frozen=True)
class Section:
    """A banner section of a spec module: its title and the lines it spans (1-based)."""

    title: str
    first_line: int
    last_line: int


@cache
def sections(module: ModuleType) -> tuple[Section, ...]:
    """The banner sections of ``module`` in source order."""
    lines = inspect.getsource(module).splitlines()
    starts: list[tuple[str, int]] = []
    for number in range(len(lines) - 2):
        if (lines[number].startswith(_BANNER_RULE) and lines[number + 2].startswith(_BANNER_RULE)
                and lines[number + 1].startswith("# ")):
            starts.append((lines[number + 1][2:].strip(), number + 1))
    found = []
    for position, (title, line) in enumerate(starts):
        end = starts[position + 1][1] - 1 if position + 1 < len(starts) else len(lines)
        found.append(Section(title, line, end))
    return tuple(found)


def section_of_line(module: ModuleType, line: int) -> str | None:
    for section in sections(module):
        if section.first_line <= line <= section.last_line:
            return section.title
    return None


def action_section(action: Action) -> str:
    """The banner section of ``spec/actions.py`` where ``action``'s effect is written."""
    effect = action.effect
    if inspect.getmodule(effect) is not spec.actions:
        raise ValueError(f"the effect of {action.name} is not written in spec/actions.py")
    line = inspect.getsourcelines(effect)[1]
    title = section_of_line(spec.actions, line)
    if title is None:
        raise ValueError(f"the effect of {action.name} is outside every section of spec/actions.py")
    return title


def functions_in_section(module: ModuleType, title: str) -> list[Callable[..., Any]]:
    """The top-level functions of ``module`` written in section ``title``, in source order."""
    wanted = next((section for section in sections(module) if section.title == title), None)
    if wanted is None:
        raise ValueError(f"{module.__name__} has no section {title!r}")
    found = []
    for name, value in vars(module).items():
        if inspect.isfunction(value) and inspect.getmodule(value) is module:
            line = inspect.getsourcelines(value)[1]
            if wanted.first_line <= line <= wanted.last_line:
                found.append((line, value))
    return [value for _, value in sorted(found, key=lambda pair: pair[0])]


@cache
def module_attribute_docs(module: ModuleType) -> dict[str, str]:
    """``{name: docstring}`` for module-level assignments followed by a string literal."""
    tree = ast.parse(inspect.getsource(module))
    docs: dict[str, str] = {}
    for current, following in zip(tree.body, tree.body[1:]):
        if (isinstance(current, (ast.Assign, ast.AnnAssign))
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            target = current.targets[0] if isinstance(current, ast.Assign) else current.target
            if isinstance(target, ast.Name):
                docs[target.id] = inspect.cleandoc(following.value.value)
    return docs


def called_names(function: Callable[..., Any]) -> set[str]:
    """Names of the functions ``function`` calls directly (``f(...)`` and ``m.f(...)``)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
    return names


def attribute_names(function: Callable[..., Any], modules: tuple[ModuleType, ...]) -> set[str]:
    """Attribute names read by ``function`` and, transitively, by the functions of
    ``modules`` it calls (``market.balances`` contributes ``balances``)."""
    seen: set[int] = set()
    names: set[str] = set()
    pending: list[Callable[..., Any]] = [function]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        tree = ast.parse(textwrap.dedent(inspect.getsource(current)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
        for called in called_names(current):
            for module in modules:
                candidate = getattr(module, called, None)
                if inspect.isfunction(candidate) and inspect.getmodule(candidate) is module:
                    pending.append(candidate)
    return names
