"""Shared fixtures for the game-engine tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from proofs.games import Workspace, load_game

REPOSITORY = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"


def checkmate_directory() -> Path:
    """CheckMate's example games: ``$AIMARKET_CHECKMATE_DIR`` or ``../shared/anchors/checkmate``
    next to the repository (where the developers' machines and CI put shared/)."""
    configured = os.environ.get("AIMARKET_CHECKMATE_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [REPOSITORY.parent / "shared" / "anchors" / "checkmate", Path("/work/shared/anchors/checkmate")]
    for candidate in candidates:
        if (candidate / "verdicts.json").exists():
            return candidate
    raise FileNotFoundError("CheckMate anchor data not found; set AIMARKET_CHECKMATE_DIR")


def checkmate_game_path(name: str) -> Path:
    games = checkmate_directory() / "games"
    plain = games / f"{name}.json"
    return plain if plain.exists() else games / f"{name}.json.gz"


def checkmate_verdicts() -> dict[str, dict[str, dict[str, bool]]]:
    with open(checkmate_directory() / "verdicts.json", encoding="utf-8") as handle:
        return json.load(handle)


_WORKSPACES: dict[str, Workspace] = {}


def checkmate_workspace(name: str) -> Workspace:
    """Load each CheckMate game once per test session."""
    if name not in _WORKSPACES:
        _WORKSPACES[name] = Workspace(load_game(checkmate_game_path(name)))
    return _WORKSPACES[name]


@pytest.fixture
def audit_game():
    return load_game(DATA / "audit.json")
