"""The ITF encoding of markets, calls and runs (the Informal Trace Format of Apalache/Quint).

A run of the spec is written as an ITF trace: state 0 is the starting market with
``mbt::actionTaken`` = ``"init"``; state ``i`` is the market after the ``i``-th call, with
the call's action in ``mbt::actionTaken``, its signer and arguments in ``mbt::nondetPicks``
and its ``outcome`` (``"accepted"`` or the rejection code). Model-checker counterexamples
and conformance vectors use the same encoding, so any implementation that reads one can
replay the other.

How spec values are written (every JSON form is standard ITF):

======================  ============================================================
spec value              ITF
======================  ============================================================
record (dataclass)      ITF record, one field per dataclass field, same names
``FrozenMap``           ``{"#map": [[key, value], ...]}`` in key order
``frozenset``           ``{"#set": [...]}`` in sorted order
fixed-size tuple        ``{"#tup": [...]}``: holders, artefacts, payouts, evidence facts
sequence tuple          JSON list: a job's datasets, vendors, disputes and verdicts,
                        transcripts
int                     ``{"#bigint": "..."}``
``Fraction``            record ``{"numerator": int, "denominator": int}`` (integral
                        fractions are written as ints, which compare equal)
enumeration             its value string (``"data_owner"``, ``"RUNNING"``, ...)
``None`` / a value      Quint's ``Option``: ``{"tag": "None", "value": {"#tup": []}}`` /
                        ``{"tag": "Some", "value": ...}`` (a job's payouts, and every
                        pick in ``mbt::nondetPicks``)
======================  ============================================================

Writing goes through the ``itf-py`` package (:func:`itf_py.value_to_json`,
:func:`itf_py.trace_to_json`). Reading does not use ``itf-py``'s decoder, which in
version 0.5 cannot decode a variant whose payload is itself a special form (for example
``Some`` of a ``#bigint``); :func:`decode_value` reads the standard forms instead.
"""

from __future__ import annotations

import json
from collections import namedtuple
from dataclasses import dataclass, field
from fractions import Fraction
from enum import Enum
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from itf_py import State, Trace, itf_variant, trace_to_json, value_to_json

from spec.actions import CATALOGUE, Call
from spec.base import FrozenMap
from spec.rejections import Rejection
from spec.state import (
    Dataset,
    Dispute,
    Grant,
    Identity,
    Job,
    JobStatus,
    Licence,
    Market,
    Model,
    Offence,
    Offer,
    Role,
    Turn,
    Verdict,
)

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
ACTION_TAKEN = "mbt::actionTaken"
NONDET_PICKS = "mbt::nondetPicks"
OUTCOME = "outcome"
MARKET = "market"
INIT = "init"
ACCEPTED = "accepted"
STATE_VARIABLES = [MARKET, ACTION_TAKEN, NONDET_PICKS, OUTCOME]

SEQUENCE_PARAMS = frozenset({"datasets", "vendors", "transcript"})
SET_PARAMS = frozenset({"purposes"})
AMOUNT_PARAMS = frozenset({"amount", "price", "misuse_value", "fee", "cost", "vendor_stake",
                           "developer_bond", "owner_bond"})


class ItfError(ValueError):
    """A trace that is not valid ITF, or does not encode what it should."""


# ---------------------------------------------------------------------------------------
# Writing: spec values -> values itf-py serialises
# ---------------------------------------------------------------------------------------

Some = itf_variant(namedtuple("Some", ["value"]))
_NoneVariant = itf_variant(namedtuple("NoneVariant", ["value"]))
_NoneVariant.__name__ = "None"  # itf-py takes the variant's tag from the class name


def some(value: Any) -> Any:
    return Some(value)


def nothing() -> Any:
    return _NoneVariant(())


def record(**items: Any) -> SimpleNamespace:
    """An ITF record (itf-py writes any object with attributes as a record)."""
    return SimpleNamespace(**items)


def amount_value(amount: Any) -> Any:
    if isinstance(amount, Fraction):
        if amount.denominator == 1:
            return int(amount)
        return record(numerator=amount.numerator, denominator=amount.denominator)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ItfError(f"cannot encode amount {amount!r}")
    return amount


