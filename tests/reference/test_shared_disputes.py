"""``convict_shared_step``: the ledger's verdict on a secret-shared step, decided from the
vendors' committed step records alone (reference/chaincode/shared_disputes.py).

The records here are made by hand: four vendors, two steps, every channel and share chain
consistent, every vendor's sender check values (what it sent, what it received) on one
line per sender. At step 1 one vendor misbehaves: its state check point is off the others'
line (lazy), or the values it committed for what it sent are off every line (a bad
resharing message), or it hides a bad message behind consistent values (the recipient's
value then differs from its own), or a recipient misreports. The contract around the
transaction is a stand-in that records what it is asked to do (the whole path on the
network runs in ``aimarket demo``: ``job-shared-lazy`` and ``job-shared-tamper``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from hypothesis import given, settings, strategies as st

from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.records import Status, TranscriptRecord, VerdictRecord, transcript_key
from reference.chaincode.shared_disputes import SharedDisputeHost, convict_shared_step, record_digest
from reference.training.shared.field import modulus

VENDORS = ("vendor1", "vendor2", "vendor3", "vendor4")
FAULTS = ("honest", "lazy", "bad_message", "hidden_message", "misreport")


def digest(*parts: object) -> str:
    import hashlib

    return hashlib.sha256(repr(parts).encode()).hexdigest()


def make_records(vendors: tuple[str, ...], odd: int | None, fault: str = "lazy",
                 peer: int | None = None, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Two steps of records; at step 1 vendor ``odd`` commits the fault ``fault``
    (``peer``: the recipient of a bad or hidden message, or the sender a misreporting
    ``odd`` lies about)."""
    p = modulus()
    n = len(vendors)
    lines = [(5 + seed, 7), (3, 2 + seed)]
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in vendors}
    for k, (a, b) in enumerate(lines):
        # sender j's values for what it sent recipient i: on the line a + j + (b + j) * x
        sent = {j: {i: (a + j + (b + j) * (i + 1)) % p for i in range(n) if i != j}
                for j in range(n)}
        received = {i: {j: sent[j][i] for j in range(n) if j != i} for i in range(n)}
        if k == 1 and odd is not None and peer is not None and fault in ("bad_message",
                                                                          "hidden_message"):
            received[peer][odd] = (received[peer][odd] + 1) % p  # what peer really got
            if fault == "bad_message":
                sent[odd][peer] = received[peer][odd]  # and the sender commits to it
        if k == 1 and odd is not None and peer is not None and fault == "misreport":
            received[odd][peer] = (received[odd][peer] + 1) % p
        for i, name in enumerate(vendors):
            value = (a + b * (i + 1)) % p
            if k == 1 and i == odd and fault == "lazy":
                value = (value + 1) % p
            records[name].append({
                "step": k, "key_digest": digest("key", i, k),
                "pre": digest("state", i, k - 1) if k else digest("start", i),
                "post": digest("state", i, k),
                "sent": {str(j): digest("msg", i, j, k) for j in range(n) if j != i},
                "received": {str(j): digest("msg", j, i, k) for j in range(n) if j != i},
                "check_value": str(value),
                "checks": {"to_all": [10 + k, 20 + k],
                           "from": {str(j): str(v) for j, v in received[i].items()},
                           "to": {str(j): str(v) for j, v in sent[i].items()}}})
    return records


@dataclass
class Job:
    job_id: str
    vendors: tuple[str, ...]
    steps: int = 2
    convicted_vendors: set[str] = field(default_factory=set)


@dataclass
class Host:
    """What the contract lends the transaction: the developer's checks and the ending."""

    job: Job
    ended: list[VerdictRecord] = field(default_factory=list)

    def developer_move(self, call: Any, job_id: str, status: str) -> Job:
        assert status == Status.DELIVERED and call.creator.name == "dev1"
        return self.job

    def require_on_time(self, call: Any, job: Job) -> None:
        return None

    def end_after_delivery(self, call: Any, job: Job,
                           verdicts: list[VerdictRecord] | None = None) -> None:
        self.ended.extend(verdicts or [])


class Args:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def identifier(self, name: str) -> str:
        return self.values[name]

    def integer(self, name: str, limit: int = 0) -> int:
        return self.values[name]

    def json_object(self, name: str, optional: bool = False) -> dict[str, Any] | None:
        return self.values.get(name)

    def done(self) -> None:
        return None


@dataclass
class Creator:
    name: str = "dev1"


@dataclass
class State:
    documents: dict[str, Any]

    def get_json(self, key: str) -> Any:
        return self.documents.get(key)


@dataclass
class Call:
    args: Args
    state: State
    creator: Creator = field(default_factory=Creator)
    summary: dict[str, Any] = field(default_factory=dict)


