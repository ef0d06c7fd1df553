"""A vendor's MPC process: ``python -m reference.training.shared.party CONFIG.json``.

The configuration (written by :mod:`.launcher` from what the vendor unwrapped) names the
job, this party's index, every party's 127.0.0.1 port, the threshold, the recipe, this
vendor's shares of the training rows and of the initial model, its committed coin seed,
where to keep its per-step evidence and where to write its result. The process trains
every step of the recipe, keeps its view of each step (its evidence) and writes one JSON
result: its per-step commitments, its final model shares, bytes sent and seconds.

``replay`` mode (``python -m reference.training.shared.party --replay VIEW.json OUT.json``)
re-executes one step from a view with no sockets at all: the referee's side.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from reference.training.shared import hooks


def _setup_runtime(pid: int, ports: list[int], threshold: int) -> Any:
    sys.argv = hooks.mpyc_argv(pid, ports, threshold)
    from mpyc.runtime import mpc

    return mpc


def _tamper(at_pc_index: int, peer: int) -> hooks.Tamper:
    """Add 2**40 to the first field element of the ``at_pc_index``-th message to ``peer``
    that carries an array (every such message when ``at_pc_index`` is 0): sub-shares that
    no longer lie on one polynomial with the ones sent to the other peers."""
    import pickle

    seen = {"count": 0}

    def tamper(pc: int, to_peer: int, data: bytes) -> bytes:
        if to_peer != peer:
            return data
        try:
            value = pickle.loads(data)
        except Exception:
            return data
        if not hasattr(value, "shape") or value.size == 0:
            return data
        seen["count"] += 1
        if at_pc_index and seen["count"] != at_pc_index:
            return data
        flat = value.reshape(-1)
        flat[0] = flat[0] + (1 << 40)
        return pickle.dumps(flat.reshape(value.shape))

    return tamper


def run_party(config: dict[str, Any]) -> dict[str, Any]:
    from reference.training.merkle import inclusion_proof
    from reference.training.recipe import ModelRecipe
    from reference.training.shared.program import (
        Machine,
        StepView,
        inputs_root,
        row_share_bytes,
        step_key,
    )

    pid, parties, threshold = config["party"], config["parties"], config["threshold"]
    mpc = _setup_runtime(pid, config["ports"], threshold)
    hooks.bind_localhost(mpc)
    machine = Machine(mpc)
    recipe = ModelRecipe.from_json_value(config["recipe"])
    rows = [[int(v) for v in row] for row in config["rows"]]
    model = [int(v) for v in config["model"]]
    seed = bytes.fromhex(config["seed"])
    evidence = Path(config["evidence_dir"])
    evidence.mkdir(parents=True, exist_ok=True)
    behaviour = config.get("behaviour") or {}
    steps = config["steps"]
    leaves = [row_share_bytes(row) for row in rows]
    records: list[dict[str, Any]] = []
    timings: list[float] = []

    async def main() -> int:
        nonlocal model
        await mpc.start()
        started = time.perf_counter()
        for index in range(steps):
            batch = recipe.batch_row_indices(len(rows), index)
            view = StepView(job=config["job"], party=pid, parties=parties, threshold=threshold,
                            step=index, program_counter=hooks.program_counter(mpc),
                            key=step_key(seed, config["job"], index), model=list(model),
                            rows=[rows[row] for row in batch],
                            learning_rate=recipe.learning_rate, row_indices=list(batch),
                            row_proofs=[inclusion_proof(leaves, row).to_json_value()
                                        for row in batch])
            machine.lazy = behaviour.get("lazy_from") is not None and index >= behaviour["lazy_from"]
            machine.log.tamper = (_tamper(behaviour.get("message", 1), behaviour["peer"])
                                  if behaviour.get("tamper_at") == index else None)
            step_started = time.perf_counter()
            outcome = await machine.run_step(view)
            timings.append(time.perf_counter() - step_started)
            view.received = outcome.received
            (evidence / f"step-{index}.json").write_text(json.dumps(view.to_json_value()))
            (evidence / f"sent-{index}.json").write_text(json.dumps(
                [[pc, peer, data.hex()] for (pc, peer), data in sorted(outcome.sent.items())]))
            records.append(outcome.record.to_json_value())
            model = outcome.post_model
        elapsed = time.perf_counter() - started
        nbytes = sum(party.protocol.nbytes_sent for party in mpc.parties if party.pid != pid)
        await mpc.shutdown()
        result.update({"seconds": elapsed, "bytes_sent": nbytes})
        return 0

    result: dict[str, Any] = {}
    mpc.run(main())
    result.update({"party": pid, "records": records, "inputs_root": inputs_root(rows), "final_model": [str(v) for v in model],
                   "step_seconds": timings})
    return result


def replay_step(view_value: dict[str, Any]) -> dict[str, Any]:
    """Re-execute one step from a view, offline; the commitments it yields."""
    from reference.training.shared.program import Machine, StepView

    view = StepView.from_json_value(view_value)
    sys.argv = [sys.argv[0], "-M", str(view.parties), "-I", str(view.party), "-T",
                str(view.threshold), "--no-prss", "--no-log"]
    from mpyc.runtime import mpc

    hooks.install_replay(mpc, view.received)
    machine = Machine(mpc)
    try:
        outcome = mpc.run(machine.run_step(view))
    except hooks.MissingMessage as error:
        return {"ok": False, "reason": str(error)}
    unused = sorted(set(view.received) - set(outcome.received))
    return {"ok": True, "record": outcome.record.to_json_value(),
            "unused_messages": [list(key) for key in unused],
            "post_model": [str(v) for v in outcome.post_model]}


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "--replay":
        result = replay_step(json.loads(Path(argv[1]).read_text()))
        Path(argv[2]).write_text(json.dumps(result))
        return 0
    config = json.loads(Path(argv[0]).read_text())
    result = run_party(config)
    out = Path(config["out"])
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
