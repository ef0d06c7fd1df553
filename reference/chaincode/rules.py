"""Stake and bond rules: a small, safe formula language evaluated exactly with fractions.

The minimum stakes and bonds a job must lock come from a parameters file
(``reference/chaincode/params.json``). It holds the market constants (dispute cost G,
audit probability q) and a list of constraints, each an inequality between two arithmetic
expressions over named quantities of the job, for example ``q * (Bv + F_j) >= C_j``.
The file holds the protocol's stated minimums. The regions the incentive proofs synthesise
for particular job shapes are written in the same formula language to a second file,
``reference/chaincode/regions.json``, enforced on top of these (see :mod:`.regions`).

Formula grammar (no ``eval``: a hand-written recursive-descent parser)::

    constraint := expr ( ">=" | ">" | "<=" | "<" | "==" ) expr
    expr       := term ( ("+" | "-") term )*
    term       := unary ( ("*" | "/") unary )*
    unary      := "-" unary | atom
    atom       := NUMBER | NAME | ("max" | "min") "(" expr ("," expr)* ")" | "(" expr ")"
    NUMBER     := digits [ "." digits ]          (exact: "0.5" is 1/2)
    NAME       := letter ( letter | digit | "_" )*

Every value is a :class:`fractions.Fraction`, so ``1/3 * 3 == 1`` exactly. A division by
zero makes the constraint fail (the call is refused with the constraint's code).

Quantities (see :data:`JOB_QUANTITIES`, :data:`VENDOR_QUANTITIES`): a constraint that
mentions ``F_j`` or ``C_j`` is checked once for every vendor ``j`` of the job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from reference.chaincode.codes import MarketCode

RULES_FORMAT = "aimarket/stake-rules/v1"
DEFAULT_PARAMS_PATH = Path(__file__).with_name("params.json")

JOB_QUANTITIES: dict[str, str] = {
    "P": "sum of the prices of the job's datasets",
    "F": "sum of the fees of the job's vendors",
    "C": "sum of the declared compute costs of the job's vendors",
    "W": "sum of the declared misuse values of the job's datasets",
    "G": "dispute cost per round (market constant)",
    "q": "audit probability (market constant)",
    "T": "number of training steps of the job",
    "R": "bisection rounds, ceil(log2 T)",
    "Bv": "vendor stake asked for",
    "Ba": "developer bond asked for",
    "Bd": "data-owner bond asked for",
    "N_d": "number of datasets of the job",
    "N_v": "number of vendors of the job",
}
"""Quantities every constraint may use."""

VENDOR_QUANTITIES: dict[str, str] = {
    "F_j": "fee of vendor j",
    "C_j": "declared compute cost of vendor j",
}
"""Quantities of one vendor; a constraint using them holds for every vendor of the job."""

RULE_CODES = {"STAKE_BELOW_MINIMUM": MarketCode.STAKE_BELOW_MINIMUM,
              "BOND_BELOW_MINIMUM": MarketCode.BOND_BELOW_MINIMUM}
"""The protocol codes a constraint may name, and the chaincode code each one gives."""


class RulesError(ValueError):
    """The parameters file or a formula in it is not valid."""


# --------------------------------------------------------------------------- parsing

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][A-Za-z0-9_]*)|(>=|<=|==|[-+*/(),<>]))")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise RulesError(f"unexpected character {text[position:].lstrip()[:1]!r} in {text!r}")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    return tokens


@dataclass(frozen=True)
class Number:
    value: Fraction


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Negate:
    operand: Expression


@dataclass(frozen=True)
class Binary:
    operator: str
    left: Expression
    right: Expression


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple[Expression, ...]


Expression = Number | Name | Negate | Binary | Call

_FUNCTIONS = ("max", "min")
_COMPARISONS = (">=", ">", "<=", "<", "==")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise RulesError(f"formula {self.text!r} ends too early")
        if expected is not None and token != expected:
            raise RulesError(f"expected {expected!r} but found {token!r} in {self.text!r}")
        self.position += 1
        return token

    def expression(self) -> Expression:
        result = self.term()
        while self.peek() in ("+", "-"):
            operator = self.take()
            result = Binary(operator, result, self.term())
        return result

    def term(self) -> Expression:
        result = self.unary()
        while self.peek() in ("*", "/"):
            operator = self.take()
            result = Binary(operator, result, self.unary())
        return result

    def unary(self) -> Expression:
        if self.peek() == "-":
            self.take()
            return Negate(self.unary())
        return self.atom()

    def atom(self) -> Expression:
        token = self.take()
        if token == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if token[0].isdigit():
            return Number(Fraction(token))
        if token[0].isalpha():
            if token in _FUNCTIONS:
                self.take("(")
                arguments = [self.expression()]
                while self.peek() == ",":
                    self.take()
                    arguments.append(self.expression())
                self.take(")")
                return Call(token, tuple(arguments))
            return Name(token)
        raise RulesError(f"unexpected {token!r} in {self.text!r}")


def parse_expression(text: str) -> Expression:
    parser = _Parser(text)
    result = parser.expression()
    if parser.peek() is not None:
        raise RulesError(f"unexpected {parser.peek()!r} in {text!r}")
    return result


def parse_constraint(text: str) -> tuple[Expression, str, Expression]:
    """``(left, comparison, right)`` of a constraint such as ``"Bv >= P"``."""
    if not isinstance(text, str) or not text.strip():
        raise RulesError("a constraint must be a non-empty string")
    parser = _Parser(text)
    left = parser.expression()
    comparison = parser.take()
    if comparison not in _COMPARISONS:
        raise RulesError(f"expected a comparison ({', '.join(_COMPARISONS)}) in {text!r}, "
                         f"found {comparison!r}")
    right = parser.expression()
    if parser.peek() is not None:
        raise RulesError(f"unexpected {parser.peek()!r} in {text!r}")
    return left, comparison, right


def names_in(expression: Expression) -> set[str]:
    if isinstance(expression, Name):
        return {expression.name}
    if isinstance(expression, Negate):
        return names_in(expression.operand)
    if isinstance(expression, Binary):
        return names_in(expression.left) | names_in(expression.right)
    if isinstance(expression, Call):
        return set().union(*(names_in(argument) for argument in expression.arguments))
    return set()


# --------------------------------------------------------------------------- evaluation

class _DivisionByZero(ArithmeticError):
    pass


def evaluate(expression: Expression, values: Mapping[str, Fraction]) -> Fraction:
    """The exact value of ``expression``; every name must be in ``values``."""
    if isinstance(expression, Number):
        return expression.value
    if isinstance(expression, Name):
        return values[expression.name]
    if isinstance(expression, Negate):
        return -evaluate(expression.operand, values)
    if isinstance(expression, Call):
        arguments = [evaluate(argument, values) for argument in expression.arguments]
        return max(arguments) if expression.function == "max" else min(arguments)
    left = evaluate(expression.left, values)
    right = evaluate(expression.right, values)
    if expression.operator == "+":
        return left + right
    if expression.operator == "-":
        return left - right
    if expression.operator == "*":
        return left * right
    if right == 0:
        raise _DivisionByZero()
    return left / right


def _compare(left: Fraction, comparison: str, right: Fraction) -> bool:
    if comparison == ">=":
        return left >= right
    if comparison == ">":
        return left > right
    if comparison == "<=":
        return left <= right
    if comparison == "<":
        return left < right
    return left == right


@dataclass(frozen=True)
class Constraint:
    """One named inequality; when it fails the call is refused with ``code``."""

    name: str
    code: MarketCode
    text: str
    left: Expression
    comparison: str
    right: Expression

    @property
    def per_vendor(self) -> bool:
        return bool((names_in(self.left) | names_in(self.right)) & set(VENDOR_QUANTITIES))

    def holds(self, values: Mapping[str, Fraction]) -> bool:
        try:
            return _compare(evaluate(self.left, values), self.comparison,
                            evaluate(self.right, values))
        except _DivisionByZero:
            return False

    def to_json_value(self) -> dict[str, str]:
        protocol_name = next(name for name, code in RULE_CODES.items() if code == self.code)
        return {"name": self.name, "code": protocol_name, "require": self.text}


def make_constraint(value: Any, position: int, *, within: str = "",
                    optional: frozenset[str] = frozenset()) -> Constraint:
    """A constraint ``{"name", "code", "require"}`` at ``constraints[position]`` of the
    document part ``within`` (for error messages); ``optional`` names further keys it may
    carry, which are ignored here."""
    where = f"{within}constraints[{position}]"
    if (not isinstance(value, dict) or not {"name", "code", "require"} <= set(value)
            or set(value) - {"name", "code", "require"} - optional):
        extra = f" (and optionally {', '.join(sorted(optional))})" if optional else ""
        raise RulesError(f"{where}: must be an object with exactly name, code, require{extra}")
    name, code_name, text = value["name"], value["code"], value["require"]
    if not isinstance(name, str) or not name:
        raise RulesError(f"{where}.name: must be a non-empty string")
    if code_name not in RULE_CODES:
        raise RulesError(f"{where}.code: must be one of {sorted(RULE_CODES)}, got {code_name!r}")
    try:
        left, comparison, right = parse_constraint(text)
    except RulesError as error:
        raise RulesError(f"{where}.require: {error}") from None
    unknown = (names_in(left) | names_in(right)) - set(JOB_QUANTITIES) - set(VENDOR_QUANTITIES)
    if unknown:
        raise RulesError(f"{where}.require: unknown quantities {sorted(unknown)}; known: "
                         f"{sorted(JOB_QUANTITIES) + sorted(VENDOR_QUANTITIES)}")
    return Constraint(name, RULE_CODES[code_name], text, left, comparison, right)


# --------------------------------------------------------------------------- the rule set

def parse_fraction(value: Any, where: str) -> Fraction:
    """A rational written as an integer or a string ``"n/d"`` or ``"0.5"``."""
    if isinstance(value, bool):
        raise RulesError(f"{where}: must be a number, got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str) and re.fullmatch(r"\d+(/\d+|\.\d+)?", value):
        try:
            return Fraction(value)
        except ZeroDivisionError:
            raise RulesError(f"{where}: division by zero in {value!r}") from None
    raise RulesError(f"{where}: must be an integer or a string like \"1/2\", got {value!r}")


def fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


@dataclass(frozen=True)
class JobTerms:
    """What the constraints talk about, for one requested job."""

    prices: Sequence[int]
    fees: Sequence[int]
    costs: Sequence[int]
    misuse_values: Sequence[int]
    steps: int
    vendor_stake: int
    developer_bond: int
    owner_bond: int


def bisection_rounds(steps: int) -> int:
    """ceil(log2 steps): the most rounds a bisection over ``steps`` steps takes."""
    return (steps - 1).bit_length() if steps > 0 else 0


@dataclass(frozen=True)
class StakeRules:
    """The market constants and the ordered constraints on stakes and bonds."""

    dispute_cost: int
    audit_probability: Fraction
    constraints: tuple[Constraint, ...]
    source: str

    def job_values(self, terms: JobTerms) -> dict[str, Fraction]:
        return {
            "P": Fraction(sum(terms.prices)), "F": Fraction(sum(terms.fees)),
            "C": Fraction(sum(terms.costs)),
            "W": Fraction(sum(terms.misuse_values)), "G": Fraction(self.dispute_cost),
            "q": self.audit_probability, "T": Fraction(terms.steps),
            "R": Fraction(bisection_rounds(terms.steps)),
            "Bv": Fraction(terms.vendor_stake), "Ba": Fraction(terms.developer_bond),
            "Bd": Fraction(terms.owner_bond),
            "N_d": Fraction(len(terms.prices)), "N_v": Fraction(len(terms.fees)),
        }

    def first_failure(self, terms: JobTerms) -> Constraint | None:
        """The first constraint (in file order) that the job's terms break, or None."""
        values = self.job_values(terms)
        for constraint in self.constraints:
            if constraint.per_vendor:
                for fee, cost in zip(terms.fees, terms.costs):
                    vendor_values = {**values, "F_j": Fraction(fee), "C_j": Fraction(cost)}
                    if not constraint.holds(vendor_values):
                        return constraint
            elif not constraint.holds(values):
                return constraint
        return None

    def to_json_value(self) -> dict[str, Any]:
        return {
            "format": RULES_FORMAT,
            "source": self.source,
            "market": {"dispute_cost": self.dispute_cost,
                       "audit_probability": fraction_text(self.audit_probability)},
            "constraints": [constraint.to_json_value() for constraint in self.constraints],
        }


