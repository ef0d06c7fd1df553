"""Shared fixtures of the conformance tests: the committed corpus, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.conform import Corpus, load_corpus

REPOSITORY = Path(__file__).resolve().parents[2]
VECTORS = REPOSITORY / "vectors"


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The committed corpus (hashes checked; the schema is checked in test_corpus.py)."""
    return load_corpus(VECTORS, validate=False)
