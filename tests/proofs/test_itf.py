"""The ITF encoding of markets, calls and runs: standard forms, exact round trips."""

import json
from dataclasses import fields, replace
from fractions import Fraction

import pytest

from traces.itf import (
    ItfError,
    RunTrace,
    TraceStep,
    decode_call,
    decode_market,
    decode_value,
    encode_call,
    encode_market,
    read_trace,
    trace_from_json,
    trace_json,
    write_trace,
)
from spec.actions import call
from spec.rejections import Rejection
from spec.world import make_instance, setup
from spec.state import Dispute, Job, Market, Role


def through_json(value):
    return json.loads(json.dumps(value))


def test_every_explored_market_survives_the_round_trip(default_exploration):
    for market in default_exploration.markets[::3]:
        assert decode_market(through_json(encode_market(market))) == market


def test_markets_with_fraction_amounts_survive_the_round_trip():
    instance = make_instance(price=Fraction(5, 2), fee=Fraction(1, 3), audit_probability=Fraction(2, 3))
    market = setup(instance)
    encoded = through_json(encode_market(market))
    assert encoded["audit_probability"] == {"numerator": {"#bigint": "2"}, "denominator": {"#bigint": "3"}}
    decoded = decode_market(encoded)
    assert decoded == market
    assert decoded.datasets["data1"].price == Fraction(5, 2)


def test_the_encoding_uses_the_standard_itf_forms(default_exploration):
    market = next(market for market in default_exploration.markets
                  if any(job.disputes and job.payouts for job in market.jobs.values()))
    encoded = encode_market(market)
    assert set(encoded["balances"]) == {"#map"}
    assert encoded["minted"] == {"#bigint": str(market.minted)}
    assert set(encoded["data_holders"]) == {"#set"}
    assert all(set(item) == {"#tup"} for item in encoded["data_holders"]["#set"])
    job = encoded["jobs"]["#map"][0][1]
    assert job["payouts"]["tag"] == "Some"
    assert isinstance(job["disputes"], list) and job["disputes"]
    assert isinstance(job["datasets"], list)
    open_job = replace(next(iter(market.jobs.values())), payouts=None)
    assert encode_market(replace(market, jobs=market.jobs.with_item(open_job.ident, open_job))
                         )["jobs"]["#map"][0][1]["payouts"] == {"tag": "None", "value": {"#tup": []}}


def test_every_record_field_of_the_state_is_encoded(default_exploration):
    # A field the spec adds must appear in the encoding (and so in every trace).
    market = next(market for market in default_exploration.markets
                  if any(job.disputes and job.verdicts for job in market.jobs.values()))
    encoded = encode_market(market)
    assert set(encoded) == {item.name for item in fields(Market)}
    for _, job in encoded["jobs"]["#map"]:
        assert set(job) == {item.name for item in fields(Job)}
        for dispute in job["disputes"]:
            assert set(dispute) == {item.name for item in fields(Dispute)}


def test_calls_survive_the_round_trip():
    calls = [
        call("register_identity", "owner9", role=Role.DATA_OWNER, organisation="owners"),
        call("register_dataset", "owner1", dataset="data1", commitment=101, price=Fraction(3, 2),
             misuse_value=1, purposes=frozenset({"training", "eval"}), expiry=10, max_uses=2),
        call("request_training", "dev1", job="job1", model="model1", datasets=("data1", "data2"),
             vendors=("vendor1",), purpose="training", steps=2, window=1, vendor_stake=13,
             developer_bond=1, owner_bond=1),
        call("submit_result", "vendor1", job="job1", transcript=(5, 6)),
        call("tick", "environment"),
    ]
    for made in calls:
        decoded = decode_call(made.action, through_json(encode_call(made)))
        assert decoded == made
        assert hash(decoded) == hash(made)


