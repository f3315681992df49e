"""Market data in Alpaca's format from the simulator: bars, option chain snapshots, news, contracts.

Nothing after the stub's clock is ever served: an `end` later than now is cut to now. Pages are offsets
carried in `next_page_token`.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from optionpilot.adapters.alpaca_stub.intake import invalid
from optionpilot.adapters.alpaca_stub.state import asset_id
from optionpilot.adapters.alpaca_stub.wire import num, rfc3339
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.core.errors import LookAheadError
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.market import Bar
from optionpilot.domain.symbols import format_occ
from optionpilot.pricing.iv_kernels import implied_vol_one
from optionpilot.pricing.kernels import greeks_one

Params = Mapping[str, str]
_TIMEFRAME = re.compile(r"^(\d+)(Min|T|Hour|H|Day|D)$")
_YEAR_DAYS = 365.0


def parse_time(params: Params, key: str, default: datetime) -> datetime:
    text = params.get(key)
    if not text:
        return default
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"invalid {key}: {text!r}; use RFC 3339 or YYYY-MM-DD") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def parse_day(params: Params, key: str) -> date | None:
    text = params.get(key)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise invalid(f"invalid {key}: {text!r}; use YYYY-MM-DD") from None


def page(
    items: list[Any], params: Params, default_limit: int, max_limit: int
) -> tuple[list[Any], str | None]:
    try:
        limit = min(int(params.get("limit") or default_limit), max_limit)
        start = int(params.get("page_token") or 0)
    except ValueError:
        raise invalid("limit and page_token must be whole numbers") from None
    if limit < 1:
        raise invalid("limit must be positive")
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, str(start + limit) if more else None


def _bar_doc(t: datetime, o: float, h: float, lo: float, c: float, v: float) -> dict[str, Any]:
    return {"t": rfc3339(t), "o": o, "h": h, "l": lo, "c": c, "v": v, "n": max(int(v // 100), 1), "vw": c}


def stock_bars(market: SimulatedMarket, now: datetime, params: Params) -> dict[str, Any]:
    symbols = [s for s in (params.get("symbols") or "").split(",") if s]
    known = {u.symbol for u in market.underlyings()}
    unknown = [s for s in symbols if s not in known]
    if not symbols or unknown:
        raise invalid(f"symbols must name simulated underlyings {sorted(known)}; unknown: {unknown}")
    m = _TIMEFRAME.match(params.get("timeframe") or "1Min")
    if m is None:
        raise invalid(f"invalid timeframe {params.get('timeframe')!r}; use e.g. 1Min, 5Min, 1Hour, 1Day")
    amount, unit = int(m[1]), m[2]
    end = min(parse_time(params, "end", now), now)
    local_midnight = datetime.combine(
        market.calendar.local_date(now), datetime.min.time(), market.calendar.zone
    )
    start = parse_time(params, "start", local_midnight)
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in symbols}
    if unit in ("Day", "D"):
        for s in symbols:
            out[s] = _daily(market, s, start, end)
    else:
        minutes = amount * (60 if unit in ("Hour", "H") else 1)
        bars = [b for b in market.bars_between(start, end) if b.symbol in out]
        for s in symbols:
            out[s] = _aggregate([b for b in bars if b.symbol == s], minutes)
    flat = [(s, b) for s in symbols for b in out[s]]
    if params.get("sort") == "desc":
        flat.reverse()
    chunk, token = page(flat, params, 1000, 10_000)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for s, b in chunk:
        grouped.setdefault(s, []).append(b)
    return {"bars": grouped, "next_page_token": token}


def _aggregate(bars: list[Bar], minutes: int) -> list[dict[str, Any]]:
    if minutes == 1:
        return [_bar_doc(b.start, b.open, b.high, b.low, b.close, b.volume) for b in bars]
    groups: dict[int, list[Bar]] = {}
    for b in bars:
        groups.setdefault(int(b.start.timestamp()) // (minutes * 60), []).append(b)
    return [
        _bar_doc(
            datetime.fromtimestamp(k * minutes * 60, UTC),
            g[0].open,
            max(b.high for b in g),
            min(b.low for b in g),
            g[-1].close,
            sum(b.volume for b in g),
        )
        for k, g in sorted(groups.items())
    ]


def _daily(market: SimulatedMarket, symbol: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    cal = market.calendar
    first, last = cal.local_date(start), cal.local_date(end)
    count = len(cal.sessions(first, last)) if first <= last else 0
    try:
        series = market.daily_history(symbol, last + timedelta(days=1), count)
    except LookAheadError:  # today's session is still open: its bar is not complete
        series = market.daily_history(symbol, last, count)
    return [
        _bar_doc(
            datetime.fromtimestamp(int(series.start_s[i]), UTC),
            float(series.open[i]),
            float(series.high[i]),
            float(series.low[i]),
            float(series.close[i]),
            float(series.volume[i]),
        )
        for i in range(len(series))
        if int(series.start_s[i]) >= int(start.timestamp()) - 86_400
    ]


def _chain(market: SimulatedMarket, symbol: str, today: date, params: Params) -> ChainSnapshot:
    if symbol not in {u.symbol for u in market.underlyings()}:
        raise invalid(f"unknown underlying {symbol!r}")
    exact = parse_day(params, "expiration_date")
    lo = exact or parse_day(params, "expiration_date_gte") or today
    hi = exact or parse_day(params, "expiration_date_lte") or today + timedelta(days=60)
    return market.chain(symbol, min_dte=max((lo - today).days, 0), max_dte=max((hi - today).days, 0))


def _rows(chain: ChainSnapshot, params: Params, today: date) -> list[int]:
    exact = parse_day(params, "expiration_date")
    lo = exact or parse_day(params, "expiration_date_gte")
    hi = exact or parse_day(params, "expiration_date_lte")
    kind = params.get("type")
    s_lo = float(params.get("strike_price_gte") or -math.inf)
    s_hi = float(params.get("strike_price_lte") or math.inf)
    rows: list[int] = []
    for i in range(len(chain)):
        expiry = chain.expiry[i].astype(object)
        if expiry < today or (lo and expiry < lo) or (hi and expiry > hi):
            continue
        if kind in ("call", "put") and bool(chain.is_call[i]) != (kind == "call"):
            continue
        if not s_lo <= float(chain.strike[i]) <= s_hi:
            continue
        rows.append(i)
    return rows


def option_chain(market: SimulatedMarket, now: datetime, symbol: str, params: Params) -> dict[str, Any]:
    today = market.calendar.local_date(now)
    chain = _chain(market, symbol, today, params)
    rows, token = page(_rows(chain, params, today), params, 100, 1000)
    r_q = (market.dividend_yield(symbol), today)
    snapshots = {format_occ(chain.contract(i)): _snapshot(market, chain, i, r_q) for i in rows}
    return {"snapshots": snapshots, "next_page_token": token}


def _snapshot(
    market: SimulatedMarket, chain: ChainSnapshot, i: int, q_today: tuple[float, date]
) -> dict[str, Any]:
    q, today = q_today
    quote = chain.quote(i)
    doc: dict[str, Any] = {
        "latestQuote": {
            "t": rfc3339(quote.ts),
            "ax": "C",
            "ap": float(quote.ask),
            "as": quote.ask_size,
            "bx": "C",
            "bp": float(quote.bid),
            "bs": quote.bid_size,
            "c": "A",
        }
    }
    volume = int(chain.volume[i])
    if volume > 0:
        # Alpaca's dailyBar carries the session's volume; the simulator keeps no trade prices per
        # contract, so the bar's prices are the current mid (a contract with no volume has no bar).
        mid_now = float(quote.mid)
        day_start = datetime.combine(today, datetime.min.time(), market.calendar.zone)
        doc["dailyBar"] = {
            "t": rfc3339(day_start),
            "o": mid_now,
            "h": mid_now,
            "l": mid_now,
            "c": mid_now,
            "v": volume,
            "n": max(volume // 10, 1),
            "vw": mid_now,
        }
    expiry: date = chain.expiry[i].astype(object)
    days = max((expiry - today).days, 0) + 0.25  # to the close of the expiry day, roughly
    t = days / _YEAR_DAYS
    mid = float(quote.mid)
    spot, strike, call = chain.spot, float(chain.strike[i]), bool(chain.is_call[i])
    r = market.risk_free_rate(today, max(int(days), 1))
    iv, _ = implied_vol_one(mid, spot, strike, t, r, q, call, 100, 1e-10)
    if math.isfinite(iv):
        _, delta, gamma, vega, theta, rho = greeks_one(spot, strike, t, r, q, iv, call)
        doc["impliedVolatility"] = round(iv, 6)
        doc["greeks"] = {
            "delta": round(delta, 6),
            "gamma": round(gamma, 6),
            "theta": round(theta / _YEAR_DAYS, 6),
            "vega": round(vega / 100.0, 6),
            "rho": round(rho / 100.0, 6),
        }
    return doc


def option_contracts(market: SimulatedMarket, now: datetime, params: Params) -> dict[str, Any]:
    today = market.calendar.local_date(now)
    wanted = [s for s in (params.get("underlying_symbols") or "").split(",") if s]
    symbols = wanted or [u.symbol for u in market.underlyings()]
    docs: list[dict[str, Any]] = []
    for symbol in symbols:
        chain = _chain(market, symbol, today, params)
        root = params.get("root_symbol")
        if root and root != symbol:
            continue
        docs.extend(contract_doc(chain, i, today) for i in _rows(chain, params, today))
    chunk, token = page(docs, params, 100, 10_000)
    return {"option_contracts": chunk, "next_page_token": token}


def contract_doc(chain: ChainSnapshot, i: int, today: date) -> dict[str, Any]:
    c = chain.contract(i)
    symbol = format_occ(c)
    kind = "call" if c.is_call else "put"
    return {
        "id": str(asset_id(symbol)),
        "symbol": symbol,
        "name": f"{c.underlying} {c.expiry:%b %d %Y} {num(c.strike)} {kind.title()}",
        "status": "active",
        "tradable": True,
        "expiration_date": c.expiry.isoformat(),
        "root_symbol": c.root or c.underlying,
        "underlying_symbol": c.underlying,
        "underlying_asset_id": str(asset_id(c.underlying)),
        "type": kind,
        "style": c.style.value,
        "strike_price": num(c.strike),
        "multiplier": str(c.multiplier),
        "size": str(c.multiplier),
        "open_interest": str(int(chain.open_interest[i])),
        "open_interest_date": today.isoformat(),
        "close_price": None,
        "close_price_date": None,
    }


def news(market: SimulatedMarket, now: datetime, params: Params) -> dict[str, Any]:
    end = min(parse_time(params, "end", now), now)
    start = parse_time(params, "start", end - timedelta(days=7))
    wanted = {s for s in (params.get("symbols") or "").split(",") if s}
    items = [n for n in market.news_between(start, end) if not wanted or wanted & set(n.tickers)]
    items.sort(key=lambda n: n.ts, reverse=params.get("sort", "desc") != "asc")
    chunk, token = page(items, params, 10, 50)
    content = params.get("include_content") in ("true", "True", "1")
    docs = [
        {
            # Alpaca's news ids are integers; the simulator's are strings, so a stable hash of it.
            "id": zlib.crc32(n.id.encode()),
            "headline": n.headline,
            "author": n.source,
            "created_at": rfc3339(n.ts),
            "updated_at": rfc3339(n.ts),
            "summary": n.body[:200],
            "content": n.body if content else "",
            "url": None,
            "images": [],
            "symbols": list(n.tickers),
            "source": n.source,
        }
        for n in chunk
    ]
    return {"news": docs, "next_page_token": token}
