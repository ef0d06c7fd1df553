"""Ledger throughput: endorse -> order -> validate -> commit on in-process networks.

Measured in one run, so the figures compare across machines as ratios:

* the baseline: ECDSA P-256 verifications per second on this machine (one thread, and
  the thread pool the network uses);
* transactions per second through the whole flow on networks of 12 and 24 peers
  (MAJORITY endorsement policy, every signature really verified by every peer), next to
  the signature-verification bound = verifies/s / signature verifications per transaction;
* one peer's validate-and-commit rate (blocks already ordered), with SQLite
  ``synchronous=NORMAL`` and ``FULL``, next to its own signature bound;
* the cost of the atomic block commit alone under NORMAL and FULL.

Every transaction is a toy key-value ``put`` of a fresh key (no MVCC conflicts).
Settings: ``AIMARKET_BENCH_LEDGER_TX`` (transactions per network run, default 1500),
``AIMARKET_BENCH_LEDGER_ORGS`` (organisations, default 3), ``AIMARKET_BENCH_WORKERS``
(thread-pool size, default 2).
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reference.ledger import BatchConfig, FakeClock, Network, Peer, TxValidationCode
from reference.ledger.crypto import SigningKey, load_public_key, verify
from reference.ledger.policy import majority
from reference.ledger.store import BlockUpdates, PeerStore
from reference.ledger.testing import KeyValueChaincode

BLOCK_SIZE = 500  # Fabric's sample MaxMessageCount


def _setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def measure_verify_cpu_us(count: int = 3000) -> float:
    """CPU microseconds per ECDSA P-256 verification (process time, one thread)."""
    key = SigningKey.generate()
    public_key = load_public_key(key.public_key_bytes)
    message = os.urandom(600)
    signature = key.sign(message)
    start = time.process_time()
    for _ in range(count):
        verify(public_key, signature, message)
    return (time.process_time() - start) / count * 1e6


def measure_verify_rate(threads: int, seconds: float = 1.0) -> float:
    """ECDSA P-256 (SHA-256) verifications per second with ``threads`` threads."""
    key = SigningKey.generate()
    public_key = load_public_key(key.public_key_bytes)
    message = os.urandom(600)
    signature = key.sign(message)
    batch = 200

    def worker(deadline: float) -> int:
        done = 0
        while time.perf_counter() < deadline:
            for _ in range(batch):
                verify(public_key, signature, message)
            done += batch
        return done

    verify(public_key, signature, message)
    start = time.perf_counter()
    deadline = start + seconds
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(worker, [deadline] * threads))
    return total / (time.perf_counter() - start)


def _network(directory: Path, peers: int, orgs: int, workers: int,
             synchronous: str = "NORMAL") -> Network:
    network = Network.create(directory, peers=peers, orgs=orgs, clock=FakeClock(),
                             workers=workers, synchronous=synchronous,
                             batch=BatchConfig(max_message_count=BLOCK_SIZE))
    network.install_chaincode("kv", KeyValueChaincode)
    return network


def _submit(network: Network, prefix: str, count: int) -> tuple[float, float]:
    """Submit ``count`` puts in chunks of one block; (wall seconds, process CPU seconds)."""
    client = network.client(org=network.organisations[0], name="bench")
    start, start_cpu = time.perf_counter(), time.process_time()
    for chunk_start in range(0, count, BLOCK_SIZE):
        results = client.submit_many([
            ("kv", "put", [f"{prefix}{index}", b"v" * 64])
            for index in range(chunk_start, min(count, chunk_start + BLOCK_SIZE))])
        assert all(result.code == TxValidationCode.VALID for result in results)
    return time.perf_counter() - start, time.process_time() - start_cpu


def network_throughput(root: Path, peers: int, orgs: int, transactions: int,
                       workers: int, verify_rate: float,
                       verify_cpu_us: float) -> dict[str, float | int | str]:
    network = _network(root / f"net-{peers}", peers, orgs, workers)
    try:
        _submit(network, "warm", min(200, transactions))
        elapsed, cpu = _submit(network, "key", transactions)
    finally:
        network.close()
    endorsements = majority([f"Org{index}" for index in range(orgs)]).required
    # orderer's broadcast filter: 1; each endorser checks the proposal: E;
    # each peer checks the creator and every endorsement: peers * (1 + E)
    verifications = 1 + endorsements + peers * (1 + endorsements)
    rate = transactions / elapsed
    bound = verify_rate / verifications
    cpu_ms_per_tx = cpu / transactions * 1000
    return {"peers": peers, "organisations": orgs,
            "policy": f"MAJORITY ({endorsements} of {orgs} orgs)",
            "transactions": transactions, "tx_per_s": round(rate, 1),
            "signature_verifications_per_tx": verifications,
            "signature_bound_tx_per_s": round(bound, 1),
            "ratio_to_signature_bound": round(rate / bound, 3),
            "cpu_ms_per_tx": round(cpu_ms_per_tx, 3),
            # share of the process's CPU time that is signature verification: the same
            # ratio measured in CPU time, which is not disturbed by other load on the host
            "verification_share_of_cpu": round(
                verifications * verify_cpu_us / 1000 / cpu_ms_per_tx, 3)}


def single_peer_rate(root: Path, orgs: int, transactions: int, workers: int,
                     verify_rates: dict[int, float]) -> dict[str, object]:
    """One peer validating and committing pre-ordered blocks, NORMAL vs FULL."""
    source = _network(root / "source", 3, orgs, workers=1)
    try:
        _submit(source, "key", transactions)
        genesis = source.orderer.get_block(0)
        identity = source.peers[0].identity
        results: dict[str, object] = {}
        endorsements = majority([f"Org{index}" for index in range(orgs)]).required
        per_tx = 1 + endorsements
        for synchronous in ("NORMAL", "FULL"):
            for threads in sorted({1, workers}):
                peer = Peer(f"{synchronous}-{threads}", identity,
                            root / f"peer-{synchronous}-{threads}", genesis, synchronous)
                pool = ThreadPoolExecutor(threads) if threads > 1 else None
                start = time.perf_counter()
                peer.catch_up(source.orderer, pool, threads)
                elapsed = time.perf_counter() - start
                if pool is not None:
                    pool.shutdown()
                committed = sum(len(block.data) for block in peer.store.iter_blocks(2))
                peer.close()
                rate = committed / elapsed
                bound = verify_rates[threads] / per_tx
                results[f"{synchronous}, {threads} thread(s)"] = {
                    "tx_per_s": round(rate, 1),
                    "signature_bound_tx_per_s": round(bound, 1),
                    "ratio_to_signature_bound": round(rate / bound, 3)}
        results["signature_verifications_per_tx"] = per_tx
        return results
    finally:
        source.close()


def commit_cost(root: Path, blocks: int = 40, writes: int = BLOCK_SIZE) -> dict[str, float]:
    """Milliseconds per atomic block commit (``writes`` state rows) by synchronous mode."""
    from reference.ledger.block import Block, BlockHeader

    costs = {}
    for synchronous in ("NORMAL", "FULL"):
        store = PeerStore(root / f"commit-{synchronous}.sqlite", synchronous)
        start = time.perf_counter()
        for number in range(blocks):
            header = BlockHeader(number, store.last_header_hash, b"\0" * 32)
            updates = BlockUpdates(
                state_puts=[("kv", f"k{number}-{index}", b"v" * 64, number, index)
                            for index in range(writes)],
                history=[("kv", f"k{number}-{index}", number, index, b"v" * 64, 0)
                         for index in range(writes)],
                transactions=[(f"{number}-{index}", number, index, 0)
                              for index in range(writes)])
            store.commit_block(Block(header, ()), updates)
        costs[f"{synchronous}_ms_per_block"] = round(
            (time.perf_counter() - start) / blocks * 1000, 2)
        store.close()
    return costs


def run() -> dict[str, object]:
    transactions = _setting("AIMARKET_BENCH_LEDGER_TX", 1500)
    orgs = _setting("AIMARKET_BENCH_LEDGER_ORGS", 3)
    workers = _setting("AIMARKET_BENCH_WORKERS", 2)
    verify_one = measure_verify_rate(1)
    verify_pool = measure_verify_rate(workers)
    verify_cpu_us = measure_verify_cpu_us()
    print(f"baseline: ECDSA P-256 verify {verify_one:,.0f}/s on 1 thread, "
          f"{verify_pool:,.0f}/s on {workers} threads, {verify_cpu_us:.1f} CPU us each",
          flush=True)
    results: dict[str, object] = {
        "ecdsa_p256_verifies_per_s": {"1_thread": round(verify_one),
                                      f"{workers}_threads": round(verify_pool)},
        "ecdsa_p256_verify_cpu_us": round(verify_cpu_us, 2),
        "workers": workers,
        "block_size": BLOCK_SIZE,
    }
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as directory:
        root = Path(directory)
        for peers in (12, 24):
            count = transactions if peers == 12 else max(BLOCK_SIZE, transactions * 2 // 3)
            figures = network_throughput(root, peers, orgs, count, workers, verify_pool,
                                         verify_cpu_us)
            results[f"network_{peers}_peers"] = figures
            print(f"{peers} peers / {orgs} orgs, {figures['policy']}: "
                  f"{figures['tx_per_s']} tx/s; signature bound "
                  f"{figures['signature_bound_tx_per_s']} tx/s "
                  f"({figures['signature_verifications_per_tx']} verifications/tx); "
                  f"ratio {figures['ratio_to_signature_bound']}; "
                  f"{figures['cpu_ms_per_tx']} CPU ms/tx of which verification "
                  f"{figures['verification_share_of_cpu']:.0%}", flush=True)
        single = single_peer_rate(root, orgs, transactions, workers,
                                  {1: verify_one, workers: verify_pool})
        results["single_peer_validate_commit"] = single
        for label, peer_figures in single.items():
            if isinstance(peer_figures, dict):
                print(f"one peer validate+commit, {label}: {peer_figures['tx_per_s']} tx/s "
                      f"(signature bound {peer_figures['signature_bound_tx_per_s']} tx/s, "
                      f"ratio {peer_figures['ratio_to_signature_bound']})", flush=True)
        costs = commit_cost(root)
        results["block_commit"] = costs
        print(f"atomic commit of a {BLOCK_SIZE}-write block: NORMAL "
              f"{costs['NORMAL_ms_per_block']} ms, FULL {costs['FULL_ms_per_block']} ms "
              f"(ratio {costs['FULL_ms_per_block'] / costs['NORMAL_ms_per_block']:.2f})",
              flush=True)
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