SAFETY_FLOOR = (
    ("a vendor's stake can pay the data prices", "STAKE_BELOW_MINIMUM", "Bv >= P"),
    ("a vendor's stake can pay the misuse compensations", "STAKE_BELOW_MINIMUM", "q * Bv >= W"),
    ("the developer bond can pay the respondent's answers", "BOND_BELOW_MINIMUM", "Ba >= G * R"),
    ("the owner bond can pay a complaint and the other prices", "BOND_BELOW_MINIMUM", "Bd >= G + P"),
)
"""Constraints without which some payout rule would pay a negative amount. The chaincode
checks them after the file's constraints whatever the file says, so a rules file can make
the market stricter but never unsafe. The protocol's stated minimums imply all four."""

SAFETY_CONSTRAINTS = tuple(
    make_constraint({"name": name, "code": code, "require": text}, position)
    for position, (name, code, text) in enumerate(SAFETY_FLOOR))


def rules_from_json_value(value: Any) -> StakeRules:
    """Validate a parameters document (the content of ``params.json``)."""
    if not isinstance(value, dict):
        raise RulesError("the parameters file must hold a JSON object")
    if value.get("format") != RULES_FORMAT:
        raise RulesError(f"format: must be {RULES_FORMAT!r}, got {value.get('format')!r}")
    allowed = {"format", "source", "market", "constraints", "quantities"}
    if set(value) - allowed:
        raise RulesError(f"unknown fields {sorted(set(value) - allowed)}")
    source = value.get("source", "")
    if not isinstance(source, str):
        raise RulesError("source: must be a string")
    market = value.get("market")
    if not isinstance(market, dict) or set(market) != {"dispute_cost", "audit_probability"}:
        raise RulesError("market: must be an object with dispute_cost and audit_probability")
    dispute_cost = market["dispute_cost"]
    if isinstance(dispute_cost, bool) or not isinstance(dispute_cost, int) or dispute_cost < 0:
        raise RulesError("market.dispute_cost: must be a whole number of tokens >= 0")
    audit_probability = parse_fraction(market["audit_probability"], "market.audit_probability")
    if not 0 < audit_probability <= 1:
        raise RulesError("market.audit_probability: must be in (0, 1]")
    constraints = value.get("constraints")
    if not isinstance(constraints, list) or not constraints:
        raise RulesError("constraints: must be a non-empty list")
    parsed = tuple(make_constraint(item, position) for position, item in enumerate(constraints))
    return StakeRules(dispute_cost, audit_probability, parsed, source)


