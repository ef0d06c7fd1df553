"""Building blocks: immutable maps and amounts.

Every piece of state in the spec is an immutable, hashable value so that a whole market
can be compared, hashed and stored as a node of a state graph. Python has no built-in
frozen dictionary, so :class:`FrozenMap` provides the one we need: a map that is never
changed in place; ``with_item`` and ``without`` return a new map.

Amounts of tokens are not given a type of their own. Every effect computes amounts with
``+``, ``-`` and multiplication by whole numbers only, so the same effect runs on ``int``
and ``Fraction`` (execution, model checking) and on z3 or sympy terms (proofs). The
helper :func:`total` sums a sequence of amounts starting from the integer 0, which every
one of those number systems accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")

#: An amount of tokens: an int or Fraction when executing, a z3 or sympy term when proving.
Amount = Any


class FrozenMap(Mapping[Key, Value], Generic[Key, Value]):
    """An immutable, hashable mapping. Iteration follows sorted key order."""

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Iterable[tuple[Key, Value]] | Mapping[Key, Value] = ()):
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: dict[Key, Value] = dict(sorted(pairs, key=lambda pair: pair[0]))
        self._hash: int | None = None

    def __getitem__(self, key: Key) -> Value:
        return self._items[key]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    # Direct delegation: the Mapping defaults go through __getitem__ key by key.
    def get(self, key: Key, default=None):
        return self._items.get(key, default)

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._items == other._items
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def with_item(self, key: Key, value: Value) -> FrozenMap[Key, Value]:
        """A copy of this map where ``key`` maps to ``value``."""
        if key in self._items:  # same keys, so the sorted order is kept
            updated = dict(self._items)
            updated[key] = value
            return FrozenMap._from_sorted(updated)
        return FrozenMap((*self._items.items(), (key, value)))

    def with_items(self, changes: Mapping[Key, Value]) -> FrozenMap[Key, Value]:
        """A copy of this map with every key of ``changes`` set to its value."""
        if all(key in self._items for key in changes):
            updated = dict(self._items)
            updated.update(changes)
            return FrozenMap._from_sorted(updated)
        return FrozenMap({**self._items, **changes})

    def without(self, key: Key) -> FrozenMap[Key, Value]:
        """A copy of this map without ``key``."""
        updated = dict(self._items)
        del updated[key]
        return FrozenMap._from_sorted(updated)

    @classmethod
    def _from_sorted(cls, items: dict[Key, Value]) -> FrozenMap[Key, Value]:
        """Wrap a dict whose keys are already in sorted order (no copy, no sort)."""
        result = cls.__new__(cls)
        result._items = items
        result._hash = None
        return result


def total(amounts: Iterable[Amount]) -> Amount:
    """The sum of ``amounts``, starting from the integer 0 (the empty sum is 0)."""
    return sum(amounts, 0)
