"""Test support shipped with the ledger: a toy key-value chaincode and message tampering.

``KeyValueChaincode`` is the chaincode the ledger's tests and benchmark use. The tampering
helpers build the bad transactions a faulty client or orderer could produce (changed
writes, changed arguments, forged transaction ids, re-signed envelopes), so that tests of
any implementation can check the validation code each one gets.
"""

from __future__ import annotations

import json
from dataclasses import replace

from reference.ledger import wire
from reference.ledger.chaincode_api import ChaincodeStub, Response, error, success
from reference.ledger.identity import Identity
from reference.ledger.messages import (
    ChaincodeInvocation,
    EndorserTransaction,
    Header,
    ProposalResponsePayload,
    decode_envelope,
    decode_payload,
    encode_envelope,
    encode_payload,
)
from reference.ledger.rwset import KVWrite


class KeyValueChaincode:
    """A toy chaincode over string keys; arguments are UTF-8 unless noted.

    put k v | get k | del k | incr k (read, +1, write) | copy src dst (read src, write dst)
    | count_range start end out (range read, write the count to out) | read_after_write k v
    (put then get: returns what get saw) | event name payload | fail status message
    | crash | whoami | clock | txid
    """

    def invoke(self, stub: ChaincodeStub, function: str, args: list[bytes]) -> Response:
        text = [arg.decode("utf-8", errors="replace") for arg in args]
        if function == "put":
            stub.put_state(text[0], args[1])
            return success(b"stored")
        if function == "get":
            value = stub.get_state(text[0])
            return success(value) if value is not None else error(f"{text[0]} not found", 404)
        if function == "del":
            stub.del_state(text[0])
            return success()
        if function == "incr":
            current = stub.get_state(text[0])
            updated = str(int(current or b"0") + 1).encode()
            stub.put_state(text[0], updated)
            return success(updated)
        if function == "copy":
            value = stub.get_state(text[0])
            stub.put_state(text[1], value if value is not None else b"")
            return success()
        if function == "count_range":
            found = stub.get_state_by_range(text[0], text[1])
            stub.put_state(text[2], str(len(found)).encode())
            return success(json.dumps([key for key, _ in found]).encode())
        if function == "read_after_write":
            stub.put_state(text[0], args[1])
            seen = stub.get_state(text[0])
            return success(b"<none>" if seen is None else seen)
        if function == "event":
            stub.set_event(text[0], args[1])
            return success()
        if function == "fail":
            return error(text[1], int(text[0]))
        if function == "crash":
            raise RuntimeError("chaincode crashed on purpose")
        if function == "whoami":
            creator = stub.get_creator()
            return success(json.dumps([creator.org, creator.name, creator.role,
                                       creator.public_key.hex()]).encode())
        if function == "clock":
            return success(str(stub.get_tx_timestamp()).encode())
        if function == "put_until":  # [key, value, deadline]: a write valid up to deadline
            deadline = int(args[2].decode())
            if stub.get_tx_timestamp() > deadline:
                return error("too late", 400)
            stub.require_block_time(until=deadline)
            stub.put_state(args[0].decode(), args[1])
            return success()
        if function == "put_after":  # [key, value, time]: a write valid only after time
            moment = int(args[2].decode())
            if stub.get_tx_timestamp() <= moment:
                return error("too early", 400)
            stub.require_block_time(after=moment)
            stub.put_state(args[0].decode(), args[1])
            return success()
        if function == "txid":
            return success(stub.get_tx_id().encode())
        return error(f"unknown function {function!r}", 400)


class PeerDependentChaincode:
    """A deliberately non-deterministic chaincode: writes an instance-specific value."""

    _instances = 0

    def __init__(self) -> None:
        PeerDependentChaincode._instances += 1
        self.instance = PeerDependentChaincode._instances

    def invoke(self, stub: ChaincodeStub, function: str, args: list[bytes]) -> Response:
        stub.put_state("who", str(self.instance).encode())
        return success()


# -- tampering ------------------------------------------------------------------------------


def _open(envelope: bytes) -> tuple[Header, EndorserTransaction]:
    payload, _ = decode_envelope(envelope)
    header_bytes, data = decode_payload(payload)
    return Header.decode(header_bytes), EndorserTransaction.decode(data)


def _seal(header: Header, transaction: EndorserTransaction, signer: Identity) -> bytes:
    payload = encode_payload(header, transaction.encode())
    return encode_envelope(payload, signer.sign(payload))


def resign(envelope: bytes, signer: Identity) -> bytes:
    """The same payload, signed by ``signer`` (wrong unless it is the creator)."""
    payload, _ = decode_envelope(envelope)
    return encode_envelope(payload, signer.sign(payload))


def with_signature(envelope: bytes, signature: bytes) -> bytes:
    payload, _ = decode_envelope(envelope)
    return encode_envelope(payload, signature)


def with_payload(envelope: bytes, payload: bytes) -> bytes:
    _, signature = decode_envelope(envelope)
    return encode_envelope(payload, signature)


def tamper_write_value(envelope: bytes, creator: Identity, new_value: bytes) -> bytes:
    """Change every written value after endorsement, then re-sign as the creator."""
    header, transaction = _open(envelope)
    response_payload = ProposalResponsePayload.decode(transaction.prp_bytes)
    action = response_payload.action()
    forged = replace(action.rwset, writes=tuple(KVWrite(write.key, new_value, write.is_delete)
                                                for write in action.rwset.writes))
    forged_prp = ProposalResponsePayload.encode(response_payload.proposal_hash,
                                                replace(action, rwset=forged))
    return _seal(header, replace(transaction, prp_bytes=forged_prp), creator)


def tamper_args(envelope: bytes, creator: Identity, new_args: tuple[bytes, ...]) -> bytes:
    """Change the invocation arguments after endorsement, then re-sign as the creator."""
    header, transaction = _open(envelope)
    invocation = ChaincodeInvocation.decode(transaction.invocation_bytes)
    forged = replace(invocation, args=new_args).encode()
    return _seal(header, replace(transaction, invocation_bytes=forged), creator)


def drop_endorsements(envelope: bytes, creator: Identity, keep: int) -> bytes:
    """Keep only the first ``keep`` endorsements, then re-sign as the creator."""
    header, transaction = _open(envelope)
    return _seal(header, replace(transaction, endorsements=transaction.endorsements[:keep]),
                 creator)


def with_channel_header(envelope: bytes, creator: Identity, *, tx_id: str | None = None,
                        channel_id: str | None = None, header_type: int | None = None) -> bytes:
    """Rewrite channel-header fields, then re-sign as the creator."""
    header, transaction = _open(envelope)
    changes: dict[str, object] = {}
    if tx_id is not None:
        changes["tx_id"] = tx_id
    if channel_id is not None:
        changes["channel_id"] = channel_id
    if header_type is not None:
        changes["type"] = header_type
    return _seal(header.replaced(**changes), transaction, creator)


def garbage_payload_envelope(creator: Identity) -> bytes:
    """A well-formed, correctly signed envelope whose payload is not a payload."""
    payload = wire.dumps(["not", "a", "payload"])
    return encode_envelope(payload, creator.sign(payload))
