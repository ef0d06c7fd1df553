"""Block cutting (Fabric's MaxMessageCount / PreferredMaxBytes / AbsoluteMaxBytes /
BatchTimeout) and the in-process ordering service, driven by a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference.ledger import (
    BatchConfig,
    BlockCutter,
    BroadcastStatus,
    FakeClock,
    Network,
    TxValidationCode,
)
from reference.ledger.client import PendingTransaction
from reference.ledger.testing import KeyValueChaincode


def cutter(count: int = 10, preferred: int = 1000, absolute: int = 5000) -> BlockCutter:
    return BlockCutter(BatchConfig(max_message_count=count, preferred_max_bytes=preferred,
                                   absolute_max_bytes=absolute, batch_timeout=2.0))


def test_cut_on_max_message_count() -> None:
    block_cutter = cutter(count=3)
    cuts = []
    for index in range(7):
        batches, pending = block_cutter.ordered(bytes([index]) * 10)
        cuts.extend(batches)
    assert [len(batch) for batch in cuts] == [3, 3]
    assert cuts[0] == [bytes([0]) * 10, bytes([1]) * 10, bytes([2]) * 10]
    assert pending and block_cutter.pending_count == 1
    assert block_cutter.cut() == [bytes([6]) * 10]
    assert block_cutter.pending_count == 0


def test_message_that_would_overflow_preferred_bytes_cuts_the_pending_batch_first() -> None:
    block_cutter = cutter(preferred=1000)
    assert block_cutter.ordered(b"a" * 400) == ([], True)
    assert block_cutter.ordered(b"b" * 400) == ([], True)
    batches, pending = block_cutter.ordered(b"c" * 400)  # 1200 > 1000: cut a+b first
    assert batches == [[b"a" * 400, b"b" * 400]]
    assert pending and block_cutter.pending_count == 1
    # exactly reaching the preferred size does not cut
    assert block_cutter.ordered(b"d" * 600) == ([], True)
    assert block_cutter.pending_count == 2


def test_message_larger_than_preferred_bytes_goes_alone() -> None:
    block_cutter = cutter(preferred=1000)
    block_cutter.ordered(b"a" * 100)
    batches, pending = block_cutter.ordered(b"x" * 1500)
    assert batches == [[b"a" * 100], [b"x" * 1500]]
    assert not pending
    batches, pending = cutter(preferred=1000).ordered(b"y" * 1001)
    assert batches == [[b"y" * 1001]] and not pending


@pytest.fixture
def small_batches(tmp_path: Path):
    clock = FakeClock()
    network = Network.create(tmp_path / "net", peers=3, orgs=3, clock=clock, workers=1,
                             batch=BatchConfig(max_message_count=3, preferred_max_bytes=4000,
                                               absolute_max_bytes=6000, batch_timeout=2.0))
    network.install_chaincode("kv", KeyValueChaincode)
    yield network, clock
    network.close()


def test_orderer_cuts_blocks_on_count_and_on_timeout_only_when_the_clock_says_so(
        small_batches) -> None:
    network, clock = small_batches
    client = network.client(org="Org1", name="alice")
    start = network.orderer.height()
    handles = [client.submit_async("kv", "put", [f"k{index}", b"v"]) for index in range(4)]
    # three messages made one block; the fourth is pending behind the batch timer
    assert network.orderer.height() == start + 1
    assert [handle.done() for handle in handles] == [True, True, True, False]
    clock.advance(1.9)
    assert network.orderer.height() == start + 1 and not handles[3].done()
    clock.advance(0.1)
    assert network.orderer.height() == start + 2
    assert handles[3].done()
    results = [handle.result() for handle in handles]
    assert [result.block for result in results] == [start, start, start, start + 1]
    assert all(result.code == TxValidationCode.VALID for result in results)
    assert all(peer.get_state("kv", "k3") == b"v" for peer in network.peers)
    assert clock.pending_timers() == 0


def test_batch_timer_runs_from_the_first_pending_message_not_the_last(small_batches) -> None:
    network, clock = small_batches
    client = network.client(org="Org1", name="alice")
    start = network.orderer.height()
    first = client.submit_async("kv", "put", ["a", b"1"])
    clock.advance(1.5)
    second = client.submit_async("kv", "put", ["b", b"2"])
    clock.advance(0.5)  # 2.0 s after the first message, 0.5 s after the second
    assert network.orderer.height() == start + 1
    assert first.result().block == second.result().block == start


def test_timeout_with_nothing_pending_cuts_nothing(small_batches) -> None:
    network, clock = small_batches
    height = network.orderer.height()
    clock.advance(10)
    assert network.orderer.height() == height


def test_orderer_cuts_on_preferred_bytes(small_batches) -> None:
    network, _ = small_batches
    client = network.client(org="Org1", name="alice")
    endorsed = [client.endorse("kv", "put", [f"big{index}", b"x" * 1200]) for index in range(3)]
    sizes = [len(item.envelope) for item in endorsed]
    assert all(2000 < size <= 4000 for size in sizes), sizes  # one fits, two do not
    start = network.orderer.height()
    handles = [client.submit_endorsed(item) for item in endorsed]
    # each message would push the pending batch over 4000 bytes: one block per message
    assert network.orderer.height() == start + 2
    network.flush()
    assert [handle.result().block for handle in handles] == [start, start + 1, start + 2]


def test_message_over_absolute_max_bytes_is_rejected_and_changes_nothing(small_batches) -> None:
    network, _ = small_batches
    client = network.client(org="Org1", name="alice")
    height = network.orderer.height()
    result = client.submit("kv", "put", ["huge", b"x" * 7000])
    assert result.phase == "ordering"
    assert result.status == BroadcastStatus.BAD_REQUEST
    assert "AbsoluteMaxBytes" in result.message
    assert result.block is None and result.code is None
    assert network.orderer.height() == height
    assert all(peer.get_state("kv", "huge") is None for peer in network.peers)


def test_message_between_preferred_and_absolute_bytes_is_ordered_alone(small_batches) -> None:
    network, _ = small_batches
    client = network.client(org="Org1", name="alice")
    small = client.submit_async("kv", "put", ["small", b"s"])
    start = network.orderer.height()
    endorsed = client.endorse("kv", "put", ["big", b"x" * 1500])  # value in args and writes
    assert 4000 < len(endorsed.envelope) <= 6000
    big = client.submit_endorsed(endorsed)
    assert network.orderer.height() == start + 2  # pending batch cut, then big alone
    assert small.result().block == start
    assert big.result().block == start + 1
    assert big.result().code == TxValidationCode.VALID
    assert len(network.peers[0].store.get_block(start + 1).data) == 1


def test_config_transaction_is_cut_into_its_own_block(small_batches) -> None:
    network, _ = small_batches
    client = network.client(org="Org1", name="alice")
    pending = client.submit_async("kv", "put", ["before", b"1"])
    start = network.orderer.height()
    network.install_chaincode("kv2", KeyValueChaincode)
    assert network.orderer.height() == start + 2
    assert pending.result().block == start
    config_block = network.peers[0].store.get_block(start + 1)
    assert len(config_block.data) == 1
    assert network.config.chaincode("kv2") is not None


def test_with_the_system_clock_the_batch_timer_cuts_blocks_on_its_own(tmp_path: Path) -> None:
    """The production clock: a timer thread cuts the pending batch and delivers it."""
    network = Network.create(tmp_path / "net", peers=3, orgs=3, workers=2,
                             batch=BatchConfig(batch_timeout=0.05))
    try:
        network.install_chaincode("kv", KeyValueChaincode)
        client = network.client(org="Org1", name="alice")
        height = network.orderer.height()
        pending = [client.submit_async("kv", "put", [f"t{index}", b"v"]) for index in range(3)]
        # no flush was called
        assert all(isinstance(handle, PendingTransaction) and handle.wait(timeout=30) for handle in pending)
        results = [handle.result() for handle in pending]
        assert all(result.code == TxValidationCode.VALID for result in results)
        assert all(result.block is not None and result.block >= height for result in results)
        assert all(peer.get_state("kv", "t2") == b"v" for peer in network.peers)
    finally:
        network.close()
