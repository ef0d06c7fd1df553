"""Reading a peer's block store as a list of marketplace transactions.

Given only a ledger directory — a peer's directory (with ``ledger.sqlite``), the file
itself, or a network directory (``peers/`` inside: the first peer is read) — this yields
every endorser transaction in block order with what an auditor needs: its validation
code, the signed timestamp, the creator's certificate, the invoked function and
arguments, and the writes of its read-write set. It decodes the ledger's own message
formats (``reference/ledger/messages.py``) and trusts nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reference.ledger import wire
from reference.ledger.codes import TxValidationCode
from reference.ledger.identity import Certificate
from reference.ledger.messages import (
    ChaincodeInvocation,
    EndorserTransaction,
    Header,
    HeaderType,
    ProposalResponsePayload,
    decode_envelope,
    decode_payload,
)
from reference.ledger.store import PeerStore


@dataclass(frozen=True)
class LedgerTransaction:
    block: int
    position: int
    tx_id: str
    code: TxValidationCode
    timestamp: int
    creator: Certificate
    chaincode: str
    function: str
    args: tuple[bytes, ...]
    writes: dict[str, bytes | None]  # key -> new value, None for a delete
    block_time: int | None = None
    """The orderer-signed time of the block (the ledger's trusted time); None when read
    from a source without blocks."""

    @property
    def valid(self) -> bool:
        return self.code == TxValidationCode.VALID


def ledger_file(directory: str | Path) -> Path:
    """The ``ledger.sqlite`` a path designates (network dir -> its first peer)."""
    path = Path(directory)
    if path.is_file():
        return path
    if (path / "peers").is_dir():
        peers = sorted(peer for peer in (path / "peers").iterdir()
                       if (peer / "ledger.sqlite").is_file())
        if not peers:
            raise FileNotFoundError(f"no peer ledger under {path / 'peers'}")
        return peers[0] / "ledger.sqlite"
    if (path / "ledger.sqlite").is_file():
        return path / "ledger.sqlite"
    raise FileNotFoundError(f"no ledger in {path}")


def decode_transaction(block: int, position: int, envelope: bytes,
                       code: TxValidationCode,
                       block_time: int | None = None) -> LedgerTransaction | None:
    """The endorser transaction in ``envelope``, or None for other kinds (config)."""
    payload, _signature = decode_envelope(envelope)
    header_bytes, data = decode_payload(payload)
    header = Header.decode(header_bytes)
    if header.type != HeaderType.ENDORSER_TRANSACTION:
        return None
    transaction = EndorserTransaction.decode(data)
    invocation = ChaincodeInvocation.decode(transaction.invocation_bytes)
    action = ProposalResponsePayload.decode(transaction.prp_bytes).action()
    writes = {write.key: (None if write.is_delete else write.value)
              for write in action.rwset.writes}
    return LedgerTransaction(
        block=block, position=position, tx_id=header.tx_id, code=code,
        timestamp=header.timestamp, creator=Certificate.decode(header.creator),
        chaincode=invocation.chaincode, function=invocation.function, args=invocation.args,
        writes=writes, block_time=block_time)


def read_transactions(directory: str | Path, chaincode: str | None = None
                      ) -> Iterator[LedgerTransaction]:
    """Every endorser transaction of the ledger, in order (of ``chaincode`` if given)."""
    store = PeerStore(ledger_file(directory), read_only=True)
    try:
        for block in store.iter_blocks():
            codes = block.validation_codes()
            for position, envelope in enumerate(block.data):
                try:
                    transaction = decode_transaction(block.number, position, envelope,
                                                     codes[position], block.metadata.timestamp)
                except (wire.DecodeError, IndexError):
                    continue  # a malformed envelope; validation marked it invalid
                if transaction is None:
                    continue
                if chaincode is None or transaction.chaincode == chaincode:
                    yield transaction
    finally:
        store.close()
