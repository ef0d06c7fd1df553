"""A Caliper-style benchmark of the multi-process network: ``run_bench(directory, peers)``.

The workload is the marketplace lifecycle (``reference/clients/lifecycle_workload.py``):
one *model* is the six transactions of one honest training job on the marketplace
chaincode — request, grant, accept, confirm, submit the result, accept it — each endorsed
under the channel's MAJORITY policy over four organisations (3 endorsements), ordered on
etcd, validated and committed by every peer process; a step is sent once the previous one
has committed at the client's home peer. The parties (one owner, developer and vendor per
model in flight) are registered, funded and given a dataset, a model and a vendor offer
before the rounds, untimed.

For each send rate R (transactions per second), one round of ``R * seconds / 6`` models:
an open-loop scheduler *starts* a model every ``6 / R`` seconds, whatever the network's
progress, each on its own worker. Per round it reports what Hyperledger Caliper reports
(name, succeeded, failed, send rate, max / min / average latency, throughput — over the
round's transactions), plus p50 / p95 / p99 latency, ``models_per_s`` (models whose six
transactions all committed VALID, divided by the round's span from the first send to the
last commit) and the CPU time the whole network (every peer, orderer, etcd member and the
client) spent per transaction and per model.

Every process shares this machine's cores, so wall figures measure this machine; a
multi-machine deployment gives each peer its own cores (the CPU figures say how much
each would need) and adds real network latency, which the latency model simulates.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from reference.chaincode.contract import CHAINCODE_NAME
from reference.clients.crypto import canonical_json
from reference.clients.lifecycle_workload import (
    ORGANISATIONS,
    TRANSACTIONS_PER_MODEL,
    Call,
    LifecycleWorkload,
    ModelRun,
    party_enrolments,
    run_model,
)
from reference.ledger import BatchConfig
from reference.ledger.client import Client
from reference.ledger.identity import Identity
from reference.network import launcher
from reference.network.gateway import RemoteNetwork
from reference.network.latency import LatencyModel
from reference.network.node import load_identity

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETUP_CONCURRENCY = 32
WARM_UP_MODELS = 2


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return total


def _pids(description: dict) -> list[int]:
    pids = [node["pid"] for kind in ("peers", "orderers") for node in description[kind]]
    etcd_file = Path(description["directory"]) / "etcd" / "cluster.json"
    members = json.loads(etcd_file.read_text())["members"]
    return pids + [member["pid"] for member in members if member.get("pid")]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


class MarketplaceDriver:
    """Submits marketplace calls through the gateway, each as its own identity."""

    def __init__(self, remote: RemoteNetwork) -> None:
        self.remote = remote
        self.failures: list[str] = []

    def submit(self, identity: Identity, function: str, args: dict[str, Any]) -> bool:
        result = Client(self.remote, identity).submit(CHAINCODE_NAME, function,
                                                      [canonical_json(args)])
        if not result.ok:
            self.failures.append(f"{function} by {identity.name}: "
                                 f"{result.code.name if result.code is not None else result.status}"
                                 f" {result.message}".rstrip())
        return result.ok

    def set_up(self, phases: list[list[Call]]) -> None:
        """Every setup phase, its calls concurrently; each call must commit VALID."""
        with ThreadPoolExecutor(SETUP_CONCURRENCY) as pool:
            for phase in phases:
                outcomes = list(pool.map(lambda call: self.submit(*call), phase))
                if not all(outcomes):
                    raise RuntimeError(f"setup failed: {self.failures[-1]}")


def run_round(driver: MarketplaceDriver, workload: LifecycleWorkload, name: str, rate: float,
              models: int, pids: list[int]) -> dict:
    """One round: ``models`` lifecycles started at ``rate / 6`` per second (see above)."""
    interval = TRANSACTIONS_PER_MODEL / rate
    plans = [workload.model_steps(workload.parties[index], f"job{index}-{name}")
             for index in range(models)]
    failures_before = len(driver.failures)
    cpu_before = _cpu_seconds(pids) + time.process_time()
    start = time.monotonic()
    futures = []
    with ThreadPoolExecutor(max(1, models)) as pool:
        for index, steps in enumerate(plans):
            pause = start + index * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            futures.append(pool.submit(run_model, steps, driver.submit))
        runs: list[ModelRun] = [future.result() for future in futures]
    cpu = _cpu_seconds(pids) + time.process_time() - cpu_before
    return round_figures(name, rate, models, runs, cpu, driver.failures[failures_before:])


def round_figures(name: str, rate: float, models: int, runs: list[ModelRun], cpu: float,
                  failures: list[str]) -> dict:
    """The Caliper figures of a round from its models' step times."""
    latencies = [finished - sent for run in runs for sent, finished, ok in run.step_times if ok]
    succeeded = len(latencies)
    transactions = models * TRANSACTIONS_PER_MODEL
    completed = sum(1 for run in runs if run.completed)
    first = min((run.started for run in runs), default=0.0)
    span = max((run.finished for run in runs), default=first) - first
    starts = sorted(run.started for run in runs)
    start_span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    latency = ({key: round(value, 4) for key, value in (
        ("min", min(latencies)), ("avg", statistics.fmean(latencies)),
        ("max", max(latencies)), ("p50", _percentile(latencies, 0.50)),
        ("p95", _percentile(latencies, 0.95)), ("p99", _percentile(latencies, 0.99)))}
        if latencies else {key: None for key in ("min", "avg", "max", "p50", "p95", "p99")})
    return {
        "name": name,
        # transactions per second the models were started at (six per model)
        "send_rate": (round((len(starts) - 1) / start_span * TRANSACTIONS_PER_MODEL, 2)
                      if start_span > 0 else float(rate)),
        "succeeded": succeeded,
        "failed": transactions - succeeded,
        "throughput": round(succeeded / span, 2) if span > 0 else 0.0,
        "models": models,
        "models_completed": completed,
        "models_per_s": round(completed / span, 2) if span > 0 else 0.0,
        "latency": latency,
        "model_latency_avg": (round(statistics.fmean(run.finished - run.started
                                                     for run in runs if run.completed), 3)
                              if completed else None),
        "cpu_ms_per_tx": round(cpu / max(1, succeeded) * 1000, 2),
        "cpu_ms_per_model": round(cpu / max(1, completed) * 1000, 2),
        "wall_seconds": round(span, 2),
        "failures": failures[:3],
    }


