"""The chaos run's judgement, offline on the peers' directories: ``audit_peers(...)``.

What the client saw is the evidence (``ClientTx``, one per transaction it broadcast): the
ordering service *acknowledged* it (etcd committed the message), and, if the client's
home peer answered, the block and validation code it was *committed* with. The audit then
opens every peer's ledger after the network has stopped and judges:

* ``lost``: transactions the client saw committed VALID that some peer does not hold VALID
  in the same block, plus acknowledged transactions some peer does not hold at all (an
  acknowledged message is in etcd, so after the final cut every peer must hold it). A
  transaction that was never acknowledged (broadcast refused or unanswered and not
  retried to success) was never promised, so it cannot be lost.
* ``double_committed``: transaction ids VALID more than once in some ledger (a retry that
  slipped through every duplicate check); ``duplicates_refused``: later occurrences of an
  id that validation marked ``DUPLICATE_TXID``.
* ``forks``: block numbers whose header hash differs between peers; ``gaps``: block
  numbers missing from a ledger; ``peers_behind``: peers lower than the highest.
* ``state_diverged``: peers whose world state (every namespace, key, value and version)
  differs from the state most peers hold; ``jobs_diverged``: marketplace jobs whose
  record differs between peers or that some peer lacks.
* ``peers_verified``: peers whose directory passes ``verify_ledger`` (hash chain,
  signatures, validation re-run, stored state) and the evidence checker (every verdict
  recomputed) — what ``aimarket ledger verify`` checks.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reference.chaincode.contract import CHAINCODE_NAME
from reference.chaincode.records import Status
from reference.ledger.codes import TxValidationCode
from reference.ledger.messages import Header, decode_envelope, decode_payload
from reference.ledger.store import PeerStore

_JOBS = ("job/", "job0")  # the key range of the marketplace's job records ("/" < "0")


@dataclass
class ClientTx:
    """One transaction as the client saw it."""

    tx_id: str
    function: str
    acknowledged: bool = False
    block: int | None = None
    code: int | None = None
    rebroadcasts: int = 0
    given_up: bool = False  # the client stopped waiting for it (refused, or timed out)

    @property
    def committed(self) -> bool:
        return self.code == TxValidationCode.VALID


@dataclass
class _Ledger:
    """What the audit reads from one peer's store."""

    hashes: dict[int, bytes]
    gaps: int
    occurrences: dict[str, list[tuple[int, int]]]  # tx id -> [(block, code)] in chain order
    index: dict[str, tuple[int, int]]  # the store's tx index (what TxStatus answers from)
    state_digest: str
    jobs: dict[str, str]


def _tx_id(envelope: bytes) -> str:
    payload, _ = decode_envelope(envelope)
    header_bytes, _ = decode_payload(payload)
    return Header.decode(header_bytes).tx_id


def read_ledger(directory: Path) -> _Ledger:
    store = PeerStore(directory / "ledger.sqlite")
    try:
        hashes: dict[int, bytes] = {}
        occurrences: dict[str, list[tuple[int, int]]] = {}
        gaps, expected = 0, 0
        for block in store.iter_blocks():
            gaps += max(0, block.number - expected)
            expected = block.number + 1
            hashes[block.number] = block.header.hash()
            if block.number == 0:
                continue  # genesis: the channel's configuration, no client transaction
            codes = block.metadata.validation_codes
            for index, envelope in enumerate(block.data):
                code = codes[index] if index < len(codes) else TxValidationCode.NOT_VALIDATED
                occurrences.setdefault(_tx_id(envelope), []).append((block.number, int(code)))
        tables = store.dump_tables()
        digest = hashlib.sha256(repr(tables["state"]).encode()).hexdigest()
        tx_index = {str(tx_id): (int(str(block)), int(str(code)))
                    for tx_id, block, _, code in tables["transactions"]}
        jobs = {key: value.decode() for key, value, _ in store.range_scan(CHAINCODE_NAME, *_JOBS)}
    finally:
        store.close()
    return _Ledger(hashes, gaps, occurrences, tx_index, digest, jobs)


