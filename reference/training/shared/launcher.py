"""Start the vendors' MPC processes on 127.0.0.1, bounded in time, and collect results.

:func:`run_parties` writes one configuration per vendor, starts ``m`` processes of
:mod:`.party`, waits for all of them at most ``timeout`` seconds and always stops every
process it started (on success, failure or timeout). :func:`replay` runs the referee's
offline re-execution of one step in a fresh process (MPyC's runtime is a process-wide
singleton, so the referee never shares a process with anything else).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 300.0


class PartyFailed(RuntimeError):
    """A vendor process failed or did not finish in time."""


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_parties(configs: list[dict[str, Any]], workdir: Path,
                timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
    """Run one process per configuration (``ports`` and ``out`` are filled in here)."""
    workdir.mkdir(parents=True, exist_ok=True)
    ports = free_ports(len(configs))
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for config in configs:
            pid = config["party"]
            config = {**config, "ports": ports, "out": str(workdir / f"result-{pid}.json")}
            path = workdir / f"config-{pid}.json"
            path.write_text(json.dumps(config))
            log = open(workdir / f"party-{pid}.log", "wb")
            logs.append(log)
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "reference.training.shared.party", str(path)],
                stdout=log, stderr=subprocess.STDOUT, env=_environment(), cwd=workdir))
        deadline = time.monotonic() + timeout
        while any(process.poll() is None for process in processes):
            for pid, process in enumerate(processes):
                code = process.poll()
                if code not in (None, 0):
                    logs[pid].flush()
                    tail = (workdir / f"party-{pid}.log").read_text(errors="replace")[-2000:]
                    raise PartyFailed(f"vendor process {pid} exited with {code}:\n{tail}")
            if time.monotonic() > deadline:
                raise PartyFailed(f"the vendor processes did not finish within {timeout:.0f} s")
            time.sleep(0.05)
        for pid, process in enumerate(processes):
            if process.returncode != 0:
                tail = (workdir / f"party-{pid}.log").read_text(errors="replace")[-2000:]
                raise PartyFailed(f"vendor process {pid} exited with {process.returncode}:\n{tail}")
        return [json.loads((workdir / f"result-{config['party']}.json").read_text())
                for config in configs]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def replay(view_value: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    """The referee re-executes one step from one vendor's view in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="aimarket-referee-") as directory:
        view_path, out_path = Path(directory) / "view.json", Path(directory) / "out.json"
        view_path.write_text(json.dumps(view_value))
        process = subprocess.Popen(
            [sys.executable, "-m", "reference.training.shared.party", "--replay",
             str(view_path), str(out_path)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_environment(), cwd=directory)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise PartyFailed(f"the referee's re-execution did not finish within {timeout:.0f} s") from None
        if process.returncode != 0:
            raise PartyFailed(f"the referee's re-execution failed:\n{output.decode(errors='replace')[-2000:]}")
        return json.loads(out_path.read_text())
