"""How jobs end: who is convicted, who is paid what, and the utilities that follow."""

from fractions import Fraction
from typing import Any

from spec import examples as ex
from spec.actions import call
from spec.base import FrozenMap
from spec.invariants import outcome_of, violations
from spec.params import bisection_rounds, minimum_stakes, stake_requirements
from spec.payoffs import offchain_training_value, utilities
from spec.machine import step
from spec.rejections import Rejection as R
from spec.state import Job, JobStatus, Offence

STAKE, DEV_BOND, OWNER_BOND = ex.WORLD.stakes(ex.JOB)
PRICE, FEE, COST, MISUSE, G = (ex.WORLD.price, ex.WORLD.fee, ex.WORLD.cost,
                               ex.WORLD.misuse_value, ex.WORLD.dispute_cost)
V = 100


def finish(story, *calls):
    market = story.then(*calls).market()
    assert violations(market) == []
    return market, market.jobs["job1"]


def payouts(job: Job) -> dict[str, Any]:
    totals: dict[str, Any] = {}
    assert job.payouts is not None
    for account, amount in job.payouts:
        totals[account] = totals.get(account, 0) + amount
    return totals


def test_honest_job_settles_and_pays_everyone():
    market, job = finish(ex.DELIVERED, call("accept_result", "dev1", job="job1"))
    assert outcome_of(job) == "SETTLED"
    assert payouts(job) == {"owner1": PRICE + OWNER_BOND, "owner2": PRICE + OWNER_BOND,
                            "vendor1": FEE + STAKE, "vendor2": FEE + STAKE, "dev1": DEV_BOND}
    assert ("job1", "dev1") in market.model_holders
    assert utilities(market, job, V) == {"dev1": V - 2 * PRICE - 2 * FEE, "owner1": PRICE,
                                         "owner2": PRICE, "vendor1": FEE - COST,
                                         "vendor2": FEE - COST}


def test_lazy_vendor_is_convicted_through_bisection():
    market, job = finish(ex.NARROWED, call("resolve_step", "owner2", job="job1"))
    # the conviction ends the job: one re-execution per job (decision 0031)
    assert job.status == JobStatus.RESOLVED and job.convicted_vendors == {"vendor1"}
    assert outcome_of(job) == "RESOLVED:WRONG_COMPUTATION"
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("vendor1", Offence.WRONG_COMPUTATION)]
    assert dict(job.verdicts[0].evidence)["step"] == 3
    assert job.dispute.rounds == 2 <= bisection_rounds(job.steps)
    assert payouts(job) == {"owner1": PRICE + OWNER_BOND, "owner2": PRICE + OWNER_BOND,
                            "vendor2": FEE + STAKE, "dev1": DEV_BOND + FEE + STAKE}
    assert ("job1", "dev1") not in market.model_holders
    utility = utilities(market, job, V)
    assert job.dispute.answers == 2
    assert utility["vendor1"] == -STAKE                  # saved its compute cost, lost its stake
    assert utility["dev1"] == STAKE - 2 * PRICE - FEE - G * (2 + 1)


def test_two_lazy_vendors_one_re_execution():
    """Decision 0031: the first conviction by re-execution ends the job, so a second lazy
    vendor is not examined and is paid (the cost the decision records); a second dispute
    is refused."""
    story = ex.CONFIRMED.then(ex.submit("vendor1", ex.lazy("vendor1", 1)),
                              ex.submit("vendor2", ex.lazy("vendor2", 1)))
    claim = ex.honest("vendor2")
    story = story.then(call("dispute_result", "dev1", job="job1", vendor="vendor2", transcript=claim),
                       call("bisect_query", "dev1", job="job1", digest=claim[1]),
                       call("bisect_answer", "vendor2", job="job1", digest=ex.lazy("vendor2", 1)[1]),
                       call("bisect_query", "dev1", job="job1", digest=claim[0]),
                       call("bisect_answer", "vendor2", job="job1", digest=ex.lazy("vendor2", 1)[0]))
    market, job = finish(story, call("resolve_step", "owner1", job="job1"))
    assert job.convicted_vendors == {"vendor2"} and outcome_of(job) == "RESOLVED:WRONG_COMPUTATION"
    assert payouts(job)["dev1"] == DEV_BOND + FEE + STAKE
    assert payouts(job)["vendor1"] == FEE + STAKE
    assert ("job1", "dev1") not in market.model_holders
    second = call("dispute_result", "dev1", job="job1", vendor="vendor1", transcript=ex.honest("vendor1"))
    assert step(market, second).rejection == R.WRONG_STATUS


