"""Who a step's public checks and the referee convict, over who misbehaves (decision 0101).

Four vendors (t = 1) exchange hand-built messages in one step — each sender deals fresh
degree-t sharings to its three peers at two program counters, as a resharing does — and
commit real records (:class:`~reference.training.shared.program.StepRecord`, digests by
``messages_digest``, check records by ``checks.check_record``). For every behaviour and
every choice of culprit and victim: an honest step shows no fault; a bad message reported
truthfully is a sender fault convicting its sender with nothing opened; a *hidden* bad
message (the sender commits the value the honest message would give) and a misreporting
recipient both show a mismatch between the same two vendors, which the referee settles by
opening what the recipient received, convicting the culprit and never an honest vendor;
a recipient that cannot open the committed messages is convicted; a lazy vendor's state
point is the odd one out. The ledger names nobody for a mismatch
(``test_shared_disputes.test_a_mismatch_convicts_nobody_on_the_ledger``): why it does not
open the messages publicly is ``test_training_shared``'s last test.
"""

from __future__ import annotations

import pickle
from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from reference.training.shared import accountability, checks
from reference.training.shared.field import deal, field, modulus
from reference.training.shared.program import StepRecord, StepView, per_peer_digests

VENDORS, THRESHOLD = 4, 1
BEHAVIOURS = ("honest", "lazy", "bad_message", "hidden_bad_message", "misreporting_recipient",
              "recipient_cannot_open")


def _message(values: list[int]) -> bytes:
    return pickle.dumps(np.array(values, dtype=object))


def _sent(seed: int) -> dict[int, dict[tuple[int, int], bytes]]:
    """Every vendor's sent messages ``{(pc, peer): data}``: at two counters per sender, a
    fresh degree-t sharing of three values, one sub-share per peer."""
    sent: dict[int, dict[tuple[int, int], bytes]] = {j: {} for j in range(VENDORS)}
    for j in range(VENDORS):
        for pc in (100 + 10 * j, 101 + 10 * j):
            shares = deal([seed + j, pc, -seed], THRESHOLD, VENDORS)
            for i in range(VENDORS):
                if i != j:
                    sent[j][(pc, i)] = _message(shares[i])
    return sent


def _received(sent: dict[int, dict[tuple[int, int], bytes]], me: int) -> dict[tuple[int, int], bytes]:
    return {(pc, j): data for j in sent for (pc, to), data in sent[j].items() if to == me}


def _step(behaviour: str, culprit: int, victim: int, seed: int):
    """The step's records after ``behaviour`` (by ``culprit``, against ``victim``), and what
    the victim would open to the referee."""
    sent = _sent(seed)
    honest_sent = {j: dict(messages) for j, messages in sent.items()}
    if behaviour in ("bad_message", "hidden_bad_message"):
        key = (100 + 10 * culprit, victim)
        values = checks.message_values(sent[culprit][key])
        assert values is not None
        sent[culprit][key] = _message([values[0] + (1 << 40)] + values[1:])
    gf = field()
    line = {i: int(gf(seed) + gf(7) * gf(i + 1)) % modulus() for i in range(VENDORS)}
    if behaviour == "lazy":
        line[culprit] = (line[culprit] + 1) % modulus()
    records = {i: StepRecord(step=0, key_digest=f"k{i}", pre=f"pre{i}", post=f"post{i}",
                             sent=per_peer_digests(sent[i], VENDORS, i, True),
                             received=per_peer_digests(_received(sent, i), VENDORS, i, False),
                             check_value=line[i]) for i in range(VENDORS)}
    domains = {i: checks.sent_to_all(sent[i], VENDORS, i) for i in range(VENDORS)}
    views = {i: StepView(job="j", party=i, parties=VENDORS, threshold=THRESHOLD, step=0,
                         program_counter=[0], key=b"", model=[], rows=[], learning_rate=0,
                         received=_received(sent, i)) for i in range(VENDORS)}
    made = {i: checks.check_record(views[i], sent[i], records, domains) for i in range(VENDORS)}
    if behaviour == "hidden_bad_message":  # the value the untampered message would give
        hiding = checks.check_record(views[culprit], honest_sent[culprit], records, domains)
        made[culprit]["to"][str(victim)] = hiding["to"][str(victim)]
    if behaviour in ("misreporting_recipient", "recipient_cannot_open"):
        wrong = (int(made[culprit]["from"][str(victim)]) + 1) % modulus()
        made[culprit]["from"][str(victim)] = str(wrong)  # here the culprit is the recipient
    for i in range(VENDORS):
        records[i].checks = made[i]

    def open_messages(receiver: int, sender: int, step: int) -> dict[int, bytes]:
        opened = {pc: data for (pc, j), data in views[receiver].received.items() if j == sender}
        if behaviour == "recipient_cannot_open" and receiver == culprit:
            first = min(opened)
            opened[first] = opened[first][:-1] + bytes([opened[first][-1] ^ 1])
        return opened

    return {i: [records[i]] for i in range(VENDORS)}, open_messages


