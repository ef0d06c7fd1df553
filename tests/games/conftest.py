"""Shared fixtures for the game-engine tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from proofs.games import Workspace, load_game

DATA = Path(__file__).resolve().parent / "data"


def checkmate_directory() -> Path:
    """CheckMate's example games and verdicts: the directory ``$AIMARKET_CHECKMATE_DIR`` names
    (holding ``verdicts.json`` and ``games/``). The data is CheckMate's, not this project's, so
    it is not in the repository; without the variable the tests that need it are skipped."""
    configured = os.environ.get("AIMARKET_CHECKMATE_DIR")
    if not configured:
        pytest.skip("CheckMate's example suite: set AIMARKET_CHECKMATE_DIR to run these tests")
    directory = Path(configured)
    if not (directory / "verdicts.json").exists():
        raise FileNotFoundError(f"AIMARKET_CHECKMATE_DIR={configured}: no verdicts.json there")
    return directory


def checkmate_available() -> bool:
    """Whether CheckMate's example suite was given (for lists built at collection time)."""
    return bool(os.environ.get("AIMARKET_CHECKMATE_DIR"))


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
