"""What the incentive analysis produces: candidate values with their plays, conditions
(honest minus deviating >= 0) and regions (their conjunction).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proofs.games.terms import Poly


@dataclass(frozen=True)
class Candidate:
    """One polynomial value and the play that yields it: ``(leaf history, weight)``
    pairs, the weight being the probability of reaching that leaf in this play."""

    value: Poly
    play: tuple[tuple[tuple[str, ...], Poly], ...]


Candidates = dict[Poly, Candidate]


@dataclass(frozen=True)
class Condition:
    """``honest - deviation >= 0`` at one node, for one pair of candidates."""

    difference: Poly
    node: tuple[str, ...]
    deviation: str
    honest_play: Candidate
    deviating_play: Candidate


@dataclass
class Region:
    """The exact region where a property holds, and what shows it."""

    property: str
    subject: str
    conditions: list[Condition]
    """Conditions not implied by the assumptions; their conjunction is the region."""
    checked: int
    """How many candidate comparisons the property amounts to."""
    seconds: float = 0.0
    counterexamples: list[dict] = field(default_factory=list)
    formula: str = "true"
    rule_outside: list[dict] = field(default_factory=list)
    """Conditions the spec's stake rule does not imply, with a point (see rule_inside)."""
    verified: bool = False
    """Z3 re-checked that :attr:`formula`, the sympy-simplified text, is equivalent to the
    conjunction of :attr:`conditions` under the assumptions."""
    ties: list[dict] = field(default_factory=list)
    """Dominance solvability only: the moves that pay their mover exactly what the honest
    move pays (the same polynomial), and whether they are payoff-equivalent for everyone."""
    per_outcome: "Region | None" = None
    """Weak immunity only: the region of the per-outcome notion (no realisation of nature
    leaves the honest player below zero), beside the expected one this region is."""
