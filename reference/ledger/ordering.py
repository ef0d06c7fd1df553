"""Ordering: Fabric's block cutter and an ordering-service interface.

``OrderingService`` is what peers and clients talk to: ``broadcast`` an envelope, read
blocks from any number, be told when a block is cut. ``InProcessOrderingService`` is the
embedded implementation (a single orderer, like Fabric's "solo", with its own block
ledger); a Raft-backed service implements the same interface.

Block cutting follows Fabric's ``blockcutter`` and solo chain exactly:

* a message larger than ``AbsoluteMaxBytes`` is rejected at broadcast (size filter);
* a message larger than ``PreferredMaxBytes`` cuts the pending batch, then goes alone in
  its own batch;
* a message that would push the pending batch over ``PreferredMaxBytes`` cuts the pending
  batch first, then starts the next one;
* the batch is cut when it holds ``MaxMessageCount`` messages;
* ``BatchTimeout`` after a batch became pending (timer started when a message is pending
  and no timer runs, stopped when nothing is pending) the pending batch is cut;
* a config transaction cuts the pending batch, then goes alone in its own block.

Time comes from an injectable ``Clock``: ``SystemClock`` in production, ``FakeClock`` in
tests (``advance`` runs due timers synchronously; nothing sleeps).
"""

from __future__ import annotations

import heapq
import itertools
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reference.ledger import wire
from reference.ledger.block import (
    Block,
    BlockHeader,
    BlockMetadata,
    compute_data_hash,
    orderer_signed_bytes,
)
from reference.ledger.codes import BroadcastStatus
from reference.ledger.config import BatchConfig, ChannelConfig, ChannelState
from reference.ledger.identity import Identity
from reference.ledger.messages import (
    ConfigTransaction,
    Header,
    HeaderType,
    create_config_envelope,
    decode_envelope,
    decode_payload,
)

# -- clocks -------------------------------------------------------------------------------


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Time source for batch timeouts and client timestamps."""

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...


class SystemClock:
    """Wall-clock time; timers run on daemon threads."""

    def now(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        timer = threading.Timer(delay, callback)
        timer.daemon = True
        timer.start()
        return timer


class _FakeTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock that only moves when told to; due timers fire inside ``advance``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._timers: list[tuple[float, int, _FakeTimer, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        timer = _FakeTimer()
        with self._lock:
            heapq.heappush(self._timers, (self._now + delay, next(self._sequence), timer,
                                          callback))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, in deadline order."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        target = self._now + seconds
        while True:
            with self._lock:
                if not self._timers or self._timers[0][0] > target:
                    break
                deadline, _, timer, callback = heapq.heappop(self._timers)
                self._now = max(self._now, deadline)
            if not timer.cancelled:
                callback()
        self._now = target

    def pending_timers(self) -> int:
        with self._lock:
            return sum(1 for entry in self._timers if not entry[2].cancelled)


# -- the block cutter ---------------------------------------------------------------------


class BlockCutter:
    """Fabric's block cutter: groups ordered messages into batches (not thread-safe)."""

    def __init__(self, config: BatchConfig) -> None:
        self.config = config
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def ordered(self, message: bytes) -> tuple[list[list[bytes]], bool]:
        """Add ``message``; return the batches cut by it and whether a batch is pending."""
        batches: list[list[bytes]] = []
        size = len(message)
        if size > self.config.preferred_max_bytes:
            if self._pending:
                batches.append(self.cut())
            batches.append([message])
            return batches, False
        if self._pending_bytes + size > self.config.preferred_max_bytes:
            batches.append(self.cut())
        self._pending.append(message)
        self._pending_bytes += size
        if len(self._pending) >= self.config.max_message_count:
            batches.append(self.cut())
        return batches, bool(self._pending)

    def cut(self) -> list[bytes]:
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        return batch


# -- the service interface ----------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastResponse:
    status: BroadcastStatus
    info: str = ""

    @property
    def ok(self) -> bool:
        return self.status == BroadcastStatus.SUCCESS


BlockListener = Callable[[Block], None]


class OrderingService(ABC):
    """What clients and peers need from an ordering service.

    ``broadcast`` answers once the message is accepted for ordering (not once it is in a
    block). Blocks are numbered from 0 (the genesis block) and are immutable once cut;
    ``add_listener`` callbacks are invoked once per new block, in block order.
    """

    @abstractmethod
    def broadcast(self, envelope: bytes) -> BroadcastResponse: ...

    @abstractmethod
    def height(self) -> int:
        """Number of blocks cut so far."""

    @abstractmethod
    def get_block(self, number: int) -> Block | None: ...

    def blocks_from(self, start: int) -> Iterator[Block]:
        """Blocks ``start, start+1, ...`` available now (Fabric's deliver, non-blocking)."""
        number = start
        while number < self.height():
            block = self.get_block(number)
            if block is None:
                return
            yield block
            number += 1

    @abstractmethod
    def add_listener(self, listener: BlockListener) -> None: ...

    @abstractmethod
    def cut_pending_batch(self) -> int | None:
        """Cut the pending batch now, as if BatchTimeout had expired; the block number cut.

        An embedded-network convenience (synchronous submission); a distributed service
        may implement it by waiting for its batch timeout.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release resources."""


