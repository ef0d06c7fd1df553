"""Blocks: header (number, previous-hash, data-hash), data (envelopes), metadata.

As in Fabric, the header hash chains the blocks and covers the data through ``data_hash``;
the metadata is outside the hash chain: the orderer's signature over the header and the
block's time, and the per-transaction validation codes plus the commit hash that each peer
adds when it commits.

**Block time.** The orderer stamps every block with its own clock (whole seconds) when it
cuts it, and signs that time together with the header. It is the ledger's trusted time:
validation judges each transaction's timestamp and time bounds against it (every peer reads
the same signed value, so the outcome is deterministic), and block times never decrease.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reference.ledger import crypto, wire
from reference.ledger.codes import TxValidationCode


@dataclass(frozen=True)
class BlockHeader:
    number: int
    previous_hash: bytes
    data_hash: bytes

    def encode(self) -> bytes:
        return wire.dumps([self.number, self.previous_hash, self.data_hash])

    def hash(self) -> bytes:
        return crypto.sha256(self.encode())


def compute_data_hash(envelopes: tuple[bytes, ...]) -> bytes:
    return crypto.sha256(wire.dumps(list(envelopes)))


def orderer_signed_bytes(header: BlockHeader, timestamp: int) -> bytes:
    """What the orderer signs: the header and the block time it stamped."""
    return wire.dumps(["aimarket-block-signature-v2", header.encode(), timestamp])


@dataclass(frozen=True)
class BlockMetadata:
    orderer: bytes = b""
    orderer_signature: bytes = b""
    validation_codes: bytes = b""
    commit_hash: bytes = b""
    timestamp: int = 0
    """The block time (seconds) the orderer stamped and signed."""


@dataclass(frozen=True)
class Block:
    header: BlockHeader
    data: tuple[bytes, ...]
    metadata: BlockMetadata = BlockMetadata()

    @property
    def number(self) -> int:
        return self.header.number

    def validation_codes(self) -> list[TxValidationCode]:
        return [TxValidationCode(code) for code in self.metadata.validation_codes]

    def with_validation(self, codes: bytes, commit_hash: bytes) -> Block:
        return replace(self, metadata=replace(self.metadata, validation_codes=codes,
                                              commit_hash=commit_hash))

    def encode(self) -> bytes:
        metadata = self.metadata
        return wire.dumps([
            [self.header.number, self.header.previous_hash, self.header.data_hash],
            list(self.data),
            [metadata.orderer, metadata.orderer_signature, metadata.validation_codes,
             metadata.commit_hash, metadata.timestamp],
        ])

    @classmethod
    def decode(cls, data: bytes) -> Block:
        header, envelopes, metadata = wire.fields(wire.loads(data, "block"), 3, "block")
        number, previous_hash, data_hash = wire.fields(header, 3, "block.header")
        orderer, signature, codes, commit_hash, timestamp = wire.fields(metadata, 5,
                                                                        "block.metadata")
        return cls(
            BlockHeader(wire.as_int(number, "header.number"),
                        wire.as_bytes(previous_hash, "header.previous_hash"),
                        wire.as_bytes(data_hash, "header.data_hash")),
            tuple(wire.as_bytes(envelope, "block.data")
                  for envelope in wire.as_list(envelopes, "block.data")),
            BlockMetadata(wire.as_bytes(orderer, "metadata.orderer"),
                          wire.as_bytes(signature, "metadata.orderer_signature"),
                          wire.as_bytes(codes, "metadata.validation_codes"),
                          wire.as_bytes(commit_hash, "metadata.commit_hash"),
                          wire.as_int(timestamp, "metadata.timestamp")),
        )
