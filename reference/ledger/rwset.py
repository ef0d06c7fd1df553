"""Read-write sets: what a simulation read (with versions) and what it would write.

A version is the ``(block number, transaction number)`` of the transaction that last wrote
the key; a read of a missing key records version ``None``. Range queries record the range
and every key (with version) they returned, so validation can detect phantoms. Reads and
writes are sorted by key; a key written several times keeps its last write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference.ledger import wire

Version = tuple[int, int]


@dataclass(frozen=True)
class KVRead:
    key: str
    version: Version | None


@dataclass(frozen=True)
class KVWrite:
    key: str
    value: bytes
    is_delete: bool = False


@dataclass(frozen=True)
class RangeQueryInfo:
    """A range read ``[start_key, end_key)`` (empty end = unbounded) and what it returned."""

    start_key: str
    end_key: str
    reads: tuple[KVRead, ...]


@dataclass(frozen=True)
class TxReadWriteSet:
    """The read-write set of one transaction, in one chaincode namespace."""

    namespace: str
    reads: tuple[KVRead, ...] = ()
    range_queries: tuple[RangeQueryInfo, ...] = ()
    writes: tuple[KVWrite, ...] = ()

    def encode(self) -> bytes:
        return wire.dumps(self.to_wire())

    def to_wire(self) -> list[Any]:
        return [
            self.namespace,
            [_encode_read(read) for read in self.reads],
            [[query.start_key, query.end_key, [_encode_read(read) for read in query.reads]]
             for query in self.range_queries],
            [[write.key, write.value, write.is_delete] for write in self.writes],
        ]

    @classmethod
    def decode(cls, data: bytes) -> TxReadWriteSet:
        return cls.from_wire(wire.loads(data, "rwset"))

    @classmethod
    def from_wire(cls, value: Any) -> TxReadWriteSet:
        namespace, reads, ranges, writes = wire.fields(value, 4, "rwset")
        decoded_writes = tuple(_decode_write(write) for write in wire.as_list(writes, "writes"))
        keys = [write.key for write in decoded_writes]
        if len(set(keys)) != len(keys):
            raise wire.DecodeError("rwset.writes: a key is written twice")
        return cls(
            namespace=wire.as_str(namespace, "rwset.namespace"),
            reads=tuple(_decode_read(read) for read in wire.as_list(reads, "rwset.reads")),
            range_queries=tuple(_decode_range(query)
                                for query in wire.as_list(ranges, "rwset.range_queries")),
            writes=decoded_writes,
        )


def _encode_read(read: KVRead) -> list[Any]:
    if read.version is None:
        return [read.key, None]
    return [read.key, [read.version[0], read.version[1]]]


def _decode_read(value: Any) -> KVRead:
    key, version = wire.fields(value, 2, "rwset.read")
    if version is None:
        return KVRead(_key(key), None)
    block_number, tx_number = wire.fields(version, 2, "rwset.read.version")
    return KVRead(_key(key), (wire.as_int(block_number, "version.block"),
                              wire.as_int(tx_number, "version.tx")))


def _decode_write(value: Any) -> KVWrite:
    key, data, is_delete = wire.fields(value, 3, "rwset.write")
    return KVWrite(_key(key), wire.as_bytes(data, "rwset.write.value"),
                   wire.as_bool(is_delete, "rwset.write.is_delete"))


def _decode_range(value: Any) -> RangeQueryInfo:
    start_key, end_key, reads = wire.fields(value, 3, "rwset.range_query")
    return RangeQueryInfo(
        wire.as_str(start_key, "range.start_key"),
        wire.as_str(end_key, "range.end_key"),
        tuple(_decode_read(read) for read in wire.as_list(reads, "range.reads")),
    )


def _key(value: Any) -> str:
    key = wire.as_str(value, "rwset.key")
    if not key:
        raise wire.DecodeError("rwset.key: empty key")
    return key
