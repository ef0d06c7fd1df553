"""Conformance vectors: runs of the spec as ITF traces, written and read.

A vector is one run from genesis (:class:`Vector`): the genesis parameters, then one
:class:`VectorStep` per call, each with the call, its expected outcome and the expected
abstract state after it (:mod:`conformance.projection`). On disk it is an ITF trace (the
Informal Trace Format of Apalache and Quint) with these state variables:

``state``
    the abstract state after the step (state 0: after genesis);
``mbt::actionTaken``
    the action's name (``"init"`` in state 0);
``mbt::nondetPicks``
    the call: ``actor`` and each argument as ITF ``Option`` values (``Some``), exactly as
    :func:`traces.itf.call_picks` writes them, plus ``meaning``: ``Some`` of a record
    from argument name to what its abstract value means (:mod:`conformance.semantics`);
``outcome``
    ``"accepted"`` or the rejection code (``"init"`` in state 0);
``concurrent``
    ``true`` when the call is submitted together with the previous step's call (the same
    block); the expected outcome and state are those of running them one after the other.

The trace's ``#meta`` carries the vector's name, kind, description, seed, genesis and
prelude: a vector may continue a *prelude* vector (a shared setup) instead of repeating
its calls; in memory a vector is always the whole run from genesis
(:func:`resolve_prelude`), and only the file leaves the prelude's calls out.
``docs/vectors.md`` documents the format for implementers; ``vectors/vector.schema.json``
is its JSON Schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from fractions import Fraction
from types import SimpleNamespace
from typing import Any, cast

from itf_py import value_to_json

from traces.itf import (
    ACCEPTED,
    FORMAT_DESCRIPTION,
    ItfError,
    ItfRecord,
    Variant,
    call_picks,
    decode_call,
    decode_value,
    nothing,
    some,
)
from conformance.projection import (
    AbstractDataset,
    AbstractDispute,
    AbstractJob,
    AbstractOffer,
    AbstractState,
    AbstractVerdict,
)
from spec.actions import CATALOGUE, Call
from spec.base import FrozenMap
from spec.rejections import Rejection
from spec.state import Role

STATE = "state"
ACTION_TAKEN = "mbt::actionTaken"
NONDET_PICKS = "mbt::nondetPicks"
OUTCOME = "outcome"
CONCURRENT = "concurrent"
MEANING = "meaning"
INIT = "init"
VARIABLES = [STATE, ACTION_TAKEN, NONDET_PICKS, OUTCOME, CONCURRENT]
KINDS = ("prelude", "coverage", "walk", "sequence")
OUTCOMES = frozenset({ACCEPTED, *(code.value for code in Rejection)})


class VectorFormatError(ValueError):
    """A file that is not a well-formed conformance vector."""


@dataclass(frozen=True)
class Genesis:
    """The parameters of the empty market a vector starts from."""

    dispute_cost: int
    audit_probability: Fraction

    def to_json(self) -> dict[str, Any]:
        return {"dispute_cost": self.dispute_cost,
                "audit_probability": f"{self.audit_probability.numerator}/"
                                     f"{self.audit_probability.denominator}"}

    @classmethod
    def from_json(cls, value: Any) -> Genesis:
        try:
            numerator, denominator = str(value["audit_probability"]).split("/")
            cost = value["dispute_cost"]
            if isinstance(cost, bool) or not isinstance(cost, int):
                raise ValueError("dispute_cost is not a whole number")
            return cls(cost, Fraction(int(numerator), int(denominator)))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
            raise VectorFormatError(f"#meta.genesis: {error}") from None


@dataclass(frozen=True)
class VectorCall:
    """One call as a runner receives it.

    ``args`` holds the spec's values (strings, whole numbers, tuples for sequences,
    frozensets for sets, the role as its string); ``meaning`` says what the abstract ones
    mean (see :mod:`conformance.semantics`).
    """

    action: str
    actor: str
    args: dict[str, Any]
    meaning: dict[str, Any] = field(default_factory=dict)

    def spec_call(self) -> Call:
        """The spec's :class:`~spec.actions.Call` for these values."""
        args = dict(self.args)
        if "role" in args:
            args["role"] = Role(args["role"])
        return Call(self.action, self.actor, FrozenMap(args))

    @property
    def forges(self) -> str | None:
        """The identity whose credentials an unregistered signer presents, if any."""
        actor = self.meaning.get("actor")
        return actor.get("forges") if isinstance(actor, dict) else None

    @classmethod
    def from_spec(cls, made: Call, meaning: dict[str, Any]) -> VectorCall:
        args = {name: (value.value if isinstance(value, Role) else value)
                for name, value in made.args.items()}
        return cls(made.action, made.actor, args, meaning)


