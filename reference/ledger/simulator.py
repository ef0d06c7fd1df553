"""Transaction simulation: the ``ChaincodeStub`` an endorsing peer hands to chaincode."""

from __future__ import annotations

from typing import Protocol

from reference.ledger.chaincode_api import ChaincodeStub, Creator
from reference.ledger.messages import ChaincodeEventRecord, TimeBounds
from reference.ledger.rwset import KVRead, KVWrite, RangeQueryInfo, TxReadWriteSet, Version


class StateReader(Protocol):
    """Read access to the committed world state."""

    def get_state(self, namespace: str, key: str) -> tuple[bytes, Version] | None: ...

    def range_scan(self, namespace: str, start: str,
                   end: str) -> list[tuple[str, bytes, Version]]: ...


def _check_key(key: object, what: str = "key") -> str:
    if not isinstance(key, str) or not key:
        raise TypeError(f"{what} must be a non-empty str, got {key!r}")
    return key


class TxSimulator(ChaincodeStub):
    """Runs against committed state and records reads (with versions) and writes.

    The caller must keep the state from changing while the simulation runs (the peer
    holds its commit lock), so every read sees one committed snapshot.
    """

    def __init__(self, state: StateReader, namespace: str, tx_id: str, timestamp: int,
                 creator: Creator) -> None:
        self._state = state
        self._namespace = namespace
        self._tx_id = tx_id
        self._timestamp = timestamp
        self._creator = creator
        self._reads: dict[str, tuple[bytes | None, Version | None]] = {}
        self._range_queries: list[RangeQueryInfo] = []
        self._writes: dict[str, KVWrite] = {}
        self._event: ChaincodeEventRecord | None = None
        self.time_bounds = TimeBounds()

    def get_state(self, key: str) -> bytes | None:
        _check_key(key)
        cached = self._reads.get(key)
        if cached is None:
            found = self._state.get_state(self._namespace, key)
            cached = (None, None) if found is None else found
            self._reads[key] = cached
        return cached[0]

    def put_state(self, key: str, value: bytes) -> None:
        _check_key(key)
        if not isinstance(value, (bytes, bytearray)):
            raise TypeError(f"value must be bytes, got {type(value).__name__}")
        self._writes[key] = KVWrite(key, bytes(value), False)

    def del_state(self, key: str) -> None:
        _check_key(key)
        self._writes[key] = KVWrite(key, b"", True)

    def get_state_by_range(self, start: str, end: str) -> list[tuple[str, bytes]]:
        if not isinstance(start, str) or not isinstance(end, str):
            raise TypeError("range bounds must be str")
        rows = self._state.range_scan(self._namespace, start, end)
        self._range_queries.append(RangeQueryInfo(
            start, end, tuple(KVRead(key, version) for key, _, version in rows)))
        return [(key, value) for key, value, _ in rows]

    def get_creator(self) -> Creator:
        return self._creator

    def get_tx_id(self) -> str:
        return self._tx_id

    def get_tx_timestamp(self) -> int:
        return self._timestamp

    def require_block_time(self, after: int | None = None, until: int | None = None) -> None:
        self.time_bounds = intersect_bounds(self.time_bounds, after, until)

    def set_event(self, name: str, payload: bytes) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError("event name must be a non-empty str")
        if not isinstance(payload, (bytes, bytearray)):
            raise TypeError("event payload must be bytes")
        self._event = ChaincodeEventRecord(name, bytes(payload))

    @property
    def event(self) -> ChaincodeEventRecord | None:
        return self._event

    def read_write_set(self) -> TxReadWriteSet:
        return TxReadWriteSet(
            namespace=self._namespace,
            reads=tuple(KVRead(key, self._reads[key][1]) for key in sorted(self._reads)),
            range_queries=tuple(self._range_queries),
            writes=tuple(self._writes[key] for key in sorted(self._writes)),
        )


def intersect_bounds(bounds: TimeBounds, after: int | None, until: int | None) -> TimeBounds:
    """``bounds`` narrowed by ``after < t <= until`` (integers or None)."""
    for value in (after, until):
        if value is not None and type(value) is not int:
            raise TypeError(f"time bounds are integers or None, got {value!r}")
    if after is not None and bounds.after is not None:
        after = max(after, bounds.after)
    elif after is None:
        after = bounds.after
    if until is not None and bounds.until is not None:
        until = min(until, bounds.until)
    elif until is None:
        until = bounds.until
    return TimeBounds(after, until)
