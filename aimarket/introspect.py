"""Reading the spec's own prose: attribute docstrings of enumerations and records.

Python keeps a class's docstring but not the string literal written under each of its
attributes; the spec documents every rejection code, status and offence that way, so the
CLI and the docs site read those strings back from the source with ``ast``.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache


@cache
def attribute_docs(cls: type) -> dict[str, str]:
    """``{attribute name: the string literal written directly under it}`` for ``cls``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    definition = tree.body[0]
    assert isinstance(definition, ast.ClassDef)
    body = definition.body
    docs: dict[str, str] = {}
    for current, following in zip(body, body[1:]):
        if (isinstance(current, (ast.Assign, ast.AnnAssign))
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            target = current.targets[0] if isinstance(current, ast.Assign) else current.target
            if isinstance(target, ast.Name):
                docs[target.id] = " ".join(following.value.value.split())
    return docs
