"""``convict_shared_step``: the ledger's verdict on a secret-shared step, decided from the
vendors' committed step records alone (reference/chaincode/shared_disputes.py).

The records here are made by hand: four vendors, two steps, every channel and share chain
consistent; at step 1 the state check points of vendors 1–3 lie on one line and vendor4's
does not. The contract around the transaction is a stand-in that records what it is asked
to do (the whole path on the network runs in ``aimarket demo``: ``job-shared-lazy``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.records import Status, TranscriptRecord, VerdictRecord, transcript_key
from reference.chaincode.shared_disputes import SharedDisputeHost, convict_shared_step, record_digest
from reference.training.shared.field import modulus

VENDORS = ("vendor1", "vendor2", "vendor3", "vendor4")


def digest(*parts: object) -> str:
    import hashlib

    return hashlib.sha256(repr(parts).encode()).hexdigest()


def make_records(vendors: tuple[str, ...], odd: int | None) -> dict[str, list[dict[str, Any]]]:
    """Two steps of records; at step 1 vendor ``odd``'s check value is off the line."""
    p = modulus()
    lines = [(5, 7), (3, 2)]
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in vendors}
    for k, (a, b) in enumerate(lines):
        for i, name in enumerate(vendors):
            value = (a + b * (i + 1)) % p
            if k == 1 and i == odd:
                value = (value + 1) % p
            records[name].append({
                "step": k, "key_digest": digest("key", i, k),
                "pre": digest("state", i, k - 1) if k else digest("start", i),
                "post": digest("state", i, k),
                "sent": {str(j): digest("msg", i, j, k) for j in range(len(vendors)) if j != i},
                "received": {str(j): digest("msg", j, i, k) for j in range(len(vendors)) if j != i},
                "check_value": str(value)})
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
        return self.values[name]

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


def attempt(records: dict[str, list[dict[str, Any]]], vendor: str, replay: dict[str, Any],
            opened: dict[str, list[dict[str, Any]]] | None = None) -> Host:
    """Commit ``records`` as each vendor's step digests, then call the transaction with
    ``opened`` (default: the committed records)."""
    vendors = tuple(records)
    state = State({transcript_key("job-s", name): TranscriptRecord(
        "job-s", name, "00" * 32, [record_digest(r) for r in records[name]]).to_json_value()
        for name in vendors})
    host = Host(Job("job-s", vendors))
    call = Call(Args({"job": "job-s", "step": 1, "vendor": vendor,
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
    assert refused.value.code == MarketCode.BAD_STEP_EVIDENCE
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
