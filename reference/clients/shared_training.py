"""Clients of secret-shared training: who deals, who receives which share, who opens.

* **data owners** split the training rows of their dataset into Shamir shares, one bundle
  per vendor of the job, each bundle AES-GCM-encrypted under a fresh key wrapped to that
  vendor's registered X25519 key (bound to job, sharing and vendor): a vendor can open only
  its own bundle, never the dataset;
* **the developer** shares its initial model the same way, and is the only party the
  vendors send their final model shares to (wrapped to the developer's key): only it
  recombines t + 1 of them;
* **vendors** unwrap their bundles, train in their MPC processes
  (:mod:`reference.training.shared`) and commit per step;
* **the referee** (the developer, see decision 0030) re-executes at most one vendor's
  information per job after a public check fails.

:class:`Holdings` records, as each of those actions happens, which sharing's which share
(or which plaintext) each party holds; :func:`privacy_report` is the demo's check of it:
no party but a dataset's owner holds more than t shares (or the plaintext) of a dataset,
no party but the developer more than t shares of the model, and the public ledger none.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from reference.clients.crypto import (
    EncryptedDataset,
    WrappedKey,
    decrypt_dataset,
    encrypt_dataset,
    generate_data_key,
    generate_exchange_key,
    unwrap_data_key,
    wrap_data_key,
)
from reference.training.dataset import PreparedDataset
from reference.training.recipe import ModelRecipe
from reference.training.shared import session
from reference.training.shared.accountability import OpeningBudget


@dataclass(frozen=True)
class SealedShares:
    """One party's shares of one sharing, readable only by ``recipient``."""

    job: str
    sharing: str
    recipient: str
    envelope: bytes
    wrapped_key: bytes


def seal(job: str, sharing: str, recipient: str, public_key: X25519PublicKey,
         payload: Any) -> SealedShares:
    data_key = generate_data_key()
    encrypted = encrypt_dataset(json.dumps(payload).encode(), data_key, sharing)
    wrapped = wrap_data_key(data_key, public_key, job_id=job, dataset_id=sharing,
                            recipient_id=recipient)
    return SealedShares(job, sharing, recipient, encrypted.envelope(), wrapped.to_bytes())


def unseal(sealed: SealedShares, private_key: X25519PrivateKey) -> Any:
    data_key = unwrap_data_key(WrappedKey.from_bytes(sealed.wrapped_key), private_key,
                               job_id=sealed.job, dataset_id=sealed.sharing,
                               recipient_id=sealed.recipient)
    plaintext = decrypt_dataset(EncryptedDataset.from_envelope(sealed.sharing, sealed.envelope),
                                data_key)
    return json.loads(plaintext)


class Holdings:
    """Who holds what: ``(holder, sharing) -> {share indices}``, plaintexts, opened views."""

    def __init__(self) -> None:
        self.shares: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.plaintexts: set[tuple[str, str]] = set()
        self.views: dict[str, set[int]] = defaultdict(set)  # sharing -> vendors whose view opened

    def share(self, holder: str, sharing: str, index: int) -> None:
        self.shares[(holder, sharing)].add(index)

    def plaintext(self, holder: str, sharing: str) -> None:
        self.plaintexts.add((holder, sharing))

    def view(self, holder: str, sharings: list[str], vendor_index: int) -> None:
        for sharing in sharings:
            self.share(holder, sharing, vendor_index)
            self.views[sharing].add(vendor_index)


def privacy_report(holdings: Holdings, threshold: int,
                   entitled: dict[str, str]) -> dict[str, Any]:
    """``entitled`` names, per sharing, the one party allowed to learn it (a dataset's
    owner, the model's developer). A leak is anyone else — or ``public`` — holding the
    plaintext or more than ``threshold`` shares of it."""
    leaks = []
    for (holder, sharing), indices in sorted(holdings.shares.items()):
        if holder != entitled.get(sharing) and len(indices) > threshold:
            leaks.append({"party": holder, "sharing": sharing, "shares": sorted(indices)})
    for holder, sharing in sorted(holdings.plaintexts):
        if holder != entitled.get(sharing):
            leaks.append({"party": holder, "sharing": sharing, "shares": "plaintext"})
    views = max((len(vendors) for vendors in holdings.views.values()), default=0)
    return {"max_views_opened_per_sharing": views, "leaks": leaks}


@dataclass
class SharedJob:
    """The outcome of one secret-shared training job."""

    job: str
    vendors: list[str]
    threshold: int
    training: session.SharedTraining
    weights: list[int]
    bias: int
    holdings: Holdings
    entitled: dict[str, str]
    judgements: list[dict[str, Any]] = field(default_factory=list)


