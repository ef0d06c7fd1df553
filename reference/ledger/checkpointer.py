"""WAL checkpoints of a peer's SQLite ledger on a background thread.

In WAL mode SQLite appends each commit to the ``-wal`` file; a *checkpoint* copies the
appended pages back into the database file and syncs both. By default the committing
connection runs it itself once the WAL passes 1000 pages, inside the ``COMMIT`` of whichever
block crosses the line, so a peer's commit path pays for copies and syncs that have nothing
to do with the block it is committing (measured: about two thirds of the ``COMMIT`` time of
a lifecycle block, see decision 0085).

``WalCheckpointer`` turns that off for the writing connection (``wal_autocheckpoint=0``) and
runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection, on its own thread, after
commits. A passive checkpoint never blocks the writer or readers; SQLite releases the GIL
while it copies and syncs, so the work runs on another core while the peer validates the
next block. What a crash can lose is unchanged: every commit is in the WAL before
``COMMIT`` returns (synced there with ``synchronous=FULL``), and a checkpoint interrupted
by a crash is simply redone from the WAL when the database is next opened.

The thread is started by the store and stopped (joined, bounded) by ``close``.
"""

from __future__ import annotations

import sqlite3
import threading

JOIN_TIMEOUT = 60.0
"""Seconds ``close`` waits for a checkpoint under way to finish."""

CHECKPOINT_BYTES = 1000 * 4096
"""Bytes committed between two checkpoints: SQLite's default (1000 pages of 4 KiB),
counted as the bytes of the blocks and values written (requests made while a checkpoint
runs are merged into the next one)."""


class WalCheckpointer:
    """A thread that checkpoints the WAL of ``path`` when asked (``request``)."""

    def __init__(self, path: str, threshold: int = CHECKPOINT_BYTES) -> None:
        self.path = path
        self.threshold = max(1, threshold)
        self.checkpoints = 0
        self.failure: BaseException | None = None
        self._pending_bytes = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self, size: int) -> None:
        """A commit of about ``size`` bytes went into the WAL; past the threshold, ask for
        a checkpoint."""
        self._pending_bytes += size
        if self._pending_bytes >= self.threshold:
            self._pending_bytes = 0
            self._wake.set()

    def request(self) -> None:
        """Ask for a checkpoint now (merged with one already asked for)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread after the checkpoint under way, if any (bounded wait)."""
        self._stopping = True
        self._wake.set()
        self._thread.join(JOIN_TIMEOUT)
        if self._thread.is_alive():
            raise RuntimeError(f"the WAL checkpoint of {self.path} did not finish within "
                               f"{JOIN_TIMEOUT} s")

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            connection.execute("PRAGMA busy_timeout=5000")
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # e.g. busy: the next request tries again
                    self.failure = exc
        finally:
            connection.close()
