"""The Runner: how any implementation of the protocol plugs into the conformance suite.

An implementation provides a class with four methods. The suite calls them vector by
vector (:mod:`conformance.conform`):

* :meth:`Runner.init` — start an empty market with the vector's genesis parameters (the
  dispute cost and audit probability; only the treasury exists, with no tokens);
* :meth:`Runner.step` — make one call and say what happened: ``"accepted"`` or the
  rejection code (a :class:`~spec.rejections.Rejection` value);
* :meth:`Runner.step_concurrently` — make two calls *together* (in one block of a ledger)
  and say what happened to each; the expected result is that of the two calls one after
  the other, whatever conflict handling the implementation needs to get there. The
  default runs them one after the other;
* :meth:`Runner.project` — the implementation's state as an
  :class:`~conformance.projection.AbstractState`.

A call arrives as a :class:`~conformance.vectors.VectorCall`: the spec's values of the
arguments and what the abstract ones mean (:mod:`conformance.semantics`). Off-chain events
(the clock's ``tick``, a vendor's ``misuse_data``) arrive as calls too; an implementation
plays them in its test environment.

A runner that cannot execute some call raises :class:`Unsupported`: the vector is counted
as *skipped*, never as passed, and the suite's run fails its completeness check.

An implementation in another language does not write this class: it speaks the bridge
protocol of :mod:`conformance.bridge` over its standard input and output, and
:class:`conformance.bridge.ExecRunner` (``--runner exec:COMMAND``) is its Runner.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from conformance.projection import AbstractState
from conformance.vectors import Genesis, VectorCall


class Unsupported(Exception):
    """The runner cannot execute this call; the vector is reported as skipped."""


class Runner(ABC):
    """One implementation under test. One instance runs many vectors, calling
    :meth:`init` before each."""

    name: str = "runner"

    @abstractmethod
    def init(self, genesis: Genesis) -> None:
        """Start from an empty market with these parameters."""

    @abstractmethod
    def step(self, call: VectorCall) -> str:
        """Make ``call``; return ``"accepted"`` or the rejection code."""

    def step_concurrently(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        """Make two calls in one block; return both outcomes (default: one by one)."""
        return self.step(first), self.step(second)

    @abstractmethod
    def project(self) -> AbstractState:
        """The current state, projected to the abstract state."""

    def close(self) -> None:
        """Release what the runner holds (called once, after the last vector)."""
