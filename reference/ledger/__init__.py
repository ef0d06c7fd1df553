"""A Hyperledger-Fabric-style execute-order-validate ledger (reference implementation).

Public entry points:

* ``Network`` — the embedded network (``network.py``); ``Client`` / ``TxResult`` — the
  client any network serves (``client.py``);
* ``chaincode_api`` — the contract chaincode is written against;
* ``TxValidationCode`` — Fabric's validation codes;
* ``OrderingService`` / ``InProcessOrderingService`` / ``BlockCutter`` / ``FakeClock``;
* ``Peer`` and ``verify_ledger`` — a peer's ledger and its offline verification.

This package imports nothing of the project outside ``reference/``.
"""

from reference.ledger.chaincode_api import (
    ERROR_THRESHOLD,
    OK,
    Chaincode,
    ChaincodeStub,
    Creator,
    Response,
    error,
    success,
    verify_signature,
)
from reference.ledger.codes import BroadcastStatus, TxValidationCode
from reference.ledger.config import BatchConfig, ChaincodeDefinition, ChannelConfig
from reference.ledger.events import BlockEvent, ChaincodeEvent, TransactionStatus
from reference.ledger.identity import CertificateAuthority, Identity
from reference.ledger.client import (
    Client,
    EndorsedTransaction,
    Invocation,
    PendingTransaction,
    TxResult,
)
from reference.ledger.network import Network
from reference.ledger.ordering import (
    BlockCutter,
    BroadcastResponse,
    Clock,
    FakeClock,
    InProcessOrderingService,
    OrderingService,
    SystemClock,
)
from reference.ledger.peer import BlockRejected, Peer
from reference.ledger.policy import And, Or, OutOf, SignedBy, majority, parse_policy
from reference.ledger.verify import LedgerReport, TrustAnchors, verify_ledger

__all__ = [
    "ERROR_THRESHOLD", "OK", "And", "BatchConfig", "BlockCutter", "BlockEvent",
    "BlockRejected", "BroadcastResponse", "BroadcastStatus", "CertificateAuthority",
    "Chaincode", "ChaincodeDefinition", "ChaincodeEvent", "ChaincodeStub", "ChannelConfig",
    "Client", "Clock", "Creator", "EndorsedTransaction", "FakeClock", "Identity",
    "InProcessOrderingService", "Invocation", "LedgerReport", "Network", "Or",
    "OrderingService", "OutOf", "PendingTransaction", "Peer", "Response", "SignedBy",
    "SystemClock", "TransactionStatus", "TxResult", "TxValidationCode", "error", "majority",
    "parse_policy", "success", "TrustAnchors", "verify_ledger", "verify_signature",
]
