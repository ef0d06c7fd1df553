"""The cloud vendor's client: stake, check inputs, train, commit, answer the bisection.

* **offer** — ``register_vendor`` with fee, declared cost, capacity and the X25519 public
  key data keys are wrapped to.
* **accept** — only a job whose recipe (received off-chain from the developer, checked
  against the model's commitment) gives exactly the job's number of steps on the job's
  datasets; ``accept_job`` locks the stake.
* **inputs** — each owner's delivery is checked against the ledger: the wrapped key's
  digest, the envelope's digest (the signed receipt's) and the registered commitment;
  the key is unwrapped, the envelope decrypted and the rows checked against the
  registered row root. All good: ``confirm_inputs``; else ``complain_inputs``.
* **train** — real training on the concatenated training rows; ``submit_result`` commits
  the transcript root, opens the final digest with a Merkle proof and publishes every step
  digest (so that ``timeout`` can open its committed digest for it should it fall silent
  in a dispute).
* **bisection** — ``bisect_answer`` opens the committed digest at the midpoint. Answering
  is optional for an honest vendor: silent, its committed digest is opened for it at the
  deadline, and only the rounds it answered itself are compensated after a false dispute.
* **openings** (off-chain, for audits and ``resolve_step``) — the transcript, any state,
  any step's batch rows with Merkle proofs.

Misbehaviour for the demo and tests, planned per job: :meth:`Vendor.plan_lazy` (train
honestly up to a step, then skip the work: :func:`~reference.training.fabricate_lazy_run`)
and :meth:`Vendor.plan_false_complaint` (complain about a dataset whose delivery was fine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reference.chaincode.evidence import misuse_statement, receipt_is_signed
from reference.chaincode.records import DatasetRecord, JobRecord, ModelRecord
from reference.clients.crypto import (
    DecryptionError,
    EncryptedDataset,
    KeyUnwrapError,
    WrappedKey,
    canonical_json,
    decrypt_dataset,
    encode_exchange_public_key,
    envelope_commitment,
    generate_exchange_key,
    sha256_hex,
    unwrap_data_key,
)
from reference.clients.datasets import (
    DatasetFormatError,
    RowOpener,
    job_training_set,
    parse_dataset_bytes,
    train_rows_root,
)
from reference.clients.gateway import MemoryGateway, NetworkGateway, Outcome
from reference.training.dataset import PreparedDataset
from reference.training.recipe import ModelRecipe
from reference.training.step import TrainingState
from reference.training.transcript import TrainingRun, fabricate_lazy_run, run_training


@dataclass
class InputCheck:
    """The vendor's verdict on what it received: None when every dataset checks out."""

    problem_dataset: str | None = None
    reason: str = ""


@dataclass
class VendorJob:
    recipe: ModelRecipe | None = None
    parts: dict[str, PreparedDataset] = field(default_factory=dict)
    check: InputCheck | None = None
    run: TrainingRun | None = None
    opener: RowOpener | None = None


