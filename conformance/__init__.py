"""Conformance: the spec's runs as portable vectors, and the harness any implementation
plugs into.

* :mod:`.semantics` — what the spec's abstract values (digests, transcripts) mean;
* :mod:`.projection` — the abstract state every implementation must reproduce;
* :mod:`.vectors` — the vector file format (ITF traces) and its reader;
* the ITF encoding of spec calls and markets is :mod:`traces.itf` (shared with the model checker);
* :mod:`.schema` — the JSON Schema of a vector file;
* :mod:`.generate`, :mod:`.corpus` — generating the corpus and its manifest;
* :mod:`.coverage` — the coverage tables and what a corpus covers;
* :mod:`.runner` — the Runner interface; :mod:`.spec_runner` (with its "ledger", :mod:`.spec_ledger`) and :mod:`.reference_runner`
  — the spec and the reference as runners;
* :mod:`.conform` — running a corpus, the consumer-side completeness check;
* :mod:`.shrink` — delta debugging of a failing vector;
* :mod:`.mutants` — mutation testing (the fault catalogue and the kill matrix);
* :mod:`.testing` — the pytest plugin and the Hypothesis state machine for third parties.

Documented in ``docs/conformance.md`` (how to run it) and ``docs/vectors.md`` (the format).
"""
