"""Ledger messages, shaped after Fabric's protobufs (proposal, response, envelope).

Byte layout (every ``*_bytes`` field is itself a wire-encoded message, carried as bytes so
that signatures and hashes cover exactly the bytes received)::

    Header                   [type, version, timestamp, channel_id, tx_id, epoch,
                              creator, nonce]          (Fabric's channel + signature header)
    ChaincodeProposalPayload [chaincode, function, [args...]]
    Proposal                 [header_bytes, chaincode_proposal_payload_bytes]
    SignedProposal           [proposal_bytes, signature]            signed by the creator
    ChaincodeAction          [rwset, event|None, response, [chaincode, version]]
    ProposalResponsePayload  [proposal_hash, chaincode_action]
    Endorsement              [endorser, signature over prp_bytes + endorser]
    ProposalResponse         [response, prp_bytes, endorsement|None]
    Transaction              [chaincode_proposal_payload_bytes, prp_bytes, [endorsement...]]
    ConfigTransaction        [config_bytes, [[admin, signature over config_bytes]...]]
    Payload                  [header_bytes, data_bytes]
    Envelope                 [payload_bytes, signature]              signed by the creator

``tx_id = hex(sha256(nonce + creator))`` and ``proposal_hash = sha256([header_bytes,
chaincode_proposal_payload_bytes])``, as in Fabric (which hashes the channel header,
signature header and proposal payload).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from reference.ledger import crypto, wire
from reference.ledger.identity import Identity
from reference.ledger.rwset import TxReadWriteSet

NONCE_SIZE = 24


class HeaderType(IntEnum):
    """Fabric's ``common.HeaderType`` values used here."""

    MESSAGE = 0
    CONFIG = 1
    CONFIG_UPDATE = 2
    ENDORSER_TRANSACTION = 3


def compute_tx_id(nonce: bytes, creator: bytes) -> str:
    return crypto.sha256(nonce + creator).hex()


@dataclass(frozen=True)
class Header:
    """Fabric's channel header and signature header, as one message.

    ``raw`` is the header exactly as received (what proposal hashes cover).
    """

    type: int
    version: int
    timestamp: int
    channel_id: str
    tx_id: str
    epoch: int
    creator: bytes
    nonce: bytes
    raw: bytes = b""

    @classmethod
    def build(cls, header_type: int, timestamp: int, channel_id: str, tx_id: str,
              creator: bytes, nonce: bytes, version: int = 0, epoch: int = 0) -> Header:
        raw = wire.dumps([header_type, version, timestamp, channel_id, tx_id, epoch, creator,
                          nonce])
        return cls(header_type, version, timestamp, channel_id, tx_id, epoch, creator, nonce,
                   raw)

    def encode(self) -> bytes:
        return self.raw

    def replaced(self, **changes: object) -> Header:
        """A re-encoded copy with some fields changed."""
        fields = {name: getattr(self, name) for name in
                  ("type", "timestamp", "channel_id", "tx_id", "creator", "nonce", "version",
                   "epoch")}
        fields.update(changes)
        return Header.build(fields["type"], fields["timestamp"], fields["channel_id"],
                            fields["tx_id"], fields["creator"], fields["nonce"],
                            fields["version"], fields["epoch"])

    @classmethod
    def decode(cls, data: bytes) -> Header:
        (kind, version, timestamp, channel_id, tx_id, epoch, creator,
         nonce) = wire.fields(wire.loads(data, "header"), 8, "header")
        return cls(wire.as_int(kind, "header.type"),
                   wire.as_int(version, "header.version"),
                   wire.as_int(timestamp, "header.timestamp"),
                   wire.as_str(channel_id, "header.channel_id"),
                   wire.as_str(tx_id, "header.tx_id"),
                   wire.as_int(epoch, "header.epoch"),
                   wire.as_bytes(creator, "header.creator"),
                   wire.as_bytes(nonce, "header.nonce"),
                   data)


@dataclass(frozen=True)
class ChaincodeInvocation:
    """Fabric's ChaincodeProposalPayload: which chaincode, which function, which args."""

    chaincode: str
    function: str
    args: tuple[bytes, ...]

    def encode(self) -> bytes:
        return wire.dumps([self.chaincode, self.function, list(self.args)])

    @classmethod
    def decode(cls, data: bytes) -> ChaincodeInvocation:
        chaincode, function, args = wire.fields(wire.loads(data, "invocation"), 3,
                                                "invocation")
        return cls(wire.as_str(chaincode, "invocation.chaincode"),
                   wire.as_str(function, "invocation.function"),
                   tuple(wire.as_bytes(arg, "invocation.arg")
                         for arg in wire.as_list(args, "invocation.args")))


