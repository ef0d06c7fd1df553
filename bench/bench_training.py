"""Secret-shared training against plaintext training, and the referee's re-execution.

Measured in the same run, on the demo's data (455 training rows of 30 features, batches
of 32, learning rate 0.25, the clipped piecewise-linear sigmoid):

1. **plaintext** — the same algorithm in float64 numpy, per step and per model (the
   demo's ``SHARED_EPOCHS`` epochs);
2. **secret-shared** — four MPyC vendor processes on 127.0.0.1 (t = 1, gmpy2), per step
   (the slowest vendor's wall-clock time of each step, averaged) and per model (the whole
   run, process start-up included), bytes each vendor sends per step, and the ratio of
   each to plaintext; the opened model's test accuracy beside plaintext's;
3. **referee** — re-executing one vendor's step from its view in a fresh process (seconds,
   start-up included) and the view's size in bytes (evidence), plus the public audit of
   every step (sender and state checks) in seconds.

Settings: ``AIMARKET_BENCH_TRAINING_VENDORS`` (default 4),
``AIMARKET_BENCH_TRAINING_EPOCHS`` (default: the demo's).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from reference.demo import SHARED_EPOCHS
from reference.training import make_recipe, prepare_breast_cancer
from reference.training.shared import launcher, session


def run() -> dict[str, Any]:
    vendors = int(os.environ.get("AIMARKET_BENCH_TRAINING_VENDORS", "4"))
    epochs = int(os.environ.get("AIMARKET_BENCH_TRAINING_EPOCHS", str(SHARED_EPOCHS)))
    threshold = 1
    prepared = prepare_breast_cancer()
    recipe = make_recipe(epochs=epochs)
    steps = recipe.total_steps(prepared.train_row_count)

    started = time.perf_counter()
    repeats = 20
    for _ in range(repeats):
        plain_weights, plain_bias = session.plaintext_training(
            recipe, prepared.train_features, prepared.train_labels, steps)
    plain_model = (time.perf_counter() - started) / repeats
    plain_step = plain_model / steps

    rows = session.deal_rows(prepared.train_features, prepared.train_labels, threshold, vendors)
    model = session.deal_model(list(recipe.initial_weights), recipe.initial_bias, threshold,
                               vendors)
    with tempfile.TemporaryDirectory(prefix="aimarket-bench-mpc-") as directory:
        run_ = session.run_shared_training("bench", recipe, rows, model, Path(directory),
                                           threshold=threshold)
        weights, bias = session.open_model(run_.final_shares, threshold)
        audit_started = time.perf_counter()
        finding = run_.audit()
        audit_seconds = time.perf_counter() - audit_started
        view = run_.open_view(1, steps // 2)
        replay_started = time.perf_counter()
        replayed = launcher.replay(view.to_json_value())
        replay_seconds = time.perf_counter() - replay_started
        replay_ok = (replayed.get("ok") and replayed["record"]
                     == run_.records[1][steps // 2].core_json_value())  # checks come later
    shared_step = float(np.mean(run_.step_seconds))
    bytes_per_step = sum(run_.bytes_sent.values()) / vendors / steps
    accuracy = session.accuracy(np.array(weights) / 65536, bias / 65536,
                                prepared.test_features, prepared.test_labels)
    plain_accuracy = session.accuracy(plain_weights, plain_bias, prepared.test_features,
                                      prepared.test_labels)
    result = {
        "vendors": vendors, "threshold": threshold, "steps": steps, "batch_size": recipe.batch_size,
        "plaintext_seconds_per_step": plain_step, "plaintext_seconds_per_model": plain_model,
        "shared_seconds_per_step": shared_step, "shared_seconds_per_model": run_.seconds,
        "step_ratio": shared_step / plain_step, "model_ratio": run_.seconds / plain_model,
        "bytes_per_vendor_per_step": bytes_per_step,
        "accuracy": accuracy, "plaintext_accuracy": plain_accuracy,
        "public_audit_seconds": audit_seconds, "audit_clean": finding is None,
        "referee_step_seconds": replay_seconds, "referee_evidence_bytes": view.evidence_bytes(),
        "referee_replay_matches": bool(replay_ok),
    }
    print(f"plaintext: {plain_step * 1e3:.3f} ms/step, {plain_model * 1e3:.1f} ms/model "
          f"({steps} steps of {recipe.batch_size} rows)")
    print(f"secret-shared ({vendors} MPyC processes, t = {threshold}): {shared_step:.3f} s/step "
          f"(x{result['step_ratio']:.0f}), {run_.seconds:.1f} s/model (x{result['model_ratio']:.0f}), "
          f"{bytes_per_step / 1e3:.0f} kB sent per vendor per step")
    print(f"accuracy: shares {accuracy:.4f}, plaintext {plain_accuracy:.4f}; "
          f"public audit of {steps} steps {audit_seconds:.2f} s ({'clean' if finding is None else finding})")
    print(f"referee: one step re-executed in {replay_seconds:.2f} s from "
          f"{view.evidence_bytes() / 1e3:.0f} kB of evidence; "
          f"{'matches' if replay_ok else 'DOES NOT MATCH'} the vendor's commitments")
    return result


