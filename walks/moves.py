"""The moves parties can make in a world, honest or not, and malformed variants of them.

:func:`protocol_moves` lists, for any market of an :class:`~spec.world.Instance`, every
call a party could sensibly make next (honest or not: defective deliveries, false
complaints, fabricated transcripts, false disputes, misuse, silence; in a secret-shared
instance also tampered step records and their conviction). The model checker
explores exactly these moves; the random walks (:mod:`walks.walk`) draw from them;
:func:`adversarial_moves` adds malformed variants (wrong signer, unknown job, wrong
digest…) that must be rejected. The moves use the facts the spec states (the bisection
midpoint, the status sets, the deadline rule, the misuse artefact) instead of deriving
them again.

Everything here is pure: randomness comes in as an explicit ``random.Random``.
"""

from __future__ import annotations

import random

from spec.actions import (
    ENVIRONMENT,
    Call,
    call,
    deadline_passed,
    midpoint,
    public_fault,
    start_digest,
)
from spec.state import STAKED_STATUSES, Job, JobStatus, Market, Turn, is_terminal, misuse_artefact
from spec.transcript import divergent_transcript, honest_transcript, tampered_transcript
from spec.world import Instance, request_call, setup_calls


def fabrication_steps(instance: Instance) -> tuple[int, ...]:
    """The steps at which a fabricated transcript or record may start to be off."""
    return instance.wrong_steps or tuple(range(1, instance.steps + 1))


def transcript_choices(instance: Instance, start: int) -> list[tuple[int, ...]]:
    """The honest transcript first, then one fabricated transcript per divergence step."""
    return [honest_transcript(start, instance.steps)] + [
        divergent_transcript(start, instance.steps, wrong) for wrong in fabrication_steps(instance)]


def tampered_choices(instance: Instance, start: int) -> list[tuple[int, ...]]:
    """In a secret-shared instance, one transcript per fabrication step whose record from
    that step on carries no sender check (a sender fault); otherwise none."""
    if not instance.secret_shared:
        return []
    return [tampered_transcript(start, instance.steps, tampered)
            for tampered in fabrication_steps(instance)]


def shared_convictions(market: Market, instance: Instance, job: Job) -> list[Call]:
    """In a secret-shared instance, the developer's conviction of the vendor the public
    checks name as the job's first fault (:func:`spec.actions.public_fault`), if any."""
    found = public_fault(market, job) if instance.secret_shared else None
    if found is None or found[2] is None or found[2] in job.convicted_vendors:
        return []
    at, kind, vendor = found
    return [call("convict_shared_step", job.developer, job=job.ident, vendor=vendor, step=at,
                 check=kind)]


