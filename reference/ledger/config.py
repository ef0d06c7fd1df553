"""Channel configuration: organisations, orderer batch parameters, chaincode definitions.

The configuration lives on the ledger, as in Fabric: block 0 (the genesis block) carries
the first ``ChannelConfig`` in a config transaction, and later config transactions (signed
by a majority of the organisations' admins) may change the chaincode definitions. Every
peer, and ``verify_ledger``, derives policies and memberships only from these blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from reference.ledger import wire
from reference.ledger.identity import MembershipService, Organisation
from reference.ledger.policy import Policy, majority, parse_policy

MAJORITY = "MAJORITY Endorsement"

DEFAULT_MAX_TIMESTAMP_SKEW = 30
"""Seconds a transaction's signed timestamp may differ from an endorser's clock (at
endorsement) and from its block's time (at validation)."""


@dataclass(frozen=True)
class BatchConfig:
    """The orderer's block-cutting parameters (Fabric's ``BatchSize`` and ``BatchTimeout``).

    Defaults are those of Fabric's sample ``configtx.yaml``.
    """

    max_message_count: int = 500
    absolute_max_bytes: int = 10 * 1024 * 1024
    preferred_max_bytes: int = 2 * 1024 * 1024
    batch_timeout: float = 2.0

    def __post_init__(self) -> None:
        if self.max_message_count < 1:
            raise ValueError("max_message_count must be at least 1")
        if self.absolute_max_bytes < 1 or self.preferred_max_bytes < 1:
            raise ValueError("byte limits must be positive")
        if self.preferred_max_bytes > self.absolute_max_bytes:
            raise ValueError("preferred_max_bytes must not exceed absolute_max_bytes")
        if self.batch_timeout <= 0:
            raise ValueError("batch_timeout must be positive")


@dataclass(frozen=True)
class ChaincodeDefinition:
    """A chaincode as defined on the channel: name, version and endorsement policy text."""

    name: str
    version: str = "1.0"
    endorsement_policy: str = MAJORITY


@dataclass(frozen=True)
class ChannelConfig:
    channel_id: str
    sequence: int
    organisations: tuple[Organisation, ...]
    orderer_organisation: Organisation
    batch: BatchConfig = field(default_factory=BatchConfig)
    chaincodes: tuple[ChaincodeDefinition, ...] = ()
    max_timestamp_skew: int = DEFAULT_MAX_TIMESTAMP_SKEW
    """The channel's time tolerance in seconds (see ``DEFAULT_MAX_TIMESTAMP_SKEW``)."""

    def __post_init__(self) -> None:
        if type(self.max_timestamp_skew) is not int or self.max_timestamp_skew < 0:
            raise ValueError("max_timestamp_skew must be a non-negative integer")

    def encode(self) -> bytes:
        return wire.dumps([
            "aimarket-channel-config-v2",
            self.channel_id,
            self.sequence,
            [[org.msp_id, org.ca_public_key] for org in self.organisations],
            [self.orderer_organisation.msp_id, self.orderer_organisation.ca_public_key],
            [self.batch.max_message_count, self.batch.absolute_max_bytes,
             self.batch.preferred_max_bytes, round(self.batch.batch_timeout * 1000)],
            [[cc.name, cc.version, cc.endorsement_policy] for cc in self.chaincodes],
            self.max_timestamp_skew,
        ])

    @classmethod
    def decode(cls, data: bytes) -> ChannelConfig:
        (tag, channel_id, sequence, orgs, orderer_org, batch,
         chaincodes, skew) = wire.fields(wire.loads(data, "config"), 8, "config")
        if tag != "aimarket-channel-config-v2":
            raise wire.DecodeError("config: unknown format tag")
        count, absolute, preferred, timeout_ms = wire.fields(batch, 4, "config.batch")
        try:
            batch_config = BatchConfig(
                wire.as_int(count, "batch.max_message_count"),
                wire.as_int(absolute, "batch.absolute_max_bytes"),
                wire.as_int(preferred, "batch.preferred_max_bytes"),
                wire.as_int(timeout_ms, "batch.timeout_ms") / 1000,
            )
        except ValueError as exc:
            raise wire.DecodeError(f"config.batch: {exc}") from None
        skew_seconds = wire.as_int(skew, "config.max_timestamp_skew")
        if skew_seconds < 0:
            raise wire.DecodeError("config.max_timestamp_skew: negative")
        return cls(
            max_timestamp_skew=skew_seconds,
            channel_id=wire.as_str(channel_id, "config.channel_id"),
            sequence=wire.as_int(sequence, "config.sequence"),
            organisations=tuple(_decode_org(org) for org in wire.as_list(orgs, "config.orgs")),
            orderer_organisation=_decode_org(orderer_org),
            batch=batch_config,
            chaincodes=tuple(_decode_chaincode(cc)
                             for cc in wire.as_list(chaincodes, "config.chaincodes")),
        )

    def with_chaincode(self, definition: ChaincodeDefinition) -> ChannelConfig:
        """The next config sequence, with ``definition`` added or replacing the same name."""
        others = tuple(cc for cc in self.chaincodes if cc.name != definition.name)
        return replace(self, sequence=self.sequence + 1,
                       chaincodes=tuple(sorted(others + (definition,), key=lambda cc: cc.name)))

    def chaincode(self, name: str) -> ChaincodeDefinition | None:
        for definition in self.chaincodes:
            if definition.name == name:
                return definition
        return None


def _decode_org(value: Any) -> Organisation:
    msp_id, ca_key = wire.fields(value, 2, "config.organisation")
    return Organisation(wire.as_str(msp_id, "org.msp_id"), wire.as_bytes(ca_key, "org.ca_key"))


def _decode_chaincode(value: Any) -> ChaincodeDefinition:
    name, version, policy = wire.fields(value, 3, "config.chaincode")
    return ChaincodeDefinition(wire.as_str(name, "chaincode.name"),
                               wire.as_str(version, "chaincode.version"),
                               wire.as_str(policy, "chaincode.policy"))


class ChannelState:
    """Everything a peer derives from the current config: memberships and parsed policies."""

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        org_ids = [org.msp_id for org in config.organisations]
        if len(set(org_ids)) != len(org_ids) or config.orderer_organisation.msp_id in org_ids:
            raise ValueError("organisation MSP ids must be unique")
        self.application_orgs: tuple[str, ...] = tuple(sorted(org_ids))
        self.membership = MembershipService(
            {org.msp_id: org for org in (*config.organisations, config.orderer_organisation)}
        )
        self.orderer_msp_id = config.orderer_organisation.msp_id
        self.admin_policy: Policy = majority(self.application_orgs, role="admin")
        self.chaincode_policies: dict[str, tuple[str, Policy]] = {
            cc.name: (cc.version, parse_policy(cc.endorsement_policy, self.application_orgs))
            for cc in config.chaincodes
        }
