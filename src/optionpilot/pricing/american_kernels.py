"""Compiled kernels of the American price: Andersen-Lake-Offengelden (2016) on a QD+ (Li 2010) start.

Everything is a put: a call is the put with spot and strike, rate and dividend yield swapped
(McDonald-Schroder symmetry). The put's exercise boundary B(tau) solves a fixed-point integral equation;
we carry it on Chebyshev nodes in sqrt(tau) as H = ln(B / B(0+))^2 (smooth where B itself has an
infinite slope at expiry), start from the QD+ boundary, take one Jacobi-Newton step and a few plain
fixed-point steps, then integrate the early-exercise premium over the boundary.

Table arguments (`cheb`, Gauss-Legendre nodes and weights) are built once by `american.py`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from optionpilot.pricing.american_tree import lr_tree_one
from optionpilot.pricing.kernels import price_one
from optionpilot.pricing.normal import ncdf, npdf

_QD_TOL = 1e-9  # relative step at which the QD+ Halley iteration stops (it is only a starting guess)
_QD_MAX_ITER = 20


@nb.njit(cache=True, inline="always", error_model="numpy")
def _clenshaw(coef: np.ndarray, z: float) -> float:
    """The Chebyshev series sum(coef[k] T_k(z)) (first and last terms already halved)."""
    b1 = 0.0
    b2 = 0.0
    z2 = 2.0 * z
    for k in range(coef.shape[0] - 1, 0, -1):
        b1, b2 = z2 * b1 - b2 + coef[k], b1
    return float(z * b1 - b2 + coef[0])


@nb.njit(cache=True, error_model="numpy")
def _fit(cheb: np.ndarray, h: np.ndarray, coef: np.ndarray) -> None:
    for k in range(coef.shape[0]):
        acc = 0.0
        for i in range(h.shape[0]):
            acc += cheb[k, i] * h[i]
        coef[k] = acc


@nb.njit(cache=True, inline="always", error_model="numpy")
def _log_boundary(coef: np.ndarray, root_tau: float, root_t: float, log_xmax: float) -> float:
    """ln B at time to expiry tau, from the Chebyshev fit of H over z = 2 sqrt(tau / T) - 1."""
    z = min(max(2.0 * root_tau / root_t - 1.0, -1.0), 1.0)
    return log_xmax - math.sqrt(max(_clenshaw(coef, z), 0.0))


@nb.njit(cache=True, error_model="numpy")
def qd_plus_boundary(k: float, tau: float, r: float, q: float, v: float, xmax: float) -> float:
    """Li's QD+ approximation of the put's exercise boundary at time to expiry tau (r > 0)."""
    v2 = v * v
    sv = v * math.sqrt(tau)
    dr = math.exp(-r * tau)
    dq = math.exp(-q * tau)
    one_dr = -math.expm1(-r * tau)
    omega = 2.0 * (r - q) / v2
    root = math.sqrt((omega - 1.0) ** 2 + 8.0 * r / (v2 * one_dr))
    lam = 0.5 * (-(omega - 1.0) - root)
    lam_p = 2.0 * r / (v2 * one_dr * one_dr * root)
    den = 2.0 * lam + omega - 1.0
    alpha = 2.0 * dr * r / (v2 * den)
    beta = alpha * (1.0 / one_dr + lam_p / den) - lam
    a_rdr = 2.0 / (v2 * den)  # alpha / (r dr) without dividing by a small r
    x_min = 1e-12 * xmax
    x = xmax
    for _ in range(_QD_MAX_ITER):
        dp = (math.log(x * dq / (k * dr))) / sv + 0.5 * sv
        dm = dp - sv
        n_dp = ncdf(-dp)
        n_dm = ncdf(-dm)
        f_dp = npdf(dp)
        npv = dr * k * n_dm - x * dq * n_dp
        theta = r * k * dr * n_dm - q * x * dq * n_dp - v2 * x / (2.0 * sv) * dq * f_dp
        charm = -dq * (f_dp * ((r - q) / sv - dm / (2.0 * tau)) + q * n_dp)
        f = (1.0 - dq * n_dp) * x - beta * (k - x - npv) + a_rdr * theta
        fp = 1.0 - dq * n_dp + dq * f_dp / sv + beta * (1.0 - dq * n_dp) + a_rdr * charm
        gamma = f_dp * dq / (sv * x)
        colour = gamma * (q + (r - q) * dp / sv + (1.0 - dp * dm) / (2.0 * tau))
        fpp = dq * (f_dp / (x * sv) - f_dp * dp / (x * sv * sv)) + beta * gamma + a_rdr * colour
        if not (fp != 0.0 and math.isfinite(f)):
            break
        step = f / fp
        denom = 1.0 - 0.5 * step * fpp / fp
        if denom > 0.5:
            step = step / denom
        new = min(max(x - step, x_min), xmax)
        if abs(new - x) <= _QD_TOL * x:
            return new
        x = new
    return x


@nb.njit(cache=True, error_model="numpy")
def _fixed_point(
    k: float,
    r: float,
    q: float,
    v: float,
    tau: float,
    log_b: float,
    coef: np.ndarray,
    root_t: float,
    log_xmax: float,
    q_sin: np.ndarray,
    q_cos: np.ndarray,
    q_w: np.ndarray,
    use_a: bool,
) -> tuple[float, float, float]:
    """f(B) = K e^(-(r-q) tau) N / D at one node, and its slope in B (the integrals held fixed).

    The integrals over u in (0, tau) run on u = tau sin^2(theta): sqrt(u) (where the boundary is smooth)
    and sqrt(tau - u) (where the integrand has its kink) are then both smooth in theta.
    """
    root_tau = math.sqrt(tau)
    sv = v * root_tau
    b = math.exp(log_b)
    dp = (log_b - math.log(k) + (r - q) * tau) / sv + 0.5 * sv
    dm = dp - sv
    f_dp = npdf(dp)
    f_dm = npdf(dm)
    alpha = k * math.exp(-(r - q) * tau)
    ni = 0.0  # FP-B: the integrals of N(d-) e^(ru) and N(d+) e^(qu); FP-A adds the densities
    di = 0.0
    for j in range(q_w.shape[0]):
        sn = q_sin[j]
        cs = q_cos[j]
        u = tau * sn * sn
        svm = sv * cs
        lb = _log_boundary(coef, root_tau * sn, root_t, log_xmax)
        ep = (log_b - lb + (r - q) * (tau - u)) / svm + 0.5 * svm
        em = ep - svm
        jac = 2.0 * tau * sn * cs
        if use_a:
            dens = 2.0 * root_tau * sn / v  # du / (v sqrt(tau - u)), per unit theta
            ni += q_w[j] * math.exp(r * u) * dens * npdf(em)
            di += q_w[j] * math.exp(q * u) * (jac * ncdf(ep) + dens * npdf(ep))
        else:
            ni += q_w[j] * math.exp(r * u) * jac * ncdf(em)
            di += q_w[j] * math.exp(q * u) * jac * ncdf(ep)
    if use_a:
        num = f_dm / sv + r * ni
        den = f_dp / sv + ncdf(dp) + q * di
        d_num = -f_dm * dm / (b * sv * sv)
        d_den = -f_dp * dp / (b * sv * sv) + f_dp / (b * sv)
    else:
        num = ncdf(dm) + r * ni
        den = ncdf(dp) + q * di
        d_num = f_dm / (b * sv)
        d_den = f_dp / (b * sv)
    if not den > 0.0:  # the boundary is so far below the strike that N and D underflow: keep it
        return b, 0.0, b
    value = alpha * num / den
    slope = alpha * (d_num / den - d_den * num / (den * den))
    return value, slope, b


@nb.njit(cache=True, error_model="numpy")
def _deterministic_put(s: float, k: float, t: float, r: float, q: float) -> float:
    """Zero volatility: exercise at the best time of the one path (now, at expiry, or where it peaks)."""
    best = max(k - s, 0.0, k * math.exp(-r * t) - s * math.exp(-q * t))
    if r != q and r * q > 0.0:
        peak = math.log(r * k / (q * s)) / (r - q)
        if 0.0 < peak < t:
            best = max(best, k * math.exp(-r * peak) - s * math.exp(-q * peak))
    return best


@nb.njit(cache=True, error_model="numpy")
def alo_put(
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    cheb: np.ndarray,
    fp_quad: np.ndarray,
    px_quad: np.ndarray,
    fixed_point_steps: int,
    fallback_steps: int,
) -> float:
    """American put: the integral method where r > 0, European where early exercise never pays, the
    tree in the negative-rate double-boundary case. `*_quad` rows: sin(theta), cos(theta), weight."""
    if not (s >= 0.0 and k >= 0.0 and t >= 0.0 and v >= 0.0) or math.isnan(r) or math.isnan(q):
        return math.nan
    if t == 0.0 or s == 0.0 or k == 0.0:
        return max(k - s, 0.0)
    if v == 0.0:
        return _deterministic_put(s, k, t, r, q)
    european = price_one(s, k, t, r, q, v, False)
    if r <= 0.0:
        if q >= r and not (r == 0.0 and q < 0.0):
            return european  # receiving K sooner earns nothing and the stock pays no less than cash
        # A second, lower boundary appears (q < r <= 0): outside this method, so the tree answers.
        return lr_tree_one(s, k, t, r, q, v, False, fallback_steps)
    xmax = k * min(1.0, r / q) if q > 0.0 else k  # the boundary just before expiry
    log_xmax = math.log(xmax)
    root_t = math.sqrt(t)
    n = cheb.shape[0]  # node i sits at sqrt(tau) = sqrt(T) (1 + cos(i pi / (n - 1))) / 2; the last at 0
    h = np.zeros(n)
    coef = np.empty(n)
    taus = np.empty(n)
    for i in range(n):
        z = math.cos(i * math.pi / (n - 1))
        taus[i] = 0.25 * t * (1.0 + z) * (1.0 + z)
    for i in range(n - 1):
        b0 = qd_plus_boundary(k, taus[i], r, q, v, xmax)
        h[i] = math.log(b0 / xmax) ** 2 if b0 < xmax else 0.0
    _fit(cheb, h, coef)
    q_sin, q_cos, q_w = fp_quad[0], fp_quad[1], fp_quad[2]
    use_a = abs(r - q) < 1e-3  # FP-A where r and q nearly cancel, FP-B elsewhere (as QuantLib; held here)
    for step in range(fixed_point_steps + 1):
        for i in range(n - 1):
            log_b = _log_boundary(coef, math.sqrt(taus[i]), root_t, log_xmax)
            f, slope, b = _fixed_point(
                k, r, q, v, taus[i], log_b, coef, root_t, log_xmax, q_sin, q_cos, q_w, use_a
            )
            if step == 0 and slope != 1.0 and math.isfinite(slope):
                f = b - (f - b) / (slope - 1.0)  # one Jacobi-Newton step first
            if f > 0.0:
                h[i] = math.log(f / xmax) ** 2 if f < xmax else 0.0
        _fit(cheb, h, coef)
    log_s = math.log(s)
    if log_s <= _log_boundary(coef, root_t, root_t, log_xmax):
        return max(k - s, european)  # the European bound guards against a boundary that missed zero
    # The early-exercise premium: integral over t in (0, T) of r K e^(-rt) N(-d-) - q S e^(-qt) N(-d+)
    # against the boundary at T - t, on t = T sin^2(theta) for the same reason as above.
    premium = 0.0
    for j in range(px_quad.shape[1]):
        sn = px_quad[0, j]
        cs = px_quad[1, j]
        u = t * sn * sn
        sv = v * root_t * sn
        lb = _log_boundary(coef, root_t * cs, root_t, log_xmax)
        dp = (log_s - lb + (r - q) * u) / sv + 0.5 * sv
        payoff = r * k * math.exp(-r * u) * ncdf(sv - dp) - q * s * math.exp(-q * u) * ncdf(-dp)
        if math.isfinite(payoff):
            premium += px_quad[2, j] * 2.0 * t * sn * cs * payoff
    return max(european + max(premium, 0.0), k - s)


@nb.njit(cache=True, error_model="numpy")
def american_one(
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    v: float,
    c: bool,
    cheb: np.ndarray,
    fp_quad: np.ndarray,
    px_quad: np.ndarray,
    fixed_point_steps: int,
    fallback_steps: int,
) -> float:
    """American price of one option; a call is the put with spot and strike, r and q swapped."""
    if c:
        return alo_put(k, s, t, q, r, v, cheb, fp_quad, px_quad, fixed_point_steps, fallback_steps)
    return alo_put(s, k, t, r, q, v, cheb, fp_quad, px_quad, fixed_point_steps, fallback_steps)


@nb.njit(cache=True, error_model="numpy")
def american_serial(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    c: np.ndarray,
    cheb: np.ndarray,
    fp_quad: np.ndarray,
    px_quad: np.ndarray,
    fixed_point_steps: int,
    fallback_steps: int,
    out: np.ndarray,
) -> None:
    for i in range(s.shape[0]):
        out[i] = american_one(
            s[i],
            k[i],
            t[i],
            r[i],
            q[i],
            v[i],
            c[i],
            cheb,
            fp_quad,
            px_quad,
            fixed_point_steps,
            fallback_steps,
        )


@nb.njit(cache=True, parallel=True, error_model="numpy")
def american_parallel(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    c: np.ndarray,
    cheb: np.ndarray,
    fp_quad: np.ndarray,
    px_quad: np.ndarray,
    fixed_point_steps: int,
    fallback_steps: int,
    out: np.ndarray,
) -> None:
    for i in nb.prange(s.shape[0]):
        out[i] = american_one(
            s[i],
            k[i],
            t[i],
            r[i],
            q[i],
            v[i],
            c[i],
            cheb,
            fp_quad,
            px_quad,
            fixed_point_steps,
            fallback_steps,
        )
