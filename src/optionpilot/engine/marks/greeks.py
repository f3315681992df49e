"""Greeks from option prices: the implied vol of each price, then Black-Scholes (both flows mark with it)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from optionpilot.decisions.pretrade.greeks import GreekValues
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.positions import Position
from optionpilot.ports.market_data import MarketData
from optionpilot.pricing import Greeks, bs_greeks, implied_vol

F64 = NDArray[np.float64]
_YEAR_S = 365.0 * 86400.0
# A price with no implied vol (below intrinsic) is priced at this vol: it carries its intrinsic delta.
_NO_IV = 1e-4


@dataclass(frozen=True, slots=True)
class PortfolioGreeks:
    delta: float = 0.0  # shares-equivalent
    gamma: float = 0.0  # shares-equivalent per 1.00 move
    vega: float = 0.0  # currency per 1 vol point
    theta: float = 0.0  # currency per calendar day
    # In the account's currency, for the caps scaled to equity (`decisions.pretrade.greeks`).
    delta_value: float = 0.0  # sum of delta x spot
    gamma_value: float = 0.0  # sum of gamma x spot^2 / 100: the delta value's change on a 1% move

    @property
    def values(self) -> GreekValues:
        return GreekValues(self.delta_value, self.gamma_value, self.vega)


def greeks_at_prices(
    price: F64,
    spot: F64,
    strike: F64,
    t: F64,
    rate: float,
    q: F64 | float,
    is_call: NDArray[np.bool_],
) -> Greeks:
    """Greeks of many options, each at the implied vol of its own price."""
    iv = implied_vol(price, spot, strike, t, rate, q, is_call)
    iv = np.where(np.isfinite(iv), iv, _NO_IV)
    return bs_greeks(spot, strike, t, rate, q, iv, is_call)


def portfolio_greeks(
    market: MarketData, positions: Sequence[Position], marks: dict[str, Decimal], now: datetime
) -> PortfolioGreeks:
    rows: list[tuple[OptionContract, int, float]] = []
    delta = delta_value = 0.0
    for position in positions:
        for key, leg in position.legs.items():
            if leg.quantity == 0:
                continue
            inst = leg.instrument
            if isinstance(inst, OptionContract):
                rows.append((inst, leg.quantity * inst.multiplier, float(marks.get(key, leg.avg_price))))
            else:
                delta += leg.quantity
                delta_value += leg.quantity * market.spot(inst.symbol)
    if not rows:
        return PortfolioGreeks(delta=delta, delta_value=delta_value)
    spot = np.array([market.spot(c.underlying) for c, _, _ in rows])
    g = greeks_at_prices(
        np.array([p for _, _, p in rows]),
        spot,
        np.array([float(c.strike) for c, _, _ in rows]),
        np.array([years_to_expiry(market, c, now) for c, _, _ in rows]),
        market.risk_free_rate(now.date(), 30),
        np.array([market.dividend_yield(c.underlying) for c, _, _ in rows]),
        np.array([c.is_call for c, _, _ in rows]),
    )
    qty = np.array([n for _, n, _ in rows], dtype=np.float64)
    return PortfolioGreeks(
        delta=delta + float(np.sum(g.delta * qty)),
        gamma=float(np.sum(g.gamma * qty)),
        vega=float(np.sum(g.vega * qty)) / 100.0,
        theta=float(np.sum(g.theta * qty)) / 365.0,
        delta_value=delta_value + float(np.sum(g.delta * qty * spot)),
        gamma_value=float(np.sum(g.gamma * qty * spot * spot)) / 100.0,
    )


def years_to_expiry(market: MarketData, contract: OptionContract, now: datetime) -> float:
    """Time to the expiry session's close, in years; at least a minute, so a dying option still prices."""
    cal = market.calendar
    close = cal.session(contract.expiry).close if cal.is_session(contract.expiry) else now
    return max((close - now).total_seconds(), 60.0) / _YEAR_S


def option_iv(
    market: MarketData, contract: OptionContract, price: float, now: datetime, spot: float | None = None
) -> float | None:
    """The implied vol of one option's price (at `spot`, the underlying now by default); None if none."""
    t = years_to_expiry(market, contract, now)
    s = market.spot(contract.underlying) if spot is None else spot
    rate = market.risk_free_rate(now.date(), 30)
    q = market.dividend_yield(contract.underlying)
    iv = float(implied_vol(price, s, float(contract.strike), t, rate, q, contract.is_call))
    return iv if math.isfinite(iv) else None


def _one(market: MarketData, contract: OptionContract, price: float, now: datetime) -> Greeks | None:
    """Greeks of one option at the implied vol of its own price; None where no IV exists."""
    iv = option_iv(market, contract, price, now)
    return None if iv is None else greeks_at_iv(market, contract, iv, now)


def greeks_at_iv(market: MarketData, contract: OptionContract, iv: float, now: datetime) -> Greeks:
    t = years_to_expiry(market, contract, now)
    spot = market.spot(contract.underlying)
    rate = market.risk_free_rate(now.date(), 30)
    q = market.dividend_yield(contract.underlying)
    return bs_greeks(spot, float(contract.strike), t, rate, q, iv, contract.is_call)


def option_greeks_full(
    market: MarketData, contract: OptionContract, price: float, now: datetime
) -> tuple[float, float] | None:
    """Delta and vega (per 1.00 of vol) of one option from its own price; None where no IV exists."""
    g = _one(market, contract, price, now)
    return None if g is None else (float(g.delta), float(g.vega))


def option_greek_values(
    market: MarketData, contract: OptionContract, price: float, now: datetime, units: int
) -> tuple[float, float, GreekValues]:
    """`units` share-equivalents of one option (signed): delta, vega per vol point, and the values the
    caps scaled to equity read (`decisions.pretrade.greeks`); zeros where no IV exists."""
    g = _one(market, contract, price, now)
    if g is None:
        return 0.0, 0.0, GreekValues()
    s = market.spot(contract.underlying)
    delta, vega = float(g.delta) * units, float(g.vega) * units / 100.0
    return delta, vega, GreekValues(delta * s, float(g.gamma) * units * s * s / 100.0, vega)


def option_greeks_one(
    market: MarketData, contract: OptionContract, price: float, now: datetime
) -> tuple[float | None, float | None]:
    """Delta and theta per day of one option from its own price; None where no IV exists."""
    g = _one(market, contract, price, now)
    return (None, None) if g is None else delta_theta(g)


def delta_theta(g: Greeks) -> tuple[float, float]:
    """Delta, and theta per calendar day."""
    return float(g.delta), float(g.theta) / 365.0
