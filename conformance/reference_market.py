"""One vector's market on the reference: a fresh chaincode namespace, the parties' gateways
and keys, and the translation of each vector call into real signed transactions (arguments
with real cryptography, real training, pairs in one block); see
:mod:`conformance.reference_runner` for how each kind of value is realised."""

from __future__ import annotations

import hashlib
from typing import Any

from conformance.reference_fixtures import (
    EMPTY_PROOF,
    LEDGER_REFUSALS_OF_FORGERY,
    MARKET_ORG,
    MISUSE_PURPOSE,
    OFF_CHAIN_ACTIONS,
    PARTIES_ORG,
    STAKED,
    ForgedIdentity,
    Grant,
    OwnedData,
    Training,
    Transcripts,
    dataset_part,
    placeholder_digest,
    recipe_of,
)
from conformance.reference_shared import replay_of, step_records
from conformance.semantics import COMMITTED
from conformance.vectors import Genesis, VectorCall
from reference.chaincode import protocol_code
from reference.chaincode.codes import MarketCode
from reference.chaincode.evidence import delivery_receipt, misuse_statement
from reference.chaincode.records import DatasetRecord, JobRecord
from reference.chaincode.shared_disputes import MAX_SHARED_STEPS, record_digest
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
from reference.clients.datasets import train_rows_root
from reference.clients.gateway import MarketClock, NetworkGateway, Outcome
from reference.clients.treasury import init_market
from reference.ledger import FakeClock, Network
from reference.ledger.identity import Identity
from reference.training.merkle import inclusion_proof
from reference.training.recipe import ModelRecipe
from reference.training.step import TrainingState
from traces.itf import ACCEPTED


class Market:
    """A fresh market on the network (its own chaincode namespace) and the off-chain world
    around it: the parties' keys, data, recipes, trainings, artefacts."""

    def __init__(self, network: Network, chaincode: str, genesis: Genesis):
        self.network = network
        self.chaincode = chaincode
        # the market's time is the network's (trusted time: endorsers and the orderer read
        # it); each market counts the vector's seconds from the network time it starts at
        if not isinstance(network.clock, FakeClock):
            raise TypeError("the reference runner's network must run on a FakeClock (its time is the vectors')")
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
        self.step_records: dict[tuple[str, str], list[dict[str, Any]]] = {}
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
        if job is not None and dispute is not None:
            if call.action == "bisect_query":
                committed = self.claims.digests.get((job.job_id, dispute.respondent,
                                                     dispute.claimant_root))
            else:
                result = job.results.get(dispute.respondent)
                committed = self.transcripts.digests.get(
                    (job.job_id, dispute.respondent, result.transcript_root)) if result else None
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
        if job is None or not job.disputes or job.status != "DISPUTED":
            return empty
        dispute = job.disputes[-1]
        training = self.training(job.job_id)
        if training is None:
            return empty
        pre_state: TrainingState | None
        if dispute.low == 0:
            pre_state = training.honest[0]
        else:
            pre_state = training.by_digest.get(bytes.fromhex(dispute.low_digest or ""))
        if pre_state is None:
            return empty
        return {"job": job.job_id, "recipe": training.recipe.to_json_value(),
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
                return {"job": args["job"], "vendor": args["vendor"], **evidence}, remembered
            # vendors publish every step digest so anyone can open a silent respondent's, and
            # the digests of their step records as a secret-shared job's vendors do
            job = self.job(args["job"])
            records = step_records(str(args["job"]), job.vendors if job else [], call.actor,
                                   remembered[3])
            return {"job": args["job"], "step_digests": [digest.hex() for digest in remembered[2]],
                    "record_digests": [record_digest(record) for record in records],
                    **evidence}, records
        if action == "convict_shared_step":
            return self.conviction_arguments(call), None
        if action in ("bisect_query", "bisect_answer"):
            return {"job": args["job"], **self.opening(call)}, None
        if action == "resolve_step":
            return self.resolve_arguments(args["job"]), None
        if action == "report_misuse":
            return ({"job": args["job"], "vendor": args["vendor"],
                     "artefact": self.artefacts.get((args["job"], args["vendor"]))}, None)
        # fund, deny_access, accept_job, confirm_inputs, complain_inputs, accept_result, timeout
        return dict(args), None

    def conviction_arguments(self, call: VectorCall) -> dict[str, Any]:
        """``convict_shared_step``: every vendor's committed records up to the step (the
        spec counts steps from 1, the records from 0) and, for a state fault, the referee's
        replay of the named vendor's record."""
        args = call.args
        step, vendor = args["step"], args["vendor"]
        job = self.job(args["job"])
        vendors = job.vendors if job is not None else []
        opened = {name: self.step_records[(str(args["job"]), name)][:step]
                  for name in vendors if (str(args["job"]), name) in self.step_records}
        arguments = {"job": args["job"], "vendor": vendor, "check": args["check"],
                     "step": step - 1 if step >= 1 else MAX_SHARED_STEPS, "records": opened}
        if args["check"] == "state" and len(opened.get(vendor, [])) >= step >= 1:
            arguments["replay"] = replay_of(opened[vendor][step - 1])
        return arguments

    def remember(self, call: VectorCall, remembered: Any) -> None:
        """Off-chain bookkeeping of an accepted call."""
        if call.action == "submit_result":
            self.step_records[(str(call.args["job"]), call.actor)] = remembered
        elif call.action == "register_dataset":
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
                grant = self.grants.get((job.job_id, dataset))
                owned = self.data.get(dataset)
                if grant is None or owned is None:
                    continue
                for vendor in job.vendors:
                    holder = (job.job_id, dataset, vendor)
                    if holder in self.data_holders or vendor not in grant.wrapped:
                        continue
                    data_key = unwrap_data_key(WrappedKey.from_bytes(grant.wrapped[vendor]),
                                               self.exchange_keys[vendor], job_id=job.job_id,
                                               dataset_id=dataset, recipient_id=vendor)
                    decrypt_dataset(EncryptedDataset.from_envelope(dataset, grant.envelope),
                                    data_key)
                    self.data_holders.add(holder)
