"""A Caliper-style benchmark of the multi-process network: ``run_bench(directory, peers)``.

For each send rate, one round: transactions (key-value ``put`` of a fresh key, endorsed
under the channel's MAJORITY policy) are *sent* at that fixed rate by an open-loop
scheduler — each on its own worker: endorse on the peers, broadcast to an orderer, wait
for the commit at the client's home peer — whatever the network's progress. Per round it
reports what Hyperledger Caliper reports (name, succeeded, failed, send rate, max / min /
average latency, throughput), plus p50 / p95 / p99 latency, models/s and the CPU time the
whole network (every peer, orderer, etcd member and the client) spent per transaction.

``models_per_s`` counts a model as the six transactions of one honest job's lifecycle
(request, grant, accept, confirm, submit, accept result: see ``bench/bench_lifecycle.py``);
here those six are key-value puts, so the figure is the ledger's rate in model-sized
units, not a run of the marketplace chaincode.

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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reference.ledger import BatchConfig
from reference.network import launcher
from reference.network.gateway import RemoteNetwork
from reference.network.latency import LatencyModel
from reference.network.node import load_identity

TRANSACTIONS_PER_MODEL = 6
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def run_round(remote: RemoteNetwork, name: str, rate: float, count: int, pids: list[int],
              prefix: str, concurrency: int = 64) -> dict:
    client = remote.client()
    sends: list[float] = [0.0] * count
    done: list[float] = [0.0] * count
    ok: list[bool] = [False] * count

    def one(index: int) -> None:
        sends[index] = time.monotonic()
        try:
            result = client.submit("kv", "put", [f"{prefix}-{index}", b"v" * 64])
            ok[index] = result.ok
        except Exception:  # noqa: BLE001 - a failed transaction, counted as failed
            ok[index] = False
        done[index] = time.monotonic()

    cpu_before = _cpu_seconds(pids) + time.process_time()
    start = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        for index in range(count):
            pause = start + index / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            pool.submit(one, index)
    cpu = _cpu_seconds(pids) + time.process_time() - cpu_before
    latencies = [done[index] - sends[index] for index in range(count) if ok[index]]
    succeeded = len(latencies)
    span = (max(done) - min(sends)) if count else 0.0
    send_span = max(sends) - min(sends) if count > 1 else 0.0
    throughput = succeeded / span if span > 0 else 0.0
    latency = ({key: round(value, 4) for key, value in (
        ("min", min(latencies)), ("avg", statistics.fmean(latencies)),
        ("max", max(latencies)), ("p50", _percentile(latencies, 0.50)),
        ("p95", _percentile(latencies, 0.95)), ("p99", _percentile(latencies, 0.99)))}
        if latencies else {key: None for key in ("min", "avg", "max", "p50", "p95", "p99")})
    return {
        "name": name,
        "send_rate": round((count - 1) / send_span, 2) if send_span > 0 else float(rate),
        "succeeded": succeeded,
        "failed": count - succeeded,
        "throughput": round(throughput, 2),
        "models_per_s": round(throughput / TRANSACTIONS_PER_MODEL, 2),
        "latency": latency,
        "cpu_ms_per_tx": round(cpu / max(1, succeeded) * 1000, 2),
        "cpu_ms_per_model": round(cpu / max(1, succeeded) * 1000 * TRANSACTIONS_PER_MODEL, 2),
        "wall_seconds": round(span, 2),
    }


def run_bench(directory: str | Path, peers: int, rates: list[float],
              seconds: float = 10.0, orderers: int = 2, latency: LatencyModel | None = None,
              progress=lambda message: None) -> dict:
    root = Path(directory)
    latency = latency or LatencyModel.none()
    description = launcher.up(root, peers=peers, orderers=orderers, latency=latency,
                              batch=BatchConfig(max_message_count=100, batch_timeout=0.25))
    rounds = []
    try:
        remote = RemoteNetwork.connect(
            description, load_identity(Path(description["net"]), "Org1", "client"))
        try:
            pids = _pids(description)
            run_round(remote, "warm-up", 10, 20, pids, "warm")
            for rate in rates:
                count = max(10, int(rate * seconds))
                progress(f"{peers} peers: round at {rate:g} tx/s ({count} transactions)")
                rounds.append(run_round(remote, f"kv-put@{rate:g}tps", rate, count, pids,
                                        f"r{rate:g}"))
        finally:
            remote.close()
    finally:
        launcher.down(root)
    return {"peers": peers, "ordering": "etcd-raft", "etcd_members": len(description["etcd"]),
            "orderers": orderers, "regions": latency.to_json(),
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
        "regions is simulated in the transport. models/s counts six transactions as one "
        "model's lifecycle (the transactions here are key-value puts).</p>"
        f"<img alt='throughput and latency' src='data:image/png;base64,{plot}'>"
        + "".join(sections) + "</body></html>")
    target = Path(path)
    target.write_text(document)
    return target


