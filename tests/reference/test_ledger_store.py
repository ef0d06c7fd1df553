"""The peer ledger on disk: hash chain, offline verification (and detection of tampering),
history, the event stream from any start block, reopening, and crash recovery when a peer
is SIGKILLed in the middle of committing a block."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reference.ledger import (
    BlockEvent,
    BlockRejected,
    FakeClock,
    Network,
    Peer,
    TxValidationCode,
    verify_ledger,
)
from reference.ledger.block import Block, BlockMetadata
from reference.ledger.testing import KeyValueChaincode

Code = TxValidationCode
REPO_ROOT = Path(__file__).resolve().parents[2]


def make_network(directory: Path, peers: int = 3) -> Network:
    network = Network.create(directory, peers=peers, orgs=3, clock=FakeClock(), workers=1)
    network.install_chaincode("kv", KeyValueChaincode)
    return network


def fill(network: Network, blocks: int, per_block: int = 3) -> None:
    """One block per round: ``per_block`` puts, then two increments of "counter" (the
    second conflicts with the first)."""
    client = network.client(org="Org1", name="alice")
    for block in range(blocks):
        client.submit_many([("kv", "put", [f"key{index % 4}", f"b{block}-{index}"])
                            for index in range(per_block)]
                           + [("kv", "incr", ["counter"])] * 2)


@pytest.fixture
def network(tmp_path: Path):
    net = make_network(tmp_path / "net")
    fill(net, 4)
    yield net
    net.close()


def test_blocks_form_a_hash_chain_and_peers_agree(network: Network) -> None:
    peers = network.peers
    height = peers[0].height
    assert all(peer.height == height for peer in peers)
    previous = b""
    for number in range(height):
        blocks = [_stored_block(peer, number) for peer in peers]
        assert len({block.header.hash() for block in blocks}) == 1
        assert len({block.metadata.commit_hash for block in blocks}) == 1
        assert len({block.metadata.validation_codes for block in blocks}) == 1
        assert blocks[0].header.previous_hash == previous
        previous = blocks[0].header.hash()


def test_verify_ledger_accepts_an_untouched_ledger(network: Network) -> None:
    report = verify_ledger(network.peers[0].directory)
    assert report.ok, report.summary()
    assert report.blocks == network.peers[0].height
    assert report.transactions > report.valid_transactions > 0  # one config tx is not counted
    network_report = verify_ledger(network.directory)
    assert network_report.ok, network_report.summary()


def _tamper(peer: Peer, sql: str, parameters: tuple[object, ...]) -> None:
    peer.close()
    with sqlite3.connect(peer.directory / "ledger.sqlite") as connection:
        assert connection.execute(sql, parameters).rowcount == 1


def _stored_block(peer: Peer, number: int) -> Block:
    block = peer.store.get_block(number)
    assert block is not None
    return block


def _ordered_block(network: Network, number: int) -> Block:
    block = network.orderer.get_block(number)
    assert block is not None
    return block


def test_verify_ledger_detects_altered_block_data(network: Network) -> None:
    peer = network.peers[1]
    number = peer.height - 1
    block = _stored_block(peer, number)
    altered_envelope = block.data[0].replace(b"b3-0", b"b3-X")
    assert altered_envelope != block.data[0]
    altered = Block(block.header, (altered_envelope, *block.data[1:]), block.metadata)
    _tamper(peer, "UPDATE blocks SET block=? WHERE number=?", (altered.encode(), number))
    report = verify_ledger(peer.directory)
    assert not report.ok
    assert any(f"block {number}: data hash" in problem for problem in report.problems)
    # the altered transaction's signatures no longer verify either
    assert any(f"block {number}: validation codes differ" in problem
               for problem in report.problems)
    assert not verify_ledger(network.directory).ok


def test_verify_ledger_detects_altered_validation_flags(network: Network) -> None:
    peer = network.peers[0]
    number = peer.height - 1
    block = _stored_block(peer, number)
    assert block.metadata.validation_codes[0] == Code.VALID
    flipped = bytes([Code.MVCC_READ_CONFLICT]) + block.metadata.validation_codes[1:]
    altered = Block(block.header, block.data, BlockMetadata(
        block.metadata.orderer, block.metadata.orderer_signature, flipped,
        block.metadata.commit_hash, block.metadata.timestamp))
    _tamper(peer, "UPDATE blocks SET block=? WHERE number=?", (altered.encode(), number))
    report = verify_ledger(peer.directory)
    assert [problem for problem in report.problems if "validation codes differ" in problem] == [
        f"block {number}: validation codes differ (tx 0: stored 11, recomputed 0)"]


def test_verify_ledger_detects_altered_world_state_and_history(network: Network) -> None:
    peer = network.peers[2]
    _tamper(peer, "UPDATE state SET value=? WHERE namespace='kv' AND key='counter'",
            (b"1000000",))
    report = verify_ledger(peer.directory)
    assert any(problem.startswith("state differs") for problem in report.problems)
    other = network.peers[1]
    _tamper(other, "DELETE FROM history WHERE namespace='kv' AND key='counter' "
            "AND block_number=(SELECT MAX(block_number) FROM history WHERE key='counter')", ())
    assert any(problem.startswith("history differs")
               for problem in verify_ledger(other.directory).problems)


def test_verify_ledger_detects_a_broken_chain_and_a_forged_orderer_signature(
        network: Network) -> None:
    peer = network.peers[0]
    _tamper(peer, "DELETE FROM blocks WHERE number=?", (3,))
    assert any("block 3 missing" in problem for problem in verify_ledger(peer.directory).problems)

    other = network.peers[1]
    block = _stored_block(other, 4)
    forged = Block(block.header, block.data, BlockMetadata(
        block.metadata.orderer, block.metadata.orderer_signature[:-1] + b"\x00",
        block.metadata.validation_codes, block.metadata.commit_hash,
        block.metadata.timestamp))
    _tamper(other, "UPDATE blocks SET block=? WHERE number=?", (forged.encode(), 4))
    assert "block 4: orderer signature invalid" in verify_ledger(other.directory).problems


def test_peer_refuses_a_block_that_does_not_chain_or_is_not_signed(tmp_path: Path) -> None:
    network = make_network(tmp_path / "net", peers=3)
    try:
        client = network.client(org="Org1", name="alice")
        client.submit("kv", "put", ["a", b"1"])  # block 1 defined "kv"; this is block 2
        genesis = _stored_block(network.peers[0], 0)
        fresh = Peer("late", network.peers[0].identity, tmp_path / "late", genesis)
        block_2 = _ordered_block(network, 2)
        with pytest.raises(BlockRejected, match="expected 1"):
            fresh.deliver(block_2)
        block_1 = _ordered_block(network, 1)
        unsigned = Block(block_1.header, block_1.data, BlockMetadata())
        with pytest.raises(BlockRejected, match="orderer signature"):
            fresh.deliver(unsigned)
        reordered = Block(block_1.header, tuple(reversed(block_1.data)) + (b"x",),
                          block_1.metadata)
        with pytest.raises(BlockRejected, match="data hash"):
            fresh.deliver(reordered)
        assert fresh.height == 1
        fresh.catch_up(network.orderer)
        assert fresh.height == network.orderer.height()
        assert fresh.store.dump_tables() == network.peers[0].store.dump_tables()
        fresh.close()
    finally:
        network.close()


def test_history_keeps_every_valid_write(network: Network) -> None:
    history = network.peers[0].history("kv", "counter")
    assert [entry.value for entry in history] == [b"1", b"2", b"3", b"4"]
    assert [entry.block_number for entry in history] == sorted(
        entry.block_number for entry in history)
    client = network.client(org="Org1", name="alice")
    client.submit("kv", "del", ["counter"])
    last = network.peers[1].history("kv", "counter")[-1]
    assert last.is_delete and last.value is None
    assert network.peers[1].get_state("kv", "counter") is None


def test_event_stream_from_a_start_block_then_live(network: Network) -> None:
    peer = network.peers[2]
    height = peer.height
    received: list[BlockEvent] = []
    peer.subscribe(received.append, start_block=3)
    assert [event.block_number for event in received] == list(range(3, height))
    client = network.client(org="Org1", name="alice")
    first = client.submit_async("kv", "event", ["paid", b"42"])
    second = client.submit_async("kv", "event", ["paid", b"43"])
    conflict_a = client.submit_async("kv", "incr", ["counter"])
    conflict_b = client.submit_async("kv", "incr", ["counter"])
    network.flush()
    assert [event.block_number for event in received] == list(range(3, height + 1))
    live = received[-1]
    assert [status.code for status in live.transactions] == [
        Code.VALID, Code.VALID, Code.VALID, Code.MVCC_READ_CONFLICT]
    assert [status.tx_id for status in live.transactions] == [
        first.tx_id, second.tx_id, conflict_a.tx_id, conflict_b.tx_id]
    assert [(event.name, event.payload, event.tx_id, event.chaincode)
            for event in live.chaincode_events] == [
        ("paid", b"42", first.tx_id, "kv"), ("paid", b"43", second.tx_id, "kv")]
    assert all(event.code == Code.VALID for event in live.chaincode_events)
    # a replay from the same start gives the same events
    replayed = list(peer.block_events(start_block=3))
    assert [(event.block_number, event.header_hash, event.codes) for event in replayed] == [
        (event.block_number, event.header_hash, event.codes) for event in received]
    assert replayed[-1].chaincode_events == live.chaincode_events


def test_events_of_invalid_transactions_carry_their_code(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    endorsed = client.endorse("kv", "event", ["once", b"x"])
    assert client.submit_endorsed(endorsed).result().code == Code.VALID
    replay = client.submit_endorsed(endorsed).result()
    assert replay.code == Code.DUPLICATE_TXID and replay.block is not None
    event = next(network.peers[0].block_events(replay.block))
    (chaincode_event,) = event.chaincode_events
    assert chaincode_event.code == Code.DUPLICATE_TXID
    assert event.valid_chaincode_events == ()


def test_network_reopens_and_late_peers_catch_up(tmp_path: Path) -> None:
    directory = tmp_path / "net"
    network = make_network(directory)
    fill(network, 2)
    state = network.peers[0].store.dump_tables()
    height = network.orderer.height()
    network.close()
    shutil.rmtree(directory / "peers" / "peer0.Org2")  # a peer that lost its disk
    reopened = Network.open(directory, clock=FakeClock())
    try:
        reopened.install_chaincode("kv", KeyValueChaincode)
        assert reopened.orderer.height() == height  # same definition: no new config block
        assert all(peer.height == height for peer in reopened.peers)
        assert all(peer.store.dump_tables() == state for peer in reopened.peers)
        client = reopened.client(org="Org1", name="alice")  # same identity, reloaded
        assert client.submit("kv", "incr", ["counter"]).code == Code.VALID
        assert verify_ledger(directory).ok
    finally:
        reopened.close()


# -- crash recovery ------------------------------------------------------------------------

_CRASHING_PEER = r"""
import sys, time
from pathlib import Path
from reference.ledger import Peer
from reference.ledger.block import Block
from reference.ledger.crypto import SigningKey
from reference.ledger.identity import Certificate, Identity

