"""``aimarket check`` kind ``privacy``: the knowledge invariants of :mod:`spec.knowledge`.

On every explicit-state instance of the context, every reachable market (the explored
graph's representatives, one per class) is checked against each knowledge invariant: no
coalition of at most t vendors, the developer (about data), the data owners (about the
model) or the public learns a secret, and no party but the entitled one holds more than t
vendors' shares of one sharing. A failure names the first market found (a shortest run).

Non-vacuity: *leaking mutants* change how an action moves knowledge — the old plaintext
protocol's deliveries and openings, a second view opened to the referee, final shares sent
to the vendors, check values published unmasked, one channel's messages opened on the
ledger to settle a mismatch (decision 0101), and two mutants of the spec's actions:
the model delivered to the vendors, and the rule of successive disputes that decision
0031 replaced (a conviction by re-execution returning the job to DELIVERED) — and each
must be killed: some knowledge invariant that
holds on the unmutated spec fails on the mutant — on the same reachable market for the
mutants of knowledge rules (so a property that fails elsewhere on the instance still
kills), on the whole instance for the action mutants.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import spec.knowledge as knowledge
from proofs.explore import explore
from proofs.instances import abstraction_for
from mutation.patching import Mutant, Patch, applied
from proofs.mutants import MUTANTS_BY_NAME
from proofs.results import CheckContext, CheckProvider, CheckResult, ProviderReport
from spec.actions import CATALOGUE, Call, store
from spec.state import JobStatus, Market
from spec.world import Instance, make_instance

KIND = "privacy"


def _first_violation(markets: list[Market], check: Callable[[Market], str | None]):
    for node, market in enumerate(markets):
        problem = check(market)
        if problem:
            return node, problem
    return None


def knowledge_results(name: str, instance: Instance,
                      markets: list[Market] | None = None) -> list[CheckResult]:
    if markets is None:
        markets = explore(instance, abstraction_for(instance, "symmetry"), coverage=False).markets
    results = []
    for invariant, statement, check in knowledge.KNOWLEDGE_INVARIANTS:
        started = time.perf_counter()
        found = _first_violation(markets, check)
        detail = statement if found is None else f"node {found[0]}: {found[1]}"
        results.append(CheckResult(invariant, KIND, found is None, detail, instance=name,
                                   states=len(markets), seconds=time.perf_counter() - started))
    return results


# ---- leaking mutants --------------------------------------------------------------------


def _plaintext_release(market, job, held):
    for ident, dataset, vendor in market.data_holders:
        if ident == job.ident:
            held[(vendor, (job.ident, dataset))].add(knowledge.PLAINTEXT)


def _plaintext_on_ledger(market, job, held):
    knowledge.RULES_ORIGINAL["re_executed"](market, job, held)
    for verdict in job.verdicts:
        if "pre_state" in dict(verdict.evidence):
            for sharing in knowledge.job_sharings(job):
                held[(knowledge.PUBLIC, sharing)].add(knowledge.PLAINTEXT)


def _second_view(market, job, held):
    knowledge.RULES_ORIGINAL["re_executed"](market, job, held)
    for verdict in job.verdicts:
        facts = dict(verdict.evidence)
        if "pre_state" in facts:  # the referee also asks a vendor that agrees with it
            others = [v for v in job.vendors if v != facts["respondent"]]
            if others:
                for sharing in knowledge.job_sharings(job):
                    held[(job.developer, sharing)].add(job.vendors.index(others[0]))


def _final_shares_to_vendors(market, job, held):
    knowledge.RULES_ORIGINAL["delivered"](market, job, held)
    if (job.ident, job.developer) in market.model_holders:
        for vendor in job.vendors:
            held[(vendor, (job.ident, knowledge.MODEL))].update(range(len(job.vendors)))


def _unmasked_checks(market, job, held):
    knowledge.RULES_ORIGINAL["released"](market, job, held)
    if any(ident == job.ident for ident, _, _ in market.data_holders):
        held[(knowledge.PUBLIC, (job.ident, knowledge.MODEL))].update(range(len(job.vendors)))


def _channel_opened_on_ledger(market, job, held):
    """A conviction settled on the ledger by opening one channel (the design decision 0101
    rejected for a mismatch): what the respondent sent the job's next vendor in the faulty
    step becomes public — that peer's point of the respondent's dealt sharing."""
    knowledge.RULES_ORIGINAL["re_executed"](market, job, held)
    for verdict in job.verdicts:
        respondent = dict(verdict.evidence).get("respondent")
        if isinstance(respondent, str) and respondent in job.vendors and len(job.vendors) > 1:
            peer = job.vendors[(job.vendors.index(respondent) + 1) % len(job.vendors)]
            held[(knowledge.PUBLIC, (job.ident, knowledge.DEALT + respondent))].add(
                job.vendors.index(peer))


KNOWLEDGE_MUTANTS: tuple[tuple[str, str, str, Callable], ...] = (
    ("plaintext_delivery", "released", "vendors receive decryptable datasets (the plaintext "
                                       "protocol)", _plaintext_release),
    ("resolve_opens_on_ledger", "re_executed", "a re-executed step opens the pre-state and "
                                               "rows on the ledger", _plaintext_on_ledger),
    ("referee_opens_second_view", "re_executed", "the referee also opens the view of a vendor "
                                                 "that agrees with it", _second_view),
    ("final_shares_to_vendors", "delivered", "the vendors exchange their final shares",
     _final_shares_to_vendors),
    ("check_values_unmasked", "released", "every vendor publishes its unmasked share in the "
                                          "state check", _unmasked_checks),
    ("mismatch_opened_on_ledger", "re_executed", "a conviction opens on the ledger what the "
                                                 "respondent sent one peer in the faulty step",
     _channel_opened_on_ledger),
)
def _successive_disputes() -> tuple[Patch, ...]:
    """The rule of decision 0008 that decision 0031 replaced: a vendor convicted by
    re-execution returns the job to DELIVERED, and the developer may dispute another."""
    effect = CATALOGUE["resolve_step"].effect

    def mutated(market: Market, call: Call) -> Market:
        after = effect(market, call)
        job = after.jobs[call["job"]]
        convicted = job.verdicts[-1].convicted if job.verdicts else None
        if convicted not in market.jobs[call["job"]].vendors:
            return after  # a convicted developer still ends the job
        before = market.jobs[call["job"]]
        job = replace(before, status=JobStatus.DELIVERED, deadline=market.now + before.window,
                      verdicts=before.verdicts + (job.verdicts[-1],))
        return store(market, job)
    return (Patch(CATALOGUE, "resolve_step", replace(CATALOGUE["resolve_step"], effect=mutated)),)


SUCCESSIVE_DISPUTES = Mutant("successive_disputes",
                             "a vendor convicted by re-execution returns the job to DELIVERED "
                             "and the developer disputes another (the rule of decision 0008)",
                             _successive_disputes)
ACTION_MUTANTS: tuple[Mutant, ...] = (MUTANTS_BY_NAME["model_delivered_to_vendors"],
                                      SUCCESSIVE_DISPUTES)
"""Mutants of the spec's actions that leak: one of :mod:`proofs.mutants`, and the old
dispute rule."""


@contextmanager
def knowledge_mutant(rule: str, replacement: Callable) -> Iterator[None]:
    saved = knowledge.RULES[rule]
    knowledge.RULES[rule] = replacement
    try:
        yield
    finally:
        knowledge.RULES[rule] = saved


def _killers(markets: list[Market], spec_verdicts: dict[str, list[bool]]) -> list[str]:
    """Invariants that hold on some market under the spec but fail on it under the mutant
    (a kill on the same state, so a property that fails elsewhere still counts)."""
    killers = []
    for invariant, _, check in knowledge.KNOWLEDGE_INVARIANTS:
        if any(spec_ok and check(market) for market, spec_ok
               in zip(markets, spec_verdicts[invariant])):
            killers.append(invariant)
    return killers


def mutant_results(name: str, instance: Instance) -> tuple[list[CheckResult], dict]:
    markets = explore(instance, coverage=False).markets
    spec_verdicts = {invariant: [check(market) is None for market in markets]
                     for invariant, _, check in knowledge.KNOWLEDGE_INVARIANTS}
    kills: dict[str, list[str]] = {}
    for mutant, rule, _, replacement in KNOWLEDGE_MUTANTS:
        with knowledge_mutant(rule, replacement):
            kills[mutant] = _killers(markets, spec_verdicts)
    for action_mutant in ACTION_MUTANTS:
        with applied(action_mutant):
            mutated = explore(instance, coverage=False).markets
        kills[action_mutant.name] = sorted(invariant for invariant, _, check
                               in knowledge.KNOWLEDGE_INVARIANTS
                               if all(ok for ok in spec_verdicts[invariant])
                               and any(check(market) for market in mutated))
    survivors = sorted(mutant for mutant, killers in kills.items() if not killers)
    result = CheckResult("leaking_mutants_killed", KIND, not survivors,
                         f"{len(kills) - len(survivors)} of {len(kills)} leaking mutants killed"
                         + (f"; surviving: {', '.join(survivors)}" if survivors else ""),
                         instance=name, states=len(markets))
    return [result], {"privacy_mutants": kills}


def privacy_mutant_instance() -> Instance:
    """Where the leaking mutants run: one job of one dataset and two vendors, one step (so
    a second vendor exists to open, and under the old rule successive disputes are
    reachable)."""
    return make_instance(data_owners=1, developers=1, vendors=2, jobs=1, datasets_per_job=1,
                         vendors_per_job=2, steps=1)


def run_privacy(context: CheckContext) -> ProviderReport:
    if not context.selected(KIND):
        return ProviderReport()
    task = context.progress.task("privacy (knowledge invariants)",
                                 total=len(context.instances) + 1)
    results: list[CheckResult] = []
    for index, (name, instance) in enumerate(context.instances):
        results += knowledge_results(name, instance)
        task.update(completed=index + 1)
    mutants, section = mutant_results("privacy-mutants", privacy_mutant_instance())
    results += mutants
    task.done()
    return ProviderReport(results, section)


PROVIDERS = [CheckProvider("privacy", KIND, run_privacy)]
