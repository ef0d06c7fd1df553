"""Ordering on etcd's Raft log: orderer nodes and the ordering service peers read from.

The replicated state lives in etcd under ``/aimarket/<channel>/``:

* ``in/<sha256 of the envelope>``: every accepted broadcast. ``broadcast`` answers SUCCESS
  only once etcd has committed it (a Raft quorum); the key makes a retried broadcast of
  the same envelope idempotent. etcd's create revision is the total order of messages.
* ``block/<number>``: the blocks, genesis first.
* ``head``: ``{"number", "hash", "cursor"}`` of the last block: its number, header hash and
  the create revision of the last message it holds (the cut position).

One orderer at a time cuts blocks (the holder of the ``leader`` key, attached to an etcd
lease it keeps alive): it reads the messages after the cut position in creation order,
runs today's ``BlockCutter`` over them (sizes, counts, BatchTimeout, config alone), signs
each block and commits it with a single compare-and-swap transaction: *if ``head`` is
still what this orderer built on*, write ``block/<n+1>`` and the new ``head``. Two
orderers can therefore never commit two different blocks with the same number, nor skip a
number, whatever the leases say (a lease only avoids wasted work); an orderer whose swap
fails drops its pending batch and re-reads from the committed cut position. Nothing
acknowledged is lost: every acknowledged message is in etcd, after the cut position until
a committed block holds it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from reference.ledger import wire
from reference.ledger.block import (
    Block,
    BlockHeader,
    BlockMetadata,
    compute_data_hash,
    orderer_signed_bytes,
)
from reference.ledger.codes import BroadcastStatus
from reference.ledger.config import BatchConfig, ChannelState
from reference.ledger.identity import Identity
from reference.ledger.messages import (
    ConfigTransaction,
    Header,
    HeaderType,
    decode_envelope,
    decode_payload,
)
from reference.ledger.ordering import (
    BlockCutter,
    BlockListener,
    BroadcastResponse,
    Clock,
    OrderingService,
    SystemClock,
    config_from_genesis,
)
from reference.network.store import EtcdError, EtcdLog

LEASE_TTL = 2  # seconds; a dead leader's key expires within this
POLL_INTERVAL = 0.1  # a fallback: etcd watches wake the loops up
_NORMAL, _CONFIG = b"N", b"C"


def channel_root(channel_id: str) -> str:
    return f"/aimarket/{channel_id}/"


def block_key(root: str, number: int) -> str:
    return f"{root}block/{number:012d}"


def decode_head(value: bytes) -> dict:
    return json.loads(value)


def encode_head(number: int, header_hash: bytes, cursor: int, timestamp: int) -> bytes:
    """The chain head: the last block's number and hash, how far the inbound log has been
    cut, and the last block's time (a new leader never stamps an earlier one)."""
    return json.dumps({"number": number, "hash": header_hash.hex(), "cursor": cursor,
                       "time": timestamp}, sort_keys=True).encode()


def broadcast_filter(channel: ChannelState, batch: BatchConfig,
                     envelope: bytes) -> tuple[BroadcastResponse | None, int | None]:
    """Fabric's standard channel filters, as the in-process orderer applies them."""
    if not envelope:
        return BroadcastResponse(BroadcastStatus.BAD_REQUEST, "empty message"), None
    if len(envelope) > batch.absolute_max_bytes:
        return BroadcastResponse(
            BroadcastStatus.BAD_REQUEST,
            f"message of {len(envelope)} bytes exceeds AbsoluteMaxBytes "
            f"{batch.absolute_max_bytes}"), None
    try:
        payload, signature = decode_envelope(envelope)
        header_bytes, data = decode_payload(payload)
        header = Header.decode(header_bytes)
    except wire.DecodeError as exc:
        return BroadcastResponse(BroadcastStatus.BAD_REQUEST, f"malformed: {exc}"), None
    if header.channel_id != channel.config.channel_id:
        return BroadcastResponse(BroadcastStatus.NOT_FOUND, "unknown channel"), None
    creator = channel.membership.verify_signature(header.creator, signature, payload)
    if creator is None or creator.org == channel.orderer_msp_id:
        return BroadcastResponse(BroadcastStatus.FORBIDDEN,
                                 "creator signature does not satisfy Writers"), None
    if header.type == HeaderType.CONFIG:
        try:
            ConfigTransaction.decode(data)
        except wire.DecodeError as exc:
            return BroadcastResponse(BroadcastStatus.BAD_REQUEST, f"bad config: {exc}"), None
    return None, header.type


