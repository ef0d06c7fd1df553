"""Faults on a running multi-process network, under the marketplace lifecycle: ``run_chaos``.

The network runs the marketplace's four organisations (MAJORITY: 3 endorsements), two
orderers on a 3-member etcd cluster. The load is the benchmark's workload
(``reference/clients/lifecycle_workload.py``): a few parties each run models — the six
transactions of one honest training job — one after another, through a gateway, the whole
time (``chaos_load.py`` says how a transaction is retried safely). Three faults follow
one another:

1. ``etcd-leader-killed``: SIGKILL of the etcd member that leads, later restarted;
2. ``orderer-killed-restarted``: SIGKILL of the orderer process that cuts blocks, later
   started again (another orderer takes over meanwhile);
3. ``peer-killed-mid-commit``: SIGKILL of a peer process while blocks stream in, then
   started again on its ledger (it checks it and catches up).

A fault is *survived* when lifecycle transactions kept committing after it struck
(``PROGRESS`` of them within ``PROGRESS_TIMEOUT``). Afterwards the load stops (what is in
flight finishes), every peer must reach the orderers' head with the same hash, the
network is stopped, and ``chaos_audit.audit_peers`` judges every peer's directory against
what the client saw: nothing the client saw committed or the orderers acknowledged is
missing (``lost``), no fork, no gap, the same world state and the same jobs in the same
states everywhere, and every directory passes ``aimarket ledger verify``'s checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import grpc

from reference.clients.lifecycle_workload import (
    ORGANISATIONS,
    LifecycleWorkload,
    party_enrolments,
)
from reference.ledger import BatchConfig
from reference.ledger.block import Block
from reference.network import launcher
from reference.network.bench import MarketplaceDriver
from reference.network.chaos_audit import audit_peers
from reference.network.chaos_load import LifecycleLoad
from reference.network.etcd import EtcdCluster
from reference.network.gateway import RemoteNetwork
from reference.network.node import load_identity
from reference.network.ordering import block_key, channel_root, decode_head
from reference.network.store import EtcdLog

PROGRESS = 12  # lifecycle transactions (two models' worth) to commit after a fault
PROGRESS_TIMEOUT = 60.0
MODELS_PER_PARTY = 100  # an upper bound: each party runs models until the load stops
CONVERGE_TIMEOUT = 60.0


def _wait_for_progress(load: LifecycleLoad, since: float, count: int = PROGRESS,
                       timeout: float = PROGRESS_TIMEOUT) -> bool:
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


def run_chaos(directory: str | Path, peers: int = 4, orderers: int = 2, parties: int = 3,
              progress: Callable[[str], None] = lambda message: None) -> dict:
    """Start a network of the marketplace's organisations, run lifecycles through the
    faults, stop everything and judge the ledgers (see the module docstring)."""
    root = Path(directory)
    description = launcher.up(root, peers=peers, orderers=orderers, orgs=ORGANISATIONS,
                              enrolments=party_enrolments(parties),
                              batch=BatchConfig(max_message_count=50, batch_timeout=0.2))
    faults: list[dict] = []
    remote: RemoteNetwork | None = None
    load: LifecycleLoad | None = None
    converged, etcd_gaps = False, 0
    try:
        net = Path(description["net"])
        remote = RemoteNetwork.connect(description, load_identity(net, "MarketOrg", "client"))
        progress("training the model every vendor submits; setting up "
                 f"{parties} parties (untimed)")
        workload = LifecycleWorkload(load_identity(net, "MarketOrg", "admin"),
                                     load_identity(net, "MarketOrg", "treasury"),
                                     lambda org, name, role: load_identity(net, org, name),
                                     parties, MODELS_PER_PARTY)
        MarketplaceDriver(remote).set_up(workload.setup_phases(int(time.time())))
        load = LifecycleLoad(remote, workload, MODELS_PER_PARTY).start()
        if not _wait_for_progress(load, 0.0):
            raise RuntimeError(f"no lifecycle transaction committed before the faults: "
                               f"{load.errors[-3:]}")
        faults = _faults(root, description, remote, load, progress)
        progress("stopping the load; waiting for every peer to reach the head")
    finally:
        try:
            if load is not None:
                load.stop()
            if remote is not None and load is not None:
                remote.flush()
                converged = _converge(description)
                etcd_gaps = _etcd_gaps(description)
        finally:
            if remote is not None:
                remote.close()
            launcher.down(root)
    assert load is not None
    progress("auditing every peer's ledger")
    report = audit_peers(Path(description["net"]),
                         [node["name"] for node in description["peers"]], load.transactions)
    settled = set(report.pop("settled_job_ids"))
    for fault in faults:  # what became of the transactions the fault caught in flight
        caught = fault.pop("in_flight")
        fault["in_flight"] = len(caught)
        fault["in_flight_committed"] = sum(1 for tx in caught if tx.committed)
    completed = [run for run in load.runs if run.completed]
    report["gaps"] += etcd_gaps
    report.update({
        "faults": faults, "converged": converged, "workload": "marketplace lifecycle "
        "(6 transactions per model)", "models_started": len(load.runs),
        "models_completed": len(completed),
        # a model the client saw complete whose job is not SETTLED on every peer
        "models_unsettled": sum(1 for job in load.completed_jobs if job not in settled),
        "rebroadcasts": sum(tx.rebroadcasts for tx in load.transactions),
        "given_up": load.given_up, "load_errors": len(load.errors),
        "load_error_examples": sorted(set(load.errors))[:5]})
    return report


def _faults(root: Path, description: dict, remote: RemoteNetwork, load: LifecycleLoad,
            progress: Callable[[str], None]) -> list[dict]:
    faults = []
    progress("killing the etcd leader under load")
    cluster = EtcdCluster.attach(root)
    leader = cluster.leader()
    if leader is None:
        raise RuntimeError("the etcd cluster has no leader")
    _await_in_flight(load)
    moment, in_flight = time.monotonic(), load.in_flight_transactions()
    cluster.kill(leader)
    survived = _wait_for_progress(load, moment)
    cluster.restart(leader)
    faults.append({"kind": "etcd-leader-killed", "member": cluster.members[leader].name,
                   "in_flight": in_flight, "survived": survived})

    progress("killing the leading orderer, then restarting it")
    orderer = _leading_orderer(description) or description["orderers"][0]
    _await_in_flight(load)
    moment, in_flight = time.monotonic(), load.in_flight_transactions()
    launcher.kill_node(orderer)
    survived = _wait_for_progress(load, moment)
    launcher.restart_node(description, orderer)
    faults.append({"kind": "orderer-killed-restarted", "node": orderer["name"],
                   "in_flight": in_flight, "survived": survived})

    progress("SIGKILL of a peer while it commits, then restarting it")
    home = remote.home_peer.name
    victim = next(node for node in reversed(description["peers"]) if node["name"] != home)
    _await_a_commit(victim)  # kill it right after a block lands, while others stream in
    moment, in_flight = time.monotonic(), load.in_flight_transactions()
    launcher.kill_node(victim)
    launcher.restart_node(description, victim)
    survived = _wait_for_progress(load, moment)
    faults.append({"kind": "peer-killed-mid-commit", "node": victim["name"],
                   "in_flight": in_flight, "survived": survived})
    return faults


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


def _await_in_flight(load: LifecycleLoad, timeout: float = 10.0) -> None:
    """Return once some transaction is in flight (bounded): the fault should catch one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not load.in_flight_transactions():
        time.sleep(0.005)


def _await_a_commit(node: dict, timeout: float = 10.0) -> None:
    """Return as soon as ``node``'s height grows (bounded): blocks are streaming to it."""
    from reference.network.gateway import RemotePeer

    peer = RemotePeer(node["name"], node["org"], node["address"], 0.0)
    try:
        start = peer.height()[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and peer.height()[0] == start:
            time.sleep(0.01)
    except grpc.RpcError:
        pass
    finally:
        peer.remote.close()


def chaos_ok(report: dict) -> bool:
    """The verdict: every fault survived, every peer converged and verified, and nothing
    lost, committed twice, forked, missing or diverging."""
    return (bool(report["faults"]) and all(fault["survived"] for fault in report["faults"])
            and report["converged"] and report["committed"] > 0
            and report["peers_verified"] == report["peers"]
            and all(report[key] == 0 for key in (
                "lost", "double_committed", "forks", "gaps", "peers_behind", "state_diverged",
                "jobs_diverged", "models_unsettled")))
