"""The processes of a multi-process network: ``python -m reference.network.node peer|orderer``.

A **peer** process owns one peer (its SQLite ledger under ``NET/peers/<name>``), serves
endorsement and reads over gRPC (service ``aimarket.Peer``: ``ProcessProposals``,
``Height``, ``TxStatus``, ``Config``) and pulls blocks from an orderer's ``Deliver`` stream,
taking the next orderer when one goes away. Blocks wait out the simulated one-way delay
from the orderers' region before the peer validates and commits them.

An **orderer** process runs an ``EtcdOrderer`` node (broadcasts into etcd, cuts blocks
while it leads) and serves ``aimarket.Orderer``: ``Broadcast``, ``Cut`` and ``Deliver``
(every committed block from a number on, as a stream, read from etcd).

Both exit cleanly on SIGTERM; a SIGKILL leaves what SQLite and etcd committed.

Each process keeps its own clock: a peer judges a proposal's timestamp by it, an orderer
stamps the blocks it cuts with it. ``--clock-offset SECONDS`` sets it that far off the
machine's, to check the trusted-time rule with clocks that disagree.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from reference.ledger import wire
from reference.ledger.block import Block
from reference.ledger.chaincode_api import Chaincode
from reference.ledger.crypto import SigningKey
from reference.ledger.identity import Certificate, Identity
from reference.ledger.ordering import Clock, SystemClock
from reference.ledger.peer import BlockRejected, Peer
from reference.network.ordering import EtcdOrderer, EtcdOrderingService
from reference.network.rpc import Remote, serve

PEER_SERVICE = "aimarket.Peer"
ORDERER_SERVICE = "aimarket.Orderer"
READ_YOUR_WRITES_WAIT = 10.0  # seconds an endorser waits for the height a gateway has seen


def load_identity(net: Path, org: str, name: str) -> Identity:
    folder = net / "keys" / org
    return Identity(Certificate.decode((folder / f"{name}.cert").read_bytes()),
                    SigningKey.from_pem((folder / f"{name}.key.pem").read_bytes()))


class OffsetClock(SystemClock):
    """This machine's clock moved by ``offset`` seconds: what a process whose clock is
    wrong sees (``--clock-offset``; the trusted-time rule must hold all the same)."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset


def process_clock(offset: float) -> Clock:
    return OffsetClock(offset) if offset else SystemClock()


def installed_chaincodes() -> dict[str, Callable[[], Chaincode]]:
    """The chaincode code every peer process installs (definitions come from the channel)."""
    from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
    from reference.ledger.testing import KeyValueChaincode

    return {"kv": KeyValueChaincode, CHAINCODE_NAME: MarketplaceChaincode}


class PeerNode:
    def __init__(self, net: Path, name: str, address: str, orderers: list[str],
                 delivery_delay: float = 0.0, workers: int = 2,
                 clock: Clock | None = None) -> None:
        layout = json.loads((net / "network.json").read_text())
        org = dict((peer_name, peer_org) for peer_name, peer_org in layout["peers"])[name]
        genesis = Block.decode((net / "genesis.block").read_bytes())
        self.peer = Peer(name, load_identity(net, org, name), net / "peers" / name, genesis,
                         layout.get("synchronous", "NORMAL"), clock=clock)
        for chaincode, factory in installed_chaincodes().items():
            self.peer.install_chaincode(chaincode, factory())
        self.workers = workers
        self.executor = ThreadPoolExecutor(workers) if workers > 1 else None
        self.orderers = [Remote(address, ORDERER_SERVICE) for address in orderers]
        self.delivery_delay = delivery_delay
        self._stop = threading.Event()
        self.server = serve(address, PEER_SERVICE, {
            "ProcessProposals": self._process_proposals,
            "Height": self._height,
            "TxStatus": self._tx_status,
            "Config": lambda _: self.peer.channel.config.encode(),
        })
        self._delivery = threading.Thread(target=self._deliver_loop, name="deliver",
                                          daemon=True)
        self._delivery.start()

    def _process_proposals(self, request: bytes) -> bytes:
        """``[endorse, min_height, *signed proposals]``: the gateway's proposals, simulated
        once this peer has committed ``min_height`` blocks (the height the gateway has seen
        committed, so a client reads its own writes on every endorser), or after
        ``READ_YOUR_WRITES_WAIT`` seconds whatever its height."""
        fields = wire.as_list(wire.loads(request, "proposals"), "proposals")
        if len(fields) < 2:
            raise wire.DecodeError("proposals: expected endorse and min_height")
        endorse = bool(fields[0])
        min_height = wire.as_int(fields[1], "proposals.min_height")
        signed = [wire.as_bytes(item, "proposal") for item in fields[2:]]
        if self.peer.height < min_height:
            self.peer.wait_for_height(min_height, READ_YOUR_WRITES_WAIT)
        responses = self.peer.process_proposals(signed, endorse=endorse,
                                                executor=self.executor, workers=self.workers)
        return wire.dumps([response.encode() for response in responses])

    def _height(self, _: bytes) -> bytes:
        return wire.dumps([self.peer.height, self.peer.store.last_header_hash])

    def _tx_status(self, request: bytes) -> bytes:
        tx_id, timeout_ms = wire.fields(wire.loads(request, "txstatus"), 2, "txstatus")
        deadline = time.monotonic() + int(timeout_ms) / 1000
        while True:
            found = self.peer.transaction_status(str(tx_id))
            if found is not None:
                return wire.dumps([found[0], int(found[2])])
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.is_set():
                return wire.dumps([-1, -1])
            self.peer.wait_for_height(self.peer.height + 1, min(remaining, 0.2))

    def _deliver_loop(self) -> None:
        turn = 0
        while not self._stop.is_set():
            orderer = self.orderers[turn % len(self.orderers)]
            try:
                for data in orderer.stream("Deliver", wire.dumps(self.peer.height)):
                    arrival = time.monotonic() + self.delivery_delay
                    block = Block.decode(data)
                    if block.number < self.peer.height:
                        continue
                    pause = arrival - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    self.peer.deliver(block, self.executor, self.workers)
                    if self._stop.is_set():
                        return
            except (grpc.RpcError, BlockRejected, wire.DecodeError) as exc:
                print(f"{self.peer.name}: delivery from {orderer.address}: {exc}",
                      file=sys.stderr, flush=True)
            turn += 1
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self.server.stop(1).wait(5)
        for orderer in self.orderers:
            orderer.close()
        self._delivery.join(5)
        if self.executor is not None:
            self.executor.shutdown()
        self.peer.close()


