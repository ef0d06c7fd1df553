"""A local etcd cluster: members on 127.0.0.1 ports, started and stopped by the project.

    with EtcdCluster.start(directory, members=3) as cluster:
        client = cluster.client()          # an etcd3gw client to one member
        cluster.leader()                   # index of the current leader
        cluster.kill(index); cluster.restart(index)

Every member is an ``etcd`` process (Debian's ``etcd-server``, etcd 3.4) with its own data
directory under ``directory/etcd/<name>``, listening for clients and peers on free ports
of 127.0.0.1 only. ``start`` waits (bounded) until the cluster has a leader and answers;
``stop`` terminates every member (SIGTERM, then SIGKILL after a bounded wait).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# large enough for a block of 500 transactions of a few kilobytes each
MAX_REQUEST_BYTES = 32 * 1024 * 1024
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
TERM_GRACE = 1.0  # etcd tries a leadership transfer on SIGTERM; it need not finish


class EtcdUnavailable(RuntimeError):
    """etcd is not installed, or a cluster did not come up in time."""


def etcd_binary() -> str:
    """Path of the ``etcd`` server binary, or raise ``EtcdUnavailable``."""
    found = shutil.which("etcd")
    if found is None:
        raise EtcdUnavailable("the etcd server is not installed (Debian package etcd-server)")
    return found


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports of 127.0.0.1 that were free a moment ago."""
    sockets, ports = [], []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            ports.append(sock.getsockname()[1])
    finally:
        for sock in sockets:
            sock.close()
    return ports


@dataclass
class Member:
    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    process: subprocess.Popen | None = None
    killed: bool = False  # stopped on purpose (kill), so not an unexpected exit

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def to_json(self) -> dict:
        return {"name": self.name, "client_url": self.client_url, "peer_url": self.peer_url,
                "data_dir": str(self.data_dir),
                "pid": self.process.pid if self.process is not None else None}