def proposal_hash(header: Header, invocation_bytes: bytes) -> bytes:
    return crypto.sha256(wire.dumps([header.raw, invocation_bytes]))


@dataclass(frozen=True)
class Proposal:
    header: Header
    invocation_bytes: bytes
    invocation: ChaincodeInvocation

    @property
    def tx_id(self) -> str:
        return self.header.tx_id

    def encode(self) -> bytes:
        return wire.dumps([self.header.encode(), self.invocation_bytes])

    @classmethod
    def decode(cls, data: bytes) -> Proposal:
        header_bytes, invocation_bytes = wire.fields(wire.loads(data, "proposal"), 2,
                                                     "proposal")
        invocation_bytes = wire.as_bytes(invocation_bytes, "proposal.payload")
        return cls(Header.decode(wire.as_bytes(header_bytes, "proposal.header")),
                   invocation_bytes, ChaincodeInvocation.decode(invocation_bytes))

    def hash(self) -> bytes:
        return proposal_hash(self.header, self.invocation_bytes)


def new_header(creator: Identity, header_type: HeaderType, channel_id: str,
               timestamp: int, nonce: bytes | None = None) -> Header:
    nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
    tx_id = compute_tx_id(nonce, creator.serialized)
    return Header.build(int(header_type), timestamp, channel_id, tx_id, creator.serialized,
                        nonce)


def build_proposal(creator: Identity, channel_id: str, chaincode: str, function: str,
                   args: tuple[bytes, ...], timestamp: int,
                   nonce: bytes | None = None) -> Proposal:
    """An unsigned proposal (``encode()`` gives the bytes the creator signs)."""
    invocation = ChaincodeInvocation(chaincode, function, args)
    invocation_bytes = invocation.encode()
    header = new_header(creator, HeaderType.ENDORSER_TRANSACTION, channel_id, timestamp, nonce)
    return Proposal(header, invocation_bytes, invocation)


def encode_signed_proposal(proposal_bytes: bytes, signature: bytes) -> bytes:
    return wire.dumps([proposal_bytes, signature])


def create_signed_proposal(creator: Identity, channel_id: str, chaincode: str, function: str,
                           args: tuple[bytes, ...], timestamp: int,
                           nonce: bytes | None = None) -> tuple[Proposal, bytes]:
    """A proposal and its signed wire form (``SignedProposal`` bytes)."""
    proposal = build_proposal(creator, channel_id, chaincode, function, args, timestamp, nonce)
    proposal_bytes = proposal.encode()
    return proposal, encode_signed_proposal(proposal_bytes, creator.sign(proposal_bytes))


def decode_signed_proposal(data: bytes) -> tuple[bytes, bytes]:
    proposal_bytes, signature = wire.fields(wire.loads(data, "signed_proposal"), 2,
                                            "signed_proposal")
    return (wire.as_bytes(proposal_bytes, "signed_proposal.proposal"),
            wire.as_bytes(signature, "signed_proposal.signature"))


@dataclass(frozen=True)
class ChaincodeResponse:
    """The chaincode's answer as carried in messages (mirrors chaincode_api.Response)."""

    status: int
    message: str
    payload: bytes

    def to_wire(self) -> list[Any]:
        return [self.status, self.message, self.payload]

    @classmethod
    def from_wire(cls, value: Any) -> ChaincodeResponse:
        status, message, payload = wire.fields(value, 3, "response")
        return cls(wire.as_int(status, "response.status"),
                   wire.as_str(message, "response.message"),
                   wire.as_bytes(payload, "response.payload"))


@dataclass(frozen=True)
class ChaincodeEventRecord:
    """The event a chaincode set with ``set_event`` (one per transaction, as in Fabric)."""

    name: str
    payload: bytes


