"""Greeks and implied vol of a position at its entry, kept on the position for the report and the views.

They are taken when the entry is sent, from the quotes the entry decision saw (each option leg at its mid):
the backtest's broker fills on those quotes, so they are the Greeks of the fill without waiting for it.
They describe one unit: one contract of a single-leg position, one lot of a strategy (every leg times its
ratio and side). Delta is in shares, theta in currency per calendar day, vega in currency per vol point.
The IV is the implied vol of the option leg whose strike is nearest the spot (the at-the-money leg of a
spread or condor, the only leg of a single option), because a net IV of legs bought and sold means nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.orders import OrderLeg
from optionpilot.domain.positions import Position
from optionpilot.engine.marks import years_to_expiry
from optionpilot.ports.market_data import MarketData
from optionpilot.pricing import bs_greeks, implied_vol


@dataclass(frozen=True, slots=True)
class EntryGreeks:
    delta: float
    theta: float
    vega: float
    iv: float | None  # None for shares alone


def _mid(market: MarketData, contract: OptionContract) -> float | None:
    q = market.quote(contract)
    if q is None or q.bid <= 0 or q.ask <= 0 or q.bid > q.ask:
        return None
    return float(q.mid)


def entry_greeks(market: MarketData, legs: Sequence[OrderLeg], now: datetime) -> EntryGreeks | None:
    """One unit's Greeks and the nearest-the-money leg's IV; None when an option leg has no quote or no IV.

    Shares alone have a delta of one per share and no IV."""
    delta = theta = vega = 0.0
    atm: tuple[float, float] | None = None  # (distance of the strike from spot, its IV)
    try:
        for leg in legs:
            n = leg.side.sign * leg.ratio
            inst = leg.instrument
            if not isinstance(inst, OptionContract):
                delta += n
                continue
            price = _mid(market, inst)
            if price is None:
                return None
            spot = market.spot(inst.underlying)
            strike = float(inst.strike)
            t = years_to_expiry(market, inst, now)
            rate = market.risk_free_rate(now.date(), 30)
            q = market.dividend_yield(inst.underlying)
            iv = float(implied_vol(price, spot, strike, t, rate, q, inst.is_call))
            if not math.isfinite(iv):
                return None
            g = bs_greeks(spot, strike, t, rate, q, iv, inst.is_call)
            units = n * inst.multiplier
            delta += float(g.delta) * units
            theta += float(g.theta) / 365.0 * units
            vega += float(g.vega) / 100.0 * units
            distance = abs(strike - spot)
            if atm is None or distance < atm[0]:
                atm = (distance, iv)
    except (DataError, LookAheadError):
        return None
    return EntryGreeks(delta, theta, vega, None if atm is None else atm[1])


def stamp_entry_greeks(
    position: Position, market: MarketData, legs: Sequence[OrderLeg], now: datetime
) -> None:
    """Keep the entry's Greeks on the position (left None where they cannot be had)."""
    g = entry_greeks(market, legs, now)
    if g is not None:
        position.entry_delta, position.entry_theta, position.entry_vega, position.entry_iv = (
            g.delta,
            g.theta,
            g.vega,
            g.iv,
        )
