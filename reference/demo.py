"""A whole marketplace on a fresh ledger: the scenario behind ``aimarket demo``.

Cast: a channel admin and the treasury (organisation ``MarketOrg``), two data owners
(``OwnersOrg``) each holding half of the breast-cancer training rows, one developer
(``DevelopersOrg``) with a logistic-regression recipe, three vendors (``VendorsOrg``).
Jobs, run one after the other on the same ledger:

1. ``job-honest`` — both datasets, vendors 1 and 2; everyone honest: the developer's audit
   finds the vendors' transcripts equal and its spot checks right, accepts, and receives
   the trained model (its accuracy is reported beside float training);
2. ``job-lazy`` — both datasets, vendors 1 and 3; vendor 3 stops working after step 100:
   the transcripts part, the audit re-executes the step where they part, the developer
   disputes vendor 3, the bisection narrows the disagreement to one step and
   ``resolve_step`` re-executes it on the ledger: vendor 3 is convicted of
   WRONG_COMPUTATION, which ends the job (one re-execution per job):
   RESOLVED:WRONG_COMPUTATION, no model delivered;
3. ``job-complaint`` — dataset 1, vendor 2; vendor 2 complains about inputs that match
   their commitment: the signed delivery receipt convicts it of FALSE_COMPLAINT.

Then two secret-shared trainings (:mod:`reference.clients.shared_training`):
``job-shared``, a ledger job of vendors 1–4 that trains the demo model (``SHARED_EPOCHS``
epochs) on Shamir shares across four vendor processes (MPyC, t = 1) — the owners deal their
rows, the developer its initial model, the vendors commit the digests of their per-step
records with ``submit_result``, the developer accepts and alone opens the result — and
``job-shared-lazy``, a short ledger job on data1 with a vendor that keeps its shares
instead of updating them: the public check names it, the referee re-executes that one
vendor's step from its view, and ``convict_shared_step`` convicts it on the ledger from
the committed step records (RESOLVED:WRONG_COMPUTATION); and ``job-shared-tamper``, a short
job on data2 in which vendor2 sends vendor1 inconsistent resharing messages in step 1: the
sender checks it committed name it, and ``convict_shared_step`` convicts it with nothing
opened (RESOLVED:WRONG_COMPUTATION).

Then: every balance, the token-conservation check, ``verify_ledger`` on every peer, and
the independent evidence checker over the block store.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.chaincode.contract import CHAINCODE_NAME, MarketplaceChaincode
from reference.chaincode.records import JobRecord, Status, Turn
from reference.clients.data_owner import DataOwner
from reference.clients.datasets import job_training_set, split_into_parts
from reference.clients.shared_training import (
    Holdings,
    open_shared_model,
    SharedJob,
    privacy_report,
    run_shared_job,
    shared_accuracy,
)
from reference.clients.developer import Developer
from reference.clients.evidence_checker import EvidenceReport, check_ledger
from reference.clients.gateway import (
    CallFailed,
    MarketClock,
    MemoryGateway,
    NetworkGateway,
    Outcome,
)
from reference.clients.treasury import Treasury, init_market
from reference.clients.vendor import Vendor
from reference.ledger import FakeClock, Network, verify_ledger
from reference.training import AccuracyReport, accuracy_report, make_recipe, prepare_breast_cancer
from reference.training.dataset import PreparedDataset
from reference.training.recipe import ModelRecipe

ORGANISATIONS = ["MarketOrg", "OwnersOrg", "DevelopersOrg", "VendorsOrg"]
ROLE_ORGANISATIONS = {"data_owner": ["OwnersOrg"], "developer": ["DevelopersOrg"],
                      "vendor": ["VendorsOrg"]}
"""Which organisation's certificates may hold each role (recorded at genesis)."""
PURPOSE = "training"
WINDOW = 3600
PRICE, MISUSE_VALUE, FEE, COST, CAPACITY = 100, 60, 40, 15, 2
FUNDING = {"owner1": 400, "owner2": 400, "dev1": 2000,
           "vendor1": 1500, "vendor2": 1500, "vendor3": 1500, "vendor4": 1500}
