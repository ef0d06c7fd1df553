"""A small marketplace on the in-memory ledger, with real keys, encryption and training:
the fixture of the chaincode and client tests, usable by anyone exploring the rules.

The world (:class:`World`):

* ``admin`` and ``treasury`` (``MarketOrg``); the market runs the default parameters file
  and regions file unless given other documents;
* owners ``owner1``, ``owner2`` (funded) with ``data1``, ``data2`` — 16 training rows each of
  the breast-cancer data set — and ``owner3`` (not funded) with ``data3`` (one licensed use);
* developers ``dev1`` (funded, ``model1``) and ``dev2`` (not funded, ``model2``);
* vendors ``vendor1`` (capacity 2), ``vendor2`` and ``vendor3`` (capacity 1), all funded;
* ``mallory``: an enrolled certificate that never registered with the market.

The recipe trains in batches of 8 for one epoch: a job over ``data1`` and ``data2`` has 4
steps, so a dispute bisects in at most 2 rounds. ``job1`` is the usual job: ``dev1`` over
both datasets with ``vendor1`` and ``vendor2``, phase window 100 seconds. Helpers move a
job phase by phase, every party honest unless told otherwise.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from reference.chaincode.memory import MemoryLedger
from reference.chaincode.records import JobRecord
from reference.clients.data_owner import DataOwner
from reference.clients.datasets import split_into_parts
from reference.clients.developer import AuditReport, Developer, Finding, narrowed_step
from reference.clients.gateway import MarketClock, MemoryGateway, NetworkGateway, Outcome
from reference.clients.treasury import Treasury, init_market
from reference.clients.vendor import Vendor
from reference.training import make_recipe, prepare_breast_cancer
from reference.training.dataset import PreparedDataset
from reference.training.recipe import ModelRecipe

WINDOW = 100
PURPOSE = "training"
PRICE, MISUSE_VALUE, FEE, COST = 10, 6, 4, 2
ROWS_PER_DATASET = 16


@lru_cache(maxsize=1)
def small_parts() -> tuple[PreparedDataset, ...]:
    """Three datasets of 16 training rows (and a few test rows) each."""
    prepared = prepare_breast_cancer()
    parts = split_into_parts(prepared, prepared.train_row_count // ROWS_PER_DATASET)
    return tuple(
        PreparedDataset(part.name, part.split_seed, part.train_features[:ROWS_PER_DATASET],
                        part.train_labels[:ROWS_PER_DATASET], part.test_features,
                        part.test_labels, part.train_source_rows[:ROWS_PER_DATASET],
                        part.test_source_rows)
        for part in parts[:3])


def small_recipe() -> ModelRecipe:
    return make_recipe(batch_size=8, epochs=1)


class World:
    def __init__(self, rules_document: dict[str, Any] | None = None,
                 regions_document: dict[str, Any] | None = None,
                 clock: MarketClock | None = None,
                 organisations: dict[str, list[str]] | None = None):
        self.ledger = MemoryLedger()
        self.clock = clock or MarketClock()
        self.admin = self.gateway("admin", "MarketOrg", "admin")
        self.treasury = Treasury(self.gateway("treasury", "MarketOrg"))
        self.mallory = self.gateway("mallory", "OwnersOrg")
        assert init_market(self.admin, self.treasury.gateway, rules_document,
                           regions_document, organisations).ok
        self.owners = {name: DataOwner(self.gateway(name, "OwnersOrg"))
                       for name in ("owner1", "owner2", "owner3")}
        self.developers = {name: Developer(self.gateway(name, "DevelopersOrg"), spot_checks=0)
                           for name in ("dev1", "dev2")}
        self.vendors = {name: Vendor(self.gateway(name, "VendorsOrg"))
                        for name in ("vendor1", "vendor2", "vendor3")}
        for party in self.parties():
            self.must(party.register_identity())
        for name, amount in (("owner1", 1000), ("owner2", 1000), ("dev1", 100_000),
                             ("vendor1", 100_000), ("vendor2", 100_000), ("vendor3", 100_000)):
            self.must(self.treasury.fund(name, amount))
        parts = small_parts()
        self.dataset_owner = {"data1": "owner1", "data2": "owner2", "data3": "owner3"}
        for dataset_id, part in zip(("data1", "data2", "data3"), parts):
            self.must(self.owners[self.dataset_owner[dataset_id]].register_dataset(
                dataset_id, part, price=PRICE, misuse_value=MISUSE_VALUE, purposes=[PURPOSE],
                expiry=self.clock.now() + 100_000, max_uses=1 if dataset_id == "data3" else 10))
        for name, capacity in (("vendor1", 2), ("vendor2", 1), ("vendor3", 1)):
            self.must(self.vendors[name].register_offer(FEE, COST, capacity))
        self.recipe = small_recipe()
        self.must(self.developers["dev1"].register_model("model1", self.recipe))
        self.must(self.developers["dev2"].register_model("model2", self.recipe))

    # -- plumbing -----------------------------------------------------------------------

    def gateway(self, name: str, organisation: str, role: str = "client") -> MemoryGateway | NetworkGateway:
        return MemoryGateway(self.ledger, name, organisation, self.clock, role)

    def parties(self) -> list[Any]:
        return [*self.owners.values(), *self.developers.values(), *self.vendors.values()]

    @staticmethod
    def must(outcome: Outcome) -> Outcome:
        assert outcome.ok, f"{outcome.actor} {outcome.function}: {outcome.code} {outcome.message}"
        return outcome

    def job(self, job_id: str = "job1") -> JobRecord:
        return JobRecord.from_json_value(self.ledger.value(f"job/{job_id}"))

    def balance(self, name: str) -> int:
        return self.ledger.value(f"balance/{name}")

    def accounts(self) -> dict[str, Any]:
        return self.admin.accounts()

    def snapshot(self) -> dict[str, bytes]:
        return dict(self.ledger.state)

    # -- moving a job along -------------------------------------------------------------

    def request(self, job_id: str = "job1", developer: str = "dev1", model: str = "model1",
                datasets: tuple[str, ...] = ("data1", "data2"),
                vendors: tuple[str, ...] = ("vendor1", "vendor2")) -> Outcome:
        outcome = self.developers[developer].request(job_id, model, list(datasets), list(vendors),
                                                     purpose=PURPOSE, window=WINDOW)
        if outcome.ok:
            for vendor in vendors:
                self.vendors[vendor].receive_recipe(job_id, self.recipe)
        return outcome

    def grant_all(self, job_id: str = "job1") -> None:
        for dataset_id in self.job(job_id).datasets:
            self.must(self.owners[self.dataset_owner[dataset_id]].grant(job_id, dataset_id))

    def accept_all(self, job_id: str = "job1") -> None:
        for vendor in self.job(job_id).vendors:
            self.must(self.vendors[vendor].accept(job_id))

    def deliver(self, job_id: str = "job1") -> None:
        job = self.job(job_id)
        for vendor in job.vendors:
            self.vendors[vendor].take_delivery(job_id, {
                dataset_id: self.owners[self.dataset_owner[dataset_id]].deliver(job_id, dataset_id, vendor)
                for dataset_id in job.datasets})

    def confirm_all(self, job_id: str = "job1") -> None:
        self.deliver(job_id)
        for vendor in self.job(job_id).vendors:
            self.must(self.vendors[vendor].report_inputs(job_id))

    def submit_all(self, job_id: str = "job1") -> None:
        for vendor in self.job(job_id).vendors:
            self.vendors[vendor].train(job_id)
            self.must(self.vendors[vendor].submit(job_id))

    def to_status(self, status: str, job_id: str = "job1") -> None:
        """Bring ``job_id`` (requested here if needed) honestly to ``status``."""
        steps = ["REQUESTED", "LICENSED", "RUNNING", "CONFIRMED", "DELIVERED"]
        if status not in steps:
            raise ValueError(f"cannot drive a job to {status}")
        self.must(self.request(job_id))
        actions = [self.grant_all, self.accept_all, self.confirm_all, self.submit_all]
        for action in actions[:steps.index(status)]:
            action(job_id)

    def dispute(self, respondent: str = "vendor2", job_id: str = "job1",
                lazy_from_step: int | None = 2) -> Outcome:
        """A DELIVERED job disputed against ``respondent``: with ``lazy_from_step`` the
        respondent skipped work from that step and the claim is the other vendor's honest
        transcript; with None the respondent was honest and the claim is false."""
        if lazy_from_step is not None:
            self.vendors[respondent].plan_lazy(job_id, lazy_from_step)
        self.to_status("DELIVERED", job_id)
        developer = self.developers[self.job(job_id).developer]
        if lazy_from_step is not None:
            report = developer.audit(job_id, self.vendors)
            assert report.respondents == [respondent], report
        else:
            honest = self.vendors[respondent].step_digests(job_id)
            false_claim = honest[:1] + [digest[::-1] for digest in honest[1:]]
            developer.jobs[job_id].audit = AuditReport([Finding(
                respondent, false_claim, respondent, narrowed_step(false_claim, honest))])
        return developer.dispute(job_id, respondent)

    def bisect_to_resolve(self, job_id: str = "job1") -> None:
        developer = self.developers[self.job(job_id).developer]
        while True:
            dispute = self.job(job_id).dispute
            assert dispute is not None
            if dispute.turn == "claimant":
                self.must(developer.query(job_id))
            elif dispute.turn == "respondent":
                self.must(self.vendors[dispute.respondent].answer(job_id))
            else:
                return
