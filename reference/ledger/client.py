"""The ledger's client: propose, collect endorsements, assemble, broadcast, await commit.

``Client`` works against any network that offers what ``ClientNetwork`` lists: the
embedded network (``network.py``, every peer in this process) and the gateway to a network
of processes (``reference/network/gateway.py``, peers over gRPC) both do, so the same code
builds proposals, checks that the endorsers agree and assembles the transaction on both.

Endorsement is asked of every endorser of a batch at once through
``ClientNetwork.endorse_concurrently``, as Fabric's gateway does: the gateway to processes
issues one gRPC future per endorser and waits for all of them; the embedded network, whose
peers share this process, serves them one after the other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

from reference.ledger.chaincode_api import Response
from reference.ledger.codes import TxValidationCode
from reference.ledger.identity import Identity
from reference.ledger.messages import (
    Proposal,
    ProposalResponse,
    build_proposal,
    create_signed_proposal,
    encode_envelope,
    encode_signed_proposal,
    endorser_transaction_payload,
)
from reference.ledger.ordering import BroadcastResponse, Clock
from reference.ledger.parallel import map_in_chunks
from reference.ledger.peer import STATUS_CHAINCODE_FAILED

Arg = bytes | str


class Endorser(Protocol):
    """A peer as a client sees it: it endorses (or evaluates) signed proposals."""

    @property
    def org(self) -> str: ...

    def process_proposals(self, signed_proposals: Sequence[bytes], endorse: bool = True,
                          executor: Executor | None = None,
                          workers: int = 2) -> list[ProposalResponse]: ...


class Committable(Protocol):
    """What a pending transaction needs of its network to learn its outcome."""

    def flush(self) -> None: ...

    def syncing_on_this_thread(self) -> bool: ...


class Pending(Protocol):
    tx_id: str
    payload: bytes

    def done(self) -> bool: ...

    def result(self) -> TxResult: ...


class ClientNetwork(Committable, Protocol):
    """What ``Client`` needs of a network."""

    @property
    def channel_id(self) -> str: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def executor(self) -> Executor | None: ...
    @property
    def workers(self) -> int: ...

    def peers_of(self, org: str) -> Sequence[Endorser]: ...

    def any_peer(self) -> Endorser: ...

    def endorsers_for(self, chaincode: str) -> Sequence[Endorser]: ...

    def endorse_concurrently(self, batches: Sequence[tuple[Endorser, list[bytes]]]
                             ) -> list[list[ProposalResponse]]: ...

    def broadcast(self, envelope: bytes) -> BroadcastResponse: ...

    def broadcast_tracked(self, tx_id: str, envelope: bytes, payload: bytes) -> Pending: ...


@dataclass(frozen=True)
class TxResult:
    """Outcome of one submitted transaction.

    * endorsement refused (chaincode status >= 400, or endorsers disagree): ``block`` and
      ``code`` are None, ``status``/``message`` carry the error; nothing was ordered;
    * rejected by the ordering service at broadcast: ``block``/``code`` None, ``status`` is
      the orderer's ``BroadcastStatus`` (e.g. 400 for a message over AbsoluteMaxBytes);
    * otherwise ``block`` and ``code`` say where it landed and whether it is VALID;
      ``payload`` is the endorsed chaincode response payload. A result is only produced
      once every peer of the embedded network has committed the block.
    """

    tx_id: str
    block: int | None
    code: TxValidationCode | None
    payload: bytes = b""
    status: int = 200
    message: str = ""
    phase: str = "validation"

    @property
    def ok(self) -> bool:
        return self.code == TxValidationCode.VALID


class PendingTransaction:
    """A broadcast transaction whose commit has not been observed yet."""

    def __init__(self, network: Committable, tx_id: str, payload: bytes,
                 resolved: TxResult | None = None) -> None:
        self._network = network
        self.tx_id = tx_id
        self.payload = payload
        self._result = resolved
        self._done = threading.Event()
        if resolved is not None:
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait (without flushing) until the transaction's block is committed; False on
        timeout. Useful with a real clock, where BatchTimeout cuts blocks on a timer."""
        return self._done.wait(timeout)

    def _resolve(self, result: TxResult) -> None:
        self._result = result
        self._done.set()

    def result(self) -> TxResult:
        """The outcome; flushes the orderer's pending batch first if needed."""
        if not self._done.is_set():
            self._network.flush()
        if not self._done.is_set():
            if self._network.syncing_on_this_thread():
                raise RuntimeError(f"transaction {self.tx_id} cannot commit while this thread "
                                   "is delivering blocks (do not wait for a result inside a "
                                   "commit listener; use submit_async)")
            self._done.wait()  # another thread is delivering the block right now
        assert self._result is not None
        return self._result


