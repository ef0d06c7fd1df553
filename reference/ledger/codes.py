"""Numeric result codes, with Hyperledger Fabric's own numbering.

``TxValidationCode`` is the per-transaction flag a committing peer writes into the block
metadata (Fabric's ``peer.TxValidationCode``); ``BroadcastStatus`` is the status the ordering
service answers a ``broadcast`` with (the subset of Fabric's ``common.Status`` an orderer uses).
"""

from __future__ import annotations

from enum import IntEnum


class TxValidationCode(IntEnum):
    """Validation outcome of one transaction, stored in the block's transactions filter."""

    VALID = 0
    NIL_ENVELOPE = 1
    BAD_PAYLOAD = 2
    BAD_COMMON_HEADER = 3
    BAD_CREATOR_SIGNATURE = 4
    INVALID_ENDORSER_TRANSACTION = 5
    INVALID_CONFIG_TRANSACTION = 6
    UNSUPPORTED_TX_PAYLOAD = 7
    BAD_PROPOSAL_TXID = 8
    DUPLICATE_TXID = 9
    ENDORSEMENT_POLICY_FAILURE = 10
    MVCC_READ_CONFLICT = 11
    PHANTOM_READ_CONFLICT = 12
    UNKNOWN_TX_TYPE = 13
    TARGET_CHAIN_NOT_FOUND = 14
    MARSHAL_TX_ERROR = 15
    NIL_TXACTION = 16
    EXPIRED_CHAINCODE = 17
    CHAINCODE_VERSION_CONFLICT = 18
    BAD_HEADER_EXTENSION = 19
    BAD_CHANNEL_HEADER = 20
    BAD_RESPONSE_PAYLOAD = 21
    BAD_RWSET = 22
    ILLEGAL_WRITESET = 23
    INVALID_WRITESET = 24
    INVALID_CHAINCODE = 25
    # codes of this ledger's trusted time (Fabric has no block time; outside its numbering)
    BAD_TIMESTAMP = 200
    """The signed timestamp differs from the block time by more than the channel's skew."""
    TIME_BOUND_VIOLATED = 201
    """The block time lies outside the time bounds the chaincode endorsed (e.g. a move
    endorsed before its deadline but ordered after it)."""
    NOT_VALIDATED = 254
    INVALID_OTHER_REASON = 255


class BroadcastStatus(IntEnum):
    """Answer of the ordering service to ``broadcast`` (Fabric's ``common.Status`` values)."""

    SUCCESS = 200
    BAD_REQUEST = 400
    FORBIDDEN = 403
    NOT_FOUND = 404
    REQUEST_ENTITY_TOO_LARGE = 413
    INTERNAL_SERVER_ERROR = 500
    SERVICE_UNAVAILABLE = 503
