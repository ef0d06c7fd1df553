"""Traces of the protocol, in the format both the checkers and the conformance suite use.

* :mod:`.itf` — the ITF encoding (Informal Trace Format of Apalache/Quint) of markets,
  calls and runs: what counterexamples (:mod:`proofs`) and conformance vectors
  (:mod:`conformance`) are written in. It builds on :mod:`spec` only, so both layers
  above can use it without importing each other.
"""
