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

from optionpilot.pricing import american_kernels, american_tree
from optionpilot.pricing.black_scholes import F64
from optionpilot.pricing.config import DEFAULT_PRICING


class AmericanConfig(BaseModel):
    """Resolution of the American integral method; the defaults keep it within 1e-5 of a converged tree."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    boundary_nodes: int = Field(8, ge=3, le=64, description="Chebyshev nodes carrying the boundary")
    fixed_point_steps: int = Field(2, ge=0, le=50, description="plain fixed-point steps after the Newton step")
    boundary_quadrature: int = Field(12, ge=2, le=256, description="Gauss-Legendre points per boundary node")
    premium_quadrature: int = Field(32, ge=2, le=512, description="Gauss-Legendre points of the premium")
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
def _gauss_legendre(points: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, w = np.polynomial.legendre.leggauss(points)
    return np.ascontiguousarray(x), np.ascontiguousarray(w)


def _flat(*args: ArrayLike) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Broadcast, then contiguous 1-d arrays: float64, and bool for the last (is_call)."""
    arrays = [np.asarray(a, dtype=np.float64) for a in args[:-1]] + [np.asarray(args[-1], dtype=np.bool_)]
    b = np.broadcast_arrays(*arrays)
    return b[0].shape, [np.ascontiguousarray(x).reshape(-1) for x in b]


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
    cheb = _chebyshev_fit(config.boundary_nodes)
    fp_x, fp_w = _gauss_legendre(config.boundary_quadrature)
    px_x, px_w = _gauss_legendre(config.premium_quadrature)
    out = np.empty(s.shape[0])
    size = s.shape[0]
    fn = american_kernels.american_parallel if size >= config.parallel_min_size else american_kernels.american_serial
    fn(
        s, k, t, rr, qq, v, c, cheb, fp_x, fp_w, px_x, px_w, config.fixed_point_steps,
        config.fallback_tree_steps, out,
    )
    return out.reshape(shape)


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
    """Leisen-Reimer binomial price with early exercise at every step (odd steps: an even count gets one more)."""
    if steps < 1:
        raise ValueError(f"american_tree_price: steps must be at least 1, got {steps}")
    shape, (s, k, t, rr, qq, v, c) = _flat(S, K, T, r, q, sigma, is_call)
    out = np.empty(s.shape[0])
    fn = american_tree.tree_parallel if s.shape[0] >= 2 else american_tree.tree_serial
    fn(s, k, t, rr, qq, v, c, steps, out)
    return out.reshape(shape)
