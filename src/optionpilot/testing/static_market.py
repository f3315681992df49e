"""A small in-memory `MarketData` for tests: set spots and quotes as the clock moves, read them back.

Every value is stamped when it is set (the clock's time, or an explicit time, so a test can script
a path ahead) and is seen only once the clock has reached its stamp. A spot set at t is the close
of the minute bar ending at t. Asking about a time after the clock raises LookAheadError, as every
MarketData must.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Generic, TypeVar

import numpy as np

from optionpilot.core.calendars import Market, TradingCalendar, calendar_for
from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.core.money import to_decimal
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, Underlying
from optionpilot.domain.market import BAR_LENGTH, Bar, BarSeries, NewsItem, Quote

Number = Decimal | str | int | float
T = TypeVar("T")


class _Timeline(Generic[T]):
    """Values of one thing in time order; `at(t)` is the latest stamped at or before t."""

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.values: list[T] = []

    def add(self, t: datetime, value: T) -> None:
        if self.times and t < self.times[-1]:
            raise ValueError(
                f"value stamped {t.isoformat()} before the last one {self.times[-1].isoformat()}"
            )
        if self.times and t == self.times[-1]:
            self.values[-1] = value
            return
        self.times.append(t)
        self.values.append(value)

    def at(self, t: datetime) -> T | None:
        i = bisect.bisect_right(self.times, t)
        return self.values[i - 1] if i else None

    def upto(self, t: datetime) -> int:
        return bisect.bisect_right(self.times, t)


class StaticMarket:
    """A `MarketData` whose prices the test sets. Quotes of unset contracts are None (not listed)."""

    def __init__(
        self,
        clock: Clock,
        underlyings: Sequence[Underlying],
        *,
        market: Market = Market.US,
        rate: float = 0.0,
        dividend_yields: dict[str, float] | None = None,
    ) -> None:
        self._clock = clock
        self._underlyings = list(underlyings)
        self._by_symbol = {u.symbol: u for u in underlyings}
        self._calendar = calendar_for(market)
        self._rate = rate
        self._dividends = dict(dividend_yields or {})
        self._spots: dict[str, _Timeline[float]] = {u.symbol: _Timeline() for u in underlyings}
        self._quotes: dict[str, _Timeline[Quote | None]] = {}
        self._contracts: dict[str, OptionContract] = {}
        self._news: list[NewsItem] = []
        self._atm_iv: dict[str, dict[date, float]] = {}
        self._splits: dict[tuple[str, date], float] = {}
        self._vix: dict[date, float] = {}

    # ------------------------------------------------------------------------------ setters

    def set_spot(self, symbol: str, price: float, *, ts: datetime | None = None) -> None:
        self._line(symbol).add(self._stamp(ts), float(price))

    def set_quote(
        self,
        contract: OptionContract,
        bid: Number,
        ask: Number,
        *,
        bid_size: int = 10,
        ask_size: int = 10,
        ts: datetime | None = None,
    ) -> Quote:
        if contract.underlying not in self._by_symbol:
            raise DataError(
                f"quote for {contract.key}: underlying {contract.underlying} is not in this market"
            )
        t = self._stamp(ts)
        q = Quote(to_decimal(bid, what="bid"), to_decimal(ask, what="ask"), bid_size, ask_size, t)
        self._contracts[contract.key] = contract
        self._quotes.setdefault(contract.key, _Timeline()).add(t, q)
        return q

    def delist(self, contract: OptionContract, *, ts: datetime | None = None) -> None:
        """From now on the contract has no quote at all."""
        self._quotes.setdefault(contract.key, _Timeline()).add(self._stamp(ts), None)

    def add_news(self, item: NewsItem) -> None:
        self._news.append(item)
        self._news.sort(key=lambda n: n.ts)

    def set_atm_iv(self, symbol: str, day: date, iv: float) -> None:
        self._atm_iv.setdefault(symbol, {})[day] = iv

    # -------------------------------------------------------------------------- MarketData

    @property
    def calendar(self) -> TradingCalendar:
        return self._calendar

    def underlyings(self) -> Sequence[Underlying]:
        return list(self._underlyings)

    def sessions(self) -> Sequence[date]:
        days = {self._calendar.local_date(t) for line in self._spots.values() for t in line.times}
        return sorted(d for d in days if self._calendar.is_session(d))

    def bars_between(self, start: datetime, end: datetime) -> Sequence[Bar]:
        self._not_after_clock(end, "bars_between")
        out: list[Bar] = []
        for symbol, line in self._spots.items():
            for t, price in zip(line.times, line.values, strict=True):
                bar_start = t - BAR_LENGTH
                if start <= bar_start < end and t <= end:
                    out.append(Bar(symbol, bar_start, price, price, price, price, 0.0))
        out.sort(key=lambda b: (b.start, b.symbol))
        return out

    def history(self, symbol: str, end: datetime, count: int) -> BarSeries:
        self._not_after_clock(end, "history")
        line = self._line(symbol)
        n = line.upto(end)
        times = line.times[max(0, n - count) : n]
        prices = np.asarray(line.values[max(0, n - count) : n], dtype=np.float64)
        starts = np.asarray([int((t - BAR_LENGTH).timestamp()) for t in times], dtype=np.int64)
        return BarSeries(
            symbol, starts, prices, prices.copy(), prices.copy(), prices.copy(), np.zeros_like(prices)
        )

    def daily_history(self, symbol: str, end: date, count: int) -> BarSeries:
        if end > self._calendar.local_date(self._clock.now()) + timedelta(days=1):
            raise LookAheadError(f"daily_history of {symbol} to {end.isoformat()} is after the clock")
        line = self._line(symbol)
        by_day: dict[date, list[float]] = {}
        for t, price in zip(line.times, line.values, strict=True):
            day = self._calendar.local_date(t)
            if day < end and t <= self._clock.now():
                by_day.setdefault(day, []).append(price)
        days = sorted(by_day)[-count:]
        opens = np.asarray([by_day[d][0] for d in days], dtype=np.float64)
        return BarSeries(
            symbol,
            np.asarray(
                [int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) for d in days], dtype=np.int64
            ),
            opens,
            np.asarray([max(by_day[d]) for d in days], dtype=np.float64),
            np.asarray([min(by_day[d]) for d in days], dtype=np.float64),
            np.asarray([by_day[d][-1] for d in days], dtype=np.float64),
            np.zeros(len(days), dtype=np.float64),
        )

    def chain(self, symbol: str, *, min_dte: int = 0, max_dte: int = 60) -> ChainSnapshot:
        now = self._clock.now()
        today = self._calendar.local_date(now)
        under = self._by_symbol.get(symbol)
        if under is None:
            raise DataError(f"chain of {symbol}: not an underlying of this market")
        rows: list[tuple[OptionContract, Quote]] = []
        for key in sorted(self._contracts):
            c = self._contracts[key]
            q = self._quotes[key].at(now)
            if c.underlying == symbol and q is not None and min_dte <= c.days_to_expiry(today) <= max_dte:
                rows.append((c, q))
        return ChainSnapshot(
            underlying=under,
            ts=now,
            spot=self.spot(symbol),
            expiry=np.asarray([c.expiry for c, _ in rows], dtype="datetime64[D]"),
            strike=np.asarray([float(c.strike) for c, _ in rows], dtype=np.float64),
            is_call=np.asarray([c.is_call for c, _ in rows], dtype=bool),
            bid=np.asarray([float(q.bid) for _, q in rows], dtype=np.float64),
            ask=np.asarray([float(q.ask) for _, q in rows], dtype=np.float64),
            bid_size=np.asarray([q.bid_size for _, q in rows], dtype=np.int64),
            ask_size=np.asarray([q.ask_size for _, q in rows], dtype=np.int64),
            volume=np.zeros(len(rows), dtype=np.int64),
            open_interest=np.zeros(len(rows), dtype=np.int64),
            quote_ts=np.asarray([int(q.ts.timestamp()) for _, q in rows], dtype=np.int64),
        )

    def set_volatility_index(self, day: date, value: float) -> None:
        self._vix[day] = value

    def volatility_index(self, day: date) -> float | None:
        return self._vix.get(day)

    def set_split(self, symbol: str, day: date, ratio: float) -> None:
        self._splits[(symbol, day)] = ratio

    def split_ratio(self, symbol: str, day: date) -> float:
        return self._splits.get((symbol, day), 1.0)

    def quote(self, contract: OptionContract) -> Quote | None:
        line = self._quotes.get(contract.key)
        return None if line is None else line.at(self._clock.now())

    def spot(self, symbol: str) -> float:
        price = self._line(symbol).at(self._clock.now())
        if price is None:
            raise DataError(
                f"no spot of {symbol} at or before {self._clock.now().isoformat()}", source="StaticMarket"
            )
        return price

    def risk_free_rate(self, day: date, tenor_days: int) -> float:
        return self._rate

    def dividend_yield(self, symbol: str) -> float:
        return self._dividends.get(symbol, 0.0)

    def news_between(self, start: datetime, end: datetime) -> Sequence[NewsItem]:
        self._not_after_clock(end, "news_between")
        return [n for n in self._news if start <= n.ts < end]

    def atm_iv_history(self, symbol: str, end: date, count: int) -> np.ndarray:
        series = self._atm_iv.get(symbol, {})
        days = sorted(d for d in series if d < end)[-count:]
        return np.asarray([series[d] for d in days], dtype=np.float64)

    # ------------------------------------------------------------------------------ inside

    def _line(self, symbol: str) -> _Timeline[float]:
        line = self._spots.get(symbol)
        if line is None:
            raise DataError(f"{symbol} is not an underlying of this market", source="StaticMarket")
        return line

    def _stamp(self, ts: datetime | None) -> datetime:
        now = self._clock.now()
        if ts is None:
            return now
        if ts.tzinfo is None:
            raise ValueError(f"naive time {ts.isoformat()}; give an aware UTC time")
        return ts.astimezone(UTC)

    def _not_after_clock(self, t: datetime, what: str) -> None:
        now = self._clock.now()
        if t > now:
            raise LookAheadError(f"{what} asked about {t.isoformat()}, after the clock {now.isoformat()}")