def _convicted(behaviour: str, culprit: int, victim: int, seed: int) -> tuple[int | None, str, int]:
    records, open_messages = _step(behaviour, culprit, victim, seed)
    finding = accountability.public_audit(records, THRESHOLD)
    if finding is None:
        return None, "none", 0
    if finding.kind == "state":  # its re-execution is the MPC runs' test: named here
        return finding.suspect, "state", 0
    budget = accountability.OpeningBudget(THRESHOLD)
    judgement = accountability.judge(finding, records, lambda *_: pytest.fail("no view"),
                                     open_messages, lambda _: pytest.fail("no replay"), budget,
                                     THRESHOLD, {}, lambda _: [])
    assert len(budget.vendors) <= THRESHOLD
    return judgement.convicted, finding.kind, len(judgement.opened)


PAIRS = list(permutations(range(VENDORS), 2))


@pytest.mark.parametrize(("culprit", "victim"), PAIRS)
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_only_the_culprit_is_ever_convicted(behaviour: str, culprit: int, victim: int) -> None:
    convicted, kind, opened = _convicted(behaviour, culprit, victim, seed=5)
    expected_kind = {"honest": "none", "lazy": "state", "bad_message": "sender"}.get(
        behaviour, "mismatch")
    assert kind == expected_kind
    assert convicted == (None if behaviour == "honest" else culprit)
    # a sender fault opens nothing; a mismatch opens one channel to the referee only
    assert opened == (1 if kind == "mismatch" else 0)


@settings(max_examples=40, deadline=None)
@given(behaviour=st.sampled_from(BEHAVIOURS), pair=st.sampled_from(PAIRS),
       seed=st.integers(min_value=0, max_value=1 << 30))
def test_no_honest_vendor_is_convicted_whatever_the_values(behaviour: str, pair: tuple[int, int],
                                                           seed: int) -> None:
    culprit, victim = pair
    convicted, _, _ = _convicted(behaviour, culprit, victim, seed)
    assert convicted in ((None,) if behaviour == "honest" else (culprit,))


def test_a_hidden_bad_message_is_a_mismatch_the_public_values_cannot_attribute() -> None:
    """The hiding sender and the misreporting recipient publish the same pattern: the
    sender's values on one line, one recipient's value off it. Only the opened messages
    tell them apart — which is why the ledger names nobody."""
    for behaviour in ("hidden_bad_message", "misreporting_recipient"):
        culprit, victim = (2, 0) if behaviour == "hidden_bad_message" else (0, 2)
        records, _ = _step(behaviour, culprit, victim, seed=9)
        finding = accountability.public_audit(records, THRESHOLD)
        assert finding is not None
        assert (finding.kind, finding.suspect, finding.peer) == ("mismatch", 2, 0)
