"""One mutation framework for the whole project: a :class:`~mutation.patching.Mutant` is a
named, deliberate fault made of :class:`~mutation.patching.Patch` es, and
:func:`~mutation.patching.applied` puts it in force for a ``with`` block and restores
everything after. The spec-level mutants (:mod:`proofs.mutants`, killed by the model
checker), the conformance suite's mutants of the spec runners
(:mod:`conformance.mutants`) and of the reference (:mod:`conformance.reference_runner`)
are all built on it."""