LAZY_FROM_STEP = 100
SHARED_VENDORS = ("vendor1", "vendor2", "vendor3", "vendor4")  # vendor4 only in job-shared
SHARED_MODEL = "model-shared"
SHARED_THRESHOLD = 1
SHARED_EPOCHS = 2  # 28 steps of 32 rows: the secret-shared demo training stays within ~30 s
SHARED_LAZY_MODEL = "model-shared-lazy"
SHARED_LAZY_BATCH = 96  # data1 alone in batches of 96 rows: a short job (2 steps)
SHARED_LAZY_FROM = 1
SHARED_TAMPER = {"tamper_at": 1, "peer": 0, "message": 0}
"""job-shared-tamper: vendor2 adds 2**40 to every array it sends vendor1 in step 1."""

GatewayFactory = Callable[[str, str, str], "NetworkGateway | MemoryGateway"]


@dataclass
class Cast:
    admin: NetworkGateway | MemoryGateway
    treasury: Treasury
    owners: dict[str, DataOwner]
    developer: Developer
    vendors: dict[str, Vendor]
    dataset_owner: dict[str, str] = field(default_factory=dict)

    def parties(self) -> list[Any]:
        return [*self.owners.values(), self.developer, *self.vendors.values()]


def build_cast(make_gateway: GatewayFactory) -> Cast:
    """The demo's parties; ``make_gateway(name, organisation, certificate_role)``."""
    owners = {name: DataOwner(make_gateway(name, "OwnersOrg", "data_owner"))
              for name in ("owner1", "owner2")}
    vendors = {name: Vendor(make_gateway(name, "VendorsOrg", "vendor"))
               for name in ("vendor1", "vendor2", "vendor3", "vendor4")}
    return Cast(admin=make_gateway("admin", "MarketOrg", "admin"),
                treasury=Treasury(make_gateway("treasury", "MarketOrg", "treasury")),
                owners=owners, developer=Developer(make_gateway("dev1", "DevelopersOrg", "developer")),
                vendors=vendors)


def must(outcome: Outcome) -> Outcome:
    if not outcome.ok:
        raise CallFailed(outcome)
    return outcome


def set_up_market(cast: Cast, clock: MarketClock, parts: list[PreparedDataset],
                  recipe: ModelRecipe, rules_document: dict[str, Any] | None = None) -> None:
    """Genesis, identities, funding, datasets, offers and the model."""
    must(init_market(cast.admin, cast.treasury.gateway, rules_document,
                     organisations=ROLE_ORGANISATIONS))
    for party in cast.parties():
        must(party.register_identity())
    clock.advance(10)
    for party in cast.parties():
        must(cast.treasury.fund(party.name, FUNDING[party.name]))
    clock.advance(10)
    for index, (owner, part) in enumerate(zip(cast.owners.values(), parts), start=1):
        dataset_id = f"data{index}"
        cast.dataset_owner[dataset_id] = owner.name
        must(owner.register_dataset(dataset_id, part, price=PRICE, misuse_value=MISUSE_VALUE,
                                    purposes=[PURPOSE], expiry=clock.now() + 30 * 86400,
                                    max_uses=10))
    for vendor in cast.vendors.values():
        must(vendor.register_offer(FEE, COST, CAPACITY))
    must(cast.developer.register_model("model1", recipe))
    must(cast.developer.register_model(SHARED_MODEL, make_recipe(epochs=SHARED_EPOCHS)))
    must(cast.developer.register_model(SHARED_LAZY_MODEL,
                                       make_recipe(epochs=1, batch_size=SHARED_LAZY_BATCH)))
    clock.advance(60)


@dataclass
class JobRun:
    job: str
    record: JobRecord
    model_received: bool = False
    audit_notes: list[str] = field(default_factory=list)
    steps_re_executed: list[int] = field(default_factory=list)
    bisection_rounds: int = 0

    @property
    def convicted(self) -> list[dict[str, str]]:
        return [{"party": verdict.convicted, "offence": verdict.offence}
                for verdict in self.record.verdicts]

    @property
    def outcome(self) -> str:
        """How the job ended: its status, refined for RESOLVED by the offence of the
        verdict that ended it (the last one)."""
        record = self.record
        if record.status == Status.RESOLVED and record.verdicts:
            return f"{record.status}:{record.verdicts[-1].offence}"
        return record.status


