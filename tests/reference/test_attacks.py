"""The attack catalogue (``reference/attacks/``) as tests: every attack is played on one
fresh market and must be refused with the code named here, or detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aimarket.cli import main
from reference.attacks import CATEGORIES
from reference.attacks.arena import Arena
from reference.attacks.catalogue import CATALOGUE, play

EXPECTED = {
    "backdated request_training with an expired licence": ("refused", "ENDORSEMENT_TIMESTAMP_SKEW"),
    "postdated timeout of a running job by the developer": ("refused", "ENDORSEMENT_TIMESTAMP_SKEW"),
    "postdated timeout by a lazy vendor": ("refused", "ENDORSEMENT_TIMESTAMP_SKEW"),
    "backdated submit_result after the deadline": ("refused", "ENDORSEMENT_TIMESTAMP_SKEW"),
    "timeout from a skewed clock inside the tolerance": ("refused", "TIME_BOUND_VIOLATED"),
    "late broadcast of a move endorsed before its deadline": ("refused", "TIME_BOUND_VIOLATED"),
    "late broadcast beyond the timestamp skew": ("refused", "BAD_TIMESTAMP"),
    "init_market first by another organisation's admin": ("refused", "MKT_NOT_CHANNEL_ADMIN"),
    "treasury named from another organisation": ("refused", "MKT_MALFORMED_ARGS"),
    "mint by a vendor": ("refused", "MKT_WRONG_ROLE"),
    "chaincode definition changed by one organisation's admin":
        ("refused", "INVALID_CONFIG_TRANSACTION"),
    "squat a role of another organisation": ("refused", "MKT_ORGANISATION_NOT_ALLOWED"),
    "same name from another organisation": ("refused", "MKT_UNKNOWN_ACTOR"),
    "registered certificate with a foreign key": ("refused", "ENDORSEMENT_FORBIDDEN"),
    "certificate from an unknown CA": ("refused", "ENDORSEMENT_FORBIDDEN"),
    "duplicate JSON keys": ("refused", "MKT_MALFORMED_ARGS"),
    "deadline window that never ends": ("refused", "MKT_MALFORMED_ARGS"),
    "mint beyond the protocol bound": ("refused", "MKT_MALFORMED_ARGS"),
    "argument nested 100000 deep": ("refused", "MKT_MALFORMED_ARGS"),
    "lone surrogate in an identifier": ("refused", "MKT_MALFORMED_ARGS"),
    "fuzzed chaincode arguments (Hypothesis)": ("refused", "MKT_MALFORMED_ARGS"),
    "replayed transaction": ("refused", "DUPLICATE_TXID"),
    "write set changed after endorsement": ("refused", "ENDORSEMENT_POLICY_FAILURE"),
    "arguments changed after endorsement": ("refused", "INVALID_ENDORSER_TRANSACTION"),
    "message over AbsoluteMaxBytes": ("refused", "BROADCAST_BAD_REQUEST"),
    "fuzzed proposals, envelopes and blocks (Hypothesis)": ("refused", None),
    "balance edited in a peer's store": ("detected", "VERIFY_LEDGER"),
    "last block row deleted from a peer's store": ("detected", "VERIFY_LEDGER"),
    "peer restored a block behind the others": ("detected", "VERIFY_LEDGER"),
    "whole network re-created with every key (trust anchor)": ("detected", "VERIFY_LEDGER"),
    "peer restarts on an edited balance": ("detected", "LEDGER_CORRUPTED"),
    "peer restarts with its last block row deleted": ("detected", "LEDGER_CORRUPTED"),
}


def test_every_attack_has_an_expected_outcome_and_every_category_is_covered() -> None:
    assert sorted(name for _, name, _ in CATALOGUE) == sorted(EXPECTED)
    assert {category for category, _, _ in CATALOGUE} == set(CATEGORIES)


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    played = Arena(tmp_path_factory.mktemp("attacks"))
    yield played
    played.close()


@pytest.mark.parametrize("category, name, attack", CATALOGUE,
                         ids=[name for _, name, _ in CATALOGUE])
def test_attack_is_refused_or_detected(arena: Arena, category: str, name: str, attack) -> None:
    result = play(arena, category, name, attack)
    outcome, code = EXPECTED[name]
    assert result.outcome == outcome, result
    if code is not None:
        assert result.code == code, result
    else:  # the wire fuzzer's most frequent refusal depends on the mutations drawn
        assert result.code, result


def test_attacks_command_json_contract(tmp_path: Path, capsys) -> None:
    code = main(["attacks", "--dir", str(tmp_path / "run"), "--category", "identity",
                 "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["accepted"] == 0 and report["crashed"] == 0
    assert {attack["category"] for attack in report["attacks"]} == {"identity"}
    for attack in report["attacks"]:
        assert set(attack) >= {"name", "category", "outcome", "code"}
        assert attack["outcome"] in ("refused", "detected") and attack["code"]


def test_attacks_command_refuses_a_used_directory(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["attacks", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--dir" in err[0]
