"""Genesis and money: the channel admin creates the market, the treasury funds parties.

``init_market`` is the marketplace's genesis: signed by an admin of the governing
organisation (``MarketOrg``), it records the treasury identity (name, organisation, public key of its
certificate), the stake rules document (the parameters file) and the synthesised stake
regions (the regions file; none when the default file does not exist). It runs once.
"""

from __future__ import annotations

from typing import Any

from reference.chaincode.regions import load_regions_document
from reference.chaincode.rules import load_params_document
from reference.clients.gateway import MemoryGateway, NetworkGateway, Outcome


def init_market(admin: NetworkGateway | MemoryGateway, treasury: NetworkGateway | MemoryGateway,
                rules_document: dict[str, Any] | None = None,
                regions_document: dict[str, Any] | None = None,
                organisations: dict[str, list[str]] | None = None) -> Outcome:
    """Create the market with ``treasury`` as its treasury, the given (default: the
    parameters file's) stake rules and the given (default: the regions file's) stake
    regions; ``organisations`` (role -> MSP ids) binds each role to the organisations whose
    certificates may register it (default: none bound)."""
    document = load_params_document() if rules_document is None else rules_document
    regions = load_regions_document() if regions_document is None else regions_document
    args: dict[str, Any] = {
        "treasury": {"name": treasury.name, "organisation": treasury.organisation,
                     "public_key": treasury.public_key.hex()},
        "rules": document, "regions": regions}
    if organisations is not None:
        args["organisations"] = organisations
    return admin.submit("init_market", args)


class Treasury:
    def __init__(self, gateway: NetworkGateway | MemoryGateway):
        self.gateway = gateway
        self.name = gateway.name

    def fund(self, recipient: str, amount: int) -> Outcome:
        return self.gateway.submit("fund", {"recipient": recipient, "amount": amount})
