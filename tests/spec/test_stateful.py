"""Hypothesis drives random action sequences over several concurrent jobs; every
invariant is checked after every step."""

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from spec.invariants import violations
from spec.machine import step
from spec.world import make_instance, setup
from walks.moves import adversarial_moves, protocol_moves

INSTANCE = make_instance(data_owners=3, developers=2, vendors=3, jobs=3, datasets_per_job=2,
                         vendors_per_job=2, steps=4, vendor_capacity=2)


class MarketMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.market = setup(INSTANCE)
        self.accepted_calls = 0

    @rule(data=st.data())
    def protocol_move(self, data):
        moves = protocol_moves(self.market, INSTANCE)
        if not moves:
            return
        move = data.draw(st.sampled_from(moves), label="move")
        result = step(self.market, move)
        if result.accepted:
            self.accepted_calls += 1
        else:
            assert result.market is self.market
        self.market = result.market

    @rule(data=st.data(), seed=st.integers(0, 2**32 - 1))
    def adversarial_move(self, data, seed):
        import random
        move = adversarial_moves(self.market, INSTANCE, random.Random(seed), count=1)[0]
        before = self.market
        result = step(before, move)
        if not result.accepted:
            assert result.market is before, "a refused call changed the market"
        self.market = result.market

    @invariant()
    def every_invariant_holds(self):
        assert violations(self.market) == []


MarketMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestMarketMachine = MarketMachine.TestCase
