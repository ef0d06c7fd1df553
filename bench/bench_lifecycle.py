"""Models per second through the whole job lifecycle on the marketplace chaincode.

One "model" is one honest training job from request to settlement: ``request_training``,
``grant_access``, ``accept_job``, ``confirm_inputs``, ``submit_result``, ``accept_result``
— six transactions (one dataset, one vendor; the calls of
``reference/clients/lifecycle_workload.py``, the workload ``aimarket network bench`` runs
through the network of processes). Every transaction is endorsed, ordered,
validated and committed by the embedded Fabric-style ledger (``reference/ledger``) with
the MAJORITY endorsement policy over four organisations (3 endorsements), every signature
really verified (creator, endorsements, orderer, MSP certificates, and in ``grant_access``
the owner's ECDSA delivery receipt inside the chaincode).

Figures, for networks of 12 and 24 peers, measured in the same run:

1. **whole simulated network** — wall-clock models/s with every peer, the orderer and
   every client in this one process (all peers share this machine's cores);
2. **one peer** — what a network of one peer per machine sustains: a fresh peer
   validates and commits the run's blocks (timed; best of three fresh peers), plus its
   share of the endorsement work (the time all peers spent endorsing, divided by the
   number of peers);
3. **signature-verification bound** — ECDSA P-256 verifications per second measured
   here, divided by the verifications one model needs (network-wide for figure 1, at one
   peer for figure 2), and each figure's ratio to its bound.

Precisely, for the one-peer figure at ``P`` peers and ``M`` models:

* figure = ``M / (T_commit + T_endorse / P)`` models/s, where ``T_commit`` is the wall time
  the fastest of three fresh observer peers took to validate and commit the run's
  lifecycle blocks (already ordered; phase 1 of validation, signatures included, on a
  ``ValidatorPool`` of ``workers`` processes, the next block checked while the last one
  commits; decision 0085) and ``T_endorse`` the wall time all ``P`` peers spent in
  ``process_proposals`` during the lifecycle (one peer's share is ``1/P`` of it);
* bound = ``V / v``, where ``V`` is ECDSA P-256 verifications per second on ``workers``
  threads (best of three one-second runs before the networks are built) and ``v = 6 x 4
  + (6 x 3 + 3) / P`` the verifications one peer makes per model (creator and three
  endorsements of each of six transactions; its share of the proposal checks and of the
  owner's receipt checked by ``grant_access``'s three endorsers);
* ratio = figure / bound; ``ratio_to_adjacent_bound`` divides by ``V`` measured once
  more (best of three 0.3-second runs) right before the fastest observer ran, so both sides of the ratio
  saw the same load on this shared machine.

Each figure is given in wall-clock time (what this machine delivered, disturbed by any
other load on it) and in CPU time per model (what the work costs, stable under load),
the latter beside the CPU time its signature verifications alone take (an observer's CPU
time is this process's, WAL checkpoint thread included, plus its pool workers').

Excluded from the ledger figures and measured separately: training (the vendors' work;
all jobs here commit the transcript of one honest run computed beforehand), and the
clients' off-chain cryptography (dataset encryption, key wrapping, receipt signing,
precomputed per job). Parties are disjoint per concurrent job, so jobs never conflict.

Settings: ``AIMARKET_BENCH_LIFECYCLE_JOBS`` (jobs in flight per wave, default 150),
``AIMARKET_BENCH_LIFECYCLE_WAVES`` (default 2), ``AIMARKET_BENCH_WORKERS`` (default 2).
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
from reference.clients.crypto import canonical_json
from reference.clients.lifecycle_workload import (
    ORGANISATIONS,
    TRANSACTIONS_PER_MODEL,
    Call,
    LifecycleWorkload,
)
from reference.ledger import BatchConfig, FakeClock, Network, Peer, TxValidationCode
from reference.ledger.crypto import SigningKey, load_public_key, verify
from reference.ledger.validator_pool import ValidatorPool
from reference.training import make_recipe, prepare_breast_cancer, run_training

ENDORSEMENTS = len(ORGANISATIONS) // 2 + 1  # MAJORITY
ORIGINAL_MODELS_PER_S = {12: 70, 24: 30}
START_TIME = 1_700_000_000
OBSERVERS = 3
"""Fresh peers that validate and commit the run's blocks; the fastest one is reported (the
machine is shared with other work, so the least disturbed of three is the best estimate)."""


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def verify_rate(threads: int, seconds: float = 1.0, repeats: int = 3) -> float:
    """ECDSA P-256 / SHA-256 verifications per second on ``threads`` threads (best of
    ``repeats`` runs: the machine is shared, the best run is the least disturbed)."""
    return max(_verify_rate_once(threads, seconds) for _ in range(repeats))


def _verify_rate_once(threads: int, seconds: float) -> float:
    key = SigningKey.generate()
    public_key = load_public_key(key.public_key_bytes)
    message = os.urandom(512)
    signature = key.sign(message)

    def work(deadline: float) -> int:
        count = 0
        while time.perf_counter() < deadline:
            for _ in range(100):
                verify(public_key, signature, message)
            count += 100
        return count

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(work, [start + seconds] * threads))
    return total / (time.perf_counter() - start)


def verify_cpu_us(count: int = 2000, repeats: int = 3) -> float:
    """CPU microseconds per ECDSA P-256 verification on one thread (best of ``repeats``)."""
    key = SigningKey.generate()
    public_key = load_public_key(key.public_key_bytes)
    message = os.urandom(512)
    signature = key.sign(message)
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(count):
            verify(public_key, signature, message)
        best = min(best, (time.process_time() - start) / count * 1e6)
    return best


def training_rate() -> dict[str, Any]:
    """Honest training of the default recipe (T = 224) and its transcript root, one core."""
    prepared = prepare_breast_cancer()
    recipe = make_recipe()
    runs = 5
    start = time.perf_counter()
    for _ in range(runs):
        run = run_training(recipe, prepared)
        run.transcript.root  # the commitment a vendor computes
    seconds = (time.perf_counter() - start) / runs
    return {"steps": run.transcript.step_count, "ms_per_model": round(seconds * 1000, 1),
            "models_per_s_one_core": round(1 / seconds, 1)}


class LifecycleBench:
    def __init__(self, root: Path, peers: int, jobs: int, workers: int):
        self.peers = peers
        self.jobs = jobs
        self.clock = FakeClock(float(START_TIME))
        self.network = Network.create(root, peers=peers, orgs=ORGANISATIONS, clock=self.clock,
                                      workers=workers,
                                      batch=BatchConfig(max_message_count=500))
        self.network.install_chaincode(CHAINCODE_NAME, MarketplaceChaincode)
        self.workers = workers
        self.now = START_TIME
        self.endorsing_seconds = 0.0
        self.endorsing_cpu_seconds = 0.0
        for peer in self.network.peers:
            self._time_endorsements(peer)

    def _time_endorsements(self, peer: Peer) -> None:
        original = peer.process_proposals

        def timed(*args, **kwargs):
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.endorsing_seconds += time.perf_counter() - start
                self.endorsing_cpu_seconds += time.process_time() - start_cpu

        peer.process_proposals = timed  # type: ignore[method-assign]

    def submit_phase(self, calls: list[Call]) -> None:
        """Endorse every call, broadcast them all, cut the blocks; all must be VALID."""
        self.now += 1
        self.clock.advance(1)  # the ledger's clock moves with the stamps (trusted time)
        network = self.network
        pending = []
        for identity, function, args in calls:
            client = network.client(identity)
            endorsed = client.endorse(CHAINCODE_NAME, function, [canonical_json(args)],
                                      timestamp=self.now)
            if endorsed.failure is not None:
                raise RuntimeError(f"{function} by {identity.name}: {endorsed.failure.message}")
            pending.append(client.submit_endorsed(endorsed))
        network.flush()
        for handle in pending:
            result = handle.result()
            if result.code != TxValidationCode.VALID:
                raise RuntimeError(f"transaction {result.tx_id} is {result.code}")

    # -- untimed setup --------------------------------------------------------------------

    def set_up(self, waves: int) -> None:
        """The market and ``jobs`` parties (registered, funded, a dataset, a model and a
        vendor offer each), and the honest training run every vendor submits."""
        network = self.network
        self.workload = LifecycleWorkload(
            network.admins["MarketOrg"], network.enroll("MarketOrg", "treasury", "treasury"),
            network.enroll, self.jobs, models_per_party=waves)
        self.steps = self.workload.steps
        for phase in self.workload.setup_phases(self.now):
            self.submit_phase(phase)

    # -- the timed lifecycle ----------------------------------------------------------------

    def lifecycle(self, wave: int) -> None:
        """Every party's next model, the six steps each a phase over all parties; the
        owners' off-chain work (key wrapping, receipts) is done before the clock starts."""
        plans = [self.workload.model_steps(party, f"job{party.index}-{wave}")
                 for party in self.workload.parties]
        start, start_cpu = time.perf_counter(), time.process_time()
        for step in range(TRANSACTIONS_PER_MODEL):
            self.submit_phase([plan[step] for plan in plans])
        self.timed_seconds += time.perf_counter() - start
        self.timed_cpu_seconds += time.process_time() - start_cpu

    def run(self, waves: int) -> dict[str, Any]:
        self.set_up(waves)
        network = self.network
        genesis = network.orderer.get_block(0)
        # phase 1 of validation (decoding, checks, signatures) on a pool of worker
        # processes, as Fabric's validator pool spreads it over the cores; it lives as long
        # as the observers and, like theirs, its caches (identities) are warmed untimed on
        # the setup blocks
        pool = ValidatorPool(self.workers) if self.workers > 1 else None
        observers = []
        commit_times, commit_cpu_times, adjacent_verify_rates = [], [], []
        try:
            for number in range(OBSERVERS):
                observer = Peer(f"observer{number}", network.peers[0].identity,
                                network.directory / f"observer{number}", genesis, "NORMAL")
                observer.catch_up(network.orderer, pool=pool)  # the setup blocks, untimed
                observers.append(observer)
            # one more observer validates the previous way, for comparison in the same run:
            # phase 1 on this thread, the verifications on a pool of threads
            inline = Peer("observer-inline", network.peers[0].identity,
                          network.directory / "observer-inline", genesis, "NORMAL")
            inline.catch_up(network.orderer)
            first_lifecycle_block = observers[0].height
            self.timed_seconds = self.timed_cpu_seconds = 0.0
            self.endorsing_seconds = self.endorsing_cpu_seconds = 0.0
            for wave in range(waves):
                self.lifecycle(wave)
            for observer in observers:
                # the baseline once more, right before this observer, on the same threads:
                # the machine is shared, so a ratio compares figures measured under the
                # same load
                adjacent_verify_rates.append(verify_rate(self.workers, seconds=0.3,
                                                         repeats=3))
                pool_cpu = 0.0 if pool is None else pool.worker_cpu_seconds
                start, start_cpu = time.perf_counter(), time.process_time()
                observer.catch_up(network.orderer, pool=pool)
                commit_times.append(time.perf_counter() - start)
                # the CPU of this process (checkpoint thread included) and of the workers
                commit_cpu_times.append(time.process_time() - start_cpu + (
                    0.0 if pool is None else pool.worker_cpu_seconds - pool_cpu))
            threads = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
            start, start_cpu = time.perf_counter(), time.process_time()
            inline.catch_up(network.orderer, threads, self.workers)
            inline_seconds = time.perf_counter() - start
            inline_cpu_seconds = time.process_time() - start_cpu
            if threads is not None:
                threads.shutdown()
            inline.close()
        finally:
            if pool is not None:
                pool.close()
        transactions = sum(len(block.data) for block in
                           observers[0].store.iter_blocks(first_lifecycle_block))
        for observer in observers:
            observer.close()
        models = self.jobs * waves
        assert transactions == models * TRANSACTIONS_PER_MODEL
        return {"models": models, "transactions": transactions,
                "network_seconds": self.timed_seconds, "network_cpu_seconds": self.timed_cpu_seconds,
                "commit_seconds": min(commit_times), "commit_seconds_all": commit_times,
                "verify_rate_next_to_fastest": adjacent_verify_rates[
                    commit_times.index(min(commit_times))],
                "commit_cpu_seconds": min(commit_cpu_times),
                "inline_commit_seconds": inline_seconds,
                "inline_commit_cpu_seconds": inline_cpu_seconds,
                "endorsing_seconds": self.endorsing_seconds,
                "endorsing_cpu_seconds": self.endorsing_cpu_seconds}

    def close(self) -> None:
        self.network.close()


