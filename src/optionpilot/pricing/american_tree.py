"""Leisen-Reimer binomial tree with early exercise at every step: the slow reference for American prices.

Leisen-Reimer (1996) places the tree's mean on the strike with the Peizer-Pratt inversion, so its error
falls smoothly (no odd-even oscillation as in Cox-Ross-Rubinstein) and deep out-of-the-money values keep
their digits. It needs an odd number of steps; an even count is rounded up by one.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, inline="always")
def _peizer_pratt(z: float, n: int) -> float:
    """Peizer-Pratt method 2: the binomial probability matching N(z) on n steps."""
    x = z / (n + 1.0 / 3.0 + 0.1 / (n + 1.0))
    root = math.sqrt(0.25 - 0.25 * math.exp(-x * x * (n + 1.0 / 6.0)))
    return 0.5 + root if z >= 0.0 else 0.5 - root


@nb.njit(cache=True)
def intrinsic_one(s: float, k: float, c: bool) -> float:
    return max(s - k, 0.0) if c else max(k - s, 0.0)


@nb.njit(cache=True)
def lr_tree_one(s: float, k: float, t: float, r: float, q: float, v: float, c: bool, steps: int) -> float:
    """American price on a Leisen-Reimer tree; NaN for NaN or negative inputs."""
    if not (s >= 0.0 and k >= 0.0 and t >= 0.0 and v >= 0.0) or math.isnan(r) or math.isnan(q):
        return math.nan
    if t == 0.0 or s == 0.0 or k == 0.0:
        return intrinsic_one(s, k, c)
    n = steps if steps % 2 == 1 else steps + 1
    dt = t / n
    growth = math.exp((r - q) * dt)
    disc = math.exp(-r * dt)
    if v == 0.0:
        # A deterministic path: the tree has one branch, exercise on it at the best step.
        best = intrinsic_one(s, k, c)
        for i in range(1, n + 1):
            best = max(best, math.exp(-r * dt * i) * intrinsic_one(s * growth**i, k, c))
        return best
    vol = v * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q) * t) / vol + 0.5 * vol
    d2 = d1 - vol
    p = _peizer_pratt(d2, n)
    u = d = 0.0
    if 1e-6 < p < 1.0 - 1e-6:
        u = growth * _peizer_pratt(d1, n) / p
        d = (growth - p * u) / (1.0 - p)
    if not (0.0 < d < growth < u):
        # So far in or out of the money that the LR branches degenerate: a tree centred on the forward
        # (Jarrow-Rudd) keeps a valid probability whatever the drift and the volatility.
        step = v * math.sqrt(dt)
        u = growth * math.exp(step)
        d = growth * math.exp(-step)
        p = (growth - d) / (u - d)
    pu = disc * p
    pd = disc * (1.0 - p)
    sign = 1.0 if c else -1.0
    # Node j of step i holds s u^j d^(i-j); stepping back one level divides every price by d.
    prices = np.empty(n + 1)
    values = np.empty(n + 1)
    ratio = u / d
    prices[0] = s * d**n
    for j in range(1, n + 1):
        prices[j] = prices[j - 1] * ratio
    for j in range(n + 1):
        values[j] = max(sign * (prices[j] - k), 0.0)
    inv_d = 1.0 / d
    for i in range(n - 1, -1, -1):
        for j in range(i + 1):
            price = prices[j] * inv_d
            prices[j] = price
            cont = pu * values[j + 1] + pd * values[j]
            exercise = sign * (price - k)
            values[j] = cont if cont > exercise else exercise
    # Only a volatility far beyond any market's overflows the top node; say so with NaN, not inf.
    value = max(values[0], intrinsic_one(s, k, c))  # the root's price carries n roundings; s does not
    return float(value) if math.isfinite(value) else math.nan


@nb.njit(cache=True)
def tree_serial(
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
        out[i] = lr_tree_one(s[i], k[i], t[i], r[i], q[i], v[i], c[i], steps)


@nb.njit(cache=True, parallel=True)
def tree_parallel(
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
    for i in nb.prange(s.shape[0]):
        out[i] = lr_tree_one(s[i], k[i], t[i], r[i], q[i], v[i], c[i], steps)
