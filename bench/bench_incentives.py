"""The marketplace incentive analysis, per job shape, by each method.

For each shape of ``aimarket check`` (``proofs.incentives.report.SHAPES``): seconds to build
the game from the spec and decide every property (all regions, counterexamples, the spec
rule's inclusion) with the default ``auto`` method (enumeration with the exact envelope
pruning of ``proofs.incentives.candidates.Envelope``, refinement where candidates explode); for the
one-vendor shapes also without pruning (the ratio is printed: without it the two-vendor
shapes do not finish in ten minutes), and with one owner and up to two vendors by
refinement alone (on 2 x 2 it spends minutes on one coalition). A
fixed Z3 problem is timed in the same run as the baseline.

Game building alone, per shape: CPU seconds to build the game from the spec walking every
history with sympy amounts (``memoise=False``, the builder before memoisation: the
baseline) and with the fast build (the default: each distinct state once, packed
polynomial amounts, interned markets, one pass per node; decisions 0097, 0125 and 0145),
their ratio against the 10x aim, and the node count. The two builds are run alternately
and each figure is the least of several runs where one run takes under half a second (a
loaded machine's noise otherwise swamps the small shapes).
The large shapes (``proofs.incentives.report.LARGE_SHAPES``, 3 owners x 3 vendors) are
timed too, and analysed once: seconds of building and of the analysis after it, and
whether the stake rule lies inside every region.

The "spec s" column is the part of the fast build spent in the spec itself
(:data:`SPEC_PARTS`: its step, the guards, the move generator, the payoffs and the other
spec functions the builder calls) on the distinct states, and "cap" the plain walk's
seconds over it: the speedup the fast build would reach if everything else it does cost
nothing. On the one-vendor shapes (about 1.5 nodes per distinct state, nothing for the
memo to merge) the spec's own work is about two thirds of the fast build, so the cap is
about 11-14x; 2 x 1, 3 x 1 and 1 x 1 at T = 8 reach 10x, 1 x 1 at T = 2 and T = 4 about
8.5-9x (decision 0145: what the builder still spends there).

The analysis per shape, including game building, in CPU seconds: the "auto s" column (memoised build,
what ``aimarket check`` does), beside the same analysis with the un-memoised build
("plain-build s", measured in the same run) and their ratio against the 10x aim, and
with Z3 as the analysis used it before decision 0115 ("per-query s": a fresh solver for
every implication query, none remembered, the sample points' assumptions checked by Z3
substitution) and that ratio.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from unittest import mock

import z3

import proofs.game_build as game_build
import proofs.game_stepper as game_stepper
import proofs.incentives.analysis as analysis
import proofs.market_game as market_game
from bench.bench_games import _baseline_z3
from proofs.incentives.candidates import Envelope
from proofs.incentives.report import LARGE_SHAPES, SHAPES, shape_name
from proofs.incentives.solver import Solver
from proofs.game_build import build_market_game


def _per_query_implied(self: Solver, extra: Sequence[z3.BoolRef], goal: z3.BoolRef) -> bool:
    """:meth:`Solver.implied` before decision 0115: a fresh solver for each query."""
    solver = z3.SolverFor("QF_NRA")
    solver.add(*self.assumptions, *extra, z3.Not(goal))
    result = solver.check()
    if result == z3.unknown:
        raise RuntimeError(f"Z3 could not decide {goal}")
    return result == z3.unsat


def _z3_admits(self: Solver, point: dict[str, Fraction]) -> bool:
    """:meth:`Solver.admits` before decision 0115: each assumption substituted and simplified by Z3."""
    return all(z3.is_true(z3.simplify(z3.substitute(
        assumption, *[(self.variables[name], z3.RealVal(f"{value.numerator}/{value.denominator}"))
                      for name, value in point.items()])))
        for assumption in self.assumptions)


@contextlib.contextmanager
def _per_query_z3() -> Iterator[None]:
    """The analysis's Z3 use as before decision 0115 (the baseline of "per-query s")."""
    with mock.patch.object(Solver, "implied", _per_query_implied), mock.patch.object(Solver, "admits", _z3_admits):
        yield


SPEC_PARTS = ((game_stepper, "symbolic_step"), (game_stepper, "admitted"), (game_stepper, "protocol_moves"),
              (game_build, "symbolic_step"), (game_build, "offchain_training_value"),
              (market_game, "symbolic_step"), (market_game, "protocol_moves"), (market_game, "utilities"),
              (market_game, "offchain_training_value"), (market_game, "offchain_training_cost"),
              (market_game, "did_honest_work"))
