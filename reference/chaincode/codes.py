"""The marketplace chaincode's error codes and their one-to-one map to the protocol's codes.

Every refusal of the chaincode carries exactly one :class:`MarketCode`. The codes in the
first group are the rejection codes of the published protocol specification (``aimarket
spec``) under the same names, prefixed ``MKT_`` on the wire: :data:`PROTOCOL_CODE_OF` maps
each of them to the protocol's name (the prefix removed), and every protocol code has
exactly one chaincode code. A
conformance run compares the protocol name of the chaincode's code with the code the
specification expects.

The second group has no counterpart in the protocol: it covers what the specification's
typed, abstract calls cannot express — bytes that are not a JSON object, a field of the
wrong type, a signature that does not verify, an evidence opening that does not match its
commitment. :data:`REFERENCE_ONLY_CODES` lists them. A refused call changes nothing.
"""

from __future__ import annotations

from enum import Enum


class MarketCode(str, Enum):
    """Why the marketplace chaincode refused a call. The value is the stable wire name."""

    # --- codes with a protocol counterpart --------------------------------------------
    UNKNOWN_ACTOR = "MKT_UNKNOWN_ACTOR"
    WRONG_ROLE = "MKT_WRONG_ROLE"
    ALREADY_REGISTERED = "MKT_ALREADY_REGISTERED"
    ROLE_RESERVED = "MKT_ROLE_RESERVED"
    UNKNOWN_IDENTITY = "MKT_UNKNOWN_IDENTITY"
    NON_POSITIVE_AMOUNT = "MKT_NON_POSITIVE_AMOUNT"
    NEGATIVE_AMOUNT = "MKT_NEGATIVE_AMOUNT"
    INSUFFICIENT_FUNDS = "MKT_INSUFFICIENT_FUNDS"
    DATASET_EXISTS = "MKT_DATASET_EXISTS"
    MODEL_EXISTS = "MKT_MODEL_EXISTS"
    VENDOR_EXISTS = "MKT_VENDOR_EXISTS"
    INVALID_LICENCE = "MKT_INVALID_LICENCE"
    INVALID_CAPACITY = "MKT_INVALID_CAPACITY"
    JOB_EXISTS = "MKT_JOB_EXISTS"
    UNKNOWN_MODEL = "MKT_UNKNOWN_MODEL"
    NOT_MODEL_OWNER = "MKT_NOT_MODEL_OWNER"
    UNKNOWN_DATASET = "MKT_UNKNOWN_DATASET"
    UNKNOWN_VENDOR = "MKT_UNKNOWN_VENDOR"
    INVALID_PARTIES = "MKT_INVALID_PARTIES"
    INVALID_TERMS = "MKT_INVALID_TERMS"
    PURPOSE_NOT_LICENSED = "MKT_PURPOSE_NOT_LICENSED"
    LICENCE_EXPIRED = "MKT_LICENCE_EXPIRED"
    LICENCE_EXHAUSTED = "MKT_LICENCE_EXHAUSTED"
    STAKE_BELOW_MINIMUM = "MKT_STAKE_BELOW_MINIMUM"
    BOND_BELOW_MINIMUM = "MKT_BOND_BELOW_MINIMUM"
    UNKNOWN_JOB = "MKT_UNKNOWN_JOB"
    WRONG_STATUS = "MKT_WRONG_STATUS"
    NOT_JOB_PARTY = "MKT_NOT_JOB_PARTY"
    DATASET_NOT_IN_JOB = "MKT_DATASET_NOT_IN_JOB"
    VENDOR_NOT_IN_JOB = "MKT_VENDOR_NOT_IN_JOB"
    ALREADY_ANSWERED = "MKT_ALREADY_ANSWERED"
    DEADLINE_PASSED = "MKT_DEADLINE_PASSED"
    DEADLINE_NOT_PASSED = "MKT_DEADLINE_NOT_PASSED"
    VENDOR_AT_CAPACITY = "MKT_VENDOR_AT_CAPACITY"
    INPUTS_NOT_CONFIRMED = "MKT_INPUTS_NOT_CONFIRMED"
    INPUTS_DEFECTIVE = "MKT_INPUTS_DEFECTIVE"
    INVALID_TRANSCRIPT = "MKT_INVALID_TRANSCRIPT"
    ALREADY_CONVICTED = "MKT_ALREADY_CONVICTED"
    NO_DISAGREEMENT = "MKT_NO_DISAGREEMENT"
    NOT_YOUR_TURN = "MKT_NOT_YOUR_TURN"
    NOT_COMMITTED = "MKT_NOT_COMMITTED"
    BISECTION_FINISHED = "MKT_BISECTION_FINISHED"
    BISECTION_UNFINISHED = "MKT_BISECTION_UNFINISHED"
    EVIDENCE_MISSING = "MKT_EVIDENCE_MISSING"
    NO_PUBLIC_FAULT = "MKT_NO_PUBLIC_FAULT"

    # --- codes with no protocol counterpart -------------------------------------------
    MALFORMED_ARGS = "MKT_MALFORMED_ARGS"
    UNKNOWN_FUNCTION = "MKT_UNKNOWN_FUNCTION"
    NOT_INITIALISED = "MKT_NOT_INITIALISED"
    ALREADY_INITIALISED = "MKT_ALREADY_INITIALISED"
    NOT_CHANNEL_ADMIN = "MKT_NOT_CHANNEL_ADMIN"
    BAD_DELIVERY_RECEIPT = "MKT_BAD_DELIVERY_RECEIPT"
    BAD_STEP_EVIDENCE = "MKT_BAD_STEP_EVIDENCE"
    MISUSE_VALUE_INDIVISIBLE = "MKT_MISUSE_VALUE_INDIVISIBLE"
    ORGANISATION_NOT_ALLOWED = "MKT_ORGANISATION_NOT_ALLOWED"


