"""The arena the attacks are played in: a market on a fresh embedded network, the
attack results, and the helpers that play a call and read its outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
from reference.chaincode.records import JobRecord
from reference.clients.crypto import canonical_json
from reference.clients.gateway import MarketClock, MemoryGateway, NetworkGateway, Outcome
from reference.clients.vendor import Vendor
from reference.clients.world import COST, FEE, World
from reference.ledger import FakeClock, Network, TrustAnchors
from reference.ledger.identity import Identity

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
        genesis = self.network.orderer.get_block(0)
        if genesis is None:
            raise RuntimeError("a new network has a genesis block")
        self.anchors = TrustAnchors.of_genesis(genesis)
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


def on_network(gateway: NetworkGateway | MemoryGateway) -> NetworkGateway:
    """A party's gateway in the arena, which is always a network one."""
    if not isinstance(gateway, NetworkGateway):
        raise TypeError("the attacks are played on the network")
    return gateway


@contextmanager
def stamped(gateway: NetworkGateway, offset: int) -> Iterator[None]:
    """Calls through ``gateway`` carry a timestamp ``offset`` seconds off the true time."""
    true_clock = gateway.clock
    gateway.clock = _OffsetClock(true_clock, offset)  # type: ignore[assignment]
    try:
        yield
    finally:
        gateway.clock = true_clock


def verdict_of_refusal(outcome: Outcome, before: dict[str, bytes], after: dict[str, bytes],
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


def with_status_named(outcome: Outcome) -> Outcome:
    """An outcome whose endorsement status (e.g. 412) is named (ENDORSEMENT_TIMESTAMP_SKEW)."""
    if outcome.code and outcome.code.startswith("STATUS_"):
        return Outcome(outcome.actor, outcome.function, outcome.args, outcome.time,
                       endorsement_code(int(outcome.code.removeprefix("STATUS_"))),
                       outcome.message, outcome.payload, outcome.tx_id, outcome.block)
    return outcome


SKEW_REFUSAL = "ENDORSEMENT_TIMESTAMP_SKEW"


def try_refused(arena: Arena, gateway: NetworkGateway, function: str, args: dict[str, Any],
         expected: str | set[str] | None = None, offset: int = 0) -> None:
    before = arena.world.snapshot()
    with stamped(gateway, offset):
        outcome = with_status_named(gateway.submit(function, args))
    verdict_of_refusal(outcome, before, arena.world.snapshot(), expected)


def try_held_back(arena: Arena, gateway: NetworkGateway, function: str, args: dict[str, Any],
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
    verdict_of_refusal(outcome, before, arena.world.snapshot(), expected)
