"""What every property checker provides to the case-splitting engine.

A property is checked for all parameter values satisfying the constraints. A checker
provides two things:

* :meth:`GameProperty.decide` — decide the property at one exact point by backward induction
  and return either a witness strategy profile or a counterexample, together with the
  comparisons made (true at the point);
* :meth:`GameProperty.witness_region` — the set of parameter values on which a witness
  profile found at some point keeps witnessing the property (a condition containing the point).

The engine (:mod:`proofs.games.engine`) asks Z3 for a point not yet covered by any witness
region, decides there, and either stops with a counterexample or adds the new region; when
no point is left the property holds, with one witness per case.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from ..logic import Condition, conjunction
from ..model import CompiledGame
from ..point import Fact, Judge, Point, facts_to_atoms
from ..strategy import Counterexample, HonestPath, Strategy


@dataclass
class PointVerdict:
    holds: bool
    strategy: Strategy | None = None
    counterexample: Counterexample | None = None
    facts: set[Fact] = field(default_factory=set)  # comparisons made, as value-index pairs
    details: dict[str, object] = field(default_factory=dict)


class GameProperty(ABC):
    """A property of a game with respect to one honest history."""

    #: the name used on the command line and in results
    name: str = ""
    #: which ``property_constraints`` entry of the game file applies
    constraint_key: str = ""
    #: compare only real parts (weaker immunity)
    real_only: bool = False

    def __init__(self, compiled: CompiledGame, history: tuple[str, ...]):
        self.compiled = compiled
        self.path = HonestPath(compiled, history)
        self.players = compiled.players

    def judge(self, point: Point) -> Judge:
        return Judge(point, real_only=self.real_only)

    @abstractmethod
    def decide(self, point: Point) -> PointVerdict:
        """Decide the property at ``point`` (``facts`` = the comparisons that were made)."""

    def witness_region(self, verdict: PointVerdict, point: Point) -> Condition:
        """Parameter values on which ``verdict.strategy`` still witnesses the property.

        The default is the path condition of the decision, which is always sound; checkers
        override it with the (larger) exact region of the witness profile where they can.
        """
        return conjunction(facts_to_atoms(self.compiled.table, verdict.facts, self.real_only))

    def path_condition(self, verdict: PointVerdict) -> Condition:
        """The region on which :meth:`decide` takes the same steps (and reaches the same verdict)."""
        return conjunction(facts_to_atoms(self.compiled.table, verdict.facts, self.real_only))