REFERENCE_ONLY_CODES: dict[MarketCode, str] = {
    MarketCode.MALFORMED_ARGS:
        "the arguments are not one JSON object, a field is missing, unknown, of the wrong "
        "type or out of range (the message names the field)",
    MarketCode.UNKNOWN_FUNCTION: "the function name is not a marketplace function",
    MarketCode.NOT_INITIALISED: "the market has not been initialised (no treasury, no rules)",
    MarketCode.ALREADY_INITIALISED: "init_market after the market was initialised",
    MarketCode.NOT_CHANNEL_ADMIN:
        "init_market not signed by an admin of the market's governing organisation",
    MarketCode.ORGANISATION_NOT_ALLOWED:
        "register_identity for a role that the market's genesis binds to other "
        "organisations than the signer's (the certificate's issuing MSP)",
    MarketCode.BAD_DELIVERY_RECEIPT:
        "grant_access whose signed delivery receipts or wrapped-key digests do not cover "
        "exactly the job's vendors, or a receipt signature that does not verify under the "
        "data owner's registered key",
    MarketCode.BAD_STEP_EVIDENCE:
        "resolve_step whose openings do not match the commitments: recipe vs. model "
        "commitment, pre-state vs. the agreed digest, batch rows vs. the datasets' row "
        "roots and the recipe's batch schedule; convict_shared_step whose opened step "
        "records are not the committed ones or whose referee's replay does not start from "
        "the committed pre-step shares or does not contradict the committed step",
    MarketCode.MISUSE_VALUE_INDIVISIBLE:
        "register_dataset with a misuse value W for which W / q (q: the market's audit "
        "probability) is not a whole number of tokens: a misuse conviction pays the owner "
        "W / q, and the ledger holds whole tokens only (a reference restriction)",
}
"""Codes for refusals the protocol's abstract calls cannot express, with their meaning."""

PREFIX = "MKT_"
"""Every chaincode code's wire name starts with this (the ledger's own codes do not)."""

PROTOCOL_CODE_OF: dict[MarketCode, str] = {
    code: code.value.removeprefix(PREFIX) for code in MarketCode if code not in REFERENCE_ONLY_CODES}
"""Chaincode code -> protocol rejection code, one to one: the protocol's name is the
chaincode's without its prefix (``MKT_DEADLINE_PASSED`` is ``DEADLINE_PASSED``)."""

MARKET_CODE_OF: dict[str, MarketCode] = {
    protocol: market for market, protocol in PROTOCOL_CODE_OF.items()}
"""Protocol rejection code -> chaincode code (the inverse of :data:`PROTOCOL_CODE_OF`)."""

assert len(MARKET_CODE_OF) == len(PROTOCOL_CODE_OF), "the map must be one to one"
assert all(code.value == PREFIX + code.name for code in MarketCode), "one vocabulary: MKT_ + the name"
assert set(PROTOCOL_CODE_OF) | set(REFERENCE_ONLY_CODES) == set(MarketCode)
assert not set(PROTOCOL_CODE_OF) & set(REFERENCE_ONLY_CODES)


def protocol_code(code: MarketCode) -> str | None:
    """The protocol's name for ``code``, or None for a reference-only code."""
    return PROTOCOL_CODE_OF.get(code)


class Rejected(Exception):
    """Raised inside the chaincode to refuse a call; nothing it wrote is kept."""

    def __init__(self, code: MarketCode, reason: str):
        super().__init__(f"{code.value}: {reason}")
        self.code = code
        self.reason = reason
