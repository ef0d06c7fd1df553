"""The field, the fixed-point encoding and Shamir sharing (MPyC's ``thresha``) of the
secret-shared training.

Values are MPyC secure fixed-point numbers of ``BIT_LENGTH`` bits with ``FRACTION_BITS``
fraction bits — the same Q16 grid as plaintext training — over the prime field MPyC itself
picks for them (``find_prime_root(l + f + k + 2)`` with security parameter ``k``). A real
``x`` is the field element ``round(x * 2**16) mod p``. Dealers (data owners, the developer)
split with :func:`mpyc.thresha.random_split`, the developer recombines with
:func:`mpyc.thresha.recombine`; nothing here implements sharing itself.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from mpyc import finfields, thresha

BIT_LENGTH = 32
FRACTION_BITS = 16
SECURITY_PARAMETER = 30  # MPyC's default statistical security (leak probability 2**-30)


@functools.cache
def field() -> Any:
    """The prime field of MPyC's ``SecFxp(32, 16)`` at the default security parameter."""
    return finfields.GF(finfields.find_prime_root(BIT_LENGTH + FRACTION_BITS
                                                  + SECURITY_PARAMETER + 2, n=2))


def modulus() -> int:
    return int(field().modulus)


def encode(fixed: int) -> int:
    """A Q16 integer as a field value."""
    return fixed % modulus()


def decode(value: int) -> int:
    """A field value back to the signed Q16 integer (the symmetric representative)."""
    p = modulus()
    value %= p
    return value - p if value > p // 2 else value


def deal(secrets_q16: Sequence[int], threshold: int, parties: int) -> list[list[int]]:
    """Shamir shares (degree ``threshold``) of each value, one list per party (party i at
    x = i + 1), by MPyC's ``thresha.random_split`` (coins from :mod:`secrets`)."""
    gf = field()
    shares = thresha.random_split(gf, [gf(encode(value)) for value in secrets_q16],
                                  threshold, parties)
    return [[int(share) for share in row] for row in shares]


def recombine(points: Mapping[int, Sequence[int]]) -> list[int]:
    """The Q16 values from shares ``{party index: shares}`` (any threshold + 1 parties)."""
    gf = field()
    combined = thresha.recombine(gf, [(index + 1, [gf(v) for v in values])
                                      for index, values in sorted(points.items())])
    return [decode(int(value)) for value in combined]


def lies_on_degree(points: dict[int, int], degree: int) -> bool:
    """Whether the points ``{party index: value}`` (at x = index + 1) lie on one polynomial
    of degree at most ``degree`` — interpolate the first ``degree + 1``, evaluate the rest."""
    gf = field()
    items = sorted(points.items())
    if len(items) <= degree + 1:
        return True
    base, rest = items[:degree + 1], items[degree + 1:]
    predicted = thresha.recombine(gf, [(index + 1, [gf(value)]) for index, value in base],
                                  [index + 1 for index, _ in rest])
    return all(int(predicted[position][0]) % modulus() == value % modulus()
               for position, (_, value) in enumerate(rest))


def odd_one_out(points: dict[int, int], degree: int) -> int | None:
    """The single party whose point is off the polynomial the others agree on, when
    exactly one such party exists (needs at least ``degree + 3`` points to be unique)."""
    if lies_on_degree(points, degree):
        return None
    suspects = [index for index in points
                if lies_on_degree({k: v for k, v in points.items() if k != index}, degree)]
    return suspects[0] if len(suspects) == 1 else None


def digest_values(tag: bytes, values: Sequence[int]) -> bytes:
    """SHA-256 over ``tag`` and each field value as 16 little-endian bytes."""
    width = (modulus().bit_length() + 7) // 8
    h = hashlib.sha256(tag)
    h.update(len(values).to_bytes(8, "little"))
    for value in values:
        h.update((value % modulus()).to_bytes(width, "little"))
    return h.digest()
