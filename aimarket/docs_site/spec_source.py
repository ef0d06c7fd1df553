"""Reading the spec's structure from its source: documented constants and the names a
function reads or calls.

Nothing here reads comments: the protocol chapters come from each action's declaration
(:attr:`spec.actions.Action.chapter`), so renaming or moving a comment cannot change the
site.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any


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
