"""The fast explorer (proofs/fast) against the spec's explorer, transition by transition.

Every instance the fast path is used on is explored with both explorers and compared
node by node: same classes numbered alike, same successors with the same moves, same
failing properties, same stuck jobs, same outcomes, same counts. The comparison is shown
to fail when the fast step is deliberately broken (mutation/patching.py), and the fast
checks are compared with the spec's invariants on markets that break them (reached by
the spec under its mutants: the fast path itself never runs a mutated spec).
"""

import ast
from pathlib import Path

import pytest

from mutation.patching import Mutant, Patch, applied
from proofs import instances
from proofs.explore import explore
from proofs.explore_properties import protocol_violations
from proofs.fast import checks as fast_checks
from proofs.fast import moves as fast_moves
from proofs.fast import step as fast_step
from proofs.fast import symmetry as fast_symmetry
from proofs.fast.agreement import check_agreement
from proofs.fast.checks import FastChecker
from proofs.fast.context import make_context, time_keys
from proofs.fast.explorer import fast_explore
from proofs.fast.state import ACTIVE, ARTEFACTS, BALANCES, JOBS, VERDICTS, encode
from proofs.mutants import MUTANTS
from spec.invariants import violations
from spec.state import Offence

ROOT = Path(__file__).resolve().parents[2]

# The time-abstracted default instance (pinned for the spec explorer in test_explore.py).
DEFAULT_TIME_ONLY_STATES = 4002
DEFAULT_TIME_ONLY_TRANSITIONS = 9392


DEFAULT_INSTANCES = ["default_instance", "shared_vendor_instance", "shared_licence_instance",
                     "soundness_instance", "proof_instance"]
"""The instances both abstractions of the fast path are compared on, every transition."""


@pytest.mark.parametrize("name", DEFAULT_INSTANCES)
@pytest.mark.parametrize("abstraction", ["time", "symmetry"])
def test_the_fast_explorer_agrees_with_the_spec_on_every_transition(name, abstraction):
    agreement = check_agreement(getattr(instances, name)(), abstraction=abstraction)
    assert agreement.problems == []
    assert agreement.spec_states == agreement.fast_states > 0
    assert agreement.transitions > agreement.spec_states


def test_the_fast_explorer_agrees_under_the_misuse_reduction():
    agreement = check_agreement(instances.default_instance(), reduction="misuse")
    assert agreement.problems == []
    assert 0 < agreement.fast_states < DEFAULT_TIME_ONLY_STATES


def test_the_fast_explorer_finds_the_pinned_default_graph():
    exploration = fast_explore(instances.default_instance())
    assert (exploration.count, exploration.transitions) == (
        DEFAULT_TIME_ONLY_STATES, DEFAULT_TIME_ONLY_TRANSITIONS)
    assert not exploration.violations and not exploration.stuck
    assert len(exploration.outcomes) == 9


def _never_expires(code):
    return code if code >= 0 else code


def _bond_to_treasury(ctx, guilty, misuser=None, developer_bond_to=None):
    payouts = fast_step.settlement(ctx, guilty, misuser, developer_bond_to)
    return [("treasury" if party == ctx.developer else party, amount) for party, amount in payouts]


def _answer_ignored(dispute, digest, by_respondent):
    """Narrows to the lower half whatever the answer says."""
    respondent, claim, low, high, _, rounds, answers = dispute
    high = (low + high) // 2
    turn = fast_step.RESOLVE if high - low == 1 else fast_step.CLAIMANT
    return (respondent, claim, low, high, turn, rounds + 1, answers + (1 if by_respondent else 0))


def _no_capacity_freed(context, ctx, state, job, status, payouts, verdicts=(), model_holders=None):
    closed = BROKEN_CLOSE_ORIGINAL[0](context, ctx, state, job, status, payouts, verdicts,
                                      model_holders)
    return closed[:3] + (state[3],) + closed[4:]


BROKEN_CLOSE_ORIGINAL = [fast_step.close]


def _convictions_unchecked(ctx, job, state, convicted, offence, facts):
    return None if offence != Offence.DATA_MISUSE else "always wrong"


BROKEN_FAST_STEPS = [
    Mutant("tick_never_expires", "a tick never lets a deadline pass",
           lambda: (Patch(fast_step, "later", _never_expires),)),
    Mutant("settlement_bond_to_treasury", "a settlement pays the developer's share to the treasury",
           lambda: (Patch(fast_step, "pay_settlement", _bond_to_treasury),)),
    Mutant("answer_ignored", "a bisection answer's digest is ignored (the lower half is kept)",
           lambda: (Patch(fast_step, "answered", _answer_ignored),)),
    Mutant("capacity_never_freed", "closing a job frees no vendor capacity",
           lambda: (Patch(fast_step, "close", _no_capacity_freed),)),
    Mutant("misuse_verdicts_rejected", "the fast check rejects every misuse verdict",
           lambda: (Patch(fast_checks, "verdict_problem", _convictions_unchecked),)),
]
"""Deliberately wrong fast steps and checks: each must be caught by the agreement check."""


