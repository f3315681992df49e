"""American options: Bjerksund-Stensland (2002), and a Cox-Ross-Rubinstein tree to check it against."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from optionpilot.pricing.bivariate import bivariate_ncdf
from optionpilot.pricing.black_scholes import F64
from optionpilot.pricing.compiled import bs_price

_T1_FRACTION = 0.5 * (math.sqrt(5.0) - 1.0)  # the 2002 paper's split of the life into two flat boundaries


def _phi(S: F64, T: F64, gamma: F64 | float, H: F64, I_: F64, r: F64, b: F64, v: F64) -> F64:
    lam = (-r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v * v) * T
    vs = v * np.sqrt(T)
    d = -(np.log(S / H) + (b + (gamma - 0.5) * v * v) * T) / vs
    kappa = 2.0 * b / (v * v) + (2.0 * gamma - 1.0)
    out = np.exp(lam) * S**gamma * (ndtr(d) - (I_ / S) ** kappa * ndtr(d - 2.0 * np.log(I_ / S) / vs))
    return np.asarray(out, dtype=np.float64)


def _psi(
    S: F64, T: F64, gamma: F64 | float, H: F64, I2: F64, I1: F64, t1: F64, r: F64, b: F64, v: F64
) -> F64:
    drift = b + (gamma - 0.5) * v * v
    s1 = v * np.sqrt(t1)
    sT = v * np.sqrt(T)
    e1 = (np.log(S / I1) + drift * t1) / s1
    e2 = (np.log(I2 * I2 / (S * I1)) + drift * t1) / s1
    e3 = (np.log(S / I1) - drift * t1) / s1
    e4 = (np.log(I2 * I2 / (S * I1)) - drift * t1) / s1
    f1 = (np.log(S / H) + drift * T) / sT
    f2 = (np.log(I2 * I2 / (S * H)) + drift * T) / sT
    f3 = (np.log(I1 * I1 / (S * H)) + drift * T) / sT
    f4 = (np.log(S * I1 * I1 / (H * I2 * I2)) + drift * T) / sT
    rho = math.sqrt(_T1_FRACTION)
    lam = -r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v * v
    kappa = 2.0 * b / (v * v) + (2.0 * gamma - 1.0)
    out = (
        np.exp(lam * T)
        * S**gamma
        * (
            bivariate_ncdf(-e1, -f1, rho)
            - (I2 / S) ** kappa * bivariate_ncdf(-e2, -f2, rho)
            - (I1 / S) ** kappa * bivariate_ncdf(-e3, -f3, -rho)
            + (I1 / I2) ** kappa * bivariate_ncdf(-e4, -f4, -rho)
        )
    )
    return np.asarray(out, dtype=np.float64)


def _bs2002_call(S: F64, K: F64, T: F64, r: F64, b: F64, v: F64) -> F64:
    """American call with cost of carry b; only called where b < r and every input is valid."""
    t1 = _T1_FRACTION * T
    beta = (0.5 - b / (v * v)) + np.sqrt((b / (v * v) - 0.5) ** 2 + 2.0 * r / (v * v))
    b_inf = beta / (beta - 1.0) * K
    b_0 = np.maximum(K, r / (r - b) * K)
    scale = K * K / ((b_inf - b_0) * b_0)
    h1 = -(b * t1 + 2.0 * v * np.sqrt(t1)) * scale
    h2 = -(b * T + 2.0 * v * np.sqrt(T)) * scale
    I1 = b_0 + (b_inf - b_0) * (1.0 - np.exp(h1))
    I2 = b_0 + (b_inf - b_0) * (1.0 - np.exp(h2))
    a1 = (I1 - K) * I1 ** (-beta)
    a2 = (I2 - K) * I2 ** (-beta)
    Sx = np.minimum(S, I2)  # the formula is only evaluated below the boundary; above it we exercise
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = (
            a2 * Sx**beta
            - a2 * _phi(Sx, t1, beta, I2, I2, r, b, v)
            + _phi(Sx, t1, 1.0, I2, I2, r, b, v)
            - _phi(Sx, t1, 1.0, I1, I2, r, b, v)
            - K * _phi(Sx, t1, 0.0, I2, I2, r, b, v)
            + K * _phi(Sx, t1, 0.0, I1, I2, r, b, v)
            + a1 * _phi(Sx, t1, beta, I1, I2, r, b, v)
            - a1 * _psi(Sx, T, beta, I1, I2, I1, t1, r, b, v)
            + _psi(Sx, T, 1.0, I1, I2, I1, t1, r, b, v)
            - _psi(Sx, T, 1.0, K, I2, I1, t1, r, b, v)
            - K * _psi(Sx, T, 0.0, I1, I2, I1, t1, r, b, v)
            + K * _psi(Sx, T, 0.0, K, I2, I1, t1, r, b, v)
        )
    return np.asarray(np.where(S >= I2, S - K, value), dtype=np.float64)


def american_price(
    S: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> F64:
    """Bjerksund-Stensland (2002) American price; never below the European price or intrinsic value."""
    shape = np.broadcast_shapes(*(np.shape(x) for x in (S, K, T, r, q, sigma, is_call)))
    s, k, t, rr, qq, v, c = (
        np.asarray(np.broadcast_to(x, shape), dtype=np.float64).reshape(-1)
        for x in (S, K, T, r, q, sigma, is_call)
    )
    c = c.astype(bool)
    # A put is a call with spot and strike swapped, rate r - b and carry -b (the put-call transformation).
    b = rr - qq
    cs, ck, cr, cb = np.where(c, s, k), np.where(c, k, s), np.where(c, rr, rr - b), np.where(c, b, -b)
    european = bs_price(s, k, t, rr, qq, v, c)
    intrinsic = np.maximum(np.where(c, s - k, k - s), 0.0)
    live = (t > 0) & (v > 0) & (s > 0) & (k > 0) & (cb < cr) & (cr > 0)
    out = np.maximum(european, intrinsic)
    if live.any():
        am = _bs2002_call(cs[live], ck[live], t[live], cr[live], cb[live], v[live])
        out[live] = np.maximum(am, out[live])
    bad = np.isnan(european)
    out[bad] = np.nan
    return out.reshape(shape)


@nb.njit(cache=True)
def _crr_one(s: float, k: float, t: float, r: float, q: float, v: float, c: bool, steps: int) -> float:
    dt = t / steps
    u = math.exp(v * math.sqrt(dt))
    d = 1.0 / u
    disc = math.exp(-r * dt)
    p = (math.exp((r - q) * dt) - d) / (u - d)
    sign = 1.0 if c else -1.0
    values = np.empty(steps + 1)
    for i in range(steps + 1):
        values[i] = max(sign * (s * u ** (steps - 2 * i) - k), 0.0)
    for n in range(steps - 1, -1, -1):
        for i in range(n + 1):
            cont = disc * (p * values[i] + (1.0 - p) * values[i + 1])
            values[i] = max(cont, sign * (s * u ** (n - 2 * i) - k))
    return float(values[0])


@nb.njit(cache=True)
def _crr_loop(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    c: np.ndarray,
    steps: int,
    out: np.ndarray,
) -> None:
    for i in range(s.shape[0]):
        out[i] = _crr_one(s[i], k[i], t[i], r[i], q[i], v[i], c[i], steps)


def american_tree_price(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    steps: int = 2_000,
) -> F64:
    """Cox-Ross-Rubinstein binomial price with early exercise at every step: slow, the check on the above."""
    b = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (S, K, T, r, q, sigma)), np.asarray(is_call, bool)
    )
    flat = [np.ascontiguousarray(x).reshape(-1) for x in b]
    out = np.empty(flat[0].shape[0])
    s, k, t, rr, qq, v, c = flat
    _crr_loop(s, k, t, rr, qq, v, c, steps, out)
    return out.reshape(b[0].shape)
