"""One vendor's program: fixed-point logistic regression on Shamir shares, step by step.

A step, on secret-shared Q16 values (MPyC ``SecFxp(32, 16)``)::

    z  = X_b @ w + b                          (batch rows X_b, labels y_b)
    s  = min(max(z / 4 + 1/2, 0), 1)          (clipped piecewise-linear sigmoid)
    e  = s - y_b
    w' = w - (lr / B) * X_b.T @ e
    b' = b - (lr / B) * sum(e)

then the step's public consistency check: the vendors exchange the digests of their
post-step shares, derive public coefficients ``c`` from them, jointly share a fresh random
mask ``r`` (each vendor inputs a coin), and each vendor publishes
``y_i = <c, (w'_i, b'_i)> + r_i``. The points ``(i + 1, y_i)`` of honest vendors lie on one
polynomial of degree t; the value they encode, ``<c, (w', b')> + r``, is uniformly random.

Everything a vendor does in a step is a function of its *view*: its pre-step shares, its
shares of the step's batch rows, its step key (coins) and the messages it received. That is
what :func:`run_step` takes, and why the referee can re-execute it (:mod:`.referee`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field as dataclass_field
from typing import Any

import numpy as np

from reference.training.shared import hooks
from reference.training.shared.field import BIT_LENGTH, FRACTION_BITS, digest_values, modulus

PRE_TAG = b"aimarket/mpc-share-state/v1"
STEP_KEY_TAG = b"aimarket/mpc-step-key/v1"
CHECK_TAG = b"aimarket/mpc-check-coefficients/v1"
MESSAGE_TAG = b"aimarket/mpc-message/v1"


def step_key(seed: bytes, job: str, step_index: int) -> bytes:
    """The coins key of one step: HMAC of the vendor's committed seed. Revealing it for a
    dispute reveals nothing about the other steps' keys or the seed."""
    return hmac.new(seed, STEP_KEY_TAG + job.encode() + step_index.to_bytes(8, "little"),
                    hashlib.sha256).digest()


def state_digest(step_index: int, model_shares: list[int]) -> str:
    return digest_values(PRE_TAG + step_index.to_bytes(8, "little"), model_shares).hex()


def row_share_bytes(row: list[int]) -> bytes:
    """The canonical bytes of one row's shares (each a 16-byte little-endian field value)."""
    width = (modulus().bit_length() + 7) // 8
    return b"".join((value % modulus()).to_bytes(width, "little") for value in row)


def inputs_root(rows: list[list[int]]) -> str:
    """Merkle root of a vendor's row shares: what its dealers commit to and its views are
    opened against."""
    from reference.training.merkle import merkle_root

    return merkle_root([row_share_bytes(row) for row in rows]).hex()


def message_leaf(pc: int, sender: int, receiver: int, data: bytes) -> bytes:
    return hashlib.sha256(MESSAGE_TAG + pc.to_bytes(16, "little", signed=True)
                          + sender.to_bytes(4, "little") + receiver.to_bytes(4, "little")
                          + len(data).to_bytes(8, "little") + data).digest()


def messages_digest(messages: dict[tuple[int, int], bytes], me: int, sent: bool) -> str:
    """Digest of one direction's messages ordered by (program counter, peer) — not by
    arrival. The sender's digest of what it sent to a peer equals that peer's digest of
    what it received from the sender."""
    h = hashlib.sha256(MESSAGE_TAG)
    for (pc, peer) in sorted(messages):
        sender, receiver = (me, peer) if sent else (peer, me)
        h.update(message_leaf(pc, sender, receiver, messages[(pc, peer)]))
    return h.hexdigest()


def per_peer_digests(messages: dict[tuple[int, int], bytes], parties: int,
                     me: int, sent: bool) -> dict[str, str]:
    return {str(peer): messages_digest({key: value for key, value in messages.items()
                                        if key[1] == peer}, me, sent)
            for peer in range(parties) if peer != me}


def check_coefficients(post_digests: list[str], count: int) -> list[int]:
    """Public coefficients of the consistency check, from every vendor's post digest."""
    seed = hashlib.sha256(CHECK_TAG + "".join(post_digests).encode()).digest()
    p = modulus()
    return [int.from_bytes(hashlib.sha256(seed + index.to_bytes(4, "little")).digest()
                           + hashlib.sha256(seed + b"+" + index.to_bytes(4, "little")).digest(),
                           "little") % p
            for index in range(count)]


@dataclass
class StepRecord:
    """What one vendor commits to for one step (digests only), the state check value it
    publishes and, once every record of the step is public, its sender checks
    (``checks``: see :mod:`.checks`; None until then)."""

    step: int
    key_digest: str
    pre: str
    post: str
    sent: dict[str, str]
    received: dict[str, str]
    check_value: int
    checks: dict[str, Any] | None = None

    def core_json_value(self) -> dict[str, Any]:
        """The record without its sender checks: what the step's public seed covers."""
        return {"step": self.step, "key_digest": self.key_digest, "pre": self.pre,
                "post": self.post, "sent": self.sent, "received": self.received,
                "check_value": str(self.check_value)}

    def to_json_value(self) -> dict[str, Any]:
        value = self.core_json_value()
        if self.checks is not None:
            value["checks"] = self.checks
        return value

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> StepRecord:
        checks = value.get("checks")
        if checks is not None and not isinstance(checks, dict):
            raise TypeError("checks must be an object")
        return cls(step=value["step"], key_digest=value["key_digest"], pre=value["pre"],
                   post=value["post"], sent=dict(value["sent"]),
                   received=dict(value["received"]), check_value=int(value["check_value"]),
                   checks=checks)


