"""Tests of the game-theoretic engine (proofs/games)."""
