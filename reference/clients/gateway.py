"""How an actor talks to the marketplace chaincode: submit a signed call, read state.

Two gateways share one interface:

* :class:`NetworkGateway` — a client of the embedded Fabric-style network
  (``reference/ledger``): endorse on the policy's peers, order, validate, commit;
* :class:`MemoryGateway` — the chaincode on an in-memory ledger
  (``reference/chaincode/memory.py``), for fast unit tests.

Both sign with the actor's identity key (the key of its ledger certificate), which is also
the key the chaincode registers for the actor and checks receipts and artefacts against.
Time is a :class:`MarketClock` shared by all actors of a run: every call is stamped with
its ``now`` (the chaincode's deadlines count in these seconds).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from reference.chaincode.contract import CHAINCODE_NAME
from reference.chaincode.memory import MemoryLedger
from reference.clients.crypto import canonical_json
from reference.ledger.chaincode_api import Creator
from reference.ledger.crypto import SigningKey
from reference.ledger.identity import Identity
from reference.ledger.network import Network


class LedgerClock(Protocol):
    """A ledger clock the run can move (``reference.ledger.FakeClock``)."""

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


class MarketClock:
    """The run's notion of time in whole seconds; only :meth:`advance` moves it.

    With ``ledger`` (the network's clock, e.g. a ``FakeClock``) the market's time *is* the
    ledger's: endorsers and the orderer read the same clock, so calls are stamped with the
    time the ledger's trusted-time checks expect, and :meth:`advance` moves both.
    """

    def __init__(self, start: int = 1_700_000_000, ledger: LedgerClock | None = None):
        self.ledger = ledger
        self.current = int(ledger.now()) if ledger is not None else start

    def now(self) -> int:
        if self.ledger is not None:
            return int(self.ledger.now())
        return self.current

    def advance(self, seconds: int) -> int:
        if self.ledger is not None:
            self.ledger.advance(seconds)
            return self.now()
        self.current += seconds
        return self.current


@dataclass(frozen=True)
class Outcome:
    """What happened to one call. ``code`` is None when it was accepted and committed;
    else the chaincode's MKT code, or the ledger's validation code name (for example
    ``MVCC_READ_CONFLICT``) when the transaction was ordered but invalidated."""

    actor: str
    function: str
    args: dict[str, Any]
    time: int
    code: str | None
    message: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    tx_id: str = ""
    block: int | None = None

    @property
    def ok(self) -> bool:
        return self.code is None


class CallFailed(RuntimeError):
    def __init__(self, outcome: Outcome):
        super().__init__(f"{outcome.actor} {outcome.function}: {outcome.code} {outcome.message}")
        self.outcome = outcome


Journal = Callable[[Outcome], None]


class Gateway(Protocol):
    name: str
    organisation: str
    public_key: bytes
    clock: MarketClock

    def sign(self, data: bytes) -> bytes: ...

    def submit(self, function: str, args: dict[str, Any]) -> Outcome: ...

    def read(self, key: str) -> Any: ...

    def read_prefix(self, prefix: str) -> dict[str, Any]: ...

    def accounts(self) -> dict[str, Any]: ...


class _GatewayBase:
    name: str
    clock: MarketClock
    journal: Journal | None

    def _record(self, outcome: Outcome) -> Outcome:
        if self.journal is not None:
            self.journal(outcome)
        return outcome

    def must(self, function: str, args: dict[str, Any]) -> Outcome:
        """Submit and raise :class:`CallFailed` unless accepted."""
        outcome = self.submit(function, args)  # type: ignore[attr-defined]
        if not outcome.ok:
            raise CallFailed(outcome)
        return outcome

    def read(self, key: str) -> Any:
        return self._query("read", {"key": key})["value"]

    def read_prefix(self, prefix: str) -> dict[str, Any]:
        return self._query("read_prefix", {"prefix": prefix})

    def accounts(self) -> dict[str, Any]:
        return self._query("accounts", {})

    def _query(self, function: str, args: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError


def _refusal_outcome(actor: str, function: str, args: dict[str, Any], time: int,
                     status: int, message: str, payload: bytes, tx_id: str = "") -> Outcome:
    try:
        details = json.loads(payload) if payload else {}
    except ValueError:
        details = {}
    code = details.get("code") if isinstance(details, dict) else None
    return Outcome(actor, function, args, time, code or f"STATUS_{status}", message,
                   details if isinstance(details, dict) else {}, tx_id)


class NetworkGateway(_GatewayBase):
    """An actor on the embedded network."""

    def __init__(self, network: Network, identity: Identity, clock: MarketClock,
                 journal: Journal | None = None, chaincode: str = CHAINCODE_NAME):
        self.network = network
        self.identity = identity
        self.client = network.client(identity)
        self.clock = clock
        self.journal = journal
        self.chaincode = chaincode
        self.name = identity.name
        self.organisation = identity.org
        self.public_key = identity.certificate.public_key

    def sign(self, data: bytes) -> bytes:
        return self.identity.sign(data)

    def endorse(self, function: str, args: dict[str, Any]):
        """Endorse only (for batched submission); see :meth:`outcome_of`."""
        return self.client.endorse(self.chaincode, function, [canonical_json(args)],
                                   timestamp=self.clock.now())

    def submit(self, function: str, args: dict[str, Any]) -> Outcome:
        time = self.clock.now()
        result = self.client.submit(self.chaincode, function, [canonical_json(args)],
                                    timestamp=time)
        return self._record(self.outcome_of(function, args, time, result))

    def outcome_of(self, function: str, args: dict[str, Any], time: int, result) -> Outcome:
        if result.code is None:
            return _refusal_outcome(self.name, function, args, time, result.status,
                                    result.message, result.payload, result.tx_id)
        payload = json.loads(result.payload) if result.payload else {}
        code = None if result.ok else result.code.name
        return Outcome(self.name, function, args, time, code,
                       "" if result.ok else f"invalidated: {result.code.name}", payload,
                       result.tx_id, result.block)

    def _query(self, function: str, args: dict[str, Any]) -> Any:
        response = self.client.query(self.chaincode, function, [canonical_json(args)],
                                     timestamp=self.clock.now())
        if not response.ok:
            raise RuntimeError(f"query {function} failed: {response.message}")
        return json.loads(response.payload)


class MemoryGateway(_GatewayBase):
    """An actor on an in-memory ledger; its key pair is made here."""

    def __init__(self, ledger: MemoryLedger, name: str, organisation: str, clock: MarketClock,
                 certificate_role: str = "client", journal: Journal | None = None):
        self.ledger = ledger
        self.signing_key = SigningKey.generate()
        self.name = name
        self.organisation = organisation
        self.public_key = self.signing_key.public_key_bytes
        self.creator = Creator(organisation, name, certificate_role, self.public_key)
        self.clock = clock
        self.journal = journal

    def sign(self, data: bytes) -> bytes:
        return self.signing_key.sign(data)

    def submit(self, function: str, args: dict[str, Any] | list[bytes]) -> Outcome:
        time = self.clock.now()
        response = self.ledger.invoke(self.creator, function, args, time)
        shown = args if isinstance(args, dict) else {"raw": [repr(item) for item in args]}
        if not response.ok:
            return self._record(_refusal_outcome(self.name, function, shown, time,
                                                 response.status, response.message,
                                                 response.payload))
        return self._record(Outcome(self.name, function, shown, time, None, "",
                                    json.loads(response.payload)))

    def _query(self, function: str, args: dict[str, Any]) -> Any:
        return self.ledger.query(self.creator, function, args, self.clock.now())
