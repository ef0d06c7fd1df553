"""``aimarket check`` kind ``privacy``: the knowledge model of the spec, its invariants on
explored instances, the finding on successive disputes, and the leaking mutants."""

import json

from aimarket.cli import main
from proofs.explore import explore
from proofs.privacy import knowledge_results, mutant_results, privacy_mutant_instance
from spec import knowledge
from spec.world import make_instance


def test_one_vendor_per_job_learns_nothing_it_should_not():
    instance = make_instance(data_owners=2, developers=2, vendors=1, jobs=2,
                             datasets_per_job=1, vendors_per_job=1, steps=1)
    results = knowledge_results("one-vendor", instance)
    assert {result.name for result in results} == {
        name for name, _, _ in knowledge.KNOWLEDGE_INVARIANTS}
    assert all(result.holds for result in results), [r.detail for r in results if not r.holds]


def test_vendors_hold_one_share_and_the_developer_opens_the_model():
    markets = explore(privacy_mutant_instance(), coverage=False).markets
    delivered = next(m for m in markets if m.model_holders)
    held = knowledge.holdings(delivered)
    job = next(iter(delivered.jobs.values()))
    for position, vendor in enumerate(job.vendors):
        assert held[(vendor, (job.ident, knowledge.MODEL))] == {position}
        assert held[(vendor, (job.ident, job.datasets[0]))] == {position}
    assert knowledge.learns(held[(job.developer, (job.ident, knowledge.MODEL))])
    assert not any(holder == knowledge.PUBLIC for holder, _ in held)


def test_one_re_execution_per_job_keeps_the_referee_to_one_view():
    """Decision 0031: a conviction by re-execution ends the job, so on the two-vendor
    instance every knowledge invariant holds, and no reachable job has re-executed two
    vendors' steps — though reaching a re-execution is possible."""
    results = {r.name: r for r in knowledge_results("two-vendors", privacy_mutant_instance())}
    assert all(result.holds for result in results.values()), [
        r.detail for r in results.values() if not r.holds]
    markets = explore(privacy_mutant_instance(), coverage=False).markets
    re_executions = [sum("pre_state" in dict(v.evidence) for v in job.verdicts)
                     for market in markets for job in market.jobs.values()]
    assert max(re_executions) == 1
    assert max(knowledge.views_opened_per_sharing(m) for m in markets) == knowledge.THRESHOLD


def test_the_old_rule_of_successive_disputes_is_caught():
    """The rule decision 0031 replaced (0008: a conviction returns the job to DELIVERED and
    the developer disputes the other vendor) is a leaking mutant: under it the referee
    reaches two vendors' views, and the check names it."""
    from proofs.mutants import applied
    from proofs.privacy import SUCCESSIVE_DISPUTES

    with applied(SUCCESSIVE_DISPUTES):
        markets = explore(privacy_mutant_instance(), coverage=False).markets
        results = {r.name: r for r in knowledge_results("old-rule", privacy_mutant_instance(), markets)}
    assert not results["developer_learns_no_data"].holds
    assert not results["openings_within_budget"].holds
    leaking = next(m for m in markets if knowledge.developer_learns_data(m))
    job = next(iter(leaking.jobs.values()))
    respondents = [dict(v.evidence)["respondent"] for v in job.verdicts
                   if "pre_state" in dict(v.evidence)]
    assert sorted(respondents) == sorted(job.vendors)  # two re-executions, two vendors
    [killed], section = mutant_results("privacy-mutants", privacy_mutant_instance())
    assert killed.holds
    assert {"developer_learns_no_data", "openings_within_budget"} <= set(
        section["privacy_mutants"]["successive_disputes"])


def test_every_leaking_mutant_is_killed():
    [result], section = mutant_results("privacy-mutants", privacy_mutant_instance())
    assert result.holds, result.detail
    assert set(section["privacy_mutants"]) >= {"plaintext_delivery", "referee_opens_second_view",
                                               "final_shares_to_vendors",
                                               "model_delivered_to_vendors", "successive_disputes"}
    assert "developer_learns_no_data" in section["privacy_mutants"]["referee_opens_second_view"]


def test_check_lists_privacy_properties(capsys):
    code = main(["check", "--instance", "data_owners=2", "--instance", "vendors=1",
                 "--instance", "developers=1", "--instance", "steps=2", "--kind", "privacy",
                 "--json", "--quiet", "--no-traces"])
    data = json.loads(capsys.readouterr().out)
    kinds = {item["kind"] for item in data["properties"]}
    assert kinds == {"privacy"} and code == 0
    assert all(item["verdict"] == "holds" for item in data["properties"])
    assert "privacy_mutants" in data


def test_privacy_is_a_default_kind():
    """`aimarket check` (and so `make check`) runs `privacy` with every other kind."""
    from aimarket.cli import build_parser
    from aimarket.commands.check import build_context

    parser = build_parser()
    default = build_context(parser.parse_args(["check", "--no-traces"]))
    assert {"privacy", "incentive"} <= default.kinds
    chosen = build_context(parser.parse_args(["check", "--kind", "privacy", "--no-traces"]))
    assert chosen.kinds == frozenset({"privacy"})


def test_a_channel_opened_on_the_ledger_is_within_t_for_the_public_alone_but_leaks():
    """Decision 0101: opening on the ledger what one vendor sent one peer (the rejected way
    to settle a mismatch) gives the public alone one point of the sender's dealt sharing —
    within t — but every vendor reads the ledger, and a third vendor pooling its own point
    holds two: ``ledger_readers_learn_nothing`` fails on a three-vendor job, and on the
    mutant instance's two-vendor job ``public_learns_nothing`` kills it."""
    from proofs.privacy import _channel_opened_on_ledger, knowledge_mutant
    from tests.spec.test_shared_conviction import convict, delivered

    market = convict(delivered(3, {0: ("sender", 2)}), "vendor1", 2, "sender").market
    [job] = market.jobs.values()
    assert job.convicted_vendors == {"vendor1"}
    assert [name for name, _, check in knowledge.KNOWLEDGE_INVARIANTS if check(market)] == []
    sharing = (job.ident, knowledge.DEALT + "vendor1")
    with knowledge_mutant("re_executed", _channel_opened_on_ledger):
        held = knowledge.holdings(market)
        assert held[(knowledge.PUBLIC, sharing)] == {1}  # vendor2's point: one, within t
        assert held[("vendor3", sharing)] == {2}
        problem = knowledge.ledger_readers_learn(market)
        assert problem == f"vendors vendor3 with the public ledger learn {sharing}"
        assert knowledge.vendor_coalitions_learn(market) is None  # vendors alone: fine
    [_], section = mutant_results("privacy-mutants", privacy_mutant_instance())
    assert "public_learns_nothing" in section["privacy_mutants"]["mismatch_opened_on_ledger"]