def committed_state(records: dict[str, list[dict[str, Any]]]) -> State:
    """Each vendor's ``submit_result``: ``records`` committed as its record digests."""
    return State({transcript_key("job-s", name): TranscriptRecord(
        "job-s", name, "00" * 32, ["11" * 32] * len(records[name]),
        [record_digest(r) for r in records[name]]).to_json_value() for name in records})


def attempt(records: dict[str, list[dict[str, Any]]], vendor: str, replay: dict[str, Any] | None,
            opened: dict[str, list[dict[str, Any]]] | None = None,
            check: str | None = None) -> Host:
    """Commit ``records`` as each vendor's record digests, then call the transaction with
    ``opened`` (default: the committed records) charging a ``check`` fault (default: a
    state fault with a replay, a sender fault without)."""
    vendors = tuple(records)
    state = committed_state(records)
    host = Host(Job("job-s", vendors))
    kind = check or ("sender" if replay is None else "state")
    call = Call(Args({"job": "job-s", "step": 1, "vendor": vendor, "check": kind,
                      "records": opened if opened is not None else records, "replay": replay}),
                state)
    convict_shared_step(cast(SharedDisputeHost, host), call)
    return host


def replay_of(record: dict[str, Any], **changes: str) -> dict[str, Any]:
    return {**record, **changes}


def test_the_vendor_the_public_check_names_is_convicted_from_the_ledger_records() -> None:
    records = make_records(VENDORS, odd=3)
    host = attempt(records, "vendor4", replay_of(records["vendor4"][1], post=digest("redone")))
    [verdict] = host.ended
    assert (verdict.convicted, verdict.offence) == ("vendor4", "WRONG_COMPUTATION")
    assert verdict.evidence["step"] == 1 and verdict.evidence["contradicts"] == ["post"]


@pytest.mark.parametrize("honest", ["vendor1", "vendor2", "vendor3"])
def test_an_honest_vendor_is_never_convicted(honest: str) -> None:
    records = make_records(VENDORS, odd=3)
    with pytest.raises(Rejected) as refused:  # even with a referee that claims otherwise
        attempt(records, honest, replay_of(records[honest][1], post=digest("redone")))
    assert refused.value.code == MarketCode.NO_PUBLIC_FAULT
    honest_run = make_records(VENDORS, odd=None)
    with pytest.raises(Rejected):
        attempt(honest_run, "vendor4", replay_of(honest_run["vendor4"][1], post=digest("redone")))


def test_a_replay_that_agrees_with_the_commitments_convicts_nobody() -> None:
    records = make_records(VENDORS, odd=3)
    with pytest.raises(Rejected, match="committed post-step shares"):
        attempt(records, "vendor4", records["vendor4"][1])
    with pytest.raises(Rejected, match="pre-step shares"):
        attempt(records, "vendor4", replay_of(records["vendor4"][1], pre=digest("elsewhere"),
                                              post=digest("redone")))


def test_records_must_be_the_committed_ones() -> None:
    records = make_records(VENDORS, odd=3)
    forged = {name: [dict(record) for record in values] for name, values in records.items()}
    forged["vendor2"][1]["check_value"] = "1"
    with pytest.raises(Rejected, match="not the committed one"):
        attempt(records, "vendor4", replay_of(records["vendor4"][1], post=digest("redone")),
                opened=forged)
    with pytest.raises(Rejected, match="exactly the job's vendors"):
        attempt(records, "vendor4", replay_of(records["vendor4"][1], post=digest("redone")),
                opened={name: records[name] for name in VENDORS[:3]})


def test_three_vendors_detect_the_fault_but_name_nobody() -> None:
    records = make_records(VENDORS[:3], odd=2)
    with pytest.raises(Rejected, match="naming nobody"):
        attempt(records, "vendor3", replay_of(records["vendor3"][1], post=digest("redone")))


def test_a_bad_resharing_message_convicts_its_sender_from_its_own_commitments() -> None:
    records = make_records(VENDORS, odd=1, fault="bad_message", peer=0)
    host = attempt(records, "vendor2", None)
    [verdict] = host.ended
    assert (verdict.convicted, verdict.offence) == ("vendor2", "WRONG_COMPUTATION")
    assert verdict.evidence["check"] == "sender" and "sent_values" in verdict.evidence
    with pytest.raises(Rejected, match="takes no replay"):
        attempt(records, "vendor2", records["vendor2"][1], check="sender")
    with pytest.raises(Rejected) as refused:  # the fault is a sender fault, not a state one
        attempt(records, "vendor2", {**records["vendor2"][1], "post": digest("redone")})
    assert refused.value.code == MarketCode.NO_PUBLIC_FAULT
    with pytest.raises(Rejected) as refused:  # the recipient of the bad message is honest
        attempt(records, "vendor1", None)
    assert refused.value.code == MarketCode.NO_PUBLIC_FAULT


