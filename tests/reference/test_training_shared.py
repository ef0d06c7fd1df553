"""Secret-shared training: sharing, the hooks adapter, commitments, public checks, the
referee — and three short runs of four MPyC vendor processes (honest, lazy, inconsistent
resharing)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from reference.clients.crypto import KeyUnwrapError, generate_exchange_key
from reference.clients.shared_training import Holdings, privacy_report, seal, unseal
from reference.training import make_recipe, prepare_breast_cancer
from reference.training.shared import accountability, checks, hooks, session
from reference.training.shared.field import (
    deal,
    lies_on_degree,
    modulus,
    odd_one_out,
    recombine,
)
from reference.training.shared.program import messages_digest

VENDORS, THRESHOLD = 4, 1


# ---------------------------------------------------------------- sharing and checks


def test_any_threshold_plus_one_shares_open_the_values() -> None:
    values = [65536, -3 * 65536, 5, 0]
    shares = deal(values, THRESHOLD, VENDORS)
    for pair in [(0, 1), (1, 3), (2, 3)]:
        assert recombine({i: shares[i] for i in pair}) == values
    assert all(lies_on_degree({i: shares[i][e] for i in range(VENDORS)}, THRESHOLD)
               for e in range(len(values)))


def test_the_odd_point_out_is_named_only_when_unique() -> None:
    points = {i: share[0] for i, share in enumerate(deal([7], THRESHOLD, VENDORS))}
    assert odd_one_out(points, THRESHOLD) is None
    points[2] += 1
    assert not lies_on_degree(points, THRESHOLD)
    assert odd_one_out(points, THRESHOLD) == 2
    three = {i: points[i] for i in (0, 1, 2)}  # 3 vendors: detected, not attributable
    assert not lies_on_degree(three, THRESHOLD) and odd_one_out(three, THRESHOLD) is None


class _FakeRuntime:
    def __init__(self) -> None:
        self._program_counter = [0, 0]


def test_coins_depend_on_key_and_program_counter_not_on_draw_order() -> None:
    runtime = _FakeRuntime()
    coins = hooks.StepCoins(runtime)
    with pytest.raises(RuntimeError):
        coins.randbelow(10)
    coins.set_step_key(b"k" * 32)
    draws: dict[int, list[int]] = {}
    for pc in (5, 9, 5):
        runtime._program_counter = [pc, 1]
        draws.setdefault(pc, []).append(coins.randbelow(modulus()))
    coins.set_step_key(b"k" * 32)
    runtime._program_counter = [9, 1]
    first_at_9 = coins.randbelow(modulus())  # drawn first now, second before
    runtime._program_counter = [5, 1]
    assert [coins.randbelow(modulus()), coins.randbelow(modulus())] == draws[5]
    assert first_at_9 == draws[9][0]
    coins.set_step_key(b"j" * 32)
    assert coins.randbelow(modulus()) != draws[5][0]
    assert 0 <= coins.randbits(7) < 128 and len(coins.token_bytes(16)) == 16


def test_message_digests_ignore_arrival_order_and_match_across_the_channel() -> None:
    sent_by_1 = {(30, 2): b"b", (10, 2): b"a"}
    arrived_at_2 = {(10, 1): b"a"}
    arrived_at_2[(30, 1)] = b"b"
    assert messages_digest(sent_by_1, 1, True) == messages_digest(arrived_at_2, 2, False)
    assert messages_digest(sent_by_1, 1, True) != messages_digest({(10, 2): b"a"}, 1, True)


def test_message_values_reads_arrays_and_packed_elements_and_runs_no_code(tmp_path) -> None:
    array = np.array([1, 2, modulus() - 1], dtype=object)
    assert checks.message_values(pickle.dumps(array)) == [1, 2, modulus() - 1]
    packed = b"\x80" + bytes(9)  # a packed element that starts with the pickle marker
    assert checks.message_values(packed) == [0x80]
    assert checks.message_values(pickle.dumps("digest")) is None
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    assert checks.message_values(pickle.dumps(Evil())) is None
    assert not marker.exists()


def test_sender_check_catches_one_inconsistent_sub_share() -> None:
    seed = b"s" * 32
    shares = deal([11, 12, 13], THRESHOLD, VENDORS)
    by_recipient = {i: {77: pickle.dumps(np.array(shares[i], dtype=object))}
                    for i in range(1, VENDORS)}  # vendor 0 sent to 1, 2, 3
    points = {i: checks.sender_check_value(messages, seed, {77})
              for i, messages in by_recipient.items()}
    assert lies_on_degree(points, THRESHOLD)
    bad = list(shares[2])
    bad[1] += 1
    by_recipient[2] = {77: pickle.dumps(np.array(bad, dtype=object))}
    points[2] = checks.sender_check_value(by_recipient[2], seed, {77})
    assert not lies_on_degree(points, THRESHOLD)


def test_opening_budget_refuses_a_second_vendor() -> None:
    budget = accountability.OpeningBudget(THRESHOLD)
    budget.spend(3)
    budget.spend(3)
    with pytest.raises(PermissionError):
        budget.spend(1)


def test_privacy_report_flags_more_than_t_shares_or_a_plaintext() -> None:
    holdings = Holdings()
    holdings.plaintext("owner1", "j/data1")
    holdings.share("vendor1", "j/data1", 0)
    entitled = {"j/data1": "owner1", "j/model": "dev1"}
    assert privacy_report(holdings, THRESHOLD, entitled)["leaks"] == []
    holdings.view("dev1", ["j/data1", "j/model"], 2)
    holdings.share("dev1", "j/model", 0)
    report = privacy_report(holdings, THRESHOLD, entitled)
    assert report == {"max_views_opened_per_sharing": 1, "leaks": []}
    holdings.view("dev1", ["j/data1"], 3)  # a second view of the data: a leak
    holdings.plaintext("vendor2", "j/data1")
    report = privacy_report(holdings, THRESHOLD, entitled)
    assert report["max_views_opened_per_sharing"] == 2
    assert {"party": "dev1", "sharing": "j/data1", "shares": [2, 3]} in report["leaks"]
    assert {"party": "vendor2", "sharing": "j/data1", "shares": "plaintext"} in report["leaks"]


def test_sealed_shares_open_only_for_their_vendor() -> None:
    mine, other = generate_exchange_key(), generate_exchange_key()
    sealed = seal("j", "j/data1", "vendor1", mine.public_key(), [[1, 2], [3, 4]])
    assert unseal(sealed, mine) == [[1, 2], [3, 4]]
    with pytest.raises(KeyUnwrapError):
        unseal(sealed, other)


# ---------------------------------------------------------------- MPC runs (processes)


@pytest.fixture(scope="module")
def data():
    prepared = prepare_breast_cancer()
    recipe = make_recipe(epochs=1)
    rows = session.deal_rows(prepared.train_features, prepared.train_labels, THRESHOLD, VENDORS)
    model = session.deal_model(list(recipe.initial_weights), recipe.initial_bias, THRESHOLD,
                               VENDORS)
    return prepared, recipe, rows, model


def _run(data, tmp_path_factory, name, steps, behaviours=None):
    _, recipe, rows, model = data
    return session.run_shared_training(name, recipe, rows, model,
                                       tmp_path_factory.mktemp(name), threshold=THRESHOLD,
                                       steps=steps, behaviours=behaviours, timeout=240)


@pytest.fixture(scope="module")
def honest(data, tmp_path_factory):
    return _run(data, tmp_path_factory, "honest", 3)


def test_training_on_shares_matches_plaintext_training(data, honest) -> None:
    prepared, recipe, _, _ = data
    weights, bias = session.open_model(honest.final_shares, THRESHOLD)
    other_weights, other_bias = session.open_model(
        {i: honest.final_shares[i] for i in (2, 3)}, THRESHOLD)
    assert (weights, bias) == (other_weights, other_bias)  # one sharing of one model
    plain_weights, plain_bias = session.plaintext_training(
        recipe, prepared.train_features, prepared.train_labels, 3)
    assert np.max(np.abs(np.array(weights) / 65536 - plain_weights)) < 2e-4
    assert abs(bias / 65536 - plain_bias) < 2e-4
    assert all(count > 0 for count in honest.bytes_sent.values())


def test_an_honest_run_passes_every_public_check_and_replays_exactly(honest) -> None:
    assert honest.audit() is None
    view = honest.open_view(1, 1)
    assert view.received and view.evidence_bytes() > 0
    finding = accountability.PublicFinding(1, "state", 1, "forced for the test")
    judgement = honest.settle(finding)
    assert judgement.convicted is None, judgement.reason
    assert judgement.opened == [{"vendor": 1, "step": 1, "what": "view"}]


def test_a_tampered_view_convicts_its_owner(honest) -> None:
    view = honest.open_view(2, 1)
    view.rows[0][0] += 1
    problem = accountability._view_problem(view, honest.records[2][1], honest.records,
                                           honest.inputs_roots[2],
                                           list(honest.recipe.batch_row_indices(
                                               honest.row_count, 1)))
    assert "row" in problem


def test_a_lazy_vendor_is_named_by_the_state_check_and_convicted(data, tmp_path_factory) -> None:
    run = _run(data, tmp_path_factory, "lazy", 2, {3: {"lazy_from": 1}})
    finding = run.audit()
    assert (finding.step, finding.kind, finding.suspect) == (1, "state", 3)
    budget = accountability.OpeningBudget(THRESHOLD)
    judgement = run.settle(finding, budget)
    assert judgement.convicted == 3 and "post" in judgement.reason
    with pytest.raises(PermissionError):
        run.settle(accountability.PublicFinding(1, "state", 0, "a second view"), budget)


def test_an_inconsistent_resharing_vendor_is_named_by_its_own_commitments(
        data, tmp_path_factory) -> None:
    run = _run(data, tmp_path_factory, "tamper", 2,
               {2: {"tamper_at": 1, "peer": 0, "message": 0}})
    finding = run.audit()
    assert (finding.step, finding.kind, finding.suspect) == (1, "sender", 2)
    judgement = run.settle(finding)
    assert judgement.convicted == 2 and judgement.opened == []  # nothing opened
    # the tampered messages are what vendor 0 received: a sender that hid its tampering
    # behind consistent values would show a mismatch, settled by opening vendor 0's messages
    record = run.records[2][1]
    assert record.checks is not None
    peers = sorted(run.records)
    sent = {i: int(record.checks["to"][str(i)]) for i in peers if i != 2}
    received = {i: int(run.records[i][1].checks["from"]["2"]) for i in peers if i != 2}
    assert sent == received and not lies_on_degree(sent, THRESHOLD)
    liar = sent.copy()
    from reference.training.shared.field import field as gf_field

    gf = gf_field()
    line = {i: v for i, v in sent.items() if i != 0}  # points of vendors 1 and 3
    [(x1, y1), (x3, y3)] = sorted(line.items())
    slope = (gf(y3) - gf(y1)) / gf(x3 - x1)
    liar[0] = int(gf(y1) + slope * gf(0 - x1)) % modulus()
    assert lies_on_degree(liar, THRESHOLD)
    record.checks["to"]["0"] = str(liar[0])
    finding = accountability.public_audit(run.records, THRESHOLD)
    assert finding is not None
    assert (finding.step, finding.kind, finding.suspect, finding.peer) == (1, "mismatch", 2, 0)
    budget = accountability.OpeningBudget(THRESHOLD)
    judgement = run.settle(finding, budget)
    assert judgement.convicted == 2, judgement.reason
    assert budget.vendors == {2}
    assert judgement.opened == [{"vendor": 2, "step": 1, "what": "messages to 0"}]


def test_a_public_opening_of_one_channel_gives_any_third_vendor_the_senders_sharings(
        honest) -> None:
    """Decision 0101: why a mismatch is not settled by opening the messages on the ledger.
    Every vendor reads the ledger. If what vendor 0 sent vendor 1 in a step were public,
    vendor 2 would hold two points — its own and the opened one — of each polynomial of
    degree t = 1 that vendor 0 dealt in that step (a resharing of its product share, its
    coins), and so would compute exactly what vendor 0 sent vendor 3, a message it never
    saw: more than t shares of those sharings."""
    sender, opened, reader, unseen, step = 0, 1, 2, 3, 1
    domain = set(checks.sent_to_all(honest.open_sent(sender, step), VENDORS, sender))
    messages = {party: honest.open_messages(party, sender, step)
                for party in (opened, reader, unseen)}
    predicted_elements = dealt = 0
    for pc in sorted(domain):
        values = {party: checks.message_values(messages[party][pc]) for party in messages}
        if any(v is None for v in values.values()):
            continue  # a transferred digest, not field elements
        assert len({len(v) for v in values.values()}) == 1  # type: ignore[arg-type]
        for position in range(len(values[opened])):  # type: ignore[arg-type]
            points = {party: values[party][position] for party in (opened, reader)}  # type: ignore[index]
            target = values[unseen][position]  # type: ignore[index]
            assert lies_on_degree({**points, unseen: target}, THRESHOLD)
            predicted_elements += 1
            dealt += len({points[opened], points[reader], target}) > 1
    # thousands of elements, most of them sub-shares (different per recipient), not openings
    assert predicted_elements > 1000 and dealt > predicted_elements // 2
