"""A vector job's step records, as the spec models a secret-shared job's commitments.

The spec abstracts a vendor's record of a step to its transcript digest (see
``spec.actions.public_fault``): the record is consistent while the digest is the honest one,
a *state fault* when the first non-honest digest is ``wrong`` or ``other:N`` (its state
check point is off the line the others' points lie on), and a *sender fault* when it is
``tampered`` (its record carries no sender checks). The reference runner commits, with every
``submit_result``, the digests of records built here from the transcript's labels, and
opens them in ``convict_shared_step``: the chaincode's public checks
(``reference.training.shared.accountability.public_audit``) then find the fault the spec's
labels stand for. The records hold digests and masked values only, as real ones do; they
are made up (nothing is trained on shares for a vector), consistently across the job's
vendors: every channel's two digests agree, share chains are unbroken, every check record
has equal values for what was sent and what was received.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from conformance.semantics import HONEST, TAMPERED

MASKED = "5"
"""The masked combination every check record carries, for what was sent and received."""


def _digest(*parts: object) -> str:
    return hashlib.sha256("/".join(str(part) for part in parts).encode()).hexdigest()


def first_fault(labels: Sequence[str]) -> int | None:
    """The index (from 0) of a transcript's first non-honest digest, if any."""
    return next((index for index, label in enumerate(labels) if label != HONEST), None)


def step_records(job: str, vendors: Sequence[str], vendor: str,
                 labels: Sequence[str]) -> list[dict[str, Any]]:
    """``vendor``'s record of every step of ``job`` (index k is the spec's step k + 1)."""
    me = vendors.index(vendor) if vendor in vendors else 0
    peers = [index for index in range(len(vendors)) if index != me]
    fault = first_fault(labels)
    records: list[dict[str, Any]] = []
    previous = _digest(job, me, "start")
    for k, label in enumerate(labels):
        value = 7 * (me + 1) + k  # every vendor's point on the line y = 7x + k
        checks: dict[str, Any] | None = {
            "to_all": [], "to": {str(peer): MASKED for peer in peers},
            "from": {str(peer): MASKED for peer in peers}}
        if k == fault and label == TAMPERED:
            checks = None
        elif k == fault:
            value += 1
        post = _digest(job, me, "post", k, label)
        record = {"step": k, "key_digest": _digest(job, me, "key", k), "pre": previous,
                  "post": post,
                  "sent": {str(peer): _digest(job, "message", me, peer, k) for peer in peers},
                  "received": {str(peer): _digest(job, "message", peer, me, k) for peer in peers},
                  "check_value": str(value)}
        if checks is not None:
            record["checks"] = checks
        records.append(record)
        previous = post
    return records


def replay_of(record: dict[str, Any]) -> dict[str, Any]:
    """The referee's replay of a state fault's step: from the committed pre-step shares and
    key, to post-step shares other than the committed ones."""
    replayed = {name: value for name, value in record.items() if name != "checks"}
    replayed["post"] = _digest(record["post"], "replayed")
    return replayed