def _lost_on(ledger: _Ledger, tx: ClientTx) -> bool:
    """Whether ``ledger`` fails ``tx``: a committed transaction must be VALID, in the block
    the client saw, both in the chain and in the index peers answer from; an acknowledged
    one must be in both at all."""
    found = ledger.occurrences.get(tx.tx_id, [])
    indexed = ledger.index.get(tx.tx_id)
    if tx.committed:
        seen = (tx.block, int(TxValidationCode.VALID))
        return not found or found[0] != seen or indexed != seen
    return tx.acknowledged and (not found or indexed is None)


def _job_status(record: str) -> str:
    status = json.loads(record).get("status")
    return status if isinstance(status, str) else "?"


def audit_peers(net: Path, peer_names: Sequence[str], transactions: Sequence[ClientTx],
                verify: bool = True) -> dict[str, Any]:
    """Judge the peers' ledgers under ``net/peers`` against what the client saw (see the
    module docstring); ``verify=False`` skips the full re-verification of each ledger."""
    from reference.clients.evidence_checker import check_ledger
    from reference.ledger import verify_ledger

    ledgers: list[_Ledger] = []
    verified, problems = 0, []
    for name in peer_names:
        directory = net / "peers" / name
        if verify:
            report, evidence = verify_ledger(directory), check_ledger(directory)
            if report.ok and evidence.ok:
                verified += 1
            else:
                problems += [f"{name}: {problem}" for problem in
                             [*report.problems, *evidence.problems]]
        ledgers.append(read_ledger(directory))
    numbers = set().union(*(ledger.hashes for ledger in ledgers))
    forks = sum(1 for number in numbers
                if len({ledger.hashes.get(number) for ledger in ledgers} - {None}) > 1)
    lost = [tx.tx_id for tx in transactions
            if (tx.committed or tx.acknowledged) and any(_lost_on(ledger, tx)
                                                         for ledger in ledgers)]
    double = {tx_id for ledger in ledgers for tx_id, found in ledger.occurrences.items()
              if sum(1 for _, code in found if code == TxValidationCode.VALID) > 1}
    refused = max((sum(1 for found in ledger.occurrences.values() for _, code in found[1:]
                       if code == TxValidationCode.DUPLICATE_TXID) for ledger in ledgers),
                  default=0)
    majority, _ = Counter(ledger.state_digest for ledger in ledgers).most_common(1)[0]
    state_diverged = sum(1 for ledger in ledgers if ledger.state_digest != majority)
    job_keys = set().union(*(ledger.jobs for ledger in ledgers))
    jobs_diverged = sum(1 for key in job_keys
                        if len({ledger.jobs.get(key) for ledger in ledgers}) > 1)
    statuses = Counter(_job_status(record) for record in ledgers[0].jobs.values())
    settled_jobs = {key.removeprefix("job/") for key in job_keys
                    if all(key in ledger.jobs and _job_status(ledger.jobs[key]) == Status.SETTLED
                           for ledger in ledgers)}
    return {
        "committed": sum(1 for tx in transactions if tx.committed),
        "acknowledged": sum(1 for tx in transactions if tx.acknowledged),
        "lost": len(lost), "lost_tx_ids": lost[:10],
        "double_committed": len(double), "duplicates_refused": refused,
        "forks": forks, "gaps": sum(ledger.gaps for ledger in ledgers),
        "peers_behind": sum(1 for ledger in ledgers
                            if len(ledger.hashes) < max(len(item.hashes) for item in ledgers)),
        "state_diverged": state_diverged, "jobs_diverged": jobs_diverged,
        "jobs": dict(sorted(statuses.items())), "jobs_settled_everywhere": len(settled_jobs),
        "settled_job_ids": settled_jobs,
        "peers_verified": verified, "peers": len(peer_names), "problems": problems[:10],
    }
