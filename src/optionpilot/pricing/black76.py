"""Black-76 for options on futures and forwards: Black-Scholes-Merton with the dividend yield equal to r."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from optionpilot.pricing.black_scholes import F64, Greeks
from optionpilot.pricing.compiled import IVResult, bs_greeks, bs_price, implied_vol_with_reason


def black76_price(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> F64:
    return bs_price(F, K, T, r, r, sigma, is_call)


def black76_greeks(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> Greeks:
    """Delta and gamma are with respect to the forward; rho is d price / d r with the forward held fixed."""
    g = bs_greeks(F, K, T, r, r, sigma, is_call)
    t = np.broadcast_to(np.asarray(T, dtype=np.float64), g.price.shape)
    return g._replace(rho=np.asarray(-t * g.price, dtype=np.float64))


def black76_implied_vol(
    price: ArrayLike, F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, is_call: ArrayLike
) -> IVResult:
    return implied_vol_with_reason(price, F, K, T, r, r, is_call)