def run_job(cast: Cast, clock: MarketClock, job_id: str, datasets: list[str],
            vendor_ids: list[str], *, silent: frozenset[str] = frozenset(),
            unresolved: frozenset[str] = frozenset()) -> JobRun:
    """Drive one job from request to its end, every party following its plan.

    After delivery the developer audits, then disputes the first vendor the audit
    convicts (the dispute's resolution ends the job: one re-execution per job) or, with no
    finding, accepts. ``silent`` names respondents that never answer the bisection (``timeout``
    opens their committed digests for them); ``unresolved`` names respondents whose
    narrowed step the developer leaves unresolved (``timeout`` then convicts the
    developer, who bears the burden of its dispute).
    """
    developer = cast.developer
    vendors = {name: cast.vendors[name] for name in vendor_ids}
    must(developer.request(job_id, "model1", datasets, vendor_ids, purpose=PURPOSE, window=WINDOW))
    for vendor in vendors.values():
        vendor.receive_recipe(job_id, developer.recipe_for(job_id))
    clock.advance(30)
    for dataset_id in datasets:
        must(cast.owners[cast.dataset_owner[dataset_id]].grant(job_id, dataset_id))
    clock.advance(30)
    for vendor in vendors.values():
        must(vendor.accept(job_id))
    clock.advance(30)
    for vendor in vendors.values():
        deliveries = {dataset_id: cast.owners[cast.dataset_owner[dataset_id]].deliver(
            job_id, dataset_id, vendor.name) for dataset_id in datasets}
        vendor.take_delivery(job_id, deliveries)
        must(vendor.report_inputs(job_id))
        if developer.job(job_id).status == Status.RESOLVED:
            return JobRun(job_id, developer.job(job_id))
    clock.advance(600)  # training
    for vendor in vendors.values():
        vendor.train(job_id)
        must(vendor.submit(job_id))
    clock.advance(120)
    report = developer.audit(job_id, cast.vendors)
    run = JobRun(job_id, developer.job(job_id), audit_notes=report.notes,
                 steps_re_executed=report.steps_re_executed)
    finding = developer.next_finding(job_id)
    while finding is not None:
        must(developer.dispute(job_id, finding.respondent))
        run.bisection_rounds += play_dispute(cast, clock, job_id, silent=silent,
                                             unresolved=unresolved)
        if developer.job(job_id).status != Status.DELIVERED:
            break
        clock.advance(20)
        finding = developer.next_finding(job_id)
    if developer.job(job_id).status == Status.DELIVERED:
        must(developer.accept(job_id))
    run.record = developer.job(job_id)
    if run.record.model_delivered:
        developer.receive_model(job_id, cast.vendors)
        run.model_received = True
    return run


def play_dispute(cast: Cast, clock: MarketClock, job_id: str, *,
                 silent: frozenset[str] = frozenset(),
                 unresolved: frozenset[str] = frozenset()) -> int:
    """Play the job's current dispute to its end; its bisection rounds. The respondent
    answers unless it is ``silent``; the developer moves as long as its claim holds (it
    leaves the narrowed step alone against ``unresolved`` respondents). Whoever waits for
    a silent party calls ``timeout`` once the deadline has passed."""
    developer = cast.developer
    while True:
        clock.advance(20)
        job = developer.job(job_id)
        if job.status != Status.DISPUTED:
            return job.disputes[-1].rounds
        dispute = job.dispute
        assert dispute is not None
        respondent = cast.vendors[dispute.respondent]
        if dispute.turn == Turn.RESPONDENT:
            if dispute.respondent not in silent:
                must(respondent.answer(job_id))
                continue
            waiting = developer.gateway
        elif dispute.turn == Turn.RESOLVE and dispute.respondent in unresolved:
            waiting = respondent.gateway
        else:
            outcome = developer.dispute_move(job_id, cast.vendors)
            if outcome is not None:
                must(outcome)
                continue
            waiting = respondent.gateway  # the developer concedes by silence
        clock.advance(WINDOW + 1)
        must(waiting.submit("timeout", {"job": job_id}))