@dataclass(frozen=True)
class VectorStep:
    call: VectorCall
    outcome: str
    """``"accepted"`` or a rejection code."""
    state: AbstractState
    concurrent: bool = False
    """Submitted in the same block as the previous step's call."""

    @property
    def accepted(self) -> bool:
        return self.outcome == ACCEPTED


@dataclass
class Vector:
    name: str
    """Its path in the corpus without the suffix, e.g. ``coverage/accept_job/accepted``."""
    kind: str
    description: str
    genesis: Genesis
    initial: AbstractState
    steps: list[VectorStep]
    seed: int | None = None
    prelude: str | None = None
    """The name of the prelude vector whose calls this one starts with, if any."""
    prelude_steps: int = 0
    """How many of ``steps`` are the prelude's (they are not repeated in the file)."""

    @property
    def file_name(self) -> str:
        return f"{self.name}.itf.json"

    def with_prelude(self, prelude: Vector) -> Vector:
        """This vector, written as a continuation of ``prelude`` (whose calls it starts with)."""
        count = len(prelude.steps)
        if (prelude.prelude is not None or self.genesis != prelude.genesis
                or [step.call for step in self.steps[:count]] != [step.call for step in prelude.steps]
                or any(step.concurrent for step in self.steps[count:count + 1])):
            raise ValueError(f"{self.name} does not start with the calls of {prelude.name}")
        return replace(self, prelude=prelude.name, prelude_steps=count)


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

def record(**items: Any) -> SimpleNamespace:
    return SimpleNamespace(**items)


def option(value: Any) -> Any:
    return nothing() if value is None else some(value)


def state_value(state: AbstractState) -> SimpleNamespace:
    """An abstract state as an itf-py value (records, maps, sets, lists, options)."""
    return record(
        now=state.now,
        identities=dict(state.identities),
        balances=dict(state.balances),
        escrows=dict(state.escrows),
        minted=state.minted,
        datasets={name: record(owner=item.owner, price=item.price, misuse_value=item.misuse_value,
                               purposes=frozenset(item.purposes), expiry=item.expiry,
                               max_uses=item.max_uses, uses=item.uses)
                  for name, item in state.datasets.items()},
        models=dict(state.models),
        offers={name: record(fee=item.fee, cost=item.cost, capacity=item.capacity,
                             active_jobs=item.active_jobs)
                for name, item in state.offers.items()},
        jobs={ident: job_value(job) for ident, job in state.jobs.items()},
        data_holders=frozenset(state.data_holders),
        model_holders=frozenset(state.model_holders),
        misuse_artefacts=frozenset(state.misuse_artefacts),
    )


