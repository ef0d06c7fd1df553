"""A peer: endorser (simulate and sign) and committer (validate and commit blocks)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from reference.ledger import crypto, wire
from reference.ledger.block import Block, compute_data_hash, orderer_signed_bytes
from reference.ledger.chaincode_api import ERROR_THRESHOLD, Chaincode, Creator, Response
from reference.ledger.codes import TxValidationCode
from reference.ledger.config import ChannelConfig, ChannelState
from reference.ledger.events import BlockEvent
from reference.ledger.genesis import BlockRejected, genesis_commit
from reference.ledger.identity import ROLE_ORDERER, Identity, ValidatedIdentity
from reference.ledger.messages import (
    ChaincodeAction,
    ChaincodeResponse,
    Endorsement,
    HeaderType,
    Proposal,
    ProposalResponse,
    ProposalResponsePayload,
    compute_tx_id,
    decode_signed_proposal,
    endorsement_signed_bytes,
)
from reference.ledger.ordering import Clock, OrderingService, SystemClock
from reference.ledger.parallel import map_in_chunks
from reference.ledger.simulator import TxSimulator
from reference.ledger.store import CommitHook, HistoryEntry, PeerStore
from reference.ledger.validation import validate_block
from reference.ledger.validator_pool import PendingCheck, ValidatorPool
from reference.ledger.verify import check_store

# Statuses a peer answers a proposal with when it does not reach the chaincode.
STATUS_BAD_PROPOSAL = 400
STATUS_FORBIDDEN = 403
STATUS_CHAINCODE_NOT_FOUND = 404
STATUS_DUPLICATE_TXID = 409
STATUS_TIMESTAMP_SKEW = 412
STATUS_CHAINCODE_FAILED = 500

BlockEventListener = Callable[[BlockEvent], None]


class LedgerCorrupted(Exception):
    """A peer's store disagrees with its own block chain: the peer refuses to serve."""


@dataclass(frozen=True)
class _CheckedProposal:
    proposal: Proposal
    proposal_bytes: bytes
    signature: bytes
    creator: ValidatedIdentity


@dataclass
class _Subscription:
    listener: BlockEventListener
    next_block: int