@pytest.mark.parametrize("vendors", [2, 3, 4])
def test_a_vendor_without_check_records_is_named_by_its_own_omission(vendors: int) -> None:
    """Whatever the job's size — the one sender fault the ledger names in a job of two or
    three vendors (decision 0081)."""
    names = VENDORS[:vendors]
    records = make_records(names, odd=None)
    culprit = names[-1]
    del records[culprit][1]["checks"]
    [verdict] = attempt(records, culprit, None).ended
    assert verdict.convicted == culprit and verdict.evidence["check"] == "sender"
    for honest in names[:-1]:
        with pytest.raises(Rejected) as refused:
            attempt(records, honest, None)
        assert refused.value.code == MarketCode.NO_PUBLIC_FAULT


def test_two_vendors_show_no_state_fault() -> None:
    """Two points lie on a line whatever they are: the state check of a two-vendor job
    shows nothing, so a lazy vendor there is not named on the ledger (decision 0081)."""
    records = make_records(VENDORS[:2], odd=1)
    with pytest.raises(Rejected, match="show no fault") as refused:
        attempt(records, "vendor2", replay_of(records["vendor2"][1], post=digest("redone")))
    assert refused.value.code == MarketCode.NO_PUBLIC_FAULT


def test_a_mismatch_convicts_nobody_on_the_ledger() -> None:
    for fault, odd, peer in (("hidden_message", 1, 0), ("misreport", 0, 1)):
        records = make_records(VENDORS, odd=odd, fault=fault, peer=peer)
        for name in VENDORS:
            with pytest.raises(Rejected) as refused:
                attempt(records, name, None)
            assert refused.value.code == MarketCode.NO_PUBLIC_FAULT


def test_the_four_checks_come_first_in_dispute_result_order() -> None:
    records = make_records(VENDORS, odd=1, fault="bad_message", peer=0)
    with pytest.raises(Rejected) as refused:
        attempt(records, "vendor9", None)
    assert refused.value.code == MarketCode.VENDOR_NOT_IN_JOB
    vendors = tuple(records)
    state = committed_state(records)
    host = Host(Job("job-s", vendors, convicted_vendors={"vendor2"}))
    with pytest.raises(Rejected) as refused:
        convict_shared_step(cast(SharedDisputeHost, host), Call(Args(
            {"job": "job-s", "step": 1, "vendor": "vendor2", "check": "sender",
             "records": records}), state))
    assert refused.value.code == MarketCode.ALREADY_CONVICTED


@settings(max_examples=60, deadline=None)
@given(fault=st.sampled_from(FAULTS), odd=st.integers(0, 3), other=st.integers(1, 3),
       seed=st.integers(0, 1000), vendors=st.sampled_from([2, 3, 4]))
def test_only_the_misbehaving_vendor_is_ever_convicted(fault: str, odd: int, other: int,
                                                       seed: int, vendors: int) -> None:
    """Whoever misbehaves and however, every vendor is accused (with a replay that
    contradicts its commitments, as a referee's claim would, or without one): the ledger
    convicts at most the misbehaving vendor — exactly it when its own commitments show the
    fault with four vendors (lazy, a bad message it committed to) — and never an honest
    one; a mismatch names nobody, and two or three vendors name nobody."""
    names = VENDORS[:vendors]
    odd %= vendors
    peer = (odd + other) % vendors if (odd + other) % vendors != odd else (odd + 1) % vendors
    culprit = None if fault == "honest" else odd
    records = make_records(names, odd=culprit, fault=fault, peer=peer, seed=seed)
    # a sender check needs t + 2 recipients and naming the odd state point 3t + 1 vendors
    expected = names[odd] if fault in ("bad_message", "lazy") and vendors == 4 else None
    for index, name in enumerate(names):
        replay = {**records[name][1], "post": digest("redone")}
        for argument in (replay, None):
            try:
                host = attempt(records, name, argument)
            except Rejected as refused:
                assert refused.code in (MarketCode.NO_PUBLIC_FAULT, MarketCode.BAD_STEP_EVIDENCE)
                continue
            [verdict] = host.ended
            assert verdict.convicted == name == expected, (fault, name, expected)
            assert index == culprit
    if expected is not None:  # the conviction the ledger owes is reachable
        argument = None if fault == "bad_message" else {**records[expected][1], "post": digest("redone")}
        assert attempt(records, expected, argument).ended[0].convicted == expected
