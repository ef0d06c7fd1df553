"""Time attacks: forged timestamps (backdated, postdated, skewed) and late broadcasts.
"""

from __future__ import annotations

from reference.attacks.arena import (
    SKEW_REFUSAL,
    Arena,
    on_network,
    stamped,
    try_held_back,
    try_refused,
    verdict_of_refusal,
    with_status_named,
)
from reference.clients.world import MISUSE_VALUE, PRICE, PURPOSE, small_parts
from reference.ledger import TxValidationCode


def backdated_request_with_an_expired_licence(arena: Arena) -> None:
    world = arena.world
    owner = world.owners["owner1"]
    expiry = arena.clock.now() + 10
    world.must(owner.register_dataset("data-expiring", small_parts()[0], price=PRICE,
                                      misuse_value=MISUSE_VALUE, purposes=[PURPOSE],
                                      expiry=expiry, max_uses=5))
    arena.clock.advance(100)
    developer = world.developers["dev1"]
    before = world.snapshot()
    with stamped(on_network(developer.gateway), expiry - arena.clock.now()):
        outcome = with_status_named(world.request("job-expired", datasets=("data-expiring",),
                                             vendors=("vendor3",)))
    verdict_of_refusal(outcome, before, world.snapshot(), SKEW_REFUSAL)


def postdated_timeout_by_the_developer(arena: Arena) -> None:
    job_id = arena.new_job("RUNNING")
    job = arena.world.job(job_id)
    developer = on_network(arena.world.developers["dev1"].gateway)
    early = job.deadline + 1 - arena.clock.now()  # the attack: 100 s early
    try_refused(arena, developer, "timeout", {"job": job_id}, SKEW_REFUSAL, offset=early)


def postdated_timeout_by_a_lazy_vendor(arena: Arena) -> None:
    world = arena.world
    job_id = arena.new_job("CONFIRMED")
    lazy = world.job(job_id).vendors[1]
    world.vendors[lazy].plan_lazy(job_id, 1)  # its transcript is garbage from step 1
    world.submit_all(job_id)
    job = world.job(job_id)
    try_refused(arena, on_network(world.vendors[lazy].gateway), "timeout", {"job": job_id}, SKEW_REFUSAL,
         offset=job.deadline + 1 - arena.clock.now())


def backdated_submit_after_the_deadline(arena: Arena) -> None:
    world = arena.world
    job_id = arena.new_job("CONFIRMED", vendors=1)
    job = world.job(job_id)
    vendor = world.vendors[job.vendors[0]]
    vendor.train(job_id)
    arena.advance_to(job.deadline + 50)  # 50 s late, signed as if in time
    before = world.snapshot()
    with stamped(on_network(vendor.gateway), job.deadline - arena.clock.now()):
        outcome = with_status_named(vendor.submit(job_id))
    verdict_of_refusal(outcome, before, world.snapshot(), SKEW_REFUSAL)


def skewed_clock_timeout_inside_the_tolerance(arena: Arena) -> None:
    """A timeout stamped ahead by less than the skew, so endorsement lets it through and
    the chaincode sees the deadline passed; the block time says otherwise."""
    job_id = arena.new_job("DELIVERED")
    job = arena.world.job(job_id)
    arena.advance_to(job.deadline - arena.skew // 3)
    developer = on_network(arena.world.developers["dev1"].gateway)
    try_refused(arena, developer, "timeout", {"job": job_id},
         TxValidationCode.TIME_BOUND_VIOLATED.name, offset=arena.skew // 3 * 2)


def late_broadcast_of_a_move_endorsed_in_time(arena: Arena) -> None:
    job_id = arena.new_job("DELIVERED")
    job = arena.world.job(job_id)
    arena.advance_to(job.deadline - 5)
    developer = on_network(arena.world.developers["dev1"].gateway)
    try_held_back(arena, developer, "accept_result", {"job": job_id}, hold=10,
          expected=TxValidationCode.TIME_BOUND_VIOLATED.name)


def late_broadcast_beyond_the_skew(arena: Arena) -> None:
    job_id = arena.new_job("RUNNING")
    vendor = on_network(arena.world.vendors[arena.world.job(job_id).vendors[0]].gateway)
    try_held_back(arena, vendor, "confirm_inputs", {"job": job_id}, hold=arena.skew + 5,
          expected=TxValidationCode.BAD_TIMESTAMP.name)
