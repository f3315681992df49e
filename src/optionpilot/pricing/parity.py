"""Implied forward and dividend yield from put-call parity on one expiry of a chain."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from optionpilot.core.errors import DataError


class ImpliedForward(NamedTuple):
    forward: float
    dividend_yield: float  # continuous, from F = S e^((r - q) T)
    pairs_used: int


def implied_forward(
    strikes: ArrayLike,
    call_mid: ArrayLike,
    put_mid: ArrayLike,
    spot: float,
    T: float,
    r: float,
    *,
    nearest: int = 6,
) -> ImpliedForward:
    """C - P = e^(-rT) (F - K) at each strike quoted on both sides; the median F of the strikes nearest spot.

    Near-the-money pairs carry the least early-exercise premium and the tightest quotes, so they decide.
    """
    k = np.asarray(strikes, dtype=np.float64)
    c = np.asarray(call_mid, dtype=np.float64)
    p = np.asarray(put_mid, dtype=np.float64)
    if not (spot > 0 and T > 0 and math.isfinite(r)):
        raise DataError(f"implied forward needs spot > 0 and T > 0 (got spot={spot}, T={T}, r={r})")
    ok = np.isfinite(k) & np.isfinite(c) & np.isfinite(p) & (c > 0) & (p > 0) & (k > 0)
    if not ok.any():
        raise DataError("implied forward: no strike has both a call and a put quote")
    k, c, p = k[ok], c[ok], p[ok]
    order = np.argsort(np.abs(k - spot))[:nearest]
    forwards = k[order] + (c[order] - p[order]) * math.exp(r * T)
    fwd = float(np.median(forwards))
    if fwd <= 0:
        raise DataError(f"implied forward is not positive ({fwd}); the quotes are inconsistent")
    return ImpliedForward(fwd, r - math.log(fwd / spot) / T, int(order.size))
