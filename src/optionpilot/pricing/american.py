"""American option prices: a fast, accurate integral method, and a binomial tree to check it against.

`american_price` solves the exercise boundary by the Andersen-Lake-Offengelden (2016) fixed point on a
QD+ start (compiled, see `american_kernels`); `american_tree_price` is a Leisen-Reimer tree (see
`american_tree`). Both take scalars or arrays, broadcast, and give NaN (never a number) for NaN,
negative spot, strike, time or volatility. A call with no dividend yield is priced as European.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import ConfigError
from optionpilot.pricing import american_kernels, american_tree
from optionpilot.pricing.black_scholes import F64
from optionpilot.pricing.compiled import _flat
from optionpilot.pricing.config import DEFAULT_PRICING


class Resolution(BaseModel):
    """How finely the integral method resolves the exercise boundary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    boundary_nodes: int = Field(10, ge=3, le=64, description="Chebyshev nodes carrying the boundary")
    fixed_point_steps: int = Field(
        4, ge=0, le=100, description="plain fixed-point steps after one Newton step"
    )
    boundary_quadrature: int = Field(10, ge=2, le=256, description="Gauss-Legendre points per boundary node")
    premium_quadrature: int = Field(24, ge=2, le=512, description="Gauss-Legendre points of the premium")


class AmericanConfig(BaseModel):
    """Tunables of `american_price`; the defaults stay within 2e-4 of a converged price (measured)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fast: Resolution = Resolution()
    # Where rates carry the boundary far within the diffusion's reach (long life, low vol, high r or q),
    # the boundary is steep in sqrt(time) and needs more nodes: (|r| + |q|) sqrt(T) / sigma above this.
    fine_above: float = Field(4.0, gt=0, description="drift-to-diffusion ratio that calls for `fine`")
    fine: Resolution = Resolution(
        boundary_nodes=32, fixed_point_steps=16, boundary_quadrature=32, premium_quadrature=64
    )
    fallback_tree_steps: int = Field(
        DEFAULT_PRICING.tree_steps, ge=10, description="tree steps for negative-rate double boundaries"
    )
    parallel_min_size: int = Field(256, ge=1, description="arrays at least this long use every core")


DEFAULT_AMERICAN = AmericanConfig()


@lru_cache(maxsize=16)
def _chebyshev_fit(nodes: int) -> NDArray[np.float64]:
    """Matrix from values at z_i = cos(i pi / N) to Chebyshev coefficients, end terms already halved."""
    n = nodes - 1
    k = np.arange(nodes)[:, None]
    i = np.arange(nodes)[None, :]
    m = 2.0 / n * np.cos(k * i * math.pi / n)
    m[:, [0, n]] *= 0.5
    m[[0, n], :] *= 0.5
    return np.ascontiguousarray(m)


@lru_cache(maxsize=16)
def _quadrature(points: int) -> NDArray[np.float64]:
    """Gauss-Legendre on theta in (0, pi/2) as rows sin(theta), cos(theta), weight."""
    x, w = np.polynomial.legendre.leggauss(points)
    theta = 0.25 * math.pi * (x + 1.0)
    return np.ascontiguousarray(np.stack([np.sin(theta), np.cos(theta), 0.25 * math.pi * w]))


def american_price(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    *,
    config: AmericanConfig = DEFAULT_AMERICAN,
) -> F64:
    """American price by the Andersen-Lake-Offengelden integral method; never below European or intrinsic."""
    shape, (s, k, t, rr, qq, v, c) = _flat(S, K, T, r, q, sigma, is_call)
    out = np.empty(s.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        fine = (np.abs(rr) + np.abs(qq)) * np.sqrt(np.maximum(t, 0.0)) > config.fine_above * v
    for res, pick in ((config.fast, ~fine), (config.fine, fine)):
        idx = np.flatnonzero(pick)
        if idx.size == 0:
            continue
        part = np.empty(idx.size)
        cheb = _chebyshev_fit(res.boundary_nodes)
        fp_quad = _quadrature(res.boundary_quadrature)
        px_quad = _quadrature(res.premium_quadrature)
        parallel = idx.size >= config.parallel_min_size
        fn = american_kernels.american_parallel if parallel else american_kernels.american_serial
        args = (s[idx], k[idx], t[idx], rr[idx], qq[idx], v[idx], c[idx])
        fn(*args, cheb, fp_quad, px_quad, res.fixed_point_steps, config.fallback_tree_steps, part)
        out[idx] = part
    # Exercise is always possible: the floor holds exactly, not within rounding (S=88, K=50, r=q=0 priced
    # 37.99999999999999). NaN (invalid input) stays NaN.
    intrinsic = np.where(c, np.maximum(s - k, 0.0), np.maximum(k - s, 0.0))
    floored: F64 = np.maximum(out, intrinsic)
    return floored.reshape(shape)


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
    """Leisen-Reimer price with early exercise at every step (an even step count gets one more)."""
    if steps < 1:
        raise ConfigError(f"american_tree_price: steps must be at least 1, got {steps}")
    shape, (s, k, t, rr, qq, v, c) = _flat(S, K, T, r, q, sigma, is_call)
    out = np.empty(s.shape[0])
    fn = american_tree.tree_parallel if s.shape[0] >= 2 else american_tree.tree_serial
    fn(s, k, t, rr, qq, v, c, steps, out)
    return out.reshape(shape)
