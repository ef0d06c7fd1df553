"""The spec as an implementation: two runners that must pass every vector.

* :class:`SpecRunner` runs the spec's own values through :func:`spec.machine.step`. It
  is the generator's procedure replayed, so it checks that the vectors are written and
  read back faithfully and that the spec is deterministic.
* :class:`RemappedSpecRunner` also runs the spec, but builds every abstract argument from
  its *meaning* alone, with digests of its own (other commitments, another "wrong"
  digest, other "other" digests). It passes only if the vectors carry everything an
  implementation with its own cryptography needs — the check that the abstract state and
  the meanings of :mod:`conformance.semantics` are a sufficient projection.

Both honour :meth:`~conformance.runner.Runner.step_concurrently` like a ledger with
optimistic concurrency control: both calls are evaluated against the state before them;
the first is applied; the second is re-run on the new state when it was refused, or when
it read anything the first one wrote (:func:`~conformance.spec_ledger.read_conflict`, the "MVCC" check); only a
conflict-free second call keeps the writes it computed on the old state. Two functions are
the runners' "ledger" (:mod:`conformance.spec_ledger`): ``read_conflict`` and ``signer_of`` (whose signature a call
carries); the mutation tests disable them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

from conformance import spec_ledger
from conformance.projection import AbstractState, project
from conformance.runner import Runner
from conformance.semantics import (
    COMMITTED,
    HONEST,
    OTHER_PREFIX,
    TAMPERED,
    WRONG,
    Context,
    DigestLabeller,
    describe_call,
)
from conformance.vectors import Genesis, VectorCall
from spec.actions import Call
from spec.base import FrozenMap
from spec.machine import Step, step
from spec.state import Market, genesis
from spec.transcript import DIGEST_MODULUS, SENDER_OFFSET, honest_transcript
from traces.itf import ACCEPTED

# ---------------------------------------------------------------------------------------
# Writes of a call, at the granularity of a ledger's keys
# ---------------------------------------------------------------------------------------

MAP_FIELDS = ("identities", "balances", "escrows", "datasets", "models", "offers", "jobs")
WHOLE_FIELDS = ("now", "minted", "data_holders", "model_holders", "artefacts")


def entries(market: Market) -> dict[tuple[str, ...], Any]:
    """The market as a key-value map: one key per record, as a ledger stores it."""
    found: dict[tuple[str, ...], Any] = {}
    for name in MAP_FIELDS:
        for key, value in getattr(market, name).items():
            found[(name, key)] = value
    for name in WHOLE_FIELDS:
        found[(name,)] = getattr(market, name)
    return found


def apply_writes(base: Market, before: Market, after: Market) -> Market:
    """``base`` with every key that changed from ``before`` to ``after`` set as in
    ``after`` (last writer wins, as a ledger without conflict checks would do)."""
    old, new = entries(before), entries(after)
    changed = {key: new.get(key) for key in set(old) | set(new) if old.get(key) != new.get(key)}
    updates: dict[str, Any] = {}
    for name in MAP_FIELDS:
        current = dict(getattr(base, name))
        touched = False
        for key, value in changed.items():
            if key[0] == name:
                touched = True
                if value is None:
                    current.pop(key[1], None)
                else:
                    current[key[1]] = value
        if touched:
            updates[name] = FrozenMap(current)
    for name in WHOLE_FIELDS:
        if (name,) in changed:
            updates[name] = changed[(name,)]
    return replace(base, **updates)


def outcome_of(result: Step) -> str:
    return ACCEPTED if result.rejection is None else result.rejection.value


class SpecRunner(Runner):
    """The spec, on the vectors' own values."""

    name = "spec"

    @property
    def mutants(self):
        from conformance.mutants import SPEC_MUTANTS
        return SPEC_MUTANTS

    def __init__(self) -> None:
        self.market: Market = genesis(0, Fraction(0))
        """The market of the vector being run (:meth:`init` starts it from the vector's genesis)."""
        self.labeller = DigestLabeller()

    def init(self, parameters: Genesis) -> None:
        self.market = genesis(parameters.dispute_cost, parameters.audit_probability)
        self.labeller = DigestLabeller()

    def realise(self, call: VectorCall) -> Call:
        """The spec call this runner makes for ``call``."""
        made = call.spec_call()
        return replace(made, actor=spec_ledger.signer_of(call))

    def evaluate(self, market: Market, call: VectorCall) -> Step:
        made = self.realise(call)
        describe_call(market, made, self.labeller)  # names new digests in the trace's order
        return step(market, made)

    def step(self, call: VectorCall) -> str:
        result = self.evaluate(self.market, call)
        self.market = result.market
        return outcome_of(result)

    def step_concurrently(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        old = self.market
        first_result = self.evaluate(old, first)
        second_stale = step(old, self.realise(second))
        if second_stale.accepted and not spec_ledger.read_conflict(first_result, second_stale):
            self.market = apply_writes(first_result.market, old, second_stale.market)
            return outcome_of(first_result), ACCEPTED
        second_result = self.evaluate(first_result.market, second)
        self.market = second_result.market
        return outcome_of(first_result), outcome_of(second_result)

    def project(self) -> AbstractState:
        return project(self.market, self.labeller)


# ---------------------------------------------------------------------------------------
# The remapped runner: the spec, fed only with what the vectors mean
# ---------------------------------------------------------------------------------------

WRONG_OFFSET = 7
"""The remapped runner's wrong digest is the honest one plus this (the spec uses +1)."""
OTHER_STRIDE = 13
NO_CONTEXT_BASE = 900_000
DATASET_COMMITMENT_BASE = 5_000
MODEL_COMMITMENT_BASE = 7_000
DEFECTIVE_OFFSET = 11


class RealisedDigests:
    """The remapped runner's own digests for each label, and the labels of its digests."""

    def __init__(self) -> None:
        self.others: dict[tuple[Context | None, int, int], str] = {}

    def honest(self, market: Market, context: Context | None, position: int) -> int | None:
        start = DigestLabeller.start(market, context)
        if start is None or position < 0:
            return None
        return start if position == 0 else honest_transcript(start, position)[-1]

    def digest(self, market: Market, context: Context | None, position: int, label: str) -> int:
        honest = self.honest(market, context, position)
        if honest is None:
            number = int(label.removeprefix(OTHER_PREFIX)) if label.startswith(OTHER_PREFIX) else 0
            value = NO_CONTEXT_BASE + 100 * position + number
        elif label == HONEST:
            value = honest
        elif label == WRONG and position > 0:
            value = (honest + WRONG_OFFSET) % DIGEST_MODULUS
        elif label == TAMPERED and position > 0:
            # the spec tells a sender fault by this offset: the one digest it fixes
            value = (honest + SENDER_OFFSET) % DIGEST_MODULUS
        else:
            number = int(label.removeprefix(OTHER_PREFIX))
            value = (honest + WRONG_OFFSET + OTHER_STRIDE * number) % DIGEST_MODULUS
        if label.startswith(OTHER_PREFIX):
            self.others[(context if honest is not None else None, position, value)] = label
        return value

    # the labelling interface of conformance.projection.project
    def label(self, market: Market, context: Context | None, position: int, digest: int) -> str:
        honest = self.honest(market, context, position)
        if honest is not None and digest == honest:
            return HONEST
        if honest is not None and position > 0 and digest == (honest + WRONG_OFFSET) % DIGEST_MODULUS:
            return WRONG
        if honest is not None and position > 0 and digest == (honest + SENDER_OFFSET) % DIGEST_MODULUS:
            return TAMPERED
        key = (context if honest is not None else None, position, digest)
        return self.others.get(key, f"unrealised:{digest}")

    def labels(self, market: Market, context: Context | None, transcript: Sequence[int]) -> tuple[str, ...]:
        return tuple(self.label(market, context, position, digest)
                     for position, digest in enumerate(transcript, start=1))


def context_from(record: Any) -> Context | None:
    return None if record is None else (record["job"], record["vendor"])


class RemappedSpecRunner(SpecRunner):
    """The spec, with every abstract argument rebuilt from its meaning."""

    name = "spec-remapped"

    def init(self, parameters: Genesis) -> None:
        super().init(parameters)
        self.digests = RealisedDigests()
        self.commitments = 0

    def realise(self, call: VectorCall) -> Call:
        made = super().realise(call)
        market = self.market
        args = dict(made.args)
        meaning = call.meaning
        if "commitment" in meaning:
            self.commitments += 1
            base = DATASET_COMMITMENT_BASE if call.action == "register_dataset" else MODEL_COMMITMENT_BASE
            args["commitment"] = base + self.commitments
        if "delivery_digest" in meaning:
            dataset = market.datasets.get(args.get("dataset", ""))
            commitment = dataset.commitment if dataset is not None else 0
            args["delivery_digest"] = (commitment if meaning["delivery_digest"] == COMMITTED
                                       else commitment + DEFECTIVE_OFFSET)
        if "key_digest" in meaning:
            args["key_digest"] = 0
        if "transcript" in meaning:
            context = context_from(meaning["transcript"]["context"])
            args["transcript"] = tuple(
                self.digests.digest(market, context, position, label)
                for position, label in enumerate(meaning["transcript"]["digests"], start=1))
        if "digest" in meaning:
            described = meaning["digest"]
            args["digest"] = self.digests.digest(market, context_from(described["context"]),
                                                 described["step"], described["label"])
        return replace(made, args=FrozenMap(args))

    def evaluate(self, market: Market, call: VectorCall) -> Step:
        saved, self.market = self.market, market
        try:
            made = self.realise(call)
        finally:
            self.market = saved
        return step(market, made)

    def step_concurrently(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        old = self.market
        first_result = self.evaluate(old, first)
        second_stale = self.evaluate(old, second)
        if second_stale.accepted and not spec_ledger.read_conflict(first_result, second_stale):
            self.market = apply_writes(first_result.market, old, second_stale.market)
            return outcome_of(first_result), ACCEPTED
        second_result = self.evaluate(first_result.market, second)
        self.market = second_result.market
        return outcome_of(first_result), outcome_of(second_result)

    def project(self) -> AbstractState:
        return project(self.market, self.digests)


__all__ = ["RemappedSpecRunner", "SpecRunner", "apply_writes"]