def test_unresolved_narrowed_step_convicts_the_claimant():
    market, job = finish(ex.NARROWED.then(ex.TICK, ex.TICK), call("timeout", "owner1", job="job1"))
    assert outcome_of(job) == "RESOLVED:MISSED_DEADLINE"
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("dev1", Offence.MISSED_DEADLINE)]
    assert payouts(job)["vendor1"] == FEE + STAKE + 2 * G


def test_a_silent_respondent_cannot_be_convicted_by_silence():
    story = ex.QUERIED.then(ex.TICK, ex.TICK, call("timeout", "owner1", job="job1"))
    job = story.market().jobs["job1"]
    assert job.status == JobStatus.DISPUTED and job.verdicts == ()
    assert job.dispute is not None
    assert (job.dispute.rounds, job.dispute.answers) == (1, 0)
    # the claimant goes on and the re-execution still convicts the lazy vendor
    claim = ex.honest("vendor1")
    story = story.then(call("bisect_query", "dev1", job="job1", digest=claim[2]),
                       ex.TICK, ex.TICK, call("timeout", "owner1", job="job1"))
    market, job = finish(story, call("resolve_step", "dev1", job="job1"))
    assert outcome_of(job) == "RESOLVED:WRONG_COMPUTATION" and job.dispute.answers == 0


def test_false_dispute_is_resolved_against_the_developer():
    story = ex.FALSE_DISPUTE.then(
        call("bisect_query", "dev1", job="job1", digest=ex.lazy("vendor1", 1)[1]),
        call("bisect_answer", "vendor1", job="job1", digest=ex.honest("vendor1")[1]),
        call("bisect_query", "dev1", job="job1", digest=ex.lazy("vendor1", 1)[0]),
        call("bisect_answer", "vendor1", job="job1", digest=ex.honest("vendor1")[0]))
    market, job = finish(story, call("resolve_step", "vendor2", job="job1"))
    assert outcome_of(job) == "RESOLVED:FALSE_DISPUTE"
    compensation = G * job.dispute.answers
    paid = payouts(job)
    assert paid["vendor1"] == FEE + STAKE + compensation
    assert paid["treasury"] == DEV_BOND - compensation
    assert "dev1" not in paid
    assert ("job1", "dev1") in market.model_holders


def test_false_complaint_pays_owners_from_the_vendor_stake():
    market, job = finish(ex.RUNNING, call("complain_inputs", "vendor1", job="job1", dataset="data1"))
    assert outcome_of(job) == "RESOLVED:FALSE_COMPLAINT"
    paid = payouts(job)
    assert paid["dev1"] == 2 * PRICE + 2 * FEE + DEV_BOND          # full refund
    assert paid["owner1"] == paid["owner2"] == OWNER_BOND + PRICE
    assert paid["treasury"] == STAKE - 2 * PRICE
    assert "vendor1" not in paid and paid["vendor2"] == STAKE
    options = offchain_training_value(market, job, V)
    # each vendor trains its own part: the whole model, trained off-chain, costs both parts
    assert options == {"vendor1": V - 2 * COST, "vendor2": V - 2 * COST}


def test_defective_inputs_convict_the_owner():
    story = ex.LICENSED_DEFECTIVE.then(ex.ACCEPT["vendor1"], ex.ACCEPT["vendor2"])
    market, job = finish(story, call("complain_inputs", "vendor2", job="job1", dataset="data1"))
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("owner1", Offence.DEFECTIVE_INPUTS)]
    paid = payouts(job)
    assert "owner1" not in paid and paid["vendor2"] == STAKE + G
    assert paid["owner2"] == OWNER_BOND + PRICE        # its data was released: it is paid
    assert paid["treasury"] == OWNER_BOND - G - PRICE


def test_silent_vendors_time_out_and_the_developer_takes_their_stakes():
    market, job = finish(ex.RUNNING.then(ex.TICK, ex.TICK), call("timeout", "owner1", job="job1"))
    assert outcome_of(job) == "RESOLVED:MISSED_DEADLINE"
    assert {v.convicted for v in job.verdicts} == {"vendor1", "vendor2"}
    assert payouts(job)["dev1"] == DEV_BOND + 2 * (FEE + STAKE)