@dataclass(frozen=True)
class TimeBounds:
    """The block times a transaction is valid in, as its chaincode declared them
    (``ChaincodeStub.require_block_time``): ``after < block time <= until``; None means
    unbounded on that side. Endorsers sign them; validation checks them against the
    block's signed time."""

    after: int | None = None
    until: int | None = None

    def admits(self, block_time: int) -> bool:
        return ((self.after is None or block_time > self.after)
                and (self.until is None or block_time <= self.until))

    def to_wire(self) -> list[Any]:
        return [self.after, self.until]

    @classmethod
    def from_wire(cls, value: Any) -> TimeBounds:
        after, until = wire.fields(value, 2, "chaincode_action.time_bounds")
        return cls(None if after is None else wire.as_int(after, "time_bounds.after"),
                   None if until is None else wire.as_int(until, "time_bounds.until"))


@dataclass(frozen=True)
class ChaincodeAction:
    """What the endorsers signed besides the proposal hash: results, event, response."""

    rwset: TxReadWriteSet
    event: ChaincodeEventRecord | None
    response: ChaincodeResponse
    chaincode: str
    version: str
    time_bounds: TimeBounds = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.time_bounds is None:
            object.__setattr__(self, "time_bounds", TimeBounds())

    def to_wire(self) -> list[Any]:
        event = None if self.event is None else [self.event.name, self.event.payload]
        return [self.rwset.to_wire(), event, self.response.to_wire(),
                [self.chaincode, self.version], self.time_bounds.to_wire()]


@dataclass(frozen=True)
class ProposalResponsePayload:
    """The bytes every endorser signs: the proposal hash and the chaincode action.

    Decoding is in two steps so validation can tell a malformed payload
    (INVALID_ENDORSER_TRANSACTION) from a malformed action (BAD_RESPONSE_PAYLOAD) and a
    malformed read-write set (BAD_RWSET).
    """

    proposal_hash: bytes
    action_wire: list[Any]

    @staticmethod
    def encode(proposal_hash_value: bytes, action: ChaincodeAction) -> bytes:
        return wire.dumps([proposal_hash_value, action.to_wire()])

    @classmethod
    def decode(cls, data: bytes) -> ProposalResponsePayload:
        hash_value, action = wire.fields(wire.loads(data, "proposal_response_payload"), 2,
                                         "proposal_response_payload")
        return cls(wire.as_bytes(hash_value, "prp.proposal_hash"),
                   wire.as_list(action, "prp.action"))

    def action_fields(self) -> tuple[Any, ChaincodeEventRecord | None, ChaincodeResponse, str,
                                     str, TimeBounds]:
        """(rwset wire value, event, response, chaincode, version, time bounds);
        DecodeError if bad."""
        rwset, event, response, chaincode_id, bounds = wire.fields(self.action_wire, 5,
                                                                   "chaincode_action")
        decoded_event = None
        if event is not None:
            name, payload = wire.fields(event, 2, "chaincode_action.event")
            decoded_event = ChaincodeEventRecord(wire.as_str(name, "event.name"),
                                                 wire.as_bytes(payload, "event.payload"))
        chaincode, version = wire.fields(chaincode_id, 2, "chaincode_action.chaincode_id")
        return (rwset, decoded_event, ChaincodeResponse.from_wire(response),
                wire.as_str(chaincode, "chaincode_id.name"),
                wire.as_str(version, "chaincode_id.version"),
                TimeBounds.from_wire(bounds))

    def action(self) -> ChaincodeAction:
        """The fully decoded action; DecodeError if any part is malformed."""
        rwset, event, response, chaincode, version, bounds = self.action_fields()
        return ChaincodeAction(TxReadWriteSet.from_wire(rwset), event, response, chaincode,
                               version, bounds)


@dataclass(frozen=True)
class Endorsement:
    endorser: bytes
    signature: bytes

    def to_wire(self) -> list[bytes]:
        return [self.endorser, self.signature]

    @classmethod
    def from_wire(cls, value: Any) -> Endorsement:
        endorser, signature = wire.fields(value, 2, "endorsement")
        return cls(wire.as_bytes(endorser, "endorsement.endorser"),
                   wire.as_bytes(signature, "endorsement.signature"))


def endorsement_signed_bytes(prp_bytes: bytes, endorser: bytes) -> bytes:
    return prp_bytes + endorser