@dataclass
class DemoResult:
    directory: str
    peers: int
    jobs: list[JobRun]
    timeline: list[Outcome]
    accounts: dict[str, Any]
    accuracy: AccuracyReport
    ledger_verified: bool
    ledger_problems: list[str]
    evidence: EvidenceReport
    blocks: int = 0
    training: dict[str, Any] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)
    attacks: list[dict[str, Any]] = field(default_factory=list)
    """The time attacks (``reference.attacks``), played on a fresh market after the jobs."""

    @property
    def tokens_conserved(self) -> bool:
        return bool(self.accounts["conserved"]) and self.evidence.tokens_conserved

    def to_json_value(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "peers": self.peers,
            "blocks": self.blocks,
            "transactions": len(self.timeline),
            "balances": self.accounts["balances"],
            "minted": self.accounts["minted"],
            "accuracy": self.accuracy.to_json_value(),
            "training": self.training,
            "privacy": self.privacy,
            "evidence_checker": self.evidence.to_json_value(),
            "ledger_problems": self.ledger_problems,
            "jobs": [{"id": run.job, "outcome": run.outcome, "status": run.record.status,
                      "convicted": [item["party"] for item in run.convicted],
                      "offences": [item["offence"] for item in run.convicted],
                      "disputes": len(run.record.disputes),
                      "model_delivered": run.record.model_delivered}
                     for run in self.jobs],
            "tokens_conserved": self.tokens_conserved,
            "ledger_verified": self.ledger_verified,
            "attacks": self.attacks,
        }


def run_demo(directory: str | Path | None = None, peers: int = 4,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    """Run the whole scenario on a new network in ``directory`` (a new temporary
    directory when None; it must not exist or be empty)."""
    root = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="aimarket-demo-"))
    say = progress or (lambda message: None)
    ledger_clock = FakeClock(1_700_000_000.0)
    clock = MarketClock(ledger=ledger_clock)  # the market's time is the ledger's
    network = Network.create(root, peers=peers, orgs=ORGANISATIONS, clock=ledger_clock)
    timeline: list[Outcome] = []
    try:
        network.install_chaincode(CHAINCODE_NAME, MarketplaceChaincode)

        def make_gateway(name: str, organisation: str, role: str) -> NetworkGateway:
            identity = (network.admins[organisation] if role == "admin"
                        else network.enroll(organisation, name, role))
            return NetworkGateway(network, identity, clock, journal=timeline.append)

        cast = build_cast(make_gateway)
        say("preparing the breast-cancer data set and splitting it between the two owners")
        prepared = prepare_breast_cancer()
        parts = split_into_parts(prepared, 2)
        recipe = make_recipe()
        say("setting up the market: genesis, identities, funding, datasets, offers, model")
        set_up_market(cast, clock, parts, recipe)
        runs = []
        say("job-honest: both datasets, vendor1 + vendor2, everyone honest")
        runs.append(run_job(cast, clock, "job-honest", ["data1", "data2"], ["vendor1", "vendor2"]))
        model = cast.developer.receive_model("job-honest", cast.vendors)
        accuracy = accuracy_report(recipe, prepared, model)
        say(f"job-lazy: both datasets, vendor1 + vendor3; vendor3 skips the work from step "
            f"{LAZY_FROM_STEP}")
        cast.vendors["vendor3"].plan_lazy("job-lazy", LAZY_FROM_STEP)
        runs.append(run_job(cast, clock, "job-lazy", ["data1", "data2"], ["vendor1", "vendor3"]))
        say("job-complaint: data1, vendor2; vendor2 complains about inputs that are fine")
        cast.vendors["vendor2"].plan_false_complaint("job-complaint", "data1")
        runs.append(run_job(cast, clock, "job-complaint", ["data1"], ["vendor2"]))
        training, privacy, shared_runs = run_shared_phase(cast, clock, parts, say)
        runs += shared_runs
        accounts = cast.admin.accounts()
        blocks = network.peers[0].height
    finally:
        network.close()
    say(f"verifying the ledger of every peer ({peers}) and re-checking every verdict")
    ledger_report = verify_ledger(root)
    evidence = check_ledger(root)
    say("playing the time attacks (backdated, postdated, late broadcast, skewed clock) on a "
        "fresh market in attacks/")
    from reference.attacks.catalogue import run_attacks
    attacks = run_attacks(root / "attacks", only=lambda category, _name: category == "time")
    return DemoResult(str(root), peers, runs, timeline, accounts, accuracy, ledger_report.ok,
                      list(ledger_report.problems), evidence, blocks, training, privacy,
                      [attack.to_json_value() for attack in attacks.attacks])


