"""Seeded pseudo-randomness that is identical everywhere.

numpy's generators do not promise the same stream across numpy versions, so everything that
a seed decides (the train/test split, the batch order of every epoch) is drawn from SHA-256
in counter mode instead:

    block_j = SHA-256( b"aimarket/seeded-stream/v1" || u64le(seed) || u32le(len(label)) ||
                       label_utf8 || u64le(j) )

and the stream is ``block_0 || block_1 || …`` read as little-endian unsigned 64-bit words.
A uniform integer in ``[0, bound)`` takes the next word ``w`` and rejects it while
``w >= 2**64 - (2**64 mod bound)`` (no modulo bias). A permutation of ``range(count)`` is the
Fisher–Yates shuffle: for ``i`` from ``count-1`` down to 1, swap positions ``i`` and
``uniform(i + 1)``.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

_STREAM_TAG = b"aimarket/seeded-stream/v1"
_WORD_RANGE = 1 << 64


def _words(seed: int, label: str) -> Iterator[int]:
    if not 0 <= seed < _WORD_RANGE:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    label_bytes = label.encode("utf-8")
    prefix = _STREAM_TAG + struct.pack("<QI", seed, len(label_bytes)) + label_bytes
    block_index = 0
    while True:
        block = hashlib.sha256(prefix + struct.pack("<Q", block_index)).digest()
        yield from struct.unpack("<4Q", block)
        block_index += 1


def seeded_permutation(seed: int, label: str, count: int) -> list[int]:
    """A permutation of ``range(count)`` determined by ``seed`` and ``label`` alone."""
    order = list(range(count))
    words = _words(seed, label)
    for position in range(count - 1, 0, -1):
        bound = position + 1
        rejection_threshold = _WORD_RANGE - (_WORD_RANGE % bound)
        word = next(words)
        while word >= rejection_threshold:
            word = next(words)
        chosen = word % bound
        order[position], order[chosen] = order[chosen], order[position]
    return order
