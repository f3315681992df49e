"""A chain priced by Black-Scholes at one flat vol, with a chosen spread: hand-checkable strategy tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import AssetClass, Underlying
from optionpilot.pricing import bs_price

TS = datetime(2025, 3, 3, 21, 0, tzinfo=UTC)
STOCK = Underlying(symbol="XYZ", asset_class=AssetClass.EQUITY)


def flat_chain(
    *,
    spot: float = 100.0,
    vol: float = 0.20,
    rate: float = 0.0,
    days: tuple[int, ...] = (30, 60),
    strikes: np.ndarray | None = None,
    half_spread: float = 0.02,
    drop: tuple[tuple[int, float], ...] = (),
    underlying: Underlying = STOCK,
) -> ChainSnapshot:
    """Every strike and expiry, both rights, bid/ask = model -/+ half_spread; `drop` unlists (days, K)."""
    ks = np.arange(70.0, 131.0, 5.0) if strikes is None else strikes
    exp, k, c = [], [], []
    for d in days:
        for strike in ks:
            for is_call in (True, False):
                if (d, float(strike)) in drop:
                    continue
                exp.append(np.datetime64(TS.date() + timedelta(days=d), "D"))
                k.append(float(strike))
                c.append(is_call)
    e = np.array(exp, dtype="datetime64[D]")
    kk = np.array(k)
    cc = np.array(c)
    t = (e - np.datetime64(TS.date(), "D")).astype(np.int64) / 365.0
    price = bs_price(spot, kk, t, rate, 0.0, vol, cc)
    bid = np.maximum(np.round(price - half_spread, 2), 0.0)
    ask = np.round(price + half_spread, 2)
    n = kk.size
    return ChainSnapshot(
        underlying=underlying,
        ts=TS,
        spot=spot,
        expiry=e,
        strike=kk,
        is_call=cc,
        bid=bid,
        ask=ask,
        bid_size=np.full(n, 10, dtype=np.int64),
        ask_size=np.full(n, 10, dtype=np.int64),
        volume=np.full(n, 100, dtype=np.int64),
        open_interest=np.full(n, 1000, dtype=np.int64),
    )


def expiry(days: int) -> date:
    return TS.date() + timedelta(days=days)
