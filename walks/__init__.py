"""Beside the spec, not part of it: the moves parties can make in a small world
(:mod:`walks.moves`) and random walks through it (:mod:`walks.walk`). The model checker,
the simulator, the conformance generator and the tests use them; the rules they exercise
are in :mod:`spec`."""