@dataclass(frozen=True)
class ProposalResponse:
    """An endorser's answer. ``endorsement`` is None when the chaincode returned an error."""

    response: ChaincodeResponse
    payload: bytes
    endorsement: Endorsement | None

    def encode(self) -> bytes:
        endorsement = None if self.endorsement is None else self.endorsement.to_wire()
        return wire.dumps([self.response.to_wire(), self.payload, endorsement])

    @classmethod
    def decode(cls, data: bytes) -> ProposalResponse:
        response, payload, endorsement = wire.fields(wire.loads(data, "proposal_response"), 3,
                                                     "proposal_response")
        return cls(ChaincodeResponse.from_wire(response),
                   wire.as_bytes(payload, "proposal_response.payload"),
                   None if endorsement is None else Endorsement.from_wire(endorsement))


@dataclass(frozen=True)
class EndorserTransaction:
    invocation_bytes: bytes
    prp_bytes: bytes
    endorsements: tuple[Endorsement, ...]

    def encode(self) -> bytes:
        return wire.dumps([self.invocation_bytes, self.prp_bytes,
                           [endorsement.to_wire() for endorsement in self.endorsements]])

    @classmethod
    def decode(cls, data: bytes) -> EndorserTransaction:
        invocation_bytes, prp_bytes, endorsements = wire.fields(
            wire.loads(data, "transaction"), 3, "transaction")
        return cls(wire.as_bytes(invocation_bytes, "transaction.proposal_payload"),
                   wire.as_bytes(prp_bytes, "transaction.proposal_response_payload"),
                   tuple(Endorsement.from_wire(endorsement)
                         for endorsement in wire.as_list(endorsements,
                                                         "transaction.endorsements")))


@dataclass(frozen=True)
class ConfigTransaction:
    config_bytes: bytes
    signatures: tuple[Endorsement, ...]

    def encode(self) -> bytes:
        return wire.dumps([self.config_bytes,
                           [signature.to_wire() for signature in self.signatures]])

    @classmethod
    def decode(cls, data: bytes) -> ConfigTransaction:
        config_bytes, signatures = wire.fields(wire.loads(data, "config_transaction"), 2,
                                               "config_transaction")
        return cls(wire.as_bytes(config_bytes, "config_transaction.config"),
                   tuple(Endorsement.from_wire(signature)
                         for signature in wire.as_list(signatures,
                                                       "config_transaction.signatures")))


def encode_payload(header: Header, data: bytes) -> bytes:
    return wire.dumps([header.encode(), data])


def decode_payload(data: bytes) -> tuple[bytes, bytes]:
    header_bytes, body = wire.fields(wire.loads(data, "payload"), 2, "payload")
    return wire.as_bytes(header_bytes, "payload.header"), wire.as_bytes(body, "payload.data")


def encode_envelope(payload: bytes, signature: bytes) -> bytes:
    return wire.dumps([payload, signature])


def decode_envelope(data: bytes) -> tuple[bytes, bytes]:
    payload, signature = wire.fields(wire.loads(data, "envelope"), 2, "envelope")
    return wire.as_bytes(payload, "envelope.payload"), wire.as_bytes(signature,
                                                                     "envelope.signature")


def endorser_transaction_payload(proposal: Proposal, prp_bytes: bytes,
                                 endorsements: tuple[Endorsement, ...]) -> bytes:
    """The payload of a transaction envelope (what the creator signs)."""
    transaction = EndorserTransaction(proposal.invocation_bytes, prp_bytes, endorsements)
    return encode_payload(proposal.header, transaction.encode())


def create_endorser_envelope(creator: Identity, proposal: Proposal, prp_bytes: bytes,
                             endorsements: tuple[Endorsement, ...]) -> bytes:
    """The transaction envelope a client broadcasts after collecting endorsements."""
    payload = endorser_transaction_payload(proposal, prp_bytes, endorsements)
    return encode_envelope(payload, creator.sign(payload))


def create_config_envelope(creator: Identity, channel_id: str, config_bytes: bytes,
                           signers: list[Identity], timestamp: int) -> bytes:
    """A config transaction carrying a full new config, signed by ``signers`` (admins)."""
    header = new_header(creator, HeaderType.CONFIG, channel_id, timestamp)
    transaction = ConfigTransaction(
        config_bytes,
        tuple(Endorsement(signer.serialized, signer.sign(config_bytes)) for signer in signers),
    )
    payload = encode_payload(header, transaction.encode())
    return encode_envelope(payload, creator.sign(payload))