class OrdererNode:
    def __init__(self, net: Path, name: str, address: str, endpoints: list[str],
                 clock: Clock | None = None) -> None:
        genesis = Block.decode((net / "genesis.block").read_bytes())
        identity = load_identity(net, "OrdererOrg", name)
        self.node = EtcdOrderer(name, identity, genesis, endpoints, clock=clock).start()
        self.view = EtcdOrderingService(genesis, endpoints, [self.node])
        self._new_block = threading.Condition()
        self.view.add_listener(self._on_block)
        self._stop = threading.Event()
        self.server = serve(address, ORDERER_SERVICE, {
            "Broadcast": self._broadcast,
            "Cut": lambda _: wire.dumps(self.view.cut_pending_batch()),
        }, {"Deliver": self._deliver}, threads=64)

    def _on_block(self, block: Block) -> None:
        with self._new_block:
            self._new_block.notify_all()

    def _broadcast(self, request: bytes) -> bytes:
        response = self.view.broadcast(request)
        return wire.dumps([int(response.status), response.info])

    def _deliver(self, request: bytes):
        number = wire.as_int(wire.loads(request, "deliver"), "deliver.start")
        while not self._stop.is_set():
            while number < self.view.height():
                block = self.view.get_block(number)
                if block is None:
                    break
                yield block.encode()
                number += 1
            with self._new_block:
                if number >= self.view.height():
                    self._new_block.wait(0.5)

    def stop(self) -> None:
        self._stop.set()
        self.server.stop(1).wait(5)
        self.view.close()
        self.node.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.network.node")
    parser.add_argument("kind", choices=["peer", "orderer"])
    parser.add_argument("--net", required=True, help="the network directory")
    parser.add_argument("--name", required=True)
    parser.add_argument("--address", required=True, help="host:port to listen on")
    parser.add_argument("--orderers", default="", help="peer: orderer addresses, comma-separated")
    parser.add_argument("--etcd", default="", help="orderer: etcd endpoints, comma-separated")
    parser.add_argument("--delivery-delay", type=float, default=0.0,
                        help="peer: simulated one-way delay from the orderers, seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clock-offset", type=float, default=0.0,
                        help="seconds this process's clock is ahead (negative: behind) of "
                             "the machine's; a peer endorses and an orderer stamps blocks "
                             "by it")
    args = parser.parse_args(argv)
    net = Path(args.net)
    clock = process_clock(args.clock_offset)
    if args.kind == "peer":
        node: PeerNode | OrdererNode = PeerNode(net, args.name, args.address,
                                                args.orderers.split(","),
                                                args.delivery_delay, args.workers, clock)
    else:
        node = OrdererNode(net, args.name, args.address, args.etcd.split(","), clock)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    print(f"{args.kind} {args.name} listening on {args.address}", flush=True)
    while not stopped.wait(0.5):
        pass
    node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
