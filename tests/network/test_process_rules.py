"""The ledger's rules on the network of processes, each process with its own clock: the
trusted-time rule (endorser clock skew, the orderer's block time, deadlines judged at
validation) and the refusal of duplicates a client's retry could create."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from reference.ledger import TxValidationCode
from reference.ledger.block import Block
from reference.ledger.codes import BroadcastStatus
from reference.ledger.ordering import BroadcastResponse
from reference.ledger.peer import STATUS_TIMESTAMP_SKEW
from reference.ledger.testing import resign
from reference.network import launcher
from reference.network.chaos_audit import read_ledger
from reference.network.chaos_load import SafeSubmitter
from reference.network.gateway import RemoteNetwork
from reference.network.node import load_identity
from reference.network.ordering import block_key, channel_root
from reference.network.store import EtcdLog

pytestmark = pytest.mark.skipif(shutil.which("etcd") is None,
                                reason="etcd is not installed (Debian package etcd-server)")

ORDERER_AHEAD = 20  # orderer0's clock runs this far ahead of the machine's


def _block_time(description: dict, remote: RemoteNetwork, number: int) -> int:
    log = EtcdLog([member["client_url"] for member in description["etcd"]])
    found = log.get(block_key(channel_root(remote.channel_id), number))
    assert found is not None
    return Block.decode(found[0]).metadata.timestamp


def test_the_trusted_time_rule_holds_with_each_process_clock(tmp_path):
    """peer0.Org3's clock is 120 s ahead (beyond the skew): it refuses to endorse;
    peer0.Org2's is 10 s ahead (within): it endorses; orderer0's is 20 s ahead: it stamps
    blocks by its own clock, and validation judges signed timestamps and deadlines
    against that block time on every peer."""
    description = launcher.up(tmp_path / "net", peers=3, orderers=1, orgs=3,
                              clock_offsets={"peer0.Org3": 120.0, "peer0.Org2": 10.0,
                                             "orderer0": float(ORDERER_AHEAD)})
    try:
        net = Path(description["net"])
        remote = RemoteNetwork.connect(description, load_identity(net, "Org1", "client"))
        try:
            client = remote.client()
            org1, org2, org3 = (remote.peers_of(org)[0] for org in ("Org1", "Org2", "Org3"))

            # endorser clock skew: each peer process judges by its own clock
            far = client.endorse("kv", "put", ["a", b"v"], endorsing_peers=[org3])
            assert far.envelope is None and far.failure is not None
            assert far.failure.status == STATUS_TIMESTAMP_SKEW
            assert "from this endorser's clock" in far.failure.message
            near = client.endorse("kv", "put", ["a", b"v"], endorsing_peers=[org1, org2])
            assert near.envelope is not None

            # block time: the orderer process's clock, signed into the block
            before = int(time.time())
            stamped = client.submit_endorsed(near).result()
            after = int(time.time())
            assert stamped.code == TxValidationCode.VALID and stamped.block is not None
            block_time = _block_time(description, remote, stamped.block)
            assert before + ORDERER_AHEAD - 1 <= block_time <= after + ORDERER_AHEAD + 1

            # deadlines judged at validation against the block time, not the client's
            now = int(time.time())
            late = client.submit_endorsed(client.endorse(
                "kv", "put_until", ["b", b"v", str(now + 5)],
                endorsing_peers=[org1, org2])).result()
            in_time = client.submit_endorsed(client.endorse(
                "kv", "put_until", ["c", b"v", str(now + ORDERER_AHEAD + 60)],
                endorsing_peers=[org1, org2])).result()
            assert late.code == TxValidationCode.TIME_BOUND_VIOLATED  # endorsed in time
            assert in_time.code == TxValidationCode.VALID
            # a signed timestamp 12 s behind: within both endorsers' skew (12 and 22 s,
            # peer0.Org2 being 10 s ahead) but beyond it from the block time (32 s)
            behind = client.submit_endorsed(client.endorse(
                "kv", "put", ["d", b"v"], timestamp=int(time.time()) - 12,
                endorsing_peers=[org1, org2])).result()
            assert behind.code == TxValidationCode.BAD_TIMESTAMP

            # every peer, the skewed one included, committed the same chain and codes
            heights = {peer.height() for peer in remote.peers}
            deadline = time.monotonic() + 30
            while len(heights) > 1 and time.monotonic() < deadline:
                time.sleep(0.2)
                heights = {peer.height() for peer in remote.peers}
            assert len(heights) == 1
            for peer in remote.peers:
                assert peer.tx_status(late.tx_id, 5) == (late.block,
                                                         TxValidationCode.TIME_BOUND_VIOLATED)
                assert peer.tx_status(behind.tx_id, 5) == (behind.block,
                                                           TxValidationCode.BAD_TIMESTAMP)
        finally:
            remote.close()
    finally:
        launcher.down(tmp_path / "net")


class AnswersLost(RemoteNetwork):
    """A gateway whose first broadcast of each envelope reaches the orderers but whose
    answer is lost: the client cannot tell whether it was ordered."""

    def __init__(self, description: dict, identity) -> None:
        super().__init__(description, identity)
        self.answered: set[bytes] = set()

    def broadcast(self, envelope: bytes) -> BroadcastResponse:
        response = super().broadcast(envelope)
        if envelope in self.answered:
            return response
        self.answered.add(envelope)
        return BroadcastResponse(BroadcastStatus.SERVICE_UNAVAILABLE, "answer lost")


def test_a_retried_envelope_is_ordered_once_and_a_second_copy_is_refused(tmp_path):
    """What makes the chaos load's retries safe: the load re-sends the same envelope
    when an answer is lost, and that is acknowledged without ordering it again; a
    re-signed copy (same transaction id, other bytes) is ordered but validation marks it
    DUPLICATE_TXID on every peer."""
    description = launcher.up(tmp_path / "net", peers=3, orderers=1, orgs=3)
    try:
        net = Path(description["net"])
        identity = load_identity(net, "Org1", "client")
        remote = RemoteNetwork.connect(description, identity)
        try:
            client = remote.client()
            endorsed = client.endorse("kv", "incr", ["counter"])
            assert endorsed.envelope is not None
            first = client.submit_endorsed(endorsed).result()
            assert first.code == TxValidationCode.VALID
            assert remote.broadcast(endorsed.envelope).ok  # the same bytes: acknowledged
            assert remote.broadcast(resign(endorsed.envelope, identity)).ok
            marker = client.submit("kv", "put", ["marker", b"v"])  # ordered after both
            assert marker.code == TxValidationCode.VALID
            counter = client.query("kv", "get", ["counter"])
            assert counter.payload == b"1"  # incremented once
        finally:
            remote.close()
        lossy = AnswersLost(description, identity)
        try:
            submitter = SafeSubmitter(lossy)
            assert submitter.submit_call(identity, "kv", "incr", ["retried"])
            (retried,) = submitter.transactions
            assert retried.rebroadcasts >= 1 and retried.committed
            assert lossy.client().query("kv", "get", ["retried"]).payload == b"1"
        finally:
            lossy.close()
    finally:
        launcher.down(tmp_path / "net")
    for node in description["peers"]:
        ledger = read_ledger(net / "peers" / node["name"])
        codes = [code for _, code in ledger.occurrences[first.tx_id]]
        assert codes == [TxValidationCode.VALID, TxValidationCode.DUPLICATE_TXID], node
        assert ledger.occurrences[retried.tx_id] == [(retried.block, TxValidationCode.VALID)]
