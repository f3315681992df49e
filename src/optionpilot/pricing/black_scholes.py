"""Black-Scholes-Merton with continuous dividend yield, vectorized in numpy (the reference implementation).

`optionpilot.pricing.bs_price` and `bs_greeks` are the compiled versions, tested against these.
A NaN or negative volatility gives NaN, never a number.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

F64 = NDArray[np.float64]
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _pdf(x: F64) -> F64:
    return np.asarray(_INV_SQRT_2PI * np.exp(-0.5 * x * x), dtype=np.float64)


class Greeks(NamedTuple):
    price: F64
    delta: F64
    gamma: F64
    vega: F64  # per 1.00 of volatility
    theta: F64  # per year
    rho: F64  # per 1.00 of rate


def bs_price(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> F64:
    return bs_greeks(S, K, T, r, q, sigma, is_call).price


def bs_greeks(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> Greeks:
    s, k, t, rr, qq, v, c = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (S, K, T, r, q, sigma)), np.asarray(is_call, dtype=bool)
    )
    sign = np.where(c, 1.0, -1.0)
    sqrt_t = np.sqrt(np.maximum(t, 0.0))
    vol = v * sqrt_t
    df_r = np.exp(-rr * t)
    df_q = np.exp(-qq * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(s / k) + (rr - qq) * t) / vol + 0.5 * vol
        d2 = d1 - vol
        pdf1 = _pdf(d1)
        gamma = df_q * pdf1 / (s * vol)
        # Each side from its own CDFs (no put-call parity), so deep out-of-the-money values keep their digits.
        n1, n2 = ndtr(sign * d1), ndtr(sign * d2)
        price = sign * (s * df_q * n1 - k * df_r * n2)
        delta = sign * df_q * n1
        vega = s * df_q * pdf1 * sqrt_t
        theta = -s * df_q * pdf1 * v / (2.0 * sqrt_t) - sign * rr * k * df_r * n2 + sign * qq * s * df_q * n1
        rho = sign * k * t * df_r * n2
    live = vol > 0
    # At expiry or zero vol the value is the discounted intrinsic value of the forward.
    fwd = sign * (s * df_q - k * df_r)
    dead = (vol == 0) & ~np.isnan(fwd)
    zero = np.zeros_like(s)
    nan = np.full_like(s, np.nan)

    def pick(live_value: F64, dead_value: F64) -> F64:
        return np.asarray(np.where(live, live_value, np.where(dead, dead_value, nan)), dtype=np.float64)

    return Greeks(
        price=pick(price, np.maximum(fwd, 0.0)),
        delta=pick(delta, np.where(fwd > 0, sign * df_q, zero)),
        gamma=pick(gamma, zero),
        vega=pick(vega, zero),
        theta=pick(theta, zero),
        rho=pick(rho, zero),
    )
