"""Execute-order-validate semantics: simulation, MVCC and phantom reads inside a block,
duplicate transaction ids, and every kind of bad input getting its own validation code
while the world state stays unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reference.ledger import (
    BroadcastStatus,
    CertificateAuthority,
    FakeClock,
    Network,
    TxValidationCode,
    verify_ledger,
)
from reference.ledger.crypto import SigningKey
from reference.ledger.block import Block, BlockMetadata, orderer_signed_bytes
from reference.ledger.messages import HeaderType
from reference.ledger.ordering import InProcessOrderingService
from reference.ledger.peer import BlockRejected, Peer
from reference.ledger.testing import (
    KeyValueChaincode,
    PeerDependentChaincode,
    drop_endorsements,
    garbage_payload_envelope,
    resign,
    tamper_args,
    tamper_write_value,
    with_channel_header,
    with_payload,
    with_signature,
)

Code = TxValidationCode


def _present(block: Block | None) -> Block:
    """A block the test expects to exist."""
    assert block is not None
    return block


def _fake_clock(network: Network) -> FakeClock:
    assert isinstance(network.clock, FakeClock)
    return network.clock


@pytest.fixture
def network(tmp_path: Path):
    net = Network.create(tmp_path / "net", peers=3, orgs=3, clock=FakeClock(), workers=1)
    net.install_chaincode("kv", KeyValueChaincode)
    yield net
    net.close()


def all_states(network: Network, key: str) -> set[bytes | None]:
    return {peer.get_state("kv", key) for peer in network.peers}


def state_snapshot(network: Network) -> list[object]:
    return [peer.store.dump_tables()["state"] for peer in network.peers]


# -- simulation semantics -----------------------------------------------------------------

def test_submit_commits_on_every_peer_and_query_reads_it(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    result = client.submit("kv", "put", ["color", b"blue"])
    assert result.code == Code.VALID and result.payload == b"stored"
    assert all_states(network, "color") == {b"blue"}
    assert client.query("kv", "get", ["color"]).payload == b"blue"
    assert client.query("kv", "get", ["missing"]).status == 404


def test_query_is_not_ordered_and_drops_writes(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    height = network.orderer.height()
    assert client.query("kv", "put", ["q", b"1"]).status == 200
    assert network.orderer.height() == height
    assert all_states(network, "q") == {None}


def test_no_read_your_writes(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    first = client.submit("kv", "read_after_write", ["fresh", b"new"])
    assert first.payload == b"<none>"  # the committed value (absent), not the write
    second = client.submit("kv", "read_after_write", ["fresh", b"newer"])
    assert second.payload == b"new"
    assert all_states(network, "fresh") == {b"newer"}


def test_chaincode_sees_creator_timestamp_and_tx_id(network: Network) -> None:
    client = network.client(org="Org2", name="carol", role="data_owner")
    who = json.loads(client.submit("kv", "whoami").payload)
    assert who == ["Org2", "carol", "data_owner", client.identity.certificate.public_key.hex()]
    now = int(network.clock.now())
    assert client.submit("kv", "clock", timestamp=now + 7).payload == str(now + 7).encode()
    result = client.submit("kv", "txid")
    assert result.payload.decode() == result.tx_id


def test_chaincode_error_refuses_endorsement_and_orders_nothing(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    height = network.orderer.height()
    refused = client.submit("kv", "fail", ["409", "already taken"])
    assert (refused.status, refused.message, refused.phase) == (409, "already taken",
                                                                "endorsement")
    assert refused.code is None and refused.block is None
    crashed = client.submit("kv", "crash")
    assert crashed.status == 500 and "RuntimeError" in crashed.message
    missing = client.submit("nope", "put", ["a", b"b"])
    assert missing.status == 404 and missing.code is None
    assert network.orderer.height() == height


def test_endorsements_that_disagree_are_not_submitted(network: Network) -> None:
    network.install_chaincode("flaky", PeerDependentChaincode)
    client = network.client(org="Org1", name="alice")
    height = network.orderer.height()
    result = client.submit("flaky", "anything")
    assert result.phase == "endorsement" and "mismatch" in result.message
    assert network.orderer.height() == height


# -- MVCC and phantoms --------------------------------------------------------------------

def test_mvcc_conflict_inside_a_block(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    client.submit("kv", "put", ["counter", b"10"])
    # both simulate against counter=10; the first in the block wins
    handles = [client.submit_async("kv", "incr", ["counter"]) for _ in range(3)]
    results = [handle.result() for handle in handles]
    assert len({result.block for result in results}) == 1
    assert [result.code for result in results] == [Code.VALID, Code.MVCC_READ_CONFLICT,
                                                   Code.MVCC_READ_CONFLICT]
    assert all_states(network, "counter") == {b"11"}


def test_writes_of_an_invalid_transaction_do_not_conflict(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    client.submit("kv", "put", ["n", b"0"])
    first = client.submit_async("kv", "incr", ["n"])            # valid, writes n
    second = client.submit_async("kv", "copy", ["n", "x"])      # reads n: conflict; writes x
    third = client.submit_async("kv", "copy", ["x", "y"])       # reads x: x was not written
    codes = [first.result().code, second.result().code, third.result().code]
    assert codes == [Code.VALID, Code.MVCC_READ_CONFLICT, Code.VALID]
    assert all_states(network, "x") == {None}
    assert all_states(network, "y") == {b""}


def test_mvcc_conflict_across_blocks(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    client.submit("kv", "put", ["k", b"1"])
    stale = client.endorse("kv", "incr", ["k"])
    client.submit("kv", "put", ["k", b"5"])
    assert client.submit_endorsed(stale).result().code == Code.MVCC_READ_CONFLICT
    assert all_states(network, "k") == {b"5"}


def test_read_of_a_missing_key_conflicts_once_it_appears(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    stale = client.endorse("kv", "incr", ["born"])
    client.submit("kv", "put", ["born", b"7"])
    assert client.submit_endorsed(stale).result().code == Code.MVCC_READ_CONFLICT


def test_phantom_read_inside_a_block(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    for key in ["item-a", "item-c"]:
        client.submit("kv", "put", [key, b"1"])
    insert = client.submit_async("kv", "put", ["item-b", b"1"])
    count = client.submit_async("kv", "count_range", ["item-", "item-~", "count"])
    assert insert.result().block == count.result().block
    assert insert.result().code == Code.VALID
    assert count.result().code == Code.PHANTOM_READ_CONFLICT
    assert all_states(network, "count") == {None}
    # a fresh simulation sees three items and commits
    again = client.submit("kv", "count_range", ["item-", "item-~", "count"])
    assert again.code == Code.VALID and json.loads(again.payload) == ["item-a", "item-b",
                                                                      "item-c"]
    assert all_states(network, "count") == {b"3"}


def test_phantom_from_an_update_and_a_delete_in_range(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    client.submit("kv", "put", ["r1", b"1"])
    client.submit("kv", "put", ["r2", b"1"])
    stale_update = client.endorse("kv", "count_range", ["r", "s", "n1"])
    stale_delete = client.endorse("kv", "count_range", ["r", "s", "n2"])
    outside = client.endorse("kv", "count_range", ["r", "s", "n3"])
    client.submit("kv", "put", ["r1", b"2"])
    assert client.submit_endorsed(stale_update).result().code == Code.PHANTOM_READ_CONFLICT
    client.submit("kv", "del", ["r2"])
    assert client.submit_endorsed(stale_delete).result().code == Code.PHANTOM_READ_CONFLICT
    fresh = client.endorse("kv", "count_range", ["r", "s", "n4"])
    client.submit("kv", "put", ["t-outside", b"1"])  # outside [r, s): no phantom
    assert client.submit_endorsed(fresh).result().code == Code.VALID
    assert client.submit_endorsed(outside).result().code == Code.PHANTOM_READ_CONFLICT


# -- duplicate transaction ids ------------------------------------------------------------

def test_replayed_transaction_is_a_duplicate_in_the_same_and_a_later_block(
        network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    endorsed = client.endorse("kv", "incr", ["replayed"])
    handles = [client.submit_endorsed(endorsed), client.submit_endorsed(endorsed)]
    results = [handle.result() for handle in handles]
    assert results[0].block == results[1].block
    assert [result.code for result in results] == [Code.VALID, Code.DUPLICATE_TXID]
    later = client.submit_endorsed(endorsed).result()
    assert later.block is not None and results[0].block is not None
    assert later.code == Code.DUPLICATE_TXID and later.block > results[0].block
    assert all_states(network, "replayed") == {b"1"}
    # the ledger index still reports the first, valid occurrence
    status = network.peers[1].transaction_status(endorsed.tx_id)
    assert status is not None and status[2] == Code.VALID
    # endorsers refuse to simulate a proposal whose tx id is already on the ledger
    proposal_again = network.peers[0].process_proposal(
        _signed_proposal_bytes(client, endorsed))
    assert proposal_again.response.status == 409 and proposal_again.endorsement is None


def _signed_proposal_bytes(client, endorsed) -> bytes:
    from reference.ledger import wire

    proposal_bytes = endorsed.proposal.encode()
    return wire.dumps([proposal_bytes, client.identity.sign(proposal_bytes)])


# -- bad input ----------------------------------------------------------------------------

def _commit_unfiltered(network: Network, envelope: bytes) -> Code:
    """Order ``envelope`` through a faulty orderer (no broadcast filters)."""
    block_number = network.orderer.height()
    assert isinstance(network.orderer, InProcessOrderingService)
    network.orderer.order_unfiltered(envelope)
    network.flush()
    codes = {tuple(_present(peer.store.get_block(block_number)).validation_codes())
             for peer in network.peers}
    assert len(codes) == 1, "peers disagree"
    (only,) = codes
    assert len(only) == 1
    return only[0]


def test_bad_transactions_get_their_codes_and_leave_state_unchanged(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    mallory = network.client(org="Org2", name="mallory")
    client.submit("kv", "put", ["target", b"original"])
    outsider = CertificateAuthority("Org1", SigningKey.generate()).enroll("eve")  # foreign CA
    me = client.identity
    before = state_snapshot(network)

    def fresh() -> bytes:
        """A correctly endorsed transaction with a new tx id (each case gets its own, so
        that none of them is merely a duplicate of another)."""
        envelope = client.endorse("kv", "put", ["target", b"changed"]).envelope
        assert envelope is not None
        return envelope

    cases = {
        "empty": (lambda: b"", BroadcastStatus.BAD_REQUEST, Code.NIL_ENVELOPE),
        "garbage": (lambda: b"\x00garbage", BroadcastStatus.BAD_REQUEST,
                    Code.INVALID_OTHER_REASON),
        "bad payload": (lambda: garbage_payload_envelope(me), BroadcastStatus.BAD_REQUEST,
                        Code.BAD_PAYLOAD),
        "unsigned": (lambda: with_signature(fresh(), b""), BroadcastStatus.FORBIDDEN,
                     Code.BAD_CREATOR_SIGNATURE),
        "signed by another member": (lambda: resign(fresh(), mallory.identity),
                                     BroadcastStatus.FORBIDDEN, Code.BAD_CREATOR_SIGNATURE),
        "creator from a foreign CA": (lambda: resign(fresh(), outsider),
                                      BroadcastStatus.FORBIDDEN, Code.BAD_CREATOR_SIGNATURE),
        "payload changed, signature kept": (
            lambda: (lambda good: with_payload(good, tampered_payload(good, client)))(fresh()),
            BroadcastStatus.FORBIDDEN, Code.BAD_CREATOR_SIGNATURE),
        "writes changed after endorsement": (
            lambda: tamper_write_value(fresh(), me, b"forged"), BroadcastStatus.SUCCESS,
            Code.ENDORSEMENT_POLICY_FAILURE),
        "args changed after endorsement": (
            lambda: tamper_args(fresh(), me, (b"target", b"forged")), BroadcastStatus.SUCCESS,
            Code.INVALID_ENDORSER_TRANSACTION),
        "endorsements removed": (lambda: drop_endorsements(fresh(), me, 1),
                                 BroadcastStatus.SUCCESS, Code.ENDORSEMENT_POLICY_FAILURE),
        "forged tx id": (lambda: with_channel_header(fresh(), me, tx_id="ab" * 32),
                         BroadcastStatus.SUCCESS, Code.BAD_PROPOSAL_TXID),
        "other channel": (lambda: with_channel_header(fresh(), me, channel_id="other"),
                          BroadcastStatus.NOT_FOUND, Code.TARGET_CHAIN_NOT_FOUND),
        "config update type": (
            lambda: with_channel_header(fresh(), me, header_type=HeaderType.CONFIG_UPDATE),
            BroadcastStatus.SUCCESS, Code.UNSUPPORTED_TX_PAYLOAD),
        "unknown header type": (lambda: with_channel_header(fresh(), me, header_type=42),
                                BroadcastStatus.SUCCESS, Code.BAD_COMMON_HEADER),
    }
    for name, (make_envelope, broadcast_status, code) in cases.items():
        envelope = make_envelope()
        height = network.orderer.height()
        response = network.orderer.broadcast(envelope)
        assert response.status == broadcast_status, name
        if response.ok:
            network.flush()
            block = _present(network.peers[0].store.get_block(height))
            assert block.validation_codes() == [code], name
        else:
            assert network.orderer.height() == height, name
            assert _commit_unfiltered(network, envelope) == code, name
        assert state_snapshot(network) == before, name
    assert all_states(network, "target") == {b"original"}
    # the honest transaction is still perfectly valid afterwards
    assert client.submit("kv", "put", ["target", b"ok"]).code == Code.VALID
    assert verify_ledger(network.directory).ok


def tampered_payload(envelope: bytes, client) -> bytes:
    """The payload of a tampered envelope (its signature is then discarded)."""
    from reference.ledger.messages import decode_envelope

    forged = tamper_write_value(envelope, client.identity, b"forged")
    return decode_envelope(forged)[0]


def test_transaction_endorsed_for_an_old_chaincode_version_is_expired(
        network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    old = client.endorse("kv", "put", ["versioned", b"v1"])
    network.install_chaincode("kv", KeyValueChaincode, version="2.0")
    result = client.submit_endorsed(old).result()
    assert result.code == Code.EXPIRED_CHAINCODE
    assert client.submit("kv", "put", ["versioned", b"v2"]).code == Code.VALID
    assert all_states(network, "versioned") == {b"v2"}


def test_config_transaction_needs_a_majority_of_admins(network: Network) -> None:
    from reference.ledger.config import ChaincodeDefinition
    from reference.ledger.messages import create_config_envelope

    admins = [network.admins[org] for org in network.organisations]
    new_config = network.config.with_chaincode(ChaincodeDefinition("sneaky"))
    height = network.orderer.height()
    one_admin = create_config_envelope(admins[0], network.channel_id, new_config.encode(),
                                       admins[:1], 0)
    assert network.orderer.broadcast(one_admin).ok
    network.flush()
    assert _present(network.peers[0].store.get_block(height)).validation_codes() == [
        Code.INVALID_CONFIG_TRANSACTION]
    assert network.config.chaincode("sneaky") is None
    enough = create_config_envelope(admins[0], network.channel_id, new_config.encode(),
                                    admins[:2], 0)
    assert network.orderer.broadcast(enough).ok
    assert network.config.chaincode("sneaky") is not None
    # replaying the same config (stale sequence) is rejected
    again = create_config_envelope(admins[0], network.channel_id, new_config.encode(),
                                   admins, 0)
    height = network.orderer.height()
    assert network.orderer.broadcast(again).ok
    assert _present(network.peers[0].store.get_block(height)).validation_codes() == [
        Code.INVALID_CONFIG_TRANSACTION]


def test_malformed_proposals_are_refused_by_endorsers(network: Network) -> None:
    peer = network.peers[0]
    assert peer.process_proposal(b"").response.status == 400
    assert peer.process_proposal(b"\x01\x02").response.status == 400
    client = network.client(org="Org1", name="alice")
    endorsed = client.endorse("kv", "put", ["p", b"1"])
    from reference.ledger import wire

    proposal_bytes = endorsed.proposal.encode()
    wrongly_signed = wire.dumps([proposal_bytes, b"\x30\x06\x02\x01\x01\x02\x01\x01"])
    assert peer.process_proposal(wrongly_signed).response.status == 403


class _Misbehaving:
    """Chaincode results the peer must refuse cleanly (never crash on)."""

    def invoke(self, stub, function: str, args: list[bytes]):
        from reference.ledger import Response

        if function == "str_payload":
            return Response(200, "ok", "not bytes")  # type: ignore[arg-type]
        if function == "none":
            return None
        if function == "surrogate_key":
            stub.put_state("bad\ud800key", b"v")
            return Response(200)
        if function == "surrogate_message":
            return Response(200, "bad\ud800")
        if function == "non_bytes_value":
            stub.put_state("k", "text")
            return Response(200)
        return Response(200)


def test_malformed_chaincode_results_are_refused_not_crashing(network: Network) -> None:
    network.install_chaincode("odd", _Misbehaving)
    client = network.client(org="Org1", name="alice")
    height = network.orderer.height()
    for function in ["str_payload", "none", "surrogate_key", "surrogate_message",
                     "non_bytes_value"]:
        result = client.submit("odd", function)
        assert result.phase == "endorsement" and result.status == 500, function
    assert network.orderer.height() == height
    assert client.submit("odd", "fine").code == Code.VALID


# -- trusted time -------------------------------------------------------------------------

def test_endorsers_refuse_a_timestamp_off_their_clock(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    now = int(network.clock.now())
    skew = network.config.max_timestamp_skew
    for claimed in (now - skew - 1, now + skew + 1):  # backdated, postdated
        result = client.submit("kv", "put", ["k", b"v"], timestamp=claimed)
        assert (result.phase, result.status) == ("endorsement", 412), result
        assert "from this endorser's clock" in result.message
    assert all_states(network, "k") == {None}
    assert client.submit("kv", "put", ["k", b"v"], timestamp=now + skew).ok


def test_a_move_endorsed_in_time_but_ordered_after_its_deadline_is_invalidated(
        network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    deadline = int(network.clock.now()) + 5
    endorsed = client.endorse("kv", "put_until", ["late", b"v", str(deadline).encode()])
    assert endorsed.failure is None
    _fake_clock(network).advance(6)  # held back; broadcast after the deadline
    result = client.submit_endorsed(endorsed).result()
    assert result.code == Code.TIME_BOUND_VIOLATED
    assert all_states(network, "late") == {None}
    assert result.block is not None
    block = _present(network.peers[0].store.get_block(result.block))
    assert block.metadata.timestamp == deadline + 1
    # the same move in time is valid, and one waiting for the deadline is not valid early
    on_time = client.submit("kv", "put_until", ["late", b"v",
                                                str(int(network.clock.now())).encode()])
    assert on_time.ok
    moment = int(network.clock.now()) + 3
    _fake_clock(network).advance(4)
    early = client.endorse("kv", "put_after", ["early", b"v", str(moment).encode()])
    assert early.failure is None
    assert client.submit_endorsed(early).result().ok


def test_a_held_transaction_whose_timestamp_left_the_skew_is_invalidated(
        network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    endorsed = client.endorse("kv", "put", ["held", b"v"])
    _fake_clock(network).advance(network.config.max_timestamp_skew + 1)
    result = client.submit_endorsed(endorsed).result()
    assert result.code == Code.BAD_TIMESTAMP
    assert all_states(network, "held") == {None}
    assert verify_ledger(network.peers[0].directory).ok  # verify re-derives the code


def test_peers_refuse_a_block_whose_time_goes_backwards(network: Network, tmp_path: Path) -> None:
    client = network.client(org="Org1", name="alice")
    client.submit("kv", "put", ["a", b"1"])
    orderer = network.orderer
    last = _present(orderer.get_block(orderer.height() - 1))
    genesis = _present(orderer.get_block(0))
    fresh = Peer("late", network.peers[0].identity, tmp_path / "late", genesis)
    for number in range(1, orderer.height() - 1):
        fresh.deliver(_present(orderer.get_block(number)))
    earlier = max(0, fresh._block_time - 1)
    identity = network._identity("OrdererOrg", "orderer0", "orderer")
    rewound = Block(last.header, last.data, BlockMetadata(
        identity.serialized, identity.sign(orderer_signed_bytes(last.header, earlier)),
        timestamp=earlier))
    assert earlier < fresh._block_time
    with pytest.raises(BlockRejected, match="before the previous block"):
        fresh.deliver(rewound)
    fresh.close()
