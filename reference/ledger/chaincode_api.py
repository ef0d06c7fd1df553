"""The chaincode contract: what a chaincode sees, and what it must return.

This module is the stable interface that chaincode (the marketplace's included) is written
against. It mirrors Fabric's shim (``ChaincodeStubInterface``) for the calls listed here.

Writing a chaincode
-------------------
A chaincode is any object with an ``invoke(stub, function, args) -> Response`` method; the
ledger creates one instance per peer from a factory (a zero-argument callable), so
instances must not share mutable state. The same ``invoke`` serves transactions and
read-only queries::

    class KeyValue:
        def invoke(self, stub: ChaincodeStub, function: str, args: list[bytes]) -> Response:
            if function == "put":
                stub.put_state(args[0].decode(), args[1])
                return success()
            if function == "get":
                value = stub.get_state(args[0].decode())
                return success(value) if value is not None else error("not found", 404)
            return error(f"unknown function {function!r}", 400)

Execution model (execute-order-validate, as in Fabric)
------------------------------------------------------
* ``invoke`` runs on each endorsing peer, against that peer's COMMITTED world state. It
  does not change the state: it produces a read set (keys read, with the version that was
  read), a write set, and a response. The state changes only when the ordered transaction
  is validated and committed, on every peer.
* No read-your-writes: ``get_state`` after ``put_state`` of the same key in the same
  invocation returns the committed value, not the one just written (Fabric semantics).
  A key written several times keeps the last write; ``del_state`` is a write (a delete).
* A transaction is invalidated at commit (``MVCC_READ_CONFLICT``) if any key it read was
  changed after it was simulated, including by an earlier valid transaction of the same
  block; ``PHANTOM_READ_CONFLICT`` if a range it read would now return different keys or
  versions. The client then gets the code in ``TxResult.code`` and may retry.
* ``invoke`` must be deterministic: the same committed state, creator, tx id, timestamp
  and arguments must give the same response, writes and event on every peer (no clocks,
  randomness, or peer-local data). Endorsements that differ are rejected by the client.
* Status codes: ``status < 400`` is success (use 200, ``OK``). ``status >= 400`` is an
  error: the peer refuses to endorse, nothing is ordered or written, and the client gets
  the status and message (``TxResult.status``/``message``, ``code`` None). An exception
  raised by ``invoke`` is reported as status 500 with the exception text.
* Keys are non-empty strings; they live in the chaincode's own namespace (two chaincodes
  never see each other's keys). Values are ``bytes`` (``b""`` is a legal value).
* Range reads: ``get_state_by_range(start, end)`` returns ``[start, end)`` sorted by key;
  ``""`` as ``start`` means from the first key and as ``end`` means to the last key.
* One event per transaction: ``set_event`` again replaces the previous event. Events are
  delivered to listeners when the block commits, with the transaction's validation code.
* In a query (``Client.query``) the same stub is used but nothing is ordered; writes and
  events are discarded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from reference.ledger import crypto

OK = 200
"""Status of a successful response."""

ERROR_THRESHOLD = 400
"""Responses with a status at or above this are errors (Fabric's shim ``ERRORTHRESHOLD``)."""


@dataclass(frozen=True)
class Response:
    """What ``invoke`` returns: ``status`` (200 OK, >= 400 error), ``message``, ``payload``."""

    status: int
    message: str = ""
    payload: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status < ERROR_THRESHOLD


def success(payload: bytes = b"", message: str = "") -> Response:
    """A status-200 response."""
    return Response(OK, message, payload)


def error(message: str, status: int = 500, payload: bytes = b"") -> Response:
    """An error response; ``status`` must be at least 400."""
    if status < ERROR_THRESHOLD:
        raise ValueError(f"error status must be >= {ERROR_THRESHOLD}, got {status}")
    return Response(status, message, payload)


@dataclass(frozen=True)
class Creator:
    """The identity that signed the proposal.

    ``org`` is the organisation's MSP id, ``name`` the enrolled name, ``role`` the role
    attribute of the certificate (``client``, ``admin``, ``peer`` or an application role
    such as ``data_owner``), and ``public_key`` the P-256 public key as an uncompressed
    X9.62 point (65 bytes; check signatures with ``verify_signature``).
    """

    org: str
    name: str
    role: str
    public_key: bytes


class ChaincodeStub(ABC):
    """What a chaincode gets during one simulation. See the module docstring for semantics."""

    @abstractmethod
    def get_state(self, key: str) -> bytes | None:
        """The committed value of ``key``, or None if absent; records the read and version."""

    @abstractmethod
    def put_state(self, key: str, value: bytes) -> None:
        """Write ``value`` at ``key`` (visible only after commit; no read-your-writes)."""

    @abstractmethod
    def del_state(self, key: str) -> None:
        """Delete ``key`` (a write; visible only after commit)."""

    @abstractmethod
    def get_state_by_range(self, start: str, end: str) -> list[tuple[str, bytes]]:
        """Committed ``(key, value)`` pairs with ``start <= key < end``, sorted by key.

        ``""`` means unbounded on that side. The range and the keys it returned are
        recorded for phantom-read detection at validation.
        """

    @abstractmethod
    def get_creator(self) -> Creator:
        """The identity that signed the proposal (already verified by the peer)."""

    @abstractmethod
    def get_tx_id(self) -> str:
        """The transaction id (hex SHA-256 of nonce + creator), unique on the ledger."""

    @abstractmethod
    def get_tx_timestamp(self) -> int:
        """The transaction's timestamp in seconds, signed by the client in the proposal.

        Every endorser sees the same value. The ledger keeps it honest up to the channel's
        ``max_timestamp_skew``: an endorser refuses a proposal whose timestamp is further
        than that from its own clock, and validation invalidates a transaction whose
        timestamp is further than that from its block's time (``BAD_TIMESTAMP``). A
        deadline must not be judged on it alone: see ``require_block_time``.
        """

    @abstractmethod
    def require_block_time(self, after: int | None = None, until: int | None = None) -> None:
        """Make the transaction valid only in blocks whose time ``t`` has ``after < t`` and
        ``t <= until`` (None: unbounded). Repeated calls intersect.

        The block time is the orderer's signed clock, so this is how a chaincode judges a
        deadline exactly: a move allowed up to ``deadline`` calls
        ``require_block_time(until=deadline)``, a move allowed only after it calls
        ``require_block_time(after=deadline)``. The bounds are part of what endorsers sign;
        a transaction ordered outside them is invalidated (``TIME_BOUND_VIOLATED``). The
        chaincode should also check the bound against ``get_tx_timestamp()`` so that a move
        that is already late is refused at endorsement.
        """

    @abstractmethod
    def set_event(self, name: str, payload: bytes) -> None:
        """Attach an event (one per transaction; a second call replaces the first)."""


class Chaincode(Protocol):
    """A chaincode: one method serves every function of the contract."""

    def invoke(self, stub: ChaincodeStub, function: str, args: list[bytes]) -> Response:
        """Run ``function`` with ``args``; return a Response (status >= 400 = refused)."""
        ...


ChaincodeFactory = Callable[[], Chaincode]
"""Creates one chaincode instance (called once per peer)."""


def verify_signature(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """True if ``signature`` (DER ECDSA P-256/SHA-256, low-S) signs ``data`` under
    ``public_key`` (X9.62 point, as in ``Creator.public_key``). Deterministic, never raises
    on malformed input, so chaincode can use it to check signed commitments."""
    return crypto.verify_with_key_bytes(public_key, signature, data)