@pytest.mark.parametrize("mutant", BROKEN_FAST_STEPS, ids=lambda mutant: mutant.name)
def test_the_agreement_check_catches_a_wrong_fast_step(mutant):
    instance = instances.soundness_instance()
    assert check_agreement(instance).holds
    with applied(mutant):
        agreement = check_agreement(instance)
    assert not agreement.holds
    assert agreement.problems
    assert check_agreement(instance).holds  # the patch was undone


def _property_names(market, instance):
    return sorted(name for name, _ in violations(market) + protocol_violations(market, instance))


def test_the_fast_checks_agree_with_the_spec_on_broken_markets():
    """Markets reached by the spec under its mutants break invariants; on every one of
    them the fast checks name the same failing properties as the spec's functions (on the
    proof instance: two vendors, so releasing data early breaks a property too)."""
    instance = instances.proof_instance()
    context = make_context(instance)
    keys = time_keys(context)
    compared = failing = 0
    broken_properties: set[str] = set()
    for mutant in MUTANTS:
        with applied(mutant):
            exploration = explore(instance, "time", coverage=False, max_states=400)
        checker = FastChecker(context)
        for market in exploration.markets:
            try:
                state = encode(market, context, keys)
            except (ValueError, KeyError):
                continue  # a market the compact state cannot hold (e.g. a stray deposit)
            spec_names = _property_names(market, instance)
            fast_names = sorted(name for name, _ in checker.violations(state))
            assert fast_names == spec_names, (mutant.name, market)
            compared += 1
            if spec_names:
                failing += 1
                broken_properties.update(spec_names)
    assert compared > 5000
    assert failing > 100
    assert len(broken_properties) >= 7


def test_mutants_run_on_the_spec_explorer_only():
    """The fast path never decides a mutant's fate: the mutant runner and the model
    checker's mutant provider import the spec explorer and nothing of proofs.fast."""
    for path in ("proofs/mutants.py", "proofs/model_checker.py"):
        tree = ast.parse((ROOT / path).read_text())
        imported = {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names}
        assert not any(name.startswith("proofs.fast") for name in imported), path
    tree = ast.parse((ROOT / "proofs/mutants.py").read_text())
    assert any(isinstance(node, ast.ImportFrom) and node.module == "proofs.explore"
               for node in ast.walk(tree))


# The concurrent instance (three owners, three vendors, two jobs sharing a vendor and a
# dataset) is compared under the symmetry abstraction by the full check of
# tests/proofs/test_concurrent_instance.py (make check-large), on the spec exploration that
# check makes anyway (decision 0110).


# The symmetry abstraction (time and symmetry, proofs/fast/symmetry.py) against the spec's
# SymmetryKeys: same classes, numbered alike, same moves between them.
DEFAULT_SYMMETRY_STATES = 1692
DEFAULT_SYMMETRY_TRANSITIONS = 4812


def test_the_fast_symmetric_explorer_agrees_under_the_misuse_reduction():
    agreement = check_agreement(instances.default_instance(), reduction="misuse",
                                abstraction="symmetry")
    assert agreement.problems == []
    assert 0 < agreement.fast_states < DEFAULT_SYMMETRY_STATES


def test_the_fast_symmetric_explorer_finds_the_pinned_default_graph():
    exploration = fast_explore(instances.default_instance(), abstraction="symmetry")
    assert exploration.symmetry is not None and len(exploration.symmetry.group) > 1
    assert (exploration.count, exploration.transitions) == (
        DEFAULT_SYMMETRY_STATES, DEFAULT_SYMMETRY_TRANSITIONS)
    assert not exploration.violations and not exploration.stuck
    assert len(exploration.outcomes) == 9


def _identity_masks(sources):
    return tuple(range(1 << len(sources)))


def _raw_transcript(self, job, vendor, transcript):
    return transcript


def _names_kept(value, renaming):
    return value


BROKEN_FAST_SYMMETRY = [
    Mutant("identity_only", "the fast key uses the identity only (finer classes)",
           lambda: (Patch(fast_symmetry, "instance_symmetries", lambda instance, initial: [{}]),)),
    Mutant("masks_not_permuted", "a renaming leaves the accepted and confirmed bits in place",
           lambda: (Patch(fast_symmetry, "permuted_masks", _identity_masks),)),
    Mutant("digests_absolute", "transcripts are kept as digests, not offsets from their context",
           lambda: (Patch(fast_symmetry.Normaliser, "transcript", _raw_transcript),)),
    Mutant("names_kept", "names inside verdicts, holders and artefacts are not renamed",
           lambda: (Patch(fast_symmetry, "renamed", _names_kept),)),
]
"""Deliberately wrong symmetric keys: each must be caught by the agreement check."""


