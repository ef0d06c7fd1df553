"""The attack catalogue: every attack an adversary may try on the reference, played against
a fresh ledger, each with the outcome it met.

An attacker here is a developer, a vendor, a data owner, an organisation's admin, or
someone holding a copy of a ledger directory. Each attack is played for real on a new
embedded network (four organisations, four peers, the marketplace chaincode, a market set
up with identities, money, datasets, offers and models) and reports one of

* ``refused`` — the ledger or the chaincode refused it, with the code it answered (an
  ``MKT_…`` code, an endorsement refusal such as ``ENDORSEMENT_TIMESTAMP_SKEW``, a broadcast
  status, or the validation code of the block it was invalidated in), and nothing changed;
* ``detected`` — it changed something an attacker can change (a file on disk), and the
  check meant to catch it (``verify_ledger``, the peer's integrity check at start) did;
* ``accepted`` — it worked: a hole;
* ``crashed`` — playing it raised (a bug in the reference or in the attack).

Categories: ``time`` (forged timestamps, late broadcasts), ``governance`` (who may create
the market, mint, change chaincode definitions), ``identity`` (certificates and names),
``arguments`` (hostile chaincode arguments, fuzzed with Hypothesis), ``wire`` (hostile
messages to peers and the orderer, fuzzed, and the transaction attacks: replay, tampering,
oversize), ``tamper`` (a ledger directory edited offline, checked with ``verify_ledger``
and trust anchors) and ``restart`` (peers reopened on a tampered store).

``run_attacks(directory)`` plays the whole catalogue; ``aimarket attacks`` prints it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
from reference.chaincode.records import JobRecord
from reference.clients.crypto import canonical_json
from reference.clients.gateway import MarketClock, NetworkGateway, Outcome
from reference.clients.treasury import init_market
from reference.clients.vendor import Vendor
from reference.clients.world import COST, FEE, MISUSE_VALUE, PRICE, PURPOSE, World, small_parts
from reference.ledger import FakeClock, Network, TrustAnchors, TxValidationCode, verify_ledger
from reference.ledger.block import Block
from reference.ledger.config import ChaincodeDefinition
from reference.ledger.crypto import SigningKey
from reference.ledger.identity import CertificateAuthority, Identity
from reference.ledger.messages import create_config_envelope, create_signed_proposal
from reference.ledger.peer import LedgerCorrupted, Peer
from reference.ledger.testing import tamper_args, tamper_write_value

CATEGORIES = ("time", "governance", "identity", "arguments", "wire", "tamper", "restart")
ORGANISATIONS = ["MarketOrg", "OwnersOrg", "DevelopersOrg", "VendorsOrg"]
ROLE_ORGANISATIONS = {"data_owner": ["OwnersOrg"], "developer": ["DevelopersOrg"],
                      "vendor": ["VendorsOrg"]}
START_TIME = 1_700_000_000
FUZZ_EXAMPLES = 60


@dataclass
class AttackResult:
    name: str
    category: str
    outcome: str  # refused | detected | accepted | crashed
    code: str | None
    detail: str = ""

    def to_json_value(self) -> dict[str, Any]:
        return {"name": self.name, "category": self.category, "outcome": self.outcome,
                "code": self.code, "detail": self.detail}


@dataclass
class AttackReport:
    attacks: list[AttackResult] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for attack in self.attacks if attack.outcome == "accepted")

    @property
    def crashed(self) -> int:
        return sum(1 for attack in self.attacks if attack.outcome == "crashed")

    @property
    def ok(self) -> bool:
        return not self.accepted and not self.crashed

    def to_json_value(self) -> dict[str, Any]:
        return {"attacks": [attack.to_json_value() for attack in self.attacks],
                "accepted": self.accepted, "crashed": self.crashed}


class Verdict(Exception):
    """How an attack ended (raised by the attack's body)."""

    def __init__(self, outcome: str, code: str | None, detail: str = ""):
        super().__init__(f"{outcome} {code}: {detail}")
        self.outcome, self.code, self.detail = outcome, code, detail


# -- the arena: a market on a fresh network -------------------------------------------------


class ForgedIdentity(Identity):
    """Another identity's certificate presented with the forger's own key."""

    def __init__(self, certificate, signing_key) -> None:  # no key-match check: a forgery
        self.certificate = certificate
        self.signing_key = signing_key
        self.serialized = certificate.encode()


class NetworkWorld(World):
    """:class:`World` (parties, money, datasets, offers, models) on network gateways."""

    def __init__(self, network: Network, clock: MarketClock):
        self.network = network
        super().__init__(clock=clock, organisations=ROLE_ORGANISATIONS)

    def gateway(self, name: str, organisation: str, role: str = "client") -> NetworkGateway:
        identity = (self.network.admins[organisation] if role == "admin"
                    else self.network.enroll(organisation, name, role))
        return NetworkGateway(self.network, identity, self.clock)

    def value(self, key: str) -> Any:
        data = self.network.peers[0].get_state(CHAINCODE_NAME, key)
        return None if data is None else json.loads(data)

    def job(self, job_id: str = "job1") -> JobRecord:
        return JobRecord.from_json_value(self.value(f"job/{job_id}"))

    def balance(self, name: str) -> int:
        return self.value(f"balance/{name}")

    def snapshot(self) -> dict[str, bytes]:
        states = [dict((key, value) for key, value, _ in
                       peer.store.range_scan(CHAINCODE_NAME, "", ""))
                  for peer in self.network.peers]
        if any(state != states[0] for state in states[1:]):
            raise Verdict("accepted", None, "the peers' world states diverged")
        return states[0]


class Arena:
    """A fresh network in ``directory`` with the market set up."""

    def __init__(self, directory: Path,
                 chaincode: Callable[[], MarketplaceChaincode] = MarketplaceChaincode):
        self.directory = directory
        self.ledger_clock = FakeClock(float(START_TIME))
        self.clock = MarketClock(ledger=self.ledger_clock)
        self.network = Network.create(directory / "network", peers=4, orgs=ORGANISATIONS,
                                      clock=self.ledger_clock, workers=1)
        self.network.install_chaincode(CHAINCODE_NAME, chaincode)
        self.world = NetworkWorld(self.network, self.clock)
        self.anchors = TrustAnchors.of_genesis(self.network.orderer.get_block(0))
        self.jobs = 0
        self.vendors_made = 0

    @property
    def skew(self) -> int:
        return self.network.config.max_timestamp_skew

    def fresh_vendors(self, count: int) -> tuple[str, ...]:
        """New vendors with an offer and money: every attack's job has its own, so no job
        is refused for a vendor's capacity."""
        world, names = self.world, []
        for _ in range(count):
            self.vendors_made += 1
            name = f"vendor-x{self.vendors_made}"
            vendor = Vendor(world.gateway(name, "VendorsOrg"))
            world.vendors[name] = vendor
            world.must(vendor.register_identity())
            world.must(world.treasury.fund(name, 100_000))
            world.must(vendor.register_offer(FEE, COST, 4))
            names.append(name)
        return tuple(names)

    def new_job(self, status: str, vendors: int = 2, job_id: str | None = None) -> str:
        self.jobs += 1
        job_id = job_id or f"job-{self.jobs}"
        world = self.world
        dataset = ("data1", "data2")[self.jobs % 2]  # ten licence uses each
        world.must(world.request(job_id, datasets=(dataset,),
                                 vendors=self.fresh_vendors(vendors)))
        steps = ["REQUESTED", "LICENSED", "RUNNING", "CONFIRMED", "DELIVERED"]
        actions = [world.grant_all, world.accept_all, world.confirm_all, world.submit_all]
        for action in actions[:steps.index(status)]:
            action(job_id)
        return job_id

    def advance_to(self, moment: int) -> None:
        if moment > self.clock.now():
            self.clock.advance(moment - self.clock.now())

    def gateway(self, org: str, name: str, role: str = "client",
                chaincode: str = CHAINCODE_NAME) -> NetworkGateway:
        identity = (self.network.admins[org] if role == "admin"
                    else self.network.enroll(org, name, role))
        return NetworkGateway(self.network, identity, self.clock, chaincode=chaincode)

    def close(self) -> None:
        self.network.close()


class _OffsetClock:
    def __init__(self, clock: MarketClock, offset: int):
        self.clock, self.offset = clock, offset

    def now(self) -> int:
        return self.clock.now() + self.offset

    def advance(self, seconds: int) -> int:
        return self.clock.advance(seconds) + self.offset


@contextmanager
def stamped(gateway: NetworkGateway, offset: int) -> Iterator[None]:
    """Calls through ``gateway`` carry a timestamp ``offset`` seconds off the true time."""
    true_clock = gateway.clock
    gateway.clock = _OffsetClock(true_clock, offset)  # type: ignore[assignment]
    try:
        yield
    finally:
        gateway.clock = true_clock


def _refused(outcome: Outcome, before: dict[str, bytes], after: dict[str, bytes],
             expected: str | set[str] | None = None) -> None:
    """Raise the verdict for a call that should have been refused."""
    if outcome.ok:
        raise Verdict("accepted", None, f"{outcome.function} was accepted")
    if after != before:
        raise Verdict("accepted", outcome.code, "refused, yet the world state changed")
    wanted = {expected} if isinstance(expected, str) else expected
    if wanted is not None and outcome.code not in wanted:
        raise Verdict("refused", outcome.code,
                      f"refused, but with {outcome.code} where {sorted(wanted)} was expected: "
                      f"{outcome.message}")
    raise Verdict("refused", outcome.code, outcome.message[:200])


ENDORSEMENT_STATUS_NAMES = {400: "ENDORSEMENT_BAD_PROPOSAL", 403: "ENDORSEMENT_FORBIDDEN",
                            404: "ENDORSEMENT_CHAINCODE_NOT_FOUND",
                            409: "ENDORSEMENT_DUPLICATE_TXID",
                            412: "ENDORSEMENT_TIMESTAMP_SKEW", 500: "ENDORSEMENT_CHAINCODE_FAILED"}
"""Names for the statuses a peer refuses a proposal with before the chaincode answers."""


def endorsement_code(status: int) -> str:
    return ENDORSEMENT_STATUS_NAMES.get(status, f"ENDORSEMENT_STATUS_{status}")


def _status_code(outcome: Outcome) -> Outcome:
    """An outcome whose endorsement status (e.g. 412) is named (ENDORSEMENT_TIMESTAMP_SKEW)."""
    if outcome.code and outcome.code.startswith("STATUS_"):
        return Outcome(outcome.actor, outcome.function, outcome.args, outcome.time,
                       endorsement_code(int(outcome.code.removeprefix("STATUS_"))),
                       outcome.message, outcome.payload, outcome.tx_id, outcome.block)
    return outcome


SKEW_REFUSAL = "ENDORSEMENT_TIMESTAMP_SKEW"


def _try(arena: Arena, gateway: NetworkGateway, function: str, args: dict[str, Any],
         expected: str | set[str] | None = None, offset: int = 0) -> None:
    before = arena.world.snapshot()
    with stamped(gateway, offset):
        outcome = _status_code(gateway.submit(function, args))
    _refused(outcome, before, arena.world.snapshot(), expected)


def _held(arena: Arena, gateway: NetworkGateway, function: str, args: dict[str, Any],
          hold: int, expected: str, offset: int = 0) -> None:
    """Endorse now (stamped ``offset`` off), broadcast ``hold`` seconds later."""
    endorsed = gateway.client.endorse(gateway.chaincode, function, [canonical_json(args)],
                                      timestamp=arena.clock.now() + offset)
    if endorsed.failure is not None:
        raise Verdict("refused", endorsement_code(endorsed.failure.status),
                      f"refused at endorsement already: {endorsed.failure.message}")
    arena.clock.advance(hold)
    before = arena.world.snapshot()
    result = gateway.client.submit_endorsed(endorsed).result()
    outcome = gateway.outcome_of(function, args, arena.clock.now(), result)
    _refused(outcome, before, arena.world.snapshot(), expected)


# -- time ------------------------------------------------------------------------------------


def backdated_request_with_an_expired_licence(arena: Arena) -> None:
    world = arena.world
    owner = world.owners["owner1"]
    expiry = arena.clock.now() + 10
    world.must(owner.register_dataset("data-expiring", small_parts()[0], price=PRICE,
                                      misuse_value=MISUSE_VALUE, purposes=[PURPOSE],
                                      expiry=expiry, max_uses=5))
    arena.clock.advance(100)
    developer = world.developers["dev1"]
    before = world.snapshot()
    with stamped(developer.gateway, expiry - arena.clock.now()):
        outcome = _status_code(world.request("job-expired", datasets=("data-expiring",),
                                             vendors=("vendor3",)))
    _refused(outcome, before, world.snapshot(), SKEW_REFUSAL)


def postdated_timeout_by_the_developer(arena: Arena) -> None:
    job_id = arena.new_job("RUNNING")
    job = arena.world.job(job_id)
    developer = arena.world.developers["dev1"].gateway
    early = job.deadline + 1 - arena.clock.now()  # the attack: 100 s early
    _try(arena, developer, "timeout", {"job": job_id}, SKEW_REFUSAL, offset=early)


def postdated_timeout_by_a_lazy_vendor(arena: Arena) -> None:
    world = arena.world
    job_id = arena.new_job("CONFIRMED")
    lazy = world.job(job_id).vendors[1]
    world.vendors[lazy].plan_lazy(job_id, 1)  # its transcript is garbage from step 1
    world.submit_all(job_id)
    job = world.job(job_id)
    _try(arena, world.vendors[lazy].gateway, "timeout", {"job": job_id}, SKEW_REFUSAL,
         offset=job.deadline + 1 - arena.clock.now())


def backdated_submit_after_the_deadline(arena: Arena) -> None:
    world = arena.world
    job_id = arena.new_job("CONFIRMED", vendors=1)
    job = world.job(job_id)
    vendor = world.vendors[job.vendors[0]]
    vendor.train(job_id)
    arena.advance_to(job.deadline + 50)  # 50 s late, signed as if in time
    before = world.snapshot()
    with stamped(vendor.gateway, job.deadline - arena.clock.now()):
        outcome = _status_code(vendor.submit(job_id))
    _refused(outcome, before, world.snapshot(), SKEW_REFUSAL)


def skewed_clock_timeout_inside_the_tolerance(arena: Arena) -> None:
    """A timeout stamped ahead by less than the skew, so endorsement lets it through and
    the chaincode sees the deadline passed; the block time says otherwise."""
    job_id = arena.new_job("DELIVERED")
    job = arena.world.job(job_id)
    arena.advance_to(job.deadline - arena.skew // 3)
    developer = arena.world.developers["dev1"].gateway
    _try(arena, developer, "timeout", {"job": job_id},
         TxValidationCode.TIME_BOUND_VIOLATED.name, offset=arena.skew // 3 * 2)


def late_broadcast_of_a_move_endorsed_in_time(arena: Arena) -> None:
    job_id = arena.new_job("DELIVERED")
    job = arena.world.job(job_id)
    arena.advance_to(job.deadline - 5)
    developer = arena.world.developers["dev1"].gateway
    _held(arena, developer, "accept_result", {"job": job_id}, hold=10,
          expected=TxValidationCode.TIME_BOUND_VIOLATED.name)


def late_broadcast_beyond_the_skew(arena: Arena) -> None:
    job_id = arena.new_job("RUNNING")
    vendor = arena.world.vendors[arena.world.job(job_id).vendors[0]].gateway
    _held(arena, vendor, "confirm_inputs", {"job": job_id}, hold=arena.skew + 5,
          expected=TxValidationCode.BAD_TIMESTAMP.name)


# -- governance ------------------------------------------------------------------------------


def init_market_by_another_organisations_admin(arena: Arena) -> None:
    namespace = "aimarket-governance"
    arena.network.install_chaincode(namespace, MarketplaceChaincode)
    intruder = arena.gateway("VendorsOrg", "admin", "admin", chaincode=namespace)
    mint = arena.gateway("VendorsOrg", "vendor1", chaincode=namespace)
    outcome = init_market(intruder, mint)
    if outcome.ok:
        raise Verdict("accepted", None, "a VendorsOrg admin created the market")
    rightful = arena.gateway("MarketOrg", "admin", "admin", chaincode=namespace)
    treasury = arena.gateway("MarketOrg", "treasury", chaincode=namespace)
    if not init_market(rightful, treasury).ok:
        raise Verdict("accepted", outcome.code, "the rightful admin was locked out")
    raise Verdict("refused", outcome.code, outcome.message[:200])


def treasury_named_from_another_organisation(arena: Arena) -> None:
    namespace = "aimarket-governance-2"
    arena.network.install_chaincode(namespace, MarketplaceChaincode)
    admin = arena.gateway("MarketOrg", "admin", "admin", chaincode=namespace)
    vendor = arena.gateway("VendorsOrg", "vendor1", chaincode=namespace)
    outcome = init_market(admin, vendor)
    if outcome.ok:
        raise Verdict("accepted", None, "a vendor became the treasury")
    raise Verdict("refused", outcome.code, outcome.message[:200])


def mint_by_a_vendor(arena: Arena) -> None:
    vendor = arena.world.vendors["vendor1"].gateway
    _try(arena, vendor, "fund", {"recipient": "vendor1", "amount": 10**6},
         "MKT_ROLE_NOT_ALLOWED")


def chaincode_redefined_by_one_organisation(arena: Arena) -> None:
    network = arena.network
    admin = network.admins["VendorsOrg"]
    wanted = ChaincodeDefinition(CHAINCODE_NAME, "2.0", "OR('VendorsOrg.peer')")
    config = network.config.with_chaincode(wanted)
    envelope = create_config_envelope(admin, network.channel_id, config.encode(), [admin],
                                      arena.clock.now())
    before_config = network.config
    response = network.orderer.broadcast(envelope)
    if not response.ok:
        raise Verdict("refused", f"BROADCAST_{response.status.name}", response.info)
    network.flush()
    block = network.peers[0].store.get_block(network.peers[0].height - 1)
    code = block.validation_codes()[-1] if block is not None else None
    if network.config != before_config or code == TxValidationCode.VALID:
        raise Verdict("accepted", None, "one organisation changed the chaincode definition")
    raise Verdict("refused", code.name if code is not None else None,
                  "config transaction invalidated: needs a majority of organisation admins")


# -- identity --------------------------------------------------------------------------------


def squat_a_role_of_another_organisation(arena: Arena) -> None:
    squatter = arena.gateway("VendorsOrg", "owner9")
    before = arena.world.snapshot()
    outcome = squatter.submit("register_identity", {"role": "data_owner"})
    if outcome.ok:
        raise Verdict("accepted", None, "a VendorsOrg certificate took a data-owner name")
    after = arena.world.snapshot()
    rightful = arena.gateway("OwnersOrg", "owner9")
    if not rightful.submit("register_identity", {"role": "data_owner"}).ok:
        raise Verdict("accepted", outcome.code, "the rightful owner9 was locked out")
    _refused(outcome, before, after, "MKT_ORGANISATION_NOT_ALLOWED")


def same_name_from_another_organisation(arena: Arena) -> None:
    impostor = arena.gateway("VendorsOrg", "owner1")
    _try(arena, impostor, "deny_access", {"job": "job-1", "dataset": "data1"},
         "MKT_SIGNER_NOT_REGISTERED")


def registered_certificate_with_a_foreign_key(arena: Arena) -> None:
    owner = arena.network.enroll("OwnersOrg", "owner1")
    forged = ForgedIdentity(owner.certificate, SigningKey.generate())
    gateway = NetworkGateway(arena.network, forged, arena.clock)
    _try(arena, gateway, "register_model", {"model": "stolen", "commitment": "ab" * 32},
         "ENDORSEMENT_FORBIDDEN")


def certificate_from_an_unknown_ca(arena: Arena) -> None:
    rogue = CertificateAuthority("OwnersOrg", SigningKey.generate()).enroll("owner1")
    gateway = NetworkGateway(arena.network, rogue, arena.clock)
    _try(arena, gateway, "register_model", {"model": "stolen", "commitment": "ab" * 32},
         "ENDORSEMENT_FORBIDDEN")


# -- arguments -------------------------------------------------------------------------------


def _raw_call(arena: Arena, gateway: NetworkGateway, function: str, raw: bytes) -> None:
    before = arena.world.snapshot()
    result = gateway.client.submit(CHAINCODE_NAME, function, [raw],
                                   timestamp=arena.clock.now())
    outcome = gateway.outcome_of(function, {}, arena.clock.now(), result)
    _refused(_status_code(outcome), before, arena.world.snapshot(), "MKT_MALFORMED_ARGS")


def duplicate_keys(arena: Arena) -> None:
    treasury = arena.world.treasury.gateway
    _raw_call(arena, treasury, "fund", b'{"recipient": "owner1", "amount": 1, "amount": 9}')


def endless_deadline_window(arena: Arena) -> None:
    developer = arena.world.developers["dev1"]
    vendors = list(arena.fresh_vendors(1))
    terms = developer.job_terms("model1", ["data1"], vendors)
    _try(arena, developer.gateway, "request_training", {
        "job": "job-forever", "model": "model1", "datasets": ["data1"], "vendors": vendors,
        "purpose": PURPOSE, **terms, "window": 10**15}, "MKT_MALFORMED_ARGS")


def mint_beyond_the_protocol_bound(arena: Arena) -> None:
    _try(arena, arena.world.treasury.gateway, "fund", {"recipient": "owner1", "amount": 10**30},
         "MKT_MALFORMED_ARGS")


def deeply_nested_argument(arena: Arena) -> None:
    raw = b'{"recipient": "owner1", "amount": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    _raw_call(arena, arena.world.treasury.gateway, "fund", raw)


def lone_surrogate(arena: Arena) -> None:
    _raw_call(arena, arena.world.developers["dev1"].gateway, "register_model",
              b'{"model": "m\\ud800", "commitment": "' + b"ab" * 32 + b'"}')


def fuzzed_chaincode_arguments(arena: Arena) -> None:
    """Hypothesis: every function, hostile JSON (any types, an unknown field) or arbitrary
    bytes, evaluated on an endorsing peer; every answer must be a refusal with an MKT_ code
    (never accepted, never status 500)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    functions = sorted(MarketplaceChaincode().transactions)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)
    hostile_object = st.dictionaries(st.sampled_from(
        ["job", "amount", "recipient", "role", "dataset", "vendor", "digest", "steps",
         "window", "treasury", "rules", "model", "commitment"]), json_values, max_size=6).map(
        lambda fields: canonical_json({**fields, "zz_fuzz": 1})
        if _encodable(fields) else b"{}{")
    payloads = hostile_object | st.binary(max_size=200)
    peer = arena.network.peers[0]
    gateway = arena.world.developers["dev1"].gateway
    answers: Counter[str] = Counter()
    failures: list[str] = []

    @settings(max_examples=FUZZ_EXAMPLES, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(functions), payloads)
    def probe(function: str, payload: bytes) -> None:
        _, signed = create_signed_proposal(gateway.identity, arena.network.channel_id,
                                        CHAINCODE_NAME, function, (payload,),
                                        arena.clock.now())
        response = peer.process_proposal(signed, endorse=True)
        status, message = response.response.status, response.response.message
        if response.endorsement is not None or status < 400:
            failures.append(f"accepted {function}({payload[:60]!r})")
        elif status >= 500 or not message.startswith("MKT_"):
            failures.append(f"status {status} for {function}({payload[:60]!r}): {message[:80]}")
        else:
            answers[message.split(":", 1)[0]] += 1

    before = arena.world.snapshot()
    probe()
    if failures:
        outcome = "accepted" if any(f.startswith("accepted") for f in failures) else "crashed"
        raise Verdict(outcome, None, f"{len(failures)} bad answer(s), first: {failures[0]}")
    if arena.world.snapshot() != before:
        raise Verdict("accepted", None, "fuzzing changed the world state")
    code, _ = answers.most_common(1)[0]
    raise Verdict("refused", code, f"{sum(answers.values())} hostile calls refused: "
                  + ", ".join(f"{name} x{count}" for name, count in answers.most_common()))


def _encodable(value: Any) -> bool:
    try:
        canonical_json(value)
    except (TypeError, ValueError):
        return False
    return True


# -- wire ------------------------------------------------------------------------------------


def _committed_outcome(arena: Arena, gateway: NetworkGateway, envelope: bytes,
                       expected: str) -> None:
    """Broadcast ``envelope``; it must be invalidated with ``expected`` (or refused)."""
    before = arena.world.snapshot()
    peer = arena.network.peers[0]
    height = peer.height
    response = arena.network.orderer.broadcast(envelope)
    if not response.ok:
        raise Verdict("refused", f"BROADCAST_{response.status.name}", response.info[:200])
    arena.network.flush()
    codes = [event.codes[position] for event in peer.block_events(height)
             for position, data in enumerate(event.block.data) if data == envelope]
    if len(codes) != 1:
        raise Verdict("crashed", None, f"the broadcast transaction is in {len(codes)} blocks")
    code = codes[0]
    if code == TxValidationCode.VALID:
        raise Verdict("accepted", None, "a tampered transaction was valid")
    outcome = Outcome(gateway.name, "", {}, 0, code.name)
    _refused(outcome, before, arena.world.snapshot(), expected)


def _endorsed(arena: Arena, gateway, function: str, arguments: dict):
    """A proposal of ``function`` endorsed now, as the setup of a transaction attack (a
    failed endorsement is the attack suite's own failure, reported as crashed)."""
    endorsed = gateway.client.endorse(CHAINCODE_NAME, function, [canonical_json(arguments)],
                                      timestamp=arena.clock.now())
    if endorsed.envelope is None:
        raise Verdict("crashed", None, f"setup failed: {endorsed.failure}")
    return endorsed


def replayed_transaction(arena: Arena) -> None:
    developer = arena.world.developers["dev2"].gateway
    endorsed = _endorsed(arena, developer, "register_model",
                         {"model": "model-r", "commitment": "cd" * 32})
    first = developer.client.submit_endorsed(endorsed).result()
    if not first.ok:
        raise Verdict("crashed", None, f"setup failed: {first.code}")
    _committed_outcome(arena, developer, endorsed.envelope,
                       TxValidationCode.DUPLICATE_TXID.name)


def write_set_changed_after_endorsement(arena: Arena) -> None:
    treasury = arena.world.treasury.gateway
    endorsed = _endorsed(arena, treasury, "fund", {"recipient": "vendor1", "amount": 1})
    forged = tamper_write_value(endorsed.envelope, treasury.identity, b"1000000000")
    _committed_outcome(arena, treasury, forged,
                       TxValidationCode.ENDORSEMENT_POLICY_FAILURE.name)


def arguments_changed_after_endorsement(arena: Arena) -> None:
    treasury = arena.world.treasury.gateway
    endorsed = _endorsed(arena, treasury, "fund", {"recipient": "vendor1", "amount": 1})
    forged = tamper_args(endorsed.envelope, treasury.identity,
                         (canonical_json({"recipient": "vendor1", "amount": 10**9}),))
    _committed_outcome(arena, treasury, forged,
                       TxValidationCode.INVALID_ENDORSER_TRANSACTION.name)


def oversized_message(arena: Arena) -> None:
    limit = arena.network.config.batch.absolute_max_bytes
    response = arena.network.orderer.broadcast(b"\x00" * (limit + 1))
    if response.ok:
        raise Verdict("accepted", None, "the orderer took a message over AbsoluteMaxBytes")
    raise Verdict("refused", f"BROADCAST_{response.status.name}", response.info[:200])


def fuzzed_wire_messages(arena: Arena) -> None:
    """Hypothesis: mutated (bit flips, truncation, extension) signed proposals to a peer
    and envelopes to the orderer, and arbitrary bytes to every decoder; nothing may be
    endorsed or committed as valid, and nothing may raise."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    network = arena.network
    peer = network.peers[0]
    developer = arena.world.developers["dev2"].gateway
    _, proposal = create_signed_proposal(developer.identity, network.channel_id, CHAINCODE_NAME,
                                      "register_model",
                                      (canonical_json({"model": "fuzzed",
                                                       "commitment": "ef" * 32}),),
                                      arena.clock.now())
    endorsed = _endorsed(arena, developer, "register_model",
                         {"model": "fuzzed-2", "commitment": "ef" * 32})
    envelope = endorsed.envelope
    problems: list[str] = []
    refusals: Counter[str] = Counter()
    height_before = peer.height

    def mutate(data: bytes, position: int, bit: int, cut: int, extra: bytes) -> bytes:
        changed = bytearray(data)
        changed[position % len(changed)] ^= 1 << bit
        mutated = bytes(changed)
        if cut:
            mutated = mutated[:-cut]
        return mutated + extra

    mutation = st.tuples(st.integers(0, 10**6), st.integers(0, 7), st.integers(0, 40),
                         st.binary(max_size=8))

    @settings(max_examples=FUZZ_EXAMPLES, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(mutation, mutation, st.binary(max_size=300))
    def probe(proposal_mutation, envelope_mutation, noise: bytes) -> None:
        bad_proposal = mutate(proposal, *proposal_mutation)
        try:
            response = peer.process_proposal(bad_proposal)
        except Exception as exc:  # noqa: BLE001 - a raise is the finding
            problems.append(f"peer raised {type(exc).__name__} on a mutated proposal")
            return
        if response.endorsement is not None:
            problems.append("a mutated proposal was endorsed")
        refusals[endorsement_code(response.response.status)] += 1
        bad_envelope = mutate(envelope, *envelope_mutation)
        try:
            answer = network.orderer.broadcast(bad_envelope)
            network.orderer.broadcast(noise)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"orderer raised {type(exc).__name__}")
            return
        refusals[f"BROADCAST_{answer.status.name}"] += 1
        for decoder in (Block.decode,):
            try:
                decoder(noise)
            except ValueError:
                pass
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{decoder.__qualname__} raised {type(exc).__name__}")

    before = arena.world.snapshot()
    probe()
    network.flush()
    for block in peer.block_events(height_before):
        if any(code == TxValidationCode.VALID for code in block.codes):
            problems.append(f"a mutated envelope was valid in block {block.block_number}")
    if problems:
        raise Verdict("accepted" if any("endorsed" in p or "valid" in p for p in problems)
                      else "crashed", None, f"{len(problems)} problem(s), first: {problems[0]}")
    if arena.world.snapshot() != before:
        raise Verdict("accepted", None, "fuzzing changed the world state")
    code, _ = refusals.most_common(1)[0]
    raise Verdict("refused", code, ", ".join(f"{name} x{count}"
                                             for name, count in refusals.most_common()))


# -- tamper and restart (on copies of the ledger directory) ------------------------------------


def _copy(arena: Arena, name: str) -> Path:
    arena.network.sync()
    target = arena.directory / "copies" / name
    if target.exists():
        shutil.rmtree(target)
    # consistent copies: SQLite's backup API, not a file copy of a live WAL database
    for source in (arena.directory / "network").rglob("*"):
        relative = source.relative_to(arena.directory / "network")
        destination = target / relative
        if source.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif source.suffix == ".sqlite":
            destination.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(source) as live, sqlite3.connect(destination) as copy:
                live.backup(copy)
        elif not source.name.endswith(("-wal", "-shm")):
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def _sql(path: Path, statement: str, parameters: tuple = ()) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(statement, parameters)


def _peer_ledger(copy: Path, index: int = 0) -> Path:
    return sorted((copy / "peers").iterdir())[index] / "ledger.sqlite"


def _verified(copy: Path, anchors: TrustAnchors | None, expect: str) -> None:
    report = verify_ledger(copy, anchors)
    matching = [problem for problem in report.problems if expect in problem]
    if not matching:
        raise Verdict("accepted", None, f"verify_ledger missed it: {report.problems[:2]}")
    raise Verdict("detected", "VERIFY_LEDGER", matching[0][:200])


def edited_balance(arena: Arena) -> None:
    copy = _copy(arena, "edited-balance")
    _sql(_peer_ledger(copy), "UPDATE state SET value=? WHERE namespace=? AND key=?",
         (b"1000000000000", CHAINCODE_NAME, "balance/vendor1"))
    _verified(copy, arena.anchors, "state differs")


def deleted_block_row(arena: Arena) -> None:
    copy = _copy(arena, "deleted-block")
    _sql(_peer_ledger(copy), "DELETE FROM blocks WHERE number=(SELECT MAX(number) FROM blocks)")
    _verified(copy, arena.anchors, "behind the orderer")


def peer_a_block_behind(arena: Arena) -> None:
    """One peer's store lost its last block *consistently* (block, state, index rolled
    back: a replica restored from an older backup); only the cross-check shows it."""
    copy = _copy(arena, "peer-behind")
    ledger = _peer_ledger(copy, 1)
    with sqlite3.connect(ledger) as connection:
        top = connection.execute("SELECT MAX(number) FROM blocks").fetchone()[0]
    # rebuild the peer from its own blocks 0..top-1: the honest state at that height
    with sqlite3.connect(ledger) as connection:
        blocks = [Block.decode(row[0]) for row in connection.execute(
            "SELECT block FROM blocks WHERE number < ? ORDER BY number", (top,))]
    for leftover in (ledger, ledger.with_name("ledger.sqlite-wal"),
                     ledger.with_name("ledger.sqlite-shm")):
        leftover.unlink(missing_ok=True)
    rebuilt = Peer("behind", arena.network.peers[1].identity, ledger.parent, blocks[0],
                   check_integrity=False)
    for block in blocks[1:]:
        rebuilt.deliver(Block(block.header, block.data, _unvalidated(block)))
    rebuilt.close()
    _verified(copy, arena.anchors, "behind the orderer")


def _unvalidated(block: Block):
    from dataclasses import replace
    return replace(block.metadata, validation_codes=b"", commit_hash=b"")


def other_genesis_under_the_trust_anchor(arena: Arena) -> None:
    """A whole network rewritten by someone holding every key: a fresh channel with the
    same organisations' names is internally consistent; only the anchor exposes it."""
    forged_root = arena.directory / "copies" / "forged-network"
    if forged_root.exists():
        shutil.rmtree(forged_root)
    forged = Network.create(forged_root, peers=4, orgs=ORGANISATIONS,
                            clock=FakeClock(float(START_TIME)), workers=1)
    forged.close()
    report = verify_ledger(forged_root)
    if not report.ok:
        raise Verdict("crashed", None, f"the forged network is not even self-consistent: "
                      f"{report.problems[:1]}")
    _verified(forged_root, arena.anchors, "not the trusted one")


def restart_on_an_edited_balance(arena: Arena) -> None:
    copy = _copy(arena, "restart-edited")
    _sql(_peer_ledger(copy), "UPDATE state SET value=? WHERE namespace=? AND key=?",
         (b"1000000000000", CHAINCODE_NAME, "balance/vendor1"))
    _reopen(copy, expect="state differs")


def restart_with_a_deleted_block(arena: Arena) -> None:
    copy = _copy(arena, "restart-deleted")
    _sql(_peer_ledger(copy), "DELETE FROM blocks WHERE number=(SELECT MAX(number) FROM blocks)")
    _reopen(copy, expect="differs")


def _reopen(copy: Path, expect: str) -> None:
    try:
        network = Network.open(copy, clock=FakeClock(float(START_TIME)), workers=1)
    except LedgerCorrupted as refusal:
        message = str(refusal)
        if expect not in message:
            raise Verdict("detected", "LEDGER_CORRUPTED",
                          f"refused, with an unexpected reason: {message[:200]}") from None
    else:
        network.close()
        raise Verdict("accepted", None, "the peer opened its tampered store and served it")
    repaired = Network.open(copy, clock=FakeClock(float(START_TIME)), workers=1, repair=True)
    try:
        heights = {peer.height for peer in repaired.peers}
        states = [list(peer.store.range_scan(CHAINCODE_NAME, "", "")) for peer in repaired.peers]
        fixed = repaired.repaired
    finally:
        repaired.close()
    if len(heights) != 1 or any(state != states[0] for state in states[1:]):
        raise Verdict("detected", "LEDGER_CORRUPTED", "detected, but the repair diverged")
    raise Verdict("detected", "LEDGER_CORRUPTED",
                  f"peer refused to serve ({message[:120]}); repaired {fixed} from the orderer")


# -- the catalogue ---------------------------------------------------------------------------

Attack = tuple[str, str, Callable[[Arena], None]]

CATALOGUE: list[Attack] = [
    ("time", "backdated request_training with an expired licence",
     backdated_request_with_an_expired_licence),
    ("time", "postdated timeout of a running job by the developer",
     postdated_timeout_by_the_developer),
    ("time", "postdated timeout by a lazy vendor", postdated_timeout_by_a_lazy_vendor),
    ("time", "backdated submit_result after the deadline", backdated_submit_after_the_deadline),
    ("time", "timeout from a skewed clock inside the tolerance",
     skewed_clock_timeout_inside_the_tolerance),
    ("time", "late broadcast of a move endorsed before its deadline",
     late_broadcast_of_a_move_endorsed_in_time),
    ("time", "late broadcast beyond the timestamp skew", late_broadcast_beyond_the_skew),
    ("governance", "init_market first by another organisation's admin",
     init_market_by_another_organisations_admin),
    ("governance", "treasury named from another organisation",
     treasury_named_from_another_organisation),
    ("governance", "mint by a vendor", mint_by_a_vendor),
    ("governance", "chaincode definition changed by one organisation's admin",
     chaincode_redefined_by_one_organisation),
    ("identity", "squat a role of another organisation", squat_a_role_of_another_organisation),
    ("identity", "same name from another organisation", same_name_from_another_organisation),
    ("identity", "registered certificate with a foreign key",
     registered_certificate_with_a_foreign_key),
    ("identity", "certificate from an unknown CA", certificate_from_an_unknown_ca),
    ("arguments", "duplicate JSON keys", duplicate_keys),
    ("arguments", "deadline window that never ends", endless_deadline_window),
    ("arguments", "mint beyond the protocol bound", mint_beyond_the_protocol_bound),
    ("arguments", "argument nested 100000 deep", deeply_nested_argument),
    ("arguments", "lone surrogate in an identifier", lone_surrogate),
    ("arguments", "fuzzed chaincode arguments (Hypothesis)", fuzzed_chaincode_arguments),
    ("wire", "replayed transaction", replayed_transaction),
    ("wire", "write set changed after endorsement", write_set_changed_after_endorsement),
    ("wire", "arguments changed after endorsement", arguments_changed_after_endorsement),
    ("wire", "message over AbsoluteMaxBytes", oversized_message),
    ("wire", "fuzzed proposals, envelopes and blocks (Hypothesis)", fuzzed_wire_messages),
    ("tamper", "balance edited in a peer's store", edited_balance),
    ("tamper", "last block row deleted from a peer's store", deleted_block_row),
    ("tamper", "peer restored a block behind the others", peer_a_block_behind),
    ("tamper", "whole network re-created with every key (trust anchor)",
     other_genesis_under_the_trust_anchor),
    ("restart", "peer restarts on an edited balance", restart_on_an_edited_balance),
    ("restart", "peer restarts with its last block row deleted", restart_with_a_deleted_block),
]


def play(arena: Arena, category: str, name: str, attack: Callable[[Arena], None]) -> AttackResult:
    try:
        attack(arena)
    except Verdict as verdict:
        return AttackResult(name, category, verdict.outcome, verdict.code, verdict.detail)
    except Exception as exc:  # noqa: BLE001 - an attack that raises is reported, not hidden
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return AttackResult(name, category, "crashed", None,
                            f"{type(exc).__name__}: {str(exc)[:160]} "
                            f"({Path(frame.filename).name}:{frame.lineno})")
    return AttackResult(name, category, "crashed", None, "the attack reached no verdict")


def run_attacks(directory: str | Path | None = None,
                progress: Callable[[str], None] | None = None,
                only: Callable[[str, str], bool] | None = None) -> AttackReport:
    """Play the catalogue (or the attacks ``only(category, name)`` selects) on a fresh
    market in ``directory`` (a new temporary directory when None; it must be empty)."""
    temporary = None
    if directory is None:
        temporary = tempfile.TemporaryDirectory(prefix="aimarket-attacks-")
        root = Path(temporary.name)
    else:
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
    report = AttackReport()
    arena = Arena(root)
    try:
        for category, name, attack in CATALOGUE:
            if only is not None and not only(category, name):
                continue
            if progress:
                progress(f"{category}: {name}")
            report.attacks.append(play(arena, category, name, attack))
    finally:
        arena.close()
        if temporary is not None:
            temporary.cleanup()
    return report


def run_time_attacks(arena: Arena) -> list[AttackResult]:
    """The time attacks alone, on an existing arena (the demo reports them)."""
    return [play(arena, category, name, attack)
            for category, name, attack in CATALOGUE if category == "time"]
