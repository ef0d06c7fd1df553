"""The marketplace chaincode's error codes and their one-to-one map to the protocol's codes.

Every refusal of the chaincode carries exactly one :class:`MarketCode`. The codes in the
first group correspond one to one to the rejection codes of the published protocol
specification (``aimarket spec``): :data:`PROTOCOL_CODE_OF` maps each of them to the
protocol's wire name, and every protocol code has exactly one chaincode code. A
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
    SIGNER_NOT_REGISTERED = "MKT_SIGNER_NOT_REGISTERED"
    ROLE_NOT_ALLOWED = "MKT_ROLE_NOT_ALLOWED"
    IDENTITY_TAKEN = "MKT_IDENTITY_TAKEN"
    TREASURY_ROLE_RESERVED = "MKT_TREASURY_ROLE_RESERVED"
    RECIPIENT_NOT_REGISTERED = "MKT_RECIPIENT_NOT_REGISTERED"
    AMOUNT_NOT_POSITIVE = "MKT_AMOUNT_NOT_POSITIVE"
    AMOUNT_NEGATIVE = "MKT_AMOUNT_NEGATIVE"
    BALANCE_TOO_LOW = "MKT_BALANCE_TOO_LOW"
    DATASET_ID_TAKEN = "MKT_DATASET_ID_TAKEN"
    MODEL_ID_TAKEN = "MKT_MODEL_ID_TAKEN"
    OFFER_EXISTS = "MKT_OFFER_EXISTS"
    LICENCE_INVALID = "MKT_LICENCE_INVALID"
    CAPACITY_INVALID = "MKT_CAPACITY_INVALID"
    JOB_ID_TAKEN = "MKT_JOB_ID_TAKEN"
    MODEL_NOT_FOUND = "MKT_MODEL_NOT_FOUND"
    MODEL_NOT_OWNED = "MKT_MODEL_NOT_OWNED"
    DATASET_NOT_FOUND = "MKT_DATASET_NOT_FOUND"
    OFFER_NOT_FOUND = "MKT_OFFER_NOT_FOUND"
    PARTIES_INVALID = "MKT_PARTIES_INVALID"
    TERMS_INVALID = "MKT_TERMS_INVALID"
    PURPOSE_NOT_LICENSED = "MKT_PURPOSE_NOT_LICENSED"
    LICENCE_EXPIRED = "MKT_LICENCE_EXPIRED"
    LICENCE_USED_UP = "MKT_LICENCE_USED_UP"
    STAKE_TOO_LOW = "MKT_STAKE_TOO_LOW"
    BOND_TOO_LOW = "MKT_BOND_TOO_LOW"
    JOB_NOT_FOUND = "MKT_JOB_NOT_FOUND"
    JOB_STATUS_FORBIDS = "MKT_JOB_STATUS_FORBIDS"
    NOT_JOB_PARTY = "MKT_NOT_JOB_PARTY"
    DATASET_NOT_IN_JOB = "MKT_DATASET_NOT_IN_JOB"
    VENDOR_NOT_IN_JOB = "MKT_VENDOR_NOT_IN_JOB"
    ALREADY_MOVED = "MKT_ALREADY_MOVED"
    TOO_LATE = "MKT_TOO_LATE"
    TOO_EARLY = "MKT_TOO_EARLY"
    VENDOR_FULL = "MKT_VENDOR_FULL"
    INPUTS_UNCONFIRMED = "MKT_INPUTS_UNCONFIRMED"
    DELIVERY_DEFECTIVE = "MKT_DELIVERY_DEFECTIVE"
    TRANSCRIPT_INVALID = "MKT_TRANSCRIPT_INVALID"
    ALREADY_CONVICTED = "MKT_ALREADY_CONVICTED"
    NOTHING_TO_DISPUTE = "MKT_NOTHING_TO_DISPUTE"
    NOT_YOUR_TURN = "MKT_NOT_YOUR_TURN"
    OPENING_NOT_COMMITTED = "MKT_OPENING_NOT_COMMITTED"
    BISECTION_OVER = "MKT_BISECTION_OVER"
    BISECTION_NOT_OVER = "MKT_BISECTION_NOT_OVER"
    NO_MISUSE_EVIDENCE = "MKT_NO_MISUSE_EVIDENCE"

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


PROTOCOL_CODE_OF: dict[MarketCode, str] = {
    MarketCode.SIGNER_NOT_REGISTERED: "UNKNOWN_ACTOR",
    MarketCode.ROLE_NOT_ALLOWED: "WRONG_ROLE",
    MarketCode.IDENTITY_TAKEN: "ALREADY_REGISTERED",
    MarketCode.TREASURY_ROLE_RESERVED: "ROLE_RESERVED",
    MarketCode.RECIPIENT_NOT_REGISTERED: "UNKNOWN_IDENTITY",
    MarketCode.AMOUNT_NOT_POSITIVE: "NON_POSITIVE_AMOUNT",
    MarketCode.AMOUNT_NEGATIVE: "NEGATIVE_AMOUNT",
    MarketCode.BALANCE_TOO_LOW: "INSUFFICIENT_FUNDS",
    MarketCode.DATASET_ID_TAKEN: "DATASET_EXISTS",
    MarketCode.MODEL_ID_TAKEN: "MODEL_EXISTS",
    MarketCode.OFFER_EXISTS: "VENDOR_EXISTS",
    MarketCode.LICENCE_INVALID: "INVALID_LICENCE",
    MarketCode.CAPACITY_INVALID: "INVALID_CAPACITY",
    MarketCode.JOB_ID_TAKEN: "JOB_EXISTS",
    MarketCode.MODEL_NOT_FOUND: "UNKNOWN_MODEL",
    MarketCode.MODEL_NOT_OWNED: "NOT_MODEL_OWNER",
    MarketCode.DATASET_NOT_FOUND: "UNKNOWN_DATASET",
    MarketCode.OFFER_NOT_FOUND: "UNKNOWN_VENDOR",
    MarketCode.PARTIES_INVALID: "INVALID_PARTIES",
    MarketCode.TERMS_INVALID: "INVALID_TERMS",
    MarketCode.PURPOSE_NOT_LICENSED: "PURPOSE_NOT_LICENSED",
    MarketCode.LICENCE_EXPIRED: "LICENCE_EXPIRED",
    MarketCode.LICENCE_USED_UP: "LICENCE_EXHAUSTED",
    MarketCode.STAKE_TOO_LOW: "STAKE_BELOW_MINIMUM",
    MarketCode.BOND_TOO_LOW: "BOND_BELOW_MINIMUM",
    MarketCode.JOB_NOT_FOUND: "UNKNOWN_JOB",
    MarketCode.JOB_STATUS_FORBIDS: "WRONG_STATUS",
    MarketCode.NOT_JOB_PARTY: "NOT_JOB_PARTY",
    MarketCode.DATASET_NOT_IN_JOB: "DATASET_NOT_IN_JOB",
    MarketCode.VENDOR_NOT_IN_JOB: "VENDOR_NOT_IN_JOB",
    MarketCode.ALREADY_MOVED: "ALREADY_ANSWERED",
    MarketCode.TOO_LATE: "DEADLINE_PASSED",
    MarketCode.TOO_EARLY: "DEADLINE_NOT_PASSED",
    MarketCode.VENDOR_FULL: "VENDOR_AT_CAPACITY",
    MarketCode.INPUTS_UNCONFIRMED: "INPUTS_NOT_CONFIRMED",
    MarketCode.DELIVERY_DEFECTIVE: "INPUTS_DEFECTIVE",
    MarketCode.TRANSCRIPT_INVALID: "INVALID_TRANSCRIPT",
    MarketCode.ALREADY_CONVICTED: "ALREADY_CONVICTED",
    MarketCode.NOTHING_TO_DISPUTE: "NO_DISAGREEMENT",
    MarketCode.NOT_YOUR_TURN: "NOT_YOUR_TURN",
    MarketCode.OPENING_NOT_COMMITTED: "NOT_COMMITTED",
    MarketCode.BISECTION_OVER: "BISECTION_FINISHED",
    MarketCode.BISECTION_NOT_OVER: "BISECTION_UNFINISHED",
    MarketCode.NO_MISUSE_EVIDENCE: "EVIDENCE_MISSING",
}
"""Chaincode code -> protocol rejection code, one to one."""

MARKET_CODE_OF: dict[str, MarketCode] = {
    protocol: market for market, protocol in PROTOCOL_CODE_OF.items()}
"""Protocol rejection code -> chaincode code (the inverse of :data:`PROTOCOL_CODE_OF`)."""

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
        "roots and the recipe's batch schedule",
    MarketCode.MISUSE_VALUE_INDIVISIBLE:
        "register_dataset with a misuse value W for which W / q (q: the market's audit "
        "probability) is not a whole number of tokens: a misuse conviction pays the owner "
        "W / q, and the ledger holds whole tokens only (a reference restriction)",
}
"""Codes for refusals the protocol's abstract calls cannot express, with their meaning."""

assert len(MARKET_CODE_OF) == len(PROTOCOL_CODE_OF), "the map must be one to one"
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
