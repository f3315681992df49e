"""`MarketData` on Alpaca's data API through alpaca-py, as of the injected clock, within the request budget.

Every answer comes from a cache that is filled by as few requests as the clock allows: minute bars for
all symbols in one request per completed minute (only what completed since the last), a chain snapshot
per underlying at most every `chain_refresh_s` of the clock, open interest once a session, daily bars
once per span asked. `spot` and `quote` never send a request of their own beyond those refreshes.

What Alpaca does not serve: a volatility index (None), split ratios (1.0: bars are asked split-adjusted,
and the minute cache is refilled each session so it is never half-adjusted), dividend yields and the
risk-free rate (configured), and an IV history (recorded from the chains seen, see `iv_record`).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from alpaca.data.enums import Adjustment, DataFeed, OptionsFeed
from alpaca.data.historical import OptionHistoricalDataClient, StockHistoricalDataClient
from alpaca.data.historical.news import NewsClient
from alpaca.data.requests import NewsRequest, StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient

from optionpilot.adapters.alpaca.bar_store import DailyBars, MinuteBars, read_bars
from optionpilot.adapters.alpaca.chain_cache import EP_CHAIN, EP_CONTRACTS, ChainCache, ChainRules
from optionpilot.adapters.alpaca.data_requests import DataRequests
from optionpilot.adapters.alpaca.iv_record import IvRecord
from optionpilot.adapters.alpaca.news_rows import read_news
from optionpilot.adapters.alpaca.settings import AlpacaSettings
from optionpilot.adapters.alpaca.transport import RequestBudget, attach
from optionpilot.core.calendars import TradingCalendar
from optionpilot.core.clock import Clock
from optionpilot.core.errors import ConfigError, DataError, LookAheadError
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, Underlying
from optionpilot.domain.market import Bar, BarSeries, NewsItem, Quote

log = logging.getLogger(__name__)
_SOURCE = "alpaca market data"
EP_BARS = "alpaca data GET /v2/stocks/bars"
EP_NEWS = "alpaca data GET /v1beta1/news"
__all__ = ["EP_BARS", "EP_CHAIN", "EP_CONTRACTS", "EP_NEWS", "AlpacaMarketData"]
# Bars are re-asked from this far back: Alpaca publishes a minute bar a few seconds after the minute ends.
_OVERLAP_S = 120


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


FeedT = TypeVar("FeedT", DataFeed, OptionsFeed)


def _feed(kind: type[FeedT], value: str | None, name: str) -> FeedT | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(f.value for f in kind)
        raise ConfigError(f"alpaca {name} {value!r} is not one of: {known}") from None


class AlpacaMarketData:
    def __init__(
        self,
        settings: AlpacaSettings,
        clock: Clock,
        budget: RequestBudget,
        symbols: Sequence[str],
        calendar: TradingCalendar,
        *,
        risk_free_rate: float = 0.04,
        dividend_yields: Mapping[str, float] | None = None,
        chain_refresh_s: float = 60.0,
        chain_max_dte: int = 60,
        strike_band: float | None = 0.3,
        stock_feed: str | None = None,
        option_feed: str | None = None,
        iv_record_path: Path | None = None,
        clock_skew_s: float = 2.0,
    ) -> None:
        if not symbols:
            raise DataError("no symbols to watch", source=_SOURCE)
        self._clock = clock
        self._cal = calendar
        self._symbols = tuple(dict.fromkeys(symbols))
        self._underlyings = tuple(Underlying(symbol=s) for s in self._symbols)
        self._by_symbol = {u.symbol: u for u in self._underlyings}
        self._rate = risk_free_rate
        self._dividends = dict(dividend_yields or {})
        self._stock_feed = _feed(DataFeed, stock_feed, "stock_feed")
        options_feed = _feed(OptionsFeed, option_feed, "option_feed")
        timeout = settings.endpoints.timeout_s
        key, secret = settings.key_id, settings.secret_key.get_secret_value()
        data_url = settings.data_url
        self._stocks = attach(
            StockHistoricalDataClient(key, secret, raw_data=True, url_override=data_url), budget, timeout
        )
        self._news = attach(NewsClient(key, secret, raw_data=True, url_override=data_url), budget, timeout)
        self.requests = DataRequests(timeout)
        self.skipped: Counter[str] = Counter()
        self._minutes = MinuteBars(self._symbols)
        self._minutes_day: date | None = None
        self._daily = DailyBars(self._symbols)
        self._news_items: list[NewsItem] = []
        self._news_span: tuple[datetime, datetime] | None = None
        self._iv = IvRecord(iv_record_path)
        self._chains = ChainCache(
            options=attach(
                OptionHistoricalDataClient(key, secret, raw_data=True, url_override=data_url), budget, timeout
            ),
            trading=attach(
                TradingClient(
                    key, secret, paper=settings.paper, raw_data=True, url_override=settings.trading_url
                ),
                budget,
                timeout,
            ),
            requests=self.requests,
            clock=clock,
            calendar=calendar,
            underlyings=self._by_symbol,
            spot=self.spot,
            iv_record=self._iv,
            skipped=self.skipped,
            rules=ChainRules(chain_refresh_s, chain_max_dte, strike_band, options_feed, clock_skew_s),
        )

    # -- the port ---------------------------------------------------------------------------------

    @property
    def calendar(self) -> TradingCalendar:
        return self._cal

    def underlyings(self) -> Sequence[Underlying]:
        return self._underlyings

    def sessions(self) -> Sequence[date]:
        today = self._cal.local_date(self._clock.now())
        return (today if self._cal.is_session(today) else self._cal.next_session(today),)

    def bars_between(self, start: datetime, end: datetime) -> Sequence[Bar]:
        self._not_after_clock(end, "bars_between")
        self._ensure_minutes(start.timestamp(), end.timestamp())
        return self._minutes.between(start.timestamp(), end.timestamp())

    def history(self, symbol: str, end: datetime, count: int) -> BarSeries:
        self._known(symbol)
        self._not_after_clock(end, "history")
        end_s = end.timestamp()
        self._ensure_minutes(end_s, end_s)
        held = self._minutes.count_before(symbol, end_s)
        if held < count and self._minutes.covered_from is not None:
            sessions = self._cal.sessions_ending(self._cal.local_date(end), math.ceil(count / 390) + 1)
            back = int(sessions[0].open.timestamp())
            if back < self._minutes.covered_from:
                self._fetch_minutes(back, self._minutes.covered_from)
        return self._minutes.last(symbol, end_s, count)

    def daily_history(self, symbol: str, end: date, count: int) -> BarSeries:
        self._known(symbol)
        if count <= 0:
            return self._daily.series(symbol, [], {})
        sessions = self._cal.sessions_ending(end - timedelta(days=1), count)
        now = self._clock.now()
        if sessions and sessions[-1].close > now:
            raise LookAheadError(
                f"{_SOURCE}: daily_history up to {end} needs a session still open at {now.isoformat()}"
            )
        missing = [s for s in sessions if s.day not in self._daily.days]
        if missing:
            self._fetch_daily(missing[0].day, missing[-1].close)
            self._daily.days.update(s.day for s in missing)
        return self._daily.series(
            symbol, [s.day for s in sessions], {s.day: int(s.open.timestamp()) for s in sessions}
        )

    def chain(self, symbol: str, *, min_dte: int = 0, max_dte: int = 60) -> ChainSnapshot:
        self._known(symbol)
        today = self._cal.local_date(self._clock.now())
        entry = self._chains.entry(symbol, today + timedelta(days=max_dte))
        snap = entry.parsed.snapshot
        days = (snap.expiry - np.datetime64(today, "D")).astype(np.int64)
        return snap.select((days >= min_dte) & (days <= max_dte))

    def quote(self, contract: OptionContract) -> Quote | None:
        if contract.underlying not in self._by_symbol:
            return None
        entry = self._chains.entry(contract.underlying, contract.expiry, float(contract.strike))
        i = entry.parsed.snapshot.find(contract)
        return None if i is None else entry.parsed.snapshot.quote(i)

    def greeks(self, contract: OptionContract) -> Mapping[str, float] | None:
        """Alpaca's IV and Greeks of a contract in the cached chain (refreshed as `quote` does)."""
        if contract.underlying not in self._by_symbol:
            return None
        entry = self._chains.entry(contract.underlying, contract.expiry, float(contract.strike))
        i = entry.parsed.snapshot.find(contract)
        if i is None:
            return None
        return {"iv": float(entry.parsed.iv[i])} | {g: float(a[i]) for g, a in entry.parsed.greeks.items()}

    def spot(self, symbol: str) -> float:
        self._known(symbol)
        now_s = self._clock.now().timestamp()
        self._ensure_minutes(now_s, now_s)
        close = self._minutes.last_close(symbol, now_s)
        if close is None:
            raise DataError(f"no minute bar of {symbol} since {_utc(self._minutes.covered_from or now_s)}")
        return close

    def risk_free_rate(self, day: date, tenor_days: int) -> float:
        if day > self._cal.local_date(self._clock.now()):
            raise LookAheadError(f"{_SOURCE}: risk_free_rate asked for {day}, after the clock's day")
        return self._rate

    def dividend_yield(self, symbol: str) -> float:
        self._known(symbol)
        return self._dividends.get(symbol, 0.0)

    def news_between(self, start: datetime, end: datetime) -> Sequence[NewsItem]:
        self._not_after_clock(end, "news_between")
        span = self._news_span
        if span is None:
            self._fetch_news(start, end)
            self._news_span = (start, end)
        else:
            if start < span[0]:
                self._fetch_news(start, span[0])
            if end > span[1]:
                self._fetch_news(span[1], end)
            self._news_span = (min(start, span[0]), max(end, span[1]))
        return [n for n in self._news_items if start <= n.ts < end]

    def volatility_index(self, day: date) -> float | None:
        """Alpaca serves no index values (VIX is not a tradeable symbol there)."""
        return None

    def split_ratio(self, symbol: str, day: date) -> float:
        """Bars are split-adjusted by Alpaca; a split is not looked up (see the module's note)."""
        self._known(symbol)
        return 1.0

    def atm_iv_history(self, symbol: str, end: date, count: int) -> np.ndarray:
        self._known(symbol)
        now = self._clock.now()
        before = self._cal.sessions_ending(end - timedelta(days=1), 1)
        if before and before[-1].close > now:
            raise LookAheadError(
                f"{_SOURCE}: atm_iv_history up to {end} needs a session still open at {now.isoformat()}"
            )
        return self._iv.history(symbol, end, count)

    def stats(self) -> Mapping[str, Any]:
        return {"calls": dict(self.requests.calls), "retried_429": self.requests.retried_429} | {
            "skipped": dict(self.skipped)
        }

    # -- minute bars ------------------------------------------------------------------------------

    def _ensure_minutes(self, start_s: float, end_s: float) -> None:
        """Hold every bar whose start is in [start_s, end_s) and that ended by then."""
        today = self._cal.local_date(self._clock.now())
        if today != self._minutes_day:
            # Split-adjusted history may change overnight: a new session starts from a fresh fetch.
            self._minutes.clear()
            self._minutes_day = today
        need = int(end_s // 60) * 60
        lo, hi = self._minutes.covered_from, self._minutes.covered_to
        if lo is None or hi is None:
            first = self._cal.sessions_ending(self._cal.previous_session(today), 1)[0].open
            self._fetch_minutes(min(int(start_s // 60) * 60, int(first.timestamp())), need)
            return
        if start_s < lo:
            self._fetch_minutes(int(start_s // 60) * 60, lo)
        if need > hi:
            self._fetch_minutes(max(hi - _OVERLAP_S, lo), need)

    def _fetch_minutes(self, start_s: int, end_s: int) -> None:
        if end_s <= start_s:
            return
        request = StockBarsRequest(
            symbol_or_symbols=list(self._symbols),
            timeframe=TimeFrame.Minute,
            start=_utc(start_s),
            end=_utc(end_s),
            adjustment=Adjustment.SPLIT,
            feed=self._stock_feed,
        )
        raw = self.requests.call(EP_BARS, lambda: self._stocks.get_stock_bars(request))
        for symbol, t, bar in read_bars(raw, self.skipped):
            # Alpaca's `end` is inclusive: the minute starting at `end_s` is not complete yet.
            if start_s <= t and t + 60 <= end_s:
                self._minutes.add(symbol, t, bar)
        self._minutes.cover(start_s, end_s)

    def _fetch_daily(self, first: date, last_close: datetime) -> None:
        start = datetime.combine(first, time(0), self._cal.zone).astimezone(UTC)
        request = StockBarsRequest(
            symbol_or_symbols=list(self._symbols),
            timeframe=TimeFrame.Day,
            start=start,
            end=last_close,
            adjustment=Adjustment.SPLIT,
            feed=self._stock_feed,
        )
        raw = self.requests.call(EP_BARS, lambda: self._stocks.get_stock_bars(request))
        for symbol, t, bar in read_bars(raw, self.skipped):
            self._daily.add(symbol, self._cal.local_date(_utc(t)), bar)

    # -- news and checks ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the SDK clients' HTTP sessions."""
        for client in (self._stocks, self._news, *self._chains.clients()):
            client._session.close()

    def _fetch_news(self, start: datetime, end: datetime) -> None:
        if end <= start:
            return
        request = NewsRequest(
            symbols=",".join(self._symbols), start=start, end=end, sort="asc", include_content=False
        )
        raw = self.requests.call(EP_NEWS, lambda: self._news.get_news(request))
        seen = {n.id for n in self._news_items}
        for item in read_news(raw, self.skipped):
            # Alpaca's `end` is inclusive; the port's is not.
            if start <= item.ts < end and item.id not in seen:
                self._news_items.append(item)
                seen.add(item.id)
        self._news_items.sort(key=lambda n: (n.ts, n.id))

    def _known(self, symbol: str) -> None:
        if symbol not in self._by_symbol:
            raise DataError(f"unknown symbol {symbol!r}; watched: {list(self._symbols)}", source=_SOURCE)

    def _not_after_clock(self, t: datetime, what: str) -> None:
        now = self._clock.now()
        if t > now:
            raise LookAheadError(
                f"{_SOURCE}: {what} asked about {t.isoformat()}, after the clock {now.isoformat()}"
            )
