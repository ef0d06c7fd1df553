"""The AI developer's client: commit to a recipe, request a job, audit, accept or dispute.

* **model** — ``register_model`` records SHA-256 of the recipe's canonical JSON; the recipe
  itself goes to the job's vendors off-chain, never to the ledger until a dispute needs it.
* **request** — the number of steps follows from the recipe and the datasets' row counts;
  the stakes and bonds are the least ones the market's recorded rules accept
  (:func:`~reference.chaincode.rules.least_stakes`), so the request is never refused for
  low stakes.
* **audit** — every vendor's step digests are read from the ledger, where its result
  published them (checked there, and again here, against the committed transcript root).
  Vendors of a job train the same recipe on the same rows, so their
  transcripts must agree; where two disagree, the first step where they part is
  re-executed from openings (pre-state, batch rows with Merkle proofs against the
  datasets' registered roots) to tell which one is right. The transcript that agrees with
  the re-execution becomes the claim. Then ``spot_checks`` steps of it, drawn from a
  seeded generator, are re-executed too; a failing step makes the claim "right up to the
  step before, wrong from this step on". Finally the audit plays, off-chain, the
  bisection the ledger would play between the claim and each vendor whose final digest
  differs from it, and re-executes the step it narrows to: every vendor that step shows
  wrong is a :class:`Finding`. Every re-executed step shows the developer one batch of
  training rows — the privacy price of auditing without secret-shared training (see
  ``docs/reference-demo.md``).
* **disputes** — one per job: ``dispute_result`` against the first finding (the
  dispute's resolution ends the job, spec decision 0031), then
  ``bisect_query`` opens the claim at each midpoint and ``resolve_step`` supplies the
  openings the audit checked. With no finding the developer accepts.
  The developer bears the burden of its dispute: silent on its turn, or leaving the
  narrowed step unresolved, it is convicted. :meth:`Developer.dispute_move` therefore
  pursues only a claim that the re-executed narrowed step backs; a false claim concedes by
  silence (which costs the same as losing at ``resolve_step`` and publishes no rows).
* **a vendor fell silent** — when a running job's deadline passes after every vendor
  confirmed and some submitted, ``timeout`` convicts the silent vendors and the job is
  DELIVERED: the audit covers the results that were submitted (the silent vendors are
  already convicted and cannot be disputed), then disputes and acceptance go on as above.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from reference.chaincode.evidence import DatasetRows, EvidenceError, re_execute_step
from reference.chaincode.records import (
    DatasetRecord,
    JobRecord,
    ModelRecord,
    OfferRecord,
    TranscriptRecord,
    Turn,
    transcript_key,
)
from reference.chaincode.regions import regions_from_json_value
from reference.chaincode.rules import JobTerms, least_stakes, rules_from_json_value
from reference.clients.gateway import MemoryGateway, NetworkGateway, Outcome
from reference.clients.vendor import Vendor
from reference.training.merkle import inclusion_proof, merkle_root
from reference.training.recipe import ModelRecipe
from reference.training.step import TrainingState

UNKNOWN_CLAIM_TAG = b"aimarket/claim-after-divergence/v1"


@dataclass
class Finding:
    """A vendor the audit can convict: disputed with ``claimant_digests``, the bisection
    narrows to step ``disputed_step`` (0-based), whose pre-state and batch
    ``evidence_vendor`` opens."""

    respondent: str
    claimant_digests: list[str]
    evidence_vendor: str
    disputed_step: int


@dataclass
class AuditReport:
    """What the audit concluded: one finding per vendor to dispute, in the job's vendor
    order; none when the results are accepted as they are."""

    findings: list[Finding] = field(default_factory=list)
    steps_re_executed: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def respondents(self) -> list[str]:
        return [finding.respondent for finding in self.findings]

    def finding_for(self, vendor: str) -> Finding | None:
        return next((finding for finding in self.findings if finding.respondent == vendor), None)


def narrowed_step(claim: list[str], digests: list[str]) -> int:
    """The step (0-based) a bisection between ``claim`` and a respondent's ``digests``
    narrows to, as the ledger plays it: the claimant opens the midpoint, the interval
    keeps the half where the two still disagree at its high end."""
    low, high = 0, len(digests)
    while high - low > 1:
        middle = (low + high) // 2
        if claim[middle - 1] == digests[middle - 1]:
            low = middle
        else:
            high = middle
    return low


@dataclass
class DeveloperJob:
    recipe: ModelRecipe
    audit: AuditReport | None = None
    claimant_digests: list[bytes] = field(default_factory=list)
    re_executed: dict[tuple[int, str | None], str | None] = field(default_factory=dict)


class AuditFailed(RuntimeError):
    """A vendor would not or could not open what the audit needs."""


class Developer:
    def __init__(self, gateway: NetworkGateway | MemoryGateway, *, spot_checks: int = 2,
                 audit_seed: int = 1):
        self.gateway = gateway
        self.name = gateway.name
        self.recipes: dict[str, ModelRecipe] = {}
        self.jobs: dict[str, DeveloperJob] = {}
        self.spot_checks = spot_checks
        self.random = random.Random(audit_seed)

    # -- records ------------------------------------------------------------------------

    def job(self, job_id: str) -> JobRecord:
        return JobRecord.from_json_value(self.gateway.read(f"job/{job_id}"))

    def dataset(self, dataset_id: str) -> DatasetRecord:
        return DatasetRecord.from_json_value(self.gateway.read(f"dataset/{dataset_id}"))

    def published_digests(self, job_id: str, vendor_id: str) -> list[str]:
        """The step digests ``vendor_id`` published with its result in ``job_id``."""
        value = self.gateway.read(transcript_key(job_id, vendor_id))
        if value is None:
            raise AuditFailed(f"{vendor_id} published no transcript for {job_id}")
        return TranscriptRecord.from_json_value(value).step_digests

    # -- model and request --------------------------------------------------------------

    def register_identity(self) -> Outcome:
        return self.gateway.submit("register_identity", {"role": "developer",
                                                         "organisation": self.gateway.organisation})

    def register_model(self, model_id: str, recipe: ModelRecipe) -> Outcome:
        self.recipes[model_id] = recipe
        return self.gateway.submit("register_model", {"model": model_id,
                                                      "commitment": recipe.commitment().hex()})

    def job_terms(self, model_id: str, datasets: list[str], vendors: list[str]) -> dict[str, int]:
        """Steps and the least stakes and bonds the market's rules — and the synthesised
        region of the job's shape, if genesis recorded one — accept for this job."""
        recipe = self.recipes[model_id]
        records = [self.dataset(dataset) for dataset in datasets]
        offers = [OfferRecord.from_json_value(self.gateway.read(f"offer/{vendor}"))
                  for vendor in vendors]
        steps = recipe.total_steps(sum(record.train_rows for record in records))
        config = self.gateway.read("market/config")
        rules = rules_from_json_value(config["rules"])
        prices, fees = [record.price for record in records], [offer.fee for offer in offers]
        costs = [offer.cost for offer in offers]
        misuse_values = [record.misuse_value for record in records]
        region: tuple = ()
        if config.get("regions") is not None:
            region = regions_from_json_value(config["regions"]).constraints_for(
                JobTerms(prices, fees, costs, misuse_values, steps, 0, 0, 0))
        vendor_stake, developer_bond, owner_bond = least_stakes(
            rules, prices, fees, costs, misuse_values, steps, region)
        return {"steps": steps, "vendor_stake": vendor_stake, "developer_bond": developer_bond,
                "owner_bond": owner_bond}

    def request(self, job_id: str, model_id: str, datasets: list[str], vendors: list[str], *,
                purpose: str, window: int) -> Outcome:
        terms = self.job_terms(model_id, datasets, vendors)
        self.jobs[job_id] = DeveloperJob(self.recipes[model_id])
        return self.gateway.submit("request_training", {
            "job": job_id, "model": model_id, "datasets": datasets, "vendors": vendors,
            "purpose": purpose, "window": window, **terms})

    def recipe_for(self, job_id: str) -> ModelRecipe:
        return self.jobs[job_id].recipe

    # -- audit --------------------------------------------------------------------------

    def _dataset_rows(self, job: JobRecord) -> list[DatasetRows]:
        rows = []
        for dataset_id in job.datasets:
            record = self.dataset(dataset_id)
            rows.append(DatasetRows(dataset_id, record.train_rows_root, record.train_rows,
                                    record.feature_count))
        return rows

    def _re_execute(self, job: JobRecord, vendor: Vendor, digests: list[str],
                    step_index: int, report: AuditReport) -> str | None:
        """Re-execute step ``step_index`` from ``vendor``'s openings of its own transcript
        (pre-state and batch), every opening checked; the recomputed post-state digest.
        The honest step from one agreed pre-state is executed once per job."""
        agreed = None if step_index == 0 else digests[step_index - 1]
        cache = self.jobs[job.job_id].re_executed
        if (step_index, agreed) in cache:
            return cache[(step_index, agreed)]
        recipe = self.recipe_for(job.job_id)
        model = ModelRecord.from_json_value(self.gateway.read(f"model/{job.model}"))
        try:
            outcome = re_execute_step(
                recipe.to_json_value(), model.commitment,
                vendor.open_state(job.job_id, step_index).to_json_value(), agreed, step_index,
                self._dataset_rows(job), vendor.open_batch(job.job_id, step_index),
                digests[step_index])
        except (EvidenceError, IndexError, KeyError) as error:
            raise AuditFailed(f"{vendor.name}'s openings of step {step_index} do not check: "
                              f"{error}") from None
        cache[(step_index, agreed)] = outcome.recomputed_digest
        report.steps_re_executed.append(step_index)
        return outcome.recomputed_digest

    def audit(self, job_id: str, vendors: dict[str, Vendor]) -> AuditReport:
        """Audit a DELIVERED job: build the claim, then find every vendor it convicts.
        Only the vendors that submitted are audited: a job whose running deadline passed
        after some vendors submitted is DELIVERED with the silent ones already convicted
        (they published nothing and cannot be disputed)."""
        job = self.job(job_id)
        transcripts: dict[str, list[str]] = {}
        for vendor_id in [vendor for vendor in job.vendors if vendor in job.results]:
            digests = self.published_digests(job_id, vendor_id)
            committed = job.results[vendor_id]
            if (len(digests) != job.steps or merkle_root([bytes.fromhex(d) for d in digests]).hex()
                    != committed.transcript_root):
                raise AuditFailed(f"{vendor_id}'s transcript does not match its commitment")
            transcripts[vendor_id] = digests
        report = AuditReport()
        claim, trusted = self._claim(job, vendors, transcripts, report)
        for vendor_id, digests in transcripts.items():
            if digests[-1] == claim[-1]:
                if digests != claim:
                    report.notes.append(f"{vendor_id} parts from the claim but ends on the same "
                                        "final digest: nothing to dispute")
                continue
            step_index = narrowed_step(claim, digests)
            agreed = None if step_index == 0 else digests[step_index - 1]
            holder = next((name for name in [trusted, *transcripts]
                           if step_index == 0 or transcripts[name][step_index - 1] == agreed),
                          vendor_id)
            recomputed = self._re_execute(job, vendors[holder], transcripts[holder],
                                          step_index, report)
            if recomputed == digests[step_index]:
                report.notes.append(f"the bisection against {vendor_id} would end at step "
                                    f"{step_index}, where {vendor_id} is right: not disputed")
                continue
            report.notes.append(f"{vendor_id} is wrong at step {step_index}")
            report.findings.append(Finding(vendor_id, claim, holder, step_index))
        self.jobs[job_id].audit = report
        return report

    def _claim(self, job: JobRecord, vendors: dict[str, Vendor],
               transcripts: dict[str, list[str]], report: AuditReport) -> tuple[list[str], str]:
        """The transcript the developer stands behind, and the vendor whose transcript it
        follows: where two vendors part, the one the re-executed step agrees with is
        trusted; then seeded spot checks of the trusted transcript."""
        submitted = list(transcripts)
        trusted = submitted[0]
        wrong_at: tuple[int, str | None] | None = None
        for other in submitted[1:]:
            if transcripts[other] == transcripts[trusted]:
                continue
            step_index = self._first_divergence(transcripts[trusted], transcripts[other])
            recomputed = self._re_execute(job, vendors[trusted], transcripts[trusted],
                                          step_index, report)
            if recomputed == transcripts[trusted][step_index]:
                report.notes.append(f"{trusted} and {other} part at step {step_index}; "
                                    f"re-execution agrees with {trusted}")
            elif recomputed == transcripts[other][step_index]:
                report.notes.append(f"{trusted} and {other} part at step {step_index}; "
                                    f"re-execution agrees with {other}")
                trusted, wrong_at = other, None
            else:
                report.notes.append(f"{trusted} and {other} part at step {step_index}; "
                                    "re-execution agrees with neither")
                if wrong_at is None or step_index < wrong_at[0]:
                    wrong_at = (step_index, recomputed)
        digests = transcripts[trusted]
        for step_index in sorted(self.random.sample(range(job.steps),
                                                    min(self.spot_checks, job.steps))):
            if wrong_at is not None and step_index >= wrong_at[0]:
                break
            recomputed = self._re_execute(job, vendors[trusted], digests, step_index, report)
            if recomputed != digests[step_index]:
                report.notes.append(f"spot check: {trusted} is wrong at step {step_index}")
                wrong_at = (step_index, recomputed)
                break
        if wrong_at is None:
            return digests, trusted
        return self._claim_from(digests, wrong_at[0], wrong_at[1]), trusted

    @staticmethod
    def _first_divergence(left: list[str], right: list[str]) -> int:
        """The first step whose post-state digests differ (its pre-state digests agree)."""
        return next(index for index, (one, other) in enumerate(zip(left, right)) if one != other)

    @staticmethod
    def _claim_from(digests: list[str], step_index: int, recomputed: str | None) -> list[str]:
        """The claim "right before ``step_index``, wrong from it on": the vendor's digests
        before it, the re-executed digest at it, and digests the developer cannot know
        after it (marked as unknown, never equal to the vendor's)."""
        claim = list(digests[:step_index])
        claim.append(recomputed or hashlib.sha256(UNKNOWN_CLAIM_TAG + b"impossible").hexdigest())
        for position in range(step_index + 1, len(digests)):
            claim.append(hashlib.sha256(UNKNOWN_CLAIM_TAG + position.to_bytes(8, "little")
                                        + bytes.fromhex(digests[position])).hexdigest())
        return claim

    # -- accepting or disputing ---------------------------------------------------------

    def accept(self, job_id: str) -> Outcome:
        return self.gateway.submit("accept_result", {"job": job_id})

    def timeout(self, job_id: str) -> Outcome:
        """``timeout``: anyone may call it once the job's deadline has passed."""
        return self.gateway.submit("timeout", {"job": job_id})

    def next_finding(self, job_id: str) -> Finding | None:
        """The first finding of the audit whose vendor has not been disputed yet (a job
        sees one dispute: its resolution ends the job)."""
        report = self.jobs[job_id].audit
        if report is None:
            return None
        disputed = {dispute.respondent for dispute in self.job(job_id).disputes}
        return next((finding for finding in report.findings
                     if finding.respondent not in disputed), None)

    def dispute(self, job_id: str, vendor: str | None = None) -> Outcome:
        """``dispute_result`` against ``vendor``'s finding (default: the next finding)."""
        report = self.jobs[job_id].audit
        finding = (self.next_finding(job_id) if vendor is None
                   else None if report is None else report.finding_for(vendor))
        if finding is None:
            raise RuntimeError(f"no audit finding to dispute for {job_id}"
                               + (f" against {vendor}" if vendor else ""))
        claim = [bytes.fromhex(digest) for digest in finding.claimant_digests]
        self.jobs[job_id].claimant_digests = claim
        steps = len(claim)
        return self.gateway.submit("dispute_result", {
            "job": job_id, "vendor": finding.respondent,
            "transcript_root": merkle_root(claim).hex(), "steps": steps,
            "final_digest": claim[-1].hex(),
            "final_proof": inclusion_proof(claim, steps - 1).to_json_value()})

    def query(self, job_id: str) -> Outcome:
        """Open the claimant transcript at the dispute's midpoint."""
        job = self.job(job_id)
        assert job.dispute is not None
        position = job.dispute.midpoint
        claim = self.jobs[job_id].claimant_digests
        return self.gateway.submit("bisect_query", {
            "job": job_id, "digest": claim[position - 1].hex(),
            "proof": inclusion_proof(claim, position - 1).to_json_value()})

    def claim_holds(self, job_id: str, vendors: dict[str, Vendor]) -> bool:
        """Whether the claim of the job's current dispute is true: the step its bisection
        narrows to (deterministic, from the claim and the respondent's published digests),
        re-executed from the openings of the vendor the finding names, shows the
        respondent wrong."""
        job = self.job(job_id)
        report = self.jobs[job_id].audit
        assert job.dispute is not None and report is not None
        finding = report.finding_for(job.dispute.respondent)
        assert finding is not None, f"no finding against {job.dispute.respondent}"
        published = self.published_digests(job_id, job.dispute.respondent)
        step_index = narrowed_step(finding.claimant_digests, published)
        helper = vendors[finding.evidence_vendor]
        recomputed = self._re_execute(job, helper, self.published_digests(job_id, helper.name),
                                      step_index, AuditReport())
        return recomputed != published[step_index]

    def dispute_move(self, job_id: str, vendors: dict[str, Vendor]) -> Outcome | None:
        """The developer's move in the job's current dispute, or None when it waits: on
        its turn it opens its claim (``bisect_query``), once narrowed it resolves the step
        (``resolve_step``) — as long as the claim holds. A false claim concedes by silence:
        the timeout then convicts the developer (``MISSED_DEADLINE``) and the respondent is
        paid for the rounds it answered, as after losing at ``resolve_step``."""
        dispute = self.job(job_id).dispute
        assert dispute is not None
        if dispute.turn == Turn.RESPONDENT or not self.claim_holds(job_id, vendors):
            return None
        if dispute.turn == Turn.CLAIMANT:
            return self.query(job_id)
        return self.resolve(job_id, vendors)

    def resolve(self, job_id: str, vendors: dict[str, Vendor]) -> Outcome:
        """``resolve_step`` with the openings of the vendor the audit named for the
        current dispute's finding (it holds the agreed pre-state)."""
        job = self.job(job_id)
        report = self.jobs[job_id].audit
        assert job.dispute is not None and report is not None
        finding = report.finding_for(job.dispute.respondent)
        assert finding is not None, f"no finding against {job.dispute.respondent}"
        helper = vendors[finding.evidence_vendor]
        step_index = job.dispute.low
        return self.gateway.submit("resolve_step", {
            "job": job_id, "recipe": self.recipe_for(job_id).to_json_value(),
            "pre_state": helper.open_state(job_id, step_index).to_json_value(),
            "batch": helper.open_batch(job_id, step_index)})

    def receive_model(self, job_id: str, vendors: dict[str, Vendor]) -> TrainingState:
        """The trained model, once the ledger says it is delivered, from a vendor of the
        job and checked against that vendor's committed final digest."""
        job = self.job(job_id)
        if not job.model_delivered:
            raise AuditFailed(f"the ledger does not deliver the model of {job_id} "
                              f"({job.status})")
        for vendor_id in job.vendors:
            if any(verdict.convicted == vendor_id for verdict in job.verdicts):
                continue
            model = vendors[vendor_id].final_model(job_id)
            if model.digest().hex() != job.results[vendor_id].final_digest:
                raise AuditFailed(f"{vendor_id}'s model is not the one it committed to")
            return model
        raise AuditFailed(f"no unconvicted vendor of {job_id} delivered a model")
