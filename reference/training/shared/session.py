"""One secret-shared training: deal, run the vendors, audit, settle, open.

* :func:`deal_rows` / :func:`deal_model` — what a data owner and the developer do: split
  Q16 rows (features then label) and the initial model into Shamir shares, one bundle per
  vendor (the clients wrap each bundle to its vendor's key).
* :func:`run_shared_training` — the vendors' processes; returns every vendor's
  per-step commitments (:class:`~.program.StepRecord`), its final model shares and access
  to its kept evidence; :meth:`SharedTraining.publish_sender_checks` adds each vendor's
  check record (:mod:`.checks`) to its records before they are committed.
* :meth:`SharedTraining.audit` / :meth:`SharedTraining.settle` — the public checks, then
  the referee on the first fault (:mod:`.accountability`).
* :func:`open_model` — the developer recombines t + 1 final shares.
* :func:`plaintext_training` — the same algorithm and sigmoid in float64, for comparison.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reference.training.recipe import ModelRecipe
from reference.training.shared import accountability, checks, launcher
from reference.training.shared.field import deal, recombine
from reference.training.shared.program import StepRecord, StepView, inputs_root

DEFAULT_VENDORS = 4
DEFAULT_THRESHOLD = 1


def deal_rows(features_q16: np.ndarray, labels: np.ndarray, threshold: int,
              parties: int) -> list[list[list[int]]]:
    """Per vendor, the shares of each row (features then the label in Q16)."""
    width = features_q16.shape[1] + 1
    flat = [int(v) for row, label in zip(features_q16.tolist(), labels.tolist())
            for v in (*row, int(label) << 16)]
    shares = deal(flat, threshold, parties)
    return [[party[r * width:(r + 1) * width] for r in range(len(labels))] for party in shares]


def deal_model(weights_q16: list[int], bias_q16: int, threshold: int,
               parties: int) -> list[list[int]]:
    return deal([*weights_q16, bias_q16], threshold, parties)


def open_model(final_shares: dict[int, list[int]], threshold: int) -> tuple[list[int], int]:
    """The developer's opening: (weights, bias) in Q16 from any threshold + 1 vendors."""
    chosen = dict(sorted(final_shares.items())[:threshold + 1])
    values = recombine(chosen)
    return values[:-1], values[-1]


def plaintext_training(recipe: ModelRecipe, features_q16: np.ndarray, labels: np.ndarray,
                       steps: int) -> tuple[np.ndarray, float]:
    """float64 training with the same batches, learning rate and clipped sigmoid."""
    features = features_q16 / 65536.0
    target = labels.astype(np.float64)
    weights = np.array(recipe.initial_weights, dtype=np.float64) / 65536.0
    bias = recipe.initial_bias / 65536.0
    rate = recipe.learning_rate / 65536.0 / recipe.batch_size
    for k in range(steps):
        rows = list(recipe.batch_row_indices(len(labels), k))
        errors = np.clip(features[rows] @ weights + bias, -2.0, 2.0) / 4.0 + 0.5 - target[rows]
        weights = weights - rate * (features[rows].T @ errors)
        bias = bias - rate * float(errors.sum())
    return weights, bias


def accuracy(weights: np.ndarray, bias: float, features_q16: np.ndarray,
             labels: np.ndarray) -> float:
    predicted = (features_q16 / 65536.0 @ weights + bias >= 0).astype(np.int64)
    return float(np.mean(predicted == labels))


