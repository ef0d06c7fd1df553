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

**Trust anchors.** Everything above is derived from the genesis block, so a directory
whose every key is in an attacker's hands can be rewritten consistently. What to trust
must therefore come from outside the directory: :class:`TrustAnchors` (the genesis block's
hash, the orderer organisation's and the application organisations' root CA keys, as
published when the channel was created). Given anchors, the genesis block found must have
that hash and its config those CA keys; without them the report says the genesis block
was trusted as found.

Given a network directory (with ``peers/``), every peer is verified, the peers must agree
on every block hash and commit hash and all be at the same height, and the orderer's own
block store (``orderer/ledger.sqlite``) must hold the same blocks: every divergence (a
peer behind, ahead, or on another chain) is reported.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.ledger import wire
from reference.ledger.block import Block, compute_data_hash, orderer_signed_bytes
from reference.ledger.config import ChannelState
from reference.ledger.identity import ROLE_ORDERER
from reference.ledger.genesis import genesis_commit
from reference.ledger.ordering import config_from_genesis
from reference.ledger.store import PeerStore
from reference.ledger.validation import validate_block

_MAX_LISTED_DIFFERENCES = 5


class AnchorError(ValueError):
    """A trust-anchor file or value that cannot be used."""


@dataclass(frozen=True)
class TrustAnchors:
    """What a verifier trusts, obtained outside the directory it checks."""

    genesis_hash: bytes | None = None
    orderer_ca: bytes | None = None
    organisations: dict[str, bytes] | None = None

    @classmethod
    def from_json_value(cls, value: Any, where: str = "anchors") -> TrustAnchors:
        """``{"genesis_hash": hex, "orderer_ca": hex, "organisations": {msp: hex}}``, every
        field optional."""
        if not isinstance(value, dict):
            raise AnchorError(f"{where}: must be a JSON object")
        unknown = sorted(set(value) - {"genesis_hash", "orderer_ca", "organisations"})
        if unknown:
            raise AnchorError(f"{where}: unknown field {unknown[0]!r}")
        organisations = value.get("organisations")
        if organisations is not None:
            if not isinstance(organisations, dict):
                raise AnchorError(f"{where}.organisations: must map MSP ids to hex keys")
            organisations = {str(msp): _hex(key, f"{where}.organisations.{msp}")
                             for msp, key in organisations.items()}
        return cls(_hex(value.get("genesis_hash"), f"{where}.genesis_hash", 32),
                   _hex(value.get("orderer_ca"), f"{where}.orderer_ca"), organisations)

    @classmethod
    def load(cls, path: str | Path) -> TrustAnchors:
        try:
            text = Path(path).read_bytes()
            if len(text) > 1_000_000:
                raise AnchorError(f"{path}: larger than 1 MB, not an anchors file")
            value = json.loads(text.decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            if isinstance(exc, AnchorError):
                raise
            raise AnchorError(f"{path}: not a JSON anchors file ({str(exc)[:120]})") from None
        return cls.from_json_value(value, str(path))

    @classmethod
    def of_genesis(cls, genesis: Block) -> TrustAnchors:
        """The anchors a channel publishes at creation (its genesis block's)."""
        config = config_from_genesis(genesis)
        return cls(genesis.header.hash(), config.orderer_organisation.ca_public_key,
                   {org.msp_id: org.ca_public_key for org in config.organisations})

    def to_json_value(self) -> dict[str, Any]:
        value: dict[str, Any] = {}
        if self.genesis_hash is not None:
            value["genesis_hash"] = self.genesis_hash.hex()
        if self.orderer_ca is not None:
            value["orderer_ca"] = self.orderer_ca.hex()
        if self.organisations is not None:
            value["organisations"] = {msp: key.hex()
                                      for msp, key in sorted(self.organisations.items())}
        return value

    def check(self, genesis: Block, problems: list[str]) -> None:
        if self.genesis_hash is not None and genesis.header.hash() != self.genesis_hash:
            problems.append(f"genesis block {genesis.header.hash().hex()[:16]} is not the "
                            f"trusted one ({self.genesis_hash.hex()[:16]})")
        try:
            config = config_from_genesis(genesis)
        except (ValueError, wire.DecodeError) as exc:
            problems.append(f"genesis config unreadable: {exc}")
            return
        if (self.orderer_ca is not None
                and config.orderer_organisation.ca_public_key != self.orderer_ca):
            problems.append("the orderer organisation's CA key is not the trusted one")
        if self.organisations is not None:
            found = {org.msp_id: org.ca_public_key for org in config.organisations}
            for msp in sorted(set(found) | set(self.organisations)):
                if found.get(msp) != self.organisations.get(msp):
                    problems.append(f"organisation {msp}: CA key is not the trusted one")


def _hex(value: Any, where: str, length: int | None = None) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 4096:
        raise AnchorError(f"{where}: must be a hex string")
    try:
        decoded = bytes.fromhex(value)
    except ValueError:
        raise AnchorError(f"{where}: not hex") from None
    if length is not None and len(decoded) != length:
        raise AnchorError(f"{where}: must be {length} bytes")
    return decoded


@dataclass
class LedgerReport:
    path: str
    blocks: int = 0
    transactions: int = 0
    valid_transactions: int = 0
    genesis_hash: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        lines = [f"{self.path}: {verdict}; {self.blocks} blocks, {self.transactions} "
                 f"transactions ({self.valid_transactions} valid), genesis "
                 f"{self.genesis_hash[:16]}"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        lines.extend(f"  (note: {note})" for note in self.notes)
        return "\n".join(lines)


def verify_ledger(directory: str | Path, anchors: TrustAnchors | None = None) -> LedgerReport:
    """Verify a peer directory (or its ``ledger.sqlite``), or every peer of a network and
    its orderer; ``anchors``: what to trust (else the genesis block found is trusted)."""
    path = Path(directory)
    if (path / "peers").is_dir():
        report = _verify_network(path, anchors)
    else:
        ledger_file = path / "ledger.sqlite" if path.is_dir() else path
        report = _verify_peer_ledger(ledger_file, anchors)
    if anchors is None:
        report.notes.append("no trust anchors given: the genesis block found in the "
                            "directory was trusted as found")
    return report


def check_store(store: PeerStore) -> list[str]:
    """Problems of a peer's store against its own block chain (empty if consistent): what
    a peer checks when it opens its ledger."""
    report = LedgerReport(store.path)
    try:
        _check(store, report, None)
    except (sqlite3.DatabaseError, wire.DecodeError, ValueError) as exc:
        report.problems.append(f"ledger unreadable: {exc}")
    return report.problems


def _verify_network(path: Path, anchors: TrustAnchors | None) -> LedgerReport:
    combined = LedgerReport(str(path))
    heads: dict[str, list[tuple[bytes, bytes]]] = {}
    for peer_dir in sorted(p for p in (path / "peers").iterdir() if p.is_dir()):
        report = _verify_peer_ledger(peer_dir / "ledger.sqlite", anchors)
        combined.problems.extend(f"{peer_dir.name}: {problem}" for problem in report.problems)
        combined.blocks = max(combined.blocks, report.blocks)
        combined.transactions = max(combined.transactions, report.transactions)
        combined.valid_transactions = max(combined.valid_transactions,
                                          report.valid_transactions)
        combined.genesis_hash = combined.genesis_hash or report.genesis_hash
        try:
            store = PeerStore(peer_dir / "ledger.sqlite", read_only=True)
            try:
                heads[peer_dir.name] = [(header_hash, _commit_hash(encoded))
                                        for _, header_hash, encoded in store.iter_raw_blocks()]
            finally:
                store.close()
        except (OSError, sqlite3.DatabaseError):
            continue
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
    orderer = _orderer_headers(path / "orderer" / "ledger.sqlite", combined.problems,
                               combined.notes)
    if orderer is not None:
        for name in names:
            own = [header for header, _ in heads[name]]
            for number in range(min(len(own), len(orderer))):
                if own[number] != orderer[number]:
                    combined.problems.append(f"{name}: block {number} differs from the "
                                             "orderer's")
                    break
            if len(own) != len(orderer):
                side = "behind" if len(own) < len(orderer) else "ahead of"
                combined.problems.append(f"{name} is at height {len(own)}, {side} the "
                                         f"orderer at height {len(orderer)}")
    else:
        heights = {name: len(heads[name]) for name in names}
        if len(set(heights.values())) > 1:
            top = max(heights.values())
            for name in names:
                if heights[name] < top:
                    combined.problems.append(f"{name} is at height {heights[name]}, behind "
                                             f"the highest peer at {top}")
    return combined


def _commit_hash(encoded: bytes) -> bytes:
    try:
        return Block.decode(encoded).metadata.commit_hash
    except wire.DecodeError:
        return b""


ORDERING_NOTE = "ordering.json"
"""Beside where an embedded orderer keeps ``ledger.sqlite``, a network whose blocks are
ordered elsewhere (``reference.network``: on an etcd cluster) says so in this file."""


def _orderer_headers(ledger_file: Path, problems: list[str],
                     notes: list[str]) -> list[bytes] | None:
    """The header hashes of the orderer's block store (None if there is none)."""
    if not ledger_file.is_file():
        external = ledger_file.with_name(ORDERING_NOTE)
        try:
            declared = json.loads(external.read_text(encoding="utf-8")) if external.is_file() else None
        except (OSError, ValueError):
            declared = None
        if isinstance(declared, dict) and isinstance(declared.get("ordering"), str):
            notes.append(f"the orderer's chain is kept by {declared['ordering']} "
                         f"({external}), not in this directory: the peers were cross-checked "
                         "among themselves, not against it")
        else:
            problems.append(f"no orderer ledger at {ledger_file}: peers not checked against it")
        return None
    headers: list[bytes] = []
    try:
        connection = sqlite3.connect(f"{ledger_file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT number, block FROM blocks ORDER BY number")
            for expected, (number, encoded) in enumerate(rows):
                if number != expected:
                    problems.append(f"orderer ledger: block {expected} missing")
                    break
                headers.append(Block.decode(encoded).header.hash())
        finally:
            connection.close()
    except (sqlite3.DatabaseError, wire.DecodeError) as exc:
        problems.append(f"orderer ledger unreadable: {exc}")
        return None
    return headers


def _verify_peer_ledger(ledger_file: Path, anchors: TrustAnchors | None = None) -> LedgerReport:
    report = LedgerReport(str(ledger_file))
    try:
        stored = PeerStore(ledger_file, read_only=True)
    except (OSError, sqlite3.DatabaseError) as exc:
        report.problems.append(f"cannot open ledger: {exc}")
        return report
    try:
        _check(stored, report, anchors)
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"ledger unreadable (damaged SQLite file?): {exc}")
    finally:
        stored.close()
    return report


def _check(stored: PeerStore, report: LedgerReport, anchors: TrustAnchors | None) -> None:
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
            if anchors is not None:
                anchors.check(block, problems)
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