def protocol_moves(market: Market, instance: Instance) -> list[Call]:
    """Every sensible next call of the instance's parties, in a fixed order.

    Honest and dishonest choices alike: owners may deliver defective data, vendors may
    complain falsely or fabricate transcripts, developers may dispute falsely, anyone may
    stay silent (the clock may tick).
    """
    moves: list[Call] = []
    for template in instance.jobs:
        job = market.jobs.get(template.ident)
        if job is None:
            moves.append(request_call(instance, template))
            continue
        if job.status == JobStatus.REQUESTED:
            for dataset in job.datasets:
                if dataset in job.grants:
                    continue
                owner = instance.dataset_owner(dataset)
                commitment = market.datasets[dataset].commitment
                for delivered in (commitment, commitment + 1):
                    moves.append(call("grant_access", owner, job=job.ident, dataset=dataset,
                                      delivery_digest=delivered, key_digest=commitment * 3))
                moves.append(call("deny_access", owner, job=job.ident, dataset=dataset))
        elif job.status == JobStatus.LICENSED:
            moves += [call("accept_job", vendor, job=job.ident)
                      for vendor in job.vendors if vendor not in job.accepted]
        elif job.status == JobStatus.RUNNING:
            for vendor in job.vendors:
                if vendor not in job.confirmed:
                    moves.append(call("confirm_inputs", vendor, job=job.ident))
                    moves += [call("complain_inputs", vendor, job=job.ident, dataset=dataset)
                              for dataset in job.datasets]
                elif vendor not in job.results:
                    start = start_digest(market, job, vendor)
                    choices = transcript_choices(instance, start) + tampered_choices(instance, start)
                    moves += [call("submit_result", vendor, job=job.ident, transcript=transcript)
                              for transcript in choices]
        elif job.status == JobStatus.DELIVERED:
            moves.append(call("accept_result", job.developer, job=job.ident))
            for vendor in job.vendors:
                if vendor in job.convicted_vendors:
                    continue
                start = start_digest(market, job, vendor)
                for claim in transcript_choices(instance, start):
                    if claim[-1] != job.results[vendor][-1]:
                        moves.append(call("dispute_result", job.developer, job=job.ident,
                                          vendor=vendor, transcript=claim))
            moves += shared_convictions(market, instance, job)
        elif job.status == JobStatus.DISPUTED:
            dispute = job.dispute
            middle = midpoint(dispute)
            if dispute.turn == Turn.CLAIMANT:
                moves.append(call("bisect_query", job.developer, job=job.ident,
                                  digest=dispute.claimant_transcript[middle - 1]))
            elif dispute.turn == Turn.RESPONDENT:
                moves.append(call("bisect_answer", dispute.respondent, job=job.ident,
                                  digest=job.results[dispute.respondent][middle - 1]))
            else:
                moves.append(call("resolve_step", job.developer, job=job.ident))
        if job.status in STAKED_STATUSES:
            moves += [call("misuse_data", vendor, job=job.ident) for vendor in job.vendors
                      if misuse_artefact(job.ident, vendor) not in market.artefacts]
            owners = dict.fromkeys(instance.dataset_owner(dataset) for dataset in job.datasets)
            moves += [call("report_misuse", owner, job=job.ident, vendor=vendor)
                      for owner in owners for vendor in job.vendors
                      if misuse_artefact(job.ident, vendor) in market.artefacts]
        if not is_terminal(job) and deadline_passed(market, job):
            moves.append(call("timeout", job.developer, job=job.ident))
    if any(not deadline_passed(market, job) and job.payouts is None
           for job in market.jobs.values()):
        moves.append(call("tick", ENVIRONMENT))
    return moves


def adversarial_moves(market: Market, instance: Instance, rng: random.Random,
                      count: int = 3) -> list[Call]:
    """Malformed variants of the next protocol moves: each must be rejected or harmless.

    A variant changes one thing of a move: the signer (another party, or an unknown
    "mallory"), the job (an unknown one), a dataset or vendor (one not in the job), a
    digest or transcript (not the committed one), or an amount (zero or too small).
    """
    moves = protocol_moves(market, instance) or setup_calls(instance)
    parties = list(market.identities) + ["mallory"]
    variants = []
    for _ in range(count):
        original = rng.choice(moves)
        args = dict(original.args)
        choice = rng.randrange(5)
        actor = original.actor
        if choice == 0 or not args:
            actor = rng.choice(parties)
        elif choice == 1 and "job" in args:
            args["job"] = "job-unknown"
        elif choice == 2 and ("dataset" in args or "vendor" in args):
            key = "dataset" if "dataset" in args else "vendor"
            pool = instance.dataset_names if key == "dataset" else instance.vendor_names
            args[key] = rng.choice(list(pool) + [f"{key}-unknown"])
        elif choice == 3 and ("digest" in args or "transcript" in args):
            if "digest" in args:
                args["digest"] = args["digest"] + 1
            else:
                args["transcript"] = tuple(args["transcript"][:-1])
        else:
            for key in ("vendor_stake", "developer_bond", "owner_bond", "amount"):
                if key in args:
                    args[key] = 0
                    break
            else:
                actor = rng.choice(parties)
        variants.append(call(original.action, actor, **args))
    return variants


def move_weight(market: Market, move: Call) -> int:
    """How likely a random walk is to pick ``move``: progress is likelier than deviation,
    so that walks reach deep job states as well as every kind of ending."""
    if move.action == "grant_access":
        return 4 if move["delivery_digest"] == market.datasets[move["dataset"]].commitment else 1
    if move.action == "submit_result":
        job = market.jobs[move["job"]]
        start = start_digest(market, job, move.actor)
        return 4 if move["transcript"] == honest_transcript(start, job.steps) else 1
    if move.action in ("deny_access", "complain_inputs", "misuse_data", "report_misuse",
                       "dispute_result", "timeout", "tick"):
        return 1
    return 4
