"""Events a peer emits when it commits a block (Fabric's block and chaincode events).

A ``BlockEvent`` is built from a committed block (validation codes included), so the live
stream and a replay from any start block give identical events. Chaincode events are
reported for every transaction that set one, with its validation code; consumers that act
on events normally keep only ``VALID`` ones (``BlockEvent.valid_chaincode_events``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from reference.ledger import wire
from reference.ledger.block import Block
from reference.ledger.codes import TxValidationCode
from reference.ledger.messages import (
    ChaincodeEventRecord,
    EndorserTransaction,
    Header,
    HeaderType,
    decode_envelope,
    decode_payload,
    ProposalResponsePayload,
)


@dataclass(frozen=True)
class TransactionStatus:
    tx_number: int
    tx_id: str | None
    code: TxValidationCode


@dataclass(frozen=True)
class ChaincodeEvent:
    block_number: int
    tx_number: int
    tx_id: str
    chaincode: str
    name: str
    payload: bytes
    code: TxValidationCode


@dataclass(frozen=True)
class EnvelopeSummary:
    tx_id: str | None
    chaincode: str | None
    event: ChaincodeEventRecord | None


def summarize_envelope(envelope: bytes) -> EnvelopeSummary:
    """Best-effort tx id, chaincode and event of an envelope, without validating it."""
    try:
        payload, _ = decode_envelope(envelope)
        header_bytes, data = decode_payload(payload)
        header = Header.decode(header_bytes)
    except wire.DecodeError:
        return EnvelopeSummary(None, None, None)
    tx_id = header.tx_id or None
    if header.type != HeaderType.ENDORSER_TRANSACTION:
        return EnvelopeSummary(tx_id, None, None)
    try:
        transaction = EndorserTransaction.decode(data)
        _, event, _, chaincode, _, _ = ProposalResponsePayload.decode(
            transaction.prp_bytes).action_fields()
    except wire.DecodeError:
        return EnvelopeSummary(tx_id, None, None)
    return EnvelopeSummary(tx_id, chaincode, event)


class BlockEvent:
    """A committed block as seen by event listeners."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.block_number = block.number
        self.header_hash = block.header.hash()
        self.codes = block.validation_codes()

    @cached_property
    def _summaries(self) -> list[EnvelopeSummary]:
        return [summarize_envelope(envelope) for envelope in self.block.data]

    @cached_property
    def transactions(self) -> tuple[TransactionStatus, ...]:
        return tuple(TransactionStatus(index, summary.tx_id, self.codes[index])
                     for index, summary in enumerate(self._summaries))

    @cached_property
    def chaincode_events(self) -> tuple[ChaincodeEvent, ...]:
        return tuple(
            ChaincodeEvent(self.block_number, index, summary.tx_id or "", summary.chaincode or "",
                           summary.event.name, summary.event.payload, self.codes[index])
            for index, summary in enumerate(self._summaries)
            if summary.event is not None
        )

    @property
    def valid_chaincode_events(self) -> tuple[ChaincodeEvent, ...]:
        return tuple(event for event in self.chaincode_events
                     if event.code == TxValidationCode.VALID)

    def __repr__(self) -> str:
        return f"BlockEvent(block={self.block_number}, transactions={len(self.codes)})"
