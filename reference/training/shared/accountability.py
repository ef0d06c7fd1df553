"""Public checks over the vendors' per-step commitments, and the referee.

Per step, each vendor ``i`` commits (see :class:`~.program.StepRecord`): the digest of its
step key, of its pre- and post-step shares, of the messages it sent to and received from
each peer (ordered by program counter), and its *state check* value ``y_i``. After the
step's records are public it adds its *check record* (:mod:`.checks`): per peer, a random
combination of what it received from and of what it sent to that peer. All of it is
committed with ``submit_result`` (the step digests), nothing of it is a share.

:func:`public_audit` finds the first step where something public is wrong:

* ``channel`` — a sender's digest of what it sent differs from the recipient's digest of
  what it received;
* ``chain`` — a vendor's pre-step digest is not its previous post-step digest;
* ``sender`` — vendor ``j``'s own values for what it sent lie on no degree-t polynomial
  (or its check record is missing): ``j`` is named by its own commitments;
* ``mismatch`` — ``j``'s value for what it sent ``i`` differs from ``i``'s value for what
  it received: one of the two misreports, and only the messages can say which;
* ``state`` — the points ``(i + 1, y_i)`` do not lie on one degree-t polynomial; with at
  least 3t + 1 vendors the single vendor off the others' polynomial is named.

:func:`judge` settles that step, opening *one* vendor's information at most (a view or its
outgoing messages), to the referee only, and never more than ``threshold`` vendors' per
job: see ``docs/decisions/0030-secret-shared-training-disputes.md`` and ``0080``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field as dataclass_field
from typing import Any

from reference.training.shared.checks import (
    domain,
    parsed_checks,
    sender_check_value,
    sender_fault,
    step_seed,
)
from reference.training.shared.field import lies_on_degree, odd_one_out
from reference.training.shared.program import (
    StepRecord,
    StepView,
    messages_digest,
)

@dataclass(frozen=True)
class PublicFinding:
    step: int
    kind: str  # channel | chain | sender | mismatch | state
    suspect: int | None
    detail: str
    peer: int | None = None
    """For a ``mismatch``: the recipient whose value differs from the sender's."""


def public_audit(records: dict[int, list[StepRecord]], threshold: int) -> PublicFinding | None:
    """The first step at which the public commitments show a fault (None: all consistent).
    Per step: channels, share chains, the sender checks each record carries
    (:func:`~.checks.sender_fault`), then the state check."""
    parties = sorted(records)
    steps = min(len(records[party]) for party in parties)
    for k in range(steps):
        for i in parties:
            for j in parties:
                if i != j and records[i][k].sent[str(j)] != records[j][k].received[str(i)]:
                    return PublicFinding(k, "channel", None,
                                         f"vendor {i}'s digest of what it sent to {j} differs "
                                         f"from {j}'s digest of what it received")
            if k and records[i][k].pre != records[i][k - 1].post:
                return PublicFinding(k, "chain", i, f"vendor {i}'s pre-step shares are not "
                                                    "its previous post-step shares")
        fault = sender_fault({i: records[i][k] for i in parties}, threshold)
        if fault is not None:
            kind, sender, recipient, detail = fault
            return PublicFinding(k, kind, sender, detail, recipient)
        points = {i: records[i][k].check_value for i in parties}
        if not lies_on_degree(points, threshold):
            return PublicFinding(k, "state", odd_one_out(points, threshold),
                                 f"the post-step shares of step {k} are not one sharing")
    return None


@dataclass
class Judgement:
    """A referee's verdict on one finding, and what it had opened."""

    step: int
    kind: str
    convicted: int | None
    reason: str
    opened: list[dict[str, Any]] = dataclass_field(default_factory=list)
    evidence_bytes: int = 0
    seconds: float = 0.0
    replayed: dict[str, Any] | None = None
    """The record the referee's re-execution of the suspect's view gave (digests and the
    check value only), when it re-executed one."""

    def to_json_value(self) -> dict[str, Any]:
        return {"step": self.step, "kind": self.kind, "convicted": self.convicted,
                "reason": self.reason, "opened": self.opened,
                "evidence_bytes": self.evidence_bytes, "seconds": round(self.seconds, 3),
                "replayed": self.replayed}


