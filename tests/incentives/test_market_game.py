"""The marketplace game is derived from the spec, not copied from a table."""

import sympy

import spec.actions
from proofs.market_game import MarketGameShape
from proofs.game_build import build_market_game

P, F, C, V, Bv, G = sympy.symbols("P F C V Bv G")


def leaves(node, history=()):
    if "utility" in node:
        yield history, {item["player"]: sympy.sympify(item["value"]) for item in node["utility"]}
        return
    for edge in node.get("children", node.get("chance", [])):
        yield from leaves(edge["child"], history + (edge["action"],))


def leaf_at(game, path):
    return dict(leaves(game["tree"]))[tuple(path)]


def test_honest_paths_pay_the_asking_prices():
    build = build_market_game(MarketGameShape(data_owners=2, vendors=1, steps=2))
    assert len(build.game["honest_histories"]) == 2  # audited or not
    for path in build.game["honest_histories"]:
        utility = leaf_at(build.game, path)
        assert utility == {"dev1": V - 2 * P - F, "owner1": P, "owner2": P, "vendor1": F - C}


def test_collusion_example_of_the_protocol_is_in_the_tree():
    game = build_market_game(MarketGameShape(1, 1, 2)).game
    honest = leaf_at(game, game["honest_histories"][0])
    attack = leaf_at(game, ["grant", "accept_job", "complain_data1", "train_offchain"])
    joint_gain = sympy.expand(attack["dev1"] + attack["vendor1"] - honest["dev1"] - honest["vendor1"])
    assert joint_gain == P - Bv - G  # a false complaint pays when the stake is below the price


def test_every_decision_has_an_honest_choice_among_its_branches():
    build = build_market_game(MarketGameShape(1, 2, 2))

    def walk(node, history):
        if "children" in node:
            labels = [edge["action"] for edge in node["children"]]
            assert build.honest_strategy[history] in labels, history
        for edge in node.get("children", node.get("chance", [])):
            walk(edge["child"], history + (edge["action"],))

    walk(build.game["tree"], ())
    assert build.leaves > 500


def test_payoffs_follow_the_spec(monkeypatch):
    original = spec.actions.pay_settlement

    def pays_owners_twice(market, job, *args, **kwargs):
        return original(market, job, *args, **kwargs) + [
            (market.datasets[d].owner, market.datasets[d].price) for d in job.datasets]

    monkeypatch.setattr(spec.actions, "pay_settlement", pays_owners_twice)
    game = build_market_game(MarketGameShape(1, 1, 2)).game
    assert leaf_at(game, game["honest_histories"][1])["owner1"] == 2 * P


def test_every_vendor_holding_the_data_is_offered_the_offchain_deal():
    """Not only the first: in the two-vendor game both vendors take ``train_offchain``
    decisions, each paying its own cost."""
    build = build_market_game(MarketGameShape(1, 2, 2))
    movers = set()

    def walk(node):
        if "children" in node:
            if any(edge["action"] == "train_offchain" for edge in node["children"]):
                movers.add(node["player"])
            for edge in node["children"]:
                walk(edge["child"])
        elif "chance" in node:
            for edge in node["chance"]:
                walk(edge["child"])
    walk(build.game["tree"])
    assert movers == {"vendor1", "vendor2"}
