"""A peer's ledger on disk: block store, world state, history and tx index in one SQLite file.

Each block is committed in ONE SQLite transaction (block, state changes, history, tx index,
config): after a crash the file holds either the whole block or none of it, so a reopened
peer resumes at the last committed block and fetches the rest from the orderer.

Durability: the database runs in WAL mode. With ``synchronous=NORMAL`` (the default) a
commit is appended to the WAL without an fsync; it survives a crash of the process
(SIGKILL included: the data is in the OS page cache) but the last commits may be lost on a
power failure or kernel crash, never leaving a torn block (SQLite's WAL checksums discard
an incomplete tail). A peer that loses a suffix of blocks that way simply re-fetches them
from the ordering service, exactly as a lagging Fabric peer does. ``synchronous=FULL``
fsyncs the WAL at each commit and survives power loss too, at a measured cost
(``bench/bench_ledger.py`` reports both).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reference.ledger.block import Block
from reference.ledger.checkpointer import WalCheckpointer
from reference.ledger.rwset import Version

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    header_hash BLOB NOT NULL,
    block BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    tx_id TEXT PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_number INTEGER NOT NULL,
    code INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    block_number INTEGER NOT NULL,
    tx_number INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    block_number INTEGER NOT NULL,
    tx_number INTEGER NOT NULL,
    value BLOB,
    is_delete INTEGER NOT NULL,
    PRIMARY KEY (namespace, key, block_number, tx_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
"""

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL")

CommitHook = Callable[[int, str], None]
"""Called as ``hook(block_number, stage)`` inside the commit transaction (tests use it to
crash a peer mid-commit). Stages: ``"block-written"``, ``"state-written"``."""


@dataclass(frozen=True)
class HistoryEntry:
    block_number: int
    tx_number: int
    value: bytes | None
    is_delete: bool


@dataclass
class BlockUpdates:
    """Everything committing one block changes, besides the block itself."""

    state_puts: list[tuple[str, str, bytes, int, int]] = field(default_factory=list)
    state_deletes: list[tuple[str, str]] = field(default_factory=list)
    history: list[tuple[str, str, int, int, bytes | None, int]] = field(default_factory=list)
    transactions: list[tuple[str, int, int, int]] = field(default_factory=list)
    config: bytes | None = None


