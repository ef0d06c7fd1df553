"""Reading and writing game files: validation errors name the field; round trips are exact."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from proofs.games import GameFormatError, game_to_dict, load_game, parse_game, save_game
from proofs.games.model import Chance, Decision, count_nodes

from .conftest import DATA, checkmate_available, checkmate_game_path, checkmate_verdicts


def running_example() -> dict[str, Any]:
    return json.loads(checkmate_game_path("running_example").read_text())


def audit() -> dict[str, Any]:
    return json.loads((DATA / "audit.json").read_text())


def expect_error(data: Any, field: str, reason: str) -> None:
    with pytest.raises(GameFormatError) as caught:
        parse_game(data)
    assert caught.value.field == field, str(caught.value)
    assert reason in caught.value.reason, str(caught.value)


def test_missing_top_level_field() -> None:
    data = running_example()
    del data["players"]
    expect_error(data, "(document)", "'players' is a required property")


def test_wrong_type() -> None:
    data = running_example()
    data["constants"] = "a"
    expect_error(data, "constants", "is not of type 'array'")


def test_node_with_player_and_utility() -> None:
    data = running_example()
    data["tree"]["children"][0]["child"]["player"] = "A"
    expect_error(data, "tree.children[0].child", "")


def test_leaf_value_of_wrong_type() -> None:
    data = running_example()
    data["tree"]["children"][1]["child"]["children"][0]["child"]["utility"][1]["value"] = [1]
    expect_error(data, "tree.children[1].child.children[0].child.utility[1].value", "is not of type")


def test_unknown_player_at_node() -> None:
    data = running_example()
    data["tree"]["children"][1]["child"]["player"] = "Z"
    expect_error(data, "tree.children[1].child.player", "unknown player 'Z'")


def test_missing_utility_for_a_player() -> None:
    data = running_example()
    del data["tree"]["children"][0]["child"]["utility"][1]
    expect_error(data, "tree.children[0].child.utility", "no utility for player 'B'")


def test_unparsable_utility_names_the_field() -> None:
    data = running_example()
    data["tree"]["children"][0]["child"]["utility"][0]["value"] = "a + c"
    expect_error(data, "tree.children[0].child.utility[0].value", "unknown symbol 'c'")


def test_undeclared_and_duplicate_actions() -> None:
    data = running_example()
    data["tree"]["children"][0]["action"] = "jump"
    expect_error(data, "tree.children[0].action", "not in the game's list of actions")
    data = running_example()
    data["tree"]["children"][1]["action"] = "l_A"
    expect_error(data, "tree.children[1].action", "appears twice")


def test_bad_constraint() -> None:
    data = running_example()
    data["initial_constraints"].append("a >")
    expect_error(data, "initial_constraints[1]", "expected")
    data = running_example()
    data["property_constraints"]["practicality"] = ["b >= zz"]
    expect_error(data, "property_constraints.practicality[0]", "unknown symbol 'zz'")


def test_bad_honest_histories() -> None:
    data = running_example()
    data["honest_histories"] = [["r_A"]]
    expect_error(data, "honest_histories[0]", "stops before reaching a leaf")
    data["honest_histories"] = [["r_A", "x"]]
    expect_error(data, "honest_histories[0]", "'x' (step 1) is not available")
    data["honest_histories"] = [["l_A", "l_B"]]
    expect_error(data, "honest_histories[0]", "after the game has ended")


def test_chance_node_errors() -> None:
    data = audit()
    chance = data["tree"]["children"][1]["child"]["children"][1]["child"]["chance"]
    chance[0]["probability"] = "1/2"
    chance[1]["probability"] = "1/4"
    expect_error(data, "tree.children[1].child.children[1].child.chance", "sum to 3/4, not 1")
    data = audit()
    chance = data["tree"]["children"][1]["child"]["children"][1]["child"]["chance"]
    chance[0]["probability"] = 2
    expect_error(data, "tree.children[1].child.children[1].child.chance[0].probability", "must lie in [0, 1]")
    data = audit()
    del data["tree"]["children"][1]["child"]["children"][1]["child"]["chance"][0]["probability"]
    expect_error(data, "tree.children[1].child.children[1].child.chance[0]", "'probability' is a required property")


def test_infinitesimal_probability_is_rejected() -> None:
    data = audit()
    data["infinitesimals"] = ["eps"]
    chance = data["tree"]["children"][1]["child"]["children"][1]["child"]["chance"]
    chance[0]["probability"] = "q + eps"
    chance[1]["probability"] = "1 - q - eps"
    expect_error(data, "tree.children[1].child.children[1].child.chance[0].probability", "infinitesimals")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(GameFormatError, match="no such file"):
        load_game(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(GameFormatError, match="not valid JSON"):
        load_game(broken)


def test_gzip_is_read_by_name(tmp_path: Path) -> None:
    packed = tmp_path / "running.json.gz"
    with gzip.open(packed, "wt") as handle:
        json.dump(running_example(), handle)
    game = load_game(packed)
    assert game.name == "running"
    assert count_nodes(game.tree) == 5


ROUND_TRIP = sorted(checkmate_verdicts()) if checkmate_available() else []


@pytest.mark.parametrize("name", ROUND_TRIP + ["audit"])
def test_round_trip(name: str, tmp_path: Path) -> None:
    path = DATA / "audit.json" if name == "audit" else checkmate_game_path(name)
    game = load_game(path)
    for suffix in (".json", ".json.gz"):
        target = tmp_path / f"copy{suffix}"
        save_game(game, target)
        again = load_game(target)
        assert again == game
        assert game_to_dict(again) == game_to_dict(game)
    # the written document is the original one (same keys, same terms)
    original = json.loads(gzip.open(path).read() if path.name.endswith(".gz") else path.read_text())
    assert game_to_dict(game)["tree"] == original["tree"]
    assert game_to_dict(game)["honest_histories"] == original["honest_histories"]


def test_round_trip_keeps_chance_nodes(tmp_path: Path) -> None:
    game = load_game(DATA / "audit.json")
    target = tmp_path / "audit.json"
    save_game(game, target)
    written = json.loads(target.read_text())
    chance = written["tree"]["children"][1]["child"]["children"][1]["child"]
    assert [edge["probability"] for edge in chance["chance"]] == ["q", "1 - q"]
    again = load_game(target)
    assert isinstance(again.tree, Decision)
    hire = again.tree.branches[1].child
    assert isinstance(hire, Decision) and isinstance(hire.branches[1].child, Chance)


def test_a_changed_game_is_not_equal() -> None:
    data = running_example()
    changed = copy.deepcopy(data)
    changed["tree"]["children"][0]["child"]["utility"][0]["value"] = "a - 3"
    assert parse_game(data) != parse_game(changed)
