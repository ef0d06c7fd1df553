"""Every action accepted at least once and refused once for each of its codes."""

import pytest

from spec.actions import CATALOGUE
from spec.examples import WORLD, examples
from spec.invariants import violations
from spec.machine import step
from spec.state import genesis

EXAMPLES = examples()


def run_to_last(example):
    market = genesis(WORLD.dispute_cost, WORLD.audit_probability)
    for index, each in enumerate(example.calls[:-1]):
        result = step(market, each)
        assert result.accepted, f"{example.name}: step {index} {each.action} refused {result.rejection}"
        market = result.market
    return market, step(market, example.calls[-1])


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_example_outcome(example):
    market, result = run_to_last(example)
    assert result.rejection == example.expected
    if result.accepted:
        assert violations(result.market) == []
    else:
        assert result.market is market, "a refused call must leave the market unchanged"


def test_every_action_and_code_has_an_example():
    covered = {(example.action, example.expected) for example in EXAMPLES}
    wanted = {(action.name, code) for action in CATALOGUE.values()
              for code in (None, *action.rejections)}
    assert wanted - covered == set()
    assert covered - wanted == set(), "an example expects a code its action does not list"


def test_protocol_actions_are_all_in_the_catalogue():
    named_in_protocol = {
        "register_identity", "fund", "register_dataset", "register_model", "register_vendor",
        "request_training", "grant_access", "deny_access", "accept_job", "confirm_inputs",
        "complain_inputs", "submit_result", "accept_result", "dispute_result", "bisect_query",
        "bisect_answer", "resolve_step", "report_misuse", "timeout"}
    assert named_in_protocol <= set(CATALOGUE)
