"""Dhan's option chain and expiry list, and the feed's packets, from the simulator at the stub's clock.

The chain is keyed by strike (`"25000.000000"`) with `ce` and `pe` sides: prices in rupees, sizes in
units (the simulator's displayed lots x lot size), IV in percent, greeks per day (theta) and per
volatility point (vega). Each side also names its `security_id`, so a client can trade off the chain.
The feed's extra depth levels (2 to 5) are synthetic, a tick apart: the simulator quotes the top only;
an option's open, high, low, close and average price are its current price (the simulator has no
trade prints), and its previous close, sent once on subscribing, is the price then.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from optionpilot.adapters.dhan import feed_packets as fp
from optionpilot.adapters.dhan_stub.instruments import LISTING_HORIZON_DAYS, Instruments, Listed
from optionpilot.adapters.dhan_stub.wire import bad_input
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import Underlying
from optionpilot.pricing.iv_kernels import implied_vol_one
from optionpilot.pricing.kernels import greeks_one

_YEAR_DAYS = 365.0


def expiries(market: SimulatedMarket, underlying: Underlying, today: date) -> list[date]:
    chain = market.chain(underlying.symbol, min_dte=0, max_dte=LISTING_HORIZON_DAYS)
    return [d for d in chain.expiries() if d >= today]


def parse_expiry(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise bad_input(f"Expiry {text!r}: use YYYY-MM-DD") from None


def option_chain(
    market: SimulatedMarket, instruments: Instruments, underlying: Underlying, expiry: date, today: date
) -> dict[str, Any]:
    if expiry not in expiries(market, underlying, today):
        raise bad_input(f"no {underlying.symbol} expiry on {expiry.isoformat()}; see /optionchain/expirylist")
    dte = (expiry - today).days
    chain = market.chain(underlying.symbol, min_dte=dte, max_dte=dte)
    r = market.risk_free_rate(today, max(dte, 1))
    q = market.dividend_yield(underlying.symbol)
    oc: dict[str, dict[str, Any]] = {}
    for i in range(len(chain)):
        if chain.expiry[i].astype(object) != expiry:
            continue
        side = "ce" if bool(chain.is_call[i]) else "pe"
        key = f"{float(chain.strike[i]):.6f}"
        oc.setdefault(key, {})[side] = _side(chain, i, instruments, (dte, r, q))
    return {"data": {"last_price": round(chain.spot, 2), "oc": oc}, "status": "success"}


def _side(
    chain: ChainSnapshot, i: int, instruments: Instruments, dte_r_q: tuple[int, float, float]
) -> dict[str, Any]:
    dte, r, q = dte_r_q
    quote = chain.quote(i)
    lot = chain.underlying.option_multiplier
    mid = float(quote.mid)
    t = (dte + 0.25) / _YEAR_DAYS  # to the close of the expiry day, roughly
    spot, strike, call = chain.spot, float(chain.strike[i]), bool(chain.is_call[i])
    iv, _ = implied_vol_one(mid, spot, strike, t, r, q, call, 100, 1e-10)
    greeks = {"delta": 0.0, "theta": 0.0, "gamma": 0.0, "vega": 0.0}
    if math.isfinite(iv):
        _, delta, gamma, vega, theta, _ = greeks_one(spot, strike, t, r, q, iv, call)
        greeks = {
            "delta": round(delta, 5),
            "theta": round(theta / _YEAR_DAYS, 5),
            "gamma": round(gamma, 5),
            "vega": round(vega / 100.0, 5),
        }
    oi = int(chain.open_interest[i]) * lot
    return {
        "security_id": instruments.security_id(chain.contract(i)),
        "greeks": greeks,
        "implied_volatility": round(iv * 100.0, 4) if math.isfinite(iv) else 0.0,
        "last_price": round(mid, 2),
        "oi": oi,
        "previous_close_price": round(mid, 2),
        "previous_oi": oi,
        "previous_volume": 0,
        "top_ask_price": float(quote.ask),
        "top_ask_quantity": quote.ask_size * lot,
        "top_bid_price": float(quote.bid),
        "top_bid_quantity": quote.bid_size * lot,
        "volume": int(chain.volume[i]) * lot,
    }


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def underlying_packet(
    market: SimulatedMarket, u: Underlying, segment: int, sid: int, now: datetime
) -> fp.Ticker:
    """An index's or a stock's last price (a ticker packet whatever the mode: the stub has no depth)."""
    spot = (Decimal(str(market.spot(u.symbol))) / u.tick).to_integral_value() * u.tick
    return fp.Ticker(segment, sid, spot, _epoch(now))


def _oi_volume(market: SimulatedMarket, listed: Listed) -> tuple[int, int]:
    """Open interest and the session's volume in units, from the listing chain (cached per minute)."""
    chain = market.chain(listed.contract.underlying, min_dte=0, max_dte=LISTING_HORIZON_DAYS)
    row = chain.find(listed.contract)
    if row is None:
        return 0, 0
    return int(chain.open_interest[row]) * listed.lot_size, int(chain.volume[row]) * listed.lot_size


def option_packets(market: SimulatedMarket, listed: Listed, mode: int) -> list[fp.Packet]:
    """The packets of one option for a subscription mode (ticker, quote or full); none without a quote."""
    quote = market.quote(listed.contract)
    if quote is None or quote.bid <= 0 or quote.ask <= 0:
        return []
    seg, sid, lot, tick = fp.SEGMENT_CODES["NSE_FNO"], listed.security_id, listed.lot_size, listed.tick
    ltp = ((quote.bid + quote.ask) / 2 / tick).to_integral_value() * tick
    ltt = _epoch(quote.ts)
    if mode == fp.RequestCode.SUBSCRIBE_TICKER:
        return [fp.Ticker(seg, sid, ltp, ltt)]
    bid_qty, ask_qty = quote.bid_size * lot, quote.ask_size * lot
    oi, volume = _oi_volume(market, listed)
    if mode == fp.RequestCode.SUBSCRIBE_QUOTE:
        q = fp.Quote(seg, sid, ltp, lot, ltt, ltp, volume, ask_qty, bid_qty, ltp, ltp, ltp, ltp)
        return [q, fp.OpenInterest(seg, sid, oi)]
    depth = tuple(
        fp.DepthLevel(bid_qty, ask_qty, 1, 1, max(quote.bid - k * tick, Decimal(0)), quote.ask + k * tick)
        for k in range(fp.DEPTH_LEVELS)
    )
    return [
        fp.Full(seg, sid, ltp, lot, ltt, ltp, volume, ask_qty, bid_qty, oi, oi, oi, ltp, ltp, ltp, ltp, depth)
    ]
