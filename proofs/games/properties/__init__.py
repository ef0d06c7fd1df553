"""The game-theoretic properties, one checker class per property."""

from __future__ import annotations

from .base import GameProperty, PointVerdict
from .collusion import CollusionResilience
from .dominance import HonestDominance
from .immunity import WeakImmunity, WeakerImmunity
from .practicality import Practicality
from .solvability import DominanceSolvability

#: CheckMate's four properties, in its order
CHECKMATE_PROPERTIES: tuple[str, ...] = (
    "weak_immunity", "weaker_immunity", "collusion_resilience", "practicality",
)

PROPERTY_CLASSES: dict[str, type[GameProperty]] = {
    cls.name: cls
    for cls in (WeakImmunity, WeakerImmunity, CollusionResilience, Practicality, HonestDominance,
                DominanceSolvability)
}

ALL_PROPERTIES: tuple[str, ...] = tuple(PROPERTY_CLASSES)

__all__ = ["ALL_PROPERTIES", "CHECKMATE_PROPERTIES", "PROPERTY_CLASSES", "GameProperty", "PointVerdict"]
