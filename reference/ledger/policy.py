"""Endorsement policies: Fabric's signature-policy language over organisations.

Text syntax (as in Fabric)::

    AND('Org1.peer', 'Org2.peer')
    OR('Org1.member', AND('Org2.peer', 'Org3.peer'))
    OutOf(2, 'Org1.peer', 'Org2.peer', 'Org3.peer')
    MAJORITY            # ImplicitMeta "MAJORITY Endorsement": more than half of the
    ANY / ALL           # channel's organisations, each through one of its peers

A principal ``'MSP.role'`` matches a valid signer of organisation ``MSP`` whose role is
``role``; ``member`` matches any role and ``client`` any non-node role. Evaluation follows
Fabric's cauthdsl: signers are de-duplicated, and each signer satisfies at most one
principal, consumed greedily in the order the policy lists them.
"""

from __future__ import annotations

import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from reference.ledger.identity import NODE_ROLES

PRINCIPAL_ROLES = frozenset({"member", "peer", "admin", "client", "orderer"})


class Signer(Protocol):
    """What a policy looks at in a verified signature."""

    @property
    def org(self) -> str: ...

    @property
    def role(self) -> str: ...


class Policy(ABC):
    """A signature policy: satisfied or not by a set of verified signers."""

    def evaluate(self, signers: Sequence[Signer]) -> bool:
        return self._evaluate(list(signers), [False] * len(signers))

    @abstractmethod
    def _evaluate(self, signers: list[Signer], used: list[bool]) -> bool: ...

    @abstractmethod
    def to_text(self) -> str: ...

    @abstractmethod
    def organisations(self) -> frozenset[str]: ...

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class SignedBy(Policy):
    """One signature from a member of ``org`` with role ``role``."""

    org: str
    role: str = "peer"

    def __post_init__(self) -> None:
        if self.role not in PRINCIPAL_ROLES:
            raise ValueError(f"unknown principal role {self.role!r}")

    def matches(self, signer: Signer) -> bool:
        if signer.org != self.org:
            return False
        if self.role == "member":
            return True
        if self.role == "client":
            return signer.role not in NODE_ROLES
        return signer.role == self.role

    def _evaluate(self, signers: list[Signer], used: list[bool]) -> bool:
        for index, signer in enumerate(signers):
            if not used[index] and self.matches(signer):
                used[index] = True
                return True
        return False

    def to_text(self) -> str:
        return f"'{self.org}.{self.role}'"

    def organisations(self) -> frozenset[str]:
        return frozenset({self.org})


@dataclass(frozen=True)
class OutOf(Policy):
    """At least ``required`` of ``rules`` satisfied, by disjoint signers."""

    required: int
    rules: tuple[Policy, ...]

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError("a policy needs at least one rule")
        if not 1 <= self.required <= len(self.rules):
            raise ValueError(f"OutOf({self.required}, ...) over {len(self.rules)} rules")

    def _evaluate(self, signers: list[Signer], used: list[bool]) -> bool:
        satisfied = 0
        trial = list(used)
        for rule in self.rules:
            trial[:] = used
            if rule._evaluate(signers, trial):
                satisfied += 1
                used[:] = trial
        return satisfied >= self.required

    def to_text(self) -> str:
        inner = ", ".join(rule.to_text() for rule in self.rules)
        if self.required == len(self.rules):
            return f"AND({inner})"
        if self.required == 1:
            return f"OR({inner})"
        return f"OutOf({self.required}, {inner})"

    def organisations(self) -> frozenset[str]:
        return frozenset().union(*(rule.organisations() for rule in self.rules))


def And(*rules: Policy) -> OutOf:  # noqa: N802 - Fabric's spelling
    return OutOf(len(rules), tuple(rules))


def Or(*rules: Policy) -> OutOf:  # noqa: N802 - Fabric's spelling
    return OutOf(1, tuple(rules))


def majority(organisations: Sequence[str], role: str = "peer") -> OutOf:
    """Fabric's default ``MAJORITY Endorsement``: more than half of the organisations."""
    orgs = sorted(organisations)
    return OutOf(len(orgs) // 2 + 1, tuple(SignedBy(org, role) for org in orgs))


class PolicySyntaxError(ValueError):
    """A policy text that does not parse, naming the position and the reason."""


_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>\d+)|"
                    r"'(?P<principal>[^']*)'|(?P<punct>[(),]))")