@dataclass
class EndorsedTransaction:
    """A proposal and what the endorsers answered; ``envelope`` is set when they agree."""

    tx_id: str
    proposal: Proposal
    responses: list[ProposalResponse]
    envelope: bytes | None = None
    failure: TxResult | None = None
    payload: bytes = b""


@dataclass(frozen=True)
class Invocation:
    chaincode: str
    function: str
    args: tuple[Arg, ...] = ()
    timestamp: int | None = None


def _endorsement_failure(tx_id: str, responses: list[ProposalResponse]) -> TxResult | None:
    """Why the responses cannot make a transaction (a refusal, or disagreement), if so."""
    refused = [response for response in responses if response.endorsement is None]
    if refused:
        first = refused[0].response
        return TxResult(tx_id, None, None, first.payload, first.status, first.message,
                        "endorsement")
    if not responses:
        return TxResult(tx_id, None, None, b"", STATUS_CHAINCODE_FAILED,
                        "no endorsing peers", "endorsement")
    if len({response.payload for response in responses}) != 1:
        return TxResult(tx_id, None, None, b"", STATUS_CHAINCODE_FAILED,
                        "endorsement mismatch: endorsing peers returned different results "
                        "(non-deterministic chaincode?)", "endorsement")
    return None


def _as_bytes(arg: Arg) -> bytes:
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, str):
        return arg.encode("utf-8")
    raise TypeError(f"chaincode arguments are bytes or str, got {type(arg).__name__}")


