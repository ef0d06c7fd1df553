"""Fixed-point format: rounding helpers, the sigmoid table and its documented error bound."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np

from reference.training.fixed_point import (
    SCALE,
    SIGMOID_ERROR_BOUND,
    SIGMOID_TABLE,
    round_div,
    round_shift,
    sigmoid_fixed,
    to_fixed,
)


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def test_sigmoid_table_is_rounded_sigmoid_at_quarter_knots() -> None:
    assert len(SIGMOID_TABLE) == 65
    for index, knot_value in enumerate(SIGMOID_TABLE):
        scaled = SCALE / (1.0 + math.exp(-(-8.0 + index / 4)))
        # float64 is accurate to ~1e-11 here; no knot is anywhere near a rounding tie.
        assert abs(scaled - math.floor(scaled) - 0.5) > 1e-6
        assert knot_value == math.floor(scaled + 0.5)


def test_sigmoid_error_bound_holds_for_every_q16_input_in_minus_ten_to_ten() -> None:
    logits = np.arange(-10 * SCALE, 10 * SCALE + 1, dtype=np.int64)
    approximation = sigmoid_fixed(logits).astype(np.float64) / SCALE
    exact = 1.0 / (1.0 + np.exp(-(logits.astype(np.float64) / SCALE)))
    worst_error = float(np.max(np.abs(approximation - exact)))
    assert worst_error <= SIGMOID_ERROR_BOUND
    # The bound is tight (the interpolation error dominates), not a loose guess.
    assert worst_error > 0.95 * SIGMOID_ERROR_BOUND


def test_sigmoid_is_monotone_symmetric_and_saturates() -> None:
    logits = np.arange(-9 * SCALE, 9 * SCALE + 1, 37, dtype=np.int64)
    values = sigmoid_fixed(logits)
    assert np.all(np.diff(values) >= 0)
    assert np.all(np.abs(values + sigmoid_fixed(-logits) - SCALE) <= 1)
    extremes = np.array([-(2**40), -9 * SCALE, 9 * SCALE, 2**40], dtype=np.int64)
    assert sigmoid_fixed(extremes).tolist() == [
        SIGMOID_TABLE[0],
        SIGMOID_TABLE[0],
        SIGMOID_TABLE[-1],
        SIGMOID_TABLE[-1],
    ]
    assert int(sigmoid_fixed(np.array([0], dtype=np.int64))[0]) == SCALE // 2


def test_round_shift_and_round_div_round_half_up_exactly() -> None:
    generator = random.Random(11)
    numerators = [generator.randrange(-(2**50), 2**50) for _ in range(2000)] + [
        -3,
        -2,
        -1,
        0,
        1,
        2,
        3,
        -(2**15),
        2**15,
    ]
    array = np.array(numerators, dtype=np.int64)
    shifted = round_shift(array, 16)
    for numerator, result in zip(numerators, shifted.tolist(), strict=True):
        assert result == round_half_up(Fraction(numerator, 2**16))
    for denominator in (1, 2, 3, 7, 32 * SCALE, 455 * SCALE):
        divided = round_div(array, denominator)
        for numerator, result in zip(numerators, divided.tolist(), strict=True):
            assert result == round_half_up(Fraction(numerator, denominator))


def test_to_fixed_is_exact_round_half_up() -> None:
    assert to_fixed(0.25) == SCALE // 4
    assert to_fixed(0.1) == 6554  # 6553.6
    assert to_fixed(-0.1) == -6554  # -6553.6
    assert to_fixed(-0.5 / SCALE) == 0  # a tie rounds up
    assert to_fixed(0.5 / SCALE) == 1
