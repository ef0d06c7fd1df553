"""The spec runners' "ledger": whose signature a call carries and when two calls in one
block conflict. Kept apart from :mod:`conformance.spec_runner` so that the mutation tests
(:mod:`conformance.mutants`) can disable them without importing the runner that lists
those mutants; the runners call them through this module, so a patch here takes effect.
"""

from __future__ import annotations

from conformance.vectors import VectorCall
from spec.machine import Step


def signer_of(call: VectorCall) -> str:
    """The identity whose signature the call carries. A forged call presents another
    identity's credentials but is signed by its actual (unregistered) signer."""
    return call.actor


def read_conflict(first: Step, second_on_old_state: Step) -> bool:
    """Whether the second of two calls in one block read something the first wrote.

    The spec does not track read sets, so the check is conservative: an accepted first
    call may have written anything the second one read.
    """
    return first.accepted
