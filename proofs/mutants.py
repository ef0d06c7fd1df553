"""Non-vacuity by mutation: deliberately broken variants of the spec, applied in memory.

A check that passes on the spec says little unless it would fail on a wrong spec. Each
:class:`Mutant` below breaks one rule the way a plausible bug would — paying twice,
paying the wrong party, forgetting a guard, convicting without evidence, leaking data
or the model, losing track of capacity, never ending a dispute — and
:func:`kill_matrix` runs the model checker on each and records which checks catch it.

Mutants are built on the project's one mutation framework (:mod:`mutation.patching`):
each is a set of patches to functions of :mod:`spec.actions` (effects and guards look
their helpers up by name at call time, a rule ``spec/actions.py`` states) and to entries
of :data:`spec.actions.CATALOGUE` (the state machine looks actions up by name at call
time), and :func:`~mutation.patching.applied` restores every one of them on exit,
whatever happens. The checks —
:mod:`spec.invariants`, :mod:`proofs.explore_properties` and the graph properties — are
never touched: they hold their own references to what they use.

A mutant is *killed* when some check that holds on the unmutated spec (on the same
instance) fails on the mutant, or when an (action, outcome) pair seen on the spec is
never seen on the mutant (rejection coverage).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import spec.actions as actions
from mutation.patching import Mutant, Patch, applied
from proofs.explore import Exploration, explore
from proofs.explore_checks import PropertyResult, exploration_results
from proofs.explore_coverage import Coverage
from spec.actions import CATALOGUE
from spec.rejections import Rejection
from spec.world import Instance
from spec.state import STAKED_STATUSES, JobStatus, Offence, Turn, Verdict

R = Rejection


def _module(name: str, value: Callable[..., Any]) -> tuple[Patch, ...]:
    """Replace the function ``name`` of :mod:`spec.actions`."""
    return (Patch(actions, name, value),)


def _guard(action: str, guard: Callable[..., Any]) -> tuple[Patch, ...]:
    """Replace the guard of ``action`` in the catalogue."""
    return (Patch(CATALOGUE, action, replace(CATALOGUE[action], guard=guard)),)


def _effect(action: str, effect: Callable[..., Any]) -> tuple[Patch, ...]:
    """Replace the effect of ``action`` in the catalogue."""
    return (Patch(CATALOGUE, action, replace(CATALOGUE[action], effect=effect)),)


# ---------------------------------------------------------------------------------------
# The catalogue of mutants
# ---------------------------------------------------------------------------------------

def settle_pays_twice():
    close = actions.close

    def mutated(market, job, status, payouts, verdicts=()):
        if status == JobStatus.SETTLED:
            payouts = payouts + payouts
        return close(market, job, status, payouts, verdicts)
    return _module("close", mutated)


def settle_pays_wrong_party():
    pay_settlement = actions.pay_settlement

    def mutated(market, job, *args, **kwargs):
        payouts = pay_settlement(market, job, *args, **kwargs)
        owners = len(job.datasets)  # the rule pays each dataset's owner first, in order
        prices = sum(market.datasets[dataset].price for dataset in job.datasets)
        return ([(account, job.owner_bond) for account, _ in payouts[:owners]]
                + payouts[owners:] + [(job.developer, prices)])
    return _module("pay_settlement", mutated)


def timeout_forgets_escrow():
    return _module("refund_everyone", lambda market, job: [])


def accept_result_ignores_deadline():
    guard = CATALOGUE["accept_result"].guard

    def mutated(market, call):
        rejection = guard(market, call)
        return None if rejection == R.DEADLINE_PASSED else rejection
    return _guard("accept_result", mutated)


def fund_ignores_role():
    def mutated(market, call):
        if call.actor not in market.identities:
            return R.UNKNOWN_ACTOR
        return R.UNKNOWN_IDENTITY if call["recipient"] not in market.identities else None
    return _guard("fund", mutated)


def answers_twice():
    guard = actions.guard_answer_access

    def mutated(market, call):
        rejection = guard(market, call)
        if rejection == R.ALREADY_ANSWERED:
            job = market.jobs[call["job"]]
            return R.DEADLINE_PASSED if actions.deadline_passed(market, job) else None
        return rejection
    return _module("guard_answer_access", mutated) + _guard("deny_access", mutated)


def complaint_always_convicts_owner():
    def mutated(market, call):
        job = market.jobs[call["job"]]
        dataset = call["dataset"]
        grant = job.grants[dataset]
        evidence = (("dataset", dataset), ("delivery_digest", grant.delivery_digest),
                    ("commitment", market.datasets[dataset].commitment),
                    ("complainant", call.actor))
        verdict = Verdict(actions.owner_of(market, dataset), Offence.DEFECTIVE_INPUTS, evidence)
        payouts = actions.pay_defective_inputs(market, job, dataset, call.actor)
        return actions.close(market, job, JobStatus.RESOLVED, payouts, (verdict,))
    return _effect("complain_inputs", mutated)


def data_released_on_first_acceptance():
    effect = CATALOGUE["accept_job"].effect

    def mutated(market, call):
        after = effect(market, call)
        job = after.jobs[call["job"]]
        released = {(job.ident, dataset, vendor) for dataset in job.datasets for vendor in job.vendors}
        return replace(after, data_holders=after.data_holders | released)
    return _effect("accept_job", mutated)


def model_delivered_to_vendors():
    deliver_model = actions.deliver_model

    def mutated(market, job):
        after = deliver_model(market, job)
        return replace(after, model_holders=after.model_holders
                       | {(job.ident, vendor) for vendor in job.vendors})
    return _module("deliver_model", mutated)


def capacity_never_freed():
    close = actions.close

    def mutated(market, job, status, payouts, verdicts=()):
        return replace(close(market, job, status, payouts, verdicts), offers=market.offers)
    return _module("close", mutated)


def dispute_never_times_out():
    guard = CATALOGUE["timeout"].guard

    def mutated(market, call):
        rejection = guard(market, call)
        if rejection is None and market.jobs[call["job"]].status == JobStatus.DISPUTED:
            return R.WRONG_STATUS
        return rejection
    return _guard("timeout", mutated)


def bisection_never_narrows():
    def mutated(market, call):
        job = market.jobs[call["job"]]
        dispute = replace(job.dispute, turn=Turn.CLAIMANT)
        return actions.store(market, actions.with_current_dispute(job, dispute, market.now))
    return _effect("bisect_answer", mutated)


def resolve_always_convicts_developer():
    def mutated(market, call):
        job = market.jobs[call["job"]]
        dispute = job.dispute
        evidence = (("respondent", dispute.respondent), ("step", dispute.high),
                    ("pre_state", 0), ("expected", 0),
                    ("respondent_digest", job.results[dispute.respondent][dispute.high - 1]),
                    ("claimant_digest", dispute.claimant_transcript[dispute.high - 1]))
        verdict = Verdict(job.developer, Offence.FALSE_DISPUTE, evidence)
        payouts = actions.pay_false_dispute(market, job, dispute.respondent, dispute.rounds)
        return actions.end_after_delivery(market, job, (verdict,), payouts)
    return _effect("resolve_step", mutated)


def deny_always_refused():
    guard = CATALOGUE["deny_access"].guard

    def mutated(market, call):
        return guard(market, call) or R.WRONG_STATUS
    return _guard("deny_access", mutated)


def stake_minimum_ignored():
    requirements = CATALOGUE["request_training"].requirements

    def mutated(market, call):
        return tuple(requirement for requirement in requirements(market, call)
                     if requirement.code != R.STAKE_BELOW_MINIMUM)
    return (Patch(CATALOGUE, "request_training",
                  replace(CATALOGUE["request_training"], requirements=mutated)),)


def complaint_reads_wrong_record():
    effect = CATALOGUE["complain_inputs"].effect

    def mutated(market, call):
        job = market.jobs[call["job"]]
        job.grants[call.actor]  # the vendor's name is not a dataset: KeyError
        return effect(market, call)
    return _effect("complain_inputs", mutated)


def silent_vendors_spared():
    return _module("silent_vendors", lambda job: frozenset())


def misuse_outside_staked_jobs():
    guard = CATALOGUE["misuse_data"].guard

    def mutated(market, call):
        rejection = guard(market, call)
        if rejection == R.WRONG_STATUS and market.jobs[call["job"]].status not in STAKED_STATUSES:
            return None
        return rejection
    return _guard("misuse_data", mutated)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("settle_pays_twice", "settlement credits every payout twice", settle_pays_twice),
    Mutant("settle_pays_wrong_party",
           "settlements pay the data prices back to the developer instead of the owners",
           settle_pays_wrong_party),
    Mutant("timeout_forgets_escrow",
           "an expired or cancelled job refunds nobody (the escrow is zeroed, nothing paid)",
           timeout_forgets_escrow),
    Mutant("accept_result_ignores_deadline",
           "accept_result drops its deadline check", accept_result_ignores_deadline),
    Mutant("fund_ignores_role", "fund drops its role check: anyone may mint", fund_ignores_role),
    Mutant("answers_twice",
           "grant_access and deny_access drop ALREADY_ANSWERED", answers_twice),
    Mutant("complaint_always_convicts_owner",
           "an input complaint convicts the data owner whatever the delivery evidence says",
           complaint_always_convicts_owner),
    Mutant("data_released_on_first_acceptance",
           "key material is released to every vendor as soon as one vendor accepts",
           data_released_on_first_acceptance),
    Mutant("model_delivered_to_vendors",
           "the trained model is delivered to the vendors as well as the developer",
           model_delivered_to_vendors),
    Mutant("capacity_never_freed",
           "closing a job does not free its vendors' capacity", capacity_never_freed),
    Mutant("dispute_never_times_out",
           "timeout refuses disputed jobs, so a silent side is never convicted",
           dispute_never_times_out),
    Mutant("bisection_never_narrows",
           "bisect_answer hands the turn back without halving the interval",
           bisection_never_narrows),
    Mutant("resolve_always_convicts_developer",
           "resolve_step convicts the developer without re-executing the step",
           resolve_always_convicts_developer),
    Mutant("deny_always_refused", "deny_access is always refused", deny_always_refused),
    Mutant("stake_minimum_ignored",
           "request_training drops the minimum-stake requirements", stake_minimum_ignored),
    Mutant("complaint_reads_wrong_record",
           "complain_inputs looks the complainant up among the grants", complaint_reads_wrong_record),
    Mutant("silent_vendors_spared",
           "a running job's timeout convicts nobody", silent_vendors_spared),
    Mutant("misuse_outside_staked_jobs",
           "misuse_data is possible before the vendors hold the data", misuse_outside_staked_jobs),
)
"""Every mutant, by name order of the catalogue above."""

MUTANTS_BY_NAME = {mutant.name: mutant for mutant in MUTANTS}


# ---------------------------------------------------------------------------------------
# Running the checks on mutants
# ---------------------------------------------------------------------------------------

@dataclass
class MutantOutcome:
    """What the checks said about one mutant."""

    mutant: Mutant
    killed_by: list[str]
    """Checks that hold on the spec and fail on the mutant (``rejection_coverage``: a pair
    seen on the spec is never seen on the mutant)."""
    lost_pairs: list[tuple[str, str]]
    results: list[PropertyResult]
    states: int
    transitions: int
    seconds: float
    exploration: Exploration | None = field(default=None, repr=False)

    @property
    def killed(self) -> bool:
        return bool(self.killed_by)


STATE_LIMIT_FACTOR = 10
"""A mutant whose graph grows beyond this many times the spec's is stopped (and counts as
killed by ``exhaustive``: its state space is no longer the spec's)."""