def load_rules(path: str | Path = DEFAULT_PARAMS_PATH) -> StakeRules:
    """Read and validate a parameters file."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RulesError(f"{path}: not JSON ({error})") from None
    return rules_from_json_value(value)


def load_params_document(path: str | Path = DEFAULT_PARAMS_PATH) -> dict[str, Any]:
    """The parameters file as a JSON value, validated (what ``init_market`` records)."""
    value = json.loads(Path(path).read_text(encoding="utf-8"))
    rules_from_json_value(value)
    return value


# --------------------------------------------------------------------------- misuse

def misuse_compensation(misuse_value: int, audit_probability: Fraction) -> int | None:
    """What a misuse conviction pays a dataset's owner: its misuse value W divided by the
    audit probability q, computed exactly; None when W / q is not a whole number of tokens
    (the reference then refuses to register the dataset: ``MKT_MISUSE_VALUE_INDIVISIBLE``).
    With q = 1/k every whole W qualifies; with q = n/d, W must be a multiple of n."""
    compensation = Fraction(misuse_value) / audit_probability
    return compensation.numerator if compensation.denominator == 1 else None


# --------------------------------------------------------------------------- least stakes

def least_stakes(rules: StakeRules, prices: Sequence[int], fees: Sequence[int],
                 costs: Sequence[int], misuse_values: Sequence[int],
                 steps: int, extra: Sequence[Constraint] = ()) -> tuple[int, int, int]:
    """The least whole ``(vendor_stake, developer_bond, owner_bond)`` that pass every
    constraint, the safety floor and the ``extra`` constraints (those of the job's
    synthesised region, see :mod:`.regions`), found by search (a client helper, not used
    by the chaincode's checks).

    Assumes what every rule of the protocol satisfies: raising a stake or bond never breaks
    a constraint. Each of the three is searched with the other two set very high; raises
    :class:`RulesError` if no value up to 2**80 passes.
    """
    every = rules.constraints + SAFETY_CONSTRAINTS + tuple(extra)
    ample = 1 << 80

    def passes(vendor_stake: int, developer_bond: int, owner_bond: int) -> bool:
        terms = JobTerms(prices, fees, costs, misuse_values, steps,
                         vendor_stake, developer_bond, owner_bond)
        full = StakeRules(rules.dispute_cost, rules.audit_probability, every, rules.source)
        return full.first_failure(terms) is None

    def least(check) -> int:
        if check(0):
            return 0
        high = 1
        while not check(high):
            high *= 2
            if high > ample:
                raise RulesError("no stake or bond up to 2**80 satisfies the rules")
        low = high // 2  # check(low) is false
        while high - low > 1:
            middle = (low + high) // 2
            if check(middle):
                high = middle
            else:
                low = middle
        return high

    if not passes(ample, ample, ample):
        raise RulesError("the rules cannot be met by any stakes for these terms")
    vendor_stake = least(lambda amount: passes(amount, ample, ample))
    developer_bond = least(lambda amount: passes(ample, amount, ample))
    owner_bond = least(lambda amount: passes(ample, ample, amount))
    return vendor_stake, developer_bond, owner_bond
