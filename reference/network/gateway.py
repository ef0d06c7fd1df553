"""A client gateway to a multi-process network: endorse on peer processes, broadcast to
orderer processes, learn the outcome from a peer — all over gRPC.

``RemoteNetwork`` offers what ``reference.ledger.client.Client`` needs of a network
(channel id, endorser selection, batched proposal processing, broadcast and commit
tracking), so the same client code proposes, collects endorsements, checks that they agree
and assembles the transaction as on the embedded network:

    remote = RemoteNetwork.connect(description, identity)
    client = remote.client()
    results = client.submit_many([("kv", "put", ["k", b"v"])])

Every call waits out the latency model's round trip between the client's region and the
region of the node it calls. A result is reported once the client's home peer (the first
peer of its organisation) has committed the block, as Fabric's gateway does.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor

import grpc

from reference.ledger import wire
from reference.ledger.codes import BroadcastStatus, TxValidationCode
from reference.ledger.config import ChannelConfig
from reference.ledger.identity import Identity
from reference.ledger.messages import ProposalResponse
from reference.ledger.client import Client, Endorser, TxResult
from reference.ledger.ordering import BroadcastResponse, SystemClock
from reference.ledger.policy import minimal_endorsing_organisations
from reference.network.latency import LatencyModel
from reference.network.node import ORDERER_SERVICE, PEER_SERVICE
from reference.network.rpc import Remote, call_all

COMMIT_TIMEOUT = 60.0


def proposals_request(signed_proposals: Sequence[bytes], endorse: bool,
                      min_height: int = 0) -> bytes:
    """What ``ProcessProposals`` takes: the proposals, and the height the endorser must have
    committed before it simulates them (see ``node.PeerNode._process_proposals``)."""
    return wire.dumps([endorse, min_height, *signed_proposals])


def decode_responses(answer: bytes) -> list[ProposalResponse]:
    return [ProposalResponse.decode(wire.as_bytes(item, "response"))
            for item in wire.as_list(wire.loads(answer, "responses"), "responses")]


class RemotePeer:
    def __init__(self, name: str, org: str, address: str, delay: float) -> None:
        self.name = name
        self.org = org
        self.remote = Remote(address, PEER_SERVICE, delay)

    def process_proposals(self, signed_proposals: Sequence[bytes], endorse: bool = True,
                          executor: Executor | None = None,
                          workers: int = 2) -> list[ProposalResponse]:
        return decode_responses(self.remote.call("ProcessProposals",
                                                 proposals_request(signed_proposals, endorse)))

    def process_proposal(self, signed_proposal: bytes, endorse: bool = True) -> ProposalResponse:
        return self.process_proposals([signed_proposal], endorse)[0]

    def height(self) -> tuple[int, bytes]:
        height, last_hash = wire.fields(wire.loads(self.remote.call("Height"), "height"), 2,
                                        "height")
        return int(height), bytes(last_hash)

    def tx_status(self, tx_id: str, timeout: float) -> tuple[int, int] | None:
        answer = self.remote.call("TxStatus", wire.dumps([tx_id, int(timeout * 1000)]),
                                  timeout=timeout + 10)
        block, code = wire.fields(wire.loads(answer, "txstatus"), 2, "txstatus")
        return None if block < 0 else (int(block), int(code))


class RemotePending:
    def __init__(self, network: RemoteNetwork, tx_id: str, payload: bytes,
                 resolved: TxResult | None = None) -> None:
        self.network = network
        self.tx_id = tx_id
        self.payload = payload
        self._result = resolved

    def done(self) -> bool:
        return self._result is not None

    def result(self) -> TxResult:
        if self._result is None:
            found = self.network.home_peer.tx_status(self.tx_id, COMMIT_TIMEOUT)
            if found is None:
                self._result = TxResult(self.tx_id, None, None, b"", 504,
                                        f"not committed within {COMMIT_TIMEOUT:.0f} s",
                                        "commit")
            else:
                self._result = TxResult(self.tx_id, found[0], TxValidationCode(found[1]),
                                        self.payload)
                self.network.observed(found[0] + 1)
        return self._result


class RemoteNetwork:
    """The network as a gateway sees it (see the module docstring)."""

    def __init__(self, description: dict, identity: Identity,
                 latency: LatencyModel | None = None) -> None:
        self.identity = identity
        self.latency = latency or LatencyModel.from_json(description["latency"])
        region = self.latency.client_region
        self.peers = [RemotePeer(peer["name"], peer["org"], peer["address"],
                                 self.latency.rtt(region, peer["region"]))
                      for peer in description["peers"]]
        self.orderers = [Remote(orderer["address"], ORDERER_SERVICE,
                                self.latency.rtt(region, self.latency.orderer_region))
                         for orderer in description["orderers"]]
        self.clock = SystemClock()
        self.workers = 1
        self.executor = None
        self._pool = ThreadPoolExecutor(max(4, len(self.peers)), thread_name_prefix="gateway")
        own = [peer for peer in self.peers if peer.org == identity.org]
        self.home_peer = own[0] if own else self.peers[0]
        self.config = ChannelConfig.decode(self.home_peer.remote.call("Config"))
        self.channel_id = self.config.channel_id
        self._rotation = itertools.count()
        self._turn = 0
        self._lock = threading.Lock()
        self.acknowledged: list[str] = []  # tx ids the ordering service accepted
        # the height up to which this gateway has seen blocks committed: endorsers wait
        # until they have committed it too, so a client's next step reads its last one
        self.observed_height = 0

    @classmethod
    def connect(cls, description: dict, identity: Identity) -> RemoteNetwork:
        return cls(description, identity)

    def client(self) -> Client:
        return Client(self, self.identity)

    def peers_of(self, org: str) -> list[RemotePeer]:
        return [peer for peer in self.peers if peer.org == org]

    def any_peer(self) -> RemotePeer:
        return self.home_peer

    def endorse_concurrently(self, batches: Sequence[tuple[Endorser, list[bytes]]]
                             ) -> list[list[ProposalResponse]]:
        """Ask every endorser at once, one gRPC future each, as Fabric's gateway does; the
        transaction waits for the slowest endorser, not for the sum of them."""
        calls = []
        for peer, signed in batches:
            if not isinstance(peer, RemotePeer):
                raise TypeError(f"not a peer of this network: {peer!r}")
            calls.append((peer.remote, "ProcessProposals",
                          proposals_request(signed, True, self.observed_height)))
        return [decode_responses(answer) for answer in call_all(calls)]

    def observed(self, height: int) -> None:
        with self._lock:
            self.observed_height = max(self.observed_height, height)

    def syncing_on_this_thread(self) -> bool:
        return False  # blocks are delivered by the peer processes, never on this thread

    def endorsers_for(self, chaincode: str) -> list[RemotePeer]:
        definition = self.config.chaincode(chaincode)
        if definition is None:
            return [self.home_peer]
        from reference.ledger.policy import parse_policy

        policy = parse_policy(definition.endorsement_policy,
                              [org.msp_id for org in self.config.organisations])
        sets = minimal_endorsing_organisations(policy)
        turn = next(self._rotation)
        chosen = sets[turn % len(sets)]
        return [self.peers_of(org)[turn % len(self.peers_of(org))] for org in chosen]

    def broadcast(self, envelope: bytes) -> BroadcastResponse:
        last = BroadcastResponse(BroadcastStatus.SERVICE_UNAVAILABLE, "no orderer")
        for _ in range(2 * len(self.orderers)):
            with self._lock:
                orderer = self.orderers[self._turn % len(self.orderers)]
            try:
                status, info = wire.fields(wire.loads(orderer.call("Broadcast", envelope),
                                                      "broadcast"), 2, "broadcast")
                last = BroadcastResponse(BroadcastStatus(int(status)), str(info))
                if last.status != BroadcastStatus.SERVICE_UNAVAILABLE:
                    return last
            except grpc.RpcError as exc:
                last = BroadcastResponse(BroadcastStatus.SERVICE_UNAVAILABLE, str(exc.code()))
            with self._lock:
                self._turn += 1
            time.sleep(0.1)
        return last

    def broadcast_tracked(self, tx_id: str, envelope: bytes, payload: bytes) -> RemotePending:
        response = self.broadcast(envelope)
        if not response.ok:
            return RemotePending(self, tx_id, payload, TxResult(
                tx_id, None, None, b"", int(response.status), response.info, "ordering"))
        with self._lock:
            self.acknowledged.append(tx_id)
        return RemotePending(self, tx_id, payload)

    def broadcast_many(self, items: Sequence[tuple[str, bytes, bytes]]) -> list[RemotePending]:
        """Broadcast several transactions at once (each its own call, in parallel)."""
        return list(self._pool.map(lambda item: self.broadcast_tracked(*item), items))

    def flush(self) -> None:
        """Ask the orderers to cut what is pending (as if BatchTimeout had expired)."""
        for orderer in self.orderers:
            try:
                orderer.call("Cut", b"", timeout=30)
                return
            except grpc.RpcError:
                continue

    def close(self) -> None:
        self._pool.shutdown()
        for peer in self.peers:
            peer.remote.close()
        for orderer in self.orderers:
            orderer.close()