def run_shared_job(job: str, recipe: ModelRecipe,
                   datasets: dict[str, tuple[str, PreparedDataset]], developer: str,
                   vendors: dict[str, X25519PrivateKey], workdir: Path, *,
                   threshold: int = session.DEFAULT_THRESHOLD, steps: int | None = None,
                   behaviours: dict[str, dict[str, Any]] | None = None,
                   timeout: float = 300.0, open_model: bool = True) -> SharedJob:
    """Deal, train on shares, audit (and settle the first fault), open the model (unless
    ``open_model`` is False: then :func:`open_shared_model` once the ledger delivers it).

    ``datasets`` maps dataset id to ``(owner, part)`` in the job's order; ``vendors`` maps
    each vendor to its exchange key (the private half stays with the vendor; dealers use
    only the public half)."""
    names = list(vendors)
    parties = len(names)
    holdings = Holdings()
    public_keys = {name: key.public_key() for name, key in vendors.items()}
    entitled = {f"{job}/model": developer}
    # owners deal their rows; each vendor unwraps its own bundle only
    row_bundles: dict[str, list[list[int]]] = {name: [] for name in names}
    for dataset_id, (owner, part) in datasets.items():
        sharing = f"{job}/{dataset_id}"
        entitled[sharing] = owner
        holdings.plaintext(owner, sharing)
        dealt = session.deal_rows(part.train_features, part.train_labels, threshold, parties)
        for index, name in enumerate(names):
            sealed = seal(job, sharing, name, public_keys[name], dealt[index])
            row_bundles[name].extend(unseal(sealed, vendors[name]))
            holdings.share(name, sharing, index)
    model_sharing = f"{job}/model"
    holdings.plaintext(developer, model_sharing)
    dealt_model = session.deal_model(list(recipe.initial_weights), recipe.initial_bias,
                                     threshold, parties)
    model_bundles = {}
    for index, name in enumerate(names):
        sealed = seal(job, model_sharing, name, public_keys[name], dealt_model[index])
        model_bundles[name] = unseal(sealed, vendors[name])
        holdings.share(name, model_sharing, index)
    behaviours = behaviours or {}
    training = session.run_shared_training(
        job, recipe, [row_bundles[name] for name in names],
        [model_bundles[name] for name in names], workdir, threshold=threshold, steps=steps,
        behaviours={names.index(name): value for name, value in behaviours.items()},
        timeout=timeout)
    shared = SharedJob(job, names, threshold, training, [], 0, holdings, entitled)
    finding = training.audit()
    budget = OpeningBudget(threshold)
    if finding is not None:
        judgement = training.settle(finding, budget)
        for vendor_index in sorted(budget.vendors):  # what the referee (developer) now holds
            holdings.view(developer, [f"{job}/{dataset_id}" for dataset_id in datasets]
                          + [model_sharing], vendor_index)
        record = judgement.to_json_value()
        record["convicted"] = None if judgement.convicted is None else names[judgement.convicted]
        shared.judgements.append(record)
        return shared
    if open_model:
        open_shared_model(shared, developer)
    return shared


def open_shared_model(shared: SharedJob, developer: str) -> None:
    """The vendors send their final shares to the developer only (sealed to its key); it
    recombines t + 1 of them into the model."""
    developer_key = generate_exchange_key()
    final = {}
    for index, name in enumerate(shared.vendors):
        sealed = seal(shared.job, f"{shared.job}/final-model", developer,
                      developer_key.public_key(),
                      [str(v) for v in shared.training.final_shares[index]])
        final[index] = [int(v) for v in unseal(sealed, developer_key)]
        shared.holdings.share(developer, f"{shared.job}/model", index)
    shared.weights, shared.bias = session.open_model(final, shared.threshold)


def shared_accuracy(shared: SharedJob, recipe: ModelRecipe, training_set: PreparedDataset,
                    steps: int) -> dict[str, float]:
    """Test accuracy of the opened model and of float64 training with the same sigmoid."""
    weights = np.array(shared.weights, dtype=np.float64) / 65536.0
    plain_weights, plain_bias = session.plaintext_training(
        recipe, training_set.train_features, training_set.train_labels, steps)
    return {
        "accuracy": session.accuracy(weights, shared.bias / 65536.0,
                                     training_set.test_features, training_set.test_labels),
        "plaintext_accuracy": session.accuracy(plain_weights, plain_bias,
                                               training_set.test_features,
                                               training_set.test_labels),
        "max_weight_difference": float(np.max(np.abs(weights - plain_weights))),
    }
