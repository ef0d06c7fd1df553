"""Security properties of the reference beyond the attack catalogue: the chaincode never
raises on input (Hypothesis), strict arguments, governance and identities bound to their
organisation, peers that check their store at start, and ``ledger verify`` with trust
anchors, cross-checks and hostile files."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from pathlib import Path
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimarket.cli import main
from reference.chaincode.contract import MarketplaceChaincode
from reference.chaincode.memory import MemoryLedger
from reference.clients.gateway import MarketClock, MemoryGateway, NetworkGateway
from reference.clients.treasury import init_market
from reference.clients.world import World
from reference.ledger import FakeClock, Network, TrustAnchors, verify_ledger
from reference.ledger.chaincode_api import ChaincodeStub, Creator
from reference.ledger.peer import LedgerCorrupted
from reference.ledger.testing import KeyValueChaincode

# -- the chaincode never raises on input ------------------------------------------------------

FUNCTIONS = sorted([*MarketplaceChaincode().transactions, *MarketplaceChaincode().queries,
                    "no_such_function"])
FIELDS = ["job", "amount", "recipient", "role", "organisation", "dataset", "datasets",
          "vendor", "vendors", "digest", "proof", "steps", "window", "treasury", "rules",
          "regions", "model", "commitment", "price", "expiry", "purposes", "key",
          "transcript_root", "final_digest", "step_digests", "recipe", "batch", "artefact"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4), max_leaves=15)


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def _payload(value) -> bytes:
    try:
        return json.dumps(value).encode()
    except (TypeError, ValueError):
        return b"{"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(function=st.sampled_from(FUNCTIONS),
       arguments=st.one_of(
           st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6).map(_payload),
           st.binary(max_size=120),
           st.lists(st.binary(max_size=20), max_size=3).map(lambda parts: b"".join(parts))),
       signer=st.sampled_from(["treasury", "owner1", "dev1", "vendor1", "mallory", "admin"]),
       extra=st.booleans())
def test_the_chaincode_never_raises_on_any_input(world: World, function, arguments, signer,
                                                  extra) -> None:
    org = {"treasury": "MarketOrg", "admin": "MarketOrg", "owner1": "OwnersOrg",
           "dev1": "DevelopersOrg", "vendor1": "VendorsOrg", "mallory": "OwnersOrg"}[signer]
    role = "admin" if signer == "admin" else "client"
    creator = Creator(org, signer, role, world.gateway(signer, org, role).public_key)
    raw = [arguments, b"{}"] if extra else [arguments]
    before = dict(world.ledger.state)
    response = world.ledger.invoke(creator, function, raw, world.clock.now())
    assert response.status in (200, 400), (response.status, response.message)
    if response.status == 400:
        assert response.message.startswith("MKT_"), response.message
        assert world.ledger.state == before


# -- strict arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, reason", [
    (b'{"recipient": "owner1", "amount": 1, "amount": 2}', "duplicate key"),
    (b'{"recipient": "owner1", "x": {"a": 1, "a": 1}, "amount": 1}', "duplicate key"),
    (b'{"recipient": "owner\\udc00", "amount": 1}', "lone surrogate"),
    (b'{"recipient": "owner1", "amount": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested"),
    (b'{"recipient": "owner1", "amount": 1' + b"0" * 5000 + b"}", "not valid JSON"),
    (b'{"recipient": "owner1", "amount": 1000000000000000001}', "amount"),
])
def test_ambiguous_or_out_of_bound_arguments_are_refused(world: World, raw: bytes,
                                                         reason: str) -> None:
    before = dict(world.ledger.state)
    gateway = world.treasury.gateway
    assert isinstance(gateway, MemoryGateway)  # raw argument bytes: the in-memory gateway
    outcome = gateway.submit("fund", [raw])
    assert outcome.code == "MKT_MALFORMED_ARGS" and reason in outcome.message, outcome.message
    assert world.ledger.state == before


def test_protocol_bounds_on_windows_and_times(world: World) -> None:
    developer = world.developers["dev1"]
    terms = developer.job_terms("model1", ["data1"], ["vendor1"])
    args = {"job": "job-bounds", "model": "model1", "datasets": ["data1"],
            "vendors": ["vendor1"], "purpose": "training", **terms}
    outcome = developer.gateway.submit("request_training", {**args, "window": 366 * 86400 + 1})
    assert outcome.code == "MKT_MALFORMED_ARGS" and outcome.message.startswith(
        "MKT_MALFORMED_ARGS: window:")
    assert developer.gateway.submit("request_training", {**args, "window": 0}).code == (
        "MKT_INVALID_TERMS")  # below one second stays the protocol's own refusal


# -- governance and identities ----------------------------------------------------------------


def test_only_the_governing_organisations_admin_creates_the_market() -> None:
    ledger, clock = MemoryLedger(), MarketClock()
    vendors_admin = MemoryGateway(ledger, "admin", "VendorsOrg", clock, "admin")
    vendor = MemoryGateway(ledger, "vendor1", "VendorsOrg", clock)
    admin = MemoryGateway(ledger, "admin", "MarketOrg", clock, "admin")
    treasury = MemoryGateway(ledger, "treasury", "MarketOrg", clock)
    assert init_market(vendors_admin, vendor).code == "MKT_NOT_CHANNEL_ADMIN"
    assert init_market(vendors_admin, treasury).code == "MKT_NOT_CHANNEL_ADMIN"
    outcome = init_market(admin, vendor)
    assert outcome.code == "MKT_MALFORMED_ARGS" and "treasury.organisation" in outcome.message
    assert ledger.state == {}
    assert init_market(admin, treasury).ok
    # another governing organisation is a constructor argument of the chaincode
    other = MemoryLedger(MarketplaceChaincode(governance="VendorsOrg"))
    assert init_market(MemoryGateway(other, "admin", "VendorsOrg", clock, "admin"),
                       MemoryGateway(other, "vendor1", "VendorsOrg", clock)).ok


def test_roles_are_bound_to_their_organisations() -> None:
    ledger, clock = MemoryLedger(), MarketClock()
    admin = MemoryGateway(ledger, "admin", "MarketOrg", clock, "admin")
    treasury = MemoryGateway(ledger, "treasury", "MarketOrg", clock)
    bad = init_market(admin, treasury, organisations={"treasury": ["MarketOrg"]})
    assert bad.code == "MKT_MALFORMED_ARGS" and "organisations.treasury" in bad.message
    assert init_market(admin, treasury, organisations={"data_owner": ["OwnersOrg"],
                                                       "vendor": ["VendorsOrg"]}).ok
    squatter = MemoryGateway(ledger, "owner1", "VendorsOrg", clock)
    assert squatter.submit("register_identity", {"role": "data_owner"}).code == (
        "MKT_ORGANISATION_NOT_ALLOWED")
    assert squatter.submit("register_identity", {"role": "developer"}).code == (
        "MKT_ORGANISATION_NOT_ALLOWED")  # a role the genesis gave to no organisation
    owner = MemoryGateway(ledger, "owner1", "OwnersOrg", clock)
    assert owner.submit("register_identity", {"role": "data_owner"}).ok


# -- peers check their store at start; verify with anchors and cross-checks ------------------


def _network(directory: Path) -> Network:
    network = Network.create(directory, peers=3, orgs=3, clock=FakeClock(), workers=1)
    network.install_chaincode("kv", KeyValueChaincode)
    client = network.client(org="Org1", name="alice")
    for index in range(3):
        assert client.submit("kv", "put", [f"k{index}", b"v"]).ok
    return network


def test_a_peer_refuses_to_open_a_tampered_store_and_is_repaired(tmp_path: Path) -> None:
    directory = tmp_path / "net"
    _network(directory).close()
    ledger = directory / "peers" / "peer0.Org1" / "ledger.sqlite"
    with sqlite3.connect(ledger) as connection:
        assert connection.execute("UPDATE state SET value=? WHERE key='k0'",
                                  (b"forged",)).rowcount == 1
    with pytest.raises(LedgerCorrupted, match="does not match its block chain.*state differs"):
        Network.open(directory, clock=FakeClock())
    network = Network.open(directory, clock=FakeClock(), repair=True)
    try:
        assert network.repaired == ["peer0.Org1"]
        assert {peer.get_state("kv", "k0") for peer in network.peers} == {b"v"}
        assert len({peer.height for peer in network.peers}) == 1
    finally:
        network.close()
    assert (directory / "quarantine" / "peer0.Org1" / "ledger.sqlite").is_file()
    assert verify_ledger(directory).ok


def test_verify_checks_trust_anchors_heights_and_the_orderer(tmp_path: Path) -> None:
    network = _network(tmp_path / "net")
    genesis = network.orderer.get_block(0)
    assert genesis is not None
    anchors = TrustAnchors.of_genesis(genesis)
    network.close()
    report = verify_ledger(tmp_path / "net", anchors)
    assert report.ok and not report.notes, report.problems
    assert verify_ledger(tmp_path / "net").notes  # unanchored: says what it trusted
    other = _network(tmp_path / "other")
    other.close()
    foreign = verify_ledger(tmp_path / "other", anchors)
    assert any("not the trusted one" in problem for problem in foreign.problems)
    with sqlite3.connect(tmp_path / "net" / "orderer" / "ledger.sqlite") as connection:
        connection.execute("DELETE FROM blocks WHERE number=(SELECT MAX(number) FROM blocks)")
    behind = verify_ledger(tmp_path / "net", anchors)
    assert any("ahead of the orderer" in problem for problem in behind.problems)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_ledger_verify_with_anchors_and_hostile_files(tmp_path: Path) -> None:
    _network(tmp_path / "net").close()
    code, out, _ = run_cli("ledger", "anchors", str(tmp_path / "net"))
    assert code == 0
    anchors_file = tmp_path / "anchors.json"
    anchors_file.write_text(out)
    code, out, _ = run_cli("ledger", "verify", str(tmp_path / "net"), "--anchors",
                           str(anchors_file), "--json")
    assert code == 0 and json.loads(out)["ledger"]["anchored"] is True
    code, _, err = run_cli("ledger", "verify", str(tmp_path / "net"), "--genesis-hash",
                           "00" * 32)
    assert code == 1
    for content in (b"\x00\xff" * 100, b"[" * 100_000, b'{"genesis_hash": 5}'):
        anchors_file.write_bytes(content)
        code, _, err = run_cli("ledger", "verify", str(tmp_path / "net"), "--anchors",
                               str(anchors_file))
        assert code == 2 and len(err.strip().splitlines()) == 1 and "--anchors" in err
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"\x89not a database" * 1000)
    code, _, err = run_cli("ledger", "verify", str(garbage))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "garbage.sqlite" in err
    # an SQLite file with an undecodable block: a verification failure, not a traceback
    ledger = sorted((tmp_path / "net" / "peers").iterdir())[1] / "ledger.sqlite"
    with sqlite3.connect(ledger) as connection:
        connection.execute("UPDATE blocks SET block=? WHERE number=1", (b"\x01\x02garbage",))
    code, out, _ = run_cli("ledger", "verify", str(ledger))
    assert code == 1 and "does not decode" in out


# -- the evidence checker judges deadlines on the block time -----------------------------------


class _NoBoundsStub:
    """A stub that drops the chaincode's time bounds (a faulty chaincode's view)."""

    def __init__(self, stub):
        self._stub = stub

    def require_block_time(self, after=None, until=None) -> None:
        return None

    def __getattr__(self, name):
        return getattr(self._stub, name)


class _ChaincodeWithoutBounds(MarketplaceChaincode):
    def invoke(self, stub, function, args):
        # deliberately not a ChaincodeStub: a wrapper that drops the time bounds
        return super().invoke(cast(ChaincodeStub, _NoBoundsStub(stub)), function, args)


def test_evidence_checker_catches_a_timeout_before_the_block_time_deadline(tmp_path) -> None:
    """Without the chaincode's bounds, a timeout stamped 20 s ahead (inside the skew) is
    valid on the ledger and convicts the vendors; the evidence checker, judging on the
    orderer-signed block time, disagrees."""
    from reference.attacks.arena import Arena, stamped
    from reference.clients.evidence_checker import check_ledger

    arena = Arena(tmp_path, chaincode=_ChaincodeWithoutBounds)
    try:
        job_id = arena.new_job("RUNNING")
        deadline = arena.world.job(job_id).deadline
        arena.advance_to(deadline - 10)
        developer = arena.world.developers["dev1"].gateway
        assert isinstance(developer, NetworkGateway)  # the arena's world is on the network
        with stamped(developer, 20):
            outcome = developer.submit("timeout", {"job": job_id})
        assert outcome.ok, outcome  # the faulty chaincode let it through
        assert [verdict.offence for verdict in arena.world.job(job_id).verdicts] == [
            "MISSED_DEADLINE", "MISSED_DEADLINE"]
    finally:
        arena.close()
    report = check_ledger(tmp_path / "network")
    assert not report.ok
    (disagreement,) = [check for check in report.checks if not check.agrees]
    assert any("block time" in note and "not past the deadline" in note
               for note in disagreement.notes), disagreement.notes
