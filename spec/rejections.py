"""The one closed enumeration of rejection codes.

Every guard of every action returns either ``None`` (accepted) or exactly one of these
codes. Conformance vectors check the code, not merely "rejected", so an implementation
must return the same code for the same call in the same state. When several checks of an
action fail, the code of the first check in the action's documented order is returned.
"""

from __future__ import annotations

from enum import Enum


class Rejection(str, Enum):
    """Why a call was refused. The value is the code's stable wire name."""

    # --- who is calling --------------------------------------------------------------
    UNKNOWN_ACTOR = "UNKNOWN_ACTOR"
    """The signer of the call is not a registered identity."""
    WRONG_ROLE = "WRONG_ROLE"
    """The signer's role may not take this action (for example a vendor funding)."""

    # --- identities and accounts ---------------------------------------------------
    ALREADY_REGISTERED = "ALREADY_REGISTERED"
    """``register_identity`` for an identity that already exists."""
    ROLE_RESERVED = "ROLE_RESERVED"
    """``register_identity`` asked for the treasury role, which exists from genesis only."""
    UNKNOWN_IDENTITY = "UNKNOWN_IDENTITY"
    """``fund`` names a recipient that is not a registered identity."""
    NON_POSITIVE_AMOUNT = "NON_POSITIVE_AMOUNT"
    """``fund`` with an amount that is zero or negative."""
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"
    """A declared price, fee, cost or value is negative."""
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    """The signer's balance does not cover what the action locks into the escrow."""

    # --- catalogue: datasets, models, vendor offers ------------------------------------
    DATASET_EXISTS = "DATASET_EXISTS"
    """``register_dataset`` with an identifier already in use."""
    MODEL_EXISTS = "MODEL_EXISTS"
    """``register_model`` with an identifier already in use."""
    VENDOR_EXISTS = "VENDOR_EXISTS"
    """``register_vendor`` by a vendor that already has an offer."""
    INVALID_LICENCE = "INVALID_LICENCE"
    """A licence with no allowed purpose or fewer than one permitted use."""
    INVALID_CAPACITY = "INVALID_CAPACITY"
    """A vendor offer with a capacity below one job."""

    # --- requesting a job ------------------------------------------------------------
    JOB_EXISTS = "JOB_EXISTS"
    """``request_training`` with a job identifier already in use."""
    UNKNOWN_MODEL = "UNKNOWN_MODEL"
    """The named model is not registered."""
    NOT_MODEL_OWNER = "NOT_MODEL_OWNER"
    """The developer asks to train a model registered by somebody else."""
    UNKNOWN_DATASET = "UNKNOWN_DATASET"
    """A named dataset is not registered."""
    UNKNOWN_VENDOR = "UNKNOWN_VENDOR"
    """A named vendor has no offer."""
    INVALID_PARTIES = "INVALID_PARTIES"
    """A job names no dataset, no vendor, or the same dataset or vendor twice."""
    INVALID_TERMS = "INVALID_TERMS"
    """A job asks for fewer than one training step or a response window below one tick."""
    PURPOSE_NOT_LICENSED = "PURPOSE_NOT_LICENSED"
    """A dataset's licence does not allow the purpose of the job."""
    LICENCE_EXPIRED = "LICENCE_EXPIRED"
    """A dataset's licence has expired."""
    LICENCE_EXHAUSTED = "LICENCE_EXHAUSTED"
    """A dataset's licence has no use left."""
    STAKE_BELOW_MINIMUM = "STAKE_BELOW_MINIMUM"
    """The vendor stake asked for is below the minimum the incentive analysis derives."""
    BOND_BELOW_MINIMUM = "BOND_BELOW_MINIMUM"
    """The developer's or the data owners' bond is below the derived minimum."""

    # --- acting on a job -------------------------------------------------------------
    UNKNOWN_JOB = "UNKNOWN_JOB"
    """The named job does not exist."""
    WRONG_STATUS = "WRONG_STATUS"
    """The job is not in a status where this action is allowed."""
    NOT_JOB_PARTY = "NOT_JOB_PARTY"
    """The signer is not the party of this job who may take this action."""
    DATASET_NOT_IN_JOB = "DATASET_NOT_IN_JOB"
    """The named dataset is not one of the job's datasets."""
    VENDOR_NOT_IN_JOB = "VENDOR_NOT_IN_JOB"
    """The named vendor is not one of the job's vendors."""
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    """The signer has already made this move in this job."""
    DEADLINE_PASSED = "DEADLINE_PASSED"
    """The deadline of the job's current phase has passed; only ``timeout`` remains."""
    DEADLINE_NOT_PASSED = "DEADLINE_NOT_PASSED"
    """``timeout`` before the deadline of the job's current phase."""
    VENDOR_AT_CAPACITY = "VENDOR_AT_CAPACITY"
    """The vendor already runs as many jobs as its offer's capacity."""
    INPUTS_DEFECTIVE = "INPUTS_DEFECTIVE"
    """``confirm_inputs`` while the ledger shows a delivery digest that differs from its
    dataset's commitment: a confirmation the evidence contradicts."""
    INPUTS_NOT_CONFIRMED = "INPUTS_NOT_CONFIRMED"
    """``submit_result`` before every vendor of the job has confirmed its inputs: training
    starts only once no complaint can end the job."""
    INVALID_TRANSCRIPT = "INVALID_TRANSCRIPT"
    """A transcript whose length is not the job's number of training steps."""

    # --- disputes --------------------------------------------------------------------
    ALREADY_CONVICTED = "ALREADY_CONVICTED"
    """``dispute_result`` against a vendor already convicted in this job."""
    NO_DISAGREEMENT = "NO_DISAGREEMENT"
    """``dispute_result`` whose claimed final digest equals the vendor's."""
    NOT_YOUR_TURN = "NOT_YOUR_TURN"
    """A bisection move by the side whose turn it is not."""
    NOT_COMMITTED = "NOT_COMMITTED"
    """An opened digest differs from the side's committed transcript."""
    BISECTION_FINISHED = "BISECTION_FINISHED"
    """A bisection move after the disagreement was narrowed to one step."""
    BISECTION_UNFINISHED = "BISECTION_UNFINISHED"
    """``resolve_step`` before the disagreement is narrowed to one step."""
    NO_PUBLIC_FAULT = "NO_PUBLIC_FAULT"
    """``convict_shared_step`` naming a vendor, step or kind of fault that the public checks
    over the committed step digests do not show as the job's first fault."""
    EVIDENCE_MISSING = "EVIDENCE_MISSING"
    """``report_misuse`` without an authentic misuse artefact of that vendor and job."""
