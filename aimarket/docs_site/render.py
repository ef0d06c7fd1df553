"""Rendering spec objects and values as Markdown: records, enumerations, functions, calls."""

from __future__ import annotations

import dataclasses
import inspect
from enum import Enum
from fractions import Fraction
from types import ModuleType
from collections.abc import Callable
from typing import Any

from aimarket.docs_site.markdown import code, prose, table
from aimarket.docs_site.spec_source import module_attribute_docs
from aimarket.introspect import attribute_docs
from spec.actions import Call
from spec.base import FrozenMap


@dataclasses.dataclass(frozen=True)
class Constant:
    """A documented module-level constant, named so that a page can include it."""

    module: ModuleType
    name: str


def source_path(thing: object) -> str:
    module = thing.module if isinstance(thing, Constant) else (
        thing if isinstance(thing, ModuleType) else inspect.getmodule(thing))
    if module is None:
        raise ValueError(f"{thing!r} belongs to no module")
    return module.__name__.replace(".", "/") + ".py"


def source_note(thing: object) -> str:
    return f'<span class="source-note">from {code(source_path(thing))}</span>'


def format_value(value: Any) -> str:
    """A spec value written the way the spec's own code would read it, compactly."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, (frozenset, set)):
        return "{" + ", ".join(sorted(format_value(item) for item in value)) + "}"
    if isinstance(value, FrozenMap):
        return "{" + ", ".join(f"{format_value(key)}: {format_value(item)}"
                               for key, item in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(format_value(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return str(value)


def format_call(made: Call) -> str:
    arguments = ", ".join(f"{name}={format_value(value)}" for name, value in made.args.items())
    return code(f"{made.actor}: {made.action}({arguments})")


def signature_text(function: Callable[..., Any]) -> str:
    parameters = inspect.signature(function).parameters
    return f"{function.__name__}({', '.join(parameters)})"


def default_text(field: dataclasses.Field) -> str:
    if field.default is not dataclasses.MISSING:
        return format_value(field.default) if field.default != () else "()"
    if field.default_factory is not dataclasses.MISSING:
        return "empty"
    return ""


def record_doc(cls: type, heading: str = "###") -> str:
    """A dataclass: its docstring and a table of its fields."""
    docs = attribute_docs(cls)
    parts = [f"{heading} {code(cls.__name__)}", "", source_note(cls), "", prose(cls.__doc__), ""]
    fields = dataclasses.fields(cls)
    columns = [("field", lambda field: code(field.name)), ("type", lambda field: code(field.type))]
    if any(default_text(field) for field in fields):
        columns.append(("default", default_text))
    if any(field.name in docs for field in fields):
        columns.append(("meaning", lambda field: prose(docs.get(field.name, ""))))
    if fields:
        parts += [table([header for header, _ in columns],
                        [[render(field) for _, render in columns] for field in fields]), ""]
    return "\n".join(parts)


def enum_doc(cls: type[Enum], heading: str = "###", anchor_prefix: str = "",
             extra: tuple[str, Any] | None = None) -> str:
    """An enumeration: its docstring and a table of its members with their documentation.

    ``extra`` adds a column: ``(header, function of the member)``.
    """
    docs = attribute_docs(cls)
    parts = [f"{heading} {code(cls.__name__)}", "", source_note(cls), "", prose(cls.__doc__), ""]
    headers = ["value", "meaning"] + ([extra[0]] if extra else [])
    rows = []
    for member in cls:
        anchor = f'<a id="{anchor_prefix}{member.value}"></a>' if anchor_prefix else ""
        row = [anchor + code(member.value), prose(docs.get(member.name, ""))]
        if extra:
            row.append(extra[1](member))
        rows.append(row)
    parts += [table(headers, rows), ""]
    return "\n".join(parts)


def function_doc(function: Callable[..., Any], heading: str = "###", anchor: str = "") -> str:
    anchor_text = f" {{#{anchor}}}" if anchor else ""
    return "\n".join([f"{heading} {code(function.__name__ + '()')}{anchor_text}", "",
                      source_note(function), "", code(signature_text(function)), "",
                      prose(inspect.getdoc(function)), ""])


def constant_doc(constant: Constant, heading: str = "###") -> str:
    value = getattr(constant.module, constant.name)
    doc = module_attribute_docs(constant.module).get(constant.name, "")
    return "\n".join([f"{heading} {code(constant.name)}", "", source_note(constant), "",
                      f"{code(constant.name)} = {code(format_value(value))}", "", prose(doc), ""])


def module_doc(module: ModuleType, heading: str | None = None) -> str:
    """A module's docstring; under a heading naming the module's file when ``heading``."""
    title = [f"{heading} {code(source_path(module))}", ""] if heading else [source_note(module), ""]
    return "\n".join([*title, prose(module.__doc__), ""])


def object_doc(thing: object, heading: str = "###") -> str:
    """The documentation of any spec object a page includes (a module is shown without a
    heading: use :func:`module_doc` for one)."""
    if isinstance(thing, ModuleType):
        return module_doc(thing)
    if isinstance(thing, Constant):
        return constant_doc(thing, heading)
    if isinstance(thing, type) and issubclass(thing, Enum):
        return enum_doc(thing, heading)
    if isinstance(thing, type) and dataclasses.is_dataclass(thing):
        return record_doc(thing, heading)
    if inspect.isfunction(thing):
        return function_doc(thing, heading)
    raise TypeError(f"no rendering for {thing!r}")
