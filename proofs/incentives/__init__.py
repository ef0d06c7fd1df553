"""Incentive proofs for the marketplace game: exact regions, witnesses, counterexamples.

The marketplace game (:mod:`proofs.market_game`) comes with the honest strategy: a move
at every decision node. For that strategy each incentive property of the protocol (docs/protocol.md) is a finite
conjunction of polynomial inequalities over the parameters, computed here exactly:

* ``worst(i, n)`` — the least expected utility player ``i`` can get below node ``n`` when
  it plays honestly and every other player plays against it — is the minimum of a finite
  set of polynomials (one per choice of the others' moves; at a chance node the sets of
  the branches combine weighted by their probabilities). ``best(S, n)`` — the most the
  players of ``S`` get together when they choose freely — is likewise a maximum. Both
  are computed bottom-up, as sets of candidate polynomials with the play that yields each.
* **Truthful reporting** (property 1): at every report node of ``i`` (input report,
  acceptance or dispute, bisection moves, misuse report) the truthful branch's worst is
  at least every untruthful report branch's best — whatever the facts, whatever the
  others do. Because the branches' subtrees are disjoint, this is exactly weak dominance.
* **Dominance solvability** (property 2), the one notion proved, computed as documented:
  iterated elimination of weakly dominated moves, deepest nodes first. At every decision
  node of every player, with everyone playing honestly below it, the honest move pays its
  mover at least what every other move pays (expected over nature): silence, defective
  delivery, skipped computation, misuse, off-chain training, untruthful reports. Then the
  deepest deviations are dominated, and once the nodes below are reduced to their honest
  move the same holds one level up, so elimination leaves the honest profile. By the
  one-shot deviation principle the same conditions say that the honest profile is a
  subgame-perfect equilibrium (CheckMate's *practicality*), so that region is this one.
  This is *not* the stronger comparison "the honest move's worst against every other
  move's best" at every node (weak dominance in every subgame whatever the others do):
  that notion is proved only for reports (property 1); for the other moves it fails at
  the spec's own stakes (what a deviation gets when the others play along beats what the
  honest move guarantees against dishonest others), as the brute-force evaluator of the
  tests shows.
* **Ties.** Every comparison is ``>=``: a move that pays its mover exactly what the honest
  move pays is not eliminated. :attr:`Region.ties` lists every such move. Most are
  payoff-equivalent for every player (e.g. the developer's ``silent`` after auditing an
  honest result pays everyone what ``accept_result`` pays: the deadline's timeout accepts);
  merging payoff-equivalent moves, elimination leaves only the honest profile's outcome.
  Ties that are not payoff-equivalent for everyone are reported with their node; the
  result fails if one lies on the honest path. In every analysed shape they lie off it
  (e.g. a vendor's ``silent`` after a defective delivery, which pays that vendor what
  accepting and complaining pays, but not the owner).
* **Weak immunity** (property 3): ``worst(i, root) >= 0`` for every player, in expectation
  over nature — the notion the protocol promises. The per-outcome notion (no honest party
  loses in any realisation of the audit draws) is computed too
  (:func:`weak_immunity_per_outcome`, :attr:`Region.per_outcome`) and reported beside it
  with its region and counterexamples; it cannot hold under sampled audits: an honest
  developer whose lazy vendor goes unaudited has paid for a model it does not get
  (``-F - P >= 0`` in the one-vendor game), and an owner whose misusing vendor goes
  undetected loses W.
* **Collusion resilience** (property 4): for each coalition ``S`` the others play honestly
  and ``best(S, root)`` is at most the coalition's honest expected utility. Off-chain
  training is a side deal: a vendor holding the data may take it only in a coalition with
  the developer; every holder is offered it in turn (:mod:`proofs.market_game`).

Candidate sets multiply at chance nodes (one pick per branch), which made jobs with two
vendors intractable: over a thousand candidates at the root, under one nonlinear query.
Only the least (for ``worst``) or greatest (for ``best``) candidate matters, so after each
node a candidate that another one lies below (above) at every admissible parameter point
is dropped (:class:`Envelope`). Each such drop is proved by Z3; random admissible points
only choose which pairs are worth asking about. The region is unchanged, and the largest
candidate set of the two-vendor game has 99 members. With three vendors even the pruned
sets keep thousands of members, so beyond :data:`AUTO_LIMIT` the candidates are not
enumerated at all: :mod:`proofs.incentives.refinement` asks Z3 for a point where the property fails
and adds the condition of the play that fails there, until none is left (``analyse``'s
``method``).

Each condition is "for every pair of candidates, honest minus deviating >= 0". Conditions
implied by the game's participation constraints are dropped (Z3, exact nonlinear real
arithmetic); the rest form the exact region where the property holds (:class:`Region`),
simplified with sympy into lower bounds on stakes and bonds. Every kept condition is
shown necessary by a Z3 model violating it while satisfying the others: a counterexample
with parameter values, the deviation and both payoffs.
"""
