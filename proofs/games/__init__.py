"""A finite extensive-form game engine with symbolic parameters, decided exactly with Z3.

Reproduces the verdicts of CheckMate (weak immunity, weaker immunity, collusion resilience,
practicality) and adds chance nodes, honest-strategy dominance, dominance solvability and
exact parameter synthesis. See ``docs/games.md``.

Typical use::

    from proofs.games import load_game, parse_game, check_property, synthesise

    game = load_game("closing_game.json")            # or parse_game(dict), or make_game(...) (build.py)
    result = check_property(game, "practicality", ["C_h", "S"])
    result.verdict                                   # "holds" / "fails"
    result.cases                                     # holds: (region, witness strategy) per case
    result.counterexample                            # fails: values, deviation, payoffs

    region = synthesise(game, "practicality")        # exact weakest precondition
    region.expression                                # sympy formula over the constants
    region.z3_expression                             # the same formula for Z3
    region.verified                                  # proved exact by Z3
"""

from __future__ import annotations

from .build import chance, decision, leaf, make_game
from .engine import (
    EngineError, PropertyResult, WitnessCase, Workspace, check_game, check_property,
)
from .jsonio import GameFormatError, game_to_dict, load_game, parse_game, save_game
from .model import Game, compile_game
from .properties import ALL_PROPERTIES, CHECKMATE_PROPERTIES
from .properties.solvability import GameTooLarge
from .strategy import Counterexample, Strategy
from .synthesis import Region, synthesise

__all__ = [
    "ALL_PROPERTIES", "CHECKMATE_PROPERTIES", "Counterexample", "EngineError", "Game", "GameFormatError",
    "GameTooLarge", "PropertyResult", "Region", "Strategy", "WitnessCase", "Workspace", "check_game",
    "chance", "check_property", "compile_game", "decision", "game_to_dict", "leaf", "load_game", "make_game",
    "parse_game", "save_game", "synthesise",
]
