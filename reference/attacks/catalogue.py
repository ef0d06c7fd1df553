"""The attack catalogue: every attack with its category and name, played one by one on one
arena (:func:`run_attacks`).
"""

from __future__ import annotations

import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from reference.attacks.arena import Arena, AttackReport, AttackResult, Verdict
from reference.attacks.arguments import (
    deeply_nested_argument,
    duplicate_keys,
    endless_deadline_window,
    fuzzed_chaincode_arguments,
    lone_surrogate,
    mint_beyond_the_protocol_bound,
)
from reference.attacks.governance import (
    chaincode_redefined_by_one_organisation,
    init_market_by_another_organisations_admin,
    mint_by_a_vendor,
    treasury_named_from_another_organisation,
)
from reference.attacks.identity import (
    certificate_from_an_unknown_ca,
    registered_certificate_with_a_foreign_key,
    same_name_from_another_organisation,
    squat_a_role_of_another_organisation,
)
from reference.attacks.tamper import (
    deleted_block_row,
    edited_balance,
    other_genesis_under_the_trust_anchor,
    peer_a_block_behind,
    restart_on_an_edited_balance,
    restart_with_a_deleted_block,
)
from reference.attacks.timing import (
    backdated_request_with_an_expired_licence,
    backdated_submit_after_the_deadline,
    late_broadcast_beyond_the_skew,
    late_broadcast_of_a_move_endorsed_in_time,
    postdated_timeout_by_a_lazy_vendor,
    postdated_timeout_by_the_developer,
    skewed_clock_timeout_inside_the_tolerance,
)
from reference.attacks.wire import (
    arguments_changed_after_endorsement,
    fuzzed_wire_messages,
    oversized_message,
    replayed_transaction,
    write_set_changed_after_endorsement,
)

Attack = tuple[str, str, Callable[[Arena], None]]

CATALOGUE: list[Attack] = [
    ("time", "backdated request_training with an expired licence",
     backdated_request_with_an_expired_licence),
    ("time", "postdated timeout of a running job by the developer",
     postdated_timeout_by_the_developer),
    ("time", "postdated timeout by a lazy vendor", postdated_timeout_by_a_lazy_vendor),
    ("time", "backdated submit_result after the deadline", backdated_submit_after_the_deadline),
    ("time", "timeout from a skewed clock inside the tolerance",
     skewed_clock_timeout_inside_the_tolerance),
    ("time", "late broadcast of a move endorsed before its deadline",
     late_broadcast_of_a_move_endorsed_in_time),
    ("time", "late broadcast beyond the timestamp skew", late_broadcast_beyond_the_skew),
    ("governance", "init_market first by another organisation's admin",
     init_market_by_another_organisations_admin),
    ("governance", "treasury named from another organisation",
     treasury_named_from_another_organisation),
    ("governance", "mint by a vendor", mint_by_a_vendor),
    ("governance", "chaincode definition changed by one organisation's admin",
     chaincode_redefined_by_one_organisation),
    ("identity", "squat a role of another organisation", squat_a_role_of_another_organisation),
    ("identity", "same name from another organisation", same_name_from_another_organisation),
    ("identity", "registered certificate with a foreign key",
     registered_certificate_with_a_foreign_key),
    ("identity", "certificate from an unknown CA", certificate_from_an_unknown_ca),
    ("arguments", "duplicate JSON keys", duplicate_keys),
    ("arguments", "deadline window that never ends", endless_deadline_window),
    ("arguments", "mint beyond the protocol bound", mint_beyond_the_protocol_bound),
    ("arguments", "argument nested 100000 deep", deeply_nested_argument),
    ("arguments", "lone surrogate in an identifier", lone_surrogate),
    ("arguments", "fuzzed chaincode arguments (Hypothesis)", fuzzed_chaincode_arguments),
    ("wire", "replayed transaction", replayed_transaction),
    ("wire", "write set changed after endorsement", write_set_changed_after_endorsement),
    ("wire", "arguments changed after endorsement", arguments_changed_after_endorsement),
    ("wire", "message over AbsoluteMaxBytes", oversized_message),
    ("wire", "fuzzed proposals, envelopes and blocks (Hypothesis)", fuzzed_wire_messages),
    ("tamper", "balance edited in a peer's store", edited_balance),
    ("tamper", "last block row deleted from a peer's store", deleted_block_row),
    ("tamper", "peer restored a block behind the others", peer_a_block_behind),
    ("tamper", "whole network re-created with every key (trust anchor)",
     other_genesis_under_the_trust_anchor),
    ("restart", "peer restarts on an edited balance", restart_on_an_edited_balance),
    ("restart", "peer restarts with its last block row deleted", restart_with_a_deleted_block),
]


def play(arena: Arena, category: str, name: str, attack: Callable[[Arena], None]) -> AttackResult:
    try:
        attack(arena)
    except Verdict as verdict:
        return AttackResult(name, category, verdict.outcome, verdict.code, verdict.detail)
    except Exception as exc:  # noqa: BLE001 - an attack that raises is reported, not hidden
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return AttackResult(name, category, "crashed", None,
                            f"{type(exc).__name__}: {str(exc)[:160]} "
                            f"({Path(frame.filename).name}:{frame.lineno})")
    return AttackResult(name, category, "crashed", None, "the attack reached no verdict")


def run_attacks(directory: str | Path | None = None,
                progress: Callable[[str], None] | None = None,
                only: Callable[[str, str], bool] | None = None) -> AttackReport:
    """Play the catalogue (or the attacks ``only(category, name)`` selects) on a fresh
    market in ``directory`` (a new temporary directory when None; it must be empty)."""
    temporary = None
    if directory is None:
        temporary = tempfile.TemporaryDirectory(prefix="aimarket-attacks-")
        root = Path(temporary.name)
    else:
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
    report = AttackReport()
    arena = Arena(root)
    try:
        for category, name, attack in CATALOGUE:
            if only is not None and not only(category, name):
                continue
            if progress:
                progress(f"{category}: {name}")
            report.attacks.append(play(arena, category, name, attack))
    finally:
        arena.close()
        if temporary is not None:
            temporary.cleanup()
    return report


def run_time_attacks(arena: Arena) -> list[AttackResult]:
    """The time attacks alone, on an existing arena (the demo reports them)."""
    return [play(arena, category, name, attack)
            for category, name, attack in CATALOGUE if category == "time"]