class Peer:
    """One peer of the channel, with its own SQLite ledger in ``directory``."""

    def __init__(self, name: str, identity: Identity, directory: str | Path,
                 genesis_block: Block | None = None, synchronous: str = "NORMAL",
                 commit_hook: CommitHook | None = None, clock: Clock | None = None,
                 check_integrity: bool = True) -> None:
        self.name = name
        self.clock: Clock = clock or SystemClock()
        self.identity = identity
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.store = PeerStore(self.directory / "ledger.sqlite", synchronous, commit_hook)
        if check_integrity and self.store.height > 0:
            # integrity at start: the stored state, history and index must be exactly what
            # the stored blocks, re-validated from genesis, produce
            problems = check_store(self.store)
            if problems:
                self.store.close()
                raise LedgerCorrupted(f"peer {name}: the ledger in {self.directory} does not "
                                      f"match its block chain ({problems[0]}"
                                      + (f"; {len(problems) - 1} more problem(s)"
                                         if len(problems) > 1 else "") + ")")
        self._lock = threading.RLock()
        self._chaincodes: dict[str, Chaincode] = {}
        self._subscriptions: list[_Subscription] = []
        self._committed = threading.Condition(self._lock)
        self._catch_up_lock = threading.RLock()
        if self.store.height == 0:
            if genesis_block is None:
                raise ValueError(f"peer {name}: empty ledger and no genesis block")
            self._commit_genesis(genesis_block)
        elif genesis_block is not None:
            stored_genesis = self.store.get_block(0)
            if stored_genesis is None or (stored_genesis.header.hash()
                                          != genesis_block.header.hash()):
                raise BlockRejected(f"peer {name}: the ledger in {self.directory} belongs to "
                                    "another channel (different genesis block)")
        config_bytes = self.store.get_meta("config")
        last_block = self.store.get_block(self.store.height - 1)
        if config_bytes is None or last_block is None:
            raise ValueError(f"peer {name}: ledger in {self.directory} lacks its config or "
                             "last block")
        self.channel = ChannelState(ChannelConfig.decode(config_bytes))
        self._commit_hash = last_block.metadata.commit_hash
        self._block_time = last_block.metadata.timestamp

    @property
    def org(self) -> str:
        return self.identity.org

    @property
    def height(self) -> int:
        return self.store.height

    def close(self) -> None:
        self.store.close()

    def install_chaincode(self, name: str, chaincode: Chaincode) -> None:
        """Install chaincode code on this peer (its definition comes from the channel)."""
        with self._lock:
            self._chaincodes[name] = chaincode

    # -- endorsement ---------------------------------------------------------------------

    def process_proposal(self, signed_proposal: bytes, endorse: bool = True) -> ProposalResponse:
        """Check a signed proposal, simulate it on committed state, sign the result.

        Chaincode errors (status >= 400) and rejected proposals come back as a response
        without an endorsement; nothing is signed. ``endorse=False`` is the query path.
        """
        return self.process_proposals([signed_proposal], endorse=endorse)[0]

    def process_proposals(self, signed_proposals: Sequence[bytes], endorse: bool = True,
                          executor: Executor | None = None,
                          workers: int = 2) -> list[ProposalResponse]:
        """``process_proposal`` for a batch: the creators' signatures are verified and the
        endorsements signed as batches on ``executor``; simulations run one by one."""
        checked = [self._check_proposal(signed, endorse) for signed in signed_proposals]
        verified = map_in_chunks(
            lambda item: item is not None and not isinstance(item, ProposalResponse) and (
                crypto.verify(item.creator.public_key, item.signature, item.proposal_bytes)),
            checked, executor, workers)
        responses: list[ProposalResponse | None] = []
        to_sign: list[tuple[int, bytes]] = []
        for index, (item, signature_ok) in enumerate(zip(checked, verified, strict=True)):
            if isinstance(item, ProposalResponse):
                responses.append(item)
            elif not signature_ok:
                responses.append(_refusal(STATUS_FORBIDDEN,
                                          "creator unknown or proposal signature invalid"))
            else:
                response, prp_bytes = self._simulate(item, endorse)
                responses.append(response)
                if prp_bytes is not None:
                    to_sign.append((index, prp_bytes))
        endorser = self.identity.serialized
        signatures = map_in_chunks(
            lambda entry: self.identity.sign(endorsement_signed_bytes(entry[1], endorser)),
            to_sign, executor, workers)
        for (index, prp_bytes), signature in zip(to_sign, signatures, strict=True):
            unsigned = responses[index]
            assert unsigned is not None
            responses[index] = ProposalResponse(unsigned.response, prp_bytes,
                                                Endorsement(endorser, signature))
        return [response for response in responses if response is not None]

    def _check_proposal(self, signed_proposal: bytes,
                        endorse: bool = True) -> _CheckedProposal | ProposalResponse:
        """Everything about a proposal except its signature; a refusal if it fails. Only a
        proposal to endorse must carry a timestamp within the channel's skew of this
        peer's clock (a query changes nothing and is not judged on time)."""
        try:
            proposal_bytes, signature = decode_signed_proposal(signed_proposal)
            proposal = Proposal.decode(proposal_bytes)
        except wire.DecodeError as exc:
            return _refusal(STATUS_BAD_PROPOSAL, f"malformed proposal: {exc}")
        channel = self.channel
        header = proposal.header
        if header.type != HeaderType.ENDORSER_TRANSACTION:
            return _refusal(STATUS_BAD_PROPOSAL, "not an endorser transaction proposal")
        if header.channel_id != channel.config.channel_id:
            return _refusal(STATUS_BAD_PROPOSAL, f"unknown channel {header.channel_id!r}")
        creator = channel.membership.validate(header.creator)
        if creator is None or creator.org == channel.orderer_msp_id:
            return _refusal(STATUS_FORBIDDEN, "creator unknown or proposal signature invalid")
        if header.tx_id != compute_tx_id(header.nonce, header.creator):
            return _refusal(STATUS_BAD_PROPOSAL, "tx id is not hash(nonce + creator)")
        skew = channel.config.max_timestamp_skew
        now = int(self.clock.now())
        if endorse and abs(header.timestamp - now) > skew:
            return _refusal(STATUS_TIMESTAMP_SKEW,
                            f"timestamp {header.timestamp} is more than {skew} s from this "
                            f"endorser's clock ({now})")
        return _CheckedProposal(proposal, proposal_bytes, signature, creator)

    def _simulate(self, item: _CheckedProposal,
                  endorse: bool) -> tuple[ProposalResponse, bytes | None]:
        """Run the chaincode; the response and, if it is to be endorsed, the bytes to sign."""
        proposal, header = item.proposal, item.proposal.header
        invocation = proposal.invocation
        definition = self.channel.chaincode_policies.get(invocation.chaincode)
        chaincode = self._chaincodes.get(invocation.chaincode)
        if definition is None or chaincode is None:
            missing = "defined on the channel" if definition is None else "installed"
            return _refusal(STATUS_CHAINCODE_NOT_FOUND,
                            f"chaincode {invocation.chaincode!r} is not {missing}"), None
        certificate = item.creator.certificate
        creator_info = Creator(certificate.org, certificate.name, certificate.role,
                               certificate.public_key)
        with self._lock:
            if self.store.transaction_status(header.tx_id) is not None:
                return _refusal(STATUS_DUPLICATE_TXID,
                                f"duplicate transaction {header.tx_id}"), None
            simulator = TxSimulator(self.store, invocation.chaincode, header.tx_id,
                                    header.timestamp, creator_info)
            try:
                response = chaincode.invoke(simulator, invocation.function,
                                            list(invocation.args))
            except Exception as exc:  # chaincode bugs become a refused endorsement
                return _refusal(STATUS_CHAINCODE_FAILED,
                                f"chaincode raised {type(exc).__name__}: {exc}"), None
            rwset = simulator.read_write_set()
        if not (isinstance(response, Response) and type(response.status) is int
                and isinstance(response.message, str)
                and isinstance(response.payload, (bytes, bytearray))):
            return _refusal(STATUS_CHAINCODE_FAILED,
                            f"chaincode returned {response!r}, not a Response(int, str, "
                            f"bytes)"), None
        wire_response = ChaincodeResponse(response.status, response.message,
                                          bytes(response.payload))
        try:
            if wire_response.status >= ERROR_THRESHOLD or not endorse:
                wire.dumps(wire_response.to_wire())  # what the client will receive
                return ProposalResponse(wire_response, b"", None), None
            action = ChaincodeAction(rwset, simulator.event, wire_response,
                                     invocation.chaincode, definition[0],
                                     simulator.time_bounds)
            prp_bytes = ProposalResponsePayload.encode(proposal.hash(), action)
        except (ValueError, TypeError) as exc:  # e.g. a key or message that is not UTF-8
            return _refusal(STATUS_CHAINCODE_FAILED,
                            f"chaincode result cannot be encoded: {exc}"), None
        return ProposalResponse(wire_response, prp_bytes, None), prp_bytes

    # -- commit --------------------------------------------------------------------------

    def deliver(self, block: Block, executor: Executor | None = None,
                workers: int = 2, pool: ValidatorPool | None = None,
                pending: PendingCheck | None = None) -> BlockEvent:
        """Check, validate and commit the next block; then notify event listeners.

        Phase 1 runs on ``pool`` when given, else here (its signatures on ``executor``);
        ``pending`` is phase 1 of this very block already started on a pool, used only if
        it ran under the channel state the block is validated against.
        """
        with self._lock:
            self._check_block(block)
            channel = self.channel
            checked = None
            if pending is not None and pending.channel is channel:
                checked = pending.result()
            elif pending is not None:
                pending.cancel()
            if checked is None and pool is not None:
                checked = pool.check_transactions(block.data, channel)
            result = validate_block(block, channel, self.store, self._commit_hash,
                                    executor, workers, checked)
            committed = block.with_validation(result.codes, result.commit_hash)
            self.store.commit_block(committed, result.updates)
            self._commit_hash = result.commit_hash
            self._block_time = committed.metadata.timestamp
            if result.new_config is not None:
                self.channel = ChannelState(result.new_config)
            self._committed.notify_all()
        event = BlockEvent(committed)
        self._dispatch(event)
        return event

    def catch_up(self, orderer: OrderingService, executor: Executor | None = None,
                 workers: int = 2, pool: ValidatorPool | None = None) -> int:
        """Pull and commit every block the orderer has and this peer lacks; how many.

        With a validator ``pool``, phase 1 of the next block runs on the pool while this
        block's phase 2 and commit run here (a block that changes the channel config makes
        the next block's phase 1 run again under the new config).
        """
        committed = 0
        with self._catch_up_lock:
            ahead: tuple[Block, PendingCheck] | None = None
            pending: PendingCheck | None
            try:
                while self.store.height < orderer.height():
                    if ahead is not None and ahead[0].number == self.store.height:
                        block, pending = ahead
                    else:
                        fetched = orderer.get_block(self.store.height)
                        if fetched is None:
                            break
                        block = fetched
                        pending = (None if pool is None
                                   else pool.submit(block.data, self.channel))
                    ahead = None
                    if pool is not None and block.number + 1 < orderer.height():
                        following = orderer.get_block(block.number + 1)
                        if following is not None:
                            ahead = (following, pool.submit(following.data, self.channel))
                    self.deliver(block, executor, workers, pool, pending)
                    committed += 1
            finally:
                if ahead is not None:
                    ahead[1].cancel()
        return committed

    def _check_block(self, block: Block) -> None:
        if block.number != self.store.height:
            raise BlockRejected(f"{self.name}: got block {block.number}, "
                                f"expected {self.store.height}")
        if block.header.previous_hash != self.store.last_header_hash:
            raise BlockRejected(f"{self.name}: block {block.number} does not chain to "
                                f"block {block.number - 1}")
        if block.header.data_hash != compute_data_hash(block.data):
            raise BlockRejected(f"{self.name}: block {block.number} data hash mismatch")
        signer = self.channel.membership.verify_signature(
            block.metadata.orderer, block.metadata.orderer_signature,
            orderer_signed_bytes(block.header, block.metadata.timestamp))
        if (signer is None or signer.org != self.channel.orderer_msp_id
                or signer.role != ROLE_ORDERER):
            raise BlockRejected(f"{self.name}: block {block.number} lacks a valid orderer "
                                f"signature")
        if block.metadata.timestamp < self._block_time:
            raise BlockRejected(f"{self.name}: block {block.number}'s time "
                                f"{block.metadata.timestamp} is before the previous block's "
                                f"({self._block_time})")

    def _commit_genesis(self, genesis_block: Block) -> None:
        committed, updates = genesis_commit(genesis_block)
        self.store.commit_block(committed, updates)

    # -- reads and events ----------------------------------------------------------------

    def get_state(self, chaincode: str, key: str) -> bytes | None:
        """Committed value of ``key`` in ``chaincode``'s namespace (no read set)."""
        found = self.store.get_state(chaincode, key)
        return None if found is None else found[0]

    def history(self, chaincode: str, key: str) -> list[HistoryEntry]:
        return self.store.history(chaincode, key)

    def transaction_status(self, tx_id: str) -> tuple[int, int, TxValidationCode] | None:
        """``(block, tx number, code)`` of the first ledger occurrence of ``tx_id``."""
        found = self.store.transaction_status(tx_id)
        return None if found is None else (found[0], found[1], TxValidationCode(found[2]))

    def block_events(self, start_block: int = 0,
                     stop_block: int | None = None) -> Iterator[BlockEvent]:
        """Events of committed blocks ``start_block <= n < stop_block`` (replay)."""
        for block in self.store.iter_blocks(start_block, stop_block):
            yield BlockEvent(block)

    def subscribe(self, listener: BlockEventListener, start_block: int = 0) -> None:
        """Replay committed blocks from ``start_block``, then every future block, in order.

        Listeners run on the committing thread after the commit; they must not submit
        transactions synchronously.
        """
        subscription = _Subscription(listener, start_block)
        with self._lock:
            self._subscriptions.append(subscription)
            target = self.store.height
        self._replay(subscription, target)

    def unsubscribe(self, listener: BlockEventListener) -> None:
        with self._lock:
            self._subscriptions = [s for s in self._subscriptions if s.listener is not listener]

    def wait_for_height(self, height: int, timeout: float | None = None) -> bool:
        """Block until this peer has committed ``height`` blocks (for threaded users)."""
        with self._committed:
            return self._committed.wait_for(lambda: self.store.height >= height, timeout)

    def _replay(self, subscription: _Subscription, up_to: int) -> None:
        while subscription.next_block < up_to:
            for block in self.store.iter_blocks(subscription.next_block, up_to):
                subscription.next_block = block.number + 1
                subscription.listener(BlockEvent(block))

    def _dispatch(self, event: BlockEvent) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            if subscription.next_block < event.block_number:
                self._replay(subscription, event.block_number)
            if subscription.next_block == event.block_number:
                subscription.next_block += 1
                subscription.listener(event)


def _refusal(status: int, message: str) -> ProposalResponse:
    return ProposalResponse(ChaincodeResponse(status, message, b""), b"", None)
