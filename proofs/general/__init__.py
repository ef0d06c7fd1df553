"""Incentive guarantees for every job shape.

**Statement.** For all n >= 1 data owners, m >= 1 vendors and T >= 2 training steps, the
spec's stake rule (``spec.params.stake_requirements``) lies inside the region of each
property: truthful reporting for every role, dominance solvability, weak immunity (in
expectation over nature, the notion the protocol promises) for every role, and collusion
resilience for every coalition, by its composition (developer in or not, j owners, k
vendors). Per outcome of nature, weak immunity fails for the developer and the owners
from the smallest shape on (1 owner, 1 vendor, T = 2), and holds for vendors.

**Method.** Players of one role are exchangeable in the market game (one price per
dataset, one fee and cost per vendor; the spec treats them alike), so every region is a
closed form in the counts n, m, R = ceil(log2 T) and, for a coalition, j and k
(:mod:`proofs.general.closed_form`). Z3 proves, with the counts as real variables, that
participation and the spec's rule imply every closed form (:mod:`proofs.general.theorem`).

**What the machine checks.**

* the theorem above, one Z3 query per property and subject class (unsatisfiable: proved;
  satisfiable: the smallest whole-number shape where the rule leaves the region, with a
  point — as for the per-outcome notion);
* that the closed form of the spec's rule is the spec's own function, on a grid of counts
  (tests);
* the **cross-check**: on every shape the per-shape analysis reaches (1-3 owners, 1-3
  vendors, T = 2, 4, 8), each exact region — promised and per outcome — is equivalent to
  its closed form (Z3, both implications, under participation), and the intersection of
  the shape's regions to the general region the chaincode enforces
  (:mod:`proofs.general.export`); any disagreement fails ``aimarket check``;
* the **derivation** (:mod:`proofs.general.interpolation`): at every analysed subject the
  exact conditions are the closed form's, condition by condition, and each closed form is
  the only region whose coefficients are polynomials of the stated degree in the counts
  (two for ten of the twelve promised families, one for two) that agrees with the analysed
  shapes — interpolated from the exact conditions, spare points agreeing.

* the **count game** (:mod:`proofs.general.count_game`, :mod:`proofs.general.count_proof`):
  for every role's truthful reporting and weak immunity, the game written for symbolic
  counts from that role's view gives, by Z3-proved lemmas, a region equal to the closed
  form for all counts, and equals the exact region on every analysed shape.

**What it does not check.** For the families the count game does not cover (dominance
solvability, coalitions): that beyond the analysed shapes the regions keep their
conditions with coefficients of at most that degree in the counts: the premise of the
derivation, assumed, not derived from a game with symbolic counts. Ties on the honest
path (dominance solvability) are checked per analysed shape only.

* :mod:`proofs.general.closed_form` — the regions as closed forms and the spec's rule in
  the counts;
* :mod:`proofs.general.theorem` — the Z3 proof for all counts, and the cross-check;
* :mod:`proofs.general.interpolation` — the closed forms derived from the analysed shapes;
* :mod:`proofs.general.count_game`, :mod:`proofs.general.count_proof` — the game with
  symbolic counts and the regions it gives for all counts;
* :mod:`proofs.general.export` — the general region of ``reference/chaincode/regions.json``;
* :mod:`proofs.general.report` — the ``aimarket check`` results whose instance is
  ``"every shape"``.
"""