def plain_value(value: Any) -> Any:
    """A value of unknown shape: enums to strings, tuples to ITF tuples, sets to sets."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Fraction):
        return amount_value(value)
    if isinstance(value, tuple):
        return tuple(plain_value(item) for item in value)
    if isinstance(value, frozenset):
        return frozenset(plain_value(item) for item in value)
    if isinstance(value, (str, int, bool)):
        return value
    raise ItfError(f"cannot encode {value!r}")


def job_value(job: Job) -> SimpleNamespace:
    disputes = [record(respondent=dispute.respondent,
                       claimant_transcript=list(dispute.claimant_transcript),
                       low=dispute.low, high=dispute.high, turn=dispute.turn.value,
                       rounds=dispute.rounds, answers=dispute.answers)
                for dispute in job.disputes]
    payouts = nothing() if job.payouts is None else some(
        [(account, amount_value(amount)) for account, amount in job.payouts])
    return record(
        ident=job.ident, developer=job.developer, model=job.model,
        datasets=list(job.datasets), vendors=list(job.vendors), purpose=job.purpose,
        steps=job.steps, window=job.window, vendor_stake=amount_value(job.vendor_stake),
        developer_bond=amount_value(job.developer_bond),
        owner_bond=amount_value(job.owner_bond), status=job.status.value,
        deadline=job.deadline,
        deposits={party: amount_value(amount) for party, amount in job.deposits.items()},
        grants={dataset: record(delivery_digest=grant.delivery_digest, key_digest=grant.key_digest)
                for dataset, grant in job.grants.items()},
        accepted=frozenset(job.accepted), confirmed=frozenset(job.confirmed),
        results={vendor: list(transcript) for vendor, transcript in job.results.items()},
        disputes=disputes,
        verdicts=[record(convicted=verdict.convicted, offence=verdict.offence.value,
                         evidence=[(name, plain_value(value)) for name, value in verdict.evidence])
                  for verdict in job.verdicts],
        payouts=payouts,
    )


def market_value(market: Market) -> SimpleNamespace:
    """A market as an itf-py value (records, maps, sets and tuples)."""
    return record(
        now=market.now,
        dispute_cost=amount_value(market.dispute_cost),
        audit_probability=amount_value(market.audit_probability),
        identities={name: record(name=identity.name, role=identity.role.value,
                                 organisation=identity.organisation)
                    for name, identity in market.identities.items()},
        balances={name: amount_value(amount) for name, amount in market.balances.items()},
        escrows={job: amount_value(amount) for job, amount in market.escrows.items()},
        minted=amount_value(market.minted),
        datasets={name: record(owner=dataset.owner, commitment=dataset.commitment,
                               price=amount_value(dataset.price),
                               misuse_value=amount_value(dataset.misuse_value),
                               licence=record(purposes=frozenset(dataset.licence.purposes),
                                              expiry=dataset.licence.expiry,
                                              max_uses=dataset.licence.max_uses),
                               uses=dataset.uses)
                  for name, dataset in market.datasets.items()},
        models={name: record(owner=model.owner, commitment=model.commitment)
                for name, model in market.models.items()},
        offers={name: record(fee=amount_value(offer.fee), cost=amount_value(offer.cost),
                             capacity=offer.capacity, active_jobs=offer.active_jobs)
                for name, offer in market.offers.items()},
        jobs={ident: job_value(job) for ident, job in market.jobs.items()},
        data_holders=frozenset(market.data_holders),
        model_holders=frozenset(market.model_holders),
        artefacts=frozenset(market.artefacts),
    )


def call_picks(made: Call | None) -> SimpleNamespace:
    """``mbt::nondetPicks`` of a call: its signer and each argument, as ``Some`` values."""
    if made is None:
        return record()
    picks = {"actor": some(made.actor)}
    for name, value in made.args.items():
        if name in AMOUNT_PARAMS:
            encoded = amount_value(value)
        elif name in SEQUENCE_PARAMS:
            encoded = [plain_value(item) for item in value]
        else:
            encoded = plain_value(value)
        picks[name] = some(encoded)
    return record(**picks)


def _canonical_json(value: Any) -> Any:
    """Sort ``#set`` members and ``#map`` entries so that files are reproducible."""
    if isinstance(value, dict):
        if "#set" in value and len(value) == 1:
            items = [_canonical_json(item) for item in value["#set"]]
            return {"#set": sorted(items, key=lambda item: json.dumps(item, sort_keys=True))}
        if "#map" in value and len(value) == 1:
            pairs = [[_canonical_json(key), _canonical_json(item)] for key, item in value["#map"]]
            return {"#map": sorted(pairs, key=lambda pair: json.dumps(pair[0], sort_keys=True))}
        return {key: _canonical_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical_json(item) for item in value]
    return value


