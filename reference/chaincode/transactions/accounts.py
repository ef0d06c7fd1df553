"""Genesis, identities and accounts: ``init_market``, ``register_identity``, ``fund`` (the
chapter of the same name in ``spec/actions.py``).
"""

from __future__ import annotations

from reference.chaincode.arguments import (
    Arguments,
    malformed,
)
from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.records import (
    CONFIG_KEY,
    IDENTIFIER,
    ROLES,
    TREASURY_ROLE,
    IdentityRecord,
    MarketConfig,
    identity_key,
    minted_key,
)
from reference.chaincode.regions import regions_from_json_value
from reference.chaincode.rules import (
    RulesError,
    rules_from_json_value,
)
from reference.chaincode.shared_checks import SharedChecks

ADMIN_ROLE = "admin"
GOVERNING_ORGANISATION = "MarketOrg"
"""The organisation whose admins govern the market (the governance policy
``OR('MarketOrg.admin')``): only they may create it, and its treasury — the one identity
that mints — must be one of its certificates."""


class AccountTransactions(SharedChecks, Escrow):
    """Genesis, identities and accounts: ``init_market``, ``register_identity``, ``fund``."""

    governance: str
    """The organisation whose admins govern the market."""

    def init_market(self, call: Call) -> None:
        """Record the treasury identity, the stake rules and (optionally) the synthesised
        stake regions; once, by a channel admin."""
        treasury = call.args.json_object("treasury")
        rules_document = call.args.json_object("rules")
        regions_document = call.args.json_object("regions", optional=True)
        organisations = call.args.json_object("organisations", optional=True)
        call.args.done()
        if organisations is not None:
            for role, members in organisations.items():
                if role not in ROLES or role == TREASURY_ROLE:
                    raise malformed(f"organisations.{role[:64]}",
                                    f"must be one of {', '.join(r for r in ROLES if r != TREASURY_ROLE)}")
                if (not isinstance(members, list) or not members or len(members) > 64
                        or not all(isinstance(m, str) and IDENTIFIER.fullmatch(m)
                                   for m in members)):
                    raise malformed(f"organisations.{role}",
                                    "must be a non-empty list of MSP ids")
        treasury_args = Arguments(treasury)
        name = treasury_args.identifier("name")
        organisation = treasury_args.text("organisation")
        public_key = treasury_args.hex_bytes("public_key", 65)
        treasury_args.done()
        try:
            rules_from_json_value(rules_document)
        except RulesError as problem:
            raise malformed("rules", str(problem)) from None
        if regions_document is not None:
            try:
                regions_from_json_value(regions_document)
            except RulesError as problem:
                raise malformed("regions", str(problem)) from None
        if call.creator.role != ADMIN_ROLE or call.creator.org != self.governance:
            raise Rejected(MarketCode.NOT_CHANNEL_ADMIN,
                           f"init_market needs an {ADMIN_ROLE} of {self.governance}, signer is "
                           f"a {call.creator.role!r} of {call.creator.org}")
        if organisation != self.governance:
            raise malformed("treasury.organisation",
                            f"the treasury must be an identity of {self.governance}")
        if call.state.get_json(CONFIG_KEY) is not None:
            raise Rejected(MarketCode.ALREADY_INITIALISED, "the market exists already")
        state = call.state
        state.put_json(CONFIG_KEY,
                       MarketConfig(name, rules_document, regions_document,
                                    organisations).to_json_value())
        record = IdentityRecord(name, TREASURY_ROLE, organisation, public_key.hex())
        state.put_json(identity_key(name), record.to_json_value())
        state.put_balance(name, 0)
        call.summary.update({"treasury": name})

    def register_identity(self, call: Call) -> None:
        role = call.args.text("role")
        organisation = call.args.optional_text("organisation")
        call.args.done()
        if role not in ROLES:
            raise malformed("role", f"must be one of {', '.join(ROLES)}")
        creator = call.creator
        if organisation is not None and organisation != creator.org:
            raise malformed("organisation", f"must be the signer's organisation {creator.org!r}")
        if not IDENTIFIER.fullmatch(creator.name):
            raise malformed("signer", "the certificate's name is not a valid identifier")
        call.config  # the market must exist
        if call.state.identity(creator.name) is not None:
            raise Rejected(MarketCode.ALREADY_REGISTERED, f"{creator.name} is already registered")
        if role == TREASURY_ROLE:
            raise Rejected(MarketCode.ROLE_RESERVED, "the treasury exists from genesis only")
        allowed = call.config.organisations_for(role)
        if allowed is not None and creator.org not in allowed:
            raise Rejected(MarketCode.ORGANISATION_NOT_ALLOWED,
                           f"the role {role} belongs to {', '.join(allowed) or 'no organisation'}; "
                           f"the signer's certificate is issued by {creator.org}")
        record = IdentityRecord(creator.name, role, creator.org, creator.public_key.hex())
        call.state.put_json(identity_key(creator.name), record.to_json_value())
        call.state.put_balance(creator.name, 0)
        call.summary.update({"identity": creator.name, "role": role})

    def fund(self, call: Call) -> None:
        recipient = call.args.identifier("recipient")
        amount = call.args.integer("amount")
        call.args.done()
        self.signer(call, TREASURY_ROLE)
        if call.state.identity(recipient) is None:
            raise Rejected(MarketCode.UNKNOWN_IDENTITY, f"no identity {recipient!r}")
        if amount <= 0:
            raise Rejected(MarketCode.NON_POSITIVE_AMOUNT, f"amount {amount} is not positive")
        state = call.state
        state.put_balance(recipient, state.balance(recipient) + amount)
        minted = state.get_json(minted_key(recipient)) or 0
        state.put_json(minted_key(recipient), minted + amount)
        call.summary.update({"recipient": recipient, "amount": amount})