class Client:
    """A client identity that proposes, collects endorsements and broadcasts."""

    def __init__(self, network: ClientNetwork, identity: Identity) -> None:
        self.network = network
        self.identity = identity

    def endorse(self, chaincode: str, function: str, args: Sequence[Arg] = (), *,
                timestamp: int | None = None,
                endorsing_peers: Sequence[Endorser] | None = None) -> EndorsedTransaction:
        """Build and sign a proposal, have it endorsed, and assemble the transaction."""
        invocation = Invocation(chaincode, function, tuple(args), timestamp)
        return self.endorse_many([invocation], endorsing_peers=endorsing_peers)[0]

    def endorse_many(self, invocations: Sequence[Invocation], *,
                     endorsing_peers: Sequence[Endorser] | None = None
                     ) -> list[EndorsedTransaction]:
        """``endorse`` for a batch: every signature (proposals, endorsements, envelopes)
        is made and checked in batches on the network's thread pool; each endorser
        simulates its share of the batch in order."""
        network = self.network
        executor, workers = network.executor, network.workers
        now = int(network.clock.now())
        proposals = [build_proposal(self.identity, network.channel_id, item.chaincode,
                                    item.function, tuple(_as_bytes(arg) for arg in item.args),
                                    now if item.timestamp is None else item.timestamp)
                     for item in invocations]
        proposal_bytes = [proposal.encode() for proposal in proposals]
        signatures = map_in_chunks(self.identity.sign, proposal_bytes, executor, workers)
        signed = [encode_signed_proposal(data, signature)
                  for data, signature in zip(proposal_bytes, signatures, strict=True)]

        plans = [list(endorsing_peers) if endorsing_peers is not None
                 else network.endorsers_for(item.chaincode) for item in invocations]
        responses: list[list[ProposalResponse | None]] = [[None] * len(plan) for plan in plans]
        work: dict[int, tuple[Endorser, list[tuple[int, int]]]] = {}
        for tx_index, plan in enumerate(plans):
            for slot, peer in enumerate(plan):
                work.setdefault(id(peer), (peer, []))[1].append((tx_index, slot))
        batches = [(peer, [signed[tx_index] for tx_index, _ in slots])
                   for peer, slots in work.values()]
        all_answers = network.endorse_concurrently(batches)
        for (_, slots), answers in zip(work.values(), all_answers, strict=True):
            if len(answers) != len(slots):
                raise ValueError(f"an endorser answered {len(answers)} of {len(slots)} "
                                 "proposals")
            for (tx_index, slot), answer in zip(slots, answers, strict=True):
                responses[tx_index][slot] = answer

        endorsed_list: list[EndorsedTransaction] = []
        payloads_to_sign: list[tuple[EndorsedTransaction, bytes]] = []
        for proposal, slot_answers in zip(proposals, responses, strict=True):
            collected = [answer for answer in slot_answers if answer is not None]
            endorsed = EndorsedTransaction(proposal.tx_id, proposal, collected)
            endorsed_list.append(endorsed)
            endorsed.failure = _endorsement_failure(proposal.tx_id, collected)
            if endorsed.failure is None:
                endorsed.payload = collected[0].response.payload
                payloads_to_sign.append((endorsed, endorser_transaction_payload(
                    proposal, collected[0].payload,
                    tuple(answer.endorsement for answer in collected
                          if answer.endorsement is not None))))
        envelope_signatures = map_in_chunks(self.identity.sign,
                                            [payload for _, payload in payloads_to_sign],
                                            executor, workers)
        for (endorsed, payload), signature in zip(payloads_to_sign, envelope_signatures,
                                                  strict=True):
            endorsed.envelope = encode_envelope(payload, signature)
        return endorsed_list

    def broadcast(self, envelope: bytes) -> BroadcastResponse:
        return self.network.broadcast(envelope)

    def submit_endorsed(self, endorsed: EndorsedTransaction) -> Pending:
        """Broadcast an endorsed transaction; the handle resolves when it commits."""
        if endorsed.envelope is None:
            failure = endorsed.failure or TxResult(endorsed.tx_id, None, None, b"",
                                                   STATUS_CHAINCODE_FAILED, "not endorsed",
                                                   "endorsement")
            return PendingTransaction(self.network, endorsed.tx_id, b"", failure)
        return self.network.broadcast_tracked(endorsed.tx_id, endorsed.envelope,
                                               endorsed.payload)

    def submit_async(self, chaincode: str, function: str, args: Sequence[Arg] = (), *,
                     timestamp: int | None = None) -> Pending:
        """Endorse and broadcast; returns before the block is cut."""
        return self.submit_endorsed(self.endorse(chaincode, function, args,
                                                 timestamp=timestamp))

    def submit(self, chaincode: str, function: str, args: Sequence[Arg] = (), *,
               timestamp: int | None = None) -> TxResult:
        """Endorse, order and wait for commit."""
        return self.submit_async(chaincode, function, args, timestamp=timestamp).result()

    def submit_many(self, invocations: Iterable[Invocation | tuple[str, str, Sequence[Arg]]]
                    ) -> list[TxResult]:
        """Endorse all (batched), broadcast all in order, flush once, return the results.

        Blocks are cut by the batch limits as the transactions arrive; the final flush
        cuts the remainder. All transactions are simulated against the same committed
        state, so transactions of one batch that touch the same keys conflict (MVCC)."""
        normalized = [item if isinstance(item, Invocation)
                      else Invocation(item[0], item[1], tuple(item[2])) for item in invocations]
        pending = [self.submit_endorsed(item) for item in self.endorse_many(normalized)]
        self.network.flush()
        return [handle.result() for handle in pending]

    def query(self, chaincode: str, function: str, args: Sequence[Arg] = (), *,
              peer: Endorser | None = None, timestamp: int | None = None) -> Response:
        """Evaluate a read-only call on one peer; nothing is ordered, writes are dropped."""
        network = self.network
        own_peers = network.peers_of(self.identity.org)
        target = peer or (own_peers[0] if own_peers else network.any_peer())
        moment = int(network.clock.now()) if timestamp is None else timestamp
        _, signed = create_signed_proposal(self.identity, network.channel_id, chaincode,
                                           function, tuple(_as_bytes(arg) for arg in args),
                                           moment)
        response = target.process_proposals([signed], endorse=False)[0].response
        return Response(response.status, response.message, response.payload)