class OpeningBudget:
    """Which vendors' information the referee holds for a job; never more than ``threshold``
    vendors (two vendors' views of one sharing reveal the secret)."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.vendors: set[int] = set()

    def spend(self, vendor: int) -> None:
        if vendor not in self.vendors and len(self.vendors) >= self.threshold:
            raise PermissionError(f"opening vendor {vendor} would give the referee more than "
                                  f"{self.threshold} vendors' shares of the job")
        self.vendors.add(vendor)


Replay = Callable[[dict[str, Any]], dict[str, Any]]


def judge(finding: PublicFinding, records: dict[int, list[StepRecord]],
          open_view: Callable[[int, int], StepView],
          open_messages: Callable[[int, int, int], dict[int, bytes]],
          replay: Replay, budget: OpeningBudget, threshold: int,
          inputs_roots: dict[int, str], batch_of: Callable[[int], list[int]]) -> Judgement:
    """Settle ``finding``: a sender named by its own committed values is convicted with
    nothing opened; a mismatch opens what the recipient received from the sender; a state
    fault re-executes the suspect's step from its view."""
    started = time.perf_counter()
    k = finding.step
    if finding.kind == "sender":
        judgement = Judgement(k, "sender", finding.suspect,
                              f"{finding.detail}: its own commitments convict it, nothing is "
                              "opened")
        judgement.seconds = time.perf_counter() - started
        return judgement
    if finding.kind == "mismatch":
        judgement = settle_mismatch(finding, records, open_messages, budget)
        judgement.seconds = time.perf_counter() - started
        return judgement
    suspect = finding.suspect
    if suspect is None:
        return Judgement(k, finding.kind, None,
                         f"{finding.detail}; no single vendor is named by the public values "
                         "(needs at least 3t + 1 vendors), so no view is opened",
                         seconds=time.perf_counter() - started)
    budget.spend(suspect)
    view = open_view(suspect, k)
    record = records[suspect][k]
    judgement = Judgement(k, finding.kind, None, "",
                          opened=[{"vendor": suspect, "step": k, "what": "view"}],
                          evidence_bytes=view.evidence_bytes())
    problem = _view_problem(view, record, records, inputs_roots[suspect], batch_of(k))
    if problem:
        judgement.convicted, judgement.reason = suspect, problem
    else:
        outcome = replay(view.to_json_value())
        if not outcome.get("ok"):
            judgement.convicted, judgement.reason = suspect, f"its view does not replay: {outcome.get('reason')}"
        else:
            redone = StepRecord.from_json_value(outcome["record"])
            judgement.replayed = redone.to_json_value()
            wrong = [name for name in ("post", "sent", "check_value")
                     if getattr(redone, name) != getattr(record, name)]
            if wrong:
                judgement.convicted, judgement.reason = suspect, (
                    f"re-executing its step {k} from its own view does not give the "
                    f"{', '.join(wrong)} it committed to")
            else:
                judgement.reason = (f"vendor {suspect}'s step {k} re-executes to its "
                                    "commitments; it is not convicted")
    judgement.seconds = time.perf_counter() - started
    return judgement


def settle_mismatch(finding: PublicFinding, records: dict[int, list[StepRecord]],
                    open_messages: Callable[[int, int, int], dict[int, bytes]],
                    budget: OpeningBudget) -> Judgement:
    """Sender ``j`` and recipient ``i`` disagree on the combination of what ``j`` sent ``i``.
    ``i`` opens what it received from ``j`` (``j``'s information: one vendor's) to the
    referee: ``i`` is convicted if it cannot open the messages ``j`` committed to sending,
    or if its published value is not what they give; else ``j``, whose value is not."""
    k, j, i = finding.step, finding.suspect, finding.peer
    assert j is not None and i is not None
    budget.spend(j)
    messages = open_messages(i, j, k)
    judgement = Judgement(k, "mismatch", None, "",
                          opened=[{"vendor": j, "step": k, "what": f"messages to {i}"}],
                          evidence_bytes=sum(len(data) for data in messages.values()))
    digest = messages_digest({(pc, j): data for pc, data in messages.items()}, i, False)
    checks = {party: parsed_checks(records[party][k], party, sorted(records)) for party in (i, j)}
    if digest != records[j][k].sent[str(i)]:
        judgement.convicted, judgement.reason = i, (
            f"vendor {i} cannot open the messages {j} committed to sending it")
        return judgement
    value = sender_check_value(messages, step_seed({p: records[p][k] for p in records}),
                               domain(records[j][k]))
    received, sent = checks[i], checks[j]
    assert received is not None and sent is not None  # a malformed record is a sender fault
    if value != received[1][j]:
        judgement.convicted, judgement.reason = i, (
            f"vendor {i} published a value for what it received from {j} that its messages "
            "do not give")
    else:
        judgement.convicted, judgement.reason = j, (
            f"vendor {j} published a value for what it sent {i} in step {k} that the messages "
            "it sent do not give")
    return judgement


def _view_problem(view: StepView, record: StepRecord,
                  records: dict[int, list[StepRecord]], inputs_root: str,
                  batch: list[int]) -> str:
    """Check a view against the public commitments before re-executing it."""
    from reference.training.merkle import MerkleProof, verify_inclusion
    from reference.training.shared.program import row_share_bytes, state_digest

    k, me = view.step, view.party
    if view.row_indices != batch or len(view.row_proofs) != len(batch):
        return "the opened rows are not the step's batch"
    root = bytes.fromhex(inputs_root)
    for row, index, proof in zip(view.rows, view.row_indices, view.row_proofs):
        opened = MerkleProof.from_json_value(proof)
        if opened.index != index or not verify_inclusion(root, row_share_bytes(row), opened):
            return f"the opened shares of row {index} are not the ones its dealers committed to"
    if hashlib.sha256(view.key).hexdigest() != record.key_digest:
        return "the opened step key is not the committed one"
    if state_digest(k, view.model) != record.pre:
        return "the opened pre-step shares are not the committed ones"
    for peer in records:
        if peer == me:
            continue
        received = {key: data for key, data in view.received.items() if key[1] == peer}
        if messages_digest(received, me, False) != records[peer][k].sent[str(me)]:
            return f"the opened messages from vendor {peer} are not the ones {peer} committed to"
    return ""