class PeerStore:
    """SQLite storage of one peer. Thread-safe; commits are atomic per block."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL",
                 commit_hook: CommitHook | None = None, read_only: bool = False) -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        self.path = str(path)
        self.commit_hook = commit_hook
        self.read_only = read_only
        self._lock = threading.RLock()
        self._checkpointer: WalCheckpointer | None = None
        if read_only:
            if not Path(self.path).is_file():
                raise FileNotFoundError(f"no ledger at {self.path}")
            self._connection = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro",
                                               uri=True, isolation_level=None,
                                               check_same_thread=False)
        else:
            self._connection = sqlite3.connect(self.path, isolation_level=None,
                                               check_same_thread=False)
            if self.path != ":memory:":
                self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(f"PRAGMA synchronous={synchronous}")
            self._connection.executescript(_SCHEMA)
        row = self._connection.execute("SELECT MAX(number) FROM blocks").fetchone()
        self._height = 0 if row[0] is None else row[0] + 1
        last = self._connection.execute(
            "SELECT header_hash FROM blocks ORDER BY number DESC LIMIT 1").fetchone()
        self._last_header_hash: bytes = b"" if last is None else last[0]
        if not read_only and self.path != ":memory:":
            # WAL checkpoints off the commit path, on a thread of their own
            self._connection.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = WalCheckpointer(self.path)

    def close(self) -> None:
        checkpointer, self._checkpointer = self._checkpointer, None
        try:
            if checkpointer is not None:
                checkpointer.close()
        finally:
            with self._lock:
                self._connection.close()

    @property
    def height(self) -> int:
        """Number of committed blocks (the next block number)."""
        return self._height

    @property
    def last_header_hash(self) -> bytes:
        return self._last_header_hash

    # -- reads ---------------------------------------------------------------------------

    def get_state(self, namespace: str, key: str) -> tuple[bytes, Version] | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT value, block_number, tx_number FROM state WHERE namespace=? AND key=?",
                (namespace, key)).fetchone()
        return None if row is None else (row[0], (row[1], row[2]))

    def get_versions(self, namespace: str, keys: list[str]) -> dict[str, Version]:
        """Committed versions of ``keys`` (absent keys are missing from the result)."""
        found: dict[str, Version] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, block_number, tx_number in self._connection.execute(
                        f"SELECT key, block_number, tx_number FROM state "
                        f"WHERE namespace=? AND key IN ({marks})", (namespace, *chunk)):
                    found[key] = (block_number, tx_number)
        return found

    def range_scan(self, namespace: str, start: str,
                   end: str) -> list[tuple[str, bytes, Version]]:
        """Committed ``(key, value, version)`` with ``start <= key < end`` ("" = unbounded)."""
        query = "SELECT key, value, block_number, tx_number FROM state WHERE namespace=?"
        parameters: list[str] = [namespace]
        if start:
            query += " AND key>=?"
            parameters.append(start)
        if end:
            query += " AND key<?"
            parameters.append(end)
        query += " ORDER BY key"
        with self._lock:
            rows = self._connection.execute(query, parameters).fetchall()
        return [(key, value, (block_number, tx_number))
                for key, value, block_number, tx_number in rows]

    def existing_tx_ids(self, tx_ids: list[str]) -> set[str]:
        found: set[str] = set()
        with self._lock:
            for start in range(0, len(tx_ids), 500):
                chunk = tx_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(row[0] for row in self._connection.execute(
                    f"SELECT tx_id FROM transactions WHERE tx_id IN ({marks})", chunk))
        return found

    def transaction_status(self, tx_id: str) -> tuple[int, int, int] | None:
        """``(block, tx number, validation code)`` of the first occurrence of ``tx_id``."""
        with self._lock:
            row = self._connection.execute(
                "SELECT block_number, tx_number, code FROM transactions WHERE tx_id=?",
                (tx_id,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def history(self, namespace: str, key: str) -> list[HistoryEntry]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT block_number, tx_number, value, is_delete FROM history "
                "WHERE namespace=? AND key=? ORDER BY block_number, tx_number",
                (namespace, key)).fetchall()
        return [HistoryEntry(row[0], row[1], row[2], bool(row[3])) for row in rows]

    def get_block(self, number: int) -> Block | None:
        with self._lock:
            row = self._connection.execute("SELECT block FROM blocks WHERE number=?",
                                           (number,)).fetchone()
        return None if row is None else Block.decode(row[0])

    def iter_blocks(self, start: int = 0, stop: int | None = None) -> Iterator[Block]:
        """Committed blocks ``start <= number < stop`` (stop defaults to the height)."""
        end = self._height if stop is None else min(stop, self._height)
        for number in range(start, end, 64):
            with self._lock:
                rows = self._connection.execute(
                    "SELECT block FROM blocks WHERE number>=? AND number<? ORDER BY number",
                    (number, min(number + 64, end))).fetchall()
            for (data,) in rows:
                yield Block.decode(data)

    def iter_raw_blocks(self) -> Iterator[tuple[int, bytes, bytes]]:
        """``(number, stored header hash, encoded block)`` for every stored block, in order."""
        last = -1
        while True:
            with self._lock:
                rows = self._connection.execute(
                    "SELECT number, header_hash, block FROM blocks WHERE number>? "
                    "ORDER BY number LIMIT 64", (last,)).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def get_meta(self, name: str) -> bytes | None:
        with self._lock:
            row = self._connection.execute("SELECT value FROM meta WHERE name=?",
                                           (name,)).fetchone()
        return None if row is None else row[0]

    def dump_tables(self) -> dict[str, list[tuple[object, ...]]]:
        """State, history and tx index, fully sorted (for ``verify_ledger`` comparisons)."""
        with self._lock:
            return {
                "state": self._connection.execute(
                    "SELECT namespace, key, value, block_number, tx_number FROM state "
                    "ORDER BY namespace, key").fetchall(),
                "history": self._connection.execute(
                    "SELECT namespace, key, block_number, tx_number, value, is_delete "
                    "FROM history ORDER BY namespace, key, block_number, tx_number").fetchall(),
                "transactions": self._connection.execute(
                    "SELECT tx_id, block_number, tx_number, code FROM transactions "
                    "ORDER BY tx_id").fetchall(),
            }

    # -- the atomic commit ---------------------------------------------------------------

    def commit_block(self, block: Block, updates: BlockUpdates) -> None:
        """Write ``block`` and its effects in one transaction; all or nothing."""
        if self.read_only:
            raise PermissionError("store opened read-only")
        if block.number != self._height:
            raise ValueError(f"block {block.number} committed at height {self._height}")
        header_hash = block.header.hash()
        connection = self._connection
        with self._lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                encoded = block.encode()
                connection.execute("INSERT INTO blocks (number, header_hash, block) "
                                   "VALUES (?, ?, ?)",
                                   (block.number, header_hash, encoded))
                if self.commit_hook is not None:
                    self.commit_hook(block.number, "block-written")
                if updates.state_puts:
                    connection.executemany(
                        "INSERT OR REPLACE INTO state (namespace, key, value, block_number, "
                        "tx_number) VALUES (?, ?, ?, ?, ?)", updates.state_puts)
                if updates.state_deletes:
                    connection.executemany("DELETE FROM state WHERE namespace=? AND key=?",
                                           updates.state_deletes)
                if updates.history:
                    connection.executemany(
                        "INSERT INTO history (namespace, key, block_number, tx_number, value, "
                        "is_delete) VALUES (?, ?, ?, ?, ?, ?)", updates.history)
                if self.commit_hook is not None:
                    self.commit_hook(block.number, "state-written")
                if updates.transactions:
                    connection.executemany(
                        "INSERT OR IGNORE INTO transactions (tx_id, block_number, tx_number, "
                        "code) VALUES (?, ?, ?, ?)", updates.transactions)
                if updates.config is not None:
                    connection.execute("INSERT OR REPLACE INTO meta (name, value) "
                                       "VALUES ('config', ?)", (updates.config,))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            self._height = block.number + 1
            self._last_header_hash = header_hash
            if self._checkpointer is not None:
                # the block is stored twice over (blob, then state and history values)
                self._checkpointer.committed(2 * len(encoded))
