"""The incentive theorem for every job shape (``proofs.general``): seconds to prove it.

Per property, the seconds Z3 takes to prove that the spec's stake rule lies inside every
closed-form region of that property for all counts (``proofs.general.theorem.prove``),
the per-outcome families (which fail: the search for the smallest failing shape is
included), and the general region's inclusion (``proofs.general.export.rule_inside_general``).
The cross-check against the per-shape analysis needs that analysis (``bench_incentives``
times it) and is not repeated here. A fixed Z3 problem is timed in the same run as the
baseline, and every figure is printed as a ratio to it.
"""

from __future__ import annotations

import time

from bench.bench_games import _baseline_z3
from proofs.general.closed_form import FAMILIES, PER_OUTCOME
from proofs.general.export import rule_inside_general
from proofs.general.theorem import prove_family


def run() -> dict:
    baseline = min(_baseline_z3() for _ in range(3))
    print(f"baseline: Z3 pigeonhole 8/7 {baseline:.3f} s")
    header = f"{'theorem for every shape':44s} {'families':>8s} {'proved':>7s} {'seconds':>8s} {'x baseline':>10s}"
    print(header)
    print("-" * len(header))
    rows: dict[str, dict[str, float | int]] = {}
    groups = [(name, [f for f in FAMILIES if f.property == name])
              for name in dict.fromkeys(f.property for f in FAMILIES)]
    groups.append(("weak_immunity per outcome (not promised)", list(PER_OUTCOME)))
    total = 0.0
    for name, families in groups:
        started = time.perf_counter()
        proved = sum(prove_family(family).holds for family in families)
        seconds = time.perf_counter() - started
        total += seconds
        rows[name] = {"families": len(families), "proved": proved, "seconds": seconds}
        print(f"{name:44s} {len(families):8d} {proved:7d} {seconds:8.2f} {seconds / baseline:9.1f}x")
    inside, seconds = rule_inside_general()
    total += seconds
    rows["general region contains the rule"] = {"families": 1, "proved": int(inside), "seconds": seconds}
    print(f"{'general region contains the rule':44s} {1:8d} {int(inside):7d} {seconds:8.2f} "
          f"{seconds / baseline:9.1f}x")
    print(f"theorem for every shape: {total:.2f} s in all ({total / baseline:.1f}x baseline)")
    return {"baseline_seconds": baseline, "rows": rows, "total_seconds": total}