# -- the in-process implementation -------------------------------------------------------


class _OrdererLedger:
    """The orderer's own block store (SQLite, or in memory with ``:memory:``)."""

    _CACHE = 32

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        if path != ":memory:":
            self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, block BLOB NOT NULL)")
        row = self._connection.execute("SELECT MAX(number) FROM blocks").fetchone()
        self.height = 0 if row[0] is None else row[0] + 1
        self._cache: OrderedDict[int, Block] = OrderedDict()
        self._lock = threading.Lock()

    def append(self, block: Block) -> None:
        with self._lock:
            self._connection.execute("INSERT INTO blocks (number, block) VALUES (?, ?)",
                                     (block.number, block.encode()))
            self.height = block.number + 1
            self._remember(block)

    def get(self, number: int) -> Block | None:
        with self._lock:
            block = self._cache.get(number)
            if block is not None:
                return block
            row = self._connection.execute("SELECT block FROM blocks WHERE number=?",
                                           (number,)).fetchone()
            if row is None:
                return None
            block = Block.decode(row[0])
            self._remember(block)
            return block

    def _remember(self, block: Block) -> None:
        self._cache[block.number] = block
        while len(self._cache) > self._CACHE:
            self._cache.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class InProcessOrderingService(OrderingService):
    """A single in-process orderer ("solo") with Fabric's broadcast filters and cutter.

    Broadcast filters (Fabric's standard channel processor): empty messages are rejected
    (BAD_REQUEST), messages over AbsoluteMaxBytes are rejected (BAD_REQUEST), messages that
    do not parse or name another channel are rejected (BAD_REQUEST / NOT_FOUND), and the
    creator's signature must verify for a member of an application organisation
    (FORBIDDEN).
    """

    def __init__(self, genesis_block: Block, identity: Identity, clock: Clock | None = None,
                 ledger_path: str | Path = ":memory:") -> None:
        self.identity = identity
        self.clock: Clock = clock or SystemClock()
        config = _genesis_config(genesis_block)
        self.channel = ChannelState(config)
        self.batch_config = config.batch
        self._cutter = BlockCutter(self.batch_config)
        self._ledger = _OrdererLedger(str(ledger_path))
        if self._ledger.height == 0:
            self._ledger.append(genesis_block)
        else:
            stored_genesis = self._ledger.get(0)
            if stored_genesis is None or (stored_genesis.header.hash()
                                          != genesis_block.header.hash()):
                raise ValueError(f"orderer ledger {ledger_path} belongs to another channel")
        self._lock = threading.RLock()
        self._notify_lock = threading.RLock()
        self._notified_height = self._ledger.height
        self._listeners: list[BlockListener] = []
        self._timer: TimerHandle | None = None
        self._timer_token = 0
        self._last_block = self._ledger.get(self._ledger.height - 1)

    # -- interface ---------------------------------------------------------------------

    def height(self) -> int:
        return self._ledger.height

    def get_block(self, number: int) -> Block | None:
        return self._ledger.get(number)

    def add_listener(self, listener: BlockListener) -> None:
        with self._notify_lock:
            self._listeners.append(listener)

    def broadcast(self, envelope: bytes) -> BroadcastResponse:
        rejection, header_type = self._filter(envelope)
        if rejection is not None:
            return rejection
        self._order(envelope, header_type)
        return BroadcastResponse(BroadcastStatus.SUCCESS)

    def order_unfiltered(self, envelope: bytes) -> None:
        """Order a message WITHOUT the broadcast filters.

        Models a faulty or byzantine orderer: tests use it to show that peers reject bad
        transactions on their own (each with its validation code).
        """
        self._order(envelope, None)

    def cut_pending_batch(self) -> int | None:
        with self._lock:
            batch = self._cutter.cut()
            self._stop_timer()
            number = self._write_block(batch) if batch else None
        self._notify()
        return number

    @property
    def pending_count(self) -> int:
        return self._cutter.pending_count

    def close(self) -> None:
        with self._lock:
            self._stop_timer()
            self._ledger.close()

    # -- internals ---------------------------------------------------------------------

    def _filter(self, envelope: bytes) -> tuple[BroadcastResponse | None, int | None]:
        if not envelope:
            return BroadcastResponse(BroadcastStatus.BAD_REQUEST, "empty message"), None
        limit = self.batch_config.absolute_max_bytes
        if len(envelope) > limit:
            return BroadcastResponse(
                BroadcastStatus.BAD_REQUEST,
                f"message of {len(envelope)} bytes exceeds AbsoluteMaxBytes {limit}"), None
        try:
            payload, signature = decode_envelope(envelope)
            header_bytes, data = decode_payload(payload)
            header = Header.decode(header_bytes)
        except wire.DecodeError as exc:
            return BroadcastResponse(BroadcastStatus.BAD_REQUEST, f"malformed: {exc}"), None
        if header.channel_id != self.channel.config.channel_id:
            return BroadcastResponse(BroadcastStatus.NOT_FOUND, "unknown channel"), None
        creator = self.channel.membership.verify_signature(header.creator,
                                                           signature, payload)
        if creator is None or creator.org == self.channel.orderer_msp_id:
            return BroadcastResponse(BroadcastStatus.FORBIDDEN,
                                     "creator signature does not satisfy Writers"), None
        header_type = header.type
        if header_type == HeaderType.CONFIG:
            try:
                ConfigTransaction.decode(data)
            except wire.DecodeError as exc:
                return BroadcastResponse(BroadcastStatus.BAD_REQUEST, f"bad config: {exc}"), None
        return None, header_type

    def _order(self, envelope: bytes, header_type: int | None) -> None:
        with self._lock:
            if header_type == HeaderType.CONFIG:
                batch = self._cutter.cut()
                if batch:
                    self._write_block(batch)
                self._write_block([envelope])
                self._stop_timer()
            else:
                batches, pending = self._cutter.ordered(envelope)
                for batch in batches:
                    self._write_block(batch)
                if self._timer is not None and not pending:
                    self._stop_timer()
                elif self._timer is None and pending:
                    self._start_timer()
        self._notify()

    def _start_timer(self) -> None:
        self._timer_token += 1
        token = self._timer_token
        self._timer = self.clock.call_later(self.batch_config.batch_timeout,
                                            lambda: self._on_timeout(token))

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_token += 1

    def _on_timeout(self, token: int) -> None:
        with self._lock:
            if token != self._timer_token:
                return
            self._timer = None
            batch = self._cutter.cut()
            if batch:
                self._write_block(batch)
        self._notify()

    def _write_block(self, batch: list[bytes]) -> int:
        previous = self._last_block
        assert previous is not None
        data = tuple(batch)
        header = BlockHeader(previous.number + 1, previous.header.hash(),
                             compute_data_hash(data))
        # the block time: the orderer's clock, never before the previous block's
        timestamp = max(int(self.clock.now()), previous.metadata.timestamp)
        block = Block(header, data, BlockMetadata(
            orderer=self.identity.serialized,
            orderer_signature=self.identity.sign(orderer_signed_bytes(header, timestamp)),
            timestamp=timestamp))
        self._ledger.append(block)
        self._last_block = block
        return block.number

    def _notify(self) -> None:
        """Hand new blocks to listeners, each block once and in order."""
        with self._notify_lock:
            while self._notified_height < self._ledger.height:
                block = self._ledger.get(self._notified_height)
                self._notified_height += 1
                assert block is not None
                for listener in list(self._listeners):
                    listener(block)


