"""Whether two builds of the market game are the same game: the same tree (players,
moves in order, chance probabilities), the same payoffs at every leaf as polynomials
(the fast build prints its terms in another order than sympy), the same honest move and
truthful reports at every history, the same node and leaf counts.
"""

from __future__ import annotations

from proofs.games.terms import parse_poly
from proofs.market_game import GameBuild


def differences(plain: GameBuild, fast: GameBuild, limit: int = 5) -> list[str]:
    """The first ``limit`` differences between two builds (empty: the same game)."""
    found: list[str] = []
    constants = plain.game["constants"]
    terms: dict[str, object] = {}

    def poly(text: str):
        known = terms.get(text)
        if known is None:
            known = terms[text] = parse_poly(text, constants)
        return known

    def note(message: str) -> bool:
        found.append(message)
        return len(found) >= limit

    for key in sorted(set(plain.game) | set(fast.game)):
        if key != "tree" and plain.game.get(key) != fast.game.get(key):
            note(f"game[{key!r}] differs")
    if (plain.nodes, plain.leaves) != (fast.nodes, fast.leaves):
        note(f"counts differ: {plain.nodes, plain.leaves} != {fast.nodes, fast.leaves}")
    if plain.honest_strategy != fast.honest_strategy:
        note("honest strategies differ")
    if plain.truthful != fast.truthful:
        note("truthful reports differ")
    stack: list[tuple[dict, dict, tuple[str, ...]]] = [(plain.game["tree"], fast.game["tree"], ())]
    while stack and len(found) < limit:
        left, right, history = stack.pop()
        where = "/".join(history) or "root"
        if set(left) != set(right):
            note(f"{where}: node kinds differ")
            continue
        if "utility" in left:
            mine = {item["player"]: poly(item["value"]) for item in left["utility"]}
            theirs = {item["player"]: poly(item["value"]) for item in right["utility"]}
            if mine != theirs:
                note(f"{where}: payoffs differ")
            continue
        edges = "chance" if "chance" in left else "children"
        if left.get("player") != right.get("player"):
            note(f"{where}: movers differ")
        if [e["action"] for e in left[edges]] != [e["action"] for e in right[edges]]:
            note(f"{where}: moves differ")
            continue
        for mine, theirs in zip(left[edges], right[edges]):
            if edges == "chance" and poly(mine["probability"]) != poly(theirs["probability"]):
                note(f"{where}: probability of {mine['action']} differs")
            stack.append((mine["child"], theirs["child"], history + (mine["action"],)))
    return found
