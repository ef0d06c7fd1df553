"""``aimarket ledger verify DIR``: check a ledger and recompute every verdict on it."""

from __future__ import annotations

import json
from pathlib import Path

from aimarket.cli import UsageError


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
    from reference.clients.evidence_checker import check_ledger
    from reference.ledger import verify_ledger

    ledger = verify_ledger(path)
    evidence = check_ledger(path)
    ok = ledger.ok and evidence.ok
    if args.json:
        print(json.dumps({
            "ok": ok,
            "ledger": {"ok": ledger.ok, "blocks": ledger.blocks,
                       "transactions": ledger.transactions,
                       "valid_transactions": ledger.valid_transactions,
                       "genesis_hash": ledger.genesis_hash, "problems": ledger.problems},
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


def register(subparsers) -> None:
    parser = subparsers.add_parser("ledger", help="inspect ledgers written by the reference")
    commands = parser.add_subparsers(dest="ledger_command", required=True)
    verify_parser = commands.add_parser(
        "verify", help="hash chain, signatures, validation codes, and every verdict recomputed")
    verify_parser.add_argument("directory", metavar="DIR",
                               help="network directory (every peer), peer directory or ledger file")
    verify_parser.add_argument("--json", action="store_true", help="print a JSON report only")
    verify_parser.set_defaults(run=verify)
