"""Distinct states explored per second by the model checker, on the default instance.

Figures, all measured in this run:

1. **explore** — distinct states (classes of markets) per CPU second when exhausting the
   default instance of ``aimarket check`` (one job, two datasets, two vendors, two
   training steps), with the time and symmetry abstraction and with the time abstraction
   only; transitions per CPU second beside them. Without the malformed variants of the
   rejection coverage (pure exploration), and with them (what ``aimarket check`` does).
2. **where the time goes** — the same exploration's work split in two, each part re-run
   and timed alone on the finished graph: the *spec* (``protocol_moves``, ``step`` on
   every move, every invariant on every new market — the spec's own functions) and the
   *model checker* (canonical keys and bookkeeping: the rest); the spec's part is split
   further into listing the moves, stepping them and checking the invariants.
3. **fast explorer** — the same exhaustions by the fast explorer of :mod:`proofs.fast`
   (compact states, the step written again and checked against the spec's on every
   transition by ``tests/proofs/test_fast_agreement.py``), with the time abstraction
   (``fast``) and with time and symmetry (``fast sym``, :mod:`proofs.fast.symmetry`): the
   median of five runs (one takes a tenth of a second, so a single run mostly measures the other
   load of a shared machine), printed with its ratio to the target and to the spec
   explorer's rate measured in this run.
4. **baseline** — a fixed micro-workload measured in the same run: inserting small
   tuples into a dict (operations per CPU second), so that the figures can be compared
   across machines as ratios (states per second / dict inserts per second).

CPU time (``time.process_time``) is used throughout: the machine is shared, and wall
time would measure the other load. The target is 50,000 states per second on one core
(TLC's rate on specs of this size); the figures show how far a Python spec is from it and
why (figure 2).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from proofs.instances import default_instance
from proofs.explore import explore
from proofs.explore_keys import make_keys
from proofs.explore_properties import protocol_violations
from proofs.fast.explorer import fast_explore
from spec.invariants import violations
from spec.machine import step
from walks.moves import protocol_moves

TARGET_STATES_PER_SECOND = 50_000


def dict_insert_rate(count: int = 2_000_000) -> float:
    """Inserts of fresh small tuples into a dict per CPU second (the baseline)."""
    started = time.process_time()
    table: dict[tuple, int] = {}
    for index in range(count):
        table[(index, index & 7, "k")] = index
    return count / (time.process_time() - started)


def timed_exploration(abstraction: str, coverage: bool) -> tuple[Any, float]:
    started = time.process_time()
    exploration = explore(default_instance(), abstraction, coverage=coverage)
    return exploration, time.process_time() - started


def without_collector(function):
    """Run ``function`` with the cyclic garbage collector paused, as the explorer does."""
    def paused(*args):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args)
        finally:
            if was_enabled:
                gc.enable()
    return paused


def timed_fast_exploration(abstraction: str = "time") -> tuple[Any, float]:
    """The fast explorer on the default instance, with its context (and its symmetry
    group) built inside the timing."""
    started = time.process_time()
    exploration = fast_explore(default_instance(), abstraction=abstraction)
    return exploration, time.process_time() - started


@without_collector
def spec_seconds(exploration) -> dict[str, float]:
    """CPU seconds the spec's own functions take for the exploration's work: listing the
    moves of every expanded market, stepping every move, checking every invariant."""
    instance = exploration.instance
    expanded = [market for node, market in enumerate(exploration.markets) if exploration.expanded[node]]
    started = time.process_time()
    moves = [protocol_moves(market, instance) for market in expanded]
    listed = time.process_time()
    for market, made_here in zip(expanded, moves):
        for made in made_here:
            step(market, made)
    stepped = time.process_time()
    for market in exploration.markets:
        violations(market)
        protocol_violations(market, instance)
    checked = time.process_time()
    return {"moves": listed - started, "step": stepped - listed, "invariants": checked - stepped,
            "total": checked - started}


@without_collector
def key_seconds(exploration) -> float:
    """CPU seconds the canonical keys of every successor take (fresh caches)."""
    keys = make_keys(exploration.abstraction, exploration.instance, exploration.markets[0],
                     exploration.horizon)
    successors = [exploration.markets[target] for edges in exploration.successors
                  for target, _ in edges]
    started = time.process_time()
    for market in successors:
        keys.key(market)
    return time.process_time() - started


def run() -> dict[str, Any]:
    baseline = dict_insert_rate()
    results: dict[str, Any] = {"baseline_dict_inserts_per_second": round(baseline)}
    for abstraction in ("symmetry", "time"):
        exploration, seconds = timed_exploration(abstraction, coverage=False)
        rate = exploration.states / seconds
        spec_parts = spec_seconds(exploration)
        spec_part = spec_parts["total"]
        key_part = key_seconds(exploration)
        with_variants, coverage_seconds = timed_exploration(abstraction, coverage=True)
        results[abstraction] = {
            "states": exploration.states,
            "transitions": exploration.transitions,
            "cpu_seconds": round(seconds, 3),
            "states_per_second": round(rate),
            "transitions_per_second": round(exploration.transitions / seconds),
            "states_per_second_per_dict_insert_per_second": round(rate / baseline, 6),
            "spec_share": round(spec_part / seconds, 3),
            "spec_moves_share": round(spec_parts["moves"] / seconds, 3),
            "spec_step_share": round(spec_parts["step"] / seconds, 3),
            "spec_invariants_share": round(spec_parts["invariants"] / seconds, 3),
            "spec_only_states_per_second": round(exploration.states / spec_part),
            "key_share": round(key_part / seconds, 3),
            "other_share": round(max(0.0, 1 - (spec_part + key_part) / seconds), 3),
            "with_coverage_cpu_seconds": round(coverage_seconds, 3),
            "with_coverage_states_per_second": round(with_variants.states / coverage_seconds),
            "target_states_per_second": TARGET_STATES_PER_SECOND,
            "fraction_of_target": round(rate / TARGET_STATES_PER_SECOND, 3),
            "ratio_to_target": round(rate / TARGET_STATES_PER_SECOND, 3),
        }
        print(f"{abstraction:>8}: {exploration.states} states, {exploration.transitions} "
              f"transitions in {seconds:.2f} CPU s = {rate:,.0f} states/s "
              f"({rate / TARGET_STATES_PER_SECOND:.1%} of {TARGET_STATES_PER_SECOND:,}); "
              f"spec {spec_part / seconds:.0%}, keys {key_part / seconds:.0%} of the time; "
              f"with coverage variants {with_variants.states / coverage_seconds:,.0f} states/s")
        print(f"{'':>8}  ratio to the {TARGET_STATES_PER_SECOND:,} target: {rate / TARGET_STATES_PER_SECOND:.3f}; "
              f"spec = moves {spec_parts['moves'] / seconds:.0%} + step {spec_parts['step'] / seconds:.0%} "
              f"+ invariants {spec_parts['invariants'] / seconds:.0%}; the spec alone, with a free model "
              f"checker, would run at {exploration.states / spec_part:,.0f} states/s")
    # the spec explorer was timed on a fresh heap; the fast one is too, not amid its leftovers
    del exploration, with_variants
    gc.collect()
    for abstraction, label in (("time", "fast"), ("symmetry", "fast sym")):
        fast_runs = sorted((timed_fast_exploration(abstraction) for _ in range(5)),
                           key=lambda pair: pair[1])
        fast, fast_seconds = fast_runs[len(fast_runs) // 2]
        fast_rate = fast.count / fast_seconds
        spec_rate = results[abstraction]["states_per_second"]
        figures = results["fast_time" if abstraction == "time" else "fast_symmetry"] = {
            "states": fast.count,
            "transitions": fast.transitions,
            "cpu_seconds": round(fast_seconds, 3),
            "states_per_second": round(fast_rate),
            "ratio_to_target": round(fast_rate / TARGET_STATES_PER_SECOND, 3),
            "ratio_to_spec_explorer": round(fast_rate / spec_rate, 2),
            "same_graph_as_spec_explorer": (fast.count, fast.transitions) == (
                results[abstraction]["states"], results[abstraction]["transitions"]),
        }
        print(f"{label:>8}: {fast.count} states, {fast.transitions} transitions in {fast_seconds:.3f} "
              f"CPU s = {fast_rate:,.0f} states/s ({abstraction} abstraction, proofs/fast, median of 5 "
              f"runs); ratio to the {TARGET_STATES_PER_SECOND:,} target: "
              f"{fast_rate / TARGET_STATES_PER_SECOND:.3f}; {fast_rate / spec_rate:.1f}x the spec "
              f"explorer's {spec_rate:,} in this run"
              + ("" if figures["same_graph_as_spec_explorer"] else " -- NOT the spec explorer's graph"))
    print(f"baseline: {baseline:,.0f} dict inserts/s; symmetry states/s per dict insert/s = "
          f"{results['symmetry']['states_per_second_per_dict_insert_per_second']}")
    return results


if __name__ == "__main__":
    run()
