"""Offline verification of a peer's ledger: ``verify_ledger(directory)``.

Given only the stored SQLite file, it checks

* the hash chain: block numbers 0..n-1, each header's previous-hash is the hash of the
  previous header, each data-hash matches the block's transactions, the stored header
  hashes match;
* every orderer signature on every block, against the orderer organisation of the
  genesis config;
* the validation codes: the blocks are validated again from scratch (every creator and
  endorsement signature, every policy, MVCC) into a fresh in-memory ledger, and the
  recomputed codes and commit hashes must equal the stored ones;
* the derived data: the recomputed world state, history and transaction index must equal
  the stored tables row for row, and the stored config must equal the replayed one.

The genesis block is the trust anchor; its hash is reported so it can be compared with
the one the channel was created with. Given a network directory (with ``peers/``), every
peer is verified and the peers must agree on every block hash and commit hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reference.ledger import wire
from reference.ledger.block import Block, compute_data_hash, orderer_signed_bytes
from reference.ledger.config import ChannelState
from reference.ledger.identity import ROLE_ORDERER
from reference.ledger.ordering import config_from_genesis
from reference.ledger.peer import genesis_commit
from reference.ledger.store import PeerStore
from reference.ledger.validation import validate_block

_MAX_LISTED_DIFFERENCES = 5


@dataclass
class LedgerReport:
    path: str
    blocks: int = 0
    transactions: int = 0
    valid_transactions: int = 0
    genesis_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        lines = [f"{self.path}: {verdict}; {self.blocks} blocks, {self.transactions} "
                 f"transactions ({self.valid_transactions} valid), genesis "
                 f"{self.genesis_hash[:16]}"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


def verify_ledger(directory: str | Path) -> LedgerReport:
    """Verify a peer directory (or its ``ledger.sqlite``), or every peer of a network."""
    path = Path(directory)
    if (path / "peers").is_dir():
        return _verify_network(path)
    ledger_file = path / "ledger.sqlite" if path.is_dir() else path
    return _verify_peer_ledger(ledger_file)


def _verify_network(path: Path) -> LedgerReport:
    combined = LedgerReport(str(path))
    heads: dict[str, list[tuple[bytes, bytes]]] = {}
    for peer_dir in sorted(p for p in (path / "peers").iterdir() if p.is_dir()):
        report = _verify_peer_ledger(peer_dir / "ledger.sqlite")
        combined.problems.extend(f"{peer_dir.name}: {problem}" for problem in report.problems)
        combined.blocks = max(combined.blocks, report.blocks)
        combined.transactions = max(combined.transactions, report.transactions)
        combined.valid_transactions = max(combined.valid_transactions,
                                          report.valid_transactions)
        combined.genesis_hash = combined.genesis_hash or report.genesis_hash
        try:
            store = PeerStore(peer_dir / "ledger.sqlite", read_only=True)
        except (FileNotFoundError, OSError):
            continue
        heads[peer_dir.name] = [(block.header.hash(), block.metadata.commit_hash)
                                for block in store.iter_blocks()]
        store.close()
    names = sorted(heads)
    for name in names[1:]:
        reference, other = heads[names[0]], heads[name]
        for number in range(min(len(reference), len(other))):
            if reference[number] != other[number]:
                combined.problems.append(f"{name} disagrees with {names[0]} at block {number}")
                break
    if not heads:
        combined.problems.append("no peer ledgers found")
    return combined


def _verify_peer_ledger(ledger_file: Path) -> LedgerReport:
    report = LedgerReport(str(ledger_file))
    try:
        stored = PeerStore(ledger_file, read_only=True)
    except (FileNotFoundError, OSError) as exc:
        report.problems.append(f"cannot open ledger: {exc}")
        return report
    try:
        _check(stored, report)
    finally:
        stored.close()
    return report


def _check(stored: PeerStore, report: LedgerReport) -> None:
    problems = report.problems
    replay = PeerStore(":memory:")
    channel: ChannelState | None = None
    commit_hash = b""
    previous_hash = b""
    previous_time = 0
    for expected_number, (number, stored_header_hash, encoded) in enumerate(
            stored.iter_raw_blocks()):
        report.blocks += 1
        if number != expected_number:
            problems.append(f"block {expected_number} missing (found {number})")
            return
        try:
            block = Block.decode(encoded)
        except wire.DecodeError as exc:
            problems.append(f"block {number}: stored block does not decode ({exc})")
            return
        if block.number != number:
            problems.append(f"block {number}: stored under the wrong number {block.number}")
            return
        header_hash = block.header.hash()
        if stored_header_hash != header_hash:
            problems.append(f"block {number}: stored header hash does not match the header")
        if block.header.previous_hash != previous_hash:
            problems.append(f"block {number}: previous-hash does not chain to block "
                            f"{number - 1}")
        if block.header.data_hash != compute_data_hash(block.data):
            problems.append(f"block {number}: data hash does not match its transactions "
                            "(block data altered)")
        previous_hash = header_hash
        if block.metadata.timestamp < previous_time:
            problems.append(f"block {number}: block time {block.metadata.timestamp} is before "
                            f"the previous block's ({previous_time})")
        previous_time = max(previous_time, block.metadata.timestamp)
        if number == 0:
            try:
                channel = ChannelState(config_from_genesis(block))
                committed, updates = genesis_commit(block)
            except Exception as exc:  # any failure here means an unusable anchor
                problems.append(f"genesis block unusable: {exc}")
                return
            report.genesis_hash = header_hash.hex()
            _check_orderer_signature(block, channel, problems)
            if committed.metadata.validation_codes != block.metadata.validation_codes:
                problems.append("block 0: stored validation codes differ")
            replay.commit_block(committed, updates)
            commit_hash = committed.metadata.commit_hash
            if block.metadata.commit_hash != commit_hash:
                problems.append("block 0: stored commit hash differs")
            continue
        assert channel is not None
        _check_orderer_signature(block, channel, problems)
        result = validate_block(block, channel, replay, commit_hash)
        stored_codes = block.metadata.validation_codes
        if stored_codes != result.codes:
            differing = [index for index in range(max(len(stored_codes), len(result.codes)))
                         if stored_codes[index:index + 1] != result.codes[index:index + 1]]
            details = ", ".join(
                f"tx {index}: stored {_code_at(stored_codes, index)}, recomputed "
                f"{_code_at(result.codes, index)}"
                for index in differing[:_MAX_LISTED_DIFFERENCES])
            problems.append(f"block {number}: validation codes differ ({details})")
        if block.metadata.commit_hash != result.commit_hash:
            problems.append(f"block {number}: commit hash differs from the recomputed one")
        report.transactions += len(block.data)
        report.valid_transactions += result.codes.count(0)
        replay.commit_block(block.with_validation(result.codes, result.commit_hash),
                            result.updates)
        commit_hash = result.commit_hash
        if result.new_config is not None:
            channel = ChannelState(result.new_config)
    if report.blocks == 0:
        problems.append("the ledger holds no blocks")
        return
    stored_tables, replayed_tables = stored.dump_tables(), replay.dump_tables()
    for table in ("state", "history", "transactions"):
        if stored_tables[table] != replayed_tables[table]:
            stored_rows, replayed_rows = set(stored_tables[table]), set(replayed_tables[table])
            extra = sorted(stored_rows - replayed_rows, key=repr)[:_MAX_LISTED_DIFFERENCES]
            missing = sorted(replayed_rows - stored_rows, key=repr)[:_MAX_LISTED_DIFFERENCES]
            problems.append(f"{table} differs from the replayed ledger: stored-only {extra}, "
                            f"missing {missing}")
    if stored.get_meta("config") != replay.get_meta("config"):
        problems.append("stored channel config differs from the replayed one")
    replay.close()


def _code_at(codes: bytes, index: int) -> str:
    return str(codes[index]) if index < len(codes) else "none"


def _check_orderer_signature(block: Block, channel: ChannelState, problems: list[str]) -> None:
    signer = channel.membership.verify_signature(block.metadata.orderer,
                                                 block.metadata.orderer_signature,
                                                 orderer_signed_bytes(block.header,
                                                                      block.metadata.timestamp))
    if signer is None or signer.org != channel.orderer_msp_id or signer.role != ROLE_ORDERER:
        problems.append(f"block {block.number}: orderer signature invalid")
