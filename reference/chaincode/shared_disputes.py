"""The ledger side of a dispute over secret-shared training: ``convict_shared_step``.

A vendor of a secret-shared job commits, with ``submit_result``, the digest of its record
of every step (``StepRecord``: digests of its step key, pre- and post-step shares, the
messages it sent to and received from each peer, and its masked *state check* value) as
its transcript's leaves. Nothing secret reaches the ledger.

When the public checks show a fault, the developer — the referee, which has re-executed
the named vendor's step from that vendor's view off the ledger (decision 0030) — calls
``convict_shared_step`` in DELIVERED, on time, with:

* ``records`` — every vendor's records of steps 0..``step``, which the chaincode hashes
  against the step digests each vendor committed (its ``submit_result``);
* ``step`` and ``vendor`` — the first faulty step and the vendor the public checks name;
* ``replay`` — the record the referee's re-execution of that vendor's view gave.

The chaincode decides from the ledger's commitments alone: up to ``step`` every channel's
two digests agree and every share chain is unbroken; at ``step`` the state check points
``(i + 1, y_i)`` of the job's vendors lie on no polynomial of degree t, and ``vendor`` is
the single point off the others' polynomial (which needs at least 3t + 1 vendors: with
fewer the fault is detected but nobody is named, and the call is refused); earlier steps'
state checks pass. The referee's replay must start from the committed pre-step shares and
contradict the vendor's committed post-step shares or check value. Then the vendor is
convicted of WRONG_COMPUTATION and the job ends, as after the spec's ``resolve_step``
(one re-execution per job, spec decision 0031): the vendor forfeits fee and stake, the
others are paid, no model is delivered. An honest vendor's point lies on the honest
vendors' polynomial, so it is never the one named.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.records import (
    JobRecord,
    Offence,
    Status,
    TranscriptRecord,
    VerdictRecord,
    transcript_key,
)
from reference.clients.crypto import canonical_json
from reference.training.shared.accountability import public_audit
from reference.training.shared.program import StepRecord

SHARED_THRESHOLD = 1
"""The Shamir threshold of the reference's secret-shared jobs (decision 0030)."""
MAX_SHARED_STEPS = 4096


class Creator(Protocol):
    @property
    def name(self) -> str: ...


class SharedArguments(Protocol):
    def identifier(self, name: str) -> str: ...
    def integer(self, name: str, limit: int = ...) -> int: ...
    def json_object(self, name: str, optional: bool) -> dict[str, Any] | None: ...
    def done(self) -> None: ...


class SharedState(Protocol):
    def get_json(self, key: str) -> Any: ...


class SharedCall(Protocol):
    """What the transaction reads of a call (the contract's ``Call``, or a test's)."""

    @property
    def args(self) -> SharedArguments: ...
    @property
    def state(self) -> SharedState: ...
    @property
    def creator(self) -> Creator: ...
    @property
    def summary(self) -> dict[str, Any]: ...


class SharedDisputeHost(Protocol):
    """What the marketplace contract lends this transaction."""

    def developer_move(self, call: Any, job_id: str, status: str) -> JobRecord: ...
    def require_on_time(self, call: Any, job: JobRecord) -> None: ...
    def end_after_delivery(self, call: Any, job: JobRecord,
                           verdicts: list[VerdictRecord] | None = None) -> None: ...


def record_digest(record: dict[str, Any]) -> str:
    """The digest a vendor commits per step: SHA-256 of the record's canonical JSON."""
    try:
        return hashlib.sha256(canonical_json(record)).hexdigest()
    except (TypeError, ValueError):
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE, "a record is not canonical JSON") from None


def committed_records(call: SharedCall, job: JobRecord, opened: dict[str, Any],
                      step: int) -> dict[int, list[StepRecord]]:
    """Every vendor's records of steps 0..``step``, each checked against the step digest
    the vendor committed with ``submit_result``; keyed by the vendor's index in the job."""
    if sorted(opened) != sorted(job.vendors):
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                       f"records must be opened for exactly the job's vendors {job.vendors}")
    records: dict[int, list[StepRecord]] = {}
    for index, vendor in enumerate(job.vendors):
        stored = call.state.get_json(transcript_key(job.job_id, vendor))
        if stored is None:
            raise Rejected(MarketCode.BAD_STEP_EVIDENCE, f"{vendor} committed no step digests")
        digests = TranscriptRecord.from_json_value(stored).step_digests
        values = opened[vendor]
        if not isinstance(values, list) or len(values) != step + 1:
            raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                           f"{vendor}: records of steps 0..{step} are needed")
        parsed = []
        for k, value in enumerate(values):
            try:
                record = StepRecord.from_json_value(value)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
                raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                               f"{vendor}: the record of step {k} is malformed") from None
            if record.step != k or record_digest(value) != digests[k]:
                raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                               f"{vendor}: the record of step {k} is not the committed one")
            parsed.append(record)
        records[index] = parsed
    return records


def convict_shared_step(host: SharedDisputeHost, call: SharedCall) -> None:
    """``convict_shared_step``: see the module's docstring."""
    args = call.args
    job_id = args.identifier("job")
    step = args.integer("step", MAX_SHARED_STEPS)
    vendor = args.identifier("vendor")
    opened = args.json_object("records", optional=False) or {}
    replay = args.json_object("replay", optional=False) or {}
    args.done()
    job = host.developer_move(call, job_id, Status.DELIVERED)
    host.require_on_time(call, job)
    if vendor not in job.vendors:
        raise Rejected(MarketCode.VENDOR_NOT_IN_JOB, f"{vendor} is not a vendor of {job_id}")
    if vendor in job.convicted_vendors:
        raise Rejected(MarketCode.ALREADY_CONVICTED, f"{vendor} is already convicted in {job_id}")
    if step >= job.steps:
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE, f"{job_id} has {job.steps} steps")
    records = committed_records(call, job, opened, step)
    finding = public_audit(records, None, SHARED_THRESHOLD)
    suspect = job.vendors.index(vendor)
    if finding is None or finding.step != step or finding.kind != "state" or finding.suspect != suspect:
        shown = "no fault" if finding is None else (
            f"a {finding.kind} fault at step {finding.step} naming "
            f"{'nobody' if finding.suspect is None else job.vendors[finding.suspect]}")
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                       f"the committed records show {shown}, not {vendor}'s state at step {step}")
    committed = records[suspect][step]
    try:
        redone = StepRecord.from_json_value(replay)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE, "the replay is malformed") from None
    if redone.step != step or redone.pre != committed.pre or redone.key_digest != committed.key_digest:
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                       "the replay does not start from the committed pre-step shares and key")
    contradicted = [name for name in ("post", "check_value")
                    if getattr(redone, name) != getattr(committed, name)]
    if not contradicted:
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                       f"the replay gives {vendor}'s committed post-step shares and check value")
    evidence = {"respondent": vendor, "step": step, "check": "state",
                "check_points": {str(index + 1): str(records[index][step].check_value)
                                 for index in records},
                "committed_post": committed.post, "replayed_post": redone.post,
                "contradicts": contradicted, "resolved_by": call.creator.name}
    host.end_after_delivery(call, job, [VerdictRecord(vendor, Offence.WRONG_COMPUTATION, evidence)])
