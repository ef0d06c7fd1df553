"""``aimarket ledger verify DIR``: check a ledger against trust anchors and recompute every
verdict on it; ``aimarket ledger anchors DIR``: the trust anchors a channel publishes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from aimarket.errors import UsageError

SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def ledger_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if (path / "ledger.sqlite").is_file():
        return [path / "ledger.sqlite"]
    peers = path / "peers"
    found = sorted(peer / "ledger.sqlite" for peer in peers.iterdir()) if peers.is_dir() else []
    return [file for file in found if file.is_file()]


def load_anchors(args):
    from reference.ledger.verify import AnchorError, TrustAnchors

    anchors = None
    if args.anchors is not None:
        try:
            anchors = TrustAnchors.load(args.anchors)
        except AnchorError as error:
            raise UsageError("--anchors", str(error)) from None
    if args.genesis_hash is not None:
        try:
            value = TrustAnchors.from_json_value({"genesis_hash": args.genesis_hash},
                                                 "--genesis-hash")
        except AnchorError as error:
            raise UsageError("--genesis-hash", str(error).split(": ", 1)[-1]) from None
        anchors = TrustAnchors(value.genesis_hash,
                               anchors.orderer_ca if anchors else None,
                               anchors.organisations if anchors else None)
    return anchors


def holds_ledger(path: Path) -> bool:
    if path.is_file():
        return True
    if (path / "ledger.sqlite").is_file():
        return True
    peers = path / "peers"
    return peers.is_dir() and any((peer / "ledger.sqlite").is_file() for peer in peers.iterdir())


def verify(args) -> int:
    path = Path(args.directory)
    if not path.exists():
        raise UsageError("DIR", f"{args.directory} does not exist")
    if not holds_ledger(path):
        raise UsageError("DIR", f"{args.directory} holds no ledger (expected a network "
                                "directory with peers/, a peer directory or a ledger.sqlite)")
    for file in ledger_files(path):
        if not is_sqlite(file):
            raise UsageError("DIR", f"{file} is not a ledger (not an SQLite database)")
    anchors = load_anchors(args)
    from reference.clients.evidence_checker import EvidenceReport, check_ledger
    from reference.ledger import verify_ledger
    from reference.ledger.wire import DecodeError

    ledger = verify_ledger(path, anchors)
    try:
        evidence = check_ledger(path)
    except (sqlite3.DatabaseError, DecodeError, ValueError, OSError) as error:
        evidence = EvidenceReport()
        evidence.problems.append(f"the evidence checker cannot read the ledger: "
                                 f"{str(error)[:200]}")
    ok = ledger.ok and evidence.ok
    if args.json:
        print(json.dumps({
            "ok": ok,
            "ledger": {"ok": ledger.ok, "blocks": ledger.blocks,
                       "transactions": ledger.transactions,
                       "valid_transactions": ledger.valid_transactions,
                       "genesis_hash": ledger.genesis_hash, "problems": ledger.problems,
                       "notes": ledger.notes, "anchored": anchors is not None},
            "evidence": evidence.to_json_value(),
        }, indent=2))
        return 0 if ok else 1
    print(ledger.summary())
    print(f"evidence checker: {evidence.transactions} marketplace transactions replayed, "
          f"{evidence.verdicts_checked} verdicts recomputed; tokens conserved: "
          f"{'yes' if evidence.tokens_conserved else 'NO'}; "
          f"{'every verdict agrees' if evidence.ok else 'DISAGREEMENT'}")
    for check in evidence.checks:
        if not check.agrees:
            print(f"  - block {check.block} tx {check.position} {check.function} {check.job}: "
                  f"recorded {check.recorded}, recomputed {check.recomputed}"
                  + (f" ({'; '.join(check.notes)})" if check.notes else ""))
    for problem in evidence.problems:
        print(f"  - {problem}")
    print("ledger " + ("verified" if ok else "FAILED verification"))
    return 0 if ok else 1


def anchors(args) -> int:
    path = Path(args.directory)
    genesis = path / "genesis.block"
    if not genesis.is_file():
        raise UsageError("DIR", f"{args.directory} holds no genesis.block (expected a network "
                                "directory)")
    from reference.ledger.block import Block
    from reference.ledger.verify import TrustAnchors
    from reference.ledger.wire import DecodeError

    data = genesis.read_bytes()
    try:
        value = TrustAnchors.of_genesis(Block.decode(data)).to_json_value()
    except (DecodeError, ValueError) as error:
        raise UsageError("DIR", f"{genesis}: not a genesis block ({str(error)[:120]})") from None
    print(json.dumps(value, indent=2))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("ledger", help="inspect ledgers written by the reference")
    commands = parser.add_subparsers(dest="ledger_command", required=True)
    verify_parser = commands.add_parser(
        "verify", help="hash chain, signatures, validation codes, and every verdict recomputed")
    verify_parser.add_argument("directory", metavar="DIR",
                               help="network directory (every peer), peer directory or ledger file")
    verify_parser.add_argument("--anchors", metavar="FILE",
                               help="trust anchors (JSON: genesis_hash, orderer_ca, "
                                    "organisations), published when the channel was created "
                                    "(aimarket ledger anchors); keep it outside DIR")
    verify_parser.add_argument("--genesis-hash", metavar="HEX",
                               help="the trusted genesis block hash (64 hex characters)")
    verify_parser.add_argument("--json", action="store_true", help="print a JSON report only")
    verify_parser.set_defaults(run=verify)
    anchors_parser = commands.add_parser(
        "anchors", help="print a network's trust anchors (genesis hash, root CA keys) as JSON")
    anchors_parser.add_argument("directory", metavar="DIR", help="network directory")
    anchors_parser.set_defaults(run=anchors)
