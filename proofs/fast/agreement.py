"""The fast explorer checked against the spec's, transition by transition.

:func:`check_agreement` explores an instance twice — with the spec explorer
(:func:`proofs.explore.explore`, time abstraction, no coverage variants) and with the fast
one — and maps every spec market to its compact state with
:func:`proofs.fast.state.encode`. They agree when:

1. the map is a bijection between the spec's classes and the fast states, numbered alike:
   spec node ``n`` maps to fast state ``n`` (both search breadth first in the move order
   of ``protocol_moves``), and equal encodings never join two spec classes; under the
   symmetry abstraction (``abstraction="symmetry"``: the spec's
   :class:`~proofs.explore_symmetry.SymmetryKeys` against
   :class:`~proofs.fast.symmetry.FastSymmetry`) node ``n``'s representative, the first
   market found in its class, maps to fast node ``n``'s representative;
2. every spec market keeps the static part of the market after setup and its jobs the
   terms of their request (:func:`proofs.fast.state.static_part`), which the compact
   state leaves out;
3. for every expanded node, the multiset of ``(move, successor)`` pairs is the same: the
   spec's accepted calls named by :func:`proofs.fast.state.label_of` with the encoding
   of the market the spec's ``step`` returned, against the fast step's labels and states
   (under the symmetry abstraction, with the number of the successor's class: the two
   keys put every successor in the same class);
4. every node fails the same properties (invariants and protocol properties by name),
   has the same stuck jobs, is partially expanded alike (misuse reduction), and both
   explorers reach the same outcomes first at the same node, with the same numbers of
   states and transitions.

The fast explorer is used only where this check has passed for the instance (the tests
run it on every instance the fast path is used for).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from proofs.explore import Exploration, explore
from proofs.fast.context import FastContext, make_context, time_keys
from proofs.fast.explorer import FastExploration, fast_explore
from proofs.fast.state import encode, job_terms, label_of, static_part
from spec.world import Instance, request_call


@dataclass
class Agreement:
    """What the comparison found: ``problems`` is empty when the explorers agree."""

    spec_states: int = 0
    fast_states: int = 0
    transitions: int = 0
    """Accepted moves compared one by one."""
    problems: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.problems


LIMIT = 20
"""Problems reported at most (the first ones, in BFS order)."""


def _note(agreement: Agreement, problem: str) -> None:
    if len(agreement.problems) < LIMIT:
        agreement.problems.append(problem)


def _names(found: list[tuple[str, str]] | None) -> list[str]:
    return sorted(name for name, _ in found or [])


def compare(spec: Exploration, fast: FastExploration, context: FastContext) -> Agreement:
    """Compare two finished explorations of one instance (see the module docstring)."""
    agreement = Agreement(spec.states, fast.count, spec.transitions)
    symmetric = fast.abstraction == "symmetry"
    if spec.abstraction != ("symmetry" if symmetric else "time"):
        _note(agreement, f"the spec explored with {spec.abstraction} abstraction, "
                         f"the fast explorer with {fast.abstraction}")
    keys = time_keys(context)
    encoded = [encode(market, context, keys) for market in spec.markets]
    if len(set(encoded)) != len(encoded):
        _note(agreement, "two spec classes have the same compact state")
    if spec.states != fast.count or fast.truncated:
        _note(agreement, f"{spec.states} spec states but {fast.count} fast states"
                         + (" (stopped)" if fast.truncated else ""))
    if spec.transitions != fast.transitions:
        _note(agreement, f"{spec.transitions} spec transitions but {fast.transitions} fast ones")
    static = static_part(context.initial)
    terms = {ctx.ident: job_terms_of(context, position) for position, ctx in enumerate(context.jobs)}
    for node, market in enumerate(spec.markets):
        if static_part(market) != static:
            _note(agreement, f"node {node}: a part the compact state leaves out changed")
        for job in market.jobs.values():
            if job_terms(job) != terms.get(job.ident):
                _note(agreement, f"node {node}: {job.ident}'s terms differ from its request's")
        number = fast.index.get(fast.key(encoded[node]))
        if number != node or fast.states[node] != encoded[node]:
            _note(agreement, f"node {node}: its compact state is fast state {number}"
                             + ("" if number != node else " but not its representative"))
            continue
        if spec.expanded[node]:
            # Under the symmetry abstraction a move's successor is named by its class:
            # equal numbers on every move mean the two keys partition alike.
            spec_edges = Counter((label_of(made), target if symmetric else encoded[target])
                                 for target, made in spec.successors[node])
            fast_edges = Counter((label, target if symmetric else fast.states[target])
                                 for target, label in fast.successors[node])
            if spec_edges != fast_edges:
                missing = sorted(str(label) for label, _ in spec_edges - fast_edges)
                extra = sorted(str(label) for label, _ in fast_edges - spec_edges)
                _note(agreement, f"node {node}: successors differ; only the spec's: "
                                 f"{missing or 'none'}; only the fast step's: {extra or 'none'}")
        if _names(spec.violations.get(node)) != _names(fast.violations.get(node)):
            _note(agreement, f"node {node}: spec fails {_names(spec.violations.get(node))}, "
                             f"fast fails {_names(fast.violations.get(node))}")
        if sorted(spec.stuck.get(node, [])) != sorted(fast.stuck.get(node, [])):
            _note(agreement, f"node {node}: stuck jobs {spec.stuck.get(node)} "
                             f"vs {fast.stuck.get(node)}")
    if spec.partial != fast.partial:
        _note(agreement, f"partially expanded nodes differ ({len(spec.partial)} vs {len(fast.partial)})")
    if spec.outcomes != fast.outcomes:
        _note(agreement, f"outcomes first reached: spec {spec.outcomes}, fast {fast.outcomes}")
    if spec.exceptions:
        _note(agreement, f"the spec raised on {len(spec.exceptions)} moves")
    return agreement


def job_terms_of(context: FastContext, position: int) -> tuple[object, ...]:
    """The terms a job record of template ``position`` must carry: the request's."""
    template = context.instance.jobs[position]
    made = request_call(context.instance, template)
    return (template.ident, made.actor, made["model"], tuple(made["datasets"]),
            tuple(made["vendors"]), made["purpose"], made["steps"], made["window"],
            made["vendor_stake"], made["developer_bond"], made["owner_bond"])


def check_agreement(instance: Instance, reduction: str = "none",
                    abstraction: str = "time") -> Agreement:
    """Explore ``instance`` with both explorers and compare them (module docstring)."""
    context = make_context(instance)
    spec = explore(instance, abstraction, coverage=False, horizon=context.horizon,
                   reduction=reduction)
    # Bounded: a wrong fast step may reach endlessly many states; stopping past the spec's
    # count is already a disagreement.
    fast = fast_explore(instance, reduction=reduction, context=context,
                        max_states=spec.states + 1, abstraction=abstraction)
    return compare(spec, fast, context)



