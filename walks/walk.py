"""Random walks through a world: the simulator's runs and the walk vectors."""

from __future__ import annotations

import random
from collections.abc import Iterator

from spec.actions import ENVIRONMENT, call
from spec.machine import Step, step
from spec.state import TREASURY, genesis
from spec.world import Instance, JobTemplate, nth_job, setup_calls
from walks.moves import adversarial_moves, move_weight, protocol_moves


def random_walk(instance: Instance, rng: random.Random, steps: int, concurrency: int = 3,
                adversarial_rate: float = 0.15) -> Iterator[Step]:
    """Yield ``steps`` :class:`~spec.machine.Step` results of a random walk from setup.

    The walk keeps up to ``concurrency`` jobs open at once: whenever fewer are open it
    adds a new job template (round-robin over the parties), funds the parties it needs
    with treasury ``fund`` calls, and lets its developer request it. A share
    ``adversarial_rate`` of the calls are malformed variants that must be rejected.
    """
    market = genesis(instance.dispute_cost, instance.audit_probability)
    pending = list(setup_calls(Instance(**{**instance.__dict__, "jobs": ()})))
    templates: list[JobTemplate] = []
    done = 0
    while done < steps:
        if not pending:
            open_jobs = [job for job in market.jobs.values() if job.payouts is None]
            unrequested = [template for template in templates if template.ident not in market.jobs]
            if len(open_jobs) + len(unrequested) < concurrency:
                template = nth_job(instance, len(templates), min(2, instance.data_owners),
                                   min(2, instance.vendors))
                templates.append(template)
                single = Instance(**{**instance.__dict__, "jobs": (template,)})
                pending = [call("fund", TREASURY, recipient=party,
                                amount=amount - market.balances[party])
                           for party, amount in sorted(single.funding().items())
                           if market.balances[party] < amount]
        if pending:
            move = pending.pop(0)
        else:
            live = tuple(template for template in templates
                         if template.ident not in market.jobs
                         or market.jobs[template.ident].payouts is None)
            current = Instance(**{**instance.__dict__, "jobs": live})
            if rng.random() < adversarial_rate:
                move = rng.choice(adversarial_moves(market, current, rng, count=1))
            else:
                moves = protocol_moves(market, current)
                if not moves:
                    moves = [call("tick", ENVIRONMENT)]
                move = rng.choices(moves, weights=[move_weight(market, m) for m in moves])[0]
        result = step(market, move)
        market = result.market
        done += 1
        yield result