def job_value(job: AbstractJob) -> SimpleNamespace:
    disputes = [record(respondent=dispute.respondent, claim=list(dispute.claim), low=dispute.low,
                       high=dispute.high, turn=dispute.turn, rounds=dispute.rounds,
                       answers=dispute.answers)
                for dispute in job.disputes]
    return record(
        developer=job.developer, model=job.model, datasets=list(job.datasets),
        vendors=list(job.vendors), purpose=job.purpose, steps=job.steps, window=job.window,
        vendor_stake=job.vendor_stake, developer_bond=job.developer_bond,
        owner_bond=job.owner_bond, status=job.status, deadline=job.deadline,
        deposits=dict(job.deposits), deliveries=dict(job.deliveries),
        accepted=frozenset(job.accepted), confirmed=frozenset(job.confirmed),
        results={vendor: list(labels) for vendor, labels in job.results.items()},
        disputes=disputes,
        verdicts=[record(convicted=verdict.convicted, offence=verdict.offence)
                  for verdict in job.verdicts],
        payouts=option(None if job.payouts is None else dict(job.payouts)),
    )


OPTIONAL_MEANINGS = frozenset({"context"})
"""Meaning fields that may be absent: written as ITF Options (``Some`` / ``None``)."""


def meaning_value(value: Any) -> Any:
    """A meaning description as an itf-py value: objects are records, and the optional
    fields Options."""
    if isinstance(value, dict):
        return record(**{name: option(None if item is None else meaning_value(item))
                         if name in OPTIONAL_MEANINGS else meaning_value(item)
                         for name, item in value.items()})
    if isinstance(value, list):
        return [meaning_value(item) for item in value]
    return value


def picks_value(made: VectorCall | None) -> Any:
    if made is None:
        return record()
    picks = call_picks(made.spec_call())
    setattr(picks, MEANING, some(meaning_value(made.meaning)))
    return picks


def canonical(value: Any) -> Any:
    """Sort ITF ``#set`` members and ``#map`` entries so that files are reproducible."""
    if isinstance(value, dict):
        if set(value) == {"#set"}:
            members = [canonical(item) for item in value["#set"]]
            return {"#set": sorted(members, key=lambda item: json.dumps(item, sort_keys=True))}
        if set(value) == {"#map"}:
            entries = [[canonical(key), canonical(item)] for key, item in value["#map"]]
            return {"#map": sorted(entries, key=lambda entry: json.dumps(entry[0], sort_keys=True))}
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def state_json(index: int, state: AbstractState, made: VectorCall | None, outcome: str,
               concurrent: bool) -> dict[str, Any]:
    return {
        "#meta": {"index": index},
        STATE: canonical(value_to_json(state_value(state))),
        ACTION_TAKEN: INIT if made is None else made.action,
        NONDET_PICKS: canonical(value_to_json(picks_value(made))),
        OUTCOME: outcome,
        CONCURRENT: concurrent,
    }


def vector_meta(vector: Vector) -> dict[str, Any]:
    return {
        "format": "ITF",
        "format-description": FORMAT_DESCRIPTION,
        "source": "aimarket conformance vectors (generated from spec/)",
        "vector": vector.name,
        "kind": vector.kind,
        "description": vector.description,
        "seed": vector.seed,
        "genesis": vector.genesis.to_json(),
        "prelude": vector.prelude,
    }


