"""The multi-process network through its commands: up/down, a gateway over gRPC, the
chaos run, the Caliper-style bench, the latency model and bad input."""

from __future__ import annotations

import json
import shutil

import pytest

from aimarket.cli import main
from reference.ledger import TxValidationCode
from reference.network import launcher
from reference.network.bench import run_bench, write_report
from reference.network.gateway import RemoteNetwork
from reference.network.latency import LatencyError, LatencyModel
from reference.network.node import load_identity

needs_etcd = pytest.mark.skipif(shutil.which("etcd") is None,
                                reason="etcd is not installed (Debian package etcd-server)")

REGIONS = {"regions": {"eu": {"eu": 1, "us": 80, "ap": 130},
                       "us": {"eu": 80, "us": 1, "ap": 190},
                       "ap": {"eu": 130, "us": 190, "ap": 1}},
           "orderers": "us", "clients": "eu"}


def _alive(pid: int) -> bool:
    return launcher._alive(pid)


@needs_etcd
def test_up_serves_a_gateway_and_down_stops_every_process(tmp_path, capsys):
    regions = tmp_path / "regions.json"
    regions.write_text(json.dumps(REGIONS))
    directory = tmp_path / "net"
    assert main(["network", "up", "--peers", "3", "--orderers", "2", "--dir", str(directory),
                 "--regions", str(regions), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    description = launcher.load(directory)
    pids = [node["pid"] for kind in ("peers", "orderers") for node in description[kind]]
    try:
        assert len(printed["etcd"]) == 3 and len(printed["orderers"]) == 2
        assert [peer["region"] for peer in printed["peers"]] == ["eu", "us", "ap"]
        assert all(peer["address"].startswith("127.0.0.1:") for peer in printed["peers"])
        remote = RemoteNetwork.connect(description, load_identity(directory / "net", "Org1",
                                                                  "client"))
        try:
            # the transport carries the model's round trips: client in eu, orderers in us
            assert [peer.remote.delay for peer in remote.peers] == [0.001, 0.08, 0.13]
            assert all(orderer.delay == 0.08 for orderer in remote.orderers)
            result = remote.client().submit("kv", "put", ["k", b"v"])
            assert result.code == TxValidationCode.VALID
        finally:
            remote.close()
    finally:
        assert main(["network", "down", "--dir", str(directory)]) == 0
    assert not any(_alive(pid) for pid in pids)
    assert not (directory / launcher.DESCRIPTION).exists()


@needs_etcd
def test_chaos_runs_lifecycles_through_the_faults_and_leaves_one_verified_chain(tmp_path,
                                                                               capsys):
    code = main(["network", "chaos", "--peers", "4", "--dir", str(tmp_path / "chaos"),
                 "--json"])
    report = json.loads(capsys.readouterr().out)
    assert [fault["kind"] for fault in report["faults"]] == [
        "etcd-leader-killed", "orderer-killed-restarted", "peer-killed-mid-commit"]
    assert all(fault["survived"] for fault in report["faults"]), report
    # what a fault caught in flight was retried (same envelope) and committed VALID
    assert all(fault["in_flight_committed"] == fault["in_flight"]
               for fault in report["faults"]), report
    assert (report["lost"], report["double_committed"], report["forks"], report["gaps"],
            report["peers_behind"]) == (0, 0, 0, 0, 0), report
    assert report["peers_verified"] == 4 and report["converged"], report
    # the load was the marketplace lifecycle: whole models completed, and every peer
    # holds the same world state, with each completed model's job SETTLED everywhere
    assert report["workload"].startswith("marketplace lifecycle")
    assert report["models_completed"] >= 1 and report["models_unsettled"] == 0, report
    assert report["committed"] >= 6 * report["models_completed"]
    assert report["jobs_settled_everywhere"] >= report["models_completed"]
    assert (report["state_diverged"], report["jobs_diverged"]) == (0, 0), report
    assert code == 0
    # the command's own check agrees: every peer directory verifies
    for peer in (tmp_path / "chaos" / "net" / "peers").iterdir():
        assert main(["ledger", "verify", str(peer), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["ok"]


@needs_etcd
def test_bench_runs_marketplace_lifecycles_and_reports_caliper_rounds(tmp_path):
    result = run_bench(tmp_path / "bench", peers=4, rates=[6.0], seconds=2, orderers=1,
                       latency=LatencyModel.from_json(REGIONS))
    assert result["ordering"] == "etcd-raft" and result["etcd_members"] == 3
    assert result["organisations"] == ["MarketOrg", "OwnersOrg", "DevelopersOrg", "VendorsOrg"]
    (round_result,) = result["rounds"]
    assert set(round_result) >= {"name", "send_rate", "succeeded", "failed", "throughput",
                                 "models_per_s", "latency", "cpu_ms_per_tx"}
    # two models of six marketplace transactions each, every one committed VALID
    assert round_result["models"] == 2 and round_result["failures"] == []
    assert round_result["succeeded"] == 12 and round_result["failed"] == 0
    assert round_result["models_completed"] == 2 and round_result["models_per_s"] > 0
    latency = round_result["latency"]
    assert latency["min"] <= latency["p50"] <= latency["p95"] <= latency["p99"] \
        <= latency["max"]
    # a client in eu reaches its endorsers and the orderers (us) across regions
    assert latency["min"] >= 0.08
    report = write_report([result], tmp_path / "report.html")
    text = report.read_text()
    assert "data:image/png;base64," in text and "Throughput (TPS)" in text
    assert not list((tmp_path / "bench").glob(launcher.DESCRIPTION))


def test_latency_model_rejects_bad_files(tmp_path):
    assert LatencyModel.from_json(REGIONS).rtt("eu", "ap") == 0.13
    with pytest.raises(LatencyError, match=r"regions.eu.ap"):
        LatencyModel.from_json({"regions": {"eu": {"eu": 1}, "ap": {"eu": 1, "ap": 1}}})
    with pytest.raises(LatencyError, match="orderers"):
        LatencyModel.from_json({**REGIONS, "orderers": "mars"})
    with pytest.raises(LatencyError, match="not JSON"):
        bad = tmp_path / "bad.json"
        bad.write_text("{")
        LatencyModel.load(bad)


@pytest.mark.parametrize("argv, field", [
    (["network", "up", "--peers", "2"], "--peers"),
    (["network", "down", "--dir", "/nonexistent/aimarket"], "--dir"),
    (["network", "bench", "--peers", "12", "--rate", "fast"], "--rate"),
    (["network", "bench", "--peers", "0"], "--peers"),
    (["network", "chaos", "--peers", "3"], "--peers"),  # four organisations
])
def test_bad_input_is_one_line_and_exit_2(argv, field, capsys):
    code: int | str | None
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and field in err


def test_the_gateway_asks_every_endorser_before_waiting_for_any():
    """``call_all`` (the gateway's endorsement) starts one gRPC future per endorser and only
    then collects the answers: endorsers work concurrently, as Fabric's gateway asks them."""
    from reference.network import rpc

    events: list[str] = []

    class FakeFuture:
        def __init__(self, name: str) -> None:
            self.name = name

        def result(self) -> bytes:
            events.append(f"wait {self.name}")
            return self.name.encode()

    class FakeRemote(rpc.Remote):
        def __init__(self, name: str, delay: float) -> None:  # no channel: calls are faked
            self.name, self.delay = name, delay

        def call_future(self, method: str, request: bytes = b"",
                        timeout: float | None = 30.0) -> FakeFuture:
            events.append(f"start {self.name}")
            return FakeFuture(self.name)

    # the nearest endorser is asked first; answers come back in the order asked for
    remotes = [FakeRemote("a", 0.002), FakeRemote("b", 0.0), FakeRemote("c", 0.001)]
    answers = rpc.call_all([(remote, "ProcessProposals", b"") for remote in remotes])
    assert answers == [b"a", b"b", b"c"]
    assert events == ["start b", "start c", "start a", "wait a", "wait b", "wait c"]


def test_round_figures_count_a_model_only_when_all_six_steps_committed():
    from reference.clients.lifecycle_workload import ModelRun
    from reference.network.bench import round_figures

    complete = ModelRun(0.0, [(float(step), step + 0.5, True) for step in range(6)])
    broken = ModelRun(1.0, [(1.0, 1.5, True), (1.5, 2.0, False)])
    figures = round_figures("r", 6.0, 2, [complete, broken], cpu=1.2, failures=["x"])
    assert figures["succeeded"] == 7 and figures["failed"] == 5
    assert figures["models_completed"] == 1
    assert figures["models_per_s"] == round(1 / 5.5, 2)  # first start 0.0, last commit 5.5
    assert figures["throughput"] == round(7 / 5.5, 2)
    assert figures["latency"]["min"] == 0.5 and figures["failures"] == ["x"]