"""The spec's own work inside the build, where the builder calls it: its step (through the
stepper, and the fast build's silence passes directly), the guards asked alone (the fast
build's open moves), the move generator, the payoffs and the off-chain deal's value and
cost, and whether a vendor's result is honest work (read by the moves' labels, the honest
moves and the truthful reports). The timers wrap each call, so "spec s" is measured in
builds of its own, never in the builds whose seconds are reported."""


@contextlib.contextmanager
def _spec_timed(spent: list[float]) -> Iterator[None]:
    """CPU seconds inside :data:`SPEC_PARTS` during the block, added to ``spent[0]``."""
    def timed(function):
        def call(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - started
        return call
    with contextlib.ExitStack() as stack:
        for module, name in SPEC_PARTS:
            stack.enter_context(mock.patch.object(module, name, timed(getattr(module, name))))
        yield


def _analyse_timed(shape, prune: bool = True, method: str = "auto", memoise: bool = True,
                   per_query: bool = False) -> tuple[float, float, list]:
    """CPU seconds of the whole analysis of ``shape`` and of its game building, and the
    regions (``per_query``: with Z3 used as before decision 0115). CPU seconds, not wall:
    Z3 runs in this process, and on the shared machine wall time swings with the load."""
    spent: list[float] = []

    def timed_build(game_shape):
        started = time.process_time()
        build = build_market_game(game_shape, memoise=memoise)
        spent.append(time.process_time() - started)
        return build
    with contextlib.ExitStack() as stack:
        if not prune:
            stack.enter_context(mock.patch.object(Envelope, "prune", lambda self, candidates, keep: candidates))
        stack.enter_context(mock.patch.object(analysis, "build_market_game", timed_build))
        if per_query:
            stack.enter_context(_per_query_z3())
        started = time.process_time()
        regions = analysis.analyse(shape, method=method)
        return time.process_time() - started, spent[0], regions


def _analyse_seconds(shape, prune: bool, method: str = "auto", memoise: bool = True,
                     per_query: bool = False) -> tuple[float, int]:
    """Seconds of the whole analysis of ``shape``, game building included."""
    seconds, _, regions = _analyse_timed(shape, prune, method, memoise, per_query)
    return seconds, sum(len(region.conditions) for region in regions)


BUILD_AIM = 10.0
"""The aim for memoised building against the plain walk (issue 17)."""


def _cpu_seconds(shape, memoise: bool) -> tuple[float, int]:
    """CPU seconds of one build, and its node count."""
    started = time.process_time()
    build = build_market_game(shape, memoise=memoise)
    return time.process_time() - started, build.nodes


def _build_seconds(shape) -> tuple[float, float, int, float]:
    """The least CPU seconds of the plain walk and of the fast build, run alternately (up
    to five rounds, one when a plain walk takes over half a second; three fast builds a
    round, one when it takes that long), so that a change of load on the shared machine
    weighs on both; the node count; and the spec's own seconds in the fast build
    (:data:`SPEC_PARTS`, least of as many builds of their own: the timers add to a build,
    so the build's seconds are taken from untimed runs)."""
    plain = fast = float("inf")
    nodes = 0
    for _ in range(5):
        seconds, nodes = _cpu_seconds(shape, memoise=False)
        plain = min(plain, seconds)
        for _ in range(3):
            fast = min(fast, _cpu_seconds(shape, memoise=True)[0])
            if fast > 0.5:
                break
        if plain > 0.5:
            break
    spec = float("inf")
    for _ in range(5 if fast <= 0.5 else 1):
        spent = [0.0]
        with _spec_timed(spent):
            build_market_game(shape)
        spec = min(spec, spent[0])
    return plain, fast, nodes, spec


def building(shapes: Iterable = SHAPES) -> dict:
    header = (f"{'shape':34s} {'nodes':>8s} {'plain s':>8s} {'fast s':>8s} {'x faster':>9s} {'of 10x aim':>10s} "
              f"{'spec s':>8s} {'cap':>7s}")
    print(header)
    print("-" * len(header))
    rows = {}
    for shape in shapes:
        plain, memo, nodes, spec = _build_seconds(shape)
        ratio = plain / memo
        rows[shape_name(shape)] = {"nodes": nodes, "plain_cpu_seconds": plain, "memoised_cpu_seconds": memo,
                                   "speedup": ratio, "fraction_of_aim": ratio / BUILD_AIM,
                                   "spec_cpu_seconds_in_fast_build": spec, "speedup_cap": plain / spec}
        print(f"{shape_name(shape):34s} {nodes:8d} {plain:8.3f} {memo:8.4f} {ratio:8.1f}x {ratio / BUILD_AIM:9.0%} "
              f"{spec:8.4f} {plain / spec:6.1f}x")
    return rows


def large(shapes: Iterable = LARGE_SHAPES) -> dict:
    """The analysis of each large shape, once: building and analysis seconds apart."""
    header = f"{'shape':34s} {'build s':>8s} {'analysis s':>11s} {'total s':>8s} {'regions':>8s} {'rule inside all':>16s}"
    print(header)
    print("-" * len(header))
    rows = {}
    for shape in shapes:
        total, build, regions = _analyse_timed(shape)
        inside = all(not region.rule_outside and region.verified for region in regions)
        rows[shape_name(shape)] = {"build_seconds": build, "analysis_seconds": total - build,
                                   "seconds": total, "regions": len(regions), "rule_inside_every_region": inside}
        print(f"{shape_name(shape):34s} {build:8.2f} {total - build:11.2f} {total:8.2f} "
              f"{len(regions):8d} {str(inside):>16s}")
    return rows


def run(shapes: Iterable = SHAPES, large_shapes: Iterable = LARGE_SHAPES) -> dict:
    shapes, large_shapes = tuple(shapes), tuple(large_shapes)
    baseline = min(_baseline_z3() for _ in range(3))
    print(f"baseline: Z3 pigeonhole 8/7 {baseline:.3f} s")
    print("game building (CPU s), fast build against the plain walk measured here:")
    built = building(shapes + large_shapes)
    print("analysis including game building (CPU s):")
    header = (f"{'shape':34s} {'auto s':>8s} {'build s':>8s} {'plain-build s':>14s} {'x faster':>9s} {'of 10x aim':>10s} "
              f"{'per-query s':>12s} {'x faster':>9s} {'unpruned s':>11s} {'x faster':>9s} {'refine s':>9s} {'conditions':>11s}")
    print(header)
    print("-" * len(header))
    rows = {}
    for shape in shapes:
        pruned, build, regions = _analyse_timed(shape)
        conditions = sum(len(region.conditions) for region in regions)
        plain_build = _analyse_seconds(shape, prune=True, memoise=False)[0]
        analysis_speedup = plain_build / pruned
        per_query = _analyse_seconds(shape, prune=True, per_query=True)[0]
        unpruned = _analyse_seconds(shape, prune=False)[0] if shape.vendors == 1 else None
        # refinement alone spends minutes on the 2 x 2 coalition of everyone but the
        # developer (large If-terms for nlsat), which is why "auto" enumerates first
        refined = (_analyse_seconds(shape, prune=True, method="refine")[0]
                   if shape.data_owners == 1 and shape.vendors <= 2 and shape.steps <= 4 else None)
        row = {"auto_seconds": pruned, "build_seconds": build, "analysis_seconds": pruned - build,
               "plain_build_auto_seconds": plain_build,
               "analysis_speedup": analysis_speedup, "analysis_fraction_of_aim": analysis_speedup / BUILD_AIM,
               "per_query_z3_seconds": per_query, "solver_speedup": per_query / pruned,
               "unpruned_seconds": unpruned,
               "speedup": unpruned / pruned if unpruned else None, "refine_seconds": refined,
               "conditions": conditions, "auto_over_z3_baseline": pruned / baseline}
        rows[shape_name(shape)] = row
        print(f"{shape_name(shape):34s} {pruned:8.2f} {build:8.2f} {plain_build:14.2f} {analysis_speedup:8.1f}x "
              f"{analysis_speedup / BUILD_AIM:9.0%} {per_query:12.2f} {per_query / pruned:8.1f}x "
              + (f"{unpruned:11.2f} {row['speedup']:8.1f}x" if unpruned else f"{'not run':>11s} {'':9s}")
              + (f" {refined:9.2f}" if refined is not None else f" {'not run':>9s}")
              + f" {conditions:11d}")
    print("large shapes, analysed once (CPU s; make check-large checks them):")
    large_rows = large(large_shapes)
    return {"baseline": {"z3_pigeonhole_seconds": baseline}, "building": built, "shapes": rows,
            "large_shapes": large_rows}


if __name__ == "__main__":
    run()
