"""The marketplace incentive analysis, per job shape, with and without envelope pruning.

For each shape of ``aimarket check`` (``proofs.incentive_check.SHAPES``): seconds to build
the game from the spec and decide every property (all regions, counterexamples, the spec
rule's inclusion), once with the exact envelope pruning of ``proofs.incentives.Envelope``
and, for the one-vendor shapes, once without it; the ratio is printed. Without pruning the
two-vendor shapes do not finish in ten minutes (the reason pruning exists), so they are
not run that way. A fixed Z3 problem is timed in the same run as the baseline.
"""

from __future__ import annotations

import time

from bench.bench_games import _baseline_z3
from proofs import incentives
from proofs.incentive_check import SHAPES, shape_name


def _analyse_seconds(shape, prune: bool) -> tuple[float, int]:
    original = incentives.Envelope.prune
    if not prune:
        incentives.Envelope.prune = lambda self, candidates, keep: candidates
    try:
        started = time.perf_counter()
        regions = incentives.analyse(shape)
        return time.perf_counter() - started, sum(len(region.conditions) for region in regions)
    finally:
        incentives.Envelope.prune = original


def run() -> dict:  # type: ignore[type-arg]
    baseline = min(_baseline_z3() for _ in range(3))
    print(f"baseline: Z3 pigeonhole 8/7 {baseline:.3f} s")
    header = f"{'shape':34s} {'pruned s':>9s} {'unpruned s':>11s} {'x faster':>9s} {'conditions':>11s}"
    print(header)
    print("-" * len(header))
    rows = {}
    for shape in SHAPES:
        pruned, conditions = _analyse_seconds(shape, prune=True)
        unpruned = _analyse_seconds(shape, prune=False)[0] if shape.vendors == 1 else None
        row = {"pruned_seconds": pruned, "unpruned_seconds": unpruned,
               "speedup": unpruned / pruned if unpruned else None,
               "conditions": conditions, "pruned_over_z3_baseline": pruned / baseline}
        rows[shape_name(shape)] = row
        print(f"{shape_name(shape):34s} {pruned:9.2f} "
              + (f"{unpruned:11.2f} {row['speedup']:8.1f}x" if unpruned else f"{'not run':>11s} {'':9s}")
              + f" {conditions:11d}")
    return {"baseline": {"z3_pigeonhole_seconds": baseline}, "shapes": rows}


if __name__ == "__main__":
    run()
