"""The checks many transactions start with, in the order the protocol documents them: the
signer and its role, the job, its status, the caller's part in it, the deadline, funds; and
the parsed stake rules and regions recorded at genesis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from reference.chaincode.call import Call, encode
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.evidence import (
    opens_step_digest,
)
from reference.chaincode.records import (
    IDENTIFIER,
    IdentityRecord,
    JobRecord,
    Status,
)
from reference.chaincode.regions import StakeRegions, regions_from_json_value
from reference.chaincode.rules import (
    StakeRules,
    rules_from_json_value,
)


class DeveloperChecks(Protocol):
    """The two checks :func:`disputable_vendor` builds on (a contract, or a test's host)."""

    def developer_move(self, call: Any, job_id: str, status: str) -> JobRecord: ...
    def require_on_time(self, call: Any, job: JobRecord) -> None: ...


def disputable_vendor(host: DeveloperChecks, call: Any, job_id: str, vendor: str) -> JobRecord:
    """The checks a developer's charge against one vendor of a delivered job opens with, in
    order — ``dispute_result`` and ``convict_shared_step`` alike: a developer move in
    DELIVERED, on time, a vendor of the job, not yet convicted."""
    job = host.developer_move(call, job_id, Status.DELIVERED)
    host.require_on_time(call, job)
    if vendor not in job.vendors:
        raise Rejected(MarketCode.VENDOR_NOT_IN_JOB, f"{vendor} is not a vendor of {job_id}")
    if vendor in job.convicted_vendors:
        raise Rejected(MarketCode.ALREADY_CONVICTED, f"{vendor} is already convicted in {job_id}")
    return job


class SharedChecks:
    """Checks shared by the transactions; each raises :class:`Rejected` with the code of the
    first check that fails."""

    NO_REGIONS = StakeRegions(())
    _rules_cache: dict[bytes, StakeRules]
    _regions_cache: dict[bytes, StakeRegions]

    def signer(self, call: Call, role: str | None) -> IdentityRecord:
        """The signer must be a registered identity (same name, organisation and key) and,
        when ``role`` is given, hold that role."""
        creator = call.creator
        record = call.state.identity(creator.name) if IDENTIFIER.fullmatch(creator.name) else None
        if (record is None or record.public_key != creator.public_key.hex()
                or record.organisation != creator.org):
            raise Rejected(MarketCode.UNKNOWN_ACTOR,
                           f"{creator.org}/{creator.name} is not a registered identity")
        if role is not None and record.role != role:
            raise Rejected(MarketCode.WRONG_ROLE,
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
            raise Rejected(MarketCode.UNKNOWN_JOB, f"no job {job_id!r}")
        return job

    @staticmethod
    def require_status(job: JobRecord, *statuses: str) -> None:
        if job.status not in statuses:
            raise Rejected(MarketCode.WRONG_STATUS,
                           f"job {job.job_id} is {job.status}, not {' or '.join(statuses)}")

    @staticmethod
    def require_on_time(call: Call, job: JobRecord) -> None:
        if not call.on_time_for(job.deadline):
            raise Rejected(MarketCode.DEADLINE_PASSED,
                           f"job {job.job_id}'s deadline {job.deadline} passed (now {call.now})")

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
            raise Rejected(MarketCode.INSUFFICIENT_FUNDS,
                           f"{party} holds {balance} but {what} needs {amount}")

    @staticmethod
    def require_transcript(job: JobRecord, root: str, steps: int, final_digest: str,
                           final_proof: Any) -> None:
        """A transcript commitment must cover the job's number of steps and open its final
        digest as the last leaf."""
        if steps != job.steps:
            raise Rejected(MarketCode.INVALID_TRANSCRIPT,
                           f"the transcript has {steps} steps; the job has {job.steps}")
        if not opens_step_digest(root, steps, steps, final_digest, final_proof):
            raise Rejected(MarketCode.INVALID_TRANSCRIPT,
                           "final_proof does not open final_digest as the transcript's last step")