@dataclass
class SharedTraining:
    """The outcome of one secret-shared training run."""

    job: str
    parties: int
    threshold: int
    steps: int
    recipe: ModelRecipe
    row_count: int
    records: dict[int, list[StepRecord]]
    final_shares: dict[int, list[int]]
    inputs_roots: dict[int, str]
    evidence_dirs: dict[int, Path]
    seconds: float
    step_seconds: list[float]
    bytes_sent: dict[int, int]
    checked: bool = False
    """Whether every record carries its check record (:meth:`publish_sender_checks`)."""

    def open_view(self, party: int, step: int) -> StepView:
        """A vendor's kept view of one step (what it hands the referee in a dispute)."""
        path = self.evidence_dirs[party] / f"step-{step}.json"
        return StepView.from_json_value(json.loads(path.read_text()))

    def open_messages(self, receiver: int, sender: int, step: int) -> dict[int, bytes]:
        """What ``receiver`` got from ``sender`` in ``step`` (``{pc: payload}``)."""
        view = self.open_view(receiver, step)
        return {pc: data for (pc, peer), data in view.received.items() if peer == sender}

    def open_sent(self, party: int, step: int) -> dict[tuple[int, int], bytes]:
        """What a vendor sent in one step (its own evidence; never opened to anyone)."""
        path = self.evidence_dirs[party] / f"sent-{step}.json"
        return {(pc, peer): bytes.fromhex(data)
                for pc, peer, data in json.loads(path.read_text())}

    def publish_sender_checks(self) -> None:
        """Each vendor adds its check record to its record of every step, from its own
        evidence, once every record's core (then every vendor's ``to_all`` domain) of the
        step is public; the records it then commits carry them."""
        for k in range(self.steps):
            step_records = {party: self.records[party][k] for party in self.records}
            views = {party: self.open_view(party, k) for party in self.records}
            sent = {party: self.open_sent(party, k) for party in self.records}
            domains = {party: checks.sent_to_all(sent[party], self.parties, party)
                       for party in self.records}
            for party, view in views.items():
                made = checks.check_record(view, sent[party], step_records, domains)
                self.records[party][k].checks = made
        self.checked = True

    def audit(self) -> accountability.PublicFinding | None:
        if not self.checked:
            self.publish_sender_checks()
        return accountability.public_audit(self.records, self.threshold)

    def settle(self, finding: accountability.PublicFinding,
               budget: accountability.OpeningBudget | None = None) -> accountability.Judgement:
        return accountability.judge(
            finding, self.records, self.open_view, self.open_messages,
            launcher.replay, budget or accountability.OpeningBudget(self.threshold),
            self.threshold, self.inputs_roots,
            lambda k: list(self.recipe.batch_row_indices(self.row_count, k)))


def run_shared_training(job: str, recipe: ModelRecipe, row_shares: list[list[list[int]]],
                        model_shares: list[list[int]], workdir: Path, *, threshold: int,
                        steps: int | None = None, seeds: list[bytes] | None = None,
                        behaviours: dict[int, dict[str, Any]] | None = None,
                        timeout: float = launcher.DEFAULT_TIMEOUT) -> SharedTraining:
    """Train on shares: one process per vendor (``len(row_shares)`` of them)."""
    parties = len(row_shares)
    if parties < 2 * threshold + 1:
        raise ValueError(f"parties: {parties} vendors cannot keep threshold {threshold} "
                         "(need at least 2t + 1)")
    row_count = len(row_shares[0])
    total = steps if steps is not None else recipe.total_steps(row_count)
    seeds = seeds or [secrets.token_bytes(32) for _ in range(parties)]
    behaviours = behaviours or {}
    configs = [{"job": job, "party": i, "parties": parties, "threshold": threshold,
                "recipe": recipe.to_json_value(), "rows": row_shares[i],
                "model": model_shares[i], "seed": seeds[i].hex(),
                "evidence_dir": str(workdir / f"evidence-{i}"), "steps": total,
                "behaviour": behaviours.get(i, {})} for i in range(parties)]
    started = time.perf_counter()
    results = launcher.run_parties(configs, workdir, timeout=timeout)
    seconds = time.perf_counter() - started
    for i, result in enumerate(results):
        if result["inputs_root"] != inputs_root(row_shares[i]):
            raise launcher.PartyFailed(f"vendor process {i} trained on other shares")
    step_seconds = [max(result["step_seconds"][k] for result in results) for k in range(total)]
    return SharedTraining(
        job=job, parties=parties, threshold=threshold, steps=total, recipe=recipe,
        row_count=row_count,
        records={r["party"]: [StepRecord.from_json_value(v) for v in r["records"]]
                 for r in results},
        final_shares={r["party"]: [int(v) for v in r["final_model"]] for r in results},
        inputs_roots={i: inputs_root(row_shares[i]) for i in range(parties)},
        evidence_dirs={i: workdir / f"evidence-{i}" for i in range(parties)},
        seconds=seconds, step_seconds=step_seconds,
        bytes_sent={r["party"]: r["bytes_sent"] for r in results})
