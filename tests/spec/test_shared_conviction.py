"""``convict_shared_step`` beyond the worked examples' two-vendor job: a state fault is
named only in a job of at least 3t + 1 vendors and opens the named vendor's view to the
referee (one view: the conviction ends the job); a sender fault opens nothing; two faults
at the first faulty step name nobody (decision 0081)."""

from __future__ import annotations

from spec.actions import call, public_fault, start_digest
from spec.invariants import violations
from spec.knowledge import KNOWLEDGE_INVARIANTS, MODEL, holdings, views_opened_per_sharing
from spec.machine import Step, step
from spec.rejections import Rejection
from spec.state import JobStatus, Market
from spec.transcript import divergent_transcript, honest_transcript, tampered_transcript
from spec.world import commitment_of, make_instance, request_call, setup

STEPS = 4


def delivered(vendors: int, faults: dict[int, tuple[str, int]]) -> Market:
    """One job of ``vendors`` vendors brought to DELIVERED; ``faults`` maps a vendor's
    position to ``("state" | "sender", first faulty step)``."""
    instance = make_instance(vendors=vendors, vendors_per_job=vendors, steps=STEPS)
    [template] = instance.jobs
    market = setup(instance)
    calls = [request_call(instance, template)]
    for dataset in template.datasets:
        owner = "owner" + dataset.removeprefix("data")
        calls.append(call("grant_access", owner, job=template.ident, dataset=dataset,
                          delivery_digest=commitment_of(dataset),
                          key_digest=commitment_of(dataset) * 3))
    calls += [call("accept_job", vendor, job=template.ident) for vendor in template.vendors]
    calls += [call("confirm_inputs", vendor, job=template.ident) for vendor in template.vendors]
    for made in calls:
        result = step(market, made)
        assert result.accepted, (made, result.rejection)
        market = result.market
    job = market.jobs[template.ident]
    for position, vendor in enumerate(template.vendors):
        start = start_digest(market, job, vendor)
        kind, at = faults.get(position, ("honest", 0))
        transcript = (honest_transcript(start, STEPS) if kind == "honest" else
                      divergent_transcript(start, STEPS, at) if kind == "state" else
                      tampered_transcript(start, STEPS, at))
        result = step(market, call("submit_result", vendor, job=template.ident,
                                   transcript=transcript))
        assert result.accepted, result.rejection
        market = result.market
    assert market.jobs[template.ident].status == JobStatus.DELIVERED
    return market


def data_shares_of_developer(market: Market) -> set[frozenset[int]]:
    """The shares of datasets the job's developer holds (as referee: one view at most)."""
    [job] = market.jobs.values()
    return {indices for (holder, sharing), indices in holdings(market).items()
            if holder == job.developer and sharing[1] != MODEL}


def convict(market: Market, vendor: str, at: int, check: str) -> Step:
    job = next(iter(market.jobs.values()))
    return step(market, call("convict_shared_step", job.developer, job=job.ident,
                             vendor=vendor, step=at, check=check))


def test_a_state_fault_with_four_vendors_convicts_and_opens_one_view() -> None:
    market = delivered(4, {2: ("state", 3)})
    assert data_shares_of_developer(market) == set()
    result = convict(market, "vendor3", 3, "state")
    assert result.accepted and violations(result.market) == []
    [job] = result.market.jobs.values()
    assert job.status == JobStatus.RESOLVED and job.convicted_vendors == {"vendor3"}
    assert views_opened_per_sharing(result.market) == 1
    # the referee holds vendor3's share of each dataset, no more
    assert data_shares_of_developer(result.market) == {frozenset({2})}
    assert [name for name, _, check in KNOWLEDGE_INVARIANTS if check(result.market)] == []
    # the named vendor only, the faulty step only, the kind of its fault only
    for vendor, at, check in (("vendor2", 3, "state"), ("vendor3", 2, "state"),
                              ("vendor3", 3, "sender")):
        assert convict(market, vendor, at, check).rejection == Rejection.NO_PUBLIC_FAULT


def test_a_state_fault_with_three_vendors_names_nobody() -> None:
    market = delivered(3, {1: ("state", 2)})
    assert public_fault(market, next(iter(market.jobs.values()))) == (2, "state", None)
    assert convict(market, "vendor2", 2, "state").rejection == Rejection.NO_PUBLIC_FAULT


def test_a_sender_fault_opens_nothing_and_names_the_first_sender() -> None:
    market = delivered(2, {0: ("sender", 2), 1: ("sender", 2)})
    assert convict(market, "vendor2", 2, "sender").rejection == Rejection.NO_PUBLIC_FAULT
    result = convict(market, "vendor1", 2, "sender")
    assert result.accepted and violations(result.market) == []
    assert data_shares_of_developer(result.market) == set()


def test_two_state_faults_at_the_first_faulty_step_name_nobody() -> None:
    market = delivered(4, {0: ("state", 1), 3: ("state", 1)})
    assert public_fault(market, next(iter(market.jobs.values()))) == (1, "state", None)


def test_an_honest_job_shows_no_fault() -> None:
    market = delivered(4, {})
    assert public_fault(market, next(iter(market.jobs.values()))) is None
    for vendor in ("vendor1", "vendor4"):
        for check in ("state", "sender"):
            assert convict(market, vendor, 1, check).rejection == Rejection.NO_PUBLIC_FAULT
