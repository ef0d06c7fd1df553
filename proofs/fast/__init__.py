"""A second, fast implementation of the explorer's step, checked against the spec.

The spec's explorer (:mod:`proofs.explore`) steps the spec's own actions on spec markets;
the spec, not the model checker, caps it near 12,000 states per second. This package
explores the same graph with the time abstraction built in:

* :mod:`proofs.fast.context` — what an instance fixes once: parties, job templates,
  prices, stakes, start digests, indices;
* :mod:`proofs.fast.state` — the compact state (small tuples, times coded relative to
  ``now`` as :mod:`proofs.explore_time` codes them) and :func:`~proofs.fast.state.encode`,
  the map from a spec market to it;
* :mod:`proofs.fast.step` — successor generation specialised per action: the protocol
  moves of :func:`walks.moves.protocol_moves`, the guards and the effects of
  :mod:`spec.actions`, fused and written again on the compact state;
* :mod:`proofs.fast.checks` — the invariants, protocol properties, outcomes and stuck jobs;
* :mod:`proofs.fast.explorer` — the breadth-first search;
* :mod:`proofs.fast.agreement` — the check that the fast explorer agrees with the spec's,
  transition by transition.

The fast path is a copy of the rules and can drift from them; it is trusted only where
:func:`proofs.fast.agreement.check_agreement` has compared it with the spec on every
explored transition of the instance (``tests/proofs/test_fast_agreement.py``). It never
sees a mutated spec: mutants (:mod:`proofs.mutants`) always run on the spec's explorer.
"""
