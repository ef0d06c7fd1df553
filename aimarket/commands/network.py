"""``aimarket network up|down|bench|chaos``: the ledger as a network of processes.

``up`` starts a 3-member etcd cluster (Raft), orderer processes that cut blocks through
it and one process per peer, on 127.0.0.1 ports, and prints where each listens; ``down``
stops them. ``bench`` runs a Caliper-style benchmark on a fresh network and writes a
self-contained HTML report; ``chaos`` kills the etcd leader, an orderer and a peer while
marketplace lifecycles run and checks that nothing forked, had a gap, diverged or was lost.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from aimarket.arguments import positive_int
from aimarket.errors import UsageError


def _peer_counts(text: str) -> list[int]:
    return [positive_int(part) for part in text.split(",")]


def _rates(text: str) -> list[float]:
    rates = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be numbers, got {part!r}") from None
        if not 0 < value <= 10_000:
            raise argparse.ArgumentTypeError(f"a send rate must be in (0, 10000], got {value}")
        rates.append(value)
    return rates


def _require_etcd() -> None:
    if shutil.which("etcd") is None:
        raise UsageError("etcd", "the etcd server is not installed (Debian package "
                                 "etcd-server)")


def _fresh_directory(directory: str | None, prefix: str) -> Path:
    if directory is None:
        return Path(tempfile.mkdtemp(prefix=prefix))
    path = Path(directory)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageError("--dir", f"{directory} exists and is not an empty directory")
    return path


def _latency(path: str | None):
    from reference.network.latency import LatencyError, LatencyModel

    if path is None:
        return None
    try:
        return LatencyModel.load(path)
    except LatencyError as error:
        raise UsageError("--regions", str(error)) from None


def _check_layout(peers: int, orgs: int) -> None:
    if peers < orgs:
        raise UsageError("--peers", f"{peers} peers cannot cover {orgs} organisations")


def up(args) -> int:
    _require_etcd()
    _check_layout(args.peers, args.orgs)
    root = _fresh_directory(args.dir, "aimarket-net-")
    latency = _latency(args.regions)
    from reference.network import launcher
    from reference.network.etcd import EtcdUnavailable

    existed = root.exists() and any(root.iterdir())
    try:
        description = launcher.up(root, peers=args.peers, orderers=args.orderers,
                                  orgs=args.orgs, latency=latency)
    except (launcher.LaunchError, EtcdUnavailable, OSError) as error:
        if not existed:  # up stopped what it started; leave nothing half-written
            shutil.rmtree(root, ignore_errors=True)
        print(f"aimarket: error: network up failed: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({
            "directory": str(root),
            "etcd": [member["client_url"] for member in description["etcd"]],
            "orderers": [{"name": node["name"], "address": node["address"]}
                         for node in description["orderers"]],
            "peers": [{"name": node["name"], "org": node["org"], "address": node["address"],
                       "region": node["region"]} for node in description["peers"]],
        }, indent=2))
        return 0
    print(f"network up in {root}")
    for member in description["etcd"]:
        print(f"  etcd     {member['name']:<14} {member['client_url']}")
    for node in description["orderers"]:
        print(f"  orderer  {node['name']:<14} {node['address']}")
    for node in description["peers"]:
        print(f"  peer     {node['name']:<14} {node['address']}  ({node['region']})")
    print(f"stop it with: aimarket network down --dir {root}")
    return 0


def down(args) -> int:
    from reference.network import launcher

    if not (Path(args.dir) / launcher.DESCRIPTION).exists():
        raise UsageError("--dir", f"{args.dir} holds no running network "
                                  f"({launcher.DESCRIPTION} not found)")
    stopped = launcher.down(args.dir)
    if args.json:
        print(json.dumps(stopped, indent=2))
    else:
        print(f"stopped {len(stopped['stopped'])} processes: {', '.join(stopped['stopped'])}")
    return 0


def bench(args) -> int:
    _require_etcd()
    for peers in args.peers:
        _check_layout(peers, 4)  # the marketplace's four organisations
    root = _fresh_directory(args.dir, "aimarket-bench-")
    latency = _latency(args.regions)
    from reference.network.bench import run_bench, write_report

    say = (lambda message: None) if args.json else (
        lambda message: print(message, file=sys.stderr, flush=True))
    results = []
    for peers in args.peers:
        results.append(run_bench(root / f"peers-{peers}", peers, args.rate, args.seconds,
                                 args.orderers, latency, progress=say))
    report = write_report(results, Path(args.report) if args.report else root / "report.html")
    for result in results:
        result["report"] = str(report)
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
        return 0
    for result in results:
        print(f"{result['peers']} peers, ordering {result['ordering']} "
              f"({result['etcd_members']} etcd members):")
        print(f"  {'round':<18} {'succ':>5} {'fail':>5} {'send/s':>8} {'tput/s':>8} "
              f"{'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'models/s':>9} {'CPU ms/tx':>10}")
        for item in result["rounds"]:
            latency_figures = item["latency"]
            print(f"  {item['name']:<18} {item['succeeded']:>5} {item['failed']:>5} "
                  f"{item['send_rate']:>8} {item['throughput']:>8} "
                  f"{latency_figures['p50'] or '-':>7} {latency_figures['p95'] or '-':>7} "
                  f"{latency_figures['p99'] or '-':>7} {item['models_per_s']:>9} "
                  f"{item['cpu_ms_per_tx']:>10}")
    print(f"report: {report}")
    return 0


def chaos(args) -> int:
    _check_layout(args.peers, 4)  # the marketplace's four organisations
    _require_etcd()
    root = _fresh_directory(args.dir, "aimarket-chaos-")
    from reference.network.chaos import chaos_ok, run_chaos

    say = (lambda message: None) if args.json else (
        lambda message: print(message, file=sys.stderr, flush=True))
    report = run_chaos(root, peers=args.peers, orderers=args.orderers, parties=args.parties,
                       progress=say)
    ok = chaos_ok(report)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if ok else 1
    for fault in report["faults"]:
        print(f"  {fault['kind']:<26} {'survived' if fault['survived'] else 'NOT SURVIVED'}")
    print(f"lifecycle transactions committed {report['committed']} (models completed "
          f"{report['models_completed']} of {report['models_started']} started), "
          f"re-sent envelopes {report['rebroadcasts']}")
    print(f"lost {report['lost']}, committed twice {report['double_committed']}, forks "
          f"{report['forks']}, gaps {report['gaps']}, world state diverged on "
          f"{report['state_diverged']} peer(s), jobs diverged {report['jobs_diverged']}, "
          f"peers verified {report['peers_verified']}/{report['peers']}, converged "
          f"{'yes' if report['converged'] else 'NO'}")
    for problem in report["problems"]:
        print(f"  problem: {problem}")
    print("chaos " + ("survived" if ok else "FAILED"))
    return 0 if ok else 1


def register(subparsers) -> None:
    parser = subparsers.add_parser("network", help="the ledger as a network of processes "
                                                   "(etcd Raft ordering, gRPC)")
    commands = parser.add_subparsers(dest="network_command", required=True)

    up_parser = commands.add_parser("up", help="start etcd, orderers and peers; print where "
                                               "each listens")
    up_parser.add_argument("--peers", type=positive_int, required=True)
    up_parser.add_argument("--orderers", type=positive_int, default=2)
    up_parser.add_argument("--orgs", type=positive_int, default=3)
    up_parser.add_argument("--dir", help="an empty or new directory (default: a new "
                                         "temporary one)")
    up_parser.add_argument("--regions", metavar="FILE", help="latency model (JSON)")
    up_parser.add_argument("--json", action="store_true")
    up_parser.set_defaults(run=up)

    down_parser = commands.add_parser("down", help="stop what up started")
    down_parser.add_argument("--dir", required=True)
    down_parser.add_argument("--json", action="store_true")
    down_parser.set_defaults(run=down)

    bench_parser = commands.add_parser("bench", help="Caliper-style rounds of marketplace "
                                                     "lifecycles at fixed send rates; HTML "
                                                     "report with plots")
    bench_parser.add_argument("--peers", type=_peer_counts, required=True,
                              help="peer count (at least 4, one per organisation), or several "
                                   "comma-separated (e.g. 12,24)")
    bench_parser.add_argument("--rate", type=_rates, default=[25.0, 50.0, 100.0],
                              help="send rates in tx/s, comma-separated (default 25,50,100); "
                                   "a model (six transactions) starts every 6/R s")
    bench_parser.add_argument("--seconds", type=positive_int, default=10,
                              help="length of each round (default 10)")
    bench_parser.add_argument("--orderers", type=positive_int, default=2)
    bench_parser.add_argument("--regions", metavar="FILE", help="latency model (JSON)")
    bench_parser.add_argument("--dir", help="working directory (default: a temporary one)")
    bench_parser.add_argument("--report", metavar="FILE", help="HTML report path "
                                                               "(default DIR/report.html)")
    bench_parser.add_argument("--json", action="store_true")
    bench_parser.set_defaults(run=bench)

    chaos_parser = commands.add_parser("chaos", help="kill the etcd leader, an orderer and "
                                                     "a peer under marketplace lifecycles; "
                                                     "audit the ledgers")
    chaos_parser.add_argument("--peers", type=positive_int, default=4,
                              help="peer count (at least 4, one per organisation)")
    chaos_parser.add_argument("--parties", type=positive_int, default=3,
                              help="parties running models concurrently (default 3)")
    chaos_parser.add_argument("--orderers", type=positive_int, default=2)
    chaos_parser.add_argument("--dir", help="working directory (default: a temporary one)")
    chaos_parser.add_argument("--json", action="store_true")
    chaos_parser.set_defaults(run=chaos)