def parse_policy(text: str, channel_organisations: Sequence[str]) -> Policy:
    """Parse a policy text; ``MAJORITY``/``ANY``/``ALL`` expand over the channel's orgs."""
    tokens: list[tuple[str, str, int]] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None:
            raise PolicySyntaxError(f"policy {text!r}: unexpected character at {position}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    parser = _Parser(text, tokens, sorted(channel_organisations))
    policy = parser.parse_rule()
    if parser.index != len(tokens):
        raise PolicySyntaxError(f"policy {text!r}: trailing input at {tokens[parser.index][2]}")
    unknown = policy.organisations() - set(channel_organisations)
    if unknown:
        raise PolicySyntaxError(f"policy {text!r}: unknown organisation(s) {sorted(unknown)}")
    return policy


class _Parser:
    def __init__(self, text: str, tokens: list[tuple[str, str, int]], orgs: list[str]) -> None:
        self.text = text
        self.tokens = tokens
        self.orgs = orgs
        self.index = 0

    def _fail(self, reason: str) -> PolicySyntaxError:
        where = self.tokens[self.index][2] if self.index < len(self.tokens) else len(self.text)
        return PolicySyntaxError(f"policy {self.text!r}: {reason} at {where}")

    def _next(self) -> tuple[str, str, int]:
        if self.index >= len(self.tokens):
            raise self._fail("unexpected end")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect(self, punct: str) -> None:
        kind, value, _ = self._next()
        if kind != "punct" or value != punct:
            self.index -= 1
            raise self._fail(f"expected {punct!r}")

    def parse_rule(self) -> Policy:
        kind, value, _ = self._next()
        if kind == "principal":
            org, dot, role = value.rpartition(".")
            if not dot or not org or role not in PRINCIPAL_ROLES:
                self.index -= 1
                raise self._fail(f"bad principal {value!r} (want 'Org.role', role in "
                                 f"{sorted(PRINCIPAL_ROLES)})")
            return SignedBy(org, role)
        if kind != "word":
            self.index -= 1
            raise self._fail("expected a principal or AND/OR/OutOf/MAJORITY")
        keyword = value.upper()
        if keyword in {"MAJORITY", "ANY", "ALL"}:
            if self.index < len(self.tokens) and self.tokens[self.index][0] == "word":
                self.index += 1  # Fabric's "MAJORITY Endorsement" names the sub-policy
            if not self.orgs:
                raise self._fail("the channel has no organisations")
            principals = tuple(SignedBy(org, "peer") for org in self.orgs)
            count = len(principals)
            required = {"MAJORITY": count // 2 + 1, "ANY": 1, "ALL": count}[keyword]
            return OutOf(required, principals)
        if keyword not in {"AND", "OR", "OUTOF"}:
            self.index -= 1
            raise self._fail(f"unknown keyword {value!r}")
        self._expect("(")
        required = 0
        if keyword == "OUTOF":
            number_kind, number, _ = self._next()
            if number_kind != "number":
                self.index -= 1
                raise self._fail("OutOf needs a count first")
            required = int(number)
            self._expect(",")
        rules_list: list[Policy] = [self.parse_rule()]
        while True:
            kind, value, _ = self._next()
            if kind == "punct" and value == ")":
                break
            if kind != "punct" or value != ",":
                self.index -= 1
                raise self._fail("expected ',' or ')'")
            rules_list.append(self.parse_rule())
        rules = tuple(rules_list)
        if keyword == "AND":
            required = len(rules)
        elif keyword == "OR":
            required = 1
        try:
            return OutOf(required, rules)
        except ValueError as exc:
            raise self._fail(str(exc)) from None


@dataclass(frozen=True)
class _OrgPeer:
    org: str
    role: str = "peer"


def minimal_endorsing_organisations(policy: Policy) -> list[tuple[str, ...]]:
    """Smallest sets of organisations whose peers (one each) satisfy ``policy``.

    Used by clients to pick endorsers; sets of the smallest size only, in a fixed order.
    """
    orgs = sorted(policy.organisations())
    for size in range(1, len(orgs) + 1):
        found = [
            combination
            for combination in itertools.combinations(orgs, size)
            if policy.evaluate([_OrgPeer(org) for org in combination])
        ]
        if found:
            return found
    return []
