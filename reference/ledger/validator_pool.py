"""Phase 1 of block validation on worker processes (Fabric's validator pool).

A Fabric peer checks the transactions of a block on a pool of goroutines, one per core.
Python threads cannot do that for the decoding and checks written in Python (they queue for
the GIL; only the signature verifications themselves release it, see ``parallel.py``), so
this pool runs phase 1 (``validation.check_transactions``: decoding, structure, creator and
endorsement signatures, endorsement policy) in worker processes, each on its own core, and
hands the results back to the peer, which runs phase 2 (duplicates, time, MVCC) and commits
in block order as before. The workers run exactly the function the peer runs inline, on
the envelopes as received and on the channel state rebuilt from the encoded channel
config, so a block's validation codes and commit hash are the same with or without a pool.

The pool is started and stopped explicitly (``ValidatorPool(workers)`` / ``close()``, or as
a context manager); every wait on a worker is bounded (``timeout``), and a worker that
does not answer in time is an error (``ValidatorPoolError``), never a silent fallback.
``submit`` returns at once, so a peer can check block ``n + 1`` while it commits block
``n`` (``Peer.catch_up``).
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from reference.ledger.config import ChannelConfig, ChannelState
from reference.ledger.validation import CheckedTransaction, check_transactions

DEFAULT_TIMEOUT = 120.0
"""Seconds a block's phase 1 may take on the pool before it counts as a failure."""

MINIMUM_TRANSACTIONS_PER_CHUNK = 8


class ValidatorPoolError(RuntimeError):
    """The pool is closed, or a worker failed or did not answer in time."""


# -- the worker side: one channel state per config, rebuilt from the config's bytes --------

_worker_channels: dict[bytes, ChannelState] = {}


def _channel_for(config_bytes: bytes) -> ChannelState:
    channel = _worker_channels.get(config_bytes)
    if channel is None:
        channel = ChannelState(ChannelConfig.decode(config_bytes))
        if len(_worker_channels) >= 8:
            _worker_channels.clear()
        _worker_channels[config_bytes] = channel
    return channel


def _check_chunk(config_bytes: bytes, envelopes: list[bytes]) -> tuple[bytes, float]:
    """Phase 1 of some envelopes of a block, in a worker process: the pickled results, and
    the CPU seconds the worker spent on them, pickling included (so a benchmark can count
    the pool's CPU next to the peer's)."""
    start = time.process_time()
    checked = pickle.dumps(check_transactions(envelopes, _channel_for(config_bytes)),
                           pickle.HIGHEST_PROTOCOL)
    return checked, time.process_time() - start


def _warm_up() -> int:
    """Imports done, a trivial answer: proves a worker is alive."""
    return multiprocessing.current_process().pid or 0


# -- the peer side ----------------------------------------------------------------------------


@dataclass
class PendingCheck:
    """Phase 1 of one block under way on the pool; ``result`` waits (bounded) for it."""

    channel: ChannelState
    futures: list[Future[tuple[bytes, float]]]
    timeout: float
    pool: ValidatorPool

    def result(self) -> list[CheckedTransaction]:
        checked: list[CheckedTransaction] = []
        try:
            for future in self.futures:
                chunk, cpu_seconds = future.result(timeout=self.timeout)
                checked.extend(pickle.loads(chunk))  # from our own worker process
                self.pool.worker_cpu_seconds += cpu_seconds
        except FutureTimeout:
            self.cancel()
            raise ValidatorPoolError(f"a validator worker did not answer within "
                                     f"{self.timeout} s") from None
        except Exception as exc:
            self.cancel()
            raise ValidatorPoolError(f"a validator worker failed: {exc!r}") from exc
        return checked

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()


class ValidatorPool:
    """``workers`` processes that run phase 1 of block validation."""

    def __init__(self, workers: int = 2, timeout: float = DEFAULT_TIMEOUT) -> None:
        if workers < 1:
            raise ValueError("a validator pool needs at least one worker")
        self.workers = workers
        self.timeout = timeout
        # spawn, not fork: the peer may run threads (gRPC, the ordering clients), and a
        # forked child would inherit their locks in whatever state they were in
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"))
        self._config_bytes: dict[int, tuple[ChannelConfig, bytes]] = {}
        self.worker_cpu_seconds = 0.0
        """CPU seconds the workers spent on the phase-1 results collected so far."""
        try:
            # start every worker now (bounded), so the first block does not pay for it
            for future in [self._executor.submit(_warm_up) for _ in range(workers)]:
                future.result(timeout=timeout)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> ValidatorPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (waits for them to exit; pending checks are cancelled)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _encoded(self, config: ChannelConfig) -> bytes:
        cached = self._config_bytes.get(id(config))
        if cached is None or cached[0] is not config:
            cached = (config, config.encode())
            self._config_bytes = {id(config): cached}
        return cached[1]

    def submit(self, envelopes: Sequence[bytes], channel: ChannelState) -> PendingCheck:
        """Start phase 1 of a block's envelopes under ``channel``; returns at once."""
        executor = self._executor
        if executor is None:
            raise ValidatorPoolError("the validator pool is closed")
        config_bytes = self._encoded(channel.config)
        items = list(envelopes)
        chunks = max(1, min(self.workers, len(items) // MINIMUM_TRANSACTIONS_PER_CHUNK))
        size = -(-len(items) // chunks) if items else 1
        futures = [executor.submit(_check_chunk, config_bytes, items[start:start + size])
                   for start in range(0, max(len(items), 1), size)]
        return PendingCheck(channel, futures, self.timeout, self)

    def check_transactions(self, envelopes: Sequence[bytes],
                           channel: ChannelState) -> list[CheckedTransaction]:
        """Phase 1 of a block on the pool (``validation.check_transactions``, in parallel)."""
        return self.submit(envelopes, channel).result()