def encode_market(market: Market) -> Any:
    """A market as ITF JSON."""
    return _canonical_json(value_to_json(market_value(market)))


def encode_call(made: Call | None) -> Any:
    return _canonical_json(value_to_json(call_picks(made)))


@dataclass(frozen=True)
class TraceStep:
    """One state of a run: the call that led to it (None for the first) and its outcome."""

    market: Market
    call: Call | None = None
    outcome: str = INIT
    """``"init"``, ``"accepted"`` or a rejection code."""


@dataclass
class RunTrace:
    """A run as it is written to and read from an ITF file."""

    steps: list[TraceStep]
    loop: int | None = None
    """Index of the state the run returns to forever after the last state (a lasso)."""
    meta: dict[str, Any] = field(default_factory=dict)


def trace_json(trace: RunTrace) -> dict:
    """The ITF JSON of a run (written with itf-py)."""
    states = []
    for index, item in enumerate(trace.steps):
        values = {
            MARKET: market_value(item.market),
            ACTION_TAKEN: INIT if item.call is None else item.call.action,
            NONDET_PICKS: call_picks(item.call),
            OUTCOME: item.outcome,
        }
        states.append(State(meta={"index": index}, values=values))
    meta = {"format": "ITF", "format-description": FORMAT_DESCRIPTION, **trace.meta}
    encoded = trace_to_json(Trace(meta=meta, params=[], vars=list(STATE_VARIABLES),
                                  states=states, loop=trace.loop))
    if trace.loop is None:
        del encoded["loop"]
    return _canonical_json(encoded)


