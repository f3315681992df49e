"""Compiled (numba) scalar kernels and array loops for Black-Scholes-Merton prices and Greeks.

The plain-numpy `black_scholes` module is the reference these are tested against; implied volatility
is in `iv_kernels`, the normal distribution in `normal`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from optionpilot.pricing.normal import INV_SQRT_2PI, ncdf, ncdf_e


@nb.njit(cache=True)
def greeks_one(
    s: float, k: float, t: float, r: float, q: float, v: float, c: bool
) -> tuple[float, float, float, float, float, float]:
    """Price, delta, gamma, vega (per 1.00 vol), theta (per year), rho (per 1.00 rate) of one option."""
    nan = math.nan
    sqrt_t = math.sqrt(t) if t > 0.0 else 0.0
    vol = v * sqrt_t
    df_r = math.exp(-r * t)
    df_q = math.exp(-q * t)
    sign = 1.0 if c else -1.0
    if not vol > 0.0:
        if (
            vol != 0.0 or math.isnan(s) or math.isnan(k)
        ):  # NaN or negative vol: no number rather than a wrong one
            return nan, nan, nan, nan, nan, nan
        # At expiry or zero vol the value is the discounted intrinsic value of the forward.
        fwd = sign * (s * df_q - k * df_r)
        if math.isnan(fwd):
            return nan, nan, nan, nan, nan, nan
        if fwd > 0.0:
            return fwd, sign * df_q, 0.0, 0.0, 0.0, 0.0
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    d1 = (math.log(s / k) + (r - q) * t) / vol + 0.5 * vol
    d2 = d1 - vol
    sq = s * df_q
    kr = k * df_r
    e1 = math.exp(-0.5 * d1 * d1)
    # K e^(-rT) phi(d2) = S e^(-qT) phi(d1); fall back when e1 underflows and the ratio cannot carry it
    e2 = e1 * (sq / kr) if d1 * d1 < 1400.0 else math.exp(-0.5 * d2 * d2)
    n1 = ncdf_e(sign * d1, e1)
    n2 = ncdf_e(sign * d2, e2)
    pdf1 = INV_SQRT_2PI * e1
    price = sign * (sq * n1 - kr * n2)
    delta = sign * df_q * n1
    gamma = df_q * pdf1 / (s * vol)
    vega = sq * pdf1 * sqrt_t
    theta = -sq * pdf1 * v / (2.0 * sqrt_t) - sign * r * kr * n2 + sign * q * sq * n1
    rho = sign * kr * t * n2
    return price, delta, gamma, vega, theta, rho


@nb.njit(cache=True)
def price_one(s: float, k: float, t: float, r: float, q: float, v: float, c: bool) -> float:
    nan = math.nan
    sqrt_t = math.sqrt(t) if t > 0.0 else 0.0
    vol = v * sqrt_t
    df_r = math.exp(-r * t)
    df_q = math.exp(-q * t)
    sign = 1.0 if c else -1.0
    if not vol > 0.0:
        if vol != 0.0:
            return nan
        fwd = sign * (s * df_q - k * df_r)
        if math.isnan(fwd):
            return nan
        return fwd if fwd > 0.0 else 0.0
    d1 = (math.log(s / k) + (r - q) * t) / vol + 0.5 * vol
    d2 = d1 - vol
    return sign * (s * df_q * ncdf(sign * d1) - k * df_r * ncdf(sign * d2))


# Serial and parallel loops are separate functions: numba's cache is keyed by function, so one
# function compiled twice with different flags would load the wrong one.


@nb.njit(cache=True)
def price_serial(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    c: np.ndarray,
    out: np.ndarray,
) -> None:
    for i in range(s.shape[0]):
        out[i] = price_one(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@nb.njit(cache=True, parallel=True)
def price_parallel(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    c: np.ndarray,
    out: np.ndarray,
) -> None:
    for i in nb.prange(s.shape[0]):
        out[i] = price_one(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@nb.njit(cache=True)
def greeks_serial(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    c: np.ndarray,
    out: np.ndarray,
) -> None:
    for i in range(s.shape[0]):
        out[0, i], out[1, i], out[2, i], out[3, i], out[4, i], out[5, i] = greeks_one(
            s[i], k[i], t[i], r[i], q[i], v[i], c[i]
        )


@nb.njit(cache=True, parallel=True)
def greeks_parallel(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    c: np.ndarray,
    out: np.ndarray,
) -> None:
    for i in nb.prange(s.shape[0]):
        out[0, i], out[1, i], out[2, i], out[3, i], out[4, i], out[5, i] = greeks_one(
            s[i], k[i], t[i], r[i], q[i], v[i], c[i]
        )
