"""Endorsement policies: the policy language, its evaluation, and policy failures on the
ledger (AND / OR / OutOf / MAJORITY)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from reference.ledger import FakeClock, Network, TxValidationCode
from reference.ledger.policy import (
    And,
    Or,
    OutOf,
    PolicySyntaxError,
    SignedBy,
    majority,
    minimal_endorsing_organisations,
    parse_policy,
)
from reference.ledger.testing import KeyValueChaincode

ORGS = ["Org1", "Org2", "Org3"]


@dataclass(frozen=True)
class Signer:
    org: str
    role: str = "peer"


def test_parse_fabric_syntax() -> None:
    assert parse_policy("AND('Org1.peer', 'Org2.member')", ORGS) == And(
        SignedBy("Org1", "peer"), SignedBy("Org2", "member"))
    assert parse_policy("OR('Org1.peer', AND('Org2.peer', 'Org3.admin'))", ORGS) == Or(
        SignedBy("Org1"), And(SignedBy("Org2"), SignedBy("Org3", "admin")))
    assert parse_policy("OutOf(2, 'Org1.peer', 'Org2.peer', 'Org3.peer')", ORGS) == OutOf(
        2, (SignedBy("Org1"), SignedBy("Org2"), SignedBy("Org3")))
    assert parse_policy("MAJORITY Endorsement", ORGS) == majority(ORGS)
    assert majority(ORGS).required == 2
    assert majority(["A", "B", "C", "D"]).required == 3
    for text, required in (("ANY", 1), ("ALL", 3)):
        policy = parse_policy(text, ORGS)
        assert isinstance(policy, OutOf) and policy.required == required


def test_policy_text_round_trips() -> None:
    for text in ["AND('Org1.peer', 'Org2.peer')", "OR('Org1.member', 'Org3.client')",
                 "OutOf(2, 'Org1.peer', 'Org2.peer', 'Org3.peer')"]:
        policy = parse_policy(text, ORGS)
        assert parse_policy(policy.to_text(), ORGS) == policy


@pytest.mark.parametrize("text", [
    "AND('Org1.peer'", "AND()", "OutOf(4, 'Org1.peer', 'Org2.peer')", "XOR('Org1.peer')",
    "'Org1.boss'", "AND('Org9.peer')", "OutOf('Org1.peer')", "OR('Org1.peer') junk",
])
def test_bad_policy_text_is_rejected_with_a_reason(text: str) -> None:
    with pytest.raises(PolicySyntaxError, match="policy"):
        parse_policy(text, ORGS)


def test_evaluation_counts_each_signer_once() -> None:
    both = And(SignedBy("Org1"), SignedBy("Org2"))
    assert both.evaluate([Signer("Org1"), Signer("Org2")])
    assert not both.evaluate([Signer("Org1"), Signer("Org1")])
    twice = And(SignedBy("Org1"), SignedBy("Org1"))
    assert not twice.evaluate([Signer("Org1")])
    assert twice.evaluate([Signer("Org1"), Signer("Org1")])


def test_roles() -> None:
    assert SignedBy("Org1", "member").evaluate([Signer("Org1", "client")])
    assert SignedBy("Org1", "client").evaluate([Signer("Org1", "data_owner")])
    assert not SignedBy("Org1", "client").evaluate([Signer("Org1", "peer")])
    assert not SignedBy("Org1", "peer").evaluate([Signer("Org1", "client")])
    assert not SignedBy("Org1", "admin").evaluate([Signer("Org2", "admin")])


def test_out_of_and_majority() -> None:
    two_of_three = OutOf(2, (SignedBy("Org1"), SignedBy("Org2"), SignedBy("Org3")))
    assert not two_of_three.evaluate([Signer("Org3")])
    assert two_of_three.evaluate([Signer("Org3"), Signer("Org1")])
    assert not majority(["A", "B", "C", "D"]).evaluate([Signer("A"), Signer("B")])
    assert majority(["A", "B", "C", "D"]).evaluate([Signer("A"), Signer("B"), Signer("D")])


def test_minimal_endorsing_organisations() -> None:
    assert minimal_endorsing_organisations(majority(ORGS)) == [
        ("Org1", "Org2"), ("Org1", "Org3"), ("Org2", "Org3")]
    assert minimal_endorsing_organisations(parse_policy(
        "OR('Org2.peer', AND('Org1.peer', 'Org3.peer'))", ORGS)) == [("Org2",)]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory):
    directory: Path = tmp_path_factory.mktemp("policy") / "net"
    net = Network.create(directory, peers=6, orgs=3, clock=FakeClock(), workers=1)
    net.install_chaincode("all", KeyValueChaincode, policy="AND('Org1.peer', 'Org2.peer', "
                                                             "'Org3.peer')")
    net.install_chaincode("either", KeyValueChaincode, policy="OR('Org1.peer', 'Org2.peer')")
    net.install_chaincode("two", KeyValueChaincode,
                          policy="OutOf(2, 'Org1.peer', 'Org2.peer', 'Org3.peer')")
    net.install_chaincode("default", KeyValueChaincode)  # MAJORITY Endorsement
    yield net
    net.close()


def _submit_with(network: Network, chaincode: str, key: str, endorser_orgs: list[str],
                 same_peer_twice: bool = False) -> TxValidationCode | None:
    client = network.client(org="Org1", name="alice")
    peers = [network.peers_of(org)[0] for org in endorser_orgs]
    if same_peer_twice:
        peers = peers + peers[:1]
    endorsed = client.endorse(chaincode, "put", [key, b"v"], endorsing_peers=peers)
    assert endorsed.failure is None
    result = client.submit_endorsed(endorsed).result()
    stored = network.peers[-1].get_state(chaincode, key)
    assert (stored == b"v") == (result.code == TxValidationCode.VALID)
    return result.code


@pytest.mark.parametrize(("chaincode", "endorsers", "expected"), [
    ("all", ["Org1", "Org2", "Org3"], TxValidationCode.VALID),
    ("all", ["Org1", "Org2"], TxValidationCode.ENDORSEMENT_POLICY_FAILURE),
    ("either", ["Org2"], TxValidationCode.VALID),
    ("either", ["Org3"], TxValidationCode.ENDORSEMENT_POLICY_FAILURE),
    ("two", ["Org3", "Org2"], TxValidationCode.VALID),
    ("two", ["Org3"], TxValidationCode.ENDORSEMENT_POLICY_FAILURE),
    ("default", ["Org1", "Org3"], TxValidationCode.VALID),
    ("default", ["Org2"], TxValidationCode.ENDORSEMENT_POLICY_FAILURE),
])
def test_endorsement_policy_on_the_ledger(network: Network, chaincode: str,
                                          endorsers: list[str],
                                          expected: TxValidationCode) -> None:
    key = f"{chaincode}-{'-'.join(endorsers)}"
    assert _submit_with(network, chaincode, key, endorsers) == expected


def test_repeated_endorsement_from_one_peer_counts_once(network: Network) -> None:
    assert _submit_with(network, "two", "dup-endorser", ["Org1"], same_peer_twice=True) == (
        TxValidationCode.ENDORSEMENT_POLICY_FAILURE)


def test_two_peers_of_one_org_do_not_make_a_majority(network: Network) -> None:
    client = network.client(org="Org1", name="alice")
    org1_peers = network.peers_of("Org1")
    assert len(org1_peers) == 2
    endorsed = client.endorse("default", "put", ["one-org", b"v"], endorsing_peers=org1_peers)
    result = client.submit_endorsed(endorsed).result()
    assert result.code == TxValidationCode.ENDORSEMENT_POLICY_FAILURE
    assert network.peers[0].get_state("default", "one-org") is None


def test_client_picks_endorsers_that_satisfy_the_policy(network: Network) -> None:
    client = network.client(org="Org2", name="bob")
    for chaincode in ["all", "either", "two", "default"]:
        result = client.submit(chaincode, "put", ["auto", b"ok"])
        assert result.code == TxValidationCode.VALID, chaincode
