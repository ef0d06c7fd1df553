"""What the spec's abstract values mean, so that an implementation can make its own.

The spec abstracts every digest to a small whole number (see :mod:`spec.transcript`): a
dataset commitment is ``101``, a training transcript is a tuple of numbers below a prime.
An implementation with real SHA-256 digests, Merkle roots and real training cannot use
those numbers; it needs to know what each one *stands for*. This module names them.

Digests in transcripts and bisection moves are named relative to a **context**: one
vendor's training in one job. In that context, the digest after step ``i`` is

* ``"honest"`` — the state an honest vendor reaches after step ``i``;
* ``"wrong"`` — the one fixed wrong digest of step ``i``: every divergent transcript of
  this vendor and job carries the same wrong digest at step ``i`` (in the spec it is the
  honest digest plus one, :func:`spec.transcript.divergent_transcript`); re-executing step
  ``i + 1`` from it never gives a named digest;
* ``"tampered"`` — the one fixed digest of step ``i`` whose record carries no well-formed
  sender check (a sender fault of a secret-shared step: the honest digest plus two in the
  spec, :func:`spec.transcript.tampered_transcript`); an implementation commits, for it,
  the honest step's record without its sender checks;
* ``"other:N"`` — some other digest, neither honest nor wrong nor tampered; within one trace, equal
  labels at the same step of the same context are equal digests and different labels are
  different digests (``N`` counts the distinct such digests of that step, from 1).

Equality of digests is the only thing the rules look at, apart from re-execution of one
step in ``resolve_step``: re-executing step ``i`` from the honest digest after step
``i - 1`` gives the honest digest after step ``i``, and from any other digest gives a
digest that is none of the named ones. :class:`DigestLabeller` hands out these names
consistently along a trace; :func:`describe_call` attaches them (and the other meanings)
to the arguments of a call.

Other abstract arguments:

* a dataset's or model's ``commitment`` is ``"fresh"``: the implementation's own
  commitment to that dataset's content or that model's recipe;
* a grant's ``delivery_digest`` is ``"committed"`` (the dataset's registered commitment:
  the owner delivers what it registered) or ``"other"`` (a defective delivery);
* a grant's ``key_digest`` is ``"opaque"``: the digest of key material, never checked;
* a call's signer may carry ``{"forges": name}``: the signer is not a registered identity
  but presents the identity ``name``'s credentials (a forged signature). The spec sees
  an unregistered signer; an implementation with signatures must refuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spec.actions import Call, start_digest
from spec.state import JobStatus, Market
from spec.transcript import divergent_transcript, honest_transcript, tampered_transcript

HONEST = "honest"
WRONG = "wrong"
TAMPERED = "tampered"
OTHER_PREFIX = "other:"
COMMITTED = "committed"
OTHER = "other"
FRESH = "fresh"
OPAQUE = "opaque"

Context = tuple[str, str]
"""``(job, vendor)``: whose training a digest is about."""


def other_label(number: int) -> str:
    return f"{OTHER_PREFIX}{number}"


def is_digest_label(label: str) -> bool:
    """True for ``honest``, ``wrong``, ``tampered`` and ``other:N`` with N a positive whole
    number."""
    if label in (HONEST, WRONG, TAMPERED):
        return True
    number = label.removeprefix(OTHER_PREFIX)
    return label.startswith(OTHER_PREFIX) and number.isdigit() and int(number) >= 1


class DigestLabeller:
    """Names the spec's digests along one trace (see the module docstring).

    The names of ``other`` digests are handed out in the order they are first seen, per
    context and step, so the same trace always gets the same names.
    """

    def __init__(self) -> None:
        self._others: dict[tuple[Context | None, int], dict[int, int]] = {}
        self._honest: dict[tuple[int, int], tuple[int, ...]] = {}

    def _honest_digests(self, start: int, length: int) -> tuple[int, ...]:
        """Digests after steps 0 .. length of an honest run from ``start``."""
        key = (start, length)
        if key not in self._honest:
            self._honest[key] = (start, *honest_transcript(start, length))
        return self._honest[key]

    def _wrong_digest(self, start: int, step: int) -> int | None:
        if step < 1:
            return None
        return divergent_transcript(start, step, 1)[step - 1]

    def label(self, market: Market, context: Context | None, step: int, digest: int) -> str:
        """The name of ``digest`` claimed as the state after ``step`` in ``context``
        (``None``: a context the market does not have; every digest is then ``other``)."""
        start = self.start(market, context)
        if start is not None and step >= 0:
            if digest == self._honest_digests(start, step)[step]:
                return HONEST
            if digest == self._wrong_digest(start, step):
                return WRONG
            if step >= 1 and digest == tampered_transcript(start, step, 1)[step - 1]:
                return TAMPERED
        seen = self._others.setdefault((context if start is not None else None, step), {})
        if digest not in seen:
            seen[digest] = len(seen) + 1
        return other_label(seen[digest])

    def labels(self, market: Market, context: Context | None,
               transcript: Sequence[int]) -> tuple[str, ...]:
        """The names of a transcript's digests (index ``i`` is the state after step ``i+1``)."""
        return tuple(self.label(market, context, step, digest)
                     for step, digest in enumerate(transcript, start=1))

    @staticmethod
    def start(market: Market, context: Context | None) -> int | None:
        """The agreed digest before step 1 in ``context``, if the market has that context."""
        if context is None:
            return None
        job = market.jobs.get(context[0])
        if job is None or context[1] not in job.vendors:
            return None
        return start_digest(market, job, context[1])


