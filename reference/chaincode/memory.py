"""An in-memory ledger for the chaincode: one committed key-value map, calls applied one at
a time. For unit tests and conformance runners that want the chaincode's rules without
endorsement, ordering and validation; the embedded network (``reference/ledger``) runs the
same chaincode for real.

Semantics follow the ledger's stub contract: a call reads the committed state (no
read-your-writes), its writes are applied only when it answers with status < 400, and a
call that raises is reported as status 500 with nothing written. Every accepted call is
logged (``MemoryLedger.committed``) with its signer, timestamp, arguments and writes, as a
block store would keep it, so ledger-reading tools can be run over it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from reference.chaincode.contract import MarketplaceChaincode
from reference.clients.crypto import canonical_json
from reference.ledger.chaincode_api import Chaincode, ChaincodeStub, Creator, Response
from reference.ledger.messages import TimeBounds
from reference.ledger.simulator import intersect_bounds


class MemoryStub(ChaincodeStub):
    def __init__(self, committed: dict[str, bytes], creator: Creator, tx_id: str, timestamp: int):
        self.committed = committed
        self.creator = creator
        self.tx_id = tx_id
        self.timestamp = timestamp
        self.writes: dict[str, bytes | None] = {}
        self.event: tuple[str, bytes] | None = None
        self.time_bounds = TimeBounds()

    def get_state(self, key: str) -> bytes | None:
        return self.committed.get(key)

    def put_state(self, key: str, value: bytes) -> None:
        if not isinstance(key, str) or not key or not isinstance(value, bytes):
            raise TypeError("keys are non-empty str, values bytes")
        self.writes[key] = value

    def del_state(self, key: str) -> None:
        self.writes[key] = None

    def get_state_by_range(self, start: str, end: str) -> list[tuple[str, bytes]]:
        return sorted((key, value) for key, value in self.committed.items()
                      if (not start or key >= start) and (not end or key < end))

    def get_creator(self) -> Creator:
        return self.creator

    def get_tx_id(self) -> str:
        return self.tx_id

    def get_tx_timestamp(self) -> int:
        return self.timestamp

    def require_block_time(self, after: int | None = None, until: int | None = None) -> None:
        """Recorded; the memory ledger's "block time" is the call's own timestamp, which
        the chaincode has already judged, so the bounds always hold here."""
        self.time_bounds = intersect_bounds(self.time_bounds, after, until)

    def set_event(self, name: str, payload: bytes) -> None:
        self.event = (name, payload)


@dataclass(frozen=True)
class CommittedCall:
    """An accepted call as a block store would keep it: who, when, what, and its writes."""

    tx_id: str
    timestamp: int
    creator: Creator
    function: str
    args: tuple[bytes, ...]
    writes: dict[str, bytes | None]


@dataclass
class MemoryLedger:
    """Committed state plus the log of accepted calls."""

    chaincode: Chaincode = field(default_factory=MarketplaceChaincode)
    state: dict[str, bytes] = field(default_factory=dict)
    events: list[tuple[str, bytes]] = field(default_factory=list)
    committed: list[CommittedCall] = field(default_factory=list)
    _counter: itertools.count = field(default_factory=itertools.count)

    def invoke(self, creator: Creator, function: str, args: dict[str, Any] | list[bytes],
               timestamp: int) -> Response:
        raw = [canonical_json(args)] if isinstance(args, dict) else list(args)
        tx_id = hashlib.sha256(f"memory-tx-{next(self._counter)}".encode()).hexdigest()
        stub = MemoryStub(self.state, creator, tx_id, timestamp)
        try:
            response = self.chaincode.invoke(stub, function, raw)
        except Exception as exc:  # the ledger reports a raising chaincode as status 500
            return Response(500, f"chaincode raised {type(exc).__name__}: {exc}")
        if response.ok and not stub.time_bounds.admits(timestamp):
            # the ledger would invalidate it: block time (here: the call's time) out of bounds
            return Response(409, f"TIME_BOUND_VIOLATED: time {timestamp} outside "
                                 f"({stub.time_bounds.after}, {stub.time_bounds.until}]")
        if response.ok:
            for key, value in stub.writes.items():
                if value is None:
                    self.state.pop(key, None)
                else:
                    self.state[key] = value
            if stub.event is not None:
                self.events.append(stub.event)
            self.committed.append(CommittedCall(tx_id, timestamp, creator, function,
                                                tuple(raw), dict(stub.writes)))
        return response

    def query(self, creator: Creator, function: str, args: dict[str, Any], timestamp: int = 0) -> Any:
        stub = MemoryStub(self.state, creator, "query", timestamp)
        response = self.chaincode.invoke(stub, function, [canonical_json(args)])
        if not response.ok:
            raise RuntimeError(response.message)
        return json.loads(response.payload)

    def value(self, key: str) -> Any:
        data = self.state.get(key)
        return None if data is None else json.loads(data)
