"""Coverage: every action x outcome, and the malformed calls that reach the rejections.

The protocol moves of :func:`walks.moves.protocol_moves` are sensible calls, so most of
them are accepted. To see every rejection code of every action, the explorer also tries
malformed variants at each market it expands: a base call (a protocol move, or a
plausible call of the action built from the market) with one thing changed — the signer
(every identity and an unknown ``mallory``), the job (unknown, or a fresh identifier), a
dataset or vendor (every known one and an unknown one), a digest (off by one), a
transcript (one digest short, or another of the instance's choices), an amount (zero or
negative), a licence or offer term (empty purposes, zero uses, zero capacity), the job
terms (zero steps or window, another purpose, empty or repeated parties, an unknown or
somebody else's model), a role (the reserved treasury role). These include every kind of
variant :func:`walks.moves.adversarial_moves` draws at random.

Variants only count for coverage: an accepted variant adds no edge to the graph, because
it leaves the instance (a new identity, a job outside the templates...). Variants are
generated only for actions that still miss some outcome, which keeps the cost small once
the coverage is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from spec.actions import CATALOGUE, ENVIRONMENT, Call, call, public_fault, start_digest
from spec.rejections import Rejection
from spec.world import Instance, request_call
from spec.state import TREASURY, Market, Role
from walks.moves import transcript_choices

ACCEPTED = "accepted"
"""The outcome name of an accepted call."""

UNKNOWN_PARTY = "mallory"


def expected_outcomes() -> dict[str, tuple[str, ...]]:
    """Every outcome each action can have: accepted, then its codes in check order."""
    return {name: (ACCEPTED, *(code.value for code in action.rejections))
            for name, action in CATALOGUE.items()}


Where = object
"""Where a call was evaluated: a node number, or ``("setup", position)``."""


@dataclass
class Coverage:
    """The first call seen for each (action, outcome), and where it was evaluated.

    ``targets`` are the pairs worth looking for with malformed variants (default: every
    declared pair); variants are tried only for actions with a target still unseen.
    """

    witnesses: dict[tuple[str, str], tuple[Where, Call]] = field(default_factory=dict)
    targets: frozenset[tuple[str, str]] | None = None
    _incomplete: frozenset[str] | None = None

    def record(self, action: str, rejection: Rejection | None, where: Where, made: Call) -> None:
        outcome = ACCEPTED if rejection is None else rejection.value
        if (action, outcome) not in self.witnesses:
            self.witnesses[(action, outcome)] = (where, made)
            self._incomplete = None

    def covered(self) -> set[tuple[str, str]]:
        return set(self.witnesses)

    def missing(self) -> list[tuple[str, str]]:
        """Expected (action, outcome) pairs never seen, in catalogue order."""
        return [(action, outcome) for action, outcomes in expected_outcomes().items()
                for outcome in outcomes if (action, outcome) not in self.witnesses]

    def undeclared(self) -> list[tuple[str, str]]:
        """Outcomes seen that the action does not declare (a spec inconsistency)."""
        declared = expected_outcomes()
        return sorted(pair for pair in self.witnesses
                      if pair[0] not in declared or pair[1] not in declared[pair[0]])

    def incomplete_actions(self) -> frozenset[str]:
        """Actions with a target pair not yet seen."""
        if self._incomplete is None:
            wanted = self.missing() if self.targets is None else [
                pair for pair in self.targets if pair not in self.witnesses]
            self._incomplete = frozenset(action for action, _ in wanted)
        return self._incomplete

    def merge(self, other: Coverage) -> None:
        for pair, witness in other.witnesses.items():
            self.witnesses.setdefault(pair, witness)
        self._incomplete = None


# ---------------------------------------------------------------------------------------
# Base calls: plausible calls of an action in a market
# ---------------------------------------------------------------------------------------

def _commitment(market: Market, dataset: str) -> int:
    record = market.datasets.get(dataset)
    return record.commitment if record is not None else 0


def job_calls(market: Market, instance: Instance, action: str) -> Iterator[Call]:
    """Calls of a job action on every job of the market, by the party it concerns."""
    for ident, job in market.jobs.items():
        owners = [market.datasets[dataset].owner for dataset in job.datasets
                  if dataset in market.datasets]
        if action in ("grant_access", "deny_access"):
            for dataset in job.datasets:
                owner = market.datasets[dataset].owner if dataset in market.datasets else TREASURY
                if action == "grant_access":
                    commitment = _commitment(market, dataset)
                    yield call(action, owner, job=ident, dataset=dataset,
                               delivery_digest=commitment, key_digest=commitment * 3)
                else:
                    yield call(action, owner, job=ident, dataset=dataset)
        elif action in ("accept_job", "confirm_inputs", "misuse_data"):
            for vendor in job.vendors:
                yield call(action, vendor, job=ident)
        elif action == "complain_inputs":
            for vendor in job.vendors:
                for dataset in job.datasets:
                    yield call(action, vendor, job=ident, dataset=dataset)
        elif action in ("submit_result", "dispute_result"):
            for vendor in job.vendors:
                if job.model not in market.models:
                    continue
                start = start_digest(market, job, vendor)
                # The honest transcript and one fabricated one: every fabricated transcript
                # ends on the same digest, so these two meet every final digest a vendor
                # can have submitted (agreeing with it, or not).
                for transcript in transcript_choices(instance, start)[:2]:
                    if action == "submit_result":
                        yield call(action, vendor, job=ident, transcript=transcript)
                    else:
                        yield call(action, job.developer, job=ident, vendor=vendor,
                                   transcript=transcript)
        elif action == "convict_shared_step":
            # Every vendor at the first step, and the fault the public checks show, if any.
            found = public_fault(market, job) if job.model in market.models else None
            for vendor in job.vendors:
                yield call(action, job.developer, job=ident, vendor=vendor, step=1, check="sender")
            if found is not None and found[2] is not None:
                yield call(action, job.developer, job=ident, vendor=found[2], step=found[0],
                           check=found[1])
        elif action in ("accept_result", "resolve_step", "timeout"):
            yield call(action, job.developer, job=ident)
        elif action in ("bisect_query", "bisect_answer"):
            dispute = job.dispute
            if dispute is None:
                actors = [job.developer] if action == "bisect_query" else list(job.vendors)
                for actor in actors:
                    yield call(action, actor, job=ident, digest=0)
                continue
            middle = (dispute.low + dispute.high) // 2
            if action == "bisect_query":
                digest = dispute.claimant_transcript[middle - 1] if middle >= 1 else 0
                yield call(action, job.developer, job=ident, digest=digest)
            else:
                transcript = job.results.get(dispute.respondent, ())
                digest = transcript[middle - 1] if 1 <= middle <= len(transcript) else 0
                yield call(action, dispute.respondent, job=ident, digest=digest)
        elif action == "report_misuse":
            for owner in dict.fromkeys(owners):
                for vendor in job.vendors:
                    yield call(action, owner, job=ident, vendor=vendor)


def base_calls(market: Market, instance: Instance, action: str, moves: Sequence[Call]) -> list[Call]:
    """The calls of ``action`` that variants start from."""
    calls = [made for made in moves if made.action == action]
    if action == "register_identity":
        # A newcomer (accepted); a known name comes from the signer variants.
        calls += [call(action, UNKNOWN_PARTY, role=Role.DATA_OWNER, organisation="outsiders")]
    elif action == "fund":
        recipient = next((name for name in market.identities if name != TREASURY), TREASURY)
        calls += [call(action, TREASURY, recipient=recipient, amount=1)]
    elif action == "request_training":
        for template in instance.jobs:
            original = request_call(instance, template)
            calls.append(original)
            calls.append(call(action, original.actor, **{**original.args, "job": "job-new"}))
    elif action == "tick":
        calls.append(call(action, ENVIRONMENT))
    else:
        calls += job_calls(market, instance, action)
    return calls


# ---------------------------------------------------------------------------------------
# Variants: one thing changed
# ---------------------------------------------------------------------------------------

def argument_variants(market: Market, instance: Instance, made: Call) -> Iterator[dict]:
    """Argument maps that differ from ``made``'s in one argument."""
    args = dict(made.args)

    def changed(name: str, value) -> dict:
        return {**args, name: value}

    for name, value in args.items():
        if name == "job":
            yield changed(name, "job-unknown")
            if made.action == "request_training":
                for ident in market.jobs:
                    yield changed(name, ident)
        elif name == "dataset":
            for dataset in (*market.datasets, "data-unknown"):
                if dataset != value:
                    yield changed(name, dataset)
        elif name == "vendor":
            for vendor in (*market.offers, "vendor-unknown"):
                if vendor != value:
                    yield changed(name, vendor)
        elif name == "recipient":
            yield changed(name, UNKNOWN_PARTY)
        elif name == "digest":
            yield changed(name, value + 1)
        elif name == "transcript":
            yield changed(name, tuple(value[:-1]))
        elif name == "amount":
            yield changed(name, 0)
        elif name in ("vendor_stake", "developer_bond", "owner_bond"):
            yield changed(name, 0)
        elif name in ("price", "misuse_value", "fee", "cost"):
            yield changed(name, -1)
        elif name == "purposes":
            yield changed(name, frozenset())
        elif name in ("max_uses", "capacity", "steps", "window"):
            yield changed(name, 0)
        elif name == "purpose":
            yield changed(name, "another purpose")
        elif name in ("datasets", "vendors"):
            unknown = "data-unknown" if name == "datasets" else "vendor-unknown"
            yield changed(name, ())
            if value:
                yield changed(name, (value[0], value[0]))
            yield changed(name, (unknown,))
        elif name == "model":
            for model in (*market.models, "model-unknown"):
                if model != value:
                    yield changed(name, model)
        elif name == "role":
            yield changed(name, Role.TREASURY)


def variant_calls(market: Market, instance: Instance, moves: Sequence[Call],
                  actions: Iterable[str]) -> Iterator[Call]:
    """Base calls of ``actions`` and their one-change variants, without repeats."""
    signers = (*market.identities, UNKNOWN_PARTY)
    seen: set[Call] = set()
    for action in sorted(actions):
        for base in base_calls(market, instance, action, moves):
            candidates = [base]
            if base.actor != ENVIRONMENT:
                candidates += [Call(base.action, signer, base.args) for signer in signers
                               if signer != base.actor]
            candidates += [call(base.action, base.actor, **args)
                           for args in argument_variants(market, instance, base)]
            for candidate in candidates:
                if candidate not in seen:
                    seen.add(candidate)
                    yield candidate