def open_shared_job(cast: Cast, clock: MarketClock, job_id: str, model_id: str,
                    datasets: list[str], names: list[str]) -> ModelRecipe:
    """A secret-shared job on the ledger up to training: requested, granted, staked and
    confirmed (the owners hand each vendor its sealed share bundle, not a decryptable
    dataset); the job's recipe."""
    developer = cast.developer
    must(developer.request(job_id, model_id, datasets, names, purpose=PURPOSE, window=WINDOW))
    recipe = developer.recipe_for(job_id)
    for name in names:
        cast.vendors[name].receive_recipe(job_id, recipe)
    clock.advance(30)
    for dataset_id in datasets:
        must(cast.owners[cast.dataset_owner[dataset_id]].grant(job_id, dataset_id))
    clock.advance(30)
    for name in names:
        must(cast.vendors[name].accept(job_id))
    clock.advance(30)
    for name in names:
        must(cast.vendors[name].gateway.submit("confirm_inputs", {"job": job_id}))
    return recipe


def submit_shared_results(cast: Cast, clock: MarketClock, job_id: str, shared: SharedJob) -> None:
    """Each vendor's ``submit_result``: the digests of its per-step records."""
    clock.advance(600)
    for index, name in enumerate(shared.vendors):
        must(cast.vendors[name].gateway.submit(
            "submit_result", commitment_arguments(job_id, shared.training.records[index])))
    clock.advance(120)


def convict_on_ledger(cast: Cast, job_id: str, shared: SharedJob) -> None:
    """The referee's verdict on the ledger: ``convict_shared_step`` with every vendor's
    records up to the faulty step (checked there against their committed digests) and the
    record its re-execution of the named vendor's view gave."""
    [judgement] = shared.judgements
    step, convicted = judgement["step"], judgement["convicted"]
    if convicted is None or (judgement["kind"] == "state" and judgement["replayed"] is None):
        raise RuntimeError(f"the referee convicted nobody in {job_id}: {judgement['reason']}")
    records = {name: [record.to_json_value() for record in shared.training.records[index][:step + 1]]
               for index, name in enumerate(shared.vendors)}
    arguments: dict[str, Any] = {"job": job_id, "step": step, "vendor": convicted,
                                 "check": judgement["kind"], "records": records}
    if judgement["kind"] == "state":
        arguments["replay"] = judgement["replayed"]
    must(cast.developer.gateway.submit("convict_shared_step", arguments))