def write_trace(path: str | Path, trace: RunTrace) -> Path:
    """Write a run as an ITF file (the directory is created if needed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(trace_json(trace), indent=1)
    temporary = target.with_suffix(target.suffix + ".partial")
    temporary.write_text(text + "\n", encoding="utf-8")
    temporary.replace(target)
    return target


# ---------------------------------------------------------------------------------------
# Reading: ITF JSON -> spec values
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    tag: str
    value: Any


class ItfRecord(dict):
    """A decoded ITF record (a dict of field values, told apart from a decoded map)."""


def decode_value(raw: Any) -> Any:
    """Standard ITF JSON to Python: ints, strings, booleans, lists, tuples, frozensets,
    dicts (maps), :class:`ItfRecord` (records) and :class:`Variant`."""
    if isinstance(raw, bool) or isinstance(raw, str):
        return raw
    if isinstance(raw, int):
        return raw
    if isinstance(raw, list):
        return [decode_value(item) for item in raw]
    if isinstance(raw, dict):
        if "#bigint" in raw:
            return int(raw["#bigint"])
        if "#tup" in raw:
            return tuple(decode_value(item) for item in raw["#tup"])
        if "#set" in raw:
            return frozenset(decode_value(item) for item in raw["#set"])
        if "#map" in raw:
            return {decode_value(key): decode_value(value) for key, value in raw["#map"]}
        if "#unserializable" in raw:
            raise ItfError(f"unserializable value {raw['#unserializable']!r}")
        if set(raw) == {"tag", "value"}:
            return Variant(raw["tag"], decode_value(raw["value"]))
        return ItfRecord({name: decode_value(value) for name, value in raw.items()})
    raise ItfError(f"not an ITF value: {raw!r}")


def _field(value: Any, name: str, where: str) -> Any:
    if not isinstance(value, dict) or name not in value:
        raise ItfError(f"{where}: missing field {name!r}")
    return value[name]


def decode_amount(value: Any, where: str = "amount") -> Any:
    if isinstance(value, bool):
        raise ItfError(f"{where}: not an amount: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, ItfRecord) and set(value) == {"numerator", "denominator"}:
        return Fraction(value["numerator"], value["denominator"])
    raise ItfError(f"{where}: not an amount: {value!r}")


def _option(value: Any, where: str) -> Any:
    if not isinstance(value, Variant) or value.tag not in ("Some", "None"):
        raise ItfError(f"{where}: expected an Option (Some/None), got {value!r}")
    return value.value if value.tag == "Some" else None


def _tuples(items: Any) -> tuple:
    return tuple(tuple(item) if isinstance(item, (list, tuple)) else item for item in items)


def _evidence_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_evidence_value(item) for item in value)
    return value


def decode_job(value: Any, where: str) -> Job:
    disputes = tuple(Dispute(
        respondent=_field(item, "respondent", where),
        claimant_transcript=tuple(_field(item, "claimant_transcript", where)),
        low=_field(item, "low", where), high=_field(item, "high", where),
        turn=Turn(_field(item, "turn", where)), rounds=_field(item, "rounds", where),
        answers=_field(item, "answers", where))
        for item in _field(value, "disputes", where))
    payouts_value = _option(_field(value, "payouts", where), f"{where}.payouts")
    payouts = None if payouts_value is None else tuple(
        (account, decode_amount(amount, f"{where}.payouts")) for account, amount in payouts_value)
    return Job(
        ident=_field(value, "ident", where), developer=_field(value, "developer", where),
        model=_field(value, "model", where), datasets=tuple(_field(value, "datasets", where)),
        vendors=tuple(_field(value, "vendors", where)), purpose=_field(value, "purpose", where),
        steps=_field(value, "steps", where), window=_field(value, "window", where),
        vendor_stake=decode_amount(_field(value, "vendor_stake", where)),
        developer_bond=decode_amount(_field(value, "developer_bond", where)),
        owner_bond=decode_amount(_field(value, "owner_bond", where)),
        status=JobStatus(_field(value, "status", where)),
        deadline=_field(value, "deadline", where),
        deposits=FrozenMap({party: decode_amount(amount)
                            for party, amount in _field(value, "deposits", where).items()}),
        grants=FrozenMap({dataset: Grant(_field(grant, "delivery_digest", where),
                                         _field(grant, "key_digest", where))
                          for dataset, grant in _field(value, "grants", where).items()}),
        accepted=frozenset(_field(value, "accepted", where)),
        confirmed=frozenset(_field(value, "confirmed", where)),
        results=FrozenMap({vendor: tuple(transcript)
                           for vendor, transcript in _field(value, "results", where).items()}),
        disputes=disputes,
        verdicts=tuple(Verdict(_field(verdict, "convicted", where),
                               Offence(_field(verdict, "offence", where)),
                               tuple((name, _evidence_value(fact))
                                     for name, fact in _field(verdict, "evidence", where)))
                       for verdict in _field(value, "verdicts", where)),
        payouts=payouts,
    )


def decode_market(raw: Any) -> Market:
    """A market from its ITF JSON (the inverse of :func:`encode_market`)."""
    value = decode_value(raw)
    where = "market"
    try:
        return Market(
            now=_field(value, "now", where),
            dispute_cost=decode_amount(_field(value, "dispute_cost", where)),
            audit_probability=decode_amount(_field(value, "audit_probability", where)),
            identities=FrozenMap({name: Identity(_field(item, "name", where),
                                                 Role(_field(item, "role", where)),
                                                 _field(item, "organisation", where))
                                  for name, item in _field(value, "identities", where).items()}),
            balances=FrozenMap({name: decode_amount(amount)
                                for name, amount in _field(value, "balances", where).items()}),
            escrows=FrozenMap({job: decode_amount(amount)
                               for job, amount in _field(value, "escrows", where).items()}),
            minted=decode_amount(_field(value, "minted", where)),
            datasets=FrozenMap({
                name: Dataset(
                    owner=_field(item, "owner", where), commitment=_field(item, "commitment", where),
                    price=decode_amount(_field(item, "price", where)),
                    misuse_value=decode_amount(_field(item, "misuse_value", where)),
                    licence=Licence(frozenset(_field(_field(item, "licence", where), "purposes", where)),
                                    _field(_field(item, "licence", where), "expiry", where),
                                    _field(_field(item, "licence", where), "max_uses", where)),
                    uses=_field(item, "uses", where))
                for name, item in _field(value, "datasets", where).items()}),
            models=FrozenMap({name: Model(_field(item, "owner", where), _field(item, "commitment", where))
                              for name, item in _field(value, "models", where).items()}),
            offers=FrozenMap({name: Offer(decode_amount(_field(item, "fee", where)),
                                          decode_amount(_field(item, "cost", where)),
                                          _field(item, "capacity", where),
                                          _field(item, "active_jobs", where))
                              for name, item in _field(value, "offers", where).items()}),
            jobs=FrozenMap({ident: decode_job(item, f"job {ident}")
                            for ident, item in _field(value, "jobs", where).items()}),
            data_holders=frozenset(_tuples(_field(value, "data_holders", where))),
            model_holders=frozenset(_tuples(_field(value, "model_holders", where))),
            artefacts=frozenset(_tuples(_field(value, "artefacts", where))),
        )
    except (TypeError, ValueError, AttributeError) as error:
        if isinstance(error, ItfError):
            raise
        raise ItfError(f"{where}: {error}") from None


def decode_call(action: str, raw_picks: Any) -> Call:
    """A call from ``mbt::actionTaken`` and ``mbt::nondetPicks``."""
    picks = decode_value(raw_picks)
    if not isinstance(picks, ItfRecord):
        raise ItfError(f"{NONDET_PICKS} of {action}: expected a record")
    values = {name: _option(pick, f"{NONDET_PICKS}.{name}") for name, pick in picks.items()}
    values = {name: value for name, value in values.items() if value is not None}
    if "actor" not in values:
        raise ItfError(f"{NONDET_PICKS} of {action}: no actor")
    actor = values.pop("actor")
    args: dict[str, Any] = {}
    for name, value in values.items():
        if name in AMOUNT_PARAMS:
            args[name] = decode_amount(value, f"{action}.{name}")
        elif name in SEQUENCE_PARAMS:
            args[name] = tuple(value)
        elif name in SET_PARAMS:
            args[name] = frozenset(value)
        elif name == "role":
            args[name] = Role(value)
        else:
            args[name] = value
    return Call(action, actor, FrozenMap(args))


def outcome_code(outcome: str) -> Rejection | None:
    """The rejection an outcome string names (None for ``"accepted"``)."""
    if outcome == ACCEPTED:
        return None
    try:
        return Rejection(outcome)
    except ValueError:
        raise ItfError(f"unknown outcome {outcome!r}") from None


def trace_from_json(data: Any) -> RunTrace:
    """A run from ITF JSON written by :func:`trace_json` (or any producer of the same
    variables)."""
    if not isinstance(data, dict) or not isinstance(data.get("states"), list) or not data["states"]:
        raise ItfError("an ITF trace is an object with a non-empty list of states")
    steps = []
    for index, state in enumerate(data["states"]):
        where = f"state {index}"
        if not isinstance(state, dict) or MARKET not in state or ACTION_TAKEN not in state:
            raise ItfError(f"{where}: needs the variables {MARKET!r} and {ACTION_TAKEN!r}")
        market = decode_market(state[MARKET])
        action = state[ACTION_TAKEN]
        outcome = state.get(OUTCOME, INIT if index == 0 else ACCEPTED)
        if index == 0 or action == INIT:
            if index != 0:
                raise ItfError(f"{where}: {ACTION_TAKEN} is {INIT!r} after the first state")
            steps.append(TraceStep(market))
            continue
        if not isinstance(action, str) or action not in CATALOGUE:
            raise ItfError(f"{where}: unknown action {action!r}")
        made = decode_call(action, state.get(NONDET_PICKS, {}))
        steps.append(TraceStep(market, made, outcome))
    loop = data.get("loop")
    if loop is not None and not (isinstance(loop, int) and 0 <= loop < len(steps)):
        raise ItfError(f"loop index {loop!r} is outside the trace")
    meta = data.get("#meta", {})
    return RunTrace(steps, loop, dict(meta) if isinstance(meta, dict) else {})


def read_trace(path: str | Path) -> RunTrace:
    """Read a run from an ITF file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ItfError(f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    return trace_from_json(data)


__all__ = [
    "ItfError", "RunTrace", "TraceStep", "decode_call", "decode_market", "decode_value",
    "encode_call", "encode_market", "market_value", "outcome_code", "read_trace",
    "trace_from_json", "trace_json", "write_trace",
]