blocks_dir, peer_dir, keys_dir, pause_at, marker = sys.argv[1:6]
pause_at = int(pause_at)

def pause_inside_commit(block_number, stage):
    if block_number == pause_at and stage == "state-written":
        Path(marker).write_text("paused")
        time.sleep(600)  # the parent SIGKILLs us here, inside the SQLite transaction

identity = Identity(Certificate.decode((Path(keys_dir) / "peer0.Org1.cert").read_bytes()),
                    SigningKey.from_pem((Path(keys_dir) / "peer0.Org1.key.pem").read_bytes()))
files = sorted(Path(blocks_dir).iterdir())
genesis = Block.decode(files[0].read_bytes())
peer = Peer("crashing", identity, peer_dir, genesis, commit_hook=pause_inside_commit)
for path in files[peer.height:]:
    peer.deliver(Block.decode(path.read_bytes()))
    print(f"committed {peer.height - 1}", flush=True)
print("finished", flush=True)
"""


def test_peer_killed_inside_a_commit_recovers_without_losing_committed_blocks(
        tmp_path: Path) -> None:
    network = make_network(tmp_path / "net", peers=3)
    try:
        fill(network, 5)
        height = network.orderer.height()
        blocks_dir = tmp_path / "blocks"
        blocks_dir.mkdir()
        for number in range(height):
            (blocks_dir / f"{number:06d}.block").write_bytes(
                _ordered_block(network, number).encode())
        pause_at = height - 3
        peer_dir, marker = tmp_path / "crashing-peer", tmp_path / "paused"
        command = [sys.executable, "-c", _CRASHING_PEER, str(blocks_dir), str(peer_dir),
                   str(network.directory / "keys" / "Org1"), str(pause_at), str(marker)]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        deadline = time.monotonic() + 60
        assert child.stderr is not None
        while not marker.exists():
            if child.poll() is not None:
                pytest.fail(f"peer exited early: {child.stderr.read().decode()}")
            if time.monotonic() > deadline:
                child.kill()
                pytest.fail("peer never reached the commit pause")
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        stdout, _ = child.communicate()
        assert child.returncode == -signal.SIGKILL
        reported = [int(line.split()[1]) for line in stdout.decode().splitlines()
                    if line.startswith("committed")]
        assert reported == list(range(1, pause_at))

        # reopen: every block reported committed is there, the interrupted one is not
        assert verify_ledger(peer_dir).ok, verify_ledger(peer_dir).summary()
        genesis = _ordered_block(network, 0)
        recovered = Peer("recovered", network.peers[0].identity, peer_dir, genesis)
        assert recovered.height == pause_at
        assert recovered.store.get_block(pause_at) is None
        reference_peer = network.peers[0]
        for number in range(pause_at):
            assert (_stored_block(recovered, number).header.hash()
                    == _stored_block(reference_peer, number).header.hash())
        # no trace of the half-committed block in state, history or the tx index
        tables = recovered.store.dump_tables()
        assert all(isinstance(row[3], int) and row[3] < pause_at for row in tables["state"])
        assert all(isinstance(row[2], int) and row[2] < pause_at for row in tables["history"])
        assert all(isinstance(row[1], int) and row[1] < pause_at
                   for row in tables["transactions"])
        # it resumes from the orderer and ends identical to the peers that never crashed
        recovered.catch_up(network.orderer)
        assert recovered.height == height
        assert recovered.store.dump_tables() == reference_peer.store.dump_tables()
        recovered.close()
        assert verify_ledger(peer_dir).ok
    finally:
        network.close()
