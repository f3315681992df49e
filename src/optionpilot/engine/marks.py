"""Marking positions to market: option quotes (mid), stock prices, and the portfolio's Greeks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np

from optionpilot.core.money import ZERO, to_decimal
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.positions import Position
from optionpilot.ports.market_data import MarketData
from optionpilot.pricing import Greeks, bs_greeks, implied_vol

_YEAR_S = 365.0 * 86400.0


@dataclass(frozen=True, slots=True)
class PortfolioGreeks:
    delta: float = 0.0  # shares-equivalent
    gamma: float = 0.0  # shares-equivalent per 1.00 move
    vega: float = 0.0  # currency per 1 vol point
    theta: float = 0.0  # currency per calendar day


class Marker:
    """Marks positions from the market; remembers the last good mark so a missing quote keeps its value."""

    def __init__(self, market: MarketData) -> None:
        self.market = market
        self.last_mark: dict[str, Decimal] = {}

    def option_mark(self, contract: OptionContract) -> Decimal | None:
        """The option's mid when it has a two-sided quote; None otherwise."""
        quote = self.market.quote(contract)
        if quote is None or quote.bid <= 0 or quote.ask <= 0 or quote.bid > quote.ask:
            return None
        mid = quote.mid
        self.last_mark[contract.key] = mid
        return mid

    def marks(self, positions: list[Position]) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for position in positions:
            for key, leg in position.legs.items():
                if leg.quantity == 0 or key in out:
                    continue
                inst = leg.instrument
                if isinstance(inst, OptionContract):
                    mark = self.option_mark(inst)
                    out[key] = mark if mark is not None else self.last_mark.get(key, leg.avg_price)
                else:
                    out[key] = to_decimal(round(self.market.spot(inst.symbol), 4))
        return out

    def greeks(self, positions: list[Position], marks: dict[str, Decimal], now: datetime) -> PortfolioGreeks:
        rows: list[tuple[OptionContract, int, float]] = []
        delta = 0.0
        for position in positions:
            for key, leg in position.legs.items():
                if leg.quantity == 0:
                    continue
                inst = leg.instrument
                if isinstance(inst, OptionContract):
                    rows.append((inst, leg.quantity * inst.multiplier, float(marks.get(key, leg.avg_price))))
                else:
                    delta += leg.quantity
        if not rows:
            return PortfolioGreeks(delta=delta)
        spot = np.array([self.market.spot(c.underlying) for c, _, _ in rows])
        strike = np.array([float(c.strike) for c, _, _ in rows])
        t = np.array([years_to_expiry(self.market, c, now) for c, _, _ in rows])
        is_call = np.array([c.is_call for c, _, _ in rows])
        rate = self.market.risk_free_rate(now.date(), 30)
        q = np.array([self.market.dividend_yield(c.underlying) for c, _, _ in rows])
        price = np.array([p for _, _, p in rows])
        iv = implied_vol(price, spot, strike, t, rate, q, is_call)
        # A quote with no implied vol (below intrinsic) carries its intrinsic delta.
        iv = np.where(np.isfinite(iv), iv, 1e-4)
        g = bs_greeks(spot, strike, t, rate, q, iv, is_call)
        qty = np.array([n for _, n, _ in rows], dtype=np.float64)
        return PortfolioGreeks(
            delta=delta + float(np.sum(g.delta * qty)),
            gamma=float(np.sum(g.gamma * qty)),
            vega=float(np.sum(g.vega * qty)) / 100.0,
            theta=float(np.sum(g.theta * qty)) / 365.0,
        )


def exposure(positions: list[Position], marks: dict[str, Decimal]) -> Decimal:
    """Gross market value of open option legs."""
    total = ZERO
    for position in positions:
        for key, leg in position.legs.items():
            if leg.quantity and isinstance(leg.instrument, OptionContract):
                total += abs(marks.get(key, leg.avg_price) * leg.quantity * leg.multiplier)
    return total


def years_to_expiry(market: MarketData, contract: OptionContract, now: datetime) -> float:
    """Time to the expiry session's close, in years; at least a minute, so a dying option still prices."""
    cal = market.calendar
    close = cal.session(contract.expiry).close if cal.is_session(contract.expiry) else now
    return max((close - now).total_seconds(), 60.0) / _YEAR_S


def _one(market: MarketData, contract: OptionContract, price: float, now: datetime) -> Greeks | None:
    """Greeks of one option at the implied vol of its own price; None where no IV exists."""
    t = years_to_expiry(market, contract, now)
    spot = market.spot(contract.underlying)
    rate = market.risk_free_rate(now.date(), 30)
    q = market.dividend_yield(contract.underlying)
    iv = float(implied_vol(price, spot, float(contract.strike), t, rate, q, contract.is_call))
    if not math.isfinite(iv):
        return None
    return bs_greeks(spot, float(contract.strike), t, rate, q, iv, contract.is_call)


def option_greeks_full(
    market: MarketData, contract: OptionContract, price: float, now: datetime
) -> tuple[float, float] | None:
    """Delta and vega (per 1.00 of vol) of one option from its own price; None where no IV exists."""
    g = _one(market, contract, price, now)
    return None if g is None else (float(g.delta), float(g.vega))


def option_greeks_one(
    market: MarketData, contract: OptionContract, price: float, now: datetime
) -> tuple[float | None, float | None]:
    """Delta and theta per day of one option from its own price; None where no IV exists."""
    g = _one(market, contract, price, now)
    return (None, None) if g is None else (float(g.delta), float(g.theta) / 365.0)
