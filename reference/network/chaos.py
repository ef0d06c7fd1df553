"""Faults on a running multi-process network, under load: ``run_chaos(directory)``.

A load thread submits key-value transactions through a gateway the whole time. Three
faults follow one another:

1. ``etcd-leader-killed``: SIGKILL of the etcd member that leads, later restarted;
2. ``orderer-killed-restarted``: SIGKILL of the orderer process that cuts blocks, later
   started again (another orderer takes over meanwhile);
3. ``peer-killed-mid-commit``: SIGKILL of a peer process while blocks stream in, then
   started again on its ledger (it checks and catches up).

Afterwards the load stops and every peer must reach the orderers' head with the same
hash chain; the network is stopped and every peer directory is checked offline, as
``aimarket ledger verify`` does (hash chain, signatures, validation codes, verdicts).
A fault *survived* when the load kept committing across it. ``lost`` counts transactions
the ordering service acknowledged that no peer ledger holds; ``forks`` block numbers
whose hash differs between peers; ``gaps`` missing block numbers in etcd or a ledger.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import grpc

from reference.ledger import BatchConfig, Invocation
from reference.ledger.block import Block
from reference.ledger.store import PeerStore
from reference.network import launcher
from reference.network.etcd import EtcdCluster
from reference.network.gateway import RemoteNetwork
from reference.network.node import load_identity
from reference.network.ordering import block_key, channel_root, decode_head
from reference.network.store import EtcdLog

CONVERGE_TIMEOUT = 60.0


class _Load:
    """Submits batches of fresh-key puts until stopped; counts what committed when."""

    def __init__(self, remote: RemoteNetwork, batch: int = 20) -> None:
        self.remote = remote
        self.client = remote.client()
        self.batch = batch
        self.committed: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-load", daemon=True)
        self._counter = 0

    def start(self) -> _Load:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            start = self._counter
            self._counter += self.batch
            invocations = [Invocation("kv", "put", (f"chaos-{index}", b"v"))
                           for index in range(start, start + self.batch)]
            try:
                results = self.client.submit_many(invocations)
            except (grpc.RpcError, OSError) as exc:
                code = getattr(exc, "code", None)  # a gRPC call error names its status
                self.errors.append(str(code() if callable(code) else exc))
                self._stop.wait(0.2)
                continue
            now = time.monotonic()
            self.committed += [(now, result.tx_id) for result in results if result.ok]

    def committed_since(self, moment: float) -> int:
        return sum(1 for when, _ in self.committed if when > moment)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(120)


def _wait_for_progress(load: _Load, since: float, count: int = 20,
                       timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if load.committed_since(since) >= count:
            return True
        time.sleep(0.1)
    return False


def _leading_orderer(description: dict) -> dict | None:
    log = EtcdLog([member["client_url"] for member in description["etcd"]])
    net = Path(description["net"])
    from reference.ledger.ordering import config_from_genesis

    channel = config_from_genesis(Block.decode((net / "genesis.block").read_bytes())).channel_id
    found = log.get(channel_root(channel) + "leader")
    if found is None:
        return None
    return next((node for node in description["orderers"]
                 if node["name"].encode() == found[0]), None)


def run_chaos(directory: str | Path, peers: int = 4, orderers: int = 2,
              progress=lambda message: None) -> dict:
    root = Path(directory)
    description = launcher.up(root, peers=peers, orderers=orderers,
                              batch=BatchConfig(max_message_count=50, batch_timeout=0.2))
    faults: list[dict] = []
    remote: RemoteNetwork | None = None
    load: _Load | None = None
    try:
        net = Path(description["net"])
        remote = RemoteNetwork.connect(description, load_identity(net, "Org1", "client"))
        load = _Load(remote).start()
        if not _wait_for_progress(load, 0.0):
            raise RuntimeError(f"no transaction committed before the faults: {load.errors}")

        progress("killing the etcd leader under load")
        cluster = EtcdCluster.attach(root)
        leader = cluster.leader()
        if leader is None:
            raise RuntimeError("the etcd cluster has no leader")
        moment = time.monotonic()
        cluster.kill(leader)
        survived = _wait_for_progress(load, moment)
        cluster.restart(leader)
        faults.append({"kind": "etcd-leader-killed", "member": cluster.members[leader].name,
                       "survived": survived})

        progress("killing the leading orderer, then restarting it")
        orderer = _leading_orderer(description) or description["orderers"][0]
        moment = time.monotonic()
        launcher.kill_node(orderer)
        survived = _wait_for_progress(load, moment)
        launcher.restart_node(description, orderer)
        faults.append({"kind": "orderer-killed-restarted", "node": orderer["name"],
                       "survived": survived})

        progress("SIGKILL of a peer while it commits, then restarting it")
        home = remote.home_peer.name
        victim = next(node for node in reversed(description["peers"])
                      if node["name"] != home)
        moment = time.monotonic()
        launcher.kill_node(victim)
        launcher.restart_node(description, victim)
        survived = _wait_for_progress(load, moment)
        faults.append({"kind": "peer-killed-mid-commit", "node": victim["name"],
                       "survived": survived})
        time.sleep(0.5)
    finally:
        if load is not None:
            load.stop()
        if remote is not None:
            remote.flush()
    try:
        converged = _converge(description)
        etcd_gaps = _etcd_gaps(description)
    finally:
        if remote is not None:
            acknowledged = list(remote.acknowledged)
            remote.close()
        launcher.down(root)
    report = _audit(description, acknowledged)
    report["gaps"] += etcd_gaps
    report["faults"] = faults
    report["converged"] = converged
    report["load_errors"] = len(load.errors) if load is not None else 0
    return report


def _head(description: dict) -> tuple[EtcdLog, str, dict]:
    net = Path(description["net"])
    from reference.ledger.ordering import config_from_genesis

    channel = config_from_genesis(Block.decode((net / "genesis.block").read_bytes())).channel_id
    log = EtcdLog([member["client_url"] for member in description["etcd"]])
    root = channel_root(channel)
    head = log.get(root + "head")
    if head is None:
        raise RuntimeError(f"the channel {channel} has no head in etcd")
    return log, root, decode_head(head[0])


def _etcd_gaps(description: dict) -> int:
    """Block numbers missing below the head in etcd, or not chained to their parent."""
    log, root, head = _head(description)
    gaps, previous = 0, None
    for number in range(head["number"] + 1):
        found = log.get(block_key(root, number))
        if found is None:
            gaps += 1
            previous = None
            continue
        block = Block.decode(found[0])
        if previous is not None and block.header.previous_hash != previous:
            gaps += 1
        previous = block.header.hash()
    return gaps


def _converge(description: dict) -> bool:
    """Wait until every peer process reports the orderers' head height and hash."""
    from reference.network.gateway import RemotePeer

    log, root, head = _head(description)
    target = (head["number"] + 1, bytes.fromhex(head["hash"]))
    peers = [RemotePeer(node["name"], node["org"], node["address"], 0.0)
             for node in description["peers"]]
    deadline = time.monotonic() + CONVERGE_TIMEOUT
    try:
        while time.monotonic() < deadline:
            try:
                if all(peer.height() == target for peer in peers):
                    return True
            except grpc.RpcError:
                pass
            time.sleep(0.2)
        return False
    finally:
        for peer in peers:
            peer.remote.close()


