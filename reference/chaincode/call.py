"""One invocation of the chaincode: who signed it, when, with which arguments, over which
state (:class:`Call`); the state as the call sees it, its own writes buffered
(:class:`StateView`); the canonical encoding of what it writes and answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reference.chaincode.arguments import (
    Arguments,
)
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.records import (
    CONFIG_KEY,
    DatasetRecord,
    IdentityRecord,
    JobRecord,
    MarketConfig,
    ModelRecord,
    OfferRecord,
    balance_key,
    dataset_key,
    escrow_key,
    identity_key,
    job_key,
    model_key,
    offer_key,
)
from reference.clients.crypto import canonical_json
from reference.ledger.chaincode_api import ChaincodeStub, Creator


def encode(value: Any) -> bytes:
    return canonical_json(value)



class StateView:
    """The stub's committed state plus this call's own writes, which are buffered and only
    handed to the stub when the call is accepted (a refused call writes nothing)."""

    def __init__(self, stub: ChaincodeStub):
        self.stub = stub
        self.pending: dict[str, bytes] = {}

    def get_json(self, key: str) -> Any:
        data = self.pending[key] if key in self.pending else self.stub.get_state(key)
        return None if data is None else json.loads(data)

    def put_json(self, key: str, value: Any) -> None:
        self.pending[key] = encode(value)

    def flush(self) -> None:
        for key in sorted(self.pending):
            self.stub.put_state(key, self.pending[key])

    # typed readers ----------------------------------------------------------------------

    def identity(self, name: str) -> IdentityRecord | None:
        value = self.get_json(identity_key(name))
        return None if value is None else IdentityRecord.from_json_value(value)

    def balance(self, name: str) -> int:
        value = self.get_json(balance_key(name))
        return 0 if value is None else value

    def dataset(self, dataset: str) -> DatasetRecord | None:
        value = self.get_json(dataset_key(dataset))
        return None if value is None else DatasetRecord.from_json_value(value)

    def model(self, model: str) -> ModelRecord | None:
        value = self.get_json(model_key(model))
        return None if value is None else ModelRecord.from_json_value(value)

    def offer(self, vendor: str) -> OfferRecord | None:
        value = self.get_json(offer_key(vendor))
        return None if value is None else OfferRecord.from_json_value(value)

    def job(self, job: str) -> JobRecord | None:
        value = self.get_json(job_key(job))
        return None if value is None else JobRecord.from_json_value(value)

    def escrow(self, job: str) -> int:
        value = self.get_json(escrow_key(job))
        return 0 if value is None else value

    # writers ----------------------------------------------------------------------------

    def put_balance(self, name: str, amount: int) -> None:
        self.put_json(balance_key(name), amount)

    def put_job(self, job: JobRecord) -> None:
        self.put_json(job_key(job.job_id), job.to_json_value())

    def put_escrow(self, job: str, amount: int) -> None:
        self.put_json(escrow_key(job), amount)


@dataclass
class Call:
    """One invocation: who signed it, when, with which arguments, over which state."""

    function: str
    creator: Creator
    now: int
    args: Arguments
    state: StateView
    summary: dict[str, Any] = field(default_factory=dict)
    _config: MarketConfig | None = None

    def on_time_for(self, limit: int) -> bool:
        """Whether ``now`` is at or before ``limit``; if so, the transaction is made valid
        only in a block whose (trusted) time is at or before ``limit`` too."""
        if self.now > limit:
            return False
        self.state.stub.require_block_time(until=limit)
        return True

    def past(self, limit: int) -> bool:
        """Whether ``now`` is after ``limit``; if so, the transaction is made valid only in
        a block whose (trusted) time is after ``limit`` too."""
        if self.now <= limit:
            return False
        self.state.stub.require_block_time(after=limit)
        return True

    @property
    def config(self) -> MarketConfig:
        if self._config is None:
            value = self.state.get_json(CONFIG_KEY)
            if value is None:
                raise Rejected(MarketCode.NOT_INITIALISED, "init_market has not run")
            self._config = MarketConfig.from_json_value(value)
        return self._config