@pytest.mark.parametrize("mutant", BROKEN_FAST_SYMMETRY, ids=lambda mutant: mutant.name)
def test_the_agreement_check_catches_a_wrong_symmetric_key(mutant):
    instance = instances.default_instance()
    with applied(mutant):
        agreement = check_agreement(instance, abstraction="symmetry")
    assert not agreement.holds
    assert agreement.problems
    assert check_agreement(instance, abstraction="symmetry").holds  # the patch was undone


# Memos of the fast path (decision 0120): each is keyed on what the memoised function
# reads; a key too coarse must be caught like any other wrong fast step.

def _report_key_without_owner(job, owner, vendor):
    return ("report", job, vendor)


def _misuse_key_without_vendor(artefacts, ctx, vendor):
    return ("misuse", artefacts, ctx.position)


def _deadline_dropped(self, code):
    return self._ids.setdefault(code[:1] + code[2:], len(self._ids))


BROKEN_FAST_MEMOS = [
    (Mutant("report_memo_without_owner", "a report's closed record is memoised without the reporter",
            lambda: (Patch(fast_moves, "report_key", _report_key_without_owner),)), "time"),
    (Mutant("misuse_memo_without_vendor", "the artefacts after a misuse are memoised without the vendor",
            lambda: (Patch(fast_moves, "misuse_key", _misuse_key_without_vendor),)), "time"),
    (Mutant("report_memo_without_owner", "a report's closed record is memoised without the reporter",
            lambda: (Patch(fast_moves, "report_key", _report_key_without_owner),)), "symmetry"),
    (Mutant("symmetric_code_without_deadline", "interned job codes ignore the deadline code",
            lambda: (Patch(fast_symmetry.FastSymmetry, "number", _deadline_dropped),)), "symmetry"),
]
"""Memos keyed too coarsely: each must be caught by the agreement check. (Freed vendor
counts memoised without who had accepted are not in the list: on every default instance
the counts and the job already tell who had, so that key gives the same graph.)"""


@pytest.mark.parametrize(("mutant", "abstraction"), BROKEN_FAST_MEMOS,
                         ids=lambda value: value.name if isinstance(value, Mutant) else value)
def test_the_agreement_check_catches_a_memo_keyed_too_coarsely(mutant, abstraction):
    instance = instances.default_instance()
    with applied(mutant):
        agreement = check_agreement(instance, abstraction=abstraction)
    assert not agreement.holds
    assert agreement.problems


def _broken_variants(context, state):
    """``state`` changed so that a property fails: a misuse verdict's artefact removed
    (``convictions_backed_by_evidence``), a token added to the first balance
    (``token_conservation``), a vendor's job count raised (``capacity_respected``)."""
    job = state[JOBS][0]
    if job is not None:
        for convicted, offence, _ in job[VERDICTS]:
            if offence == Offence.DATA_MISUSE:
                artefact = ("misuse", context.jobs[0].ident, convicted)
                yield state[:ARTEFACTS] + (state[ARTEFACTS] - {artefact},)
    balances = state[BALANCES]
    yield (balances[0] + 1,) + balances[1:], *state[1:]
    active = state[ACTIVE]
    yield *state[:ACTIVE], (active[0] + 1,) + active[1:], *state[ACTIVE + 1:]


def _memo_agrees_with_fresh_checks(context, states):
    """One memoising checker over every state and its broken variants, against a fresh
    evaluation of each; also returns how many of them fail a property."""
    checker = FastChecker(context)
    failing = 0
    for state in states:
        for variant in (state, *_broken_variants(context, state)):
            fresh = FastChecker(context).evaluate(variant)
            if checker.violations(variant) != fresh:
                return False, failing
            failing += bool(fresh)
    return True, failing


def _cited_nothing(ctx, job, state):
    return ()


def _state_key_without_balances(self, state):
    return ORIGINAL_STATE_KEY[0](self, state)[1:]


ORIGINAL_STATE_KEY = [FastChecker.state_key]

BROKEN_CHECK_MEMOS = [
    Mutant("cited_nothing", "the checker's keys ignore the cited artefacts",
           lambda: (Patch(fast_checks, "cited_artefacts", _cited_nothing),)),
    Mutant("state_key_without_balances", "the checker's state key ignores the balances",
           lambda: (Patch(FastChecker, "state_key", _state_key_without_balances),)),
]


def test_the_checker_memo_gives_what_the_checks_give():
    """The checker memoises verdicts on the parts the properties read (the artefact set
    only where a misuse verdict cites it): on every state of the default instance and on
    variants of it that break a property, its verdicts are those of a fresh evaluation."""
    exploration = fast_explore(instances.default_instance())
    agrees, failing = _memo_agrees_with_fresh_checks(exploration.context, exploration.states)
    assert agrees
    assert failing > 2 * exploration.count


@pytest.mark.parametrize("mutant", BROKEN_CHECK_MEMOS, ids=lambda mutant: mutant.name)
def test_a_checker_memo_keyed_too_coarsely_is_caught(mutant):
    exploration = fast_explore(instances.default_instance())
    with applied(mutant):
        agrees, _ = _memo_agrees_with_fresh_checks(exploration.context, exploration.states)
    assert not agrees