def test_a_run_survives_writing_and_reading(tmp_path, default_exploration):
    exploration = default_exploration
    node = max(range(exploration.states), key=lambda index: exploration.depth[index])
    steps = [TraceStep(exploration.markets[0])]
    steps += [TraceStep(exploration.markets[index], exploration.parent_call[index], "accepted")
              for index in exploration.path_to(node)[1:]]
    steps.append(TraceStep(steps[-1].market, call("fund", "vendor1", recipient="dev1", amount=1),
                           Rejection.WRONG_ROLE.value))
    path = write_trace(tmp_path / "run.itf.json", RunTrace(steps, None, {"description": "a run"}))
    raw = json.loads(path.read_text())
    assert raw["#meta"]["format"] == "ITF"
    assert raw["vars"] == ["market", "mbt::actionTaken", "mbt::nondetPicks", "outcome"]
    assert raw["states"][0]["mbt::actionTaken"] == "init"
    assert raw["states"][1]["mbt::nondetPicks"]["actor"]["tag"] == "Some"
    back = read_trace(path)
    assert back.meta["description"] == "a run"
    assert [item.call for item in back.steps] == [item.call for item in steps]
    assert [item.market for item in back.steps] == [item.market for item in steps]
    assert [item.outcome for item in back.steps] == [item.outcome for item in steps]


def test_a_lasso_keeps_its_loop_index(tmp_path):
    market = setup(make_instance())
    trace = RunTrace([TraceStep(market), TraceStep(market, call("tick", "environment"), "accepted")],
                     loop=0)
    assert trace_from_json(through_json(trace_json(trace))).loop == 0


def test_written_files_are_reproducible(tmp_path, default_exploration):
    trace = RunTrace([TraceStep(market) if index == 0 else
                      TraceStep(market, call("tick", "environment"), "accepted")
                      for index, market in enumerate(default_exploration.markets[:5])])
    first = write_trace(tmp_path / "a.itf.json", trace).read_text()
    second = write_trace(tmp_path / "b.itf.json", trace).read_text()
    assert first == second


def test_itf_py_reads_the_envelope_of_our_traces(default_exploration):
    from itf_py import trace_from_json as itf_py_trace
    trace = RunTrace([TraceStep(default_exploration.markets[0])])
    data = trace_json(trace)
    data["states"][0].pop("mbt::nondetPicks")  # itf-py 0.5 cannot decode Some(#bigint) picks
    parsed = itf_py_trace(data)
    assert parsed.vars == ["market", "mbt::actionTaken", "mbt::nondetPicks", "outcome"]
    assert parsed.states[0].values["market"].minted == default_exploration.markets[0].minted


def test_decode_value_reads_every_form():
    raw = {"a": {"#bigint": "12345678901234567890"}, "b": {"#tup": ["x", 1]},
           "c": {"#set": [1, 2]}, "d": {"#map": [["k", True]]}, "e": {"tag": "Some", "value": 3},
           "f": [1, 2]}
    value = decode_value(raw)
    assert value["a"] == 12345678901234567890
    assert value["b"] == ("x", 1)
    assert value["c"] == frozenset({1, 2})
    assert value["d"] == {"k": True}
    assert value["e"].tag == "Some" and value["e"].value == 3
    assert value["f"] == [1, 2]


@pytest.mark.parametrize("bad", [
    {"states": []},
    {"states": [{"market": {}}]},
    [],
])
def test_malformed_traces_are_refused(bad):
    with pytest.raises(ItfError):
        trace_from_json(bad)


def test_a_trace_with_an_unknown_action_is_refused(default_exploration):
    data = trace_json(RunTrace([TraceStep(default_exploration.markets[0]),
                                TraceStep(default_exploration.markets[0],
                                          call("tick", "environment"), "accepted")]))
    data["states"][1]["mbt::actionTaken"] = "teleport"
    with pytest.raises(ItfError, match="unknown action"):
        trace_from_json(data)


def test_reading_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "bad.itf.json"
    path.write_text("{not json")
    with pytest.raises(ItfError, match="not valid JSON"):
        read_trace(path)
