"""Block validation on a committing peer: Fabric's two phases.

Phase 1 (``check_transaction``), independent per transaction and run in parallel: envelope
and header structure, the creator's signature, the transaction id, the endorsed proposal
(proposal hash), the chaincode definition, the read-write set, and every endorsement
signature against the chaincode's endorsement policy. It reads no world state.

Phase 2 (``validate_block``), serial in block order: duplicate transaction ids (against the
ledger and earlier in the block), then MVCC: a read whose committed version changed, or a
key already written by an earlier VALID transaction of the same block, is an
``MVCC_READ_CONFLICT``; a range read that would now return other keys or versions is a
``PHANTOM_READ_CONFLICT``. Valid transactions' writes become the block's state updates.

The checks and their codes follow Fabric's ``ValidateTransaction`` / validator / VSCC /
MVCC order, so the code of a transaction is the first failing check in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from reference.ledger import crypto, wire
from reference.ledger.block import Block
from reference.ledger.codes import TxValidationCode as Code
from reference.ledger.config import ChannelConfig, ChannelState
from reference.ledger.identity import ValidatedIdentity
from reference.ledger.messages import (
    ChaincodeEventRecord,
    ChaincodeInvocation,
    ConfigTransaction,
    EndorserTransaction,
    Header,
    HeaderType,
    ProposalResponsePayload,
    TimeBounds,
    compute_tx_id,
    decode_envelope,
    decode_payload,
    endorsement_signed_bytes,
    proposal_hash,
)
from reference.ledger.parallel import map_in_chunks
from reference.ledger.policy import Policy
from reference.ledger.rwset import TxReadWriteSet, Version
from reference.ledger.store import BlockUpdates, PeerStore

_KNOWN_HEADER_TYPES = {HeaderType.CONFIG, HeaderType.CONFIG_UPDATE,
                       HeaderType.ENDORSER_TRANSACTION}


@dataclass
class CheckedTransaction:
    """Result of phase 1 for one transaction."""

    code: Code
    reason: str = ""
    tx_id: str | None = None
    tx_id_verified: bool = False
    header_type: int | None = None
    chaincode: str | None = None
    rwset: TxReadWriteSet | None = None
    event: ChaincodeEventRecord | None = None
    new_config: ChannelConfig | None = None
    creator: bytes | None = None
    timestamp: int | None = None
    time_bounds: TimeBounds | None = None


@dataclass
class SignatureSet:
    """Signatures by (possibly repeated) identities over data, checked against a policy.

    As in Fabric, a repeated identity counts once: only its first valid signature is used.
    Only the first signature of each identity goes into the batch; later ones are checked
    (rarely) only when the first was invalid.
    """

    policy: Policy
    failure_code: Code
    by_identity: dict[bytes, tuple[ValidatedIdentity, list[tuple[bytes, bytes]]]] = field(
        default_factory=dict)

    def add(self, identity: ValidatedIdentity | None, signature: bytes, data: bytes) -> None:
        if identity is None:  # not a member of the channel: cannot count
            return
        entry = self.by_identity.setdefault(identity.serialized, (identity, []))
        entry[1].append((signature, data))


@dataclass
class PreparedTransaction:
    """Phase 1 of one transaction with every check done except signature verification.

    ``result`` holds what is known; its code is final when ``final`` is set (a failure
    before the creator-signature check), otherwise it is the first failure after it (or
    VALID), which applies only if the creator's signature verifies.
    """

    result: CheckedTransaction
    final: bool
    creator: ValidatedIdentity | None = None
    creator_signature: bytes = b""
    signed_payload: bytes = b""
    tx_id_ok: bool = False
    signatures: SignatureSet | None = None


def _final(code: Code, reason: str, header_type: int | None = None) -> PreparedTransaction:
    return PreparedTransaction(CheckedTransaction(code, reason, header_type=header_type), True)


def prepare_transaction(envelope: bytes, channel: ChannelState) -> PreparedTransaction:
    """Phase 1 for one envelope, signatures aside; never raises on bad input."""
    if not envelope:
        return _final(Code.NIL_ENVELOPE, "empty envelope")
    try:
        payload_bytes, signature = decode_envelope(envelope)
    except wire.DecodeError as exc:
        return _final(Code.INVALID_OTHER_REASON, str(exc))
    try:
        header_bytes, data = decode_payload(payload_bytes)
    except wire.DecodeError as exc:
        return _final(Code.BAD_PAYLOAD, str(exc))
    try:
        header = Header.decode(header_bytes)
    except wire.DecodeError as exc:
        return _final(Code.BAD_COMMON_HEADER, str(exc))
    if (header.type not in _KNOWN_HEADER_TYPES or header.epoch != 0 or not header.creator
            or not header.nonce):
        return _final(Code.BAD_COMMON_HEADER, "unknown header type, nonzero epoch, or "
                      "missing creator/nonce")
    creator = channel.membership.validate(header.creator)
    if creator is None:
        return _final(Code.BAD_CREATOR_SIGNATURE, "creator is not a channel member",
                      header.type)
    prepared = PreparedTransaction(
        CheckedTransaction(Code.VALID, "", tx_id=header.tx_id, header_type=header.type,
                           creator=header.creator),
        final=False, creator=creator, creator_signature=signature,
        signed_payload=payload_bytes)
    result = prepared.result
    if header.type == HeaderType.CONFIG_UPDATE:
        result.code, result.reason = (Code.UNSUPPORTED_TX_PAYLOAD,
                                      "config updates go to the orderer")
    elif header.tx_id != compute_tx_id(header.nonce, header.creator):
        result.code, result.reason = Code.BAD_PROPOSAL_TXID, "tx id is not hash(nonce + creator)"
    else:
        prepared.tx_id_ok = True
        if header.channel_id != channel.config.channel_id:
            result.code, result.reason = (Code.TARGET_CHAIN_NOT_FOUND,
                                          f"channel {header.channel_id!r} is not this channel")
        elif header.type == HeaderType.CONFIG:
            _prepare_config(data, channel, prepared)
        else:
            _prepare_endorser_transaction(header, data, channel, prepared)
    return prepared


def _prepare_endorser_transaction(header: Header, data: bytes, channel: ChannelState,
                                  prepared: PreparedTransaction) -> None:
    result = prepared.result
    try:
        transaction = EndorserTransaction.decode(data)
        response_payload = ProposalResponsePayload.decode(transaction.prp_bytes)
        invocation = ChaincodeInvocation.decode(transaction.invocation_bytes)
    except wire.DecodeError as exc:
        result.code, result.reason = Code.INVALID_ENDORSER_TRANSACTION, str(exc)
        return
    if proposal_hash(header, transaction.invocation_bytes) != response_payload.proposal_hash:
        result.code, result.reason = (Code.INVALID_ENDORSER_TRANSACTION,
                                      "proposal hash does not match the endorsed proposal")
        return
    result.chaincode = invocation.chaincode
    try:
        rwset_wire, event, _, action_chaincode, action_version, bounds = (
            response_payload.action_fields())
    except wire.DecodeError as exc:
        result.code, result.reason = Code.BAD_RESPONSE_PAYLOAD, str(exc)
        return
    if action_chaincode != invocation.chaincode:
        result.code, result.reason = (Code.INVALID_ENDORSER_TRANSACTION,
                                      "endorsed action names another chaincode")
        return
    definition = channel.chaincode_policies.get(invocation.chaincode)
    if definition is None:
        result.code, result.reason = (Code.INVALID_CHAINCODE,
                                      f"chaincode {invocation.chaincode!r} is not defined")
        return
    version, policy = definition
    if action_version != version:
        result.code, result.reason = (Code.EXPIRED_CHAINCODE,
                                      f"endorsed with version {action_version!r}, defined "
                                      f"version is {version!r}")
        return
    try:
        rwset = TxReadWriteSet.from_wire(rwset_wire)
    except wire.DecodeError as exc:
        result.code, result.reason = Code.BAD_RWSET, str(exc)
        return
    if rwset.namespace != invocation.chaincode:
        result.code, result.reason = (Code.ILLEGAL_WRITESET,
                                      f"read-write set of namespace {rwset.namespace!r}")
        return
    result.rwset, result.event = rwset, event
    result.timestamp, result.time_bounds = header.timestamp, bounds
    signatures = SignatureSet(policy, Code.ENDORSEMENT_POLICY_FAILURE)
    for endorsement in transaction.endorsements:
        signatures.add(channel.membership.validate(endorsement.endorser),
                       endorsement.signature,
                       endorsement_signed_bytes(transaction.prp_bytes, endorsement.endorser))
    prepared.signatures = signatures


def _prepare_config(data: bytes, channel: ChannelState, prepared: PreparedTransaction) -> None:
    result = prepared.result
    failure = Code.INVALID_CONFIG_TRANSACTION
    try:
        transaction = ConfigTransaction.decode(data)
        new_config = ChannelConfig.decode(transaction.config_bytes)
    except wire.DecodeError as exc:
        result.code, result.reason = failure, str(exc)
        return
    current = channel.config
    if new_config.sequence != current.sequence + 1:
        result.code, result.reason = failure, (f"config sequence {new_config.sequence}, "
                                               f"expected {current.sequence + 1}")
        return
    unchanged = (new_config.channel_id, new_config.organisations,
                 new_config.orderer_organisation, new_config.batch,
                 new_config.max_timestamp_skew)
    if unchanged != (current.channel_id, current.organisations, current.orderer_organisation,
                     current.batch, current.max_timestamp_skew):
        result.code, result.reason = failure, "only chaincode definitions may change"
        return
    try:
        ChannelState(new_config)
    except ValueError as exc:
        result.code, result.reason = failure, str(exc)
        return
    result.new_config = new_config
    signatures = SignatureSet(channel.admin_policy, failure)
    for signature in transaction.signatures:
        signatures.add(channel.membership.validate(signature.endorser), signature.signature,
                       transaction.config_bytes)
    prepared.signatures = signatures


SignatureJob = tuple[EllipticCurvePublicKey, bytes, bytes]


def signature_jobs(prepared: PreparedTransaction) -> list[SignatureJob]:
    """The signatures to verify for one prepared transaction (creator first)."""
    if prepared.final or prepared.creator is None:
        return []
    jobs: list[SignatureJob] = [(prepared.creator.public_key, prepared.creator_signature,
                                 prepared.signed_payload)]
    if prepared.result.code == Code.VALID and prepared.signatures is not None:
        for identity, attempts in prepared.signatures.by_identity.values():
            signature, data = attempts[0]
            jobs.append((identity.public_key, signature, data))
    return jobs


def finish_transaction(prepared: PreparedTransaction, verified: list[bool]) -> CheckedTransaction:
    """Phase 1 outcome, given the results of ``signature_jobs(prepared)`` in order."""
    result = prepared.result
    if prepared.final:
        return result
    if not verified[0]:
        return CheckedTransaction(Code.BAD_CREATOR_SIGNATURE, "creator signature invalid",
                                  header_type=result.header_type)
    result.tx_id_verified = prepared.tx_id_ok
    if result.code != Code.VALID or prepared.signatures is None:
        return result
    signature_set = prepared.signatures
    signers: list[ValidatedIdentity] = []
    for (identity, attempts), first_ok in zip(signature_set.by_identity.values(), verified[1:],
                                              strict=True):
        if first_ok or any(crypto.verify(identity.public_key, signature, data)
                           for signature, data in attempts[1:]):
            signers.append(identity)
    if not signature_set.policy.evaluate(signers):
        result.code = signature_set.failure_code
        result.reason = (f"{len(signers)} valid signature(s) do not satisfy "
                         f"{signature_set.policy}")
    return result


def check_transaction(envelope: bytes, channel: ChannelState) -> CheckedTransaction:
    """Phase 1 for one envelope, verifying its signatures inline."""
    prepared = prepare_transaction(envelope, channel)
    return finish_transaction(prepared, verify_signatures(signature_jobs(prepared)))


def verify_signatures(jobs: Sequence[SignatureJob], executor: Executor | None = None,
                      workers: int = 2) -> list[bool]:
    """Verify a batch of signatures, split over ``executor`` when given.

    The workers do nothing but verify (OpenSSL releases the GIL), so the batch runs on
    all cores while the calling thread waits.
    """
    return map_in_chunks(lambda job: crypto.verify(*job), jobs, executor, workers)


def check_transactions(envelopes: Sequence[bytes], channel: ChannelState,
                       executor: Executor | None = None,
                       workers: int = 2) -> list[CheckedTransaction]:
    """Phase 1 over a block: prepare all, verify every signature in one batch, finish all."""
    prepared = [prepare_transaction(envelope, channel) for envelope in envelopes]
    jobs_per_transaction = [signature_jobs(entry) for entry in prepared]
    all_jobs = [job for jobs in jobs_per_transaction for job in jobs]
    verified = verify_signatures(all_jobs, executor, workers)
    results: list[CheckedTransaction] = []
    position = 0
    for entry, jobs in zip(prepared, jobs_per_transaction, strict=True):
        results.append(finish_transaction(entry, verified[position:position + len(jobs)]))
        position += len(jobs)
    return results


@dataclass
class BlockValidationResult:
    codes: bytes
    checked: list[CheckedTransaction]
    updates: BlockUpdates
    commit_hash: bytes
    new_config: ChannelConfig | None = None
    reasons: list[str] = field(default_factory=list)


def validate_block(block: Block, channel: ChannelState, store: PeerStore,
                   previous_commit_hash: bytes, executor: Executor | None = None,
                   workers: int = 2,
                   checked: list[CheckedTransaction] | None = None) -> BlockValidationResult:
    """Both phases over ``block`` against ``store``'s committed state; writes nothing.

    ``checked`` is phase 1 of ``block.data`` under ``channel`` when it was already run
    (on a validator pool); otherwise phase 1 runs here.
    """
    if checked is None:
        checked = check_transactions(block.data, channel, executor, workers)
    elif len(checked) != len(block.data):
        raise ValueError(f"phase 1 results for {len(checked)} transactions, block "
                         f"{block.number} has {len(block.data)}")
    block_number = block.number
    codes = [entry.code for entry in checked]
    reasons = [entry.reason for entry in checked]

    verified_ids = [entry.tx_id for entry in checked if entry.tx_id_verified and entry.tx_id]
    in_ledger = store.existing_tx_ids(verified_ids) if verified_ids else set()
    seen_in_block: set[str] = set()
    for index, entry in enumerate(checked):
        if not entry.tx_id_verified or entry.tx_id is None:
            continue
        if entry.tx_id in in_ledger or entry.tx_id in seen_in_block:
            codes[index] = Code.DUPLICATE_TXID
            reasons[index] = "transaction id already used"
        seen_in_block.add(entry.tx_id)

    block_time = block.metadata.timestamp
    skew = channel.config.max_timestamp_skew
    for index, entry in enumerate(checked):
        if codes[index] != Code.VALID or entry.timestamp is None:
            continue
        if abs(entry.timestamp - block_time) > skew:
            codes[index] = Code.BAD_TIMESTAMP
            reasons[index] = (f"timestamp {entry.timestamp} is more than {skew} s from the "
                              f"block time {block_time}")
        elif entry.time_bounds is not None and not entry.time_bounds.admits(block_time):
            codes[index] = Code.TIME_BOUND_VIOLATED
            reasons[index] = (f"block time {block_time} outside the endorsed bounds "
                              f"({entry.time_bounds.after}, {entry.time_bounds.until}]")

    committed_versions = _committed_versions(checked, codes, store)
    # (namespace, key) -> (value, version, is_delete) written by earlier valid transactions
    block_writes: dict[tuple[str, str], tuple[bytes, Version, bool]] = {}
    updates = BlockUpdates()
    new_config: ChannelConfig | None = None
    hashed_writes: list[list[object]] = []
    for index, entry in enumerate(checked):
        if codes[index] != Code.VALID:
            continue
        if entry.new_config is not None:
            if new_config is not None:
                codes[index] = Code.INVALID_CONFIG_TRANSACTION
                reasons[index] = "a second config transaction in the same block"
                continue
            new_config = entry.new_config
            continue
        rwset = entry.rwset
        assert rwset is not None
        namespace = rwset.namespace
        conflict = _mvcc_conflict(rwset, committed_versions, block_writes, store)
        if conflict is not None:
            codes[index], reasons[index] = conflict
            continue
        version = (block_number, index)
        for write in rwset.writes:
            block_writes[(namespace, write.key)] = (write.value, version, write.is_delete)
            updates.history.append((namespace, write.key, block_number, index,
                                    None if write.is_delete else write.value,
                                    int(write.is_delete)))
            hashed_writes.append([namespace, write.key, write.value, write.is_delete])

    for (namespace, key), (value, (written_block, tx_number), is_delete) in block_writes.items():
        if is_delete:
            updates.state_deletes.append((namespace, key))
        else:
            updates.state_puts.append((namespace, key, value, written_block, tx_number))
    for index, entry in enumerate(checked):
        if entry.tx_id_verified and entry.tx_id:
            updates.transactions.append((entry.tx_id, block_number, index, int(codes[index])))
    if new_config is not None:
        updates.config = new_config.encode()
    code_bytes = bytes(int(code) for code in codes)
    commit_hash = crypto.sha256(wire.dumps([previous_commit_hash, block_number, code_bytes,
                                            hashed_writes]))
    return BlockValidationResult(code_bytes, checked, updates, commit_hash, new_config,
                                 reasons)


def _committed_versions(checked: list[CheckedTransaction], codes: list[Code],
                        store: PeerStore) -> dict[tuple[str, str], Version]:
    """Committed versions of every key read by a still-valid transaction, in one pass."""
    keys_by_namespace: dict[str, set[str]] = {}
    for index, entry in enumerate(checked):
        if codes[index] == Code.VALID and entry.rwset is not None and entry.rwset.reads:
            keys = keys_by_namespace.setdefault(entry.rwset.namespace, set())
            keys.update(read.key for read in entry.rwset.reads)
    versions: dict[tuple[str, str], Version] = {}
    for namespace, keys in keys_by_namespace.items():
        for key, version in store.get_versions(namespace, sorted(keys)).items():
            versions[(namespace, key)] = version
    return versions


def _mvcc_conflict(rwset: TxReadWriteSet, committed_versions: dict[tuple[str, str], Version],
                   block_writes: dict[tuple[str, str], tuple[bytes, Version, bool]],
                   store: PeerStore) -> tuple[Code, str] | None:
    namespace = rwset.namespace
    for read in rwset.reads:
        slot = (namespace, read.key)
        if slot in block_writes:
            return (Code.MVCC_READ_CONFLICT,
                    f"key {read.key!r} written by an earlier transaction of this block")
        if committed_versions.get(slot) != read.version:
            return Code.MVCC_READ_CONFLICT, f"key {read.key!r} changed since simulation"
    for query in rwset.range_queries:
        current = _range_now(namespace, query.start_key, query.end_key, block_writes, store)
        recorded = [(read.key, read.version) for read in query.reads]
        if current != recorded:
            return (Code.PHANTOM_READ_CONFLICT,
                    f"range [{query.start_key!r}, {query.end_key!r}) changed since simulation")
    return None


def _range_now(namespace: str, start: str, end: str,
               block_writes: dict[tuple[str, str], tuple[bytes, Version, bool]],
               store: PeerStore) -> list[tuple[str, Version | None]]:
    """What the range read would return now: committed state plus this block's writes."""
    result: dict[str, Version] = {key: version
                                  for key, _, version in store.range_scan(namespace, start, end)}
    for (written_namespace, key), (_, version, is_delete) in block_writes.items():
        if written_namespace != namespace or key < start or (end and key >= end):
            continue
        if is_delete:
            result.pop(key, None)
        else:
            result[key] = version
    return [(key, result[key]) for key in sorted(result)]
