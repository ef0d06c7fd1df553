"""Tamper and restart attacks, on copies of the ledger directory: stores edited offline,
checked with ``verify_ledger`` and trust anchors, and peers reopened on them.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from reference.attacks.arena import ORGANISATIONS, START_TIME, Arena, Verdict
from reference.chaincode.contract import CHAINCODE_NAME
from reference.ledger import FakeClock, Network, TrustAnchors, verify_ledger
from reference.ledger.block import Block
from reference.ledger.peer import LedgerCorrupted, Peer


def _copy(arena: Arena, name: str) -> Path:
    arena.network.sync()
    target = arena.directory / "copies" / name
    if target.exists():
        shutil.rmtree(target)
    # consistent copies: SQLite's backup API, not a file copy of a live WAL database
    for source in (arena.directory / "network").rglob("*"):
        relative = source.relative_to(arena.directory / "network")
        destination = target / relative
        if source.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif source.suffix == ".sqlite":
            destination.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(source) as live, sqlite3.connect(destination) as copy:
                live.backup(copy)
        elif not source.name.endswith(("-wal", "-shm")):
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def _sql(path: Path, statement: str, parameters: tuple = ()) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(statement, parameters)


def _peer_ledger(copy: Path, index: int = 0) -> Path:
    return sorted((copy / "peers").iterdir())[index] / "ledger.sqlite"


def _verified(copy: Path, anchors: TrustAnchors | None, expect: str) -> None:
    report = verify_ledger(copy, anchors)
    matching = [problem for problem in report.problems if expect in problem]
    if not matching:
        raise Verdict("accepted", None, f"verify_ledger missed it: {report.problems[:2]}")
    raise Verdict("detected", "VERIFY_LEDGER", matching[0][:200])


def edited_balance(arena: Arena) -> None:
    copy = _copy(arena, "edited-balance")
    _sql(_peer_ledger(copy), "UPDATE state SET value=? WHERE namespace=? AND key=?",
         (b"1000000000000", CHAINCODE_NAME, "balance/vendor1"))
    _verified(copy, arena.anchors, "state differs")


def deleted_block_row(arena: Arena) -> None:
    copy = _copy(arena, "deleted-block")
    _sql(_peer_ledger(copy), "DELETE FROM blocks WHERE number=(SELECT MAX(number) FROM blocks)")
    _verified(copy, arena.anchors, "behind the orderer")


def peer_a_block_behind(arena: Arena) -> None:
    """One peer's store lost its last block *consistently* (block, state, index rolled
    back: a replica restored from an older backup); only the cross-check shows it."""
    copy = _copy(arena, "peer-behind")
    ledger = _peer_ledger(copy, 1)
    with sqlite3.connect(ledger) as connection:
        top = connection.execute("SELECT MAX(number) FROM blocks").fetchone()[0]
    # rebuild the peer from its own blocks 0..top-1: the honest state at that height
    with sqlite3.connect(ledger) as connection:
        blocks = [Block.decode(row[0]) for row in connection.execute(
            "SELECT block FROM blocks WHERE number < ? ORDER BY number", (top,))]
    for leftover in (ledger, ledger.with_name("ledger.sqlite-wal"),
                     ledger.with_name("ledger.sqlite-shm")):
        leftover.unlink(missing_ok=True)
    rebuilt = Peer("behind", arena.network.peers[1].identity, ledger.parent, blocks[0],
                   check_integrity=False)
    for block in blocks[1:]:
        rebuilt.deliver(Block(block.header, block.data, _unvalidated(block)))
    rebuilt.close()
    _verified(copy, arena.anchors, "behind the orderer")


def _unvalidated(block: Block):
    from dataclasses import replace
    return replace(block.metadata, validation_codes=b"", commit_hash=b"")


def other_genesis_under_the_trust_anchor(arena: Arena) -> None:
    """A whole network rewritten by someone holding every key: a fresh channel with the
    same organisations' names is internally consistent; only the anchor exposes it."""
    forged_root = arena.directory / "copies" / "forged-network"
    if forged_root.exists():
        shutil.rmtree(forged_root)
    forged = Network.create(forged_root, peers=4, orgs=ORGANISATIONS,
                            clock=FakeClock(float(START_TIME)), workers=1)
    forged.close()
    report = verify_ledger(forged_root)
    if not report.ok:
        raise Verdict("crashed", None, f"the forged network is not even self-consistent: "
                      f"{report.problems[:1]}")
    _verified(forged_root, arena.anchors, "not the trusted one")


def restart_on_an_edited_balance(arena: Arena) -> None:
    copy = _copy(arena, "restart-edited")
    _sql(_peer_ledger(copy), "UPDATE state SET value=? WHERE namespace=? AND key=?",
         (b"1000000000000", CHAINCODE_NAME, "balance/vendor1"))
    _reopen(copy, expect="state differs")


def restart_with_a_deleted_block(arena: Arena) -> None:
    copy = _copy(arena, "restart-deleted")
    _sql(_peer_ledger(copy), "DELETE FROM blocks WHERE number=(SELECT MAX(number) FROM blocks)")
    _reopen(copy, expect="differs")


def _reopen(copy: Path, expect: str) -> None:
    try:
        network = Network.open(copy, clock=FakeClock(float(START_TIME)), workers=1)
    except LedgerCorrupted as refusal:
        message = str(refusal)
        if expect not in message:
            raise Verdict("detected", "LEDGER_CORRUPTED",
                          f"refused, with an unexpected reason: {message[:200]}") from None
    else:
        network.close()
        raise Verdict("accepted", None, "the peer opened its tampered store and served it")
    repaired = Network.open(copy, clock=FakeClock(float(START_TIME)), workers=1, repair=True)
    try:
        heights = {peer.height for peer in repaired.peers}
        states = [list(peer.store.range_scan(CHAINCODE_NAME, "", "")) for peer in repaired.peers]
        fixed = repaired.repaired
    finally:
        repaired.close()
    if len(heights) != 1 or any(state != states[0] for state in states[1:]):
        raise Verdict("detected", "LEDGER_CORRUPTED", "detected, but the repair diverged")
    raise Verdict("detected", "LEDGER_CORRUPTED",
                  f"peer refused to serve ({message[:120]}); repaired {fixed} from the orderer")
