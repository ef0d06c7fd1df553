"""The conformance pages type no corpus counts: how many vectors, calls, bytes and
coverage entries the corpus holds comes from the manifest (the CLI prints it, the site's
generated vectors page tabulates it), so the pages cannot go stale when the corpus grows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
TYPED_COUNTS = [
    re.compile(r"\b\d+ (?:vectors|calls|entries|edges|endings)\b"),
    re.compile(r"\b\d{2,} ?/ ?\d{2,}\b"),          # coverage such as 203/203
    re.compile(r"\b\d+(?:\.\d+)? MB\b"),
]


@pytest.mark.parametrize("page", ["docs/conformance.md", "docs/vectors.md"])
def test_no_corpus_count_is_typed(page):
    text = (REPOSITORY / page).read_text(encoding="utf-8")
    found = [match.group(0) for pattern in TYPED_COUNTS for match in pattern.finditer(text)]
    assert found == [], f"{page} types corpus counts {found}; take them from the manifest"


def test_the_patterns_would_catch_the_old_text():
    old = "About 2 400 calls in 69 vectors, 3.7 MB. Coverage today: **203 / 203**; 30 edges."
    caught = [match.group(0) for pattern in TYPED_COUNTS for match in pattern.finditer(old)]
    assert caught == ["400 calls", "69 vectors", "30 edges", "203 / 203", "3.7 MB"]
