"""The chaos run's judgement can fail: the audit, run on an embedded network's peer
directories (the same layout the peer processes write), reports a committed transaction
dropped from one peer, a world state or job that diverges, a peer left behind, and a
transaction the orderers acknowledged that no ledger holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reference.ledger import Network, TxValidationCode
from reference.ledger.testing import KeyValueChaincode
from reference.network.chaos import chaos_ok
from reference.network.chaos_audit import ClientTx, audit_peers


@pytest.fixture
def ledgers(tmp_path) -> tuple[Path, list[str], list[ClientTx]]:
    """Three peers that committed six transactions; what the client saw of each."""
    network = Network.create(tmp_path / "net", peers=3, orgs=3)
    try:
        network.install_chaincode("kv", KeyValueChaincode)
        client = network.client(org="Org1", name="alice")
        seen = []
        for round_number in range(3):
            results = client.submit_many([("kv", "put", [f"k{round_number}-{index}", b"v"])
                                          for index in range(2)])
            assert all(result.ok for result in results)
            seen += [ClientTx(result.tx_id, "put", acknowledged=True, block=result.block,
                              code=int(result.code)) for result in results
                     if result.code is not None]
        names = [peer.name for peer in network.peers]
    finally:
        network.close()
    return tmp_path / "net", names, seen


def _sql(net: Path, peer: str, statement: str, *parameters: object) -> None:
    connection = sqlite3.connect(net / "peers" / peer / "ledger.sqlite")
    try:
        with connection:
            assert connection.execute(statement, parameters).rowcount >= 1
    finally:
        connection.close()


def _verdict(report: dict) -> bool:
    faults = [{"kind": "none", "survived": True}]
    return chaos_ok({**report, "faults": faults, "converged": True, "models_unsettled": 0})


def test_intact_ledgers_pass(ledgers):
    net, names, seen = ledgers
    report = audit_peers(net, names, seen)
    assert report["committed"] == 6 and report["peers_verified"] == 3, report
    assert (report["lost"], report["forks"], report["gaps"], report["state_diverged"],
            report["double_committed"], report["peers_behind"]) == (0, 0, 0, 0, 0, 0)
    assert _verdict(report)


def test_a_committed_transaction_dropped_from_one_peer_is_lost(ledgers):
    net, names, seen = ledgers
    victim = seen[3]
    _sql(net, names[1], "DELETE FROM transactions WHERE tx_id=?", victim.tx_id)
    report = audit_peers(net, names, seen)
    assert report["lost"] == 1 and report["lost_tx_ids"] == [victim.tx_id]
    assert report["peers_verified"] == 2  # ledger verify catches it too
    assert not _verdict(report)


def test_a_transaction_committed_elsewhere_than_the_client_saw_is_lost(ledgers):
    net, names, seen = ledgers
    moved = ClientTx(seen[0].tx_id, "put", acknowledged=True, block=seen[-1].block,
                     code=int(TxValidationCode.VALID))
    report = audit_peers(net, names, [moved, *seen[1:]], verify=False)
    assert report["lost"] == 1


def test_an_acknowledged_transaction_no_ledger_holds_is_lost(ledgers):
    net, names, seen = ledgers
    phantom = ClientTx("f" * 64, "put", acknowledged=True)
    never_acknowledged = ClientTx("e" * 64, "put")
    report = audit_peers(net, names, [*seen, phantom, never_acknowledged], verify=False)
    assert report["lost"] == 1 and report["lost_tx_ids"] == [phantom.tx_id]


def test_diverging_world_state_and_jobs_are_reported(ledgers):
    net, names, seen = ledgers
    _sql(net, names[2], "UPDATE state SET value=? WHERE namespace='kv' AND key='k0-0'",
         b"forged")
    _sql(net, names[0], "INSERT INTO state (namespace, key, value, block_number, tx_number) "
         "VALUES ('aimarket', 'job/j1', ?, 1, 0)", b'{"status": "SETTLED"}')
    report = audit_peers(net, names, seen, verify=False)
    # two peers differ from the third in their own way: neither is the majority's state
    assert report["state_diverged"] == 2 and report["jobs_diverged"] == 1
    assert report["jobs_settled_everywhere"] == 0
    assert not _verdict(report)


def test_a_peer_left_behind_is_reported(ledgers):
    net, names, seen = ledgers
    last = max(tx.block or 0 for tx in seen)
    _sql(net, names[0], "DELETE FROM blocks WHERE number=?", last)
    report = audit_peers(net, names, seen, verify=False)
    assert report["peers_behind"] == 1
    # its index still answers for the block's transactions, but its chain lacks them
    assert report["lost"] == sum(1 for tx in seen if tx.block == last) > 0
    assert not _verdict(report)
