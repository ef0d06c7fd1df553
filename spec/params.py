"""Economic parameters and the minimum stakes and bonds they imply.

The incentive analysis treats every economic quantity as a symbol. :class:`Params` names
them once; the proofs instantiate it with z3 or sympy symbols, the model checker and the
simulator with small numbers.

The guard of ``request_training`` refuses a job whose stakes or bonds fall below the
minimums in :func:`stake_requirements`. Those minimums are the protocol's rule; the
incentive proofs synthesise the exact region where honest behaviour is dominant and check
that this rule lies inside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spec.base import Amount, total
from spec.rejections import Rejection


@dataclass(frozen=True)
class Params:
    """The symbolic parameters of one job, as in the protocol's incentive analysis.

    ``price`` (P) is paid per dataset, ``fee`` (F) per vendor; ``compute_cost`` (C) is what
    training costs one vendor; ``model_value`` (V) is the trained model's value to the
    developer; ``vendor_stake`` (Bv), ``developer_bond`` (Ba) and ``owner_bond`` (Bd) are
    locked per party; ``dispute_cost`` (G) is each side's cost of one dispute round;
    ``audit_probability`` (q) is the chance a deviation is detected off-chain;
    ``misuse_value`` (W) is what misusing a dataset is worth; ``steps`` (T) is the number of
    training steps in a transcript.
    """

    price: Amount
    fee: Amount
    compute_cost: Amount
    model_value: Amount
    vendor_stake: Amount
    developer_bond: Amount
    owner_bond: Amount
    dispute_cost: Amount
    audit_probability: Amount
    misuse_value: Amount
    steps: int


@dataclass(frozen=True)
class Requirement:
    """An amount condition ``amount >= bound``; if it fails the call gets ``code``.

    Guards branch on discrete facts only; every comparison of amounts is a requirement, so
    that a concrete run checks it and a symbolic run collects it as a constraint.
    """

    code: Rejection
    name: str
    amount: Amount
    bound: Amount
    strict: bool = False
    """When true the condition is ``amount > bound``."""

    def holds(self) -> bool:
        """Evaluate the condition on concrete amounts (int or Fraction)."""
        return bool(self.amount > self.bound) if self.strict else bool(self.amount >= self.bound)


def bisection_rounds(steps: int) -> int:
    """The most bisection rounds a dispute over ``steps`` steps can take: ceil(log2 steps)."""
    return (steps - 1).bit_length()


def dispute_compensation(dispute_cost: Amount, rounds: int) -> Amount:
    """What the claimant spends over ``rounds`` rounds plus opening the dispute."""
    return dispute_cost * (rounds + 1)


def answer_costs(dispute_cost: Amount, answers: int) -> Amount:
    """What a false dispute pays the respondent for the ``answers`` rounds it answered."""
    return dispute_cost * answers


def stake_requirements(
    prices: Sequence[Amount],
    fees: Sequence[Amount],
    costs: Sequence[Amount],
    misuse_values: Sequence[Amount],
    audit_probability: Amount,
    dispute_cost: Amount,
    steps: int,
    vendor_stake: Amount,
    developer_bond: Amount,
    owner_bond: Amount,
) -> tuple[Requirement, ...]:
    """The minimum stakes and bonds of a job, as conditions checked in this order.

    With P the sum of the data prices, Fsum the sum of the fees, G the dispute cost, R the
    bisection bound, q the audit probability, and for each vendor j its fee Fj and cost Cj:

    * ``Bv >= P`` — a vendor convicted of a false input complaint pays every data owner its
      price (else a vendor and developer could collude: complain, get the price back, and
      train off-chain);
    * ``q * (Bv + Fj) >= Cj + W`` — skipping the computation does not pay, even together
      with misuse: with probability q the developer audits, disputes and wins the stake,
      and the fee is lost;
    * ``q * Bv >= W`` — misusing the data while the job runs does not pay;
    * ``q * (Bv + Fj - G*(R+1)) >= P + Fsum`` — an honest developer facing a lazy vendor
      is not worse off in expectation: the stake it wins when auditing covers what it pays;
    * ``q * (Bv + Fj) >= q * (P + Fsum) + W`` — a misuse conviction pays every owner W/q
      and still leaves the developer whole (W the sum of the declared misuse values);
    * ``Ba >= G*R`` — a developer convicted of a false dispute covers the costs of the
      respondent's answers;
    * ``Bd >= G + P`` — a data owner convicted of defective inputs covers the complaint's
      cost and pays the other owners, whose data was released, their prices;
    * ``Bd >= G + P + Fsum - Csum`` (Csum the sum of the vendors' costs) — the bond also
      outweighs the vendors' margins: else the owner, the developer and one vendor could
      fake a defective delivery, end the job, and train off-chain themselves, cutting the
      other vendors out of their fees (decision 0012).
    """
    price_total = total(prices)
    fee_total = total(fees)
    requirements = [
        Requirement(Rejection.STAKE_BELOW_MINIMUM, "stake covers the data prices",
                    vendor_stake, price_total),
    ]
    misuse_total = total(misuse_values)
    requirements.append(Requirement(Rejection.STAKE_BELOW_MINIMUM, "misuse does not pay",
                                    audit_probability * vendor_stake, misuse_total))
    dispute_total = dispute_compensation(dispute_cost, bisection_rounds(steps))
    for fee, cost in zip(fees, costs):
        requirements.append(Requirement(Rejection.STAKE_BELOW_MINIMUM,
                                        "skipping the computation does not pay",
                                        audit_probability * (vendor_stake + fee), cost + misuse_total))
        requirements.append(Requirement(Rejection.STAKE_BELOW_MINIMUM,
                                        "an audited developer is made whole",
                                        audit_probability * (vendor_stake + fee - dispute_total),
                                        price_total + fee_total))
        requirements.append(Requirement(Rejection.STAKE_BELOW_MINIMUM,
                                        "a misuse conviction makes owners and developer whole",
                                        audit_probability * (vendor_stake + fee),
                                        audit_probability * (price_total + fee_total) + misuse_total))
    requirements.append(Requirement(Rejection.BOND_BELOW_MINIMUM,
                                    "developer bond covers a dispute",
                                    developer_bond, answer_costs(dispute_cost, bisection_rounds(steps))))
    requirements.append(Requirement(Rejection.BOND_BELOW_MINIMUM,
                                    "owner bond covers a complaint and the other prices",
                                    owner_bond, dispute_cost + price_total))
    requirements.append(Requirement(Rejection.BOND_BELOW_MINIMUM,
                                    "owner bond outweighs the vendors' margins",
                                    owner_bond, dispute_cost + price_total + fee_total - total(costs)))
    return tuple(requirements)


def minimum_stakes(
    prices: Sequence[Amount],
    fees: Sequence[Amount],
    costs: Sequence[Amount],
    misuse_values: Sequence[Amount],
    audit_probability: Amount,
    dispute_cost: Amount,
    steps: int,
) -> tuple[Amount, Amount, Amount]:
    """The least whole-token ``(vendor_stake, developer_bond, owner_bond)`` meeting every
    condition of :func:`stake_requirements`, for concrete amounts (int or Fraction).

    Each condition bounds one stake or bond from below, so the least value is the largest
    of those bounds, rounded up to a whole token.
    """
    price_sum, fee_sum, misuse_sum = total(prices), total(fees), total(misuse_values)
    dispute_total = dispute_compensation(dispute_cost, bisection_rounds(steps))
    developer_bond = answer_costs(dispute_cost, bisection_rounds(steps))
    vendor_bounds = [price_sum, misuse_sum / audit_probability]
    for fee, cost in zip(fees, costs):
        vendor_bounds.append((cost + misuse_sum) / audit_probability - fee)
        vendor_bounds.append((price_sum + fee_sum) / audit_probability - fee + dispute_total)
        vendor_bounds.append(price_sum + fee_sum + misuse_sum / audit_probability - fee)
    vendor_stake = -(-max(vendor_bounds) // 1)  # ceiling, for int and Fraction alike
    owner_bond = dispute_cost + price_sum + max(0, fee_sum - total(costs))
    return int(vendor_stake), developer_bond, -(-owner_bond // 1)
