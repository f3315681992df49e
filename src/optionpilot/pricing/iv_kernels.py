"""Implied volatility in compiled (numba) kernels: one option, and serial and parallel array loops.

Reason codes are the `IVReason` values of `implied_vol`; they are repeated here as ints because numba
cannot see the enum.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from optionpilot.pricing.normal import INV_SQRT_2PI, ncdf_e, ninv_tail

OK = 0
NO_PRICE = 1
BAD_INPUT = 2
EXPIRED = 3
BELOW_INTRINSIC = 4
AT_INTRINSIC = 5
ABOVE_UPPER = 6
NOT_CONVERGED = 7

# --- implied volatility -------------------------------------------------------------------------------
# Work in Black's normalised form: x = ln(F/K) <= 0 (an out-of-the-money call, by put-call symmetry),
# beta = undiscounted out-of-the-money price / sqrt(F K), s = sigma sqrt(T). b(s) rises from 0 to e^(x/2)
# and has its inflection at s_c = sqrt(2|x|): below it we run Halley on ln b (well behaved for tiny
# prices), above it Halley on b itself; a bracket with bisection keeps every step safe.


@nb.njit(cache=True, inline="always")
def _norm_black(x: float, s: float, ex2: float) -> tuple[float, float]:
    """b(x, s) and its slope db/ds, with ex2 = e^(x/2); one exponential per call."""
    d1 = x / s + 0.5 * s
    e1 = math.exp(-0.5 * d1 * d1)
    slope = ex2 * INV_SQRT_2PI * e1
    if x == 0.0:
        return 1.0 - 2.0 * ncdf_e(-d1, e1), slope  # ATM: avoid the difference of two halves
    d2 = d1 - s
    e2 = e1 * ex2 * ex2 if d1 * d1 < 1400.0 else math.exp(-0.5 * d2 * d2)
    return ex2 * ncdf_e(d1, e1) - ncdf_e(d2, e2) / ex2, slope


@nb.njit(cache=True)
def norm_implied_s(beta: float, x: float, max_iter: int, tol: float) -> tuple[float, int]:
    """The s = sigma sqrt(T) with b(x, s) = beta, for x <= 0 and 0 < beta < e^(x/2)."""
    ex2 = math.exp(0.5 * x)
    s_c = math.sqrt(-2.0 * x)
    lo = 0.0
    hi = math.inf
    s = s_c if s_c > 0.0 else 0.5
    b_c, _ = _norm_black(x, s, ex2)
    use_log = beta < b_c
    if not use_log and x == 0.0:
        # ATM: b = erf(s / (2 sqrt 2)), a near-exact start from the small-s expansion.
        s = math.sqrt(2.0 * math.pi) * beta
    elif not use_log and beta > 0.5 * ex2:
        # Deep in the upper region: b ~ e^(x/2) (1 - 2 N(-s/2)) once s >> |x|; invert that as a start.
        tail = 0.5 * (1.0 - beta / ex2)
        if tail > 0.0:
            s = max(s, -2.0 * ninv_tail(tail))
    ln_beta = math.log(beta)
    for it in range(max_iter):
        b, bp = _norm_black(x, s, ex2)
        # b'' = b' (x^2/s^3 - s/4)
        bpp_over_bp = x * x / (s * s * s) - 0.25 * s
        if b < beta:
            lo = s
        else:
            hi = s
        if use_log:
            if b <= 0.0 or bp <= 0.0:
                f = -math.inf
                step = math.nan
            else:
                f = math.log(b) - ln_beta
                g = bp / b
                gp = g * bpp_over_bp - g * g
                step = -f / g
                denom = 1.0 + 0.5 * step * gp / g
                if denom > 0.0:
                    step = step / denom
        else:
            f = b - beta
            if bp <= 0.0:
                step = math.nan
            else:
                step = -f / bp
                denom = 1.0 + 0.5 * step * bpp_over_bp
                if denom > 0.0:
                    step = step / denom
        if f == 0.0:
            return s, it + 1
        new = s + step
        if not (new > lo and new < hi):
            new = 0.5 * (lo + hi) if hi < math.inf else 2.0 * s
        if abs(new - s) <= tol * new:
            return new, it + 1
        s = new
    return s, -1


@nb.njit(cache=True)
def implied_vol_one(
    price: float, s: float, k: float, t: float, r: float, q: float, c: bool, max_iter: int, tol: float
) -> tuple[float, int]:
    nan = math.nan
    if not (
        s > 0.0
        and k > 0.0
        and not math.isnan(r)
        and not math.isnan(q)
        and not math.isnan(t)
        and s < math.inf
        and k < math.inf
    ):
        return nan, BAD_INPUT
    if not (price > 0.0) or price == math.inf:
        return nan, NO_PRICE
    if t <= 0.0:
        return nan, EXPIRED
    df_r = math.exp(-r * t)
    fwd = s * math.exp((r - q) * t)
    p = price / df_r
    intrinsic = max(fwd - k, 0.0) if c else max(k - fwd, 0.0)
    upper = fwd if c else k
    if p >= upper:
        return nan, ABOVE_UPPER
    # out-of-the-money equivalent, by put-call parity on the forward
    otm = p - intrinsic
    if otm <= 4e-16 * upper:  # within rounding of intrinsic: no time value to invert
        return nan, AT_INTRINSIC if otm > -4e-16 * upper else BELOW_INTRINSIC
    x = -abs(math.log(fwd / k))
    beta = otm / math.sqrt(fwd * k)
    if not beta < math.exp(0.5 * x):
        return nan, ABOVE_UPPER
    sig, iters = norm_implied_s(beta, x, max_iter, tol)
    if iters < 0:
        return nan, NOT_CONVERGED
    return sig / math.sqrt(t), OK


@nb.njit(cache=True)
def iv_serial(
    price: np.ndarray,
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    c: np.ndarray,
    max_iter: int,
    tol: float,
    out: np.ndarray,
    why: np.ndarray,
) -> None:
    for i in range(s.shape[0]):
        out[i], why[i] = implied_vol_one(price[i], s[i], k[i], t[i], r[i], q[i], c[i], max_iter, tol)


@nb.njit(cache=True, parallel=True)
def iv_parallel(
    price: np.ndarray,
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    c: np.ndarray,
    max_iter: int,
    tol: float,
    out: np.ndarray,
    why: np.ndarray,
) -> None:
    for i in nb.prange(s.shape[0]):
        out[i], why[i] = implied_vol_one(price[i], s[i], k[i], t[i], r[i], q[i], c[i], max_iter, tol)
