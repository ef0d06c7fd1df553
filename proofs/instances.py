"""The instances ``aimarket check`` explores and proves by default, and the default context
that names them."""

from __future__ import annotations

from proofs.results import CheckContext
from spec.world import Instance, make_instance


def default_instance() -> Instance:
    """The main instance: one job over two datasets and two vendors, two training steps
    (bisection has a round), idle parties of every role (a third owner, a second
    developer, a third vendor) so that "not a party of this job" can be tried, and
    single-use licences so that a second request finds them exhausted."""
    return make_instance(data_owners=3, developers=2, vendors=3, jobs=1, datasets_per_job=2,
                         vendors_per_job=2, steps=2, window=1, licence_uses=1)


def shared_vendor_instance() -> Instance:
    """Two concurrent jobs of two developers sharing one vendor of capacity one."""
    return make_instance(data_owners=2, developers=2, vendors=1, jobs=2, datasets_per_job=1,
                         vendors_per_job=1, steps=1, vendor_capacity=1)


def shared_licence_instance() -> Instance:
    """Two concurrent jobs sharing one dataset whose licence has a single use and expires
    at time 0 (a request after the first tick finds it expired)."""
    return make_instance(data_owners=1, developers=2, vendors=2, jobs=2, datasets_per_job=1,
                         vendors_per_job=1, steps=1, licence_uses=1, licence_expiry=0)


def secret_shared_instance() -> Instance:
    """One secret-shared job over one dataset with two vendors, one training step: a vendor
    may also commit a record without sender checks, which the public checks name and the
    developer convicts with ``convict_shared_step`` (decision 0102). Two vendors name a
    sender fault only; a state fault needs 3t + 1 = 4, which the worked examples show."""
    return make_instance(data_owners=1, developers=1, vendors=2, jobs=1, datasets_per_job=1,
                         vendors_per_job=2, steps=1, secret_shared=True)


def abstraction_for(instance: Instance, requested: str) -> str:
    """The abstraction ``instance`` is explored with: the one requested, but the time
    abstraction alone where symmetry was asked for a secret-shared instance. There the
    order of a job's vendors matters beyond their digests — when several vendors commit a
    sender fault at the same step, ``public_fault`` names the first in the job's order —
    which the symmetry reduction's encoding forgets (its first fact), so two markets that
    differ by a swap of such vendors would share a class and convict different vendors
    (decision 0102). The time abstraction is checked sound on that instance too."""
    return "time" if instance.secret_shared and requested == "symmetry" else requested


def concurrent_instance() -> Instance:
    """Three owners, three vendors, two concurrent jobs of two developers sharing a vendor
    and a dataset (job1: data1, data2 by vendor1, vendor2; job2: data2, data3 by vendor2,
    vendor3), one training step. Checked in full with the misuse reduction (decision
    0056) by ``make check-large``, not by ``make check``."""
    return make_instance(data_owners=3, developers=2, vendors=3, jobs=2, datasets_per_job=2,
                         vendors_per_job=2, steps=1)


def proof_instance() -> Instance:
    """The inductive proof's main instance: one job, one dataset, two vendors (a silent
    vendor convicted, then a dispute of the other), two training steps."""
    return make_instance(data_owners=1, developers=1, vendors=2, jobs=1, datasets_per_job=1,
                         vendors_per_job=2, steps=2)


def soundness_instance() -> Instance:
    """A small instance explored without abstraction to check the abstractions: two
    interchangeable owners, two training steps (bisection digests), one vendor."""
    return make_instance(data_owners=2, developers=1, vendors=1, jobs=1, datasets_per_job=2,
                         vendors_per_job=1, steps=2)


def default_context(**overrides) -> CheckContext:
    context = CheckContext(
        instances=[("single-job", default_instance()), ("shared-vendor", shared_vendor_instance()),
                   ("shared-licence", shared_licence_instance()),
                   ("secret-shared", secret_shared_instance())],
        proof_instances=[("proof-single-job", proof_instance()),
                         ("shared-licence", shared_licence_instance())],
        soundness_instances=[("two-owners", soundness_instance()),
                             ("shared-licence", shared_licence_instance())],
        mutant_instance=("single-job", default_instance()),
    )
    for name, value in overrides.items():
        setattr(context, name, value)
    return context