def vector_text(vector: Vector) -> str:
    """The file's text: compact JSON with one ITF state per line."""
    def compact(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    start = vector.prelude_steps
    initial = vector.steps[start - 1].state if start else vector.initial
    states = [state_json(0, initial, None, INIT, False)]
    states += [state_json(index, step.state, step.call, step.outcome, step.concurrent)
               for index, step in enumerate(vector.steps[start:], start=1)]
    head = (f'{{"#meta":{compact(vector_meta(vector))},"params":[],'
            f'"vars":{compact(VARIABLES)},"states":[\n')
    return head + ",\n".join(compact(state) for state in states) + "\n]}\n"


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

def _get(value: Any, name: str, where: str) -> Any:
    if not isinstance(value, dict) or name not in value:
        raise VectorFormatError(f"{where}: missing field {name!r}")
    return value[name]


def _option(value: Any, where: str) -> Any:
    if not isinstance(value, Variant) or value.tag not in ("Some", "None"):
        raise VectorFormatError(f"{where}: expected an Option (Some or None)")
    return value.value if value.tag == "Some" else None


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VectorFormatError(f"{where}: expected a whole number, got {value!r}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise VectorFormatError(f"{where}: expected a string, got {value!r}")
    return value


def _amounts(value: Any, where: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise VectorFormatError(f"{where}: expected a map")
    return {_text(key, where): _whole(item, f"{where}[{key!r}]") for key, item in value.items()}


def _names(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, frozenset):
        raise VectorFormatError(f"{where}: expected a set")
    return frozenset(_text(item, where) for item in value)


def _sequence(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise VectorFormatError(f"{where}: expected a list")
    return tuple(_text(item, where) for item in value)


def _tuples(value: Any, width: int, where: str) -> frozenset[tuple[str, ...]]:
    if not isinstance(value, frozenset):
        raise VectorFormatError(f"{where}: expected a set")
    for item in value:
        if not isinstance(item, tuple) or len(item) != width:
            raise VectorFormatError(f"{where}: expected tuples of {width}")
    return frozenset(value)


def _pairs(value: Any, where: str) -> frozenset[tuple[str, str]]:
    return cast(frozenset[tuple[str, str]], _tuples(value, 2, where))


def _triples(value: Any, where: str) -> frozenset[tuple[str, str, str]]:
    return cast(frozenset[tuple[str, str, str]], _tuples(value, 3, where))


def decode_job(value: Any, where: str) -> AbstractJob:
    disputes_value = _get(value, "disputes", where)
    if not isinstance(disputes_value, list):
        raise VectorFormatError(f"{where}.disputes: expected a list")
    disputes = tuple(
        AbstractDispute(
            respondent=_text(_get(item, "respondent", where), where),
            claim=_sequence(_get(item, "claim", where), f"{where}.disputes.claim"),
            low=_whole(_get(item, "low", where), where),
            high=_whole(_get(item, "high", where), where),
            turn=_text(_get(item, "turn", where), where),
            rounds=_whole(_get(item, "rounds", where), where),
            answers=_whole(_get(item, "answers", where), where))
        for item in disputes_value)
    payouts_value = _option(_get(value, "payouts", where), f"{where}.payouts")
    results = _get(value, "results", where)
    if not isinstance(results, dict):
        raise VectorFormatError(f"{where}.results: expected a map")
    deliveries = _get(value, "deliveries", where)
    if not isinstance(deliveries, dict):
        raise VectorFormatError(f"{where}.deliveries: expected a map")
    verdicts = _get(value, "verdicts", where)
    if not isinstance(verdicts, list):
        raise VectorFormatError(f"{where}.verdicts: expected a list")
    return AbstractJob(
        developer=_text(_get(value, "developer", where), where),
        model=_text(_get(value, "model", where), where),
        datasets=_sequence(_get(value, "datasets", where), f"{where}.datasets"),
        vendors=_sequence(_get(value, "vendors", where), f"{where}.vendors"),
        purpose=_text(_get(value, "purpose", where), where),
        steps=_whole(_get(value, "steps", where), where),
        window=_whole(_get(value, "window", where), where),
        vendor_stake=_whole(_get(value, "vendor_stake", where), where),
        developer_bond=_whole(_get(value, "developer_bond", where), where),
        owner_bond=_whole(_get(value, "owner_bond", where), where),
        status=_text(_get(value, "status", where), where),
        deadline=_whole(_get(value, "deadline", where), where),
        deposits=_amounts(_get(value, "deposits", where), f"{where}.deposits"),
        deliveries={_text(key, where): _text(item, where) for key, item in deliveries.items()},
        accepted=_names(_get(value, "accepted", where), f"{where}.accepted"),
        confirmed=_names(_get(value, "confirmed", where), f"{where}.confirmed"),
        results={_text(vendor, where): _sequence(labels, f"{where}.results")
                 for vendor, labels in results.items()},
        disputes=disputes,
        verdicts=tuple(AbstractVerdict(_text(_get(item, "convicted", where), where),
                                       _text(_get(item, "offence", where), where))
                       for item in verdicts),
        payouts=None if payouts_value is None else _amounts(payouts_value, f"{where}.payouts"),
    )


def decode_state(raw: Any, where: str = "state") -> AbstractState:
    """An abstract state from its ITF JSON."""
    try:
        value = decode_value(raw)
    except ItfError as error:
        raise VectorFormatError(f"{where}: {error}") from None
    if not isinstance(value, ItfRecord):
        raise VectorFormatError(f"{where}: expected a record")
    datasets = _get(value, "datasets", where)
    offers = _get(value, "offers", where)
    jobs = _get(value, "jobs", where)
    for name, item in (("datasets", datasets), ("offers", offers), ("jobs", jobs)):
        if not isinstance(item, dict):
            raise VectorFormatError(f"{where}.{name}: expected a map")
    identities = _get(value, "identities", where)
    models = _get(value, "models", where)
    if not isinstance(identities, dict) or not isinstance(models, dict):
        raise VectorFormatError(f"{where}: identities and models are maps")
    return AbstractState(
        now=_whole(_get(value, "now", where), f"{where}.now"),
        identities={_text(key, where): _text(role, where) for key, role in identities.items()},
        balances=_amounts(_get(value, "balances", where), f"{where}.balances"),
        escrows=_amounts(_get(value, "escrows", where), f"{where}.escrows"),
        minted=_whole(_get(value, "minted", where), f"{where}.minted"),
        datasets={_text(name, where): AbstractDataset(
            owner=_text(_get(item, "owner", where), where),
            price=_whole(_get(item, "price", where), where),
            misuse_value=_whole(_get(item, "misuse_value", where), where),
            purposes=_names(_get(item, "purposes", where), f"{where}.datasets.purposes"),
            expiry=_whole(_get(item, "expiry", where), where),
            max_uses=_whole(_get(item, "max_uses", where), where),
            uses=_whole(_get(item, "uses", where), where))
            for name, item in datasets.items()},
        models={_text(key, where): _text(owner, where) for key, owner in models.items()},
        offers={_text(name, where): AbstractOffer(
            fee=_whole(_get(item, "fee", where), where),
            cost=_whole(_get(item, "cost", where), where),
            capacity=_whole(_get(item, "capacity", where), where),
            active_jobs=_whole(_get(item, "active_jobs", where), where))
            for name, item in offers.items()},
        jobs={_text(ident, where): decode_job(item, f"{where}.jobs[{ident!r}]")
              for ident, item in jobs.items()},
        data_holders=_triples(_get(value, "data_holders", where), f"{where}.data_holders"),
        model_holders=_pairs(_get(value, "model_holders", where), f"{where}.model_holders"),
        misuse_artefacts=_pairs(_get(value, "misuse_artefacts", where), f"{where}.misuse_artefacts"),
    )


def plain_meaning(value: Any) -> Any:
    """A decoded meaning value back to plain JSON-like Python (records to dicts)."""
    if isinstance(value, Variant):
        return None if value.tag == "None" else plain_meaning(value.value)
    if isinstance(value, dict):
        return {name: plain_meaning(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_meaning(item) for item in value]
    return value


def decode_vector_call(action: Any, raw_picks: Any, where: str) -> VectorCall:
    if not isinstance(action, str) or action not in CATALOGUE:
        raise VectorFormatError(f"{where}: unknown action {action!r}")
    if not isinstance(raw_picks, dict):
        raise VectorFormatError(f"{where}: {NONDET_PICKS} is not a record")
    picks = dict(raw_picks)
    raw_meaning = picks.pop(MEANING, None)
    try:
        made = decode_call(action, picks)
        meaning = {} if raw_meaning is None else plain_meaning(decode_value(raw_meaning))
    except (ItfError, ValueError) as error:
        raise VectorFormatError(f"{where}: {error}") from None
    if not isinstance(meaning, dict):
        raise VectorFormatError(f"{where}: {MEANING} is not a record")
    return VectorCall.from_spec(made, meaning)


def vector_from_json(data: Any, name: str | None = None) -> Vector:
    """A vector from the JSON of its file."""
    if not isinstance(data, dict) or not isinstance(data.get("states"), list) or not data["states"]:
        raise VectorFormatError("an ITF trace is an object with a non-empty list of states")
    meta = data.get("#meta")
    if not isinstance(meta, dict):
        raise VectorFormatError("#meta: missing")
    kind = meta.get("kind")
    if kind not in KINDS:
        raise VectorFormatError(f"#meta.kind: {kind!r} is not one of {', '.join(KINDS)}")
    seed = meta.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise VectorFormatError("#meta.seed: expected a whole number or null")
    states = data["states"]
    first = states[0]
    if not isinstance(first, dict) or first.get(ACTION_TAKEN) != INIT:
        raise VectorFormatError(f"state 0: {ACTION_TAKEN} must be {INIT!r}")
    initial = decode_state(_get(first, STATE, "state 0"), "state 0")
    steps: list[VectorStep] = []
    for index, raw in enumerate(states[1:], start=1):
        where = f"state {index}"
        if not isinstance(raw, dict):
            raise VectorFormatError(f"{where}: expected an object")
        made = decode_vector_call(_get(raw, ACTION_TAKEN, where), _get(raw, NONDET_PICKS, where),
                                  where)
        outcome = _get(raw, OUTCOME, where)
        if outcome not in OUTCOMES:
            raise VectorFormatError(f"{where}: unknown outcome {outcome!r}")
        concurrent = _get(raw, CONCURRENT, where)
        if not isinstance(concurrent, bool):
            raise VectorFormatError(f"{where}: {CONCURRENT} must be true or false")
        if concurrent and (index == 1 or steps[-1].concurrent):
            raise VectorFormatError(f"{where}: only a pair of calls may share a block")
        steps.append(VectorStep(made, outcome, decode_state(_get(raw, STATE, where), where),
                                concurrent))
    prelude = meta.get("prelude")
    if prelude is not None and not isinstance(prelude, str):
        raise VectorFormatError("#meta.prelude: expected a vector name or null")
    return Vector(
        name=name or str(meta.get("vector", "")), kind=kind,
        description=str(meta.get("description", "")),
        genesis=Genesis.from_json(meta.get("genesis")), initial=initial, steps=steps, seed=seed,
        prelude=prelude)


def resolve_prelude(vector: Vector, preludes: dict[str, Vector]) -> Vector:
    """A vector read from a file that names a prelude, as the whole run from genesis: the
    prelude's steps, then its own. Its state 0 must be the prelude's last state."""
    if vector.prelude is None or vector.prelude_steps:
        return vector
    prelude = preludes.get(vector.prelude)
    if prelude is None:
        raise VectorFormatError(f"#meta.prelude: no prelude vector {vector.prelude!r}")
    if prelude.prelude is not None:
        raise VectorFormatError(f"#meta.prelude: {prelude.name} has a prelude itself")
    if prelude.genesis != vector.genesis:
        raise VectorFormatError(f"#meta.genesis: differs from the prelude {prelude.name}'s")
    last = prelude.steps[-1].state if prelude.steps else prelude.initial
    if vector.initial != last:
        raise VectorFormatError(f"state 0: not the last state of the prelude {prelude.name}")
    if vector.steps and vector.steps[0].concurrent:
        raise VectorFormatError("state 1: cannot share a block with the prelude's last call")
    return replace(vector, initial=prelude.initial, steps=prelude.steps + vector.steps,
                   prelude_steps=len(prelude.steps))


def read_vector_text(text: str, name: str | None = None) -> Vector:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise VectorFormatError(f"not valid JSON (line {error.lineno}: {error.msg})") from None
    return vector_from_json(data, name)