class _Attached:
    """A ``Popen``-like handle on an etcd member started by another process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def _is_etcd(self) -> bool:
        try:
            command = Path(f"/proc/{self.pid}/cmdline").read_bytes().split(b"\0")[0]
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return command.endswith(b"etcd") and state != "Z"

    def poll(self) -> int | None:
        if self.returncode is None and not self._is_etcd():
            self.returncode = -1
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self._is_etcd():
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while self.poll() is None:
            try:
                os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"etcd {self.pid}", timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0


def _get_json(url: str, timeout: float = 2.0, body: bytes | None = None) -> dict:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read())


class EtcdCluster:
    """A cluster of etcd members on localhost (see the module docstring)."""

    def __init__(self, directory: Path, members: list[Member], token: str) -> None:
        self.directory = directory
        self.members = members
        self.token = token

    # -- life cycle ------------------------------------------------------------------------

    @classmethod
    def start(cls, directory: str | Path, members: int = 3,
              timeout: float = START_TIMEOUT) -> EtcdCluster:
        etcd_binary()
        root = Path(directory) / "etcd"
        root.mkdir(parents=True, exist_ok=True)
        ports = free_ports(2 * members)
        token = f"aimarket-{os.getpid()}-{time.time_ns()}"
        cluster = cls(root, [Member(f"etcd{index}", ports[2 * index], ports[2 * index + 1],
                                    root / f"etcd{index}") for index in range(members)],
                      token)
        try:
            for index in range(members):
                cluster._spawn(index, new=True)
            cluster.wait_ready(timeout)
        except BaseException:
            cluster.stop()
            raise
        cluster.write_description()
        return cluster

    def _initial_cluster(self) -> str:
        return ",".join(f"{member.name}={member.peer_url}" for member in self.members)

    def _spawn(self, index: int, new: bool) -> None:
        member = self.members[index]
        member.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / f"{member.name}.log", "ab")  # noqa: SIM115
        command = [
            etcd_binary(), "--name", member.name, "--data-dir", str(member.data_dir),
            "--listen-client-urls", member.client_url,
            "--advertise-client-urls", member.client_url,
            "--listen-peer-urls", member.peer_url,
            "--initial-advertise-peer-urls", member.peer_url,
            "--initial-cluster", self._initial_cluster(),
            "--initial-cluster-token", self.token,
            "--initial-cluster-state", "new" if new else "existing",
            "--max-request-bytes", str(MAX_REQUEST_BYTES),
            # short election timing: a local cluster notices a dead leader fast
            "--heartbeat-interval", "100", "--election-timeout", "1000",
            "--log-level", "warn", "--logger", "zap",
        ]
        try:
            member.process = subprocess.Popen(command, stdout=log, stderr=log,
                                              stdin=subprocess.DEVNULL,
                                              start_new_session=True)
        finally:
            log.close()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every running member answers and the cluster has a leader."""
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            for member in self.members:
                if (not member.killed and member.process is not None
                        and member.process.poll() is not None):
                    raise EtcdUnavailable(
                        f"etcd member {member.name} exited with code "
                        f"{member.process.returncode}; see {self.directory}/{member.name}.log")
            try:
                if self.leader() is not None and all(
                        self._health(member) for member in self.members if member.running):
                    return
            except (OSError, urllib.error.URLError, ValueError) as exc:
                last_error = str(exc)
            time.sleep(0.1)
        raise EtcdUnavailable(f"etcd cluster in {self.directory} not ready after "
                              f"{timeout:.0f} s ({last_error})")

    def _health(self, member: Member) -> bool:
        try:
            return _get_json(member.client_url + "/health").get("health") == "true"
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def status(self, index: int) -> dict:
        """The member's ``Maintenance.Status`` (raises if it does not answer)."""
        return _get_json(self.members[index].client_url + "/v3/maintenance/status", body=b"{}")

    def leader(self) -> int | None:
        """Index of the leader as the running members see it (None while there is none)."""
        ids = {}
        leader_id = None
        for index, member in enumerate(self.members):
            if not member.running:
                continue
            try:
                status = self.status(index)
            except (OSError, urllib.error.URLError, ValueError):
                continue
            ids[status["header"]["member_id"]] = index
            if status.get("leader") not in (None, "0"):
                leader_id = status["leader"]
        return ids.get(leader_id) if leader_id is not None else None

    def kill(self, index: int) -> None:
        """SIGKILL one member (a crash)."""
        member = self.members[index]
        if member.running:
            assert member.process is not None
            member.killed = True
            member.process.send_signal(signal.SIGKILL)
            member.process.wait(STOP_TIMEOUT)

    def restart(self, index: int, timeout: float = START_TIMEOUT) -> None:
        """Start a killed member again on its data directory and wait for the cluster."""
        if self.members[index].running:
            return
        self._spawn(index, new=False)
        self.members[index].killed = False
        self.wait_ready(timeout)
        self.write_description()

    def stop(self) -> None:
        """Terminate every member; bounded: SIGTERM, then SIGKILL."""
        for member in self.members:
            if member.running:
                assert member.process is not None
                member.killed = True
                member.process.terminate()
        for member in self.members:
            if member.process is None:
                continue
            try:
                member.process.wait(TERM_GRACE)
            except subprocess.TimeoutExpired:
                member.process.kill()
                member.process.wait(STOP_TIMEOUT)

    # -- clients ---------------------------------------------------------------------------

    @property
    def endpoints(self) -> list[str]:
        return [member.client_url for member in self.members]

    def client(self, index: int | None = None):
        """An ``etcd3gw`` client; by default to the first running member."""
        from reference.network.store import EtcdLog

        return EtcdLog.connect(self.endpoints if index is None
                               else [self.members[index].client_url])

    def write_description(self) -> None:
        (self.directory / "cluster.json").write_text(json.dumps(
            {"token": self.token, "members": [member.to_json() for member in self.members]},
            indent=2))

    @classmethod
    def attach(cls, directory: str | Path) -> EtcdCluster:
        """The cluster that ``start`` left running in ``directory`` (from cluster.json);
        its members can be killed, restarted and stopped from this process too."""
        root = Path(directory) / "etcd"
        saved = json.loads((root / "cluster.json").read_text())
        members = []
        for item in saved["members"]:
            member = Member(item["name"], int(item["client_url"].rsplit(":", 1)[1]),
                            int(item["peer_url"].rsplit(":", 1)[1]), Path(item["data_dir"]))
            if item.get("pid"):
                member.process = _Attached(item["pid"])  # type: ignore[assignment]
            members.append(member)
        return cls(root, members, saved["token"])

    def __enter__(self) -> EtcdCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
