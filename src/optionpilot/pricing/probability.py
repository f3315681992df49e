"""Probabilities under a lognormal model: finishing above a level, touching it, profit, expected value.

`drift` is the annual expected return of the underlying: r - q for risk-neutral odds, or a view.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from optionpilot.core.errors import DataError
from optionpilot.pricing.black_scholes import F64
from optionpilot.pricing.compiled import bs_price
from optionpilot.pricing.payoff import Leg, payoff_at_expiry, summarize


def _check(spot: float, T: float, sigma: float) -> None:
    if not (spot > 0 and T > 0 and sigma > 0):
        raise DataError(f"lognormal odds need spot > 0, T > 0, sigma > 0 (got {spot}, {T}, {sigma})")


def prob_above(spot: float, level: ArrayLike, T: float, sigma: float, drift: float = 0.0) -> F64:
    """P(S_T > level)."""
    _check(spot, T, sigma)
    k = np.asarray(level, dtype=np.float64)
    vs = sigma * math.sqrt(T)
    with np.errstate(divide="ignore"):
        d2 = (np.log(spot / k) + (drift - 0.5 * sigma * sigma) * T) / vs
    return np.asarray(ndtr(d2), dtype=np.float64)


def prob_touch(spot: float, level: ArrayLike, T: float, sigma: float, drift: float = 0.0) -> F64:
    """P(the price reaches `level` at any time before T): reflection principle for a drifted log-price."""
    _check(spot, T, sigma)
    lv = np.asarray(level, dtype=np.float64)
    h = np.log(lv / spot)
    nu = drift - 0.5 * sigma * sigma
    vs = sigma * math.sqrt(T)
    up = h >= 0
    sgn = np.where(up, 1.0, -1.0)  # mirror a lower barrier into an upper one
    hh, nn = sgn * h, sgn * nu
    p = ndtr((-hh + nn * T) / vs) + np.exp(2.0 * nn * hh / (sigma * sigma)) * ndtr((-hh - nn * T) / vs)
    return np.asarray(np.clip(p, 0.0, 1.0), dtype=np.float64)


def prob_profit(legs: list[Leg], spot: float, T: float, sigma: float, drift: float = 0.0) -> float:
    """P(the expiry P&L is above zero): the lognormal mass of the intervals between breakevens that profit."""
    _check(spot, T, sigma)
    edges = [0.0, *summarize(legs).breakevens, math.inf]
    total = 0.0
    for a, b in itertools.pairwise(edges):
        probe = 0.5 * (a + b) if math.isfinite(b) else 2.0 * a + 1.0
        if payoff_at_expiry(legs, probe) > 0:
            pa = 1.0 if a <= 0 else float(prob_above(spot, a, T, sigma, drift))
            pb = 0.0 if not math.isfinite(b) else float(prob_above(spot, b, T, sigma, drift))
            total += pa - pb
    return total


def expected_value(legs: list[Leg], spot: float, T: float, sigma: float, drift: float = 0.0) -> float:
    """Expected expiry P&L (not discounted), in closed form leg by leg."""
    _check(spot, T, sigma)
    growth = math.exp(drift * T)
    ev = 0.0
    for leg in legs:
        if leg.right == "S":
            value = spot * growth
        else:
            value = float(bs_price(spot, leg.strike, T, drift, 0.0, sigma, leg.right == "C")) * growth
        ev += leg.quantity * leg.multiplier * (value - leg.premium)
    return ev