def _audit(description: dict, acknowledged: list[str]) -> dict:
    """Offline, after the network is down: every peer ledger verified and compared."""
    from reference.clients.evidence_checker import check_ledger
    from reference.ledger import verify_ledger

    net = Path(description["net"])
    hashes: dict[int, set[bytes]] = {}
    held: list[set[str]] = []
    verified, problems, gaps = 0, [], 0
    for node in description["peers"]:
        directory = net / "peers" / node["name"]
        report, evidence = verify_ledger(directory), check_ledger(directory)
        if report.ok and evidence.ok:
            verified += 1
        else:
            problems += report.problems + list(evidence.problems)
        store = PeerStore(directory / "ledger.sqlite")
        try:
            tx_ids: set[str] = set()
            expected = 0
            for block in store.iter_blocks():
                if block.number != expected:
                    gaps += 1
                expected = block.number + 1
                hashes.setdefault(block.number, set()).add(block.header.hash())
            for (tx_id,) in store._connection.execute(  # noqa: SLF001 - read-only audit
                    "SELECT tx_id FROM transactions"):
                tx_ids.add(tx_id)
            held.append(tx_ids)
        finally:
            store.close()
    forks = sum(1 for found in hashes.values() if len(found) > 1)
    everywhere = set.intersection(*held) if held else set()
    lost = sum(1 for tx_id in acknowledged if tx_id not in everywhere)
    return {"committed": len(everywhere & set(acknowledged)), "lost": lost, "forks": forks,
            "gaps": gaps, "peers_verified": verified, "peers": len(description["peers"]),
            "problems": problems[:10]}
