"""Phase 1 of validation on worker processes (the validator pool) and WAL checkpoints on a
thread of their own give a peer exactly the ledger it gets without them: same validation
codes, same commit hashes, same state, history and index, for valid and invalid
transactions alike and across a change of the channel config."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from reference.ledger import BroadcastStatus, FakeClock, Network, TxValidationCode, verify_ledger
from reference.ledger.checkpointer import WalCheckpointer
from reference.ledger.peer import Peer
from reference.ledger.testing import (
    KeyValueChaincode,
    drop_endorsements,
    resign,
    tamper_write_value,
    with_channel_header,
)
from reference.ledger.validation import validate_block
from reference.ledger.validator_pool import ValidatorPool, ValidatorPoolError

Code = TxValidationCode


@pytest.fixture(scope="module")
def pool():
    with ValidatorPool(2, timeout=120.0) as started:
        yield started


def _busy_history(network: Network) -> list[Code]:
    """Blocks with valid and invalid transactions of many kinds, a conflict inside a block,
    and a chaincode upgrade whose very next block holds a transaction endorsed for the old
    version; the codes the network gave the mixed and the upgrade-following blocks."""
    alice = network.client(org="Org1", name="alice")
    mallory = network.client(org="Org2", name="mallory")
    for index in range(12):
        alice.submit("kv", "put", [f"key{index}", f"value{index}".encode()])
    me = alice.identity

    def fresh(key: str = "target") -> bytes:
        envelope = alice.endorse("kv", "put", [key, b"changed"]).envelope
        assert envelope is not None
        return envelope

    # one block, in this order: valid, tampered writes, too few endorsements, forged tx id,
    # valid, a second write of a key read and written earlier in the block
    mixed = [fresh("a"), tamper_write_value(fresh(), me, b"forged"),
             drop_endorsements(fresh(), me, 1), with_channel_header(fresh(), me, tx_id="ab" * 32),
             fresh("b")]
    first = alice.endorse("kv", "incr", ["counter"]).envelope
    second = alice.endorse("kv", "incr", ["counter"]).envelope
    assert first is not None and second is not None
    mixed += [first, second, resign(fresh(), mallory.identity)]
    height = network.orderer.height()
    for envelope in mixed:
        assert network.orderer.broadcast(envelope).status in (BroadcastStatus.SUCCESS,
                                                              BroadcastStatus.FORBIDDEN)
    network.flush()
    codes = list(network.peers[0].store.get_block(height).validation_codes())  # type: ignore[union-attr]
    # endorsed for version 1.0, ordered right after the block that defines version 2.0
    old = alice.endorse("kv", "put", ["versioned", b"v1"])
    network.install_chaincode("kv", KeyValueChaincode, version="2.0")
    upgrade_follows = network.orderer.height()
    assert alice.submit_endorsed(old).result().code == Code.EXPIRED_CHAINCODE
    assert alice.submit("kv", "put", ["versioned", b"v2"]).code == Code.VALID
    codes += list(network.peers[0].store.get_block(upgrade_follows).validation_codes())  # type: ignore[union-attr]
    return codes


def _ledger(peer: Peer) -> tuple[object, ...]:
    blocks = [(block.header.hash(), block.validation_codes(), block.metadata.commit_hash)
              for block in peer.store.iter_blocks()]
    return blocks, peer.store.dump_tables()


def test_a_peer_with_a_validator_pool_commits_the_same_ledger(tmp_path: Path,
                                                              pool: ValidatorPool) -> None:
    network = Network.create(tmp_path / "net", peers=3, orgs=3, clock=FakeClock(), workers=1)
    try:
        network.install_chaincode("kv", KeyValueChaincode)
        codes = _busy_history(network)
        # the history really mixes outcomes, so the comparison below covers them
        assert {Code.VALID, Code.ENDORSEMENT_POLICY_FAILURE, Code.BAD_PROPOSAL_TXID,
                Code.MVCC_READ_CONFLICT, Code.EXPIRED_CHAINCODE} <= set(codes)
        genesis = network.orderer.get_block(0)
        identity = network.peers[0].identity
        inline = Peer("inline", identity, tmp_path / "inline", genesis)
        pooled = Peer("pooled", identity, tmp_path / "pooled", genesis)
        try:
            assert inline.catch_up(network.orderer) == network.orderer.height() - 1
            before = pool.worker_cpu_seconds
            assert pooled.catch_up(network.orderer, pool=pool) == network.orderer.height() - 1
            assert pool.worker_cpu_seconds > before  # phase 1 really ran on the workers
            assert _ledger(pooled) == _ledger(inline) == _ledger(network.peers[0])
            assert pooled.channel.config == inline.channel.config
        finally:
            inline.close()
            pooled.close()
        assert verify_ledger(network.directory).ok
    finally:
        network.close()


def test_deliver_with_a_pool_and_phase_one_results_that_do_not_fit(tmp_path: Path,
                                                                   pool: ValidatorPool) -> None:
    network = Network.create(tmp_path / "net", peers=2, orgs=2, clock=FakeClock(), workers=1)
    try:
        network.install_chaincode("kv", KeyValueChaincode)
        client = network.client(org="Org1", name="alice")
        for index in range(3):
            client.submit("kv", "put", [f"k{index}", b"v"])
        peer = Peer("late", network.peers[0].identity, tmp_path / "late",
                    network.orderer.get_block(0))
        try:
            while peer.height < network.orderer.height():
                block = network.orderer.get_block(peer.height)
                assert block is not None
                if len(block.data) == 1 and peer.height > 1:
                    wrong = pool.check_transactions(block.data + block.data, peer.channel)
                    with pytest.raises(ValueError, match="phase 1 results for 2"):
                        validate_block(block, peer.channel, peer.store, b"", checked=wrong)
                peer.deliver(block, pool=pool)
            assert _ledger(peer) == _ledger(network.peers[0])
        finally:
            peer.close()
    finally:
        network.close()


def test_a_closed_pool_refuses_work() -> None:
    closed = ValidatorPool(1)
    closed.close()
    closed.close()  # idempotent
    with pytest.raises(ValidatorPoolError, match="closed"):
        closed.submit([b""], None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one worker"):
        ValidatorPool(0)


def test_wal_checkpoints_run_off_the_commit_path(tmp_path: Path) -> None:
    network = Network.create(tmp_path / "net", peers=1, orgs=1, clock=FakeClock(), workers=1)
    try:
        network.install_chaincode("kv", KeyValueChaincode)
        store = network.peers[0].store
        checkpointer = store._checkpointer
        assert isinstance(checkpointer, WalCheckpointer)
        # the committing connection never checkpoints by itself
        assert store._connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        checkpointer.threshold = 1  # every commit asks for a checkpoint
        client = network.client(org="Org1", name="alice")
        for index in range(5):
            client.submit("kv", "put", [f"key{index}", bytes(2000)])
        checkpointer.request()
        # wait (bounded) until the thread has checkpointed what was committed
        for _ in range(200):
            if checkpointer.checkpoints > 0:
                break
            time.sleep(0.05)
        assert checkpointer.checkpoints > 0 and checkpointer.failure is None
        height = store.height
        thread = checkpointer._thread
        ledger = Path(store.path)
    finally:
        network.close()
    assert not thread.is_alive()  # closing the store stopped the thread
    # the closed ledger holds every block
    connection = sqlite3.connect(ledger)
    try:
        assert connection.execute("SELECT COUNT(*) FROM blocks").fetchone() == (height,)
    finally:
        connection.close()
    assert verify_ledger(tmp_path / "net").ok