@dataclass
class Baseline:
    """The checks on the unmutated spec, which mutants are compared with."""

    failing: set[str]
    """Checks that already fail on the spec (they cannot tell a mutant apart)."""
    covered: frozenset[tuple[str, str]]
    states: int


def baseline(instance: Instance, abstraction: str = "symmetry") -> Baseline:
    from proofs.explore_checks import COVERAGE_EXCLUSIONS
    from proofs.explore_coverage import expected_outcomes
    targets = frozenset((action, outcome) for action, outcomes in expected_outcomes().items()
                        for outcome in outcomes) - frozenset(COVERAGE_EXCLUSIONS)
    exploration = explore(instance, abstraction, coverage=Coverage(targets=targets))
    results = exploration_results(exploration, coverage=False)
    return Baseline({result.name for result in results if not result.holds},
                    frozenset(exploration.coverage.covered()), exploration.states)


def run_mutant(mutant: Mutant, instance: Instance, reference: Baseline,
               abstraction: str = "symmetry", keep: bool = False,
               complete: bool = True) -> MutantOutcome:
    """Explore ``instance`` under ``mutant`` and compare every check with ``reference``.

    With ``complete=False`` the mutant is first explored without the malformed variants
    of the rejection coverage (much cheaper); only if no other check kills it is it
    explored again with them. ``killed`` is then exact, ``killed_by`` lists the checks of
    the first stage that killed it.
    """
    started = time.perf_counter()
    limit = STATE_LIMIT_FACTOR * reference.states + 1000
    if not complete:
        with applied(mutant):
            exploration = explore(instance, abstraction, coverage=False, max_states=limit)
            results = exploration_results(exploration, coverage=False)
        killed_by = [result.name for result in results
                     if not result.holds and result.name not in reference.failing]
        if killed_by:
            return MutantOutcome(mutant, killed_by, [], results, exploration.states,
                                 exploration.transitions, time.perf_counter() - started,
                                 exploration if keep else None)
    with applied(mutant):
        coverage = Coverage(targets=reference.covered)
        exploration = explore(instance, abstraction, coverage=coverage, max_states=limit)
        results = exploration_results(exploration, coverage=False)
    killed_by = [result.name for result in results
                 if not result.holds and result.name not in reference.failing]
    lost = sorted(reference.covered - exploration.coverage.covered())
    if lost:
        killed_by.append("rejection_coverage")
    return MutantOutcome(mutant, killed_by, lost, results, exploration.states,
                         exploration.transitions, time.perf_counter() - started,
                         exploration if keep else None)


def kill_matrix(instance: Instance, mutants: tuple[Mutant, ...] = MUTANTS,
                abstraction: str = "symmetry", complete: bool = True,
                progress: Callable[[str], None] | None = None) -> list[MutantOutcome]:
    """Run every mutant on ``instance``; the matrix is ``outcome.killed_by`` per mutant
    (every check that catches it when ``complete``)."""
    reference = baseline(instance, abstraction)
    outcomes = []
    for mutant in mutants:
        if progress is not None:
            progress(mutant.name)
        outcomes.append(run_mutant(mutant, instance, reference, abstraction, complete=complete))
    return outcomes


__all__ = ["MUTANTS", "MUTANTS_BY_NAME", "Baseline", "MutantOutcome", "baseline", "kill_matrix",
           "run_mutant"]
