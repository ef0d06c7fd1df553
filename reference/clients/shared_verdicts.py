"""The evidence checker's verdict on ``convict_shared_step``, recomputed from the ledger.

Given the transaction's arguments, the job as it stood before it and the record digests
each vendor published with ``submit_result``: the opened records must hash to those digests;
the public checks over them (:func:`~reference.training.shared.accountability.public_audit`)
must show their first fault at ``step`` naming ``vendor`` — a ``sender`` fault (its own
committed values for what it sent lie on no degree-t polynomial) or a ``state`` fault (its
check point is the single one off the others' polynomial); for a state fault the referee's
replay must start from the committed pre-step shares and key and contradict the committed
post-step shares or check value. Shares no code with the chaincode's transaction.
"""

from __future__ import annotations

from typing import Any

from reference.clients.crypto import canonical_json, sha256_hex
from reference.training.shared.accountability import public_audit
from reference.training.shared.program import StepRecord

THRESHOLD = 1


def recompute_shared_step(args: dict[str, Any], job: dict[str, Any],
                          published: dict[tuple[str, str], list[str]],
                          notes: list[str]) -> list[tuple[str, str]]:
    """``[(vendor, "WRONG_COMPUTATION")]`` when the ledger's commitments convict the named
    vendor, else ``[]`` with the reason in ``notes``."""
    step, vendor, check = args["step"], args["vendor"], args["check"]
    records: dict[int, list[StepRecord]] = {}
    for index, name in enumerate(job["vendors"]):
        opened = args["records"].get(name, [])
        digests = published.get((job["job"], name), [])
        if len(opened) != step + 1 or len(digests) <= step or any(
                sha256_hex(canonical_json(value)) != digests[k] for k, value in enumerate(opened)):
            notes.append(f"{name}'s opened records are not the step digests it published")
            return []
        records[index] = [StepRecord.from_json_value(value) for value in opened]
    finding = public_audit(records, THRESHOLD)
    suspect = job["vendors"].index(vendor) if vendor in job["vendors"] else None
    if (suspect is None or finding is None or finding.kind not in ("sender", "state")
            or (finding.step, finding.kind, finding.suspect) != (step, check, suspect)):
        notes.append(f"the public checks do not name {vendor} at step {step} ({check}): {finding}")
        return []
    if finding.kind == "sender":
        return [(vendor, "WRONG_COMPUTATION")]
    if args.get("replay") is None:
        notes.append("a state fault convicted without the referee's replay")
        return []
    committed, replay = records[suspect][step], StepRecord.from_json_value(args["replay"])
    if (replay.pre, replay.key_digest) != (committed.pre, committed.key_digest) or (
            replay.post, replay.check_value) == (committed.post, committed.check_value):
        notes.append("the referee's replay does not contradict the committed step")
        return []
    return [(vendor, "WRONG_COMPUTATION")]
