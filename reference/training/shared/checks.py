"""Sender checks: what each vendor commits, per step, about the messages it sent and received.

Every message an honest vendor sends to all peers in a step is an evaluation of a degree-t
polynomial at the recipients' points (a resharing sub-share, an input share, or the same
share to everyone in an opening), and so is any linear combination of them. Once every
vendor's :class:`~.program.StepRecord` of a step is public (its digest-only core), each
vendor ``i`` adds to its record a *check record* (decision 0080)::

    {"to_all": [pc, ...],          # program counters at which i sent to every peer
     "from":   {j: C_{j,i}},       # the combination of what i received from j
     "to":     {j: S_{i,j}}}       # the same combination of what i sent to j

with coefficients drawn from the digest of every record's core (:func:`step_seed`), over
the sender's ``to_all`` counters (published first: they follow from the public program). The check record goes into the
step digest the vendor commits with ``submit_result``, so the ledger holds it; it carries
no share (each value is masked by the fresh random sharing each vendor deals per step).

:func:`sender_fault` reads a step's check records:

* ``sender`` — vendor ``j``'s own ``S_{j,·}`` lie on no degree-t polynomial (or ``j``
  committed no well-formed check record): ``j`` is named *by its own commitments* — an
  honest vendor's sends are consistent, whatever the others publish — and the ledger can
  convict it;
* ``mismatch`` — ``S_{j,i} != C_{j,i}`` for some recipient ``i``: the channel digests agree,
  so ``j`` or ``i`` misreports one function of the same bytes; the public values cannot
  say which, and the referee opens what ``i`` received from ``j`` (decision 0030).
"""

from __future__ import annotations

import hashlib
import io
import pickle
from typing import Any

from reference.training.shared.field import lies_on_degree, modulus
from reference.training.shared.program import StepRecord, StepView

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
        record = records[party].core_json_value()
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


def sent_to_all(sent: dict[tuple[int, int], bytes], parties: int, me: int) -> list[int]:
    """The program counters at which vendor ``me`` sent a message to every peer: the
    domain of its sender checks, which it publishes first (``to_all``)."""
    peers = [peer for peer in range(parties) if peer != me]
    sets = [{pc for (pc, to) in sent if to == peer} for peer in peers]
    return sorted(set.intersection(*sets)) if sets else []


def check_record(view: StepView, sent: dict[tuple[int, int], bytes],
                 records: dict[int, StepRecord],
                 domains: dict[int, list[int]]) -> dict[str, Any]:
    """The check record vendor ``view.party`` adds to its record of one step, from its own
    view and sent messages, once every record's core and every vendor's ``to_all`` domain
    of the step are public: ``from`` over each sender's published domain, ``to`` over its
    own. What the others publish cannot make an honest vendor's ``to`` values inconsistent,
    and an honest recipient's ``from`` value is what its messages give."""
    me, parties = view.party, view.parties
    seed = step_seed(records)
    return {"to_all": list(domains[me]),
            "from": {str(peer): str(sender_check_value(
                {pc: data for (pc, sender), data in view.received.items() if sender == peer},
                seed, set(domains[peer]))) for peer in range(parties) if peer != me},
            "to": {str(peer): str(sender_check_value(
                {pc: data for (pc, to), data in sent.items() if to == peer}, seed,
                set(domains[me]))) for peer in range(parties) if peer != me}}


def domain(record: StepRecord) -> set[int]:
    """The ``to_all`` domain a vendor published in its check record (empty if malformed)."""
    checks = record.checks if isinstance(record.checks, dict) else {}
    values = checks.get("to_all")
    if not isinstance(values, list) or not all(type(v) is int for v in values):
        return set()
    return set(values)


def parsed_checks(record: StepRecord, me: int,
                  parties: list[int]) -> tuple[dict[int, int], dict[int, int]] | None:
    """``(to, from)`` of a record's check record, keyed by peer, each value a field element;
    None when it is missing or malformed."""
    checks = record.checks
    if not isinstance(checks, dict) or not isinstance(checks.get("to_all"), list) or not all(
            type(v) is int for v in checks["to_all"]):
        return None
    peers = [str(peer) for peer in parties if peer != me]
    sides = []
    for side in ("to", "from"):
        values = checks.get(side)
        if not isinstance(values, dict) or sorted(values) != sorted(peers):
            return None
        parsed = {}
        for peer in peers:
            value = values[peer]
            if not isinstance(value, str) or not value.isdigit() or int(value) >= modulus():
                return None
            parsed[int(peer)] = int(value)
        sides.append(parsed)
    return sides[0], sides[1]


def sender_fault(records: dict[int, StepRecord],
                 threshold: int) -> tuple[str, int, int | None, str] | None:
    """The first sender-check fault of one step's records: ``(kind, sender, recipient,
    detail)`` with kind ``sender`` (named by its own commitments) or ``mismatch``."""
    parties = sorted(records)
    parsed = {}
    for j in parties:
        checks = parsed_checks(records[j], j, parties)
        if checks is None:
            return ("sender", j, None, f"vendor {j} committed no well-formed sender checks "
                                       f"for step {records[j].step}")
        parsed[j] = checks
    for j in parties:
        sent_values, _ = parsed[j]
        if not lies_on_degree(sent_values, threshold):
            return ("sender", j, None, f"the values vendor {j} committed for what it sent in "
                                       f"step {records[j].step} lie on no polynomial of degree "
                                       f"{threshold}")
    for j in parties:
        for i in parties:
            if i != j and parsed[j][0][i] != parsed[i][1][j]:
                return ("mismatch", j, i, f"vendor {j}'s value for what it sent {i} in step "
                                          f"{records[j].step} differs from {i}'s value for what "
                                          "it received")
    return None