def run_bench(directory: str | Path, peers: int, rates: list[float],
              seconds: float = 10.0, orderers: int = 2, latency: LatencyModel | None = None,
              progress: Callable[[str], None] = lambda message: None) -> dict:
    root = Path(directory)
    latency = latency or LatencyModel.none()
    models = [max(1, round(rate * seconds / TRANSACTIONS_PER_MODEL)) for rate in rates]
    parties = max([WARM_UP_MODELS, *models])
    description = launcher.up(root, peers=peers, orderers=orderers, orgs=ORGANISATIONS,
                              latency=latency, enrolments=party_enrolments(parties),
                              batch=BatchConfig(max_message_count=100, batch_timeout=0.25))
    rounds = []
    try:
        net = Path(description["net"])
        remote = RemoteNetwork.connect(description, load_identity(net, "MarketOrg", "client"))
        try:
            pids = _pids(description)
            progress(f"{peers} peers: training the model every vendor submits; setting up "
                     f"{parties} parties (untimed)")
            workload = LifecycleWorkload(
                load_identity(net, "MarketOrg", "admin"),
                load_identity(net, "MarketOrg", "treasury"),
                lambda org, name, role: load_identity(net, org, name),
                parties, models_per_party=len(rates) + 1)
            driver = MarketplaceDriver(remote)
            driver.set_up(workload.setup_phases(int(time.time())))
            run_round(driver, workload, "warm-up", 6.0, WARM_UP_MODELS, pids)
            for rate, count in zip(rates, models, strict=True):
                progress(f"{peers} peers: round at {rate:g} tx/s ({count} models, "
                         f"{count * TRANSACTIONS_PER_MODEL} transactions)")
                rounds.append(run_round(driver, workload, f"lifecycle@{rate:g}tps", rate,
                                        count, pids))
        finally:
            remote.close()
    finally:
        launcher.down(root)
    return {"peers": peers, "ordering": "etcd-raft", "etcd_members": len(description["etcd"]),
            "orderers": orderers, "organisations": ORGANISATIONS,
            "workload": "marketplace lifecycle (6 transactions per model)",
            "regions": latency.to_json(),
            "placement": {node["name"]: node["region"] for node in description["peers"]},
            "rounds": rounds, "cpu_count": os.cpu_count()}


