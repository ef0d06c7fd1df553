"""Ordering on etcd: the cluster's life cycle, no fork and no gap when two orderers race,
and an embedded network that keeps committing through an etcd leader crash and an
orderer's death."""

from __future__ import annotations

import threading


from reference.ledger import BatchConfig, Invocation, Network, TxValidationCode, verify_ledger
from reference.ledger.block import Block
from reference.ledger.testing import KeyValueChaincode
from reference.network.etcd import EtcdCluster
from reference.network.ordering import (
    EtcdOrderer,
    EtcdOrderingService,
    block_key,
    decode_head,
    encode_head,
    etcd_ordering,
)

def _value(orderer: EtcdOrderer, key: str) -> bytes:
    found = orderer.log.get(key)
    assert found is not None, f"{key} missing"
    return found[0]


def _ordering(network: Network) -> EtcdOrderingService:
    assert isinstance(network.orderer, EtcdOrderingService)
    return network.orderer


def _genesis(network: Network) -> Block:
    genesis = network.orderer.get_block(0)
    assert genesis is not None
    return genesis


def _chain(orderer: EtcdOrderer) -> list[Block]:
    head = decode_head(_value(orderer, orderer.root + "head"))
    blocks = []
    for number in range(head["number"] + 1):
        found = orderer.log.get(block_key(orderer.root, number))
        assert found is not None, f"gap: block {number} missing below head {head['number']}"
        blocks.append(Block.decode(found[0]))
    return blocks


def _assert_one_chain(blocks: list[Block]) -> None:
    for number, block in enumerate(blocks):
        assert block.number == number
        if number:
            assert block.header.previous_hash == blocks[number - 1].header.hash()


def test_cluster_has_a_leader_survives_its_crash_and_stops(tmp_path):
    cluster = EtcdCluster.start(tmp_path, members=3)
    try:
        assert len({member.client_port for member in cluster.members}) == 3
        leader = cluster.leader()
        assert leader is not None
        log = cluster.client()
        assert log.create("/probe", b"before")
        cluster.kill(leader)
        cluster.wait_ready(20)
        new_leader = cluster.leader()
        assert new_leader is not None and new_leader != leader
        assert log.get("/probe")[0] == b"before"  # committed data survives the crash
        assert log.create("/probe2", b"after")
        cluster.restart(leader)
        assert all(member.running for member in cluster.members)
    finally:
        cluster.stop()
    assert not any(member.running for member in cluster.members)


def _network(tmp_path, cluster: EtcdCluster, orderers: int = 2) -> Network:
    network = Network.create(tmp_path / "net", peers=3, orgs=3,
                             ordering=etcd_ordering(cluster.endpoints, orderers),
                             batch=BatchConfig(max_message_count=20, batch_timeout=0.1))
    network.install_chaincode("kv", KeyValueChaincode)
    return network


def test_a_swap_on_a_stale_head_is_refused(tmp_path, etcd_cluster):
    network = _network(tmp_path, etcd_cluster, orderers=1)
    try:
        orderer = _ordering(network).orderers[0]
        stale = _value(orderer, orderer.root + "head")
        client = network.client(org="Org1", name="alice")
        assert client.submit("kv", "put", ["k", b"v"]).ok
        head = decode_head(_value(orderer, orderer.root + "head"))
        # a second orderer that still believes in the old head cannot write block n
        forged = encode_head(decode_head(stale)["number"] + 1, b"\x01" * 32, 10**9, head["time"])
        assert not orderer.log.swap(orderer.root + "head", stale,
                                    [(block_key(orderer.root, head["number"]), b"fork"),
                                     (orderer.root + "head", forged)])
        assert decode_head(_value(orderer, orderer.root + "head")) == head
        assert Block.decode(_value(orderer, block_key(orderer.root, head["number"])))
    finally:
        network.close()


