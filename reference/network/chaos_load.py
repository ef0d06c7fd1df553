"""The chaos run's load: marketplace lifecycles that keep going through faults.

The workload is the benchmark's (``reference/clients/lifecycle_workload.py``): each party
runs one model after another, a model being the six transactions of one honest training
job, each sent once the previous one has committed (``run_model``). Only how a single
transaction is submitted differs, because faults make calls fail:

* **Endorsement** fails when an endorser is unreachable (its process was killed) or
  answers on stale state: nothing has been ordered, so the client proposes again (a new
  proposal, a new transaction id); the abandoned proposal was never broadcast.
* **Ordering and commit**: once endorsed, the client only ever re-sends *the same signed
  envelope* (the same transaction id) — when the orderers did not acknowledge it, or its
  commit was not seen within ``COMMIT_WAIT``. A retry can never commit a transaction
  twice: the orderers keep each message under the SHA-256 of the envelope, created only
  if absent, so a re-sent envelope is acknowledged without being ordered again; should
  the same id reach a block twice anyway, validation marks every later occurrence
  ``DUPLICATE_TXID``; and an endorser refuses a proposal whose id is already committed.

Every transaction broadcast is recorded as a ``ClientTx`` (acknowledged? committed where,
with which code?), the evidence the audit (``chaos_audit.py``) judges the ledgers by.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import grpc

from reference.chaincode.contract import CHAINCODE_NAME
from reference.clients.crypto import canonical_json
from reference.clients.lifecycle_workload import LifecycleWorkload, ModelRun, Party, run_model
from reference.ledger.client import Client
from reference.ledger.codes import BroadcastStatus, TxValidationCode
from reference.ledger.identity import Identity
from reference.network.chaos_audit import ClientTx
from reference.network.gateway import RemoteNetwork

COMMIT_WAIT = 8.0  # seconds to wait for a commit before re-sending the same envelope
TX_TIMEOUT = 90.0  # a transaction still unresolved after this is given up (and reported)
RETRY_PAUSE = 0.25


def _describe(exc: grpc.RpcError) -> str:
    code = getattr(exc, "code", None)  # a gRPC call error names its status
    return str(code() if callable(code) else exc)


class SafeSubmitter:
    """Submits transactions through a gateway, retrying only what is safe to retry (see
    the module docs), and records each one it broadcast as a ``ClientTx``."""

    def __init__(self, remote: RemoteNetwork) -> None:
        self.remote = remote
        self.transactions: list[ClientTx] = []
        self.commit_times: list[float] = []  # monotonic time of each VALID commit seen
        self.errors: list[str] = []
        self.given_up = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def in_flight_transactions(self) -> list[ClientTx]:
        """Transactions broadcast (or being broadcast) whose commit is not seen yet."""
        with self._lock:
            return [tx for tx in self.transactions if tx.code is None and not tx.given_up]

    def committed_since(self, moment: float) -> int:
        with self._lock:
            return sum(1 for when in self.commit_times if when > moment)

    def _note(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def submit_call(self, identity: Identity, chaincode: str, function: str,
                    args: Sequence[bytes | str]) -> bool:
        """Endorse (again while it fails), then broadcast the same envelope until its
        commit is seen; True if it committed VALID. Refuses to start once stopped."""
        if self._stop.is_set():
            return False
        deadline = time.monotonic() + TX_TIMEOUT
        client = Client(self.remote, identity)
        while True:
            try:
                endorsed = client.endorse(chaincode, function, args)
            except grpc.RpcError as exc:
                self._note(f"endorse {function}: {_describe(exc)}")
            else:
                if endorsed.envelope is not None:
                    break
                failure = endorsed.failure
                self._note(f"endorse {function}: "
                           f"{failure.message if failure is not None else 'not endorsed'}")
            if self._stop.is_set() or time.monotonic() > deadline:
                return False  # nothing was broadcast: nothing is in flight
            time.sleep(RETRY_PAUSE)
        envelope = endorsed.envelope
        tx = ClientTx(endorsed.tx_id, function)
        with self._lock:
            self.transactions.append(tx)
        while True:
            response = self.remote.broadcast(envelope)
            if response.ok:
                tx.acknowledged = True
                found = self._commit_status(tx.tx_id, max(0.5, min(
                    COMMIT_WAIT, deadline - time.monotonic())))
                if found is not None:
                    tx.block, tx.code = found
                    self.remote.observed(found[0] + 1)
                    if found[1] == TxValidationCode.VALID:
                        with self._lock:
                            self.commit_times.append(time.monotonic())
                        return True
                    self._note(f"{function} {tx.tx_id[:12]}: committed "
                               f"{TxValidationCode(found[1]).name}")
                    return False
            elif response.status != BroadcastStatus.SERVICE_UNAVAILABLE:
                self._note(f"{function}: broadcast refused: {response.info}")
                tx.given_up = True  # refused, so never ordered: no longer in flight
                return False
            if time.monotonic() > deadline:
                self._note(f"{function} {tx.tx_id[:12]}: unresolved after {TX_TIMEOUT:.0f} s")
                with self._lock:
                    tx.given_up = True
                    self.given_up += 1
                return False
            tx.rebroadcasts += 1  # the same envelope again: the same transaction id
            time.sleep(RETRY_PAUSE)

    def _commit_status(self, tx_id: str, timeout: float) -> tuple[int, int] | None:
        try:
            return self.remote.home_peer.tx_status(tx_id, timeout)
        except grpc.RpcError as exc:
            self._note(f"commit status: {_describe(exc)}")
            time.sleep(RETRY_PAUSE)
            return None


class LifecycleLoad(SafeSubmitter):
    """One worker per party, each running models until stopped (see the module docs)."""

    def __init__(self, remote: RemoteNetwork, workload: LifecycleWorkload,
                 models_per_party: int) -> None:
        super().__init__(remote)
        self.workload = workload
        self.models_per_party = models_per_party
        self.runs: list[ModelRun] = []
        self.completed_jobs: list[str] = []  # jobs whose model the client saw complete
        self._threads = [threading.Thread(target=self._party, args=(party,),
                                          name=f"chaos-party{party.index}", daemon=True)
                         for party in workload.parties]

    def start(self) -> LifecycleLoad:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = TX_TIMEOUT + 30) -> None:
        """No new transaction starts; the ones in flight finish (commit or give up)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _party(self, party: Party) -> None:
        for number in range(self.models_per_party):
            if self._stop.is_set():
                return
            job = f"chaos{party.index}-{number}"
            run = run_model(self.workload.model_steps(party, job), self.submit)
            with self._lock:
                self.runs.append(run)
                if run.completed:
                    self.completed_jobs.append(job)

    def submit(self, identity: Identity, function: str, args: dict[str, Any]) -> bool:
        """One marketplace call (the workload's ``Submit``)."""
        return self.submit_call(identity, CHAINCODE_NAME, function, [canonical_json(args)])