@dataclass
class StepView:
    """One vendor's view of one step: everything :func:`run_step` reads."""

    job: str
    party: int
    parties: int
    threshold: int
    step: int
    program_counter: list[int]
    key: bytes
    model: list[int]  # shares of (weights..., bias)
    rows: list[list[int]]  # shares of the batch rows (features..., label)
    learning_rate: int  # Q16, public
    received: dict[tuple[int, int], bytes] = dataclass_field(default_factory=dict)
    row_indices: list[int] = dataclass_field(default_factory=list)
    row_proofs: list[dict[str, Any]] = dataclass_field(default_factory=list)

    def to_json_value(self) -> dict[str, Any]:
        return {"job": self.job, "party": self.party, "parties": self.parties,
                "threshold": self.threshold, "step": self.step,
                "program_counter": self.program_counter, "key": self.key.hex(),
                "model": [str(v) for v in self.model],
                "rows": [[str(v) for v in row] for row in self.rows],
                "learning_rate": self.learning_rate,
                "received": [[pc, peer, data.hex()]
                             for (pc, peer), data in sorted(self.received.items())],
                "row_indices": self.row_indices, "row_proofs": self.row_proofs}

    @classmethod
    def from_json_value(cls, value: dict[str, Any]) -> StepView:
        return cls(job=value["job"], party=value["party"], parties=value["parties"],
                   threshold=value["threshold"], step=value["step"],
                   program_counter=list(value["program_counter"]),
                   key=bytes.fromhex(value["key"]), model=[int(v) for v in value["model"]],
                   rows=[[int(v) for v in row] for row in value["rows"]],
                   learning_rate=value["learning_rate"],
                   received={(pc, peer): bytes.fromhex(data)
                             for pc, peer, data in value["received"]},
                   row_indices=list(value.get("row_indices", [])),
                   row_proofs=list(value.get("row_proofs", [])))

    def evidence_bytes(self) -> int:
        return (32 * (len(self.model) + sum(len(row) for row in self.rows))
                + sum(len(data) for data in self.received.values()))


@dataclass
class StepOutcome:
    post_model: list[int]
    record: StepRecord
    sent: dict[tuple[int, int], bytes]
    received: dict[tuple[int, int], bytes]


class Machine:
    """A vendor's MPyC runtime with the hooks installed (live or replaying)."""

    def __init__(self, mpc: Any) -> None:
        self.mpc = mpc
        self.coins = hooks.install_coins(mpc)
        self.log = hooks.MessageLog(mpc)
        self.secfxp = mpc.SecFxp(BIT_LENGTH, FRACTION_BITS, p=modulus())
        self.gf = self.secfxp.field
        self.lazy = False  # misbehaviour: keep the pre-step shares

    def _array(self, values: list[int] | list[list[int]]) -> Any:
        return self.secfxp.array(self.gf.array(np.array(values, dtype=object)), integral=False)

    async def run_step(self, view: StepView) -> StepOutcome:
        mpc, secfxp = self.mpc, self.secfxp
        hooks.set_program_counter(mpc, view.program_counter)
        self.coins.set_step_key(view.key)
        self.log.reset()
        features = len(view.model) - 1
        rows = np.array(view.rows, dtype=object)
        x = self._array(rows[:, :features].tolist())
        y = self._array(rows[:, features].tolist())
        w = self._array(view.model[:features])
        b = self._array(view.model[features:])
        batch = len(view.rows)
        rate = view.learning_rate / (1 << FRACTION_BITS) / batch
        z = x @ w + b
        half = self._array([1 << (FRACTION_BITS - 1)] * batch)
        zero = self._array([0] * batch)
        one = self._array([1 << FRACTION_BITS] * batch)
        s = mpc.np_minimum(mpc.np_maximum(z * 0.25 + half, zero), one)
        e = s - y
        w_next = w - (x.T @ e) * rate
        b_next = b - mpc.np_sum(e, keepdims=True) * rate
        post_w = await mpc.gather(w_next)
        post_b = await mpc.gather(b_next)
        post = [int(v) % modulus() for v in post_w.value.tolist() + post_b.value.tolist()]
        if self.lazy:
            post = list(view.model)
        post_digest = state_digest(view.step + 1, post)
        digests = await mpc.transfer(post_digest)
        coefficients = check_coefficients(list(digests), len(post))
        coin = self.coins.randbelow(modulus())
        masks = mpc.input(secfxp(self.gf(coin)))
        mask_share = await mpc.gather(mpc.sum(masks))
        # a second, unused sharing per vendor: the mask of its sender check (accountability)
        await mpc.gather(mpc.input(secfxp(self.gf(self.coins.randbelow(modulus())))))
        p = modulus()
        check_value = (sum(c * v for c, v in zip(coefficients, post)) + int(mask_share)) % p
        record = StepRecord(
            step=view.step, key_digest=hashlib.sha256(view.key).hexdigest(),
            pre=state_digest(view.step, view.model), post=post_digest,
            sent=per_peer_digests(self.log.sent, view.parties, view.party, True),
            received=per_peer_digests(self.log.received, view.parties, view.party, False),
            check_value=check_value)
        return StepOutcome(post, record, dict(self.log.sent), dict(self.log.received))
