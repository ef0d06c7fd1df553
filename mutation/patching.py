"""Mutants and the patches they are made of, applied in memory and always restored.

A :class:`Patch` replaces one attribute of a module or class, or one entry of a mapping
(the spec's :data:`~spec.actions.CATALOGUE`), with another value. A :class:`Mutant` names
a fault and says how to build its patches; building them only when the mutant is applied
lets a patch wrap the original it replaces. :func:`applied` makes the patches in order,
runs the body, and undoes them in reverse order whatever happens.

Patching works because the code under test looks what it uses up by name at call time:
the spec's guards and effects call module-level helpers of :mod:`spec.actions` and the
state machine looks actions up in the catalogue; the reference's chaincode calls its
helpers through its module or class.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Patch:
    """Replace ``target.attribute`` (a module or class attribute) or ``target[attribute]``
    (a mapping entry) with ``value``."""

    target: Any
    attribute: str
    value: Any

    def current(self) -> Any:
        """What ``target`` holds under ``attribute`` now (for a class, the raw entry of
        its ``__dict__``, so a ``staticmethod`` is put back as one)."""
        if isinstance(self.target, MutableMapping):
            return self.target[self.attribute]
        if isinstance(self.target, type):
            return self.target.__dict__[self.attribute]
        return getattr(self.target, self.attribute)

    def put(self, value: Any) -> None:
        if isinstance(self.target, MutableMapping):
            self.target[self.attribute] = value
        else:
            setattr(self.target, self.attribute, value)


def no_patches() -> Sequence[Patch]:
    return ()


@dataclass(frozen=True)
class Mutant:
    """A named, deliberate fault.

    ``patches`` builds the replacements when the mutant is applied. ``kind`` sorts the
    conformance suite's mutants by the kind of fault (``conformance.mutants.FAULT_KINDS``).
    ``injector``, for a fault injected outside this process (an implementation behind the
    conformance bridge), is a context manager factory used instead of patches.
    """

    name: str
    description: str
    patches: Callable[[], Sequence[Patch]] = no_patches
    kind: str = ""
    injector: Callable[[], contextlib.AbstractContextManager[None]] | None = field(
        default=None, compare=False)


@contextlib.contextmanager
def applied(mutant: Mutant) -> Iterator[None]:
    """Run the body with ``mutant`` in force; every patch is undone on exit."""
    if mutant.injector is not None:
        with mutant.injector():
            yield
        return
    saved: list[tuple[Patch, Any]] = []
    try:
        for patch in mutant.patches():
            saved.append((patch, patch.current()))
            patch.put(patch.value)
        yield
    finally:
        for patch, original in reversed(saved):
            patch.put(original)
