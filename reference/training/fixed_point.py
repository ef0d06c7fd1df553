"""Fixed-point integer arithmetic used by training.

Format
------
A real number ``x`` is stored as the signed 64-bit integer ``round(x * 2**16)``
("Q47.16": 16 fraction bits, resolution 2**-16 ≈ 1.5e-5). Every operation below is written
with integer additions, multiplications, arithmetic right shifts and floor divisions only, so
results are bit-identical on every machine and every numpy version (integer arithmetic has no
rounding modes, no fused operations and no summation-order effects).

Rounding is always *round half up* (towards +infinity on an exact tie):
``round_shift(v, k) = floor((v + 2**(k-1)) / 2**k)`` and
``round_div(n, d) = floor((2*n + d) / (2*d))`` for ``d > 0``.

Sigmoid
-------
``sigmoid_fixed`` is piecewise-linear interpolation of a table of 65 knots at
``z = -8, -7.75, …, +8`` (spacing ``h = 1/4``), each knot ``round(2**16 * sigmoid(z))``,
saturating to the end knots outside ``[-8, 8]``. The table is written out below as integers
(it is part of the format; a test recomputes it from ``math.exp``). Interpolation between
knots ``i`` and ``i+1`` is ``table[i] + round_shift((table[i+1] - table[i]) * offset, 14)``
with ``offset`` the input's distance above knot ``i`` in units of 2**-16.

Error bound against the exact sigmoid, for every Q16 input:
linear interpolation error ≤ h²/8 · max|sigmoid''| = (1/16)/8 · 1/(6√3) ≈ 7.52e-4, plus
2**-17 for the rounded knots and 2**-17 for the rounded interpolation, total
``SIGMOID_ERROR_BOUND ≈ 7.67e-4``; outside ``[-8, 8]`` the saturation error is at most
sigmoid(-8) + 2**-17 ≈ 3.5e-4, inside the same bound.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FRACTION_BITS = 16
SCALE = 1 << FRACTION_BITS  # the integer that represents 1.0

IntArray = npt.NDArray[np.int64]

SIGMOID_KNOT_SPACING_BITS = 14  # knots every 2**14 / 2**16 = 0.25
SIGMOID_INPUT_LIMIT = 8 * SCALE  # the table covers [-8, 8]; outside it saturates
SIGMOID_TABLE: tuple[int, ...] = (
    22, 28, 36, 47, 60, 77, 98, 126, 162, 208, 267, 342, 439, 562, 720, 922,
    1179, 1506, 1921, 2446, 3108, 3938, 4971, 6249, 7812, 9702, 11955, 14595, 17625, 21025,
    24743, 28693, 32768, 36843, 40793, 44511, 47911, 50941, 53581, 55834, 57724, 59287,
    60565, 61598, 62428, 63090, 63615, 64030, 64357, 64614, 64816, 64974, 65097, 65194,
    65269, 65328, 65374, 65410, 65438, 65459, 65476, 65489, 65500, 65508, 65514,
)  # fmt: skip
_SIGMOID_TABLE_ARRAY = np.array(SIGMOID_TABLE, dtype=np.int64)
_SIGMOID_SEGMENTS = len(SIGMOID_TABLE) - 1

_MAX_SIGMOID_SECOND_DERIVATIVE = 1.0 / (6.0 * math.sqrt(3.0))
SIGMOID_ERROR_BOUND = (0.25**2) / 8.0 * _MAX_SIGMOID_SECOND_DERIVATIVE + 2.0 / (2 * SCALE)


def round_shift(values: IntArray, bits: int) -> IntArray:
    """``values / 2**bits`` rounded half up, for int64 arrays (arithmetic shift is a floor)."""
    return (values + (1 << (bits - 1))) >> bits


def round_div(numerators: IntArray, denominator: int) -> IntArray:
    """``numerators / denominator`` rounded half up, for a positive integer denominator."""
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    return (2 * numerators + denominator) // (2 * denominator)


def round_div_int(numerator: int, denominator: int) -> int:
    """Python-int version of :func:`round_div` (exact for arbitrarily large integers)."""
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    return (2 * numerator + denominator) // (2 * denominator)


def to_fixed(value: float) -> int:
    """The Q16 integer nearest to ``value`` (ties up), computed exactly from the float."""
    numerator, denominator = float(value).as_integer_ratio()
    return round_div_int(numerator * SCALE, denominator)


def sigmoid_fixed(logits: IntArray) -> IntArray:
    """Table-interpolated sigmoid of Q16 logits; returns Q16 probabilities in [22, 65514]."""
    logits = np.asarray(logits, dtype=np.int64)
    clipped = np.clip(logits, -SIGMOID_INPUT_LIMIT, SIGMOID_INPUT_LIMIT)
    distance_from_left_end = clipped + SIGMOID_INPUT_LIMIT  # in [0, 16 * SCALE]
    segment = np.minimum(distance_from_left_end >> SIGMOID_KNOT_SPACING_BITS, _SIGMOID_SEGMENTS - 1)
    offset_in_segment = distance_from_left_end - (segment << SIGMOID_KNOT_SPACING_BITS)
    left_knot = _SIGMOID_TABLE_ARRAY[segment]
    right_knot = _SIGMOID_TABLE_ARRAY[segment + 1]
    probabilities: IntArray = left_knot + round_shift(
        (right_knot - left_knot) * offset_in_segment, SIGMOID_KNOT_SPACING_BITS
    )
    return probabilities
