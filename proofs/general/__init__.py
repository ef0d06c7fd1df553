"""Incentive guarantees for every job shape: closed-form regions in the counts of owners,
vendors and bisection rounds, the spec's stake rule in the same counts, a Z3 proof that
the rule lies inside every region for all counts, and the cross-check of the closed forms
against the exact per-shape analysis (:mod:`proofs.incentives`).

* :mod:`proofs.general.closed_form` — the regions as closed forms (one family per
  property and role or coalition composition) and the spec's rule in the counts;
* :mod:`proofs.general.theorem` — the Z3 proof for all counts, and the cross-check;
* :mod:`proofs.general.report` — the ``aimarket check`` results whose instance is
  ``"every shape"``, and the general section of ``reference/chaincode/regions.json``.
"""
