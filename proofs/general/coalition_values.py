"""The vendors-with-owners count game against the spec's game value by value (decision 0140).

The region cross-check (:func:`proofs.general.count_proof.coalition_cross_check`) compares
conjunctions of conditions, so a deviation whose condition the others imply could be
modelled wrongly unseen. This check is finer: at a shape, for every coalition of the class
**k >= 1 vendors with j owners, no developer**, the set of values the coalition can reach
in the game built from the spec (:func:`proofs.game_build.build_market_game`, valued as
:class:`proofs.incentives.candidates.Evaluator` values a coalition: its moves any, the
others honest, expected over nature, no pruning) must equal the set the count game gives,
its counts and positions fixed, every member vendor with its own misuse opportunity (as in
the spec), its spans enumerated at the shape. Equal sets: every play of the spec's game is
in the count game with its summed payoff, and the count game has no play the spec lacks.
"""

from __future__ import annotations

import itertools

import sympy

from proofs.general.count_game import Quantified, candidates
from proofs.general.count_game_vendors_with_owners import SPEC, Planted, coalition_game
from proofs.general.count_proof import enumerated
from proofs.incentives.candidates import Evaluator
from proofs.incentives.formulas import to_sympy
from proofs.incentives.tree import compile_tree
from proofs.game_build import build_market_game
from proofs.market_game import MarketGameShape
from spec.params import bisection_rounds


def coalitions(shape: MarketGameShape) -> list[str]:
    """Every coalition of the class at ``shape``, named as the per-shape results name them."""
    owners = [f"owner{i}" for i in range(1, shape.data_owners + 1)]
    vendors = [f"vendor{i}" for i in range(1, shape.vendors + 1)]
    found = []
    for size_j in range(shape.data_owners + 1):
        for size_k in range(1, shape.vendors + 1):
            if size_j + size_k < 2:
                continue
            for chosen_owners in itertools.combinations(owners, size_j):
                for chosen_vendors in itertools.combinations(vendors, size_k):
                    found.append("+".join(chosen_owners + chosen_vendors))
    return found


def compare_values(shape: MarketGameShape, planted: Planted = SPEC, limit: int = 10**6) -> list[dict]:
    """Per coalition: the spec's values and the count game's, and whether they are equal."""
    root = compile_tree(build_market_game(shape))
    counts = (shape.data_owners, shape.vendors, bisection_rounds(shape.steps))
    results = []
    for subject in coalitions(shape):
        exact = {sympy.expand(to_sympy(value))
                 for value in Evaluator(subject.split("+"), "coalition", limit=limit).candidates(root)}
        game = coalition_game(subject, shape.vendors, planted, every_misuse=True)
        ours = {sympy.expand(value) for candidate in candidates(game, "best")
                for value in enumerated(Quantified(candidate.value, candidate.behaviours, ""), counts)}
        results.append({"coalition": subject, "spec_values": len(exact), "count_game_values": len(ours),
                        "equal": exact == ours, "only_in_spec": sorted(map(str, exact - ours))[:3],
                        "only_in_count_game": sorted(map(str, ours - exact))[:3]})
    return results
