"""Public checks over the vendors' per-step commitments, and the referee.

Per step, each vendor ``i`` commits (see :class:`~.program.StepRecord`): the digest of its
step key, of its pre- and post-step shares, of the messages it sent to and received from
each peer (ordered by program counter), and its *state check* value ``y_i``. After the
step's records are public it also publishes one *sender check* value ``C_{j,i}`` per peer
``j``: a random linear combination — coefficients drawn from the digest of every record of
the step — of every field element it received from ``j`` in the step. Every message an
honest vendor sends to all peers in a step is an evaluation of a degree-t polynomial at the
recipients' points (a resharing sub-share, an input share, or the same share to everyone
in an opening), and so is any linear combination of them; each vendor also deals one fresh
random sharing per step that masks its combination, so the combination's polynomial says
nothing about its secrets.

:func:`public_audit` finds the first step where something public is wrong:

* ``channel`` — a sender's digest of what it sent differs from the recipient's digest of
  what it received;
* ``chain`` — a vendor's pre-step digest is not its previous post-step digest;
* ``sender`` — the values ``C_{j,·}`` of the recipients of ``j`` do not lie on one
  degree-t polynomial: ``j`` sent inconsistent shares (or a recipient misreports);
* ``state`` — the points ``(i + 1, y_i)`` do not lie on one degree-t polynomial; with at
  least 3t + 1 vendors the single vendor off the others' polynomial is named.

:func:`judge` settles that step, opening *one* vendor's information at most (a view or its
outgoing messages), to the referee only, and never more than ``threshold`` vendors' per
job: see ``docs/decisions/0030-secret-shared-training-disputes.md``.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field as dataclass_field
from typing import Any

from reference.training.shared.field import lies_on_degree, modulus, odd_one_out
from reference.training.shared.program import (
    StepRecord,
    StepView,
    messages_digest,
)

SENDER_CHECK_TAG = b"aimarket/mpc-sender-check/v1"


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy object arrays of integers and nothing else (evidence is untrusted)."""

    ALLOWED = {("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a message")
        return super().find_class(module, name)


def message_values(data: bytes) -> list[int] | None:
    """The field elements a message carries: a pickled integer array (MPyC's numpy path),
    else MPyC's packed little-endian field elements; None for other pickled objects (e.g.
    transferred digests). A packed message may begin with the pickle marker by chance, so
    a failed unpickling falls back to the packed reading."""
    width = (modulus().bit_length() + 7) // 8
    if data[:1] == b"\x80":  # pickle protocol marker
        try:
            value = _ArrayUnpickler(io.BytesIO(data)).load()
        except Exception:
            value = _NOT_PICKLED
        if value is not _NOT_PICKLED:
            if not hasattr(value, "reshape"):
                return None
            try:
                return [int(v) % modulus() for v in value.reshape(-1).tolist()]
            except (TypeError, ValueError):
                return None
    if data and len(data) % width == 0:
        return [int.from_bytes(data[i:i + width], "little") % modulus()
                for i in range(0, len(data), width)]
    return None


_NOT_PICKLED = object()


def step_seed(records: dict[int, StepRecord]) -> bytes:
    """Public randomness of a step's sender checks: the digest of every vendor's record."""
    h = hashlib.sha256(SENDER_CHECK_TAG)
    for party in sorted(records):
        record = records[party].to_json_value()
        h.update(repr(sorted(record.items())).encode())
    return h.digest()


def _point(seed: bytes, pc: int) -> int:
    data = seed + pc.to_bytes(16, "little", signed=True)
    return int.from_bytes(hashlib.sha256(data).digest() + hashlib.sha256(b"+" + data).digest(),
                          "little") % modulus()


def sender_check_value(messages: dict[int, bytes], seed: bytes, common: set[int]) -> int:
    """``C_{j,i}``: the random combination of what ``i`` received from ``j`` (``{pc: data}``)
    at the program counters where ``j`` sent to every peer (``common``). Element ``e`` of
    the message at ``pc`` gets coefficient ``a_pc ** (e + 1)`` with ``a_pc`` drawn from the
    step's public seed: a wrong element survives the sum unless ``a_pc`` is a root of a
    nonzero polynomial of degree at most the message length (probability below 2**-60)."""
    p = modulus()
    total = 0
    for pc in sorted(set(messages) & common):
        values = message_values(messages[pc])
        if values is None:
            continue
        point = _point(seed, pc)
        accumulated = 0
        for value in reversed(values):  # Horner: sum of value_e * point**(e + 1)
            accumulated = (accumulated + value) * point % p
        total += accumulated
    return total % p


def received_counters(view: StepView) -> dict[str, list[int]]:
    """Per peer, the program counters at which the vendor received a message in the step
    (public: they follow from the public program, not from any secret)."""
    return {str(peer): sorted(pc for (pc, sender) in view.received if sender == peer)
            for peer in range(view.parties) if peer != view.party}


def common_counters(counters: dict[int, dict[str, list[int]]], sender: int) -> set[int]:
    """The program counters at which ``sender`` sent to every other vendor."""
    sets = [set(published[str(sender)]) for party, published in counters.items()
            if party != sender]
    return set.intersection(*sets) if sets else set()


def sender_checks(view: StepView, records: dict[int, StepRecord],
                  counters: dict[int, dict[str, list[int]]]) -> dict[str, str]:
    """The sender check values a vendor publishes for one step, from its own view, once
    every record and every vendor's received counters of the step are public."""
    seed = step_seed(records)
    return {str(peer): str(sender_check_value(
        {pc: data for (pc, sender), data in view.received.items() if sender == peer}, seed,
        common_counters(counters, peer)))
        for peer in range(view.parties) if peer != view.party}


@dataclass(frozen=True)
class PublicFinding:
    step: int
    kind: str  # channel | chain | sender | state
    suspect: int | None
    detail: str


def public_audit(records: dict[int, list[StepRecord]],
                 sender_values: dict[int, list[dict[str, str]]] | None,
                 threshold: int) -> PublicFinding | None:
    """The first step at which the public commitments show a fault (None: all consistent).
    Without ``sender_values`` (the ledger holds only the step records) the sender checks
    are left out: channels, share chains and state checks only."""
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
        senders = sender_values if sender_values is not None else {}
        for j in parties if sender_values is not None else ():
            points = {i: int(senders[i][k][str(j)]) for i in parties if i != j}
            if not lies_on_degree(points, threshold):
                return PublicFinding(k, "sender", j, f"the shares vendor {j} sent in step {k} "
                                                     "do not lie on one polynomial")
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
          sender_values: dict[int, list[dict[str, str]]],
          counters: dict[int, list[dict[str, list[int]]]],
          open_view: Callable[[int, int], StepView],
          open_messages: Callable[[int, int, int], dict[int, bytes]],
          replay: Replay, budget: OpeningBudget, threshold: int,
          inputs_roots: dict[int, str], batch_of: Callable[[int], list[int]]) -> Judgement:
    """Settle ``finding``: re-execute the suspect's step from its view (state faults), or
    verify the sender check from the recipients' messages (sender faults)."""
    started = time.perf_counter()
    k = finding.step
    if finding.kind == "sender":
        j = finding.suspect
        assert j is not None
        budget.spend(j)  # what the recipients open is what j sent: j's information
        seed = step_seed({i: records[i][k] for i in records})
        common = common_counters({i: counters[i][k] for i in counters}, j)
        judgement = Judgement(k, "sender", None, "")
        for i in sorted(records):
            if i == j:
                continue
            messages = open_messages(i, j, k)
            judgement.opened.append({"vendor": j, "step": k, "what": f"messages to {i}"})
            judgement.evidence_bytes += sum(len(data) for data in messages.values())
            digest = messages_digest({(pc, j): data for pc, data in messages.items()}, i, False)
            if digest != records[j][k].sent[str(i)]:
                judgement.convicted, judgement.reason = i, (
                    f"vendor {i} cannot open the messages {j} committed to sending it")
                break
            if str(sender_check_value(messages, seed, common)) != sender_values[i][k][str(j)]:
                judgement.convicted, judgement.reason = i, (
                    f"vendor {i} published a sender check value its messages do not give")
                break
        else:
            judgement.convicted, judgement.reason = j, (
                f"vendor {j} sent shares in step {k} that lie on no polynomial of degree "
                f"{threshold} (the messages match its own committed digests)")
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