def test_two_orderers_cutting_at_once_make_one_chain(tmp_path, etcd_cluster, monkeypatch):
    """Leases switched off: both orderers believe they lead and cut concurrently; the
    compare-and-swap alone must keep one chain holding every acknowledged message once."""
    network = _network(tmp_path, etcd_cluster, orderers=1)
    first = _ordering(network).orderers[0]
    genesis = _genesis(network)
    second = EtcdOrderer("orderer-b", first.identity, genesis, etcd_cluster.endpoints)
    try:
        for node in (first, second):
            monkeypatch.setattr(node, "_lead", lambda: True)
        second.start()
        client = network.client(org="Org1", name="alice")
        endorsed = client.endorse_many([Invocation("kv", "put", (f"k{index}", b"v"))
                                        for index in range(200)])
        acknowledged: list[bytes] = []
        lock = threading.Lock()

        def send(items):
            for item in items:
                assert item.envelope is not None
                response = (first if len(acknowledged) % 2 else second).broadcast(item.envelope)
                assert response.ok
                with lock:
                    acknowledged.append(item.envelope)

        threads = [threading.Thread(target=send, args=(endorsed[part::2],)) for part in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        network.flush()
        blocks = _chain(first)
        _assert_one_chain(blocks)
        ordered = [envelope for block in blocks[1:] for envelope in block.data]
        for envelope in acknowledged:
            assert ordered.count(envelope) == 1
        # every block but genesis was cut by exactly one of them (the config block included)
        assert first.blocks_cut + second.blocks_cut == len(blocks) - 1
        peer_hashes = {peer.store.last_header_hash for peer in network.peers}
        assert peer_hashes == {blocks[-1].header.hash()}
    finally:
        second.stop()
        network.close()


def test_network_survives_etcd_leader_crash_and_orderer_death(tmp_path, etcd_cluster):
    network = _network(tmp_path, etcd_cluster, orderers=2)
    try:
        client = network.client(org="Org1", name="alice")
        results = []
        for round_number in range(3):
            if round_number == 1:
                etcd_cluster.kill(etcd_cluster.leader())
            if round_number == 2:
                leader = next(node for node in _ordering(network).orderers if node.is_leader)
                leader.stop()
            results += client.submit_many([("kv", "put", [f"r{round_number}-{index}", b"v"])
                                           for index in range(40)])
        assert [result.code for result in results] == [TxValidationCode.VALID] * 120
        heights = {peer.height for peer in network.peers}
        hashes = {peer.store.last_header_hash for peer in network.peers}
        assert len(heights) == 1 and len(hashes) == 1
    finally:
        network.close()
    report = verify_ledger(tmp_path / "net")
    assert report.ok, report.summary()


def test_block_time_is_the_orderers_own_clock_and_never_goes_back(tmp_path, etcd_cluster):
    """Trusted time on etcd ordering: each block carries the time its orderer stamped and
    signed from its own clock; a new leader whose clock is behind stamps the last block's
    time, never an earlier one; `verify_ledger` checks every signature over it."""
    from reference.ledger.ordering import FakeClock

    start = 1_700_000_000
    clock = FakeClock(start)
    network = Network.create(tmp_path / "net", peers=3, orgs=3, clock=clock,
                             ordering=etcd_ordering(etcd_cluster.endpoints, 1),
                             batch=BatchConfig(max_message_count=1, batch_timeout=0.1))
    network.install_chaincode("kv", KeyValueChaincode)
    first = _ordering(network).orderers[0]
    second = None
    try:
        client = network.client(org="Org1", name="alice")
        assert client.submit("kv", "put", ["a", b"v"]).ok
        clock.advance(50)
        assert client.submit("kv", "put", ["b", b"v"]).ok
        network.flush()
        stamped = _chain(first)[-1].metadata.timestamp
        assert stamped == start + 50
        first.stop()
        second = EtcdOrderer("orderer-late", first.identity, _genesis(network),
                             etcd_cluster.endpoints, clock=FakeClock(start - 1000)).start()
        _ordering(network).orderers[:] = [second]
        assert client.submit("kv", "put", ["c", b"v"]).ok
        network.flush()
        blocks = _chain(second)
        times = [block.metadata.timestamp for block in blocks]
        assert times == sorted(times) and times[-1] == stamped
        assert second.blocks_cut >= 1
        report = verify_ledger(tmp_path / "net")
        assert report.ok, report.problems
    finally:
        if second is not None:
            second.stop()
        network.close()
