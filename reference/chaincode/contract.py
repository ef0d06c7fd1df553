"""The marketplace chaincode: every ledger action of the protocol, on a Fabric-style stub.

Each function takes one argument, a JSON object (see :mod:`.arguments`), and answers with
a :class:`~reference.ledger.chaincode_api.Response`:

* accepted: status 200, payload = canonical JSON summary (action, job, status, deadline,
  every verdict of the job, and ``new_verdicts``: those this call pronounced, on a call
  that convicts or ends a job), and a chaincode event ``aimarket`` with the same summary;
* refused: status 400, message ``"<MKT code>: <reason>"``, payload = canonical JSON
  ``{"code", "protocol_code", "reason"}``. Nothing is written.

Checks run in the order the protocol specification documents for each action (the first
failing check decides the code): the signer, then the records the call names, the job's
status, the caller's part in the job, its earlier moves, the deadline, then amounts.
Argument form (``MKT_MALFORMED_ARGS``) is checked before all of them; evidence that the
protocol's abstract calls do not carry (signatures, Merkle openings, the re-executed step)
is checked after them.

Time is the ledger's trusted block time (seconds). A move allowed up to a deadline ``d``
(or a licence expiry) is checked against the transaction's signed timestamp at endorsement
and declares ``require_block_time(until=d)``; ``timeout`` declares ``after=d``; validation
invalidates the transaction if its block's signed time falls outside
(``TIME_BOUND_VIOLATED``). The ledger keeps the signed timestamp, which the summaries
record as ``time`` and new deadlines count from, within the channel's skew of the block
time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reference.chaincode.arguments import (
    MAX_COUNT,
    MAX_TIME,
    MAX_WINDOW,
    Arguments,
    decode_json_object,
    malformed,
)
from reference.chaincode.codes import MarketCode, Rejected, protocol_code
from reference.chaincode.evidence import (
    DatasetRows,
    EvidenceError,
    misuse_is_proved,
    opens_step_digest,
    re_execute_step,
    receipt_is_signed,
    transcript_root_of,
)
from reference.chaincode.payouts import (
    Payouts,
    pay_defective_inputs,
    pay_false_complaint,
    pay_false_dispute,
    pay_settlement,
    refund_everyone,
)
from reference.chaincode.records import (
    CONFIG_KEY,
    IDENTIFIER,
    ROLES,
    TREASURY_ROLE,
    DatasetRecord,
    DisputeRecord,
    GrantRecord,
    IdentityRecord,
    JobRecord,
    Licence,
    MarketConfig,
    ModelRecord,
    OfferRecord,
    Offence,
    ResultRecord,
    Status,
    TranscriptRecord,
    Turn,
    VerdictRecord,
    balance_key,
    dataset_key,
    escrow_key,
    identity_key,
    job_key,
    minted_key,
    model_key,
    offer_key,
    prefix_range,
    transcript_key,
)
from reference.chaincode.shared_disputes import convict_shared_step as shared_step_verdict
from reference.chaincode.regions import StakeRegions, refusal_reason, regions_from_json_value
from reference.chaincode.rules import (
    SAFETY_CONSTRAINTS,
    JobTerms,
    RulesError,
    StakeRules,
    misuse_compensation,
    rules_from_json_value,
)
from reference.clients.crypto import canonical_json
from reference.ledger.chaincode_api import ChaincodeStub, Creator, Response, error, success

CHAINCODE_NAME = "aimarket"
EVENT_NAME = "aimarket"
REFUSAL_STATUS = 400
ADMIN_ROLE = "admin"
GOVERNING_ORGANISATION = "MarketOrg"
"""The organisation whose admins govern the market (the governance policy
``OR('MarketOrg.admin')``): only they may create it, and its treasury — the one identity
that mints — must be one of its certificates."""
X25519_KEY_BYTES = 32
MAX_STEPS = 100_000
"""Most training steps a job may have: every step digest of every vendor's transcript is
published on the ledger with ``submit_result`` (a reference restriction)."""


def encode(value: Any) -> bytes:
    return canonical_json(value)


class StateView:
    """The stub's committed state plus this call's own writes, which are buffered and only
    handed to the stub when the call is accepted (a refused call writes nothing)."""

    def __init__(self, stub: ChaincodeStub):
        self.stub = stub
        self.pending: dict[str, bytes] = {}

    def get_json(self, key: str) -> Any:
        data = self.pending[key] if key in self.pending else self.stub.get_state(key)
        return None if data is None else json.loads(data)

    def put_json(self, key: str, value: Any) -> None:
        self.pending[key] = encode(value)

    def flush(self) -> None:
        for key in sorted(self.pending):
            self.stub.put_state(key, self.pending[key])

    # typed readers ----------------------------------------------------------------------

    def identity(self, name: str) -> IdentityRecord | None:
        value = self.get_json(identity_key(name))
        return None if value is None else IdentityRecord.from_json_value(value)

    def balance(self, name: str) -> int:
        value = self.get_json(balance_key(name))
        return 0 if value is None else value

    def dataset(self, dataset: str) -> DatasetRecord | None:
        value = self.get_json(dataset_key(dataset))
        return None if value is None else DatasetRecord.from_json_value(value)

    def model(self, model: str) -> ModelRecord | None:
        value = self.get_json(model_key(model))
        return None if value is None else ModelRecord.from_json_value(value)

    def offer(self, vendor: str) -> OfferRecord | None:
        value = self.get_json(offer_key(vendor))
        return None if value is None else OfferRecord.from_json_value(value)

    def job(self, job: str) -> JobRecord | None:
        value = self.get_json(job_key(job))
        return None if value is None else JobRecord.from_json_value(value)

    def escrow(self, job: str) -> int:
        value = self.get_json(escrow_key(job))
        return 0 if value is None else value

    # writers ----------------------------------------------------------------------------

    def put_balance(self, name: str, amount: int) -> None:
        self.put_json(balance_key(name), amount)

    def put_job(self, job: JobRecord) -> None:
        self.put_json(job_key(job.job), job.to_json_value())

    def put_escrow(self, job: str, amount: int) -> None:
        self.put_json(escrow_key(job), amount)


@dataclass
class Call:
    """One invocation: who signed it, when, with which arguments, over which state."""

    function: str
    creator: Creator
    now: int
    args: Arguments
    state: StateView
    summary: dict[str, Any] = field(default_factory=dict)
    _config: MarketConfig | None = None

    def on_time_for(self, limit: int) -> bool:
        """Whether ``now`` is at or before ``limit``; if so, the transaction is made valid
        only in a block whose (trusted) time is at or before ``limit`` too."""
        if self.now > limit:
            return False
        self.state.stub.require_block_time(until=limit)
        return True

    def past(self, limit: int) -> bool:
        """Whether ``now`` is after ``limit``; if so, the transaction is made valid only in
        a block whose (trusted) time is after ``limit`` too."""
        if self.now <= limit:
            return False
        self.state.stub.require_block_time(after=limit)
        return True

    @property
    def config(self) -> MarketConfig:
        if self._config is None:
            value = self.state.get_json(CONFIG_KEY)
            if value is None:
                raise Rejected(MarketCode.NOT_INITIALISED, "init_market has not run")
            self._config = MarketConfig.from_json_value(value)
        return self._config


class MarketplaceChaincode:
    """The marketplace contract. One instance per peer; it keeps no state between calls
    except a cache of parsed stake rules and regions (a pure function of the recorded
    documents)."""

    NO_REGIONS = StakeRegions(())

    def __init__(self, governance: str = GOVERNING_ORGANISATION) -> None:
        self.governance = governance
        self._rules_cache: dict[bytes, StakeRules] = {}
        self._regions_cache: dict[bytes, StakeRegions] = {}
        self.transactions: dict[str, Callable[[Call], None]] = {
            "init_market": self.init_market,
            "register_identity": self.register_identity,
            "fund": self.fund,
            "register_dataset": self.register_dataset,
            "register_model": self.register_model,
            "register_vendor": self.register_vendor,
            "request_training": self.request_training,
            "grant_access": self.grant_access,
            "deny_access": self.deny_access,
            "accept_job": self.accept_job,
            "confirm_inputs": self.confirm_inputs,
            "complain_inputs": self.complain_inputs,
            "submit_result": self.submit_result,
            "accept_result": self.accept_result,
            "dispute_result": self.dispute_result,
            "bisect_query": self.bisect_query,
            "bisect_answer": self.bisect_answer,
            "resolve_step": self.resolve_step,
            "convict_shared_step": self.convict_shared_step,
            "report_misuse": self.report_misuse,
            "timeout": self.timeout,
        }
        self.queries: dict[str, Callable[[Call], Any]] = {
            "read": self.read,
            "read_prefix": self.read_prefix,
            "accounts": self.accounts,
        }

    # -- entry point ------------------------------------------------------------------------

    def invoke(self, stub: ChaincodeStub, function: str, args: list[bytes]) -> Response:
        handler = self.transactions.get(function)
        query = self.queries.get(function)
        if handler is None and query is None:
            return refusal(Rejected(MarketCode.UNKNOWN_FUNCTION,
                                    f"{function!r} is not a marketplace function"))
        state = StateView(stub)
        try:
            call = Call(function, stub.get_creator(), stub.get_tx_timestamp(),
                        Arguments(decode_json_object(args)), state)
            if query is not None:
                answer = query(call)
                call.args.done()
                return success(encode(answer))
            handler(call)
        except Rejected as rejection:
            return refusal(rejection)
        state.flush()
        summary = {"action": function, "tx": stub.get_tx_id(), "time": call.now, **call.summary}
        stub.set_event(EVENT_NAME, encode(summary))
        return success(encode(summary))

    # -- shared checks ------------------------------------------------------------------

    def signer(self, call: Call, role: str | None) -> IdentityRecord:
        """The signer must be a registered identity (same name, organisation and key) and,
        when ``role`` is given, hold that role."""
        creator = call.creator
        record = call.state.identity(creator.name) if IDENTIFIER.fullmatch(creator.name) else None
        if (record is None or record.public_key != creator.public_key.hex()
                or record.organisation != creator.org):
            raise Rejected(MarketCode.SIGNER_NOT_REGISTERED,
                           f"{creator.org}/{creator.name} is not a registered identity")
        if role is not None and record.role != role:
            raise Rejected(MarketCode.ROLE_NOT_ALLOWED,
                           f"{creator.name} is a {record.role}; {call.function} needs a {role}")
        return record

    @staticmethod
    def parsed(cache: dict[bytes, Any], document: Any, parse: Callable[[Any], Any]) -> Any:
        """``parse(document)``, computed once per distinct document."""
        cache_key = encode(document)
        value = cache.get(cache_key)
        if value is None:
            value = cache[cache_key] = parse(document)
        return value

    def rules(self, call: Call) -> StakeRules:
        return self.parsed(self._rules_cache, call.config.rules, rules_from_json_value)

    def regions(self, call: Call) -> StakeRegions:
        """The synthesised stake regions recorded at genesis (none if it recorded none)."""
        document = call.config.regions
        if document is None:
            return self.NO_REGIONS
        return self.parsed(self._regions_cache, document, regions_from_json_value)

    def existing_job(self, call: Call, job_id: str) -> JobRecord:
        job = call.state.job(job_id)
        if job is None:
            raise Rejected(MarketCode.JOB_NOT_FOUND, f"no job {job_id!r}")
        return job

    @staticmethod
    def require_status(job: JobRecord, *statuses: str) -> None:
        if job.status not in statuses:
            raise Rejected(MarketCode.JOB_STATUS_FORBIDS,
                           f"job {job.job} is {job.status}, not {' or '.join(statuses)}")

    @staticmethod
    def require_on_time(call: Call, job: JobRecord) -> None:
        if not call.on_time_for(job.deadline):
            raise Rejected(MarketCode.TOO_LATE,
                           f"job {job.job}'s deadline {job.deadline} passed (now {call.now})")

    def vendor_move(self, call: Call, job_id: str, status: str) -> JobRecord:
        """The checks every vendor move on a job starts with, in order."""
        self.signer(call, "vendor")
        job = self.existing_job(call, job_id)
        self.require_status(job, status)
        if call.creator.name not in job.vendors:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{call.creator.name} is not a vendor of {job_id}")
        return job

    def developer_move(self, call: Call, job_id: str, status: str) -> JobRecord:
        """The checks every developer move on a job starts with, in order."""
        self.signer(call, "developer")
        job = self.existing_job(call, job_id)
        self.require_status(job, status)
        if call.creator.name != job.developer:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{call.creator.name} is not the developer of {job_id}")
        return job

    @staticmethod
    def require_funds(call: Call, party: str, amount: int, what: str) -> None:
        balance = call.state.balance(party)
        if balance < amount:
            raise Rejected(MarketCode.BALANCE_TOO_LOW,
                           f"{party} holds {balance} but {what} needs {amount}")

    # -- moving tokens ------------------------------------------------------------------

    @staticmethod
    def lock(call: Call, job: JobRecord, party: str, amount: int) -> None:
        """Move ``amount`` from ``party``'s balance into the job's escrow."""
        state = call.state
        state.put_balance(party, state.balance(party) - amount)
        state.put_escrow(job.job, state.escrow(job.job) + amount)
        job.deposits[party] = job.deposits.get(party, 0) + amount

    def close(self, call: Call, job: JobRecord, status: str, payouts: Payouts,
              verdicts: list[VerdictRecord] | None = None) -> None:
        """Pay the whole escrow out once, end the job in ``status`` and free vendor capacity."""
        state = call.state
        escrow = state.escrow(job.job)
        paid = sum(amount for _, amount in payouts)
        if paid != escrow or escrow != sum(job.deposits.values()):
            raise RuntimeError(f"payout of {paid} for job {job.job} whose escrow holds {escrow}")
        if any(amount < 0 for _, amount in payouts):
            raise RuntimeError(f"negative payout for job {job.job}: {payouts}")
        credits: dict[str, int] = {}
        for account, amount in payouts:
            credits[account] = credits.get(account, 0) + amount
        for account in sorted(credits):
            state.put_balance(account, state.balance(account) + credits[account])
        state.put_escrow(job.job, 0)
        for vendor in job.accepted:
            offer = state.offer(vendor)
            assert offer is not None
            offer.active_jobs -= 1
            state.put_json(offer_key(vendor), offer.to_json_value())
        job.status = status
        job.payouts = [[account, amount] for account, amount in payouts]
        job.verdicts.extend(verdicts or [])
        state.put_job(job)
        call.summary.update(self.job_summary(job))
        call.summary["new_verdicts"] = [verdict.to_json_value() for verdict in verdicts or []]

    def end_after_delivery(self, call: Call, job: JobRecord,
                           verdicts: list[VerdictRecord] | None = None,
                           payouts: Payouts | None = None) -> None:
        """Close a job whose results were delivered. With no vendor convicted (in earlier
        disputes or by ``verdicts``) the developer receives the model, and the job is
        SETTLED when nobody at all was convicted; otherwise the job is RESOLVED and the
        convicted vendors forfeit fee and stake to the developer."""
        verdicts = verdicts or []
        guilty = job.convicted_vendors | {verdict.convicted for verdict in verdicts
                                          if verdict.convicted in job.vendors}
        if payouts is None:
            payouts = pay_settlement(job, guilty)
        job.model_delivered = not guilty
        status = Status.SETTLED if not guilty and not verdicts else Status.RESOLVED
        self.close(call, job, status, payouts, verdicts)

    def delivered_in_part(self, call: Call, job: JobRecord,
                          verdicts: list[VerdictRecord]) -> None:
        """A running job's deadline passed after training started and some vendors
        submitted: the silent ones are convicted and the submitted results stay open to
        the developer's audit, as after a delivery (DELIVERED with a fresh deadline; the
        convicted vendors cannot be disputed and forfeit at the end)."""
        job.verdicts.extend(verdicts)
        job.status = Status.DELIVERED
        job.deadline = call.now + job.window
        self.store(call, job)
        call.summary["new_verdicts"] = [verdict.to_json_value() for verdict in verdicts]

    @staticmethod
    def job_summary(job: JobRecord) -> dict[str, Any]:
        return {"job": job.job, "status": job.status, "deadline": job.deadline,
                "verdicts": [verdict.to_json_value() for verdict in job.verdicts]}

    def store(self, call: Call, job: JobRecord) -> None:
        call.state.put_job(job)
        call.summary.update(self.job_summary(job))

    # -- genesis ------------------------------------------------------------------------

    def init_market(self, call: Call) -> None:
        """Record the treasury identity, the stake rules and (optionally) the synthesised
        stake regions; once, by a channel admin."""
        treasury = call.args.json_object("treasury")
        rules_document = call.args.json_object("rules")
        regions_document = call.args.json_object("regions", optional=True)
        organisations = call.args.json_object("organisations", optional=True)
        call.args.done()
        if organisations is not None:
            for role, members in organisations.items():
                if role not in ROLES or role == TREASURY_ROLE:
                    raise malformed(f"organisations.{role[:64]}",
                                    f"must be one of {', '.join(r for r in ROLES if r != TREASURY_ROLE)}")
                if (not isinstance(members, list) or not members or len(members) > 64
                        or not all(isinstance(m, str) and IDENTIFIER.fullmatch(m)
                                   for m in members)):
                    raise malformed(f"organisations.{role}",
                                    "must be a non-empty list of MSP ids")
        treasury_args = Arguments(treasury)
        name = treasury_args.identifier("name")
        organisation = treasury_args.text("organisation")
        public_key = treasury_args.hex_bytes("public_key", 65)
        treasury_args.done()
        try:
            rules_from_json_value(rules_document)
        except RulesError as problem:
            raise malformed("rules", str(problem)) from None
        if regions_document is not None:
            try:
                regions_from_json_value(regions_document)
            except RulesError as problem:
                raise malformed("regions", str(problem)) from None
        if call.creator.role != ADMIN_ROLE or call.creator.org != self.governance:
            raise Rejected(MarketCode.NOT_CHANNEL_ADMIN,
                           f"init_market needs an {ADMIN_ROLE} of {self.governance}, signer is "
                           f"a {call.creator.role!r} of {call.creator.org}")
        if organisation != self.governance:
            raise malformed("treasury.organisation",
                            f"the treasury must be an identity of {self.governance}")
        if call.state.get_json(CONFIG_KEY) is not None:
            raise Rejected(MarketCode.ALREADY_INITIALISED, "the market exists already")
        state = call.state
        state.put_json(CONFIG_KEY,
                       MarketConfig(name, rules_document, regions_document,
                                    organisations).to_json_value())
        record = IdentityRecord(name, TREASURY_ROLE, organisation, public_key.hex())
        state.put_json(identity_key(name), record.to_json_value())
        state.put_balance(name, 0)
        call.summary.update({"treasury": name})

    # -- identities and accounts --------------------------------------------------------

    def register_identity(self, call: Call) -> None:
        role = call.args.text("role")
        organisation = call.args.optional_text("organisation")
        call.args.done()
        if role not in ROLES:
            raise malformed("role", f"must be one of {', '.join(ROLES)}")
        creator = call.creator
        if organisation is not None and organisation != creator.org:
            raise malformed("organisation", f"must be the signer's organisation {creator.org!r}")
        if not IDENTIFIER.fullmatch(creator.name):
            raise malformed("signer", "the certificate's name is not a valid identifier")
        call.config  # the market must exist
        if call.state.identity(creator.name) is not None:
            raise Rejected(MarketCode.IDENTITY_TAKEN, f"{creator.name} is already registered")
        if role == TREASURY_ROLE:
            raise Rejected(MarketCode.TREASURY_ROLE_RESERVED, "the treasury exists from genesis only")
        allowed = call.config.organisations_for(role)
        if allowed is not None and creator.org not in allowed:
            raise Rejected(MarketCode.ORGANISATION_NOT_ALLOWED,
                           f"the role {role} belongs to {', '.join(allowed) or 'no organisation'}; "
                           f"the signer's certificate is issued by {creator.org}")
        record = IdentityRecord(creator.name, role, creator.org, creator.public_key.hex())
        call.state.put_json(identity_key(creator.name), record.to_json_value())
        call.state.put_balance(creator.name, 0)
        call.summary.update({"identity": creator.name, "role": role})

    def fund(self, call: Call) -> None:
        recipient = call.args.identifier("recipient")
        amount = call.args.integer("amount")
        call.args.done()
        self.signer(call, TREASURY_ROLE)
        if call.state.identity(recipient) is None:
            raise Rejected(MarketCode.RECIPIENT_NOT_REGISTERED, f"no identity {recipient!r}")
        if amount <= 0:
            raise Rejected(MarketCode.AMOUNT_NOT_POSITIVE, f"amount {amount} is not positive")
        state = call.state
        state.put_balance(recipient, state.balance(recipient) + amount)
        minted = state.get_json(minted_key(recipient)) or 0
        state.put_json(minted_key(recipient), minted + amount)
        call.summary.update({"recipient": recipient, "amount": amount})

    # -- catalogue ----------------------------------------------------------------------

    def register_dataset(self, call: Call) -> None:
        args = call.args
        dataset = args.identifier("dataset")
        commitment = args.digest("commitment")
        train_rows_root = args.digest("train_rows_root")
        train_rows = args.integer("train_rows", MAX_COUNT)
        feature_count = args.integer("feature_count", MAX_COUNT)
        price = args.integer("price")
        misuse_value = args.integer("misuse_value")
        purposes = args.text_list("purposes")
        expiry = args.integer("expiry", MAX_TIME)
        max_uses = args.integer("max_uses", MAX_COUNT)
        args.done()
        if train_rows < 1 or not 1 <= feature_count <= 1024:
            raise malformed("train_rows", "a dataset needs at least one row and 1-1024 features")
        self.signer(call, "data_owner")
        if call.state.dataset(dataset) is not None:
            raise Rejected(MarketCode.DATASET_ID_TAKEN, f"dataset {dataset!r} exists")
        if not purposes or max_uses < 1:
            raise Rejected(MarketCode.LICENCE_INVALID,
                           "a licence needs at least one purpose and at least one use")
        for name, amount in (("price", price), ("misuse value", misuse_value)):
            if amount < 0:
                raise Rejected(MarketCode.AMOUNT_NEGATIVE, f"{name} {amount} is negative")
        audit_probability = self.rules(call).audit_probability
        if misuse_compensation(misuse_value, audit_probability) is None:
            raise Rejected(MarketCode.MISUSE_VALUE_INDIVISIBLE,
                           f"misuse value {misuse_value} divided by the audit probability "
                           f"{audit_probability} is not a whole number of tokens")
        record = DatasetRecord(dataset, call.creator.name, commitment, train_rows_root,
                               train_rows, feature_count, price, misuse_value,
                               Licence(sorted(set(purposes)), expiry, max_uses))
        call.state.put_json(dataset_key(dataset), record.to_json_value())
        call.summary.update({"dataset": dataset})

    def register_model(self, call: Call) -> None:
        model = call.args.identifier("model")
        commitment = call.args.digest("commitment")
        call.args.done()
        self.signer(call, "developer")
        if call.state.model(model) is not None:
            raise Rejected(MarketCode.MODEL_ID_TAKEN, f"model {model!r} exists")
        record = ModelRecord(model, call.creator.name, commitment)
        call.state.put_json(model_key(model), record.to_json_value())
        call.summary.update({"model": model})

    def register_vendor(self, call: Call) -> None:
        fee = call.args.integer("fee")
        cost = call.args.integer("cost")
        capacity = call.args.integer("capacity", MAX_COUNT)
        exchange_key = call.args.hex_bytes("exchange_public_key", X25519_KEY_BYTES)
        call.args.done()
        self.signer(call, "vendor")
        vendor = call.creator.name
        if call.state.offer(vendor) is not None:
            raise Rejected(MarketCode.OFFER_EXISTS, f"{vendor} has an offer already")
        if capacity < 1:
            raise Rejected(MarketCode.CAPACITY_INVALID, f"capacity {capacity} is below one job")
        for name, amount in (("fee", fee), ("cost", cost)):
            if amount < 0:
                raise Rejected(MarketCode.AMOUNT_NEGATIVE, f"{name} {amount} is negative")
        record = OfferRecord(vendor, fee, cost, capacity, exchange_key.hex())
        call.state.put_json(offer_key(vendor), record.to_json_value())
        call.summary.update({"vendor": vendor})

    # -- requesting a job ---------------------------------------------------------------

    def request_training(self, call: Call) -> None:
        args = call.args
        job_id = args.identifier("job")
        model_id = args.identifier("model")
        dataset_ids = args.identifier_list("datasets")
        vendor_ids = args.identifier_list("vendors")
        purpose = args.text("purpose")
        steps = args.integer("steps", MAX_COUNT)
        window = args.integer("window", MAX_WINDOW)
        vendor_stake = args.integer("vendor_stake")
        developer_bond = args.integer("developer_bond")
        owner_bond = args.integer("owner_bond")
        args.done()
        if steps > MAX_STEPS:
            raise malformed("steps", f"at most {MAX_STEPS}: every step digest is published "
                                     "on the ledger")
        developer = self.signer(call, "developer").name
        state = call.state
        if state.job(job_id) is not None:
            raise Rejected(MarketCode.JOB_ID_TAKEN, f"job {job_id!r} exists")
        model = state.model(model_id)
        if model is None:
            raise Rejected(MarketCode.MODEL_NOT_FOUND, f"no model {model_id!r}")
        if model.owner != developer:
            raise Rejected(MarketCode.MODEL_NOT_OWNED, f"model {model_id} belongs to {model.owner}")
        if (not dataset_ids or not vendor_ids or len(set(dataset_ids)) != len(dataset_ids)
                or len(set(vendor_ids)) != len(vendor_ids)):
            raise Rejected(MarketCode.PARTIES_INVALID,
                           "a job needs at least one dataset and one vendor, each named once")
        datasets = []
        for dataset_id in dataset_ids:
            dataset = state.dataset(dataset_id)
            if dataset is None:
                raise Rejected(MarketCode.DATASET_NOT_FOUND, f"no dataset {dataset_id!r}")
            datasets.append(dataset)
        offers = []
        for vendor_id in vendor_ids:
            offer = state.offer(vendor_id)
            if offer is None:
                raise Rejected(MarketCode.OFFER_NOT_FOUND, f"{vendor_id!r} has no vendor offer")
            offers.append(offer)
        if steps < 1 or window < 1:
            raise Rejected(MarketCode.TERMS_INVALID,
                           f"steps {steps} and window {window} must both be at least 1")
        for dataset in datasets:
            if purpose not in dataset.licence.purposes:
                raise Rejected(MarketCode.PURPOSE_NOT_LICENSED,
                               f"{dataset.dataset}'s licence does not allow {purpose!r}")
        for dataset in datasets:
            if not call.on_time_for(dataset.licence.expiry):
                raise Rejected(MarketCode.LICENCE_EXPIRED,
                               f"{dataset.dataset}'s licence expired at {dataset.licence.expiry}")
        for dataset in datasets:
            if dataset.uses >= dataset.licence.max_uses:
                raise Rejected(MarketCode.LICENCE_USED_UP,
                               f"{dataset.dataset}'s licence has no use left")
        rules = self.rules(call)
        terms = JobTerms(prices=[dataset.price for dataset in datasets],
                         fees=[offer.fee for offer in offers],
                         costs=[offer.cost for offer in offers],
                         misuse_values=[dataset.misuse_value for dataset in datasets],
                         steps=steps, vendor_stake=vendor_stake,
                         developer_bond=developer_bond, owner_bond=owner_bond)
        checked = StakeRules(rules.dispute_cost, rules.audit_probability,
                             rules.constraints + SAFETY_CONSTRAINTS, rules.source)
        failure = checked.first_failure(terms)
        if failure is not None:
            raise Rejected(failure.code, f"{failure.name}: {failure.text} does not hold")
        outside = self.regions(call).first_failure(rules, terms)
        if outside is not None:
            region, constraint = outside
            raise Rejected(constraint.code, refusal_reason(region, constraint))
        job = JobRecord(
            job=job_id, developer=developer, model=model_id, datasets=dataset_ids,
            vendors=vendor_ids, purpose=purpose, steps=steps, window=window,
            vendor_stake=vendor_stake, developer_bond=developer_bond, owner_bond=owner_bond,
            owners={dataset.dataset: dataset.owner for dataset in datasets},
            prices={dataset.dataset: dataset.price for dataset in datasets},
            misuse_values={dataset.dataset: dataset.misuse_value for dataset in datasets},
            misuse_compensations={dataset.dataset: self.compensation_for(dataset, rules)
                                  for dataset in datasets},
            fees={offer.vendor: offer.fee for offer in offers},
            dispute_cost=rules.dispute_cost, status=Status.REQUESTED,
            deadline=call.now + window)
        self.require_funds(call, developer, job.developer_deposit, "the job's deposit")
        state.put_escrow(job_id, 0)
        self.lock(call, job, developer, job.developer_deposit)
        self.store(call, job)

    @staticmethod
    def compensation_for(dataset: DatasetRecord, rules: StakeRules) -> int:
        """The dataset's misuse compensation W / q; whole, since registration checked it
        under the same (never changing) audit probability."""
        compensation = misuse_compensation(dataset.misuse_value, rules.audit_probability)
        if compensation is None:
            raise RuntimeError(f"{dataset.dataset}'s misuse value is not divisible by q")
        return compensation

    # -- licences -----------------------------------------------------------------------

    def answer_access(self, call: Call, job_id: str, dataset_id: str) -> JobRecord:
        """The checks shared by ``grant_access`` and ``deny_access``, in order."""
        self.signer(call, "data_owner")
        job = self.existing_job(call, job_id)
        self.require_status(job, Status.REQUESTED)
        if dataset_id not in job.datasets:
            raise Rejected(MarketCode.DATASET_NOT_IN_JOB, f"{dataset_id} is not a dataset of {job_id}")
        if job.owners[dataset_id] != call.creator.name:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{dataset_id} belongs to {job.owners[dataset_id]}")
        if dataset_id in job.grants:
            raise Rejected(MarketCode.ALREADY_MOVED, f"{dataset_id} was already granted for {job_id}")
        self.require_on_time(call, job)
        return job

    def grant_access(self, call: Call) -> None:
        args = call.args
        job_id = args.identifier("job")
        dataset_id = args.identifier("dataset")
        delivery_digest = args.digest("delivery_digest")
        key_digests = args.digest_map("key_digests")
        receipts = args.hex_map("receipts")
        args.done()
        job = self.answer_access(call, job_id, dataset_id)
        dataset = call.state.dataset(dataset_id)
        assert dataset is not None
        if dataset.uses >= dataset.licence.max_uses:
            raise Rejected(MarketCode.LICENCE_USED_UP, f"{dataset_id}'s licence has no use left")
        self.require_funds(call, call.creator.name, job.owner_bond, "the owner bond")
        if set(key_digests) != set(job.vendors) or set(receipts) != set(job.vendors):
            raise Rejected(MarketCode.BAD_DELIVERY_RECEIPT,
                           "key_digests and receipts must name exactly the job's vendors")
        owner = call.state.identity(call.creator.name)
        assert owner is not None
        for vendor in job.vendors:
            if not receipt_is_signed(owner.public_key, job_id, dataset_id, delivery_digest,
                                     vendor, receipts[vendor]):
                raise Rejected(MarketCode.BAD_DELIVERY_RECEIPT,
                               f"the delivery receipt for {vendor} is not signed by {owner.name}")
        self.lock(call, job, call.creator.name, job.owner_bond)
        job.grants[dataset_id] = GrantRecord(
            delivery_digest, key_digests, {vendor: receipts[vendor].hex() for vendor in job.vendors})
        dataset.uses += 1
        call.state.put_json(dataset_key(dataset_id), dataset.to_json_value())
        if len(job.grants) == len(job.datasets):
            job.status = Status.LICENSED
            job.deadline = call.now + job.window
        self.store(call, job)

    def deny_access(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        dataset_id = call.args.identifier("dataset")
        call.args.done()
        job = self.answer_access(call, job_id, dataset_id)
        self.close(call, job, Status.CANCELLED, refund_everyone(job))

    # -- vendors ------------------------------------------------------------------------

    def accept_job(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        call.args.done()
        job = self.vendor_move(call, job_id, Status.LICENSED)
        vendor = call.creator.name
        if vendor in job.accepted:
            raise Rejected(MarketCode.ALREADY_MOVED, f"{vendor} already accepted {job_id}")
        self.require_on_time(call, job)
        offer = call.state.offer(vendor)
        assert offer is not None
        if offer.active_jobs >= offer.capacity:
            raise Rejected(MarketCode.VENDOR_FULL, f"{vendor} runs {offer.active_jobs} of "
                                                   f"{offer.capacity} jobs")
        self.require_funds(call, vendor, job.vendor_stake, "the vendor stake")
        self.lock(call, job, vendor, job.vendor_stake)
        offer.active_jobs += 1
        call.state.put_json(offer_key(vendor), offer.to_json_value())
        job.accepted.append(vendor)
        if len(job.accepted) == len(job.vendors):
            job.status = Status.RUNNING
            job.deadline = call.now + job.window
        self.store(call, job)

    def report_inputs_checks(self, call: Call, job_id: str) -> JobRecord:
        """The checks shared by ``confirm_inputs`` and ``complain_inputs``, in order."""
        job = self.vendor_move(call, job_id, Status.RUNNING)
        if call.creator.name in job.confirmed:
            raise Rejected(MarketCode.ALREADY_MOVED, f"{call.creator.name} already confirmed its inputs")
        self.require_on_time(call, job)
        return job

    def confirm_inputs(self, call: Call) -> None:
        """Refused while the ledger shows a defective delivery: some grant's signed
        delivery digest differs from its dataset's commitment (the confirmation would
        contradict the evidence; the vendor's choices are the complaint or silence)."""
        job_id = call.args.identifier("job")
        call.args.done()
        job = self.report_inputs_checks(call, job_id)
        for dataset_id in job.datasets:
            dataset = call.state.dataset(dataset_id)
            assert dataset is not None
            if job.grants[dataset_id].delivery_digest != dataset.commitment:
                raise Rejected(MarketCode.DELIVERY_DEFECTIVE,
                               f"the delivery of {dataset_id} is not its registered commitment")
        job.confirmed.append(call.creator.name)
        self.store(call, job)

    def complain_inputs(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        dataset_id = call.args.identifier("dataset")
        call.args.done()
        job = self.report_inputs_checks(call, job_id)
        if dataset_id not in job.datasets:
            raise Rejected(MarketCode.DATASET_NOT_IN_JOB, f"{dataset_id} is not a dataset of {job_id}")
        complainant = call.creator.name
        grant = job.grants[dataset_id]
        dataset = call.state.dataset(dataset_id)
        assert dataset is not None
        evidence = {"dataset": dataset_id, "delivery_digest": grant.delivery_digest,
                    "commitment": dataset.commitment, "complainant": complainant,
                    "receipt_signature": grant.receipts[complainant]}
        treasury = call.config.treasury
        if grant.delivery_digest != dataset.commitment:
            verdict = VerdictRecord(job.owners[dataset_id], Offence.DEFECTIVE_INPUTS, evidence)
            payouts = pay_defective_inputs(job, dataset_id, complainant, treasury)
        else:
            verdict = VerdictRecord(complainant, Offence.FALSE_COMPLAINT, evidence)
            payouts = pay_false_complaint(job, complainant, treasury)
        self.close(call, job, Status.RESOLVED, payouts, [verdict])

    def submit_result(self, call: Call) -> None:
        args = call.args
        job_id = args.identifier("job")
        root = args.digest("transcript_root")
        steps = args.integer("steps", MAX_COUNT)
        final_digest = args.digest("final_digest")
        final_proof = args.raw("final_proof")
        step_digests = args.digest_list("step_digests", MAX_STEPS)
        args.done()
        job = self.vendor_move(call, job_id, Status.RUNNING)
        vendor = call.creator.name
        unconfirmed = [other for other in job.vendors if other not in job.confirmed]
        if unconfirmed:
            raise Rejected(MarketCode.INPUTS_UNCONFIRMED,
                           f"training starts once every vendor confirmed; waiting for {', '.join(unconfirmed)}")
        if vendor in job.results:
            raise Rejected(MarketCode.ALREADY_MOVED, f"{vendor} already submitted")
        self.require_on_time(call, job)
        self.require_transcript(job, root, steps, final_digest, final_proof)
        if len(step_digests) != steps or transcript_root_of(step_digests) != root:
            raise Rejected(MarketCode.TRANSCRIPT_INVALID,
                           "step_digests are not the leaves of the transcript root")
        job.results[vendor] = ResultRecord(root, steps, final_digest)
        call.state.put_json(transcript_key(job_id, vendor),
                            TranscriptRecord(job_id, vendor, root, step_digests).to_json_value())
        if len(job.results) == len(job.vendors):
            job.status = Status.DELIVERED
            job.deadline = call.now + job.window
        self.store(call, job)

    @staticmethod
    def require_transcript(job: JobRecord, root: str, steps: int, final_digest: str,
                           final_proof: Any) -> None:
        """A transcript commitment must cover the job's number of steps and open its final
        digest as the last leaf."""
        if steps != job.steps:
            raise Rejected(MarketCode.TRANSCRIPT_INVALID,
                           f"the transcript has {steps} steps; the job has {job.steps}")
        if not opens_step_digest(root, steps, steps, final_digest, final_proof):
            raise Rejected(MarketCode.TRANSCRIPT_INVALID,
                           "final_proof does not open final_digest as the transcript's last step")

    # -- the developer --------------------------------------------------------------------

    def accept_result(self, call: Call) -> None:
        """The developer accepts what the job delivered: settled, or resolved against the
        vendors convicted in earlier disputes."""
        job_id = call.args.identifier("job")
        call.args.done()
        job = self.developer_move(call, job_id, Status.DELIVERED)
        self.require_on_time(call, job)
        self.end_after_delivery(call, job)

    def dispute_result(self, call: Call) -> None:
        """The developer disputes one vendor not yet convicted: the bisection game opens
        over the whole transcript."""
        args = call.args
        job_id = args.identifier("job")
        vendor = args.identifier("vendor")
        root = args.digest("transcript_root")
        steps = args.integer("steps", MAX_COUNT)
        final_digest = args.digest("final_digest")
        final_proof = args.raw("final_proof")
        args.done()
        job = self.developer_move(call, job_id, Status.DELIVERED)
        self.require_on_time(call, job)
        if vendor not in job.vendors:
            raise Rejected(MarketCode.VENDOR_NOT_IN_JOB, f"{vendor} is not a vendor of {job_id}")
        if vendor in job.convicted_vendors:
            raise Rejected(MarketCode.ALREADY_CONVICTED, f"{vendor} is already convicted in {job_id}")
        self.require_transcript(job, root, steps, final_digest, final_proof)
        result = job.results[vendor]
        if final_digest == result.final_digest:
            raise Rejected(MarketCode.NOTHING_TO_DISPUTE,
                           f"the claimed final digest equals {vendor}'s")
        turn = Turn.CLAIMANT if job.steps > 1 else Turn.RESOLVE
        job.disputes.append(DisputeRecord(
            respondent=vendor, claimant_root=root, claimant_final=final_digest, low=0,
            high=job.steps, turn=turn, high_claimant_digest=final_digest,
            high_respondent_digest=result.final_digest))
        job.status = Status.DISPUTED
        job.deadline = call.now + job.window
        self.store(call, job)

    # -- the bisection game -------------------------------------------------------------

    def bisection_checks(self, call: Call, job_id: str, role: str, turn: str,
                         digest: str, proof: Any) -> JobRecord:
        """The checks shared by ``bisect_query`` and ``bisect_answer``, in order."""
        self.signer(call, role)
        job = self.existing_job(call, job_id)
        self.require_status(job, Status.DISPUTED)
        dispute = job.dispute
        assert dispute is not None
        side = job.developer if turn == Turn.CLAIMANT else dispute.respondent
        if call.creator.name != side:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{call.creator.name} is not the {turn} of {job_id}")
        if dispute.turn == Turn.RESOLVE:
            raise Rejected(MarketCode.BISECTION_OVER, "the disagreement is one step wide")
        if dispute.turn != turn:
            raise Rejected(MarketCode.NOT_YOUR_TURN, f"it is the {dispute.turn}'s turn")
        self.require_on_time(call, job)
        root = (dispute.claimant_root if turn == Turn.CLAIMANT
                else job.results[dispute.respondent].transcript_root)
        if not opens_step_digest(root, job.steps, dispute.midpoint, digest, proof):
            raise Rejected(MarketCode.OPENING_NOT_COMMITTED,
                           f"the digest is not the committed digest after step {dispute.midpoint}")
        return job

    def bisect_query(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        digest = call.args.digest("digest")
        proof = call.args.raw("proof")
        call.args.done()
        job = self.bisection_checks(call, job_id, "developer", Turn.CLAIMANT, digest, proof)
        dispute = job.dispute
        assert dispute is not None
        dispute.query_digest = digest
        dispute.turn = Turn.RESPONDENT
        job.deadline = call.now + job.window
        self.store(call, job)
        call.summary.update({"position": dispute.midpoint})

    def bisect_answer(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        digest = call.args.digest("digest")
        proof = call.args.raw("proof")
        call.args.done()
        job = self.bisection_checks(call, job_id, "vendor", Turn.RESPONDENT, digest, proof)
        self.open_respondent_digest(call, job, digest, by_respondent=True)

    def open_respondent_digest(self, call: Call, job: JobRecord, digest: str,
                               by_respondent: bool) -> None:
        """The respondent's committed digest at the midpoint is open (by its
        ``bisect_answer``, or by ``timeout`` for a silent respondent): the interval keeps
        the half where the sides still disagree and the claimant moves next (or anyone
        resolves a one-step disagreement), before a fresh deadline."""
        dispute = job.dispute
        assert dispute is not None and dispute.query_digest is not None
        middle = dispute.midpoint
        agreed = digest == dispute.query_digest
        if agreed:
            dispute.low, dispute.low_digest = middle, digest
        else:
            dispute.high = middle
            dispute.high_claimant_digest, dispute.high_respondent_digest = dispute.query_digest, digest
        dispute.query_digest = None
        dispute.turn = Turn.RESOLVE if dispute.high - dispute.low == 1 else Turn.CLAIMANT
        dispute.rounds += 1
        if by_respondent:
            dispute.answers += 1
        job.deadline = call.now + job.window
        self.store(call, job)
        call.summary.update({"position": middle, "agreed": agreed, "low": dispute.low,
                             "high": dispute.high, "answered_by_respondent": by_respondent})

    def resolve_step(self, call: Call) -> None:
        """Anyone re-executes the narrowed step, before its deadline, from openings: a wrong
        respondent is convicted, a right one convicts the developer of a false dispute;
        either ends the job (one re-execution per job, spec decision 0031)."""
        args = call.args
        job_id = args.identifier("job")
        recipe = args.json_object("recipe")
        pre_state = args.json_object("pre_state")
        batch = args.json_list("batch")
        args.done()
        self.signer(call, None)
        job = self.existing_job(call, job_id)
        self.require_status(job, Status.DISPUTED)
        dispute = job.dispute
        assert dispute is not None
        if dispute.turn != Turn.RESOLVE:
            raise Rejected(MarketCode.BISECTION_NOT_OVER,
                           f"the disagreement spans steps {dispute.low}..{dispute.high}")
        self.require_on_time(call, job)
        state = call.state
        model = state.model(job.model)
        assert model is not None
        rows = []
        for dataset_id in job.datasets:
            dataset = state.dataset(dataset_id)
            assert dataset is not None
            rows.append(DatasetRows(dataset_id, dataset.train_rows_root, dataset.train_rows,
                                    dataset.feature_count))
        try:
            outcome = re_execute_step(recipe, model.commitment, pre_state, dispute.low_digest,
                                      dispute.low, rows, batch, dispute.high_respondent_digest)
        except EvidenceError as problem:
            raise Rejected(MarketCode.BAD_STEP_EVIDENCE, str(problem)) from None
        evidence = {"respondent": dispute.respondent, "step": dispute.high,
                    "pre_state": outcome.pre_state_digest,
                    "expected": outcome.recomputed_digest,
                    "respondent_digest": dispute.high_respondent_digest,
                    "claimant_digest": dispute.high_claimant_digest,
                    "resolved_by": call.creator.name}
        if outcome.recomputed_digest != dispute.high_respondent_digest:
            self.end_after_delivery(call, job, [VerdictRecord(dispute.respondent,
                                                              Offence.WRONG_COMPUTATION, evidence)])
            return
        verdict = VerdictRecord(job.developer, Offence.FALSE_DISPUTE, evidence)
        payouts = pay_false_dispute(job, dispute.respondent, dispute.answers, call.config.treasury)
        self.end_after_delivery(call, job, [verdict], payouts)

    def convict_shared_step(self, call: Call) -> None:
        """The ledger's verdict on a secret-shared step: the vendor the public state check
        names, from the committed step records and the referee's replay
        (:mod:`reference.chaincode.shared_disputes`)."""
        shared_step_verdict(self, call)

    # -- misuse and deadlines -----------------------------------------------------------

    def report_misuse(self, call: Call) -> None:
        job_id = call.args.identifier("job")
        vendor = call.args.identifier("vendor")
        artefact = call.args.raw("artefact", optional=True)
        call.args.done()
        reporter = self.signer(call, "data_owner").name
        job = self.existing_job(call, job_id)
        if job.status not in Status.STAKED:
            raise Rejected(MarketCode.JOB_STATUS_FORBIDS,
                           f"job {job_id} is {job.status}; vendors hold no data under stake")
        if reporter not in job.owners.values():
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"{reporter} owns no dataset of {job_id}")
        if vendor not in job.vendors:
            raise Rejected(MarketCode.VENDOR_NOT_IN_JOB, f"{vendor} is not a vendor of {job_id}")
        vendor_identity = call.state.identity(vendor)
        assert vendor_identity is not None
        licensed = {}
        for dataset_id in job.datasets:
            dataset = call.state.dataset(dataset_id)
            assert dataset is not None
            licensed[dataset_id] = dataset.licence.purposes
        proved, why = misuse_is_proved(artefact, job_id, vendor, vendor_identity.public_key, licensed)
        if not proved:
            raise Rejected(MarketCode.NO_MISUSE_EVIDENCE, why)
        evidence = {"artefact": artefact, "reporter": reporter}
        verdict = VerdictRecord(vendor, Offence.DATA_MISUSE, evidence)
        payouts = pay_settlement(job, job.convicted_vendors | {vendor}, misuser=vendor)
        self.close(call, job, Status.RESOLVED, payouts, [verdict])

    def timeout(self, call: Call) -> None:
        """The party that had to act and did not loses what the rules say: before any data
        was released the job expires; the silent vendors of a running job are convicted
        (:func:`silent_vendors`) — and if training had started and some vendors submitted,
        the job goes on to DELIVERED so the developer can audit, dispute or accept their
        results, else it is resolved; the developer's silence at DELIVERED is acceptance. In a dispute the respondent's
        silence costs it only its compensation: its committed digest at the midpoint
        (published with its result) is opened for it and the bisection goes on. The
        developer raised the dispute and bears its burden: silent on its turn, or leaving
        the narrowed step unresolved, it is convicted and the job settles as after a false
        dispute."""
        job_id = call.args.identifier("job")
        call.args.done()
        self.signer(call, None)
        job = self.existing_job(call, job_id)
        if job.status in Status.TERMINAL:
            raise Rejected(MarketCode.JOB_STATUS_FORBIDS, f"job {job_id} is {job.status}; "
                                                          "no deadline is running")
        if not call.past(job.deadline):
            raise Rejected(MarketCode.TOO_EARLY,
                           f"job {job_id}'s deadline {job.deadline} has not passed (now {call.now})")
        evidence: dict[str, Any] = {"status": job.status, "deadline": job.deadline,
                                    "now": call.now}
        if job.status in (Status.REQUESTED, Status.LICENSED):
            self.close(call, job, Status.EXPIRED, refund_everyone(job))
        elif job.status == Status.RUNNING:
            silent = silent_vendors(job)
            verdicts = [VerdictRecord(vendor, Offence.MISSED_DEADLINE, dict(evidence))
                        for vendor in job.vendors if vendor in silent]
            if len(job.confirmed) == len(job.vendors) and job.results:
                self.delivered_in_part(call, job, verdicts)
            else:
                self.close(call, job, Status.RESOLVED, pay_settlement(job, silent), verdicts)
        elif job.status == Status.DELIVERED:
            self.end_after_delivery(call, job)
        else:
            dispute = job.dispute
            assert dispute is not None
            if dispute.turn == Turn.RESPONDENT:
                transcript = call.state.get_json(transcript_key(job_id, dispute.respondent))
                committed = TranscriptRecord.from_json_value(transcript)
                self.open_respondent_digest(call, job, committed.digest_after(dispute.midpoint),
                                            by_respondent=False)
                return
            evidence.update({"respondent": dispute.respondent, "turn": dispute.turn})
            verdict = VerdictRecord(job.developer, Offence.MISSED_DEADLINE, evidence)
            payouts = pay_false_dispute(job, dispute.respondent, dispute.answers,
                                        call.config.treasury)
            self.end_after_delivery(call, job, [verdict], payouts)

    # -- queries (no writes) ------------------------------------------------------------

    def read(self, call: Call) -> Any:
        key = call.args.text("key")
        return {"key": key, "value": call.state.get_json(key)}

    def read_prefix(self, call: Call) -> Any:
        prefix = call.args.text("prefix")
        start, end = prefix_range(prefix)
        return {key: json.loads(value) for key, value in call.state.stub.get_state_by_range(start, end)}

    def accounts(self, call: Call) -> Any:
        """Every balance, escrow and minted total, and whether tokens are conserved."""
        stub = call.state.stub
        balances = {key.split("/", 1)[1]: json.loads(value)
                    for key, value in stub.get_state_by_range(*prefix_range("balance/"))}
        escrows = {key.split("/", 1)[1]: json.loads(value)
                   for key, value in stub.get_state_by_range(*prefix_range("escrow/"))}
        minted = sum(json.loads(value) for _, value in stub.get_state_by_range(*prefix_range("minted/")))
        held = sum(balances.values()) + sum(escrows.values())
        return {"balances": balances, "escrows": escrows, "minted": minted, "held": held,
                "conserved": held == minted,
                "no_negative": all(amount >= 0 for amount in [*balances.values(), *escrows.values()])}


def silent_vendors(job: JobRecord) -> set[str]:
    """The vendors of a running job that missed the step its deadline was for: while some
    vendor has not confirmed its inputs, those that have not confirmed (a vendor that
    confirmed could not submit yet); once all have, those that have not submitted."""
    if len(job.confirmed) < len(job.vendors):
        return {vendor for vendor in job.vendors if vendor not in job.confirmed}
    return {vendor for vendor in job.vendors if vendor not in job.results}


def refusal(rejection: Rejected) -> Response:
    payload = {"code": rejection.code.value, "protocol_code": protocol_code(rejection.code),
               "reason": rejection.reason}
    return error(f"{rejection.code.value}: {rejection.reason}", REFUSAL_STATUS, encode(payload))