def _genesis_config(genesis_block: Block) -> ChannelConfig:
    if genesis_block.number != 0 or len(genesis_block.data) != 1:
        raise ValueError("not a genesis block")
    payload, _ = decode_envelope(genesis_block.data[0])
    header_bytes, data = decode_payload(payload)
    if Header.decode(header_bytes).type != HeaderType.CONFIG:
        raise ValueError("genesis block does not hold a config transaction")
    return ChannelConfig.decode(ConfigTransaction.decode(data).config_bytes)


def config_from_genesis(genesis_block: Block) -> ChannelConfig:
    """The channel config carried by a genesis block."""
    return _genesis_config(genesis_block)


def create_genesis_block(config: ChannelConfig, orderer: Identity, timestamp: int) -> Block:
    """Block 0: one config transaction carrying ``config`` (the channel's trust anchor)."""
    if config.sequence != 0:
        raise ValueError("the genesis config has sequence 0")
    envelope = create_config_envelope(orderer, config.channel_id, config.encode(), [],
                                      timestamp)
    data = (envelope,)
    header = BlockHeader(0, b"", compute_data_hash(data))
    return Block(header, data, BlockMetadata(
        orderer=orderer.serialized,
        orderer_signature=orderer.sign(orderer_signed_bytes(header, timestamp)),
        timestamp=timestamp))