# -- the report ---------------------------------------------------------------------------


def _figure_png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def write_report(results: list[dict], path: str | Path) -> Path:
    """A self-contained HTML file (plots inlined as PNG): per configuration, the Caliper
    table of rounds, and plots of throughput and latency against send rate, peer count
    and geography."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for result in results:
        label = f"{result['peers']} peers, {len(result['regions']['regions'])} region(s)"
        rates = [item["send_rate"] for item in result["rounds"]]
        left.plot(rates, [item["throughput"] for item in result["rounds"]], "o-", label=label)
        right.plot(rates, [item["latency"]["p50"] or 0 for item in result["rounds"]], "o-",
                   label=f"{label} p50")
        right.plot(rates, [item["latency"]["p95"] or 0 for item in result["rounds"]], "x--",
                   label=f"{label} p95")
    left.set(xlabel="send rate (tx/s)", ylabel="throughput (tx/s)", title="Throughput")
    right.set(xlabel="send rate (tx/s)", ylabel="latency (s)", title="Latency")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    plot = _figure_png(figure)
    plt.close(figure)
    sections = []
    for result in results:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in (
                item["name"], item["succeeded"], item["failed"], item["send_rate"],
                item["latency"]["max"], item["latency"]["min"], item["latency"]["avg"],
                item["throughput"], item["latency"]["p50"], item["latency"]["p95"],
                item["latency"]["p99"], item["models_per_s"], item["cpu_ms_per_tx"])) + "</tr>"
            for item in result["rounds"])
        regions = ", ".join(result["regions"]["regions"])
        sections.append(
            f"<h2>{result['peers']} peers, ordering {result['ordering']} "
            f"({result['etcd_members']} etcd members, {result['orderers']} orderers); "
            f"regions: {html.escape(regions)}</h2>"
            "<table><tr><th>Name</th><th>Succ</th><th>Fail</th><th>Send Rate (TPS)</th>"
            "<th>Max Latency (s)</th><th>Min Latency (s)</th><th>Avg Latency (s)</th>"
            "<th>Throughput (TPS)</th><th>p50 (s)</th><th>p95 (s)</th><th>p99 (s)</th>"
            "<th>models/s</th><th>CPU ms/tx</th></tr>" + rows + "</table>")
    document = (
        "<!doctype html><html><head><meta charset='utf-8'><title>aimarket network bench"
        "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
        "collapse}td,th{border:1px solid #999;padding:4px 8px;text-align:right}</style>"
        "</head><body><h1>aimarket network benchmark</h1>"
        f"<p>Every process ran on this machine ({results[0]['cpu_count']} cores shared by "
        "all peers, orderers, etcd members and the client): wall figures are this "
        "machine's; CPU ms/tx is what the whole network spends per transaction, which a "
        "deployment of one peer per machine spreads over the machines. Latency between "
        "regions is simulated in the transport. The workload is the marketplace "
        "lifecycle: models/s counts models whose six transactions all committed VALID."
        "</p>"
        f"<img alt='throughput and latency' src='data:image/png;base64,{plot}'>"
        + "".join(sections) + "</body></html>")
    target = Path(path)
    target.write_text(document)
    return target


