"""``aimarket demo``: a whole marketplace on a fresh ledger, with real cryptography and training."""

from __future__ import annotations

import argparse
import json
import sys
import time

from aimarket.arguments import check_empty_directory
from aimarket.errors import UsageError

MINIMUM_PEERS = 4
"""The demo's channel has four organisations; each needs at least one peer."""

EXPECTED = {
    "job-honest": ("SETTLED", [], True),
    "job-lazy": ("RESOLVED:WRONG_COMPUTATION", [("vendor3", "WRONG_COMPUTATION")], False),
    "job-complaint": ("RESOLVED:FALSE_COMPLAINT", [("vendor2", "FALSE_COMPLAINT")], False),
    "job-shared": ("SETTLED", [], True),
    "job-shared-lazy": ("RESOLVED:WRONG_COMPUTATION", [("vendor4", "WRONG_COMPUTATION")], False),
    "job-shared-tamper": ("RESOLVED:WRONG_COMPUTATION", [("vendor2", "WRONG_COMPUTATION")], False),
}
"""Per job: its outcome, its verdicts ``(convicted, offence)`` and whether the developer
received the model."""


def peer_count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def run(args) -> int:
    if args.peers < MINIMUM_PEERS:
        raise UsageError("--peers", f"must be at least {MINIMUM_PEERS} (one peer per "
                                    f"organisation), got {args.peers}")
    check_empty_directory(args.dir)
    from reference.demo import describe, result_text, run_demo  # heavy imports after checks

    human = not args.json
    started = time.perf_counter()

    def progress(message: str) -> None:
        if human:
            print(f"[{time.perf_counter() - started:5.1f} s] {message}", flush=True)
        else:
            print(f"demo: {message}", file=sys.stderr, flush=True)

    result = run_demo(args.dir, peers=args.peers, progress=progress)
    outcomes_as_expected = all(
        (run.outcome, [(verdict.convicted, verdict.offence) for verdict in run.record.verdicts],
         run.model_received) == EXPECTED[run.job] for run in result.jobs)
    training, privacy = result.training, result.privacy
    shared_as_expected = (
        abs(training["accuracy"] - training["plaintext_accuracy"]) <= 0.005
        and privacy["max_views_opened_per_sharing"] <= training["threshold"]
        and not privacy["leaks"]
        and [dispute["convicted"] for dispute in privacy["disputes"]] == ["vendor4", "vendor2"])
    attacks_refused = bool(result.attacks) and all(
        attack["outcome"] in ("refused", "detected") for attack in result.attacks)
    success = (outcomes_as_expected and shared_as_expected and result.tokens_conserved
               and result.ledger_verified and result.evidence.ok and attacks_refused)
    summary = result.to_json_value()
    summary["outcomes_as_expected"] = outcomes_as_expected
    summary["secret_shared_as_expected"] = shared_as_expected
    summary["attacks_refused"] = attacks_refused
    summary["seconds"] = round(time.perf_counter() - started, 2)
    if args.json:
        ordered = {key: value for key, value in summary.items()
                   if key not in ("jobs", "tokens_conserved", "ledger_verified")}
        ordered.update({"jobs": summary["jobs"], "tokens_conserved": summary["tokens_conserved"],
                        "ledger_verified": summary["ledger_verified"]})
        print(json.dumps(ordered, indent=2))
        return 0 if success else 1
    start_time = result.timeline[0].time if result.timeline else 0
    print(f"\ntimeline ({len(result.timeline)} transactions on {result.peers} peers, "
          f"{result.blocks} blocks; time in seconds since genesis):")
    for outcome in result.timeline:
        print(f"  t+{outcome.time - start_time:<5} {outcome.actor:<9} {outcome.function:<18} "
              f"{describe(outcome)}  -> {result_text(outcome)}")
    print("\njobs:")
    for run in result.jobs:
        convicted = ", ".join(f"{item['party']} ({item['offence']})" for item in run.convicted)
        extra = []
        if run.bisection_rounds:
            extra.append(f"{run.bisection_rounds} bisection rounds")
        if run.steps_re_executed:
            extra.append(f"audit re-executed steps {run.steps_re_executed}")
        print(f"  {run.job:<14} {run.outcome:<26} convicted: {convicted or 'nobody'}"
              + (f"  [{'; '.join(extra)}]" if extra else ""))
    accuracy = result.accuracy
    print(f"\ntrained model of job-honest ({accuracy.step_count} fixed-point steps): test accuracy "
          f"{accuracy.fixed_test_accuracy:.4f}, float64 training {accuracy.float_test_accuracy:.4f}; "
          f"train {accuracy.fixed_train_accuracy:.4f} vs {accuracy.float_train_accuracy:.4f}; "
          f"test predictions agree on {accuracy.test_prediction_agreement:.1%}")
    print(f"\njob-shared, trained on Shamir shares ({training['library']}, {training['vendors']} "
          f"vendor processes, t = {training['threshold']}, {training['steps']} steps in "
          f"{training['seconds']} s): test accuracy {training['accuracy']:.4f}, plaintext "
          f"training with the same sigmoid {training['plaintext_accuracy']:.4f}")
    for dispute in privacy["disputes"]:
        print(f"  {dispute['job']}: step {dispute['step']} ({dispute['kind']} check) -> "
              f"{dispute['convicted'] or 'nobody'} convicted: {dispute['reason']}")
    print(f"privacy: at most {privacy['max_views_opened_per_sharing']} vendor view opened per "
          f"sharing; leaks: {privacy['leaks'] or 'none'} ({privacy['scope']})")
    print("\nfinal balances:")
    for account, amount in sorted(result.accounts["balances"].items()):
        print(f"  {account:<10} {amount:>6}")
    escrows = sum(result.accounts["escrows"].values())
    print(f"  {'escrows':<10} {escrows:>6}")
    print(f"tokens conserved: {'yes' if result.tokens_conserved else 'NO'} "
          f"(balances + escrows = {result.accounts['held']}, minted = {result.accounts['minted']})")
    print(f"ledger verified (hash chain, signatures, validation codes, every peer): "
          f"{'yes' if result.ledger_verified else 'NO'}")
    for problem in result.ledger_problems:
        print(f"  - {problem}")
    evidence = result.evidence
    print(f"evidence checker: {evidence.verdicts_checked} verdicts recomputed from the ledger, "
          f"{'all agree' if evidence.ok else 'DISAGREEMENT'}")
    for problem in evidence.problems:
        print(f"  - {problem}")
    print(f"\ntime attacks on a fresh market ({len(result.attacks)}), each must be refused:")
    for attack in result.attacks:
        print(f"  {attack['outcome']:<9} {attack['code'] or '':<28} {attack['name']}")
    print(f"\nledger kept in {result.directory}; check it again with: "
          f"aimarket ledger verify {result.directory}")
    print("demo " + ("succeeded" if success else "FAILED") + f" ({summary['seconds']} s)")
    return 0 if success else 1


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a whole marketplace on a fresh ledger: honest job, lazy vendor, "
                     "false complaint")
    parser.add_argument("--peers", type=peer_count, default=MINIMUM_PEERS,
                        help=f"number of peers (at least {MINIMUM_PEERS}; default {MINIMUM_PEERS})")
    parser.add_argument("--dir", help="directory for the network (must not exist or be empty; "
                                      "default: a new temporary directory)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)