def run_shared_phase(cast: Cast, clock: MarketClock, parts: list[PreparedDataset],
                     say: Callable[[str], None]) -> tuple[dict[str, Any], dict[str, Any], list[JobRun]]:
    """``job-shared`` and ``job-shared-lazy`` on the ledger, both trained on shares (the
    ledger holds the per-step commitments); the demo's ``training`` and ``privacy``
    summaries and the jobs' runs."""
    developer = cast.developer
    names = list(SHARED_VENDORS)
    keys = {name: cast.vendors[name].exchange_key for name in names}
    datasets = {"data1": ("owner1", parts[0]), "data2": ("owner2", parts[1])}
    job_id = "job-shared"
    recipe = open_shared_job(cast, clock, job_id, SHARED_MODEL, list(datasets), names)
    training_set = job_training_set(parts)
    with tempfile.TemporaryDirectory(prefix="aimarket-mpc-") as workdir:
        say(f"job-shared: data1 + data2 on Shamir shares across {len(names)} vendor processes "
            f"(MPyC, t = {SHARED_THRESHOLD}), {recipe.total_steps(training_set.train_row_count)} "
            "steps; the ledger gets each vendor's per-step commitments; only dev1 opens the model")
        started = time.perf_counter()
        shared = run_shared_job(job_id, recipe, datasets, developer.name, keys,
                                Path(workdir) / job_id, threshold=SHARED_THRESHOLD,
                                open_model=False)
        seconds = time.perf_counter() - started
        if shared.judgements:
            raise RuntimeError(f"the honest secret-shared job found a fault: {shared.judgements}")
        submit_shared_results(cast, clock, job_id, shared)
        must(developer.accept(job_id))
        if not developer.job(job_id).model_delivered:
            raise RuntimeError(f"the ledger does not deliver the model of {job_id}")
        open_shared_model(shared, developer.name)
        lazy_id = "job-shared-lazy"
        lazy_datasets = {"data1": datasets["data1"]}
        lazy_recipe = open_shared_job(cast, clock, lazy_id, SHARED_LAZY_MODEL, list(lazy_datasets),
                                      names)
        say(f"{lazy_id}: data1 on shares, {lazy_recipe.total_steps(parts[0].train_row_count)} "
            f"steps; vendor4 keeps its shares from step {SHARED_LAZY_FROM} on instead of "
            "updating them; the public check names it, the referee re-executes its step from "
            "its view and convict_shared_step convicts it on the ledger")
        lazy = run_shared_job(lazy_id, lazy_recipe, lazy_datasets, developer.name, keys,
                              Path(workdir) / lazy_id, threshold=SHARED_THRESHOLD,
                              behaviours={"vendor4": {"lazy_from": SHARED_LAZY_FROM}},
                              open_model=False)
        submit_shared_results(cast, clock, lazy_id, lazy)
        convict_on_ledger(cast, lazy_id, lazy)
        tamper_id = "job-shared-tamper"
        tamper_datasets = {"data2": datasets["data2"]}
        tamper_recipe = open_shared_job(cast, clock, tamper_id, SHARED_LAZY_MODEL,
                                        list(tamper_datasets), names)
        say(f"{tamper_id}: data2 on shares, {tamper_recipe.total_steps(parts[1].train_row_count)} "
            "steps; in step 1 vendor2 sends vendor1 sub-shares off the polynomial of the ones "
            "it sends the others; its own committed sender checks name it, and "
            "convict_shared_step convicts it on the ledger with nothing opened")
        tamper = run_shared_job(tamper_id, tamper_recipe, tamper_datasets, developer.name, keys,
                                Path(workdir) / tamper_id, threshold=SHARED_THRESHOLD,
                                behaviours={"vendor2": dict(SHARED_TAMPER)}, open_model=False)
        submit_shared_results(cast, clock, tamper_id, tamper)
        convict_on_ledger(cast, tamper_id, tamper)
    run = shared.training
    figures = shared_accuracy(shared, recipe, training_set, run.steps)
    training = {"mode": "secret-shared", "library": "mpyc", "vendors": len(keys),
                "threshold": SHARED_THRESHOLD, "accuracy": round(figures["accuracy"], 4),
                "plaintext_accuracy": round(figures["plaintext_accuracy"], 4),
                "seconds": round(seconds, 2), "steps": run.steps,
                "seconds_per_step": round(run.seconds / run.steps, 3),
                "bytes_per_party_per_step": round(sum(run.bytes_sent.values())
                                                  / len(run.bytes_sent) / run.steps),
                "max_weight_difference": round(figures["max_weight_difference"], 6)}
    privacy = privacy_summary([shared, lazy, tamper])
    runs = [JobRun(ident, developer.job(ident), model_received=developer.job(ident).model_delivered)
            for ident in (job_id, lazy_id, tamper_id)]
    return training, privacy, runs