class EtcdOrderer:
    """One orderer node: accepts broadcasts into etcd and, while it leads, cuts blocks."""

    def __init__(self, name: str, identity: Identity, genesis_block: Block,
                 endpoints: Sequence[str], retry_for: float = 15.0,
                 clock: Clock | None = None) -> None:
        self.name = name
        self.identity = identity
        self.clock: Clock = clock or SystemClock()
        """This orderer's own clock: it stamps (and signs) each block's time from it."""
        self.genesis = genesis_block
        config = config_from_genesis(genesis_block)
        self.channel = ChannelState(config)
        self.batch_config = config.batch
        self.root = channel_root(config.channel_id)
        self.log = EtcdLog(list(endpoints), retry_for)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lease: int | None = None
        self._lease_refreshed = 0.0
        self.blocks_cut = 0
        self.swaps_lost = 0
        self.is_leader = False
        self._cut_requested = threading.Event()
        self._wakeup = threading.Event()
        self._bootstrap()

    # -- set-up ------------------------------------------------------------------------------

    def _bootstrap(self) -> None:
        """Write the genesis block and head once; check them when they exist."""
        genesis_hash = self.genesis.header.hash()
        head_key = self.root + "head"
        self.log.swap(head_key, None, [(block_key(self.root, 0), self.genesis.encode()),
                                       (head_key, encode_head(0, genesis_hash, 0, self.genesis.metadata.timestamp))])
        stored = self.log.get(block_key(self.root, 0))
        if stored is None or Block.decode(stored[0]).header.hash() != genesis_hash:
            raise ValueError(f"etcd holds another channel under {self.root}")

    def start(self) -> EtcdOrderer:
        self.log.watch(self.root + "in/", self._wakeup, self._stop)
        self._thread = threading.Thread(target=self._run, name=f"orderer-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._lease is not None:
            try:
                self.log.revoke(self._lease)
            except EtcdError:
                pass
            self._lease = None

    # -- broadcast ---------------------------------------------------------------------------

    def broadcast(self, envelope: bytes) -> BroadcastResponse:
        rejection, header_type = broadcast_filter(self.channel, self.batch_config, envelope)
        if rejection is not None:
            return rejection
        kind = _CONFIG if header_type == HeaderType.CONFIG else _NORMAL
        key = self.root + "in/" + hashlib.sha256(envelope).hexdigest()
        try:
            if not self.log.create(key, kind + envelope):
                return BroadcastResponse(BroadcastStatus.BAD_REQUEST,
                                         "hash collision in the ordering log")
        except EtcdError as exc:
            return BroadcastResponse(BroadcastStatus.SERVICE_UNAVAILABLE, str(exc))
        return BroadcastResponse(BroadcastStatus.SUCCESS)

    def request_cut(self) -> None:
        """Cut the pending batch at the next step, as if BatchTimeout had expired."""
        self._cut_requested.set()
        self._wakeup.set()

    # -- the cutting loop --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._lead():
                    self._cut_while_leading()
                else:
                    self._stop.wait(LEASE_TTL / 4)  # a follower: try to take over now and then
            except EtcdError:
                # etcd did not answer for a while: our lease may be gone; start over
                self.is_leader = False
                self._lease = None
                self._stop.wait(0.1)

    def _lead(self) -> bool:
        """Hold (or try to take) the leader key; True while this orderer holds it."""
        now = time.monotonic()
        if self._lease is not None:
            if now - self._lease_refreshed < LEASE_TTL / 4:
                return True
            if self.log.refresh(self._lease) > 0:
                self._lease_refreshed = now
                return True
            self._lease = None
            self.is_leader = False
        leader_key = self.root + "leader"
        if self.log.get(leader_key) is not None:
            return False  # someone leads; its key expires with its lease if it dies
        lease = self.log.grant(LEASE_TTL)
        if self.log.swap(leader_key, None, [(leader_key, self.name.encode())], lease):
            self._lease, self._lease_refreshed = lease, time.monotonic()
            self.is_leader = True
            return True
        self.log.revoke(lease)
        return False

    def _cut_while_leading(self) -> None:
        """Cut blocks from the committed head on, until leadership or a swap is lost."""
        head_value, _ = self.log.get(self.root + "head") or (None, 0)
        assert head_value is not None
        head = decode_head(head_value)
        number, header_hash, read_from = head["number"], bytes.fromhex(head["hash"]), \
            head["cursor"]
        last_time = int(head["time"])
        cutter = BlockCutter(self.batch_config)
        pending_since: float | None = None
        pending_last = read_from

        def commit(batch: list[tuple[bytes, int]]) -> bool:
            nonlocal number, header_hash, head_value, last_time
            data = tuple(envelope for envelope, _ in batch)
            header = BlockHeader(number + 1, header_hash, compute_data_hash(data))
            timestamp = max(int(self.clock.now()), last_time)  # block time never goes back
            block = Block(header, data, BlockMetadata(
                orderer=self.identity.serialized,
                orderer_signature=self.identity.sign(orderer_signed_bytes(header, timestamp)),
                timestamp=timestamp))
            new_head = encode_head(header.number, header.hash(), batch[-1][1], timestamp)
            if not self.log.swap(self.root + "head", head_value,
                                 [(block_key(self.root, header.number), block.encode()),
                                  (self.root + "head", new_head)]):
                self.swaps_lost += 1
                return False
            number, header_hash, head_value, last_time = (header.number, header.hash(), new_head,
                                                          timestamp)
            self.blocks_cut += 1
            return True

        revisions: dict[bytes, int] = {}
        while not self._stop.is_set():
            if not self._lead():
                return
            self._wakeup.clear()
            messages = self.log.range_from(self.root + "in/", pending_last + 1, limit=500)
            for _, value, revision in messages:
                kind, envelope = value[:1], value[1:]
                pending_last = revision
                if kind == _CONFIG:
                    batch = cutter.cut()
                    if batch and not commit([(item, revisions.pop(item)) for item in batch]):
                        return
                    if not commit([(envelope, revision)]):
                        return
                    pending_since = None
                    continue
                revisions[envelope] = revision
                batches, pending = cutter.ordered(envelope)
                for batch in batches:
                    if not commit([(item, revisions.pop(item)) for item in batch]):
                        return
                if not pending:
                    pending_since = None
                elif pending_since is None:
                    pending_since = time.monotonic()
            timed_out = (pending_since is not None and time.monotonic() - pending_since
                         >= self.batch_config.batch_timeout)
            if cutter.pending_count and (timed_out or self._cut_requested.is_set()):
                if len(messages) < 500:  # everything broadcast so far has been read
                    self._cut_requested.clear()
                batch = cutter.cut()
                pending_since = None
                if not commit([(item, revisions.pop(item)) for item in batch]):
                    return
            elif not cutter.pending_count and len(messages) < 500:
                self._cut_requested.clear()
            if not messages:
                # wake up on a new message, or in time for the batch timeout
                wait = POLL_INTERVAL
                if pending_since is not None:
                    wait = max(0.0, min(wait, pending_since + self.batch_config.batch_timeout
                                        - time.monotonic()))
                self._wakeup.wait(wait)


def _is_config(envelope: bytes) -> bool:
    payload, _ = decode_envelope(envelope)
    header_bytes, _ = decode_payload(payload)
    return Header.decode(header_bytes).type == HeaderType.CONFIG


def etcd_ordering(endpoints: Sequence[str], orderers: int = 2):
    """An ``OrderingFactory`` for ``Network.create``: ``orderers`` in-process orderer
    nodes (all with the network's orderer identity) cutting blocks through etcd."""
    def factory(genesis_block: Block, identity: Identity, clock: object,
                ledger_path: object) -> EtcdOrderingService:
        nodes = [EtcdOrderer(f"orderer{index}", identity, genesis_block, endpoints,
                             clock=clock).start()  # type: ignore[arg-type]
                 for index in range(orderers)]
        declare_external_ordering(Path(str(ledger_path)).parent, endpoints)
        return EtcdOrderingService(genesis_block, endpoints, nodes, owns_orderers=True)
    return factory


def declare_external_ordering(orderer_dir: Path, endpoints: Sequence[str]) -> None:
    """Write ``ordering.json`` where an embedded orderer would keep its ledger, so that
    ``verify_ledger`` knows the orderer's chain is in etcd, not missing."""
    orderer_dir.mkdir(parents=True, exist_ok=True)
    (orderer_dir / "ordering.json").write_text(json.dumps(
        {"ordering": "etcd-raft", "endpoints": list(endpoints)}, indent=2) + "\n",
        encoding="utf-8")


class EtcdOrderingService(OrderingService):
    """The ordering service as clients and peers see it: broadcast through an orderer
    node, blocks read from etcd (a linearizable read of ``head`` and ``block/<n>``), and
    listeners called by a polling thread once per new block, in order."""

    _CACHE = 64

    def __init__(self, genesis_block: Block, endpoints: Sequence[str],
                 orderers: Sequence[EtcdOrderer], poll_interval: float = POLL_INTERVAL,
                 retry_for: float = 15.0, owns_orderers: bool = False) -> None:
        self.owns_orderers = owns_orderers
        config = config_from_genesis(genesis_block)
        self.root = channel_root(config.channel_id)
        self.log = EtcdLog(list(endpoints), retry_for)
        self.orderers = list(orderers)
        self._turn = 0
        self._listeners: list[BlockListener] = []
        self._cache: OrderedDict[int, Block] = OrderedDict()
        self._lock = threading.Lock()
        self._notify_lock = threading.RLock()
        self._height = self._read_height()
        self._notified = self._height
        self._stop = threading.Event()
        self._poll_interval = poll_interval
        self._head_changed = threading.Event()
        self.log.watch(self.root + "head", self._head_changed, self._stop)
        self._poller = threading.Thread(target=self._poll, name="etcd-deliver", daemon=True)
        self._poller.start()

    def _read_height(self) -> int:
        found = self.log.get(self.root + "head")
        return 0 if found is None else decode_head(found[0])["number"] + 1

    def broadcast(self, envelope: bytes) -> BroadcastResponse:
        """Through the orderers in turn; the next one if an orderer is unavailable.

        A config transaction is answered once its block is committed and delivered (as
        the embedded orderer does), since callers read the new config right after."""
        last = BroadcastResponse(BroadcastStatus.SERVICE_UNAVAILABLE, "no orderer")
        for _ in range(len(self.orderers)):
            orderer = self.orderers[self._turn % len(self.orderers)]
            last = orderer.broadcast(envelope)
            if last.status != BroadcastStatus.SERVICE_UNAVAILABLE:
                break
            self._turn += 1
        if last.ok and _is_config(envelope):
            self.cut_pending_batch()
        return last

    def height(self) -> int:
        return self._height

    def get_block(self, number: int) -> Block | None:
        with self._lock:
            block = self._cache.get(number)
        if block is not None:
            return block
        found = self.log.get(block_key(self.root, number))
        if found is None:
            return None
        block = Block.decode(found[0])
        with self._lock:
            self._cache[number] = block
            while len(self._cache) > self._CACHE:
                self._cache.popitem(last=False)
        return block

    def add_listener(self, listener: BlockListener) -> None:
        self._listeners.append(listener)

    def cut_pending_batch(self) -> int | None:
        """Ask the orderers to cut what is pending, then wait until every message
        broadcast so far is in a committed block; the height reached, minus one."""
        deadline = time.monotonic() + 30
        target = self._last_message_revision()
        for orderer in self.orderers:
            orderer.request_cut()
        while time.monotonic() < deadline:
            found = self.log.get(self.root + "head")
            if found is not None:
                head = decode_head(found[0])
                if head["cursor"] >= target:
                    self._refresh(head["number"] + 1)
                    return head["number"]
            self._head_changed.wait(0.05)
        raise TimeoutError("the ordering service did not cut the pending batch in 30 s")

    def _last_message_revision(self) -> int:
        found = self.log._call(lambda client: client.get(
            self.root + "in/", metadata=True, sort_order="descend", sort_target="create",
            range_end=self.root + "in0", limit=1))
        return int(found[0][1]["create_revision"]) if found else 0

    def _refresh(self, height: int) -> None:
        with self._lock:
            if height > self._height:
                self._height = height
        self._notify()

    def _notify(self) -> None:
        with self._notify_lock:
            self._notify_locked()

    def _notify_locked(self) -> None:
        while True:
            with self._lock:
                if self._notified >= self._height:
                    return
                number = self._notified
                self._notified += 1
            block = self.get_block(number)
            assert block is not None
            for listener in list(self._listeners):
                listener(block)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._head_changed.wait(self._poll_interval)
            self._head_changed.clear()
            try:
                self._refresh(self._read_height())
            except EtcdError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._poller.join(5)
        if self.owns_orderers:
            for orderer in self.orderers:
                orderer.stop()
