"""What the reference runner builds its markets from: the constants of the translation, real
data (training rows of the breast-cancer data set per dataset name), recipes and trainings,
forged identities, and the records of what each party holds off the ledger."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from conformance.semantics import HONEST, OTHER_PREFIX, TAMPERED, WRONG
from reference.clients.crypto import (
    EncryptedDataset,
)
from reference.clients.datasets import RowOpener, job_training_set
from reference.ledger.identity import Identity
from reference.training import make_recipe, prepare_breast_cancer
from reference.training.dataset import PreparedDataset
from reference.training.merkle import merkle_root
from reference.training.recipe import ModelRecipe
from reference.training.step import TrainingState, initial_state, public_step_values, step

T0 = 1_700_000_000
"""The transaction timestamp of the vectors' tick 0."""
MARKET_ORG = "MarketOrg"
PARTIES_ORG = "PartiesOrg"
ROWS_PER_DATASET = 8
RECIPE_EPOCHS = 32
MISUSE_PURPOSE = "resale-outside-the-licence"
STAKED = ("RUNNING", "DELIVERED", "DISPUTED")
OFF_CHAIN_ACTIONS = frozenset({"tick", "misuse_data"})
LEDGER_REFUSALS_OF_FORGERY = ("STATUS_403",)
"""How the ledger refuses a proposal whose creator signature does not verify (endorsement
status 403): for the protocol, a call whose signer is not a registered identity."""
EMPTY_PROOF = {"index": 0, "leaf_count": 1, "siblings": []}
NOT_RECORDED = -1
"""Projected for a count the ledger does not record (it then differs from any expected one)."""


# ---------------------------------------------------------------------------------------
# Data, recipes and training
# ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def source_data() -> PreparedDataset:
    return prepare_breast_cancer()


def name_number(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


@lru_cache(maxsize=64)
def dataset_part(name: str) -> PreparedDataset:
    """Eight training rows (and two test rows) of the breast-cancer set, chosen by name."""
    full = source_data()
    slots = full.train_row_count // ROWS_PER_DATASET
    start = (name_number(name) % slots) * ROWS_PER_DATASET
    test_start = (name_number(name) % (len(full.test_labels) // 2)) * 2
    return PreparedDataset(
        name=f"conformance/{name}", split_seed=full.split_seed,
        train_features=full.train_features[start:start + ROWS_PER_DATASET],
        train_labels=full.train_labels[start:start + ROWS_PER_DATASET],
        test_features=full.test_features[test_start:test_start + 2],
        test_labels=full.test_labels[test_start:test_start + 2],
        train_source_rows=full.train_source_rows[start:start + ROWS_PER_DATASET],
        test_source_rows=full.test_source_rows[test_start:test_start + 2])


def recipe_of(model: str) -> ModelRecipe:
    return make_recipe(source_data().feature_count, batch_size=ROWS_PER_DATASET,
                       epochs=RECIPE_EPOCHS, seed=name_number(model) % (1 << 63))


def shifted(state: TrainingState, amount: int) -> TrainingState:
    return TrainingState(step=state.step, weights=state.weights, bias=state.bias + amount)


class Training:
    """One job's training: the honest states, and the states behind every label."""

    def __init__(self, recipe: ModelRecipe, parts: list[PreparedDataset], dataset_ids: list[str],
                 steps: int):
        self.recipe = recipe
        self.union = job_training_set(parts)
        self.opener = RowOpener(dataset_ids, parts)
        self.steps = steps
        rows = self.union.train_row_count
        self.honest = [initial_state(recipe)]
        for index in range(steps):
            batch = self.union.batch(recipe.batch_row_indices(rows, index))
            self.honest.append(step(self.honest[-1], batch, public_step_values(recipe, index)))
        self.by_digest: dict[bytes, TrainingState] = {state.digest(): state for state in self.honest}

    def state(self, position: int, label: str) -> TrainingState | None:
        if not 0 <= position <= self.steps:
            return None
        base = self.honest[position]
        if label == HONEST:
            found = base
        elif label == WRONG and position > 0:
            found = shifted(base, 1)
        elif label == TAMPERED and position > 0:
            found = shifted(base, -1)
        elif label.startswith(OTHER_PREFIX):
            found = shifted(base, 1 + int(label.removeprefix(OTHER_PREFIX)))
        else:
            return None
        self.by_digest[found.digest()] = found
        return found

    def digest(self, position: int, label: str) -> bytes:
        found = self.state(position, label)
        if found is None:
            return placeholder_digest(f"{position}/{label}")
        return found.digest()

    def batch(self, step_index: int) -> list[dict[str, Any]]:
        rows = self.union.train_row_count
        return self.opener.open(self.recipe.batch_row_indices(rows, step_index))


def placeholder_digest(text: str) -> bytes:
    """A digest standing for a value in no context (the call is refused before it is used)."""
    return hashlib.sha256(b"aimarket/conformance/no-context/" + text.encode()).digest()


# ---------------------------------------------------------------------------------------
# Identities
# ---------------------------------------------------------------------------------------

class ForgedIdentity(Identity):
    """Another identity's certificate presented with the forger's own key."""

    def __init__(self, certificate, signing_key) -> None:  # no key-match check: a forgery
        self.certificate = certificate
        self.signing_key = signing_key
        self.serialized = certificate.encode()


@dataclass
class OwnedData:
    owner: str
    part: PreparedDataset
    data_key: bytes
    encrypted: EncryptedDataset


@dataclass
class Grant:
    envelope: bytes
    wrapped: dict[str, bytes]


@dataclass
class Transcripts:
    """Every transcript the runner built, by context and root, with its labels."""

    labels: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)
    digests: dict[tuple[str, str, str], list[bytes]] = field(default_factory=dict)

    def add(self, job: str, vendor: str, digests: list[bytes], labels: tuple[str, ...]) -> str:
        root = merkle_root(digests).hex() if digests else placeholder_digest("empty").hex()
        self.labels[(job, vendor, root)] = labels
        self.digests[(job, vendor, root)] = digests
        return root