def transcript_shape(labels: Sequence[str]) -> str:
    """A summary of a transcript's labels: ``honest`` (every digest honest),
    ``diverges_at:K`` (honest before step K, wrong from step K on), or ``mixed``."""
    if all(label == HONEST for label in labels):
        return HONEST
    first = next(step for step, label in enumerate(labels, start=1) if label != HONEST)
    if all(label == WRONG for label in labels[first - 1:]):
        return f"diverges_at:{first}"
    return "mixed"


def context_of(market: Market, job: Any, vendor: Any) -> Context | None:
    """``(job, vendor)`` when the market has that job and the vendor is one of its own."""
    if not isinstance(job, str) or not isinstance(vendor, str):
        return None
    record = market.jobs.get(job)
    if record is None or vendor not in record.vendors:
        return None
    return (job, vendor)


def context_record(context: Context | None) -> dict[str, Any] | None:
    return None if context is None else {"job": context[0], "vendor": context[1]}


def bisection_position(market: Market, job: Any) -> tuple[Context | None, int]:
    """The context and step a bisection move's digest is about: the respondent of the
    job's dispute, at the midpoint of the interval in dispute."""
    record = market.jobs.get(job) if isinstance(job, str) else None
    if record is None or record.status != JobStatus.DISPUTED or record.dispute is None:
        return None, 0
    dispute = record.dispute
    return (record.ident, dispute.respondent), (dispute.low + dispute.high) // 2


def describe_call(market: Market, made: Call, labeller: DigestLabeller,
                  forges: str | None = None) -> dict[str, Any]:
    """The meaning of the abstract arguments of ``made``, called on ``market``.

    Returns a dictionary from argument name to its description (arguments whose spec value
    is already concrete — names, amounts, ticks — have none). ``forges`` marks a call by an
    unregistered signer as a forgery of that identity's credentials.
    """
    meaning: dict[str, Any] = {}
    args = made.args
    if forges is not None:
        meaning["actor"] = {"forges": forges}
    if made.action in ("register_dataset", "register_model"):
        meaning["commitment"] = FRESH
    elif made.action == "grant_access":
        dataset = market.datasets.get(args.get("dataset"))
        delivered = args.get("delivery_digest")
        meaning["delivery_digest"] = (
            COMMITTED if dataset is not None and delivered == dataset.commitment else OTHER)
        meaning["key_digest"] = OPAQUE
    elif made.action in ("submit_result", "dispute_result"):
        vendor = made.actor if made.action == "submit_result" else args.get("vendor")
        context = context_of(market, args.get("job"), vendor)
        labels = labeller.labels(market, context, args.get("transcript", ()))
        meaning["transcript"] = {
            "context": context_record(context),
            "digests": list(labels),
            "shape": transcript_shape(labels),
        }
    elif made.action in ("bisect_query", "bisect_answer"):
        context, position = bisection_position(market, args.get("job"))
        meaning["digest"] = {
            "context": context_record(context),
            "step": position,
            "label": labeller.label(market, context, position, args.get("digest")),
        }
    return meaning
