"""The bivariate standard normal CDF, vectorized, for the Bjerksund-Stensland approximation."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from optionpilot.pricing.black_scholes import F64

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)
_LOW = -9.0  # the normal mass below this is about 1e-19


def bivariate_ncdf(a: ArrayLike, b: ArrayLike, rho: float) -> F64:
    """P(X <= a, Y <= b) for standard normals of correlation rho (|rho| < 1), as an integral over X."""
    aa, bb = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    hi = np.clip(aa, _LOW, -_LOW)[..., None]
    half = 0.5 * (hi - _LOW)
    x = _LOW + half * (_NODES + 1.0)
    root = np.sqrt(1.0 - rho * rho)
    integrand = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi) * ndtr((bb[..., None] - rho * x) / root)
    return np.asarray(half[..., 0] * (integrand @ _WEIGHTS), dtype=np.float64)