def figures(peers: int, measured: dict[str, Any], verifies_per_s: float,
            verify_cpu_us: float) -> dict[str, Any]:
    """Wall-clock rates (what this shared machine gave) and CPU-time rates per core (what
    the work costs, independent of the other load on the machine), each beside its
    signature-verification bound."""
    models = measured["models"]
    per_tx_at_peer = 1 + ENDORSEMENTS  # creator + endorsements, at every committing peer
    # network-wide per model: orderer checks each envelope (1), each endorser the proposal
    # (E), every peer the creator and every endorsement (peers * (1 + E)), and the E
    # endorsers of grant_access the owner's delivery receipt (E)
    network_verifications = (TRANSACTIONS_PER_MODEL * (1 + ENDORSEMENTS + peers * per_tx_at_peer)
                             + ENDORSEMENTS)
    peer_verifications = (TRANSACTIONS_PER_MODEL * per_tx_at_peer
                          + (TRANSACTIONS_PER_MODEL * ENDORSEMENTS + ENDORSEMENTS) / peers)
    network_rate = models / measured["network_seconds"]
    peer_seconds = measured["commit_seconds"] + measured["endorsing_seconds"] / peers
    peer_rate = models / peer_seconds
    network_cpu_ms = measured["network_cpu_seconds"] / models * 1000
    peer_cpu_ms = (measured["commit_cpu_seconds"]
                   + measured["endorsing_cpu_seconds"] / peers) / models * 1000
    network_verify_ms = network_verifications * verify_cpu_us / 1000
    peer_verify_ms = peer_verifications * verify_cpu_us / 1000
    original = ORIGINAL_MODELS_PER_S[peers]
    return {
        "peers": peers,
        "organisations": len(ORGANISATIONS),
        "policy": f"MAJORITY ({ENDORSEMENTS} of {len(ORGANISATIONS)} organisations)",
        "models": models,
        "transactions_per_model": TRANSACTIONS_PER_MODEL,
        "whole_network": {
            "models_per_s": round(network_rate, 1),
            "signature_verifications_per_model": network_verifications,
            "signature_bound_models_per_s": round(verifies_per_s / network_verifications, 1),
            "ratio_to_bound": round(network_rate * network_verifications / verifies_per_s, 3),
            "cpu_ms_per_model": round(network_cpu_ms, 2),
            "models_per_cpu_second": round(1000 / network_cpu_ms, 1),
            "signature_bound_models_per_cpu_second": round(1000 / network_verify_ms, 1),
            "verification_share_of_cpu": round(network_verify_ms / network_cpu_ms, 3),
        },
        "one_peer": {
            "models_per_s": round(peer_rate, 1),
            "validate_commit_models_per_s": round(models / measured["commit_seconds"], 1),
            "validate_commit_seconds_each_observer": [
                round(seconds, 2) for seconds in measured["commit_seconds_all"]],
            "validate_commit_without_pool": {
                "models_per_s": round(models / measured["inline_commit_seconds"], 1),
                "cpu_ms_per_model": round(
                    measured["inline_commit_cpu_seconds"] / models * 1000, 3)},
            "validate_commit_cpu_ms_per_model": round(
                measured["commit_cpu_seconds"] / models * 1000, 3),
            "endorsement_share_ms_per_model": round(
                measured["endorsing_seconds"] / peers / models * 1000, 3),
            "endorsement_share_cpu_ms_per_model": round(
                measured["endorsing_cpu_seconds"] / peers / models * 1000, 3),
            "signature_verifications_per_model": round(peer_verifications, 2),
            "signature_bound_models_per_s": round(verifies_per_s / peer_verifications, 1),
            "ratio_to_bound": round(peer_rate * peer_verifications / verifies_per_s, 3),
            # the same ratio against the baseline measured right before the fastest observer
            "ratio_to_adjacent_bound": round(
                peer_rate * peer_verifications / measured["verify_rate_next_to_fastest"], 3),
            "cpu_ms_per_model": round(peer_cpu_ms, 3),
            "models_per_cpu_second": round(1000 / peer_cpu_ms, 1),
            "signature_bound_models_per_cpu_second": round(1000 / peer_verify_ms, 1),
            "verification_share_of_cpu": round(peer_verify_ms / peer_cpu_ms, 3),
            "original_system_models_per_s": original,
            "ratio_to_original": round(peer_rate / original, 1),
        },
    }