class Vendor:
    def __init__(self, gateway: NetworkGateway | MemoryGateway):
        self.gateway = gateway
        self.name = gateway.name
        self.exchange_key = generate_exchange_key()
        self.jobs: dict[str, VendorJob] = {}
        self.lazy_jobs: dict[str, int] = {}
        self.false_complaints: dict[str, str] = {}

    def plan_lazy(self, job_id: str, from_step: int) -> None:
        """In ``job_id``, do the work only before step ``from_step`` (0-based)."""
        self.lazy_jobs[job_id] = from_step

    def plan_false_complaint(self, job_id: str, dataset_id: str) -> None:
        """In ``job_id``, complain about ``dataset_id`` whatever was delivered."""
        self.false_complaints[job_id] = dataset_id

    # -- ledger records -----------------------------------------------------------------

    def job(self, job_id: str) -> JobRecord:
        return JobRecord.from_json_value(self.gateway.read(f"job/{job_id}"))

    def dataset(self, dataset_id: str) -> DatasetRecord:
        return DatasetRecord.from_json_value(self.gateway.read(f"dataset/{dataset_id}"))

    def state_of(self, job_id: str) -> VendorJob:
        return self.jobs.setdefault(job_id, VendorJob())

    # -- offer and acceptance -------------------------------------------------------------

    def register_identity(self) -> Outcome:
        return self.gateway.submit("register_identity", {"role": "vendor",
                                                         "organisation": self.gateway.organisation})

    def register_offer(self, fee: int, cost: int, capacity: int) -> Outcome:
        public = encode_exchange_public_key(self.exchange_key.public_key())
        return self.gateway.submit("register_vendor", {
            "fee": fee, "cost": cost, "capacity": capacity, "exchange_public_key": public.hex()})

    def receive_recipe(self, job_id: str, recipe: ModelRecipe) -> None:
        job = self.job(job_id)
        model = ModelRecord.from_json_value(self.gateway.read(f"model/{job.model}"))
        if recipe.commitment().hex() != model.commitment:
            raise ValueError(f"the recipe for {job_id} does not match model {job.model}'s commitment")
        rows = sum(self.dataset(dataset).train_rows for dataset in job.datasets)
        if recipe.total_steps(rows) != job.steps:
            raise ValueError(f"the recipe gives {recipe.total_steps(rows)} steps on {rows} rows; "
                             f"job {job_id} asks for {job.steps}")
        self.state_of(job_id).recipe = recipe

    def accept(self, job_id: str) -> Outcome:
        if self.state_of(job_id).recipe is None:
            raise RuntimeError(f"{self.name} has no checked recipe for {job_id}")
        return self.gateway.submit("accept_job", {"job": job_id})

    # -- inputs -------------------------------------------------------------------------

    def take_delivery(self, job_id: str, deliveries: dict[str, Any]) -> InputCheck:
        """Check every delivery (``{dataset: Delivery}``) against the ledger and decrypt."""
        job = self.job(job_id)
        state = self.state_of(job_id)
        for dataset_id in job.datasets:
            problem = self._check_delivery(job, dataset_id, deliveries.get(dataset_id), state)
            if problem:
                state.check = InputCheck(dataset_id, problem)
                return state.check
        state.check = InputCheck()
        return state.check

    def _check_delivery(self, job: JobRecord, dataset_id: str, delivery: Any,
                        state: VendorJob) -> str:
        if delivery is None:
            return "nothing was delivered"
        grant = job.grants[dataset_id]
        record = self.dataset(dataset_id)
        if sha256_hex(delivery.wrapped_key) != grant.key_digests[self.name]:
            return "the wrapped key is not the one recorded in the grant"
        delivered = envelope_commitment(delivery.envelope)
        if delivered != grant.delivery_digest:
            return "the envelope is not the one the owner's receipt names"
        owner_key = self.gateway.read(f"identity/{record.owner}")["public_key"]
        if not receipt_is_signed(owner_key, job.job_id, dataset_id, delivered, self.name,
                                 bytes.fromhex(grant.receipts[self.name])):
            return "the delivery receipt is not signed by the owner"
        if delivered != record.commitment:
            return "the delivered envelope is not the registered commitment"
        try:
            data_key = unwrap_data_key(WrappedKey.from_bytes(delivery.wrapped_key),
                                       self.exchange_key, job_id=job.job_id, dataset_id=dataset_id,
                                       recipient_id=self.name)
            plaintext = decrypt_dataset(EncryptedDataset.from_envelope(dataset_id, delivery.envelope),
                                        data_key)
            part = parse_dataset_bytes(plaintext)
        except (KeyUnwrapError, DecryptionError, DatasetFormatError, ValueError) as error:
            return f"the delivery does not open: {error}"
        if (train_rows_root(part) != record.train_rows_root
                or part.train_row_count != record.train_rows):
            return "the rows do not match the registered row root"
        state.parts[dataset_id] = part
        return ""

    def report_inputs(self, job_id: str) -> Outcome:
        """Confirm, or complain about the first dataset that did not check out (or, when
        misbehaving, about a dataset that did)."""
        state = self.state_of(job_id)
        if job_id in self.false_complaints:
            return self.gateway.submit("complain_inputs", {"job": job_id,
                                                           "dataset": self.false_complaints[job_id]})
        if state.check is None:
            raise RuntimeError(f"{self.name} has not taken delivery for {job_id}")
        if state.check.problem_dataset is not None:
            return self.gateway.submit("complain_inputs", {"job": job_id,
                                                           "dataset": state.check.problem_dataset})
        return self.gateway.submit("confirm_inputs", {"job": job_id})

    # -- training and results -------------------------------------------------------------

    def train(self, job_id: str) -> TrainingRun:
        job = self.job(job_id)
        state = self.state_of(job_id)
        if state.recipe is None or set(state.parts) != set(job.datasets):
            raise RuntimeError(f"{self.name} lacks the recipe or the inputs of {job_id}")
        parts = [state.parts[dataset] for dataset in job.datasets]
        training_set = job_training_set(parts)
        if job_id in self.lazy_jobs:
            state.run = fabricate_lazy_run(state.recipe, training_set, self.lazy_jobs[job_id])
        else:
            state.run = run_training(state.recipe, training_set)
        state.opener = RowOpener(job.datasets, parts)
        return state.run

    def run_of(self, job_id: str) -> TrainingRun:
        run = self.state_of(job_id).run
        if run is None:
            raise RuntimeError(f"{self.name} has not trained {job_id}")
        return run

    def submit(self, job_id: str) -> Outcome:
        transcript = self.run_of(job_id).transcript
        steps = transcript.step_count
        return self.gateway.submit("submit_result", {
            "job": job_id, "transcript_root": transcript.root.hex(), "steps": steps,
            "final_digest": transcript.step_digests[-1].hex(),
            "final_proof": transcript.inclusion_proof(steps - 1).to_json_value(),
            "step_digests": self.step_digests(job_id)})

    # -- openings -----------------------------------------------------------------------

    def step_digests(self, job_id: str) -> list[str]:
        return [digest.hex() for digest in self.run_of(job_id).transcript.step_digests]

    def open_digest(self, job_id: str, position: int) -> dict[str, Any]:
        """The committed digest after ``position`` steps and its Merkle proof."""
        transcript = self.run_of(job_id).transcript
        return {"digest": transcript.step_digests[position - 1].hex(),
                "proof": transcript.inclusion_proof(position - 1).to_json_value()}

    def open_state(self, job_id: str, position: int) -> TrainingState:
        return self.run_of(job_id).states[position]

    def open_batch(self, job_id: str, step_index: int) -> list[dict[str, Any]]:
        state = self.state_of(job_id)
        assert state.recipe is not None and state.opener is not None
        rows = sum(len(leaves) for leaves in state.opener.leaves)
        return state.opener.open(state.recipe.batch_row_indices(rows, step_index))

    def final_model(self, job_id: str) -> TrainingState:
        return self.run_of(job_id).final_state

    # -- the bisection ------------------------------------------------------------------

    def answer(self, job_id: str) -> Outcome:
        job = self.job(job_id)
        assert job.dispute is not None
        opening = self.open_digest(job_id, job.dispute.midpoint)
        return self.gateway.submit("bisect_answer", {"job": job_id, **opening})

    def resolve(self, job_id: str) -> Outcome:
        """``resolve_step`` with this vendor's own openings (anyone may resolve)."""
        job = self.job(job_id)
        assert job.dispute is not None
        step_index = job.dispute.low
        state = self.state_of(job_id)
        assert state.recipe is not None
        return self.gateway.submit("resolve_step", {
            "job": job_id, "recipe": state.recipe.to_json_value(),
            "pre_state": self.open_state(job_id, step_index).to_json_value(),
            "batch": self.open_batch(job_id, step_index)})

    # -- misbehaviour that leaves a trace -------------------------------------------------

    def sign_misuse(self, job_id: str, dataset_id: str, purpose: str) -> dict[str, Any]:
        """The signed artefact a vendor leaves when it uses data outside the licence (for
        example a signed offer to resell it); an audit that finds it can prove misuse."""
        statement = misuse_statement(job_id, dataset_id, self.name, purpose)
        return {"statement": statement,
                "signature": self.gateway.sign(canonical_json(statement)).hex()}
