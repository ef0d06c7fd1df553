"""``aimarket check``: the provider registry, the table and JSON, bad input, exit codes."""

import json

import pytest

import proofs.suite as suite
import proofs.mutants as mutants
from aimarket.cli import main
from traces.itf import read_trace
from proofs.instances import default_context, shared_licence_instance
from proofs.model_checker import run_soundness
from proofs.results import CheckContext, CheckProvider, CheckResult, ProviderReport
from proofs.suite import run_checks
from mutation.patching import applied
from proofs.mutants import MUTANTS_BY_NAME
from proofs.replay import replay

SMALL = ["--instance", "data_owners=2", "--instance", "vendors=1", "--instance", "developers=1",
         "--instance", "steps=2"]


def test_check_on_a_small_instance_prints_json_and_exits_0(capsys):
    # the incentive proofs have their own tests (tests/incentives); here they would only
    # add minutes
    code = main(["check", *SMALL, "--skip", "mutation", "--skip", "abstraction",
                 "--skip", "coverage", "--skip", "incentive", "--json", "--quiet", "--no-traces"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0, [item for item in data["properties"] if item["verdict"] == "fails"]
    names = {item["name"] for item in data["properties"]}
    assert {"token_conservation", "deadlock_freedom", "termination", "outcomes_reached",
            "inductive_invariant"} <= names
    for item in data["properties"]:
        assert {"name", "kind", "verdict", "states", "seconds", "instance", "transitions"} <= set(item)
        assert item["verdict"] in ("holds", "fails")
    explored = next(item for item in data["properties"] if item["name"] == "token_conservation")
    assert explored["instance"] == "custom" and explored["states"] > 0


def test_coverage_fails_on_an_instance_without_idle_parties(capsys):
    # With every party in the job, "not a party of this job" cannot be tried: reported.
    code = main(["check", *SMALL, "--kind", "coverage", "--json", "--quiet", "--no-traces"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    coverage = next(item for item in data["properties"] if item["name"] == "rejection_coverage")
    assert coverage["verdict"] == "fails" and ["accept_job", "NOT_JOB_PARTY"] in coverage["missing"]


def test_a_table_is_printed_without_json(capsys):
    code = main(["check", *SMALL, "--kind", "goal", "--quiet", "--no-traces"])
    out = capsys.readouterr().out
    assert code == 0
    assert "outcomes_reached" in out and "holds" in out and "states" in out


@pytest.mark.parametrize("arguments, message", [
    (["--instance", "colour=blue"], "unknown instance knob"),
    (["--instance", "steps=0"], "must be at least 1"),
    (["--instance", "vendors=x"], "must be a whole number"),
    (["--instance", "steps"], "expected KEY=VALUE"),
    (["--instance", "audit_probability=2"], "must be in (0, 1]"),
])
def test_bad_instance_knobs_are_one_line_errors(capsys, arguments, message):
    assert main(["check", *arguments, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_params_file_is_read_and_validated(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"data_owners": 2, "vendors": 1, "developers": 1, "steps": 1,
                                "audit_probability": "1/2"}))
    assert main(["check", "--params", str(good), "--kind", "goal", "--quiet", "--json",
                 "--no-traces"]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"steps": -1}))
    assert main(["check", "--params", str(bad), "--quiet"]) == 2
    assert "field 'steps'" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["check", "--params", str(broken), "--quiet"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_a_failing_provider_makes_check_exit_1(monkeypatch, capsys):
    def failing(context: CheckContext) -> ProviderReport:
        return ProviderReport([CheckResult("always_wrong", "incentive", False, "a planted failure")])
    monkeypatch.setattr(suite, "providers", lambda: [CheckProvider("planted", "incentive", failing)])
    assert main(["check", "--quiet", "--no-traces"]) == 1
    out = capsys.readouterr().out
    assert "always_wrong" in out and "FAILS" in out


def test_providers_are_filtered_by_kind():
    calls = []

    def record(context):
        calls.append(context.kinds)
        return ProviderReport([CheckResult("ok", "incentive", True, "fine")])
    provider = CheckProvider("incentives", "incentive", record)
    report = run_checks(default_context(kinds=frozenset({"goal"})), [provider])
    assert report.results == [] and calls == []
    report = run_checks(default_context(kinds=frozenset({"incentive"})), [provider])
    assert [result.name for result in report.results] == ["ok"] and report.holds


def test_the_registry_lists_the_model_checkers_providers():
    names = [provider.name for provider in suite.providers()]
    assert names[:4] == ["explicit-state", "abstraction-soundness", "inductive", "mutants"]


def test_a_failing_property_writes_a_replayable_counterexample(tmp_path, small_instance):
    context = default_context(instances=[("small", small_instance)], trace_dir=tmp_path,
                              kinds=frozenset({"invariant"}))
    with applied(MUTANTS_BY_NAME["settle_pays_twice"]):
        report = run_checks(context)
        failing = next(result for result in report.results if result.name == "token_conservation")
        assert not failing.holds and failing.counterexample
        replayed = replay(read_trace(failing.counterexample))
    assert replayed.violated and replayed.violated[0][1] == "token_conservation"


def test_the_mutant_section_counts_kills(monkeypatch, small_instance):
    chosen = (MUTANTS_BY_NAME["settle_pays_twice"], MUTANTS_BY_NAME["dispute_never_times_out"])
    monkeypatch.setattr(mutants, "MUTANTS", chosen)
    context = default_context(mutant_instance=("small", small_instance),
                              kinds=frozenset({"mutation"}))
    report = run_checks(context)
    assert report.sections["mutants"]["total"] == 2
    assert report.sections["mutants"]["killed"] == 2
    assert report.to_json()["mutants"]["killed"] == 2
    assert [result.name for result in report.results] == ["mutants_killed"]


def test_the_misuse_reduction_is_chosen_on_the_command_line(capsys):
    sizes = {}
    for reduction in ("none", "misuse"):
        code = main(["check", *SMALL, "--kind", "deadlock", "--kind", "termination", "--reduction",
                     reduction, "--json", "--quiet", "--no-traces"])
        data = json.loads(capsys.readouterr().out)
        assert code == 0, data["properties"]
        sizes[reduction] = {item["states"] for item in data["properties"]}
    assert len(sizes["none"]) == len(sizes["misuse"]) == 1
    assert min(sizes["misuse"]) < min(sizes["none"])


def test_the_misuse_reduction_is_checked_with_the_abstractions():
    context = default_context(kinds=frozenset({"abstraction"}), reduction="misuse",
                              soundness_instances=[("shared-licence", shared_licence_instance())])
    results = {result.name: result for result in run_soundness(context).results}
    assert results["misuse_reduction_sound"].holds, results["misuse_reduction_sound"].detail
    assert results["misuse_reduction_sound"].data["states_with"] < results["misuse_reduction_sound"].data["states_without"]
    plain = default_context(kinds=frozenset({"abstraction"}),
                            soundness_instances=[("shared-licence", shared_licence_instance())])
    assert "misuse_reduction_sound" not in {result.name for result in run_soundness(plain).results}
