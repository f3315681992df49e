"""The market simulator: a `MarketData` over simulated underlyings, chains and news, as of the clock.

Paths are made a session at a time for all symbols, when first needed; chains are priced only for the
requested expiries and strikes near the money, once per (symbol, minute). State at clock time t is the
last bar whose end is at or before t; anything asked about a later time raises LookAheadError.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from optionpilot.adapters.sim.listings import OptionListings
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.adapters.sim.market_sessions import MarketSessions
from optionpilot.adapters.sim.option_chains import ChainIndex, ChainPricer
from optionpilot.adapters.sim.paths import (
    DailyPath,
    daily_path,
    round_to,
)
from optionpilot.adapters.sim.quotes import MarketState
from optionpilot.adapters.sim.scenario_effects import scenario_config
from optionpilot.adapters.sim.surface import atm_iv_30d
from optionpilot.core.calendars import TradingCalendar, calendar_for
from optionpilot.core.clock import Clock
from optionpilot.core.errors import ConfigError, DataError, LookAheadError
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, Underlying
from optionpilot.domain.market import Bar, BarSeries, NewsItem, Quote

YEAR_SECONDS = 365.0 * 86400.0
_SOURCE = "sim market"


@dataclass(frozen=True, slots=True)
class _State:
    """The last complete bar at some clock time: minute session `session`, bar `bar` (-1, -1 before any)."""

    session: int
    bar: int
    ts_s: int
    today: date
    ts: datetime


class SimulatedMarket:
    def __init__(self, config: SimMarketConfig, clock: Clock, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"sim market seed must be a non-negative integer, got {seed!r}")
        config = scenario_config(config)
        self._cfg = config
        self._clock = clock
        self._seed = seed
        self._cal = calendar_for(config.market)
        total = config.history_sessions + config.warmup_sessions + config.sessions
        every = self._cal.sessions_ending(config.end, total)
        if len(every) < total:
            raise ConfigError(f"sim market: the calendar has only {len(every)} sessions up to {config.end}")
        daily, minute = every[: config.history_sessions], every[config.history_sessions :]
        self._profiles = config.profiles
        self._rows = {p.symbol: i for i, p in enumerate(self._profiles)}
        self._underlyings = tuple(
            Underlying(
                symbol=p.symbol,
                market=p.market,
                asset_class=p.asset_class,
                currency=p.currency,
                tick=p.tick,
                option_multiplier=p.option_multiplier,
                option_style=p.option_style,
                option_settlement=p.option_settlement,
                option_tick=p.option_tick,
            )
            for p in self._profiles
        )
        self._daily_days = [s.day for s in daily]
        self._daily_open_s = np.array([int(s.open.timestamp()) for s in daily], dtype=np.int64)
        self._daily_close_s = [int(s.close.timestamp()) for s in daily]
        self._days = [s.day for s in minute]
        self._open_s = [int(s.open.timestamp()) for s in minute]
        self._close_s = [int(s.close.timestamp()) for s in minute]
        self._minutes = [s.minutes for s in minute]
        self._cum: list[int] = [0, *(int(c) for c in np.cumsum(self._minutes))]
        regular = max(minute, key=lambda s: s.minutes)
        self._regular_close = regular.close.astimezone(self._cal.zone).timetz()
        self._replay = tuple(self._days[config.warmup_sessions :])

        self._daily: list[DailyPath] = [
            daily_path(p, config.paths, seed, config.history_sessions) for p in self._profiles
        ]
        ticks = np.array([float(p.tick) for p in self._profiles])
        self._pre_close = round_to(np.array([p.spot for p in self._profiles]), ticks)
        self._pre_log_vol = np.array([d.end_log_vol for d in self._daily])
        self._pre_ts_s = self._daily_close_s[-1] if daily else self._open_s[0]

        self._sessions = MarketSessions(
            config,
            seed,
            self._rows,
            days=self._days,
            open_s=self._open_s,
            minutes=self._minutes,
            pre_close=self._pre_close,
            pre_log_vol=self._pre_log_vol,
        )
        self._pricer = ChainPricer(config, seed, self._cal, self._underlyings, self._regular_close)
        self._listings = OptionListings(self._profiles, self._cal, self._sessions.previous_close)
        self._now: datetime | None = None
        self._state = _State(-1, -1, self._pre_ts_s, date.min, datetime.fromtimestamp(self._pre_ts_s, UTC))
        self._market_states: dict[int, MarketState] = {}
        self._chains: dict[tuple[int, int, int], tuple[ChainSnapshot, ChainIndex]] = {}
        self._quotes: dict[OptionContract, Quote | None] = {}

    # -- the port ---------------------------------------------------------------------------------

    @property
    def calendar(self) -> TradingCalendar:
        return self._cal

    @property
    def config(self) -> SimMarketConfig:
        return self._cfg

    def underlyings(self) -> Sequence[Underlying]:
        return self._underlyings

    def sessions(self) -> Sequence[date]:
        return self._replay

    def bars_between(self, start: datetime, end: datetime) -> Sequence[Bar]:
        self._not_after_clock(end, "bars_between")
        s, e = start.timestamp(), end.timestamp()
        out: list[Bar] = []
        i = bisect.bisect_right(self._close_s, s)
        while i < len(self._open_s) and self._open_s[i] < e:
            open_s = self._open_s[i]
            lo = max(math.ceil((s - open_s) / 60.0), 0)
            hi = min(math.floor((e - open_s) / 60.0), self._minutes[i])
            if lo < hi:
                bars = self._sessions.bars(i)
                for m in range(lo, hi):
                    out.extend(bars[m])
            i += 1
        return out

    def history(self, symbol: str, end: datetime, count: int) -> BarSeries:
        row = self._row(symbol)
        self._not_after_clock(end, "history")
        stop = self._complete_bars(end.timestamp())
        begin = max(stop - max(count, 0), 0)
        parts: list[tuple[int, int, int]] = []
        i = bisect.bisect_right(self._cum, begin) - 1
        while i < len(self._minutes) and self._cum[i] < stop:
            lo = max(begin - self._cum[i], 0)
            hi = min(stop - self._cum[i], self._minutes[i])
            if lo < hi:
                parts.append((i, lo, hi))
            i += 1
        if not parts:
            empty = np.zeros(0)
            return BarSeries(symbol, np.zeros(0, dtype=np.int64), empty, empty, empty, empty, empty)
        paths = [(self._sessions.paths(i), i, lo, hi) for i, lo, hi in parts]

        def cat(field: str) -> np.ndarray:
            return np.concatenate([getattr(p, field)[row, lo:hi] for p, _, lo, hi in paths])

        starts = np.concatenate([self._sessions.starts(i)[lo:hi] for _, i, lo, hi in paths])
        return BarSeries(symbol, starts, cat("open"), cat("high"), cat("low"), cat("close"), cat("volume"))

    def daily_history(self, symbol: str, end: date, count: int) -> BarSeries:
        row = self._row(symbol)
        n_daily, n_minute = self._sessions_before(end, "daily_history")
        take = max(count, 0)
        from_minute = min(take, n_minute)
        from_daily = min(take - from_minute, n_daily)
        d = self._daily[row]
        sl = slice(n_daily - from_daily, n_daily)
        idx = range(n_minute - from_minute, n_minute)
        agg = [self._sessions.paths(i) for i in idx]
        return BarSeries(
            symbol,
            np.concatenate(
                [self._daily_open_s[sl], np.array([self._open_s[i] for i in idx], dtype=np.int64)]
            ),
            np.concatenate([d.open[sl], [p.open[row, 0] for p in agg]]),
            np.concatenate([d.high[sl], [p.high[row].max() for p in agg]]),
            np.concatenate([d.low[sl], [p.low[row].min() for p in agg]]),
            np.concatenate([d.close[sl], [p.close[row, -1] for p in agg]]),
            np.concatenate([d.volume[sl], [p.volume[row].sum() for p in agg]]),
        )

    def volatility_index(self, day: date) -> float | None:
        symbol = self._cfg.volatility_index_symbol
        if symbol is None or symbol not in {p.symbol for p in self._cfg.profiles}:
            return None
        history = self.atm_iv_history(symbol, day + timedelta(days=1), 1)
        return float(history[-1]) * 100.0 if history.size else None

    def split_ratio(self, symbol: str, day: date) -> float:
        """The simulated underlyings never split."""
        self._row(symbol)
        return 1.0

    def atm_iv_history(self, symbol: str, end: date, count: int) -> np.ndarray:
        row = self._row(symbol)
        n_daily, n_minute = self._sessions_before(end, "atm_iv_history")
        take = max(count, 0)
        from_minute = min(take, n_minute)
        from_daily = min(take - from_minute, n_daily)
        sigma = np.concatenate(
            [
                self._daily[row].sigma[n_daily - from_daily : n_daily],
                [self._sessions.paths(i).sigma[row, -1] for i in range(n_minute - from_minute, n_minute)],
            ]
        )
        return atm_iv_30d(sigma, self._profiles[row], self._cfg.surface)

    def spot(self, symbol: str) -> float:
        row = self._row(symbol)
        return self._spot(row, self._current())

    def risk_free_rate(self, day: date, tenor_days: int) -> float:
        if day > self._current().today:
            raise LookAheadError(f"{_SOURCE}: risk_free_rate asked for {day}, after the clock's day")
        return self._pricer.rate(tenor_days)

    def dividend_yield(self, symbol: str) -> float:
        return self._profiles[self._row(symbol)].dividend_yield

    def news_between(self, start: datetime, end: datetime) -> Sequence[NewsItem]:
        self._not_after_clock(end, "news_between")
        s, e = start.timestamp(), end.timestamp()
        lead = self._cfg.news.pre_open_minutes * 60
        out: list[NewsItem] = []
        i = bisect.bisect_right(self._close_s, s)
        while i < len(self._open_s) and self._open_s[i] - lead < e:
            out.extend(n.item for n in self._sessions.news(i) if start <= n.item.ts < end)
            i += 1
        return out

    def news_tone(self, news_id: str) -> float | None:
        """The hidden tone of a simulated item already published, for analysis and tests."""
        return self._sessions.tone(news_id)

    def chain(self, symbol: str, *, min_dte: int = 0, max_dte: int = 60) -> ChainSnapshot:
        row = self._row(symbol)
        state = self._current()
        cached = self._chains.get((row, min_dte, max_dte))
        if cached is not None:
            return cached[0]
        # A halted underlying's chain lists nothing: no quote exists to price it from.
        snap, index = self._price_chain(row, state, min_dte, max_dte, halted=self._halted(row, state))
        self._chains[(row, min_dte, max_dte)] = (snap, index)
        return snap

    def quote(self, contract: OptionContract) -> Quote | None:
        row = self._rows.get(contract.underlying)
        if row is None:
            return None
        state = self._current()
        if self._halted(row, state):
            return None
        if contract in self._quotes:
            return self._quotes[contract]
        quote = self._quote_from_chains(row, contract)
        if quote is None and self._listings.is_listed(row, state.today, contract):
            quote = self._price_one(row, state, contract)
        self._quotes[contract] = quote
        return quote

    # -- time and state ---------------------------------------------------------------------------

    def _not_after_clock(self, t: datetime, what: str) -> None:
        now = self._clock.now()
        if t > now:
            raise LookAheadError(
                f"{_SOURCE}: {what} asked about {t.isoformat()}, after the clock {now.isoformat()}"
            )

    def _current(self) -> _State:
        now = self._clock.now()
        if now == self._now:
            return self._state
        t = now.timestamp()
        i = bisect.bisect_right(self._open_s, t) - 1
        bar = -1
        if i >= 0:
            done = min(int((t - self._open_s[i]) // 60), self._minutes[i])
            if done > 0:
                bar = done - 1
            else:
                i -= 1
                bar = self._minutes[i] - 1 if i >= 0 else -1
        ts_s = self._open_s[i] + 60 * (bar + 1) if i >= 0 else self._pre_ts_s
        state = _State(i, bar, ts_s, self._cal.local_date(now), datetime.fromtimestamp(ts_s, UTC))
        if (state.session, state.bar, state.today) != (
            self._state.session,
            self._state.bar,
            self._state.today,
        ):
            self._chains.clear()
            self._quotes.clear()
            self._market_states.clear()
        self._now, self._state = now, state
        return state

    def _complete_bars(self, t: float) -> int:
        """How many minute bars (over all minute sessions) have ended by `t`."""
        i = bisect.bisect_right(self._open_s, t) - 1
        if i < 0:
            return 0
        return self._cum[i] + min(max(int((t - self._open_s[i]) // 60), 0), self._minutes[i])

    def _sessions_before(self, end: date, what: str) -> tuple[int, int]:
        """Daily-history and minute sessions before `end`, refusing if the last is not complete."""
        n_daily = bisect.bisect_left(self._daily_days, end)
        n_minute = bisect.bisect_left(self._days, end)
        if n_minute:
            last_close = self._close_s[n_minute - 1]
        elif n_daily:
            last_close = self._daily_close_s[n_daily - 1]
        else:
            return 0, 0
        now = self._clock.now()
        if last_close > now.timestamp():
            raise LookAheadError(
                f"{_SOURCE}: {what} up to {end} needs a session still open or to come at {now.isoformat()}"
            )
        return n_daily, n_minute

    def _row(self, symbol: str) -> int:
        row = self._rows.get(symbol)
        if row is None:
            raise DataError(f"unknown symbol {symbol!r}; simulated: {sorted(self._rows)}", source=_SOURCE)
        return row

    def _spot(self, row: int, state: _State) -> float:
        if state.session < 0:
            return float(self._pre_close[row])
        return float(self._sessions.paths(state.session).close[row, state.bar])

    def _sigma(self, row: int, state: _State) -> float:
        if state.session < 0:
            return float(np.exp(self._pre_log_vol[row]))
        return float(self._sessions.paths(state.session).sigma[row, state.bar])

    # -- listings and quotes ----------------------------------------------------------------------------

    def _market_state(self, row: int, state: _State) -> MarketState:
        found = self._market_states.get(row)
        if found is None:
            found = self._make_market_state(row, state)
            self._market_states[row] = found
        return found

    def _make_market_state(self, row: int, state: _State) -> MarketState:
        same_day = state.session >= 0 and self._days[state.session] == state.today
        share = (
            float(self._sessions.paths(state.session).cum_volume_share[row, state.bar]) if same_day else 0.0
        )
        return MarketState(
            spot=self._spot(row, state),
            sigma=self._sigma(row, state),
            reference=self._listings.ladder(row, state.today).reference,
            volume_share=share,
            minute_salt=state.ts_s // 60,
            day_salt=state.today.toordinal(),
        )

    def halted(self, symbol: str) -> bool:
        """Whether `symbol` is in a trading halt at the clock (its last bar traded nothing)."""
        return self._halted(self._row(symbol), self._current())

    def _halted(self, row: int, state: _State) -> bool:
        halt = self._sessions.halt
        return halt is not None and halt.covers(state.session, state.bar, row)

    def _price_chain(
        self, row: int, state: _State, min_dte: int, max_dte: int, *, halted: bool = False
    ) -> tuple[ChainSnapshot, ChainIndex]:
        market = self._market_state(row, state)
        ladder = self._listings.ladder(row, state.today)
        expiries = [] if halted else self._listings.expiries(row, state.today)
        at = (state.ts_s, state.today, state.ts)
        return self._pricer.price_chain(row, market, ladder, expiries, at, self._quotes, min_dte, max_dte)

    def _quote_from_chains(self, row: int, contract: OptionContract) -> Quote | None:
        for (r, _, _), (snap, index) in self._chains.items():
            if r != row:
                continue
            i = index.row(contract)
            if i is not None:
                return snap.quote(i)
        return None

    def _price_one(self, row: int, state: _State, contract: OptionContract) -> Quote:
        market = self._market_state(row, state)
        return self._pricer.price_one(row, market, contract, (state.ts_s, state.today, state.ts))
