"""The spec and simulate commands, including their handling of bad input."""

import json
import subprocess
import sys

import pytest

from aimarket.cli import main

PROTOCOL_ACTIONS = {
    "register_identity", "fund", "register_dataset", "register_model", "register_vendor",
    "request_training", "grant_access", "deny_access", "accept_job", "confirm_inputs",
    "complain_inputs", "submit_result", "accept_result", "dispute_result", "bisect_query",
    "bisect_answer", "resolve_step", "report_misuse", "timeout"}


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "aimarket", *args], capture_output=True, text=True)


def test_spec_json_lists_every_protocol_action_with_its_codes(capsys):
    assert main(["spec", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {action["name"]: action for action in data["actions"]}
    assert PROTOCOL_ACTIONS <= set(by_name)
    assert set(by_name["request_training"]["rejections"]) >= {"STAKE_BELOW_MINIMUM", "INSUFFICIENT_FUNDS"}
    assert all({"name", "actor", "params", "rejections"} <= set(action) for action in data["actions"])
    assert {state["name"] for state in data["states"]} >= {
        "REQUESTED", "LICENSED", "RUNNING", "DELIVERED", "SETTLED", "CANCELLED", "DISPUTED",
        "RESOLVED", "EXPIRED"}
    assert {item["name"] for item in data["invariants"]} >= {"token_conservation", "no_negative_balance"}
    assert all(item["description"] for item in data["rejections"]), "every code is documented"


def test_spec_table_names_every_action(capsys):
    assert main(["spec"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PROTOCOL_ACTIONS)


def test_simulate_json_summary(capsys):
    assert main(["simulate", "--seed", "3", "--steps", "400", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 400 and summary["invariants_held"] is True
    assert summary["accepted"] + summary["rejected"] == 400
    assert summary["violation"] is None and summary["rejected"] > 0


def test_simulate_is_repeatable(capsys):
    main(["simulate", "--seed", "9", "--steps", "300", "--json"])
    first = json.loads(capsys.readouterr().out)
    main(["simulate", "--seed", "9", "--steps", "300", "--json"])
    second = json.loads(capsys.readouterr().out)
    first.pop("seconds"), second.pop("seconds")
    assert first == second


@pytest.mark.parametrize("args, field", [
    (["simulate", "--steps", "0"], "--steps"),
    (["simulate", "--steps", "many"], "--steps"),
    (["simulate", "--seed", "x"], "--seed"),
    (["spec", "--bogus"], "unrecognized"),
])
def test_bad_arguments_get_one_line_and_exit_2(args, field):
    result = run_cli(*args)
    assert result.returncode == 2
    assert field in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content, field", [
    ('{"price": -1}', "field 'price'"),
    ('{"steps": "four"}', "field 'steps'"),
    ('{"audit_probability": 2}', "field 'audit_probability'"),
    ('{"colour": 1}', "field 'colour'"),
    ('{"price": 1', "not valid JSON"),
    ('[1, 2]', "JSON object"),
])
def test_bad_parameter_files_name_the_field(tmp_path, content, field):
    params = tmp_path / "params.json"
    params.write_text(content)
    result = run_cli("simulate", "--params", str(params), "--steps", "5")
    assert result.returncode == 2
    assert field in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_parameter_file(tmp_path):
    result = run_cli("simulate", "--params", str(tmp_path / "absent.json"))
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_parameter_file_changes_the_world(tmp_path, capsys):
    params = tmp_path / "params.json"
    params.write_text('{"steps": 2, "vendors": 2, "audit_probability": "1/4"}')
    assert main(["simulate", "--params", str(params), "--steps", "200", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["invariants_held"] is True