def commitment_arguments(job_id: str, records: list[Any]) -> dict[str, Any]:
    """``submit_result`` for a secret-shared vendor: its transcript is the digest of each
    step's record (share-state, message and key digests, check value) — commitments only."""
    from reference.clients.crypto import canonical_json
    from reference.training.merkle import inclusion_proof, merkle_root

    digests = [hashlib.sha256(canonical_json(record.to_json_value())).digest()
               for record in records]
    return {"job": job_id, "transcript_root": merkle_root(digests).hex(), "steps": len(digests),
            "final_digest": digests[-1].hex(),
            "final_proof": inclusion_proof(digests, len(digests) - 1).to_json_value(),
            "step_digests": [digest.hex() for digest in digests],
            "record_digests": [digest.hex() for digest in digests]}


def privacy_summary(jobs: list[SharedJob]) -> dict[str, Any]:
    """What each party holds after the secret-shared jobs (and the referee's openings)."""
    merged = Holdings()
    entitled: dict[str, str] = {}
    for job in jobs:
        entitled.update(job.entitled)
        for key, indices in job.holdings.shares.items():
            merged.shares[key] |= indices
        merged.plaintexts |= job.holdings.plaintexts
        for sharing, vendors in job.holdings.views.items():
            merged.views[sharing] |= vendors
    report = privacy_report(merged, max(job.threshold for job in jobs), entitled)
    report["disputes"] = [{"job": job.job, **judgement} for job in jobs
                          for judgement in job.judgements]
    report["scope"] = [job.job for job in jobs]
    report["plaintext_jobs"] = [{"job": job, "why": why} for job, why in PLAINTEXT_JOBS]
    return report


PLAINTEXT_JOBS = (
    ("job-honest", "shows the plaintext protocol's replicated training: each vendor decrypts "
                   "the datasets and trains the whole model, and the developer receives a "
                   "vendor's model"),
    ("job-lazy", "shows the bisection game and resolve_step's re-execution on the ledger, "
                 "which opens a pre-state and a batch of rows to everyone: the chaincode's "
                 "plaintext dispute"),
    ("job-complaint", "shows a false input complaint convicted from the owner's signed "
                      "delivery receipt; the vendor decrypts data1 to check it"),
)
"""The demo's ledger jobs that still train in plaintext, and why: each shows a path of the
plaintext protocol. Their vendors hold decryptable datasets, so ``privacy.leaks`` (what
each party holds) covers only the secret-shared jobs named in ``privacy.scope``."""


def describe(outcome: Outcome) -> str:
    """A short rendering of a call's arguments for the timeline."""
    args = outcome.args
    parts = []
    for name in ("job", "dataset", "vendor", "recipient", "amount", "role", "model", "fee",
                 "price", "steps", "vendor_stake", "developer_bond", "owner_bond"):
        if name in args:
            parts.append(f"{name}={args[name]}")
    if outcome.function in ("bisect_query", "bisect_answer"):
        parts.append(f"digest={args['digest'][:10]}… after step {outcome.payload.get('position')}")
    if outcome.function == "timeout" and outcome.ok and "position" in outcome.payload:
        parts.append(f"opened the silent respondent's digest after step "
                     f"{outcome.payload['position']}")
    if outcome.function in ("submit_result", "dispute_result"):
        parts.append(f"root={args['transcript_root'][:10]}…")
    if outcome.function == "grant_access":
        parts.append(f"delivery={args['delivery_digest'][:10]}…")
    return " ".join(parts)


def result_text(outcome: Outcome) -> str:
    if not outcome.ok:
        return f"REFUSED {outcome.code}"
    status = outcome.payload.get("status")
    text = "ok" + (f", job {status}" if status else "")
    text += "".join(f"; CONVICTED {verdict['convicted']} of {verdict['offence']}"
                    for verdict in outcome.payload.get("new_verdicts") or [])
    return text
