"""Portfolio Greeks: per-position Greeks summed with quantities, multipliers and lot sizes."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from optionpilot.core.errors import DataError
from optionpilot.pricing.compiled import bs_greeks
from optionpilot.pricing.config import DEFAULT_PRICING


class PortfolioGreeks(NamedTuple):
    delta_shares: float  # share-equivalent delta
    delta_currency: float  # delta dollars (or rupees): delta_shares * spot
    gamma_shares: float  # change of delta_shares per 1.00 move of the underlying
    gamma_currency: float  # change of delta_currency for a 1% move: gamma_shares * spot^2 / 100
    vega: float  # currency per 1 vol point (0.01)
    theta_day: float  # currency per calendar day
    rho: float  # currency per 1 point of rate (0.01)


def portfolio_greeks(
    quantity: ArrayLike,
    multiplier: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    lot_size: ArrayLike = 1,
    days_per_year: float = DEFAULT_PRICING.days_per_year,
) -> PortfolioGreeks:
    """Option positions of one underlying (S a scalar or one per row); quantity in contracts or lots, signed.

    Units held per row = quantity * lot_size * multiplier (US: lot 1, multiplier 100; NSE: lot e.g. 75,
    multiplier 1).
    """
    units = np.asarray(quantity, dtype=np.float64) * np.asarray(lot_size, dtype=np.float64)
    units = units * np.asarray(multiplier, dtype=np.float64)
    g = bs_greeks(S, K, T, r, q, sigma, is_call)
    units = np.broadcast_to(units, g.delta.shape)
    if np.isnan(g.price).any():
        bad = int(np.flatnonzero(np.isnan(g.price).reshape(-1))[0])
        raise DataError(f"portfolio Greeks: position {bad} has inputs that give no price")
    s = np.broadcast_to(np.asarray(S, dtype=np.float64), g.delta.shape)
    delta = float(np.sum(units * g.delta))
    gamma = float(np.sum(units * g.gamma))
    return PortfolioGreeks(
        delta_shares=delta,
        delta_currency=float(np.sum(units * g.delta * s)),
        gamma_shares=gamma,
        gamma_currency=float(np.sum(units * g.gamma * s * s)) / 100.0,
        vega=float(np.sum(units * g.vega)) / 100.0,
        theta_day=float(np.sum(units * g.theta)) / days_per_year,
        rho=float(np.sum(units * g.rho)) / 100.0,
    )
