"""Batched cryptography on a thread pool.

OpenSSL releases the GIL while it signs or verifies, so threads that do nothing but
sign/verify run on all cores. Threads that interleave Python work with cryptography do
not: they queue for the GIL. So the ledger does its Python work on one thread and hands
whole batches of signatures to the pool (``map_in_chunks``), waiting for the results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MINIMUM_ITEMS_PER_WORKER = 8


def map_in_chunks(function: Callable[[Item], Result], items: Sequence[Item],
                  executor: Executor | None, workers: int) -> list[Result]:
    """``[function(item) for item in items]``, split into ``workers`` chunks on the pool.

    Runs inline without a pool, or when the batch is too small to be worth splitting.
    """
    if executor is None or workers < 2 or len(items) < MINIMUM_ITEMS_PER_WORKER * workers:
        return [function(item) for item in items]
    chunk_size = -(-len(items) // workers)
    chunks = [items[start:start + chunk_size] for start in range(0, len(items), chunk_size)]
    results: list[Result] = []
    for chunk_results in executor.map(lambda chunk: [function(item) for item in chunk],
                                      chunks):
        results.extend(chunk_results)
    return results
