"""The game engine on CheckMate's example suite, beside CheckMate's own timings.

For every CheckMate game: our seconds to load + compile the file and to check the four
properties (weak immunity, weaker immunity, collusion resilience, practicality) for every
honest history, best of ``REPEATS`` runs, next to the reference timings of CheckMate's C++
tool (LPAR 2024) and Python tool (CCS 2023) as their authors report them, and the speed-up
(reference seconds / our seconds). A fixed Z3 problem and a fixed pure-Python loop are timed
in the same run as baselines, so figures compare across machines.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import z3

from proofs.games import CHECKMATE_PROPERTIES, Workspace, check_property, load_game

REPEATS = 3

#: seconds, all four properties, as CheckMate's authors report them (2-core machine)
CHECKMATE_CPP = {"closing_game": 0.67, "routing_game-three": 47.4, "auction": 0.20, "centipede_three": 0.16}
CHECKMATE_CPP_SMALL = 0.1  # "others under 0.1 s"
CHECKMATE_PYTHON = {"closing_game": 13.9, "routing_game-three": 359.0}


def _games_directory() -> Path | None:
    """CheckMate's example games, from ``$AIMARKET_CHECKMATE_DIR`` (the data is CheckMate's,
    not this project's, so it is not in the repository); None when the variable is unset."""
    configured = os.environ.get("AIMARKET_CHECKMATE_DIR")
    if not configured:
        return None
    games = Path(configured) / "games"
    if not games.is_dir():
        raise FileNotFoundError(f"AIMARKET_CHECKMATE_DIR={configured}: no games/ directory there")
    return games


def _baseline_z3() -> float:
    """A fixed Z3 problem: the pigeonhole principle for 8 pigeons and 7 holes (unsatisfiable)."""
    started = time.perf_counter()
    pigeons, holes = 8, 7
    sits = [[z3.Bool(f"bench_p{pigeon}_h{hole}") for hole in range(holes)] for pigeon in range(pigeons)]
    solver = z3.Solver()
    for pigeon in range(pigeons):
        solver.add(z3.Or(sits[pigeon]))
    for hole in range(holes):
        for first in range(pigeons):
            for second in range(first + 1, pigeons):
                solver.add(z3.Not(z3.And(sits[first][hole], sits[second][hole])))
    assert solver.check() == z3.unsat
    return time.perf_counter() - started


def _baseline_python() -> float:
    started = time.perf_counter()
    total = 0
    for index in range(2_000_000):
        total += index % 7
    assert total > 0
    return time.perf_counter() - started


def _time_game(path: Path) -> tuple[float, float, int]:
    best_load = best_check = float("inf")
    rounds = 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        workspace = Workspace(load_game(path))
        loaded = time.perf_counter()
        rounds = 0
        for history in workspace.game.honest_histories:
            for name in CHECKMATE_PROPERTIES:
                rounds += check_property(workspace, name, history).rounds
        finished = time.perf_counter()
        best_load = min(best_load, loaded - started)
        best_check = min(best_check, finished - loaded)
    return best_load, best_check, rounds


def run() -> dict:
    directory = _games_directory()
    baseline = {"z3_pigeonhole_seconds": min(_baseline_z3() for _ in range(3)),
                "python_loop_seconds": min(_baseline_python() for _ in range(3))}
    print(f"baseline: Z3 pigeonhole 8/7 {baseline['z3_pigeonhole_seconds']:.3f} s, "
          f"fixed Python loop {baseline['python_loop_seconds']:.3f} s")
    rows: dict[str, dict] = {}
    if directory is None:
        print("CheckMate's example suite not given: set AIMARKET_CHECKMATE_DIR to time it")
        return {"baseline": baseline, "games": rows, "repeats": REPEATS,
                "skipped": "AIMARKET_CHECKMATE_DIR is not set"}
    header = f"{'game':26s} {'load s':>8s} {'check s':>8s} {'total s':>8s} {'C++ s':>7s} {'x C++':>8s} {'Py s':>7s} {'x Py':>8s}"
    print(header)
    print("-" * len(header))
    for path in sorted(directory.iterdir()):
        name = path.name.removesuffix(".gz").removesuffix(".json")
        load_seconds, check_seconds, rounds = _time_game(path)
        total = load_seconds + check_seconds
        cpp = CHECKMATE_CPP.get(name)
        python = CHECKMATE_PYTHON.get(name)
        row = {
            "load_seconds": load_seconds, "check_seconds": check_seconds, "total_seconds": total,
            "case_split_rounds": rounds,
            "checkmate_cpp_seconds": cpp if cpp is not None else f"< {CHECKMATE_CPP_SMALL}",
            "speedup_vs_cpp": (cpp / total) if cpp is not None else None,
            "checkmate_python_seconds": python,
            "speedup_vs_python": (python / total) if python is not None else None,
            "total_over_z3_baseline": total / baseline["z3_pigeonhole_seconds"],
        }
        rows[name] = row
        cpp_text = f"{cpp:7.2f}" if cpp is not None else f"<{CHECKMATE_CPP_SMALL:6.1f}"
        speed_text = f"{row['speedup_vs_cpp']:7.1f}x" if cpp is not None else f"{'':8s}"
        python_text = f"{python:7.1f}" if python is not None else f"{'':7s}"
        python_speed = f"{row['speedup_vs_python']:7.0f}x" if python is not None else ""
        print(f"{name:26s} {load_seconds:8.3f} {check_seconds:8.3f} {total:8.3f} {cpp_text} {speed_text} "
              f"{python_text} {python_speed}")
    return {"baseline": baseline, "games": rows, "repeats": REPEATS}


if __name__ == "__main__":
    run()