def run() -> dict[str, Any]:
    jobs = setting("AIMARKET_BENCH_LIFECYCLE_JOBS", 150)
    waves = setting("AIMARKET_BENCH_LIFECYCLE_WAVES", 2)
    workers = setting("AIMARKET_BENCH_WORKERS", 2)
    verifies_one = verify_rate(1)
    verifies_pool = verify_rate(workers)
    verify_cpu = verify_cpu_us()
    training = training_rate()
    print(f"baseline: ECDSA P-256 verify {verifies_one:,.0f}/s on 1 thread, "
          f"{verifies_pool:,.0f}/s on {workers} threads, {verify_cpu:.1f} CPU us each; "
          f"training (T = {training['steps']}) {training['ms_per_model']} ms per model on "
          f"one core", flush=True)
    results: dict[str, Any] = {
        "ecdsa_p256_verifies_per_s": {"1_thread": round(verifies_one),
                                      f"{workers}_threads": round(verifies_pool)},
        "ecdsa_p256_verify_cpu_us": round(verify_cpu, 2),
        "training_excluded_from_ledger_figures": training,
        "jobs_in_flight": jobs, "waves": waves, "workers": workers,
    }
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as directory:
        for peers in (12, 24):
            bench = LifecycleBench(Path(directory) / f"net-{peers}", peers, jobs, workers)
            try:
                measured = bench.run(waves)
            finally:
                bench.close()
            result = figures(peers, measured, verifies_pool, verify_cpu)
            results[f"network_{peers}_peers"] = result
            whole, peer = result["whole_network"], result["one_peer"]
            print(f"{peers} peers, {result['policy']}, {result['models']} models "
                  f"({TRANSACTIONS_PER_MODEL} tx each):\n"
                  f"  whole simulated network on this machine: {whole['models_per_s']} models/s "
                  f"(signature bound {whole['signature_bound_models_per_s']}, ratio "
                  f"{whole['ratio_to_bound']})\n"
                  f"  one peer per machine: {peer['models_per_s']} models/s (validate+commit "
                  f"{peer['validate_commit_models_per_s']}/s, endorsement share "
                  f"{peer['endorsement_share_ms_per_model']} ms/model; signature bound "
                  f"{peer['signature_bound_models_per_s']}, ratio {peer['ratio_to_bound']}; "
                  f"against the baseline measured next to it {peer['ratio_to_adjacent_bound']}); "
                  f"original system {peer['original_system_models_per_s']} models/s -> "
                  f"x{peer['ratio_to_original']}\n"
                  f"  in CPU time: one peer {peer['cpu_ms_per_model']} ms/model (validate+"
                  f"commit {peer['validate_commit_cpu_ms_per_model']} + endorsement share "
                  f"{peer['endorsement_share_cpu_ms_per_model']}) = "
                  f"{peer['models_per_cpu_second']} models per CPU second (signature bound "
                  f"{peer['signature_bound_models_per_cpu_second']}, verification "
                  f"{peer['verification_share_of_cpu']:.0%} of the CPU); whole network "
                  f"{whole['cpu_ms_per_model']} ms/model (verification "
                  f"{whole['verification_share_of_cpu']:.0%})\n"
                  f"  validate+commit on the validator pool {peer['validate_commit_models_per_s']}"
                  f"/s, {peer['validate_commit_cpu_ms_per_model']} CPU ms/model; without it "
                  f"(phase 1 on one thread, verifications on {workers} threads, one fresh peer "
                  f"right after) {peer['validate_commit_without_pool']['models_per_s']}/s, "
                  f"{peer['validate_commit_without_pool']['cpu_ms_per_model']} CPU ms/model",
                  flush=True)
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
