"""The ledger side of a dispute over secret-shared training: ``convict_shared_step``.

A vendor of a secret-shared job commits, with ``submit_result``, the digest of its record
of every step (``record_digests``; ``StepRecord``: digests of its step key, pre- and
post-step shares, the messages it sent to and received from each peer, its masked *state
check* value, and its *check record* — per peer, the masked combination of what it sent
and of what it received). Nothing secret reaches the ledger. This is the spec's action
``convict_shared_step`` (its rejection ``NO_PUBLIC_FAULT``, decision 0081).

When the public checks show a fault, the developer calls ``convict_shared_step`` in
DELIVERED, on time, with:

* ``records`` — every vendor's records of steps 0..``step``, which the chaincode hashes
  against the record digests each vendor committed (its ``submit_result``);
* ``step``, ``vendor`` and ``check`` — the first faulty step (from 0), the vendor the
  public checks name and the kind of its fault (``sender`` or ``state``);
* ``replay`` — for a state fault only: the record the referee's re-execution of that
  vendor's view gave (the developer, the referee, re-executed it off the ledger:
  decision 0030).

The chaincode decides from the ledger's commitments alone (decision 0080): up to ``step``
every channel's two digests agree, every share chain is unbroken and every check passes;
at ``step`` the first fault names ``vendor``, either

* ``sender`` — the values ``vendor`` committed for what it sent its peers lie on no
  polynomial of degree t (or it committed no well-formed check record): its own
  commitments convict it, nothing is opened and no replay is needed; or
* ``state`` — the state check points ``(i + 1, y_i)`` lie on no polynomial of degree t and
  ``vendor`` is the single point off the others' polynomial (at least 3t + 1 vendors: with
  fewer the fault is detected but nobody is named, and the call is refused); the replay
  must start from the committed pre-step shares and contradict the committed post-step
  shares or check value.

A ``mismatch`` (a sender's and a recipient's values for the same messages differ) names
nobody on the ledger: only the messages can say who misreports. Then the vendor is
convicted of WRONG_COMPUTATION and the job ends, as after the spec's ``resolve_step`` (one
conviction per job, spec decision 0031): the vendor forfeits fee and stake, the others are
paid, no model is delivered. An honest vendor's sent values are consistent and its state
point lies on the honest vendors' polynomial, so it is never the one named.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.shared_checks import DeveloperChecks, disputable_vendor
from reference.chaincode.records import (
    JobRecord,
    Offence,
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


class SharedDisputeHost(DeveloperChecks, Protocol):
    """What the marketplace contract lends this transaction: the developer's checks
    (:func:`~reference.chaincode.shared_checks.disputable_vendor`) and the job's end."""

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
    """Every vendor's records of steps 0..``step``, each checked against the record digest
    the vendor committed with ``submit_result``; keyed by the vendor's index in the job.
    A vendor that committed no record digests (silent, or a plaintext job) leaves the
    public checks nothing to show: no public fault."""
    committed: dict[str, list[str]] = {}
    for vendor in job.vendors:
        stored = call.state.get_json(transcript_key(job.job_id, vendor))
        digests = None if stored is None else TranscriptRecord.from_json_value(stored).record_digests
        if digests is None:
            raise Rejected(MarketCode.NO_PUBLIC_FAULT, f"{vendor} committed no step records: "
                                                       "the public checks need every vendor's")
        committed[vendor] = digests
    if sorted(opened) != sorted(job.vendors):
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE,
                       f"records must be opened for exactly the job's vendors {job.vendors}")
    records: dict[int, list[StepRecord]] = {}
    for index, vendor in enumerate(job.vendors):
        digests = committed[vendor]
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
    check = args.identifier("check")
    opened = args.json_object("records", optional=False) or {}
    replay = args.json_object("replay", optional=True)
    args.done()
    job = disputable_vendor(host, call, job_id, vendor)
    if step >= job.steps:
        raise Rejected(MarketCode.NO_PUBLIC_FAULT, f"{job_id} has {job.steps} steps")
    records = committed_records(call, job, opened, step)
    finding = public_audit(records, SHARED_THRESHOLD)
    suspect = job.vendors.index(vendor)
    if (finding is None or finding.step != step or finding.kind != check
            or check not in ("state", "sender") or finding.suspect != suspect):
        shown = "no fault" if finding is None else (
            f"a {finding.kind} fault at step {finding.step} naming "
            f"{'nobody' if finding.suspect is None or finding.kind == 'mismatch' else job.vendors[finding.suspect]}")
        raise Rejected(MarketCode.NO_PUBLIC_FAULT,
                       f"the committed records show {shown}, not a {check} fault of {vendor} "
                       f"at step {step}")
    committed = records[suspect][step]
    evidence: dict[str, Any] = {"respondent": vendor, "step": step, "check": finding.kind,
                                "resolved_by": call.creator.name}
    if finding.kind == "sender":
        if replay is not None:
            raise Rejected(MarketCode.BAD_STEP_EVIDENCE, "a sender fault takes no replay")
        evidence["sent_values"] = dict((committed.checks or {}).get("to") or {})
    else:
        evidence.update(state_evidence(records, suspect, step, replay))
    host.end_after_delivery(call, job, [VerdictRecord(vendor, Offence.WRONG_COMPUTATION, evidence)])


def state_evidence(records: dict[int, list[StepRecord]], suspect: int, step: int,
                   replay: dict[str, Any] | None) -> dict[str, Any]:
    """A state fault's evidence: the check points and the referee's replay, which must
    start from the committed pre-step shares and key and contradict what was committed."""
    committed = records[suspect][step]
    if replay is None:
        raise Rejected(MarketCode.BAD_STEP_EVIDENCE, "a state fault needs the referee's replay")
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
                       "the replay gives the committed post-step shares and check value")
    return {"check_points": {str(index + 1): str(records[index][step].check_value)
                             for index in records},
            "committed_post": committed.post, "replayed_post": redone.post,
            "contradicts": contradicted}
