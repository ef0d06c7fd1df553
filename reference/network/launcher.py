"""Start and stop a whole multi-process network: ``up(directory, peers=N, orderers=K)``.

``up`` starts a 3-member etcd cluster, creates the channel's material under
``directory/net`` (keys, genesis block, the chaincode definitions of ``kv`` and the
marketplace, committed through the etcd orderer), then one orderer process per orderer
and one peer process per peer, each on a free port of ``host``. It writes
``directory/processes.json`` — where every process listens and its pid — and returns it.
``down(directory)`` stops the processes it names (SIGTERM, then SIGKILL after a bounded
wait), etcd last. Nothing is left running when ``up`` fails half-way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc

from reference.ledger import BatchConfig, Network
from reference.ledger.identity import ROLE_ORDERER
from reference.ledger.network import ORDERER_MSP_ID
from reference.network.etcd import EtcdCluster, free_ports
from reference.network.latency import LatencyModel
from reference.network.node import ORDERER_SERVICE, PEER_SERVICE, installed_chaincodes
from reference.network.ordering import etcd_ordering
from reference.network.rpc import Remote

DESCRIPTION = "processes.json"
READY_TIMEOUT = 60.0
STOP_GRACE = 5.0


class LaunchError(RuntimeError):
    """The network did not come up (which process, and why)."""


def _spawn(command: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=handle,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def up(directory: str | Path, peers: int, orderers: int = 2, orgs: int | Sequence[str] = 3,
       latency: LatencyModel | None = None, batch: BatchConfig | None = None,
       host: str = "127.0.0.1", workers: int = 1,
       enrolments: Sequence[tuple[str, str, str]] = (),
       clock_offsets: Mapping[str, float] | None = None) -> dict:
    """Start the network; ``enrolments`` are ``(organisation, name, role)`` identities to
    create beside each organisation's ``client`` (``node.load_identity`` loads them);
    ``clock_offsets`` names processes (``orderer0``, a peer's name) whose clock is that
    many seconds off the machine's."""
    offsets = dict(clock_offsets or {})
    root = Path(directory)
    if (root / DESCRIPTION).exists():
        raise FileExistsError(f"{root} already holds a network; run down first")
    root.mkdir(parents=True, exist_ok=True)
    latency = latency or LatencyModel.none()
    cluster = EtcdCluster.start(root)
    description: dict = {"directory": str(root), "net": str(root / "net"),
                         "etcd": [member.to_json() for member in cluster.members],
                         "latency": latency.to_json(), "orderers": [], "peers": []}
    started: list[subprocess.Popen] = []
    try:
        network = Network.create(root / "net", peers=peers, orgs=orgs,
                                 ordering=etcd_ordering(cluster.endpoints, 1),
                                 batch=batch or BatchConfig(max_message_count=500,
                                                            batch_timeout=0.5))
        try:
            for name, factory in installed_chaincodes().items():
                network.install_chaincode(name, factory)
            for index in range(orderers):
                network._identity(ORDERER_MSP_ID, f"orderer{index}", ROLE_ORDERER)
            for org in network.organisations:
                network.enroll(org, "client")  # the identity gateways and benches use
            for org, name, role in enrolments:
                network.enroll(org, name, role)
            layout = list(network.layout.peers)
        finally:
            network.close()
        logs = root / "logs"
        logs.mkdir(exist_ok=True)
        ports = free_ports(orderers + peers)
        python = sys.executable
        endpoints = ",".join(cluster.endpoints)
        for index in range(orderers):
            name, address = f"orderer{index}", f"{host}:{ports[index]}"
            command = [python, "-m", "reference.network.node", "orderer",
                       "--net", str(root / "net"), "--name", name,
                       "--address", address, "--etcd", endpoints,
                       *_offset(offsets.pop(name, 0.0))]
            process = _spawn(command, logs / f"{name}.log")
            started.append(process)
            description["orderers"].append({"name": name, "address": address,
                                             "pid": process.pid, "command": command,
                                             "region": latency.orderer_region})
        orderer_addresses = ",".join(item["address"] for item in description["orderers"])
        for index, (name, org) in enumerate(layout):
            address = f"{host}:{ports[orderers + index]}"
            region = latency.peer_region(index)
            command = [python, "-m", "reference.network.node", "peer",
                       "--net", str(root / "net"), "--name", name,
                       "--address", address, "--orderers", orderer_addresses,
                       "--workers", str(workers), "--delivery-delay",
                       str(latency.one_way(latency.orderer_region, region)),
                       *_offset(offsets.pop(name, 0.0))]
            process = _spawn(command, logs / f"{name}.log")
            started.append(process)
            description["peers"].append({"name": name, "org": org, "address": address,
                                         "pid": process.pid, "command": command,
                                         "region": region})
        if offsets:
            raise ValueError(f"clock offsets for unknown processes: {sorted(offsets)}")
        (root / DESCRIPTION).write_text(json.dumps(description, indent=2))
        wait_ready(description)
    except BaseException:
        for process in started:
            _stop_pid(process.pid)
        cluster.stop()
        (root / DESCRIPTION).unlink(missing_ok=True)
        raise
    return description


def _offset(seconds: float) -> list[str]:
    return ["--clock-offset", repr(float(seconds))] if seconds else []


def wait_ready(description: dict, timeout: float = READY_TIMEOUT) -> None:
    """Wait until every orderer and peer process answers over gRPC (bounded)."""
    deadline = time.monotonic() + timeout
    for kind, service in (("orderers", ORDERER_SERVICE), ("peers", PEER_SERVICE)):
        for node in description[kind]:
            remote = Remote(node["address"], service)
            try:
                while True:
                    if not _alive(node["pid"]):
                        raise LaunchError(f"{node['name']} exited; see "
                                          f"{description['directory']}/logs/{node['name']}.log")
                    try:
                        remote.wait_ready(0.5)
                        break
                    except grpc.FutureTimeoutError:
                        if time.monotonic() > deadline:
                            raise LaunchError(f"{node['name']} not listening on "
                                              f"{node['address']} after {timeout:.0f} s")
            finally:
                remote.close()


def load(directory: str | Path) -> dict:
    path = Path(directory) / DESCRIPTION
    if not path.exists():
        raise FileNotFoundError(f"{directory} holds no running network ({DESCRIPTION})")
    return json.loads(path.read_text())


def _ours(pid: int) -> bool:
    """True if ``pid`` is a live process this module started (etcd or a node)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(part.endswith(b"etcd") for part in command[:1]) or \
        b"reference.network.node" in command


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop_pid(pid: int, grace: float = STOP_GRACE) -> None:
    if not _ours(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        _reap(pid)
        time.sleep(0.05)
    if _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def kill_node(node: dict) -> None:
    """SIGKILL one node process (a crash)."""
    if _ours(node["pid"]):
        os.kill(node["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while _alive(node["pid"]) and time.monotonic() < deadline:
            _reap(node["pid"])
            time.sleep(0.02)


def restart_node(description: dict, node: dict) -> None:
    """Start a stopped node again with its command and update ``processes.json``."""
    root = Path(description["directory"])
    process = _spawn(node["command"], root / "logs" / f"{node['name']}.log")
    node["pid"] = process.pid
    (root / DESCRIPTION).write_text(json.dumps(description, indent=2))


def down(directory: str | Path) -> dict:
    """Stop every process ``directory/processes.json`` names; etcd last. What was stopped."""
    description = load(directory)
    stopped = []
    for kind in ("peers", "orderers"):
        for node in description[kind]:
            _stop_pid(node["pid"])
            stopped.append(node["name"])
    etcd_file = Path(directory) / "etcd" / "cluster.json"
    members = (json.loads(etcd_file.read_text())["members"] if etcd_file.exists()
               else description["etcd"])  # cluster.json has the pids of restarted members
    for member in members:
        if member.get("pid"):
            _stop_pid(member["pid"], grace=1.0)
            stopped.append(member["name"])
    (Path(directory) / DESCRIPTION).unlink()
    return {"stopped": stopped}
