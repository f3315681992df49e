"""Compiled (numba) scalar kernels and array loops for Black-Scholes-Merton prices, Greeks and implied vol.

The plain-numpy `black_scholes` module is the reference these are tested against. Reason codes are the
`IVReason` values of `implied_vol`; they are repeated here as ints because numba cannot see the enum.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

OK = 0
NO_PRICE = 1
BAD_INPUT = 2
EXPIRED = 3
BELOW_INTRINSIC = 4
AT_INTRINSIC = 5
ABOVE_UPPER = 6
NOT_CONVERGED = 7


@nb.njit(cache=True, inline="always")
def ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x * _SQRT1_2)


@nb.njit(cache=True, inline="always")
def npdf(x: float) -> float:
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


@nb.njit(cache=True, inline="always")
def ncdf_e(x: float, e: float) -> float:
    """N(x) given e = exp(-x^2/2), so one exponential serves the density and both CDFs of an option.

    Cephes' rational approximations of erf and erfc (relative error about 1e-15).
    """
    u = abs(x) * _SQRT1_2
    if u < 1.0:
        z = u * u
        num = (
            ((9.60497373987051638749e0 * z + 9.00260197203842689217e1) * z + 2.23200534594684319226e3) * z
            + 7.00332514112805075473e3
        ) * z + 5.55923013010394962768e4
        den = (
            (((z + 3.35617141647503099647e1) * z + 5.21357949780152679795e2) * z + 4.59432382970980127987e3)
            * z
            + 2.26290000613890934246e4
        ) * z + 4.92673942608635921086e4
        half_erf = 0.5 * u * num / den
        return 0.5 + half_erf if x > 0.0 else 0.5 - half_erf
    if u < 8.0:
        num = (
            (
                (
                    (
                        (
                            (
                                (2.46196981473530512524e-10 * u + 5.64189564831068821977e-1) * u
                                + 7.46321056442269912687e0
                            )
                            * u
                            + 4.86371970985681366614e1
                        )
                        * u
                        + 1.96520832956077098242e2
                    )
                    * u
                    + 5.26445194995477358631e2
                )
                * u
                + 9.34528527171957607540e2
            )
            * u
            + 1.02755188689515710272e3
        ) * u + 5.57535335369399327526e2
        den = (
            (
                (
                    (
                        (
                            ((u + 1.32281951154744992508e1) * u + 8.67072140885989742329e1) * u
                            + 3.54937778887819891062e2
                        )
                        * u
                        + 9.75708501743205489753e2
                    )
                    * u
                    + 1.82390916687909736289e3
                )
                * u
                + 2.24633760818710981792e3
            )
            * u
            + 1.65666309194161350182e3
        ) * u + 5.57535340817727675546e2
    else:
        num = (
            (
                ((5.64189583547755073984e-1 * u + 1.27536670759978104416e0) * u + 5.01905042251180477414e0)
                * u
                + 6.16021097993053585195e0
            )
            * u
            + 7.40974269950448939160e0
        ) * u + 2.97886665372100240670e0
        den = (
            (
                (
                    ((u + 2.26052863220117276590e0) * u + 9.39603524938001434673e0) * u
                    + 1.20489539808096656605e1
                )
                * u
                + 1.70814450747565897222e1
            )
            * u
            + 9.60896809063285878198e0
        ) * u + 3.36907645100081516050e0
    half_erfc = 0.5 * e * num / den
    return 1.0 - half_erfc if x > 0.0 else half_erfc


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
    pdf1 = _INV_SQRT_2PI * e1
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
    slope = ex2 * _INV_SQRT_2PI * e1
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
            s = max(s, -2.0 * _ninv_tail(tail))
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


@nb.njit(cache=True, inline="always")
def _ninv_tail(p: float) -> float:
    """A rough inverse of the normal CDF for 0 < p <= 0.5 (Abramowitz-Stegun 26.2.23), only a start."""
    t = math.sqrt(-2.0 * math.log(p))
    return -(
        t
        - (2.515517 + 0.802853 * t + 0.010328 * t * t)
        / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t**3)
    )


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
