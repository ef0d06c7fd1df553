"""Governance attacks: who may create the market, mint, and change the chaincode definition.
"""

from __future__ import annotations

from reference.attacks.arena import Arena, Verdict, on_network, try_refused
from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
from reference.clients.treasury import init_market
from reference.ledger import TxValidationCode
from reference.ledger.config import ChaincodeDefinition
from reference.ledger.messages import create_config_envelope


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
    vendor = on_network(arena.world.vendors["vendor1"].gateway)
    try_refused(arena, vendor, "fund", {"recipient": "vendor1", "amount": 10**6},
         "MKT_WRONG_ROLE")


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
