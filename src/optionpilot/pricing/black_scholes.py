"""Black-Scholes-Merton with continuous dividend yield, vectorized in numpy (the reference implementation)."""

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
    s, k, t, rr, qq, v, c = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (S, K, T, r, q, sigma)), np.asarray(is_call, dtype=bool)
    )
    sqrt_t = np.sqrt(np.maximum(t, 0.0))
    vol = v * sqrt_t
    df_r = np.exp(-rr * t)
    df_q = np.exp(-qq * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(s / k) + (rr - qq) * t) / vol + 0.5 * vol
    d2 = d1 - vol
    call = s * df_q * ndtr(d1) - k * df_r * ndtr(d2)
    put = k * df_r * ndtr(-d2) - s * df_q * ndtr(-d1)
    price = np.where(c, call, put)
    # At expiry or zero vol the price is the discounted intrinsic value of the forward.
    fwd_intrinsic = np.where(c, np.maximum(s * df_q - k * df_r, 0.0), np.maximum(k * df_r - s * df_q, 0.0))
    out = np.where(vol > 0, price, fwd_intrinsic)
    return np.asarray(out, dtype=np.float64)


def bs_greeks(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> Greeks:
    s, k, t, rr, qq, v, c = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (S, K, T, r, q, sigma)), np.asarray(is_call, dtype=bool)
    )
    sqrt_t = np.sqrt(np.maximum(t, 0.0))
    vol = v * sqrt_t
    df_r = np.exp(-rr * t)
    df_q = np.exp(-qq * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(s / k) + (rr - qq) * t) / vol + 0.5 * vol
        d2 = d1 - vol
        pdf1 = _pdf(d1)
        gamma = df_q * pdf1 / (s * vol)
    nd1, nd2 = ndtr(d1), ndtr(d2)
    call = s * df_q * nd1 - k * df_r * nd2
    put = call - s * df_q + k * df_r
    price = np.where(c, call, put)
    delta = np.where(c, df_q * nd1, df_q * (nd1 - 1.0))
    vega = s * df_q * pdf1 * sqrt_t
    with np.errstate(divide="ignore", invalid="ignore"):
        common = -s * df_q * pdf1 * v / (2.0 * sqrt_t)
    theta_call = common - rr * k * df_r * nd2 + qq * s * df_q * nd1
    theta_put = common + rr * k * df_r * (1.0 - nd2) - qq * s * df_q * (1.0 - nd1)
    theta = np.where(c, theta_call, theta_put)
    rho = np.where(c, k * t * df_r * nd2, -k * t * df_r * (1.0 - nd2))
    live = vol > 0
    itm = np.where(c, s * df_q > k * df_r, s * df_q < k * df_r)
    zero = np.zeros_like(s)
    return Greeks(
        price=np.where(live, price, bs_price(s, k, t, rr, qq, v, c)),
        delta=np.where(live, delta, np.where(itm, np.where(c, df_q, -df_q), zero)),
        gamma=np.where(live, gamma, zero),
        vega=np.where(live, vega, zero),
        theta=np.where(live, theta, zero),
        rho=np.where(live, rho, zero),
    )
