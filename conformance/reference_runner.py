"""The reference implementation as a runner: real signed transactions on the real ledger.

Every vector runs on an embedded Fabric-style network (``reference/ledger``: endorsement,
ordering, validation with MVCC, SQLite per peer) with the marketplace chaincode
(``reference/chaincode``). One network serves the whole corpus; each vector gets a fresh
chaincode namespace (installed by a config transaction) and its own ``init_market``, so it
starts from an empty market with the vector's dispute cost and audit probability.

How a vector's calls become transactions:

* **identities** — each actor name is a certificate of the ``PartiesOrg`` organisation
  (the treasury's of ``MarketOrg``), enrolled by the organisation's CA; ``register_identity``
  sends the certificate's organisation (the spec's ``organisation`` string is not
  projected). A call whose meaning says ``forges`` is signed with the actual signer's key
  under the forged identity's certificate; the ledger refuses it at endorsement, which is
  the protocol's ``UNKNOWN_ACTOR`` (the signer is not a registered identity).
* **time** — a tick is one second; the vector's tick ``t`` is the transaction timestamp
  ``t0 + t`` (t0: the network time the vector's market starts at); deadlines and licence
  expiries are projected back by subtracting ``t0``.
* **datasets** — a ``"fresh"`` commitment is a real one: eight training rows of the
  breast-cancer data set (chosen by the dataset's name) encrypted with AES-GCM, committed
  by the SHA-256 of the envelope, with the Merkle root of the rows.
* **models** — a recipe (logistic regression, batch of eight rows, seed from the model's
  name) committed by the SHA-256 of its canonical JSON.
* **grants** — the data key is wrapped to every vendor of the job (X25519 + HKDF) and a
  receipt signed; a ``"committed"`` delivery is the registered envelope, ``"other"`` a
  re-encryption of the same data (another ciphertext, another digest).
* **transcripts** — each job is trained for real (``reference/training``); in a context
  the ``honest`` digest after step ``i`` is the digest of the honest state, ``wrong`` that
  of the honest state with its bias moved by one unit, ``other:N`` by ``1 + N`` units. The
  call carries the Merkle root of the digests and opens the final one; bisection moves
  open the committed digest at the midpoint with a Merkle proof (a digest that is not the
  committed one cannot be opened); ``resolve_step`` opens the agreed pre-state, the recipe
  and the step's rows with their proofs.
* **misuse** — ``misuse_data`` (off-chain) has the vendor sign a data-use statement for a
  purpose its licence does not allow; the runner's environment keeps it only when the
  signer is a registered vendor of a job holding the data, signing with its registered
  key; ``report_misuse`` hands it to the chaincode, which checks it.
* **pairs in one block** — both transactions are endorsed against the same committed
  state and ordered in one block; a transaction refused at endorsement or invalidated by
  the ledger's MVCC check is then resubmitted, as a client does.

The projection reads the world state through the chaincode's query functions; the labels
of transcripts are found from the roots on the ledger (the runner knows which labels each
root it built stands for); data holders are the vendors that received and decrypted key
material from owners, who hand it over only while the ledger shows the job staked; model
holders come from the job's ``model_delivered`` flag.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from conformance.itf import ACCEPTED
from conformance.projection import (
    AbstractDataset,
    AbstractDispute,
    AbstractJob,
    AbstractOffer,
    AbstractState,
    AbstractVerdict,
)
from conformance.runner import Runner
from conformance.semantics import COMMITTED, HONEST, OTHER_PREFIX, WRONG
from conformance.vectors import Genesis, VectorCall
from mutation.patching import Patch
from reference.chaincode import MarketplaceChaincode, protocol_code
from reference.chaincode.codes import MarketCode
from reference.chaincode.evidence import delivery_receipt, misuse_statement
from reference.chaincode.records import DatasetRecord, JobRecord
from reference.chaincode.rules import load_params_document
from reference.clients.crypto import (
    EncryptedDataset,
    WrappedKey,
    canonical_json,
    decode_exchange_public_key,
    decode_verifying_key,
    decrypt_dataset,
    encode_exchange_public_key,
    encrypt_dataset,
    generate_data_key,
    generate_exchange_key,
    unwrap_data_key,
    verify_canonical,
    wrap_data_key,
)
from reference.clients.datasets import RowOpener, job_training_set, train_rows_root
from reference.clients.gateway import MarketClock, NetworkGateway, Outcome
from reference.clients.treasury import init_market
from reference.ledger import FakeClock, Network
from reference.ledger.identity import Identity
from reference.training import make_recipe, prepare_breast_cancer
from reference.training.dataset import PreparedDataset
from reference.training.merkle import inclusion_proof, merkle_root
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


# ---------------------------------------------------------------------------------------
# One vector's market
# ---------------------------------------------------------------------------------------

class Market:
    """A fresh market on the network (its own chaincode namespace) and the off-chain world
    around it: the parties' keys, data, recipes, trainings, artefacts."""

    def __init__(self, network: Network, chaincode: str, genesis: Genesis):
        self.network = network
        self.chaincode = chaincode
        # the market's time is the network's (trusted time: endorsers and the orderer read
        # it); each market counts the vector's seconds from the network time it starts at
        self.clock = MarketClock(ledger=network.clock)
        self.t0 = self.clock.now()
        self.gateways: dict[str, NetworkGateway] = {}
        self.admin = NetworkGateway(network, network.admins[MARKET_ORG], self.clock,
                                    chaincode=chaincode)
        rules = load_params_document()
        rules["market"] = {"dispute_cost": genesis.dispute_cost,
                           "audit_probability": f"{genesis.audit_probability.numerator}/"
                                                f"{genesis.audit_probability.denominator}"}
        outcome = init_market(self.admin, self.gateway("treasury"), rules)
        if not outcome.ok:
            raise RuntimeError(f"init_market failed: {outcome.code} {outcome.message}")
        self.data: dict[str, OwnedData] = {}
        self.pending_data: dict[tuple[str, str], OwnedData] = {}
        self.exchange_keys: dict[str, Any] = {}
        self.recipes: dict[str, ModelRecipe] = {}
        self.trainings: dict[str, Training] = {}
        self.grants: dict[tuple[str, str], Grant] = {}
        self.transcripts = Transcripts()
        self.claims = Transcripts()
        self.artefacts: dict[tuple[str, str], dict[str, Any]] = {}
        self.data_holders: set[tuple[str, str, str]] = set()

    # -- parties --------------------------------------------------------------------------

    def identity(self, name: str) -> Identity:
        return self.network.enroll(MARKET_ORG if name == "treasury" else PARTIES_ORG, name)

    def gateway(self, name: str) -> NetworkGateway:
        if name not in self.gateways:
            self.gateways[name] = NetworkGateway(self.network, self.identity(name), self.clock,
                                                 chaincode=self.chaincode)
        return self.gateways[name]

    def signer(self, call: VectorCall) -> NetworkGateway:
        """The gateway that signs ``call``: the actor's, or a forgery of another identity."""
        if call.forges is None:
            return self.gateway(call.actor)
        forged = ForgedIdentity(self.identity(call.forges).certificate,
                                self.identity(call.actor).signing_key)
        return NetworkGateway(self.network, forged, self.clock, chaincode=self.chaincode)

    # -- ledger reads ---------------------------------------------------------------------

    def read(self, key: str) -> Any:
        return self.admin.read(key)

    def job(self, job_id: Any) -> JobRecord | None:
        if not isinstance(job_id, str):
            return None
        value = self.read(f"job/{job_id}")
        return None if value is None else JobRecord.from_json_value(value)

    def dataset_record(self, dataset_id: Any) -> DatasetRecord | None:
        if not isinstance(dataset_id, str):
            return None
        value = self.read(f"dataset/{dataset_id}")
        return None if value is None else DatasetRecord.from_json_value(value)

    def training(self, job_id: str) -> Training | None:
        if job_id in self.trainings:
            return self.trainings[job_id]
        job = self.job(job_id)
        if job is None or job.model not in self.recipes:
            return None
        parts = [self.data[dataset].part for dataset in job.datasets if dataset in self.data]
        if len(parts) != len(job.datasets):
            return None
        self.trainings[job_id] = Training(self.recipes[job.model], parts, list(job.datasets),
                                          job.steps)
        return self.trainings[job_id]

    # -- building the arguments of a call ---------------------------------------------------

    def realise_digests(self, context: dict[str, str] | None, positions: list[tuple[int, str]]
                        ) -> list[bytes]:
        training = self.training(context["job"]) if context else None
        if training is None:
            return [placeholder_digest(f"{position}/{label}") for position, label in positions]
        return [training.digest(position, label) for position, label in positions]

    def transcript(self, call: VectorCall) -> tuple[dict[str, Any], tuple[str, str, list[bytes],
                                                                           tuple[str, ...]]]:
        described = call.meaning["transcript"]
        context = described["context"]
        labels = tuple(described["digests"])
        digests = self.realise_digests(context, list(enumerate(labels, start=1)))
        owner = (context["job"], context["vendor"]) if context else ("", "")
        book = self.claims if call.action == "dispute_result" else self.transcripts
        root = book.add(owner[0], owner[1], digests, labels)
        final = digests[-1] if digests else placeholder_digest("empty")
        proof = (inclusion_proof(digests, len(digests) - 1).to_json_value() if digests
                 else EMPTY_PROOF)
        return ({"transcript_root": root, "steps": len(digests), "final_digest": final.hex(),
                 "final_proof": proof}, (owner[0], owner[1], digests, labels))

    def opening(self, call: VectorCall) -> dict[str, Any]:
        described = call.meaning["digest"]
        context, position, label = described["context"], described["step"], described["label"]
        digest = self.realise_digests(context, [(position, label)])[0]
        committed = None
        job = self.job(call.args.get("job"))
        dispute = job.disputes[-1] if job is not None and job.disputes else None
        if dispute is not None:
            if call.action == "bisect_query":
                committed = self.claims.digests.get((job.job, dispute.respondent,
                                                     dispute.claimant_root))
            else:
                result = job.results.get(dispute.respondent)
                committed = self.transcripts.digests.get(
                    (job.job, dispute.respondent, result.transcript_root)) if result else None
        proof = (inclusion_proof(committed, position - 1).to_json_value()
                 if committed and 1 <= position <= len(committed) else EMPTY_PROOF)
        return {"digest": digest.hex(), "proof": proof}

    def grant_arguments(self, call: VectorCall) -> tuple[dict[str, Any], Grant | None]:
        job_id, dataset_id = call.args["job"], call.args["dataset"]
        owned = self.data.get(dataset_id)
        job = self.job(job_id)
        if owned is None:
            digest = placeholder_digest(f"grant/{dataset_id}").hex()
            return {"job": job_id, "dataset": dataset_id, "delivery_digest": digest,
                    "key_digests": {}, "receipts": {}}, None
        envelope = owned.encrypted.envelope()
        if call.meaning.get("delivery_digest") != COMMITTED:
            envelope = encrypt_dataset(owned.part.canonical_bytes(), owned.data_key,
                                       dataset_id).envelope()
        delivery_digest = hashlib.sha256(envelope).hexdigest()
        key_digests, receipts, wrapped = {}, {}, {}
        signer = self.signer(call)
        for vendor in (job.vendors if job is not None else []):
            offer = self.read(f"offer/{vendor}")
            if offer is None:
                continue
            exchange_key = decode_exchange_public_key(bytes.fromhex(offer["exchange_public_key"]))
            wrapped_key = wrap_data_key(owned.data_key, exchange_key, job_id=job_id,
                                        dataset_id=dataset_id, recipient_id=vendor)
            key_digests[vendor] = wrapped_key.digest()
            wrapped[vendor] = wrapped_key.to_bytes()
            receipt = delivery_receipt(job_id, dataset_id, delivery_digest, vendor)
            receipts[vendor] = signer.sign(receipt.canonical_bytes()).hex()
        return ({"job": job_id, "dataset": dataset_id, "delivery_digest": delivery_digest,
                 "key_digests": key_digests, "receipts": receipts}, Grant(envelope, wrapped))

    def resolve_arguments(self, job_id: Any) -> dict[str, Any]:
        job = self.job(job_id)
        empty = {"job": job_id, "recipe": {}, "pre_state": {}, "batch": []}
        dispute = job.disputes[-1] if job is not None and job.disputes else None
        training = self.training(job.job) if job is not None else None
        if dispute is None or training is None or job.status != "DISPUTED":
            return empty
        if dispute.low == 0:
            pre_state = training.honest[0]
        else:
            pre_state = training.by_digest.get(bytes.fromhex(dispute.low_digest or ""))
        if pre_state is None:
            return empty
        return {"job": job.job, "recipe": training.recipe.to_json_value(),
                "pre_state": pre_state.to_json_value(), "batch": training.batch(dispute.low)}

    def arguments(self, call: VectorCall) -> tuple[dict[str, Any], Any]:
        """The chaincode arguments of ``call`` and what to remember if it is accepted."""
        args, action = call.args, call.action
        if action == "register_identity":
            return {"role": args["role"], "organisation": self.identity(call.actor).org}, None
        if action == "register_dataset":
            part = dataset_part(args["dataset"])
            data_key = generate_data_key()
            encrypted = encrypt_dataset(part.canonical_bytes(), data_key, args["dataset"])
            owned = OwnedData(call.actor, part, data_key, encrypted)
            return ({"dataset": args["dataset"], "commitment": encrypted.commitment(),
                     "train_rows_root": train_rows_root(part), "train_rows": part.train_row_count,
                     "feature_count": part.feature_count, "price": args["price"],
                     "misuse_value": args["misuse_value"], "purposes": sorted(args["purposes"]),
                     "expiry": self.t0 + args["expiry"], "max_uses": args["max_uses"]}, owned)
        if action == "register_model":
            recipe = recipe_of(args["model"])
            return {"model": args["model"], "commitment": recipe.commitment().hex()}, recipe
        if action == "register_vendor":
            key = self.exchange_keys.get(call.actor) or generate_exchange_key()
            public = encode_exchange_public_key(key.public_key()).hex()
            return ({"fee": args["fee"], "cost": args["cost"], "capacity": args["capacity"],
                     "exchange_public_key": public}, key)
        if action == "request_training":
            return ({name: (list(value) if isinstance(value, tuple) else value)
                     for name, value in args.items()}, None)
        if action == "grant_access":
            return self.grant_arguments(call)
        if action in ("submit_result", "dispute_result"):
            evidence, remembered = self.transcript(call)
            if action == "dispute_result":
                extra = {"vendor": args["vendor"]}
            else:  # vendors publish every step digest so anyone can open a silent respondent's
                extra = {"step_digests": [digest.hex() for digest in remembered[2]]}
            return {"job": args["job"], **extra, **evidence}, remembered
        if action in ("bisect_query", "bisect_answer"):
            return {"job": args["job"], **self.opening(call)}, None
        if action == "resolve_step":
            return self.resolve_arguments(args["job"]), None
        if action == "report_misuse":
            return ({"job": args["job"], "vendor": args["vendor"],
                     "artefact": self.artefacts.get((args["job"], args["vendor"]))}, None)
        # fund, deny_access, accept_job, confirm_inputs, complain_inputs, accept_result, timeout
        return dict(args), None

    def remember(self, call: VectorCall, remembered: Any) -> None:
        """Off-chain bookkeeping of an accepted call."""
        if call.action == "register_dataset":
            self.data[call.args["dataset"]] = remembered
        elif call.action == "register_model":
            self.recipes[call.args["model"]] = remembered
        elif call.action == "register_vendor":
            self.exchange_keys[call.actor] = remembered
        elif call.action == "grant_access" and remembered is not None:
            self.grants[(call.args["job"], call.args["dataset"])] = remembered

    # -- making calls ---------------------------------------------------------------------

    def outcome(self, result: Outcome) -> str:
        if result.ok:
            return ACCEPTED
        if result.code in LEDGER_REFUSALS_OF_FORGERY:
            return "UNKNOWN_ACTOR"
        try:
            mapped = protocol_code(MarketCode(result.code))
        except ValueError:
            mapped = None
        return mapped or f"{result.code}: {result.message}"

    def off_chain(self, call: VectorCall) -> str | None:
        """The outcome of an off-chain event (None for a ledger action)."""
        if call.action == "tick":
            self.clock.advance(1)
            return ACCEPTED
        if call.action == "misuse_data":
            return self.misuse(call)
        assert call.action not in OFF_CHAIN_ACTIONS
        return None

    def misuse(self, call: VectorCall) -> str:
        """A vendor signs a statement of use outside the licence; the environment keeps it
        only if it is authentic and the vendor holds the job's data under stake."""
        vendor = call.forges or call.actor
        job_id = call.args["job"]
        job = self.job(job_id)
        dataset = job.datasets[0] if job is not None and job.datasets else "none"
        statement = misuse_statement(job_id, dataset, vendor, MISUSE_PURPOSE)
        signature = self.identity(call.actor).sign(canonical_json(statement))
        identity = self.read(f"identity/{vendor}")
        if identity is None or not verify_canonical(
                decode_verifying_key(bytes.fromhex(identity["public_key"])), statement, signature):
            return "UNKNOWN_ACTOR"
        if identity["role"] != "vendor":
            return "WRONG_ROLE"
        if job is None:
            return "UNKNOWN_JOB"
        if job.status not in STAKED:
            return "WRONG_STATUS"
        if vendor not in job.vendors:
            return "NOT_JOB_PARTY"
        if (job_id, vendor) in self.artefacts:
            return "ALREADY_ANSWERED"
        self.artefacts[(job_id, vendor)] = {"statement": statement, "signature": signature.hex()}
        return ACCEPTED

    def submit(self, call: VectorCall) -> str:
        outcome = self.off_chain(call)
        if outcome is not None:
            return outcome
        args, remembered = self.arguments(call)
        outcome = self.outcome(self.signer(call).submit(call.action, args))
        if outcome == ACCEPTED:
            self.remember(call, remembered)
        return outcome

    def submit_together(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        """Both calls endorsed on the same state and ordered in one block; a refused or
        invalidated second call is resubmitted on the new state, as its client would."""
        if {first.action, second.action} & OFF_CHAIN_ACTIONS:  # nothing to put in a block
            return self.submit(first), self.submit(second)
        prepared = []
        for call in (first, second):
            args, remembered = self.arguments(call)
            gateway = self.signer(call)
            endorsed = gateway.endorse(call.action, args)
            prepared.append((call, args, remembered, gateway, endorsed))
        handles = [gateway.client.submit_endorsed(endorsed)
                   for _, _, _, gateway, endorsed in prepared]
        self.network.flush()
        outcomes = []
        for (call, args, remembered, gateway, _), handle in zip(prepared, handles):
            result = gateway.outcome_of(call.action, args, self.clock.now(), handle.result())
            outcome = self.outcome(result)
            if outcome == ACCEPTED:
                self.remember(call, remembered)
            outcomes.append(outcome)
        self.hand_over()  # what the parties see once the block is committed
        if outcomes[1] != ACCEPTED:
            outcomes[1] = self.submit(second)
        return outcomes[0], outcomes[1]

    def hand_over(self) -> None:
        """Off-chain deliveries: owners hand key material and envelopes to the vendors of
        every job the ledger shows staked; a vendor that decrypts its share holds the data."""
        for key, value in self.admin.read_prefix("job/").items():
            job = JobRecord.from_json_value(value)
            if job.status not in STAKED:
                continue
            for dataset in job.datasets:
                grant = self.grants.get((job.job, dataset))
                owned = self.data.get(dataset)
                if grant is None or owned is None:
                    continue
                for vendor in job.vendors:
                    holder = (job.job, dataset, vendor)
                    if holder in self.data_holders or vendor not in grant.wrapped:
                        continue
                    data_key = unwrap_data_key(WrappedKey.from_bytes(grant.wrapped[vendor]),
                                               self.exchange_keys[vendor], job_id=job.job,
                                               dataset_id=dataset, recipient_id=vendor)
                    decrypt_dataset(EncryptedDataset.from_envelope(dataset, grant.envelope),
                                    data_key)
                    self.data_holders.add(holder)

    # -- the projection -------------------------------------------------------------------

    def project(self) -> AbstractState:
        read = self.admin.read_prefix
        identities = {value["name"]: value["role"] for value in read("identity/").values()}
        balances = {key.split("/", 1)[1]: value for key, value in read("balance/").items()}
        escrows = {key.split("/", 1)[1]: value for key, value in read("escrow/").items()}
        minted = sum(read("minted/").values())
        datasets = {}
        commitments = {}
        for value in read("dataset/").values():
            record = DatasetRecord.from_json_value(value)
            commitments[record.dataset] = record.commitment
            datasets[record.dataset] = AbstractDataset(
                owner=record.owner, price=record.price, misuse_value=record.misuse_value,
                purposes=frozenset(record.licence.purposes), expiry=record.licence.expiry - self.t0,
                max_uses=record.licence.max_uses, uses=record.uses)
        models = {value["model"]: value["owner"] for value in read("model/").values()}
        offers = {value["vendor"]: AbstractOffer(value["fee"], value["cost"], value["capacity"],
                                                 value.get("active_jobs", 0))
                  for value in read("offer/").values()}
        jobs = {}
        model_holders = set()
        for value in read("job/").values():
            job = JobRecord.from_json_value(value)
            jobs[job.job] = self.project_job(job, commitments)
            if getattr(job, "model_delivered", False):
                model_holders.add((job.job, job.developer))
        return AbstractState(
            now=self.clock.now() - self.t0, identities=dict(sorted(identities.items())),
            balances=dict(sorted(balances.items())), escrows=dict(sorted(escrows.items())),
            minted=minted, datasets=datasets, models=models, offers=offers, jobs=jobs,
            data_holders=frozenset(self.data_holders), model_holders=frozenset(model_holders),
            misuse_artefacts=frozenset(self.artefacts))

    def project_job(self, job: JobRecord, commitments: dict[str, str]) -> AbstractJob:
        def summed(pairs) -> dict[str, int]:
            totals: dict[str, int] = {}
            for account, amount in pairs:
                totals[account] = totals.get(account, 0) + amount
            return {account: totals[account] for account in sorted(totals) if totals[account]}

        results = {}
        for vendor, result in sorted(job.results.items()):
            results[vendor] = self.transcripts.labels.get(
                (job.job, vendor, result.transcript_root), ("unknown-root",))
        disputes = tuple(
            AbstractDispute(respondent=dispute.respondent,
                            claim=self.claims.labels.get(
                                (job.job, dispute.respondent, dispute.claimant_root),
                                ("unknown-root",)),
                            low=dispute.low, high=dispute.high, turn=dispute.turn,
                            rounds=dispute.rounds,
                            answers=getattr(dispute, "answers", NOT_RECORDED))
            for dispute in job.disputes)
        return AbstractJob(
            developer=job.developer, model=job.model, datasets=tuple(job.datasets),
            vendors=tuple(job.vendors), purpose=job.purpose, steps=job.steps, window=job.window,
            vendor_stake=job.vendor_stake, developer_bond=job.developer_bond,
            owner_bond=job.owner_bond, status=job.status, deadline=job.deadline - self.t0,
            deposits=summed(job.deposits.items()),
            deliveries={dataset: (COMMITTED if grant.delivery_digest == commitments.get(dataset)
                                  else "other")
                        for dataset, grant in sorted(job.grants.items())},
            accepted=frozenset(job.accepted), confirmed=frozenset(job.confirmed),
            results=results, disputes=disputes,
            verdicts=tuple(AbstractVerdict(verdict.convicted, verdict.offence)
                           for verdict in job.verdicts),
            payouts=None if job.payouts is None else summed(job.payouts))


# ---------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------

class ReferenceRunner(Runner):
    """The reference on an embedded network (two peers, one per organisation, MAJORITY
    endorsement: every transaction is endorsed by both)."""

    name = "reference"

    def __init__(self, directory: str | Path | None = None, peers: int = 2):
        self._temporary = None
        if directory is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="aimarket-conform-")
            directory = self._temporary.name
        self.network = Network.create(Path(directory) / "network", peers=peers,
                                      orgs=[MARKET_ORG, PARTIES_ORG], clock=FakeClock(T0),
                                      workers=1, synchronous="OFF")
        self.markets = 0
        self.market: Market | None = None

    @property
    def mutants(self):
        return REFERENCE_MUTANTS

    def init(self, genesis: Genesis) -> None:
        self.markets += 1
        chaincode = f"aimarket-{self.markets}"
        self.network.install_chaincode(chaincode, MarketplaceChaincode)
        self.market = Market(self.network, chaincode, genesis)

    def step(self, call: VectorCall) -> str:
        outcome = self.market.submit(call)
        self.market.hand_over()
        return outcome

    def step_concurrently(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        outcomes = self.market.submit_together(first, second)
        self.market.hand_over()
        return outcomes

    def project(self) -> AbstractState:
        return self.market.project()

    def close(self) -> None:
        self.network.close()
        if self._temporary is not None:
            self._temporary.cleanup()


# ---------------------------------------------------------------------------------------
# Faults injected into the reference
# ---------------------------------------------------------------------------------------

def _delivered_pays_fees_to_developer():
    import reference.chaincode.contract as contract
    name = "pay_settlement" if hasattr(contract, "pay_settlement") else "pay_delivered"
    original = getattr(contract, name)

    def mutated(job, *args, **kwargs):
        paid = original(job, *args, **kwargs)
        moved = []
        for account, amount in paid:
            fee = job.fees.get(account)
            if fee is not None and amount >= fee:
                moved += [(account, amount - fee), (job.developer, fee)]
            else:
                moved.append((account, amount))
        return moved
    return (Patch(contract, name, mutated),)


def _deadline_not_checked():
    import reference.chaincode.contract as contract
    return (Patch(contract.MarketplaceChaincode, "require_on_time",
                  staticmethod(lambda call, job: None)),)


def _status_as_wrong_party():
    import reference.chaincode.contract as contract
    from reference.chaincode.codes import Rejected

    def require_status(job, *statuses):
        if job.status not in statuses:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"job {job.job} is {job.status}")
    return (Patch(contract.MarketplaceChaincode, "require_status", staticmethod(require_status)),)


def _mvcc_off():
    import reference.ledger.validation as validation
    return (Patch(validation, "_mvcc_conflict", lambda *args, **kwargs: None),)


def _signatures_not_verified():
    import reference.ledger.crypto as ledger_crypto
    return (Patch(ledger_crypto, "verify", lambda *args, **kwargs: True),)


def _reference_mutants():
    from conformance.mutants import fault
    return (
        fault("settlement-pays-fees-to-developer", "pays the wrong party",
              "the chaincode's settlement pays the vendors' fees to the developer",
              _delivered_pays_fees_to_developer),
        fault("deadline-not-checked", "skips a guard",
              "the chaincode never checks a phase's deadline (require_on_time)",
              _deadline_not_checked),
        fault("wrong-status-as-not-job-party", "returns the wrong rejection code",
              "a move in the wrong status is refused with MKT_NOT_JOB_PARTY",
              _status_as_wrong_party),
        fault("mvcc-off", "MVCC check off",
              "the ledger's validation never finds a read conflict",
              _mvcc_off),
        fault("signatures-not-verified", "accepts a bad signature",
              "the ledger accepts every signature (endorsement and validation)",
              _signatures_not_verified),
    )


REFERENCE_MUTANTS = _reference_mutants()