def test_silent_developer_accepts():
    market, job = finish(ex.DELIVERED.then(ex.TICK, ex.TICK), call("timeout", "vendor1", job="job1"))
    assert outcome_of(job) == "SETTLED"


def test_expiry_before_data_release_refunds_everyone():
    market, job = finish(ex.LICENSED.then(ex.ACCEPT["vendor1"], ex.TICK, ex.TICK),
                         call("timeout", "vendor1", job="job1"))
    assert outcome_of(job) == "EXPIRED"
    assert payouts(job) == dict(job.deposits)
    assert not any(holder[0] == "job1" for holder in market.data_holders)


def test_misuse_pays_every_owner_its_compensation_first():
    market, job = finish(ex.MISUSED, call("report_misuse", "owner2", job="job1", vendor="vendor1"))
    assert outcome_of(job) == "RESOLVED:DATA_MISUSE"
    paid = payouts(job)
    compensation = MISUSE / ex.WORLD.audit_probability   # W / q: whole in expectation
    assert paid["owner1"] == PRICE + OWNER_BOND + compensation
    assert paid["dev1"] == DEV_BOND + FEE + STAKE - 2 * compensation
    utility = utilities(market, job, V)
    assert utility["owner1"] == PRICE + compensation - MISUSE
    assert utility["vendor1"] == -STAKE - COST * 0 + 2 * MISUSE - FEE * 0


def test_minimum_stakes_meet_every_requirement_and_one_less_does_not():
    args: dict[str, Any] = dict(prices=[2, 2], fees=[1, 1], costs=[1, 1], misuse_values=[1, 1],
                audit_probability=Fraction(1, 2), dispute_cost=1, steps=4)
    stake, developer_bond, owner_bond = minimum_stakes(**args)
    meets = stake_requirements(**args, vendor_stake=stake, developer_bond=developer_bond,
                               owner_bond=owner_bond)
    assert all(requirement.holds() for requirement in meets)
    below = stake_requirements(**args, vendor_stake=stake - 1, developer_bond=developer_bond - 1,
                               owner_bond=owner_bond - 1)
    assert {r.code.value for r in below if not r.holds()} == {"STAKE_BELOW_MINIMUM", "BOND_BELOW_MINIMUM"}


def test_frozen_map_is_a_value():
    first = FrozenMap({"b": 1, "a": 2})
    second = FrozenMap({"a": 2}).with_item("b", 1)
    assert first == second and hash(first) == hash(second) and list(first) == ["a", "b"]
    assert first.with_item("a", 3)["a"] == 3 and first["a"] == 2
    assert first.without("a") == FrozenMap({"b": 1})
    assert JobStatus.SETTLED.value == "SETTLED"


def test_a_vendor_that_confirmed_is_not_convicted_for_another_vendors_silence():
    market, job = finish(ex.RUNNING, ex.CONFIRM["vendor1"], ex.TICK, ex.TICK,
                         call("timeout", "owner1", job="job1"))
    assert outcome_of(job) == "RESOLVED:MISSED_DEADLINE"
    assert [(v.convicted, v.offence) for v in job.verdicts] == [("vendor2", Offence.MISSED_DEADLINE)]
    paid = payouts(job)
    assert paid["vendor1"] == FEE + STAKE and "vendor2" not in paid
    assert utilities(market, job, V)["vendor1"] == FEE     # it never had to compute


def test_after_a_silent_vendor_the_submitted_results_face_the_developers_audit():
    fell_silent = ex.CONFIRMED.then(ex.submit("vendor1", ex.lazy("vendor1")), ex.TICK, ex.TICK,
                                    call("timeout", "owner1", job="job1"))
    market, job = finish(fell_silent)
    assert job.status == JobStatus.DELIVERED and job.convicted_vendors == {"vendor2"}
    # the developer may dispute the lazy result as after any delivery ...
    dispute = call("dispute_result", "dev1", job="job1", vendor="vendor1",
                   transcript=ex.honest("vendor1"))
    market, job = finish(fell_silent, dispute)
    assert job.status == JobStatus.DISPUTED
    # ... or accept what remains: no model, the silent vendor's stake and fee compensate it
    market, job = finish(fell_silent, call("accept_result", "dev1", job="job1"))
    assert outcome_of(job) == "RESOLVED:MISSED_DEADLINE"
    assert ("job1", "dev1") not in market.model_holders
    paid = payouts(job)
    assert paid["vendor1"] == FEE + STAKE and paid["dev1"] == DEV_BOND + FEE + STAKE
