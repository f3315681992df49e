"""`StoreMarket`: the `MarketData` port over a `DataStore`, as of an injected clock (see the package)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np

from optionpilot.adapters.files.corporate_actions import Split, adjustment
from optionpilot.adapters.files.formats import Kind
from optionpilot.adapters.files.replay import arrays as ra
from optionpilot.adapters.files.replay import reading
from optionpilot.adapters.files.replay.config import ReplayConfig, underlying_for
from optionpilot.adapters.files.store import DataStore
from optionpilot.adapters.files.treasury_rates import TreasuryCurves, curves_from_table
from optionpilot.core.calendars import Market, TradingCalendar, calendar_for
from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.core.money import to_tick
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, Underlying
from optionpilot.domain.market import Bar, BarSeries, NewsItem, Quote

log = logging.getLogger("optionpilot.adapters.files.replay")


class StoreMarket:
    """The `MarketData` port over a `DataStore`, as of an injected clock."""

    def __init__(
        self,
        store: DataStore,
        clock: Clock,
        symbols: Sequence[str],
        *,
        market: Market = Market.US,
        sessions: Sequence[date] = (),
        config: ReplayConfig | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._cfg = config or ReplayConfig()
        self._market = market
        self._cal = calendar_for(market)
        self._symbols = list(symbols)
        self._underlyings = tuple(self._underlying(s) for s in self._symbols)
        self._by_symbol = {u.symbol: u for u in self._underlyings}
        self._sessions = tuple(sessions)
        self._chain_days: dict[tuple[str, str], ra.ChainDay | None] = {}
        self._minute: dict[tuple[str, str], ra.Bars | None] = {}
        self._daily: dict[str, ra.Bars | None] = {}
        self._splits: dict[str, list[Split]] = {}
        self._curves: TreasuryCurves | None = None
        self._curves_loaded = False
        self._iv: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._oi: dict[tuple[str, str], dict[int, float]] = {}
        self._trades: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._snap_cache: dict[tuple[str, int, int, int], ChainSnapshot] = {}
        self.notes: list[str] = []
        self._rate_fallback_noted = False

    # -- the port -----------------------------------------------------------------------------------

    @property
    def calendar(self) -> TradingCalendar:
        return self._cal

    def underlyings(self) -> Sequence[Underlying]:
        return self._underlyings

    def sessions(self) -> Sequence[date]:
        return self._sessions

    def bars_between(self, start: datetime, end: datetime) -> Sequence[Bar]:
        self._not_after_clock(end, "bars_between")
        s, e = int(start.timestamp()), int(end.timestamp())
        out: list[Bar] = []
        for symbol in self._symbols:
            for day in self._local_days(start, end):
                bars = self._minute_bars(symbol, day)
                if bars is None:
                    daily = self._daily_bars(symbol)
                    if daily is None:
                        continue
                    bars = ra.select_bars(daily, daily.day == np.datetime64(day, "D"))
                ends = bars.start_s + bars.length_s
                for i in np.flatnonzero((bars.start_s >= s) & (bars.start_s < e) & (ends <= e)):
                    out.append(
                        Bar(
                            symbol,
                            datetime.fromtimestamp(int(bars.start_s[i]), UTC),
                            float(bars.open[i]),
                            float(bars.high[i]),
                            float(bars.low[i]),
                            float(bars.close[i]),
                            float(bars.volume[i]),
                            timedelta(seconds=int(bars.length_s[i])),
                        )
                    )
        out.sort(key=lambda b: (b.start, b.symbol))
        return out

    def history(self, symbol: str, end: datetime, count: int) -> BarSeries:
        self._not_after_clock(end, "history")
        self._require(symbol)
        e = int(end.timestamp())
        parts: list[ra.Bars] = []
        have = 0
        day = self._cal.local_date(end)
        for _ in range(self._cfg.history_lookback_days):
            bars = self._minute_bars(symbol, day)
            if bars is not None:
                sel = ra.select_bars(bars, bars.start_s + bars.length_s <= e)
                parts.append(sel)
                have += sel.start_s.size
                if have >= count:
                    break
            day -= timedelta(days=1)
        if not parts:
            return ra.bar_series(symbol, None)
        allb = ra.concat_bars(parts[::-1])
        n = allb.start_s.size
        return self._adjusted(symbol, ra.select_bars(allb, np.arange(n) >= n - max(count, 0)))

    def daily_history(self, symbol: str, end: date, count: int) -> BarSeries:
        self._require(symbol)
        now = self._clock.now()
        if end > self._cal.local_date(now) + timedelta(days=1):
            raise LookAheadError(f"store: daily_history up to {end} asked at {now.isoformat()}")
        daily = self._daily_bars(symbol)
        if daily is None:
            return ra.bar_series(symbol, None)
        done = (daily.day < np.datetime64(end, "D")) & (daily.start_s + daily.length_s <= now.timestamp())
        sel = ra.select_bars(daily, done)
        n = sel.start_s.size
        return self._adjusted(symbol, ra.select_bars(sel, np.arange(n) >= n - max(count, 0)))

    def chain(self, symbol: str, *, min_dte: int = 0, max_dte: int = 60) -> ChainSnapshot:
        u = self._require(symbol)
        t = int(self._clock.now().timestamp())
        cache_key = (symbol, t, min_dte, max_dte)
        found = self._snap_cache.get(cache_key)
        if found is not None:
            return found
        located = self._latest_chain_day(symbol, t)
        today = self._cal.local_date(self._clock.now())
        if located is None:
            snap = ra.empty_chain(u, self._clock.now(), self.spot(symbol))
        else:
            day_key, cd = located
            rows = cd.latest(t)
            dte = (cd.expiry - np.datetime64(today, "D")).astype(np.int64)
            ok = (rows >= 0) & (dte >= min_dte) & (dte <= max_dte) & (cd.expiry_s > t)
            idx = np.flatnonzero(ok)
            r = rows[idx]
            volume, oi = self._volume_oi(symbol, day_key, cd, idx, r, t)
            size = float(self._cfg.assumed_quote_size)
            snap = ChainSnapshot(
                underlying=u,
                ts=datetime.fromtimestamp(t, UTC),
                spot=self._spot_or(symbol, cd, r),
                expiry=cd.expiry[idx],
                strike=cd.strike[idx],
                is_call=cd.is_call[idx],
                bid=np.nan_to_num(cd.bid[r], nan=0.0),
                ask=np.nan_to_num(cd.ask[r], nan=0.0),
                bid_size=np.nan_to_num(cd.bid_size[r], nan=size).astype(np.int64),
                ask_size=np.nan_to_num(cd.ask_size[r], nan=size).astype(np.int64),
                volume=volume,
                open_interest=oi,
                quote_ts=cd.ts_s[r],
            )
        if len(self._snap_cache) > 64:
            self._snap_cache.clear()
        self._snap_cache[cache_key] = snap
        return snap

    def quote(self, contract: OptionContract) -> Quote | None:
        u = self._by_symbol.get(contract.underlying)
        if u is None:
            return None
        t = int(self._clock.now().timestamp())
        located = self._latest_chain_day(contract.underlying, t)
        if located is None:
            return None
        _, cd = located
        code = cd.codes.get(
            (
                int(np.datetime64(contract.expiry, "D").astype(np.int64)),
                float(contract.strike),
                contract.is_call,
            )
        )
        if code is None or cd.expiry_s[code] <= t:
            return None
        row = int(cd.latest(t)[code])
        if row < 0:
            return None
        size = self._cfg.assumed_quote_size
        bid, ask = float(np.nan_to_num(cd.bid[row])), float(np.nan_to_num(cd.ask[row]))
        bsz, asz = cd.bid_size[row], cd.ask_size[row]
        return Quote(
            bid=to_tick(max(bid, 0.0), u.option_tick),
            ask=to_tick(max(ask, 0.0), u.option_tick),
            bid_size=size if np.isnan(bsz) else int(bsz),
            ask_size=size if np.isnan(asz) else int(asz),
            ts=datetime.fromtimestamp(int(cd.ts_s[row]), UTC),
        )

    def spot(self, symbol: str) -> float:
        self._require(symbol)
        now = self._clock.now()
        t = int(now.timestamp())
        day = self._cal.local_date(now)
        for _ in range(self._cfg.chain_lookback_days + 1):
            bars = self._minute_bars(symbol, day, regular=False)
            if bars is not None:
                done = np.flatnonzero(bars.start_s + bars.length_s <= t)
                if done.size:
                    return float(bars.close[done[-1]])
            daily = self._daily_bars(symbol)
            if daily is not None:
                i = np.flatnonzero(
                    (daily.day == np.datetime64(day, "D")) & (daily.start_s + daily.length_s <= t)
                )
                if i.size:
                    return float(daily.close[i[-1]])
            located = self._chain_day(symbol, day)
            if located is not None:
                rows = located.latest(t)
                ok = rows[rows >= 0]
                spots = located.spot[ok]
                if np.isfinite(spots).any():
                    latest = ok[np.argmax(np.where(np.isfinite(spots), located.ts_s[ok], -1))]
                    return float(located.spot[latest])
            day -= timedelta(days=1)
        raise DataError(f"no price of {symbol} at or before {now.isoformat()}", source=str(self._store.root))

    def risk_free_rate(self, day: date, tenor_days: int) -> float:
        if day > self._cal.local_date(self._clock.now()):
            raise LookAheadError(f"store: risk_free_rate asked for {day}, after the clock's day")
        if self._market is Market.IN:
            self._note(f"India rate: the configured {self._cfg.inr_rate:.4f} (no INR curve stored)")
            return self._cfg.inr_rate
        curves = self._treasury()
        if curves is not None:
            try:
                return curves.rate(day, max(tenor_days, 1) / 365.0)
            except DataError:
                pass
        # One note for the whole replay, not one per day: the first uncovered day says where it starts.
        if not self._rate_fallback_noted:
            self._rate_fallback_noted = True
            self._note(
                f"risk-free rate: the configured fallback {self._cfg.fallback_rate:.4f} from "
                f"{day.isoformat()} on, where the store has no Treasury curve"
            )
        return self._cfg.fallback_rate

    def dividend_yield(self, symbol: str) -> float:
        return self._cfg.dividend_yields.get(symbol, 0.0)

    def news_between(self, start: datetime, end: datetime) -> Sequence[NewsItem]:
        self._not_after_clock(end, "news_between")
        return []  # the stored news is labelled text without publication times

    def atm_iv_history(self, symbol: str, end: date, count: int) -> np.ndarray:
        now = self._clock.now()
        if end > self._cal.local_date(now) + timedelta(days=1):
            raise LookAheadError(f"store: atm_iv_history up to {end} asked at {now.isoformat()}")
        days, ivs = self._iv_series(symbol)
        sel = ivs[days < np.datetime64(end, "D")]
        return np.asarray(sel[max(sel.size - max(count, 0), 0) :], dtype=np.float64)

    def vix(self, day: date) -> float | None:
        """VIX's close on `day`, once that session has closed; None when the store has none."""
        now = self._clock.now()
        if (self._cal.is_session(day) and self._cal.session(day).close > now) or day > now.date():
            raise LookAheadError(f"store: VIX of {day} asked at {now.isoformat()}")
        return reading.vix_close(self._store, day)

    def volatility_index(self, day: date) -> float | None:
        return self.vix(day)

    def split_ratio(self, symbol: str, day: date) -> float:
        ratio = 1.0
        for split in self.splits(symbol):
            if split.day == day:
                ratio *= split.ratio
        return ratio

    def splits(self, symbol: str) -> list[Split]:
        """Splits known for `symbol` (stated by a vendor file or detected in its bars), any date."""
        found = self._splits.get(symbol)
        if found is None:
            found = self._find_splits(symbol)
            self._splits[symbol] = found
        return found

    # -- loading ---------------------------------------------------------------------------------------

    def _underlying(self, symbol: str) -> Underlying:
        return underlying_for(symbol, self._market, self._cfg)

    def _require(self, symbol: str) -> Underlying:
        u = self._by_symbol.get(symbol)
        if u is None:
            raise DataError(f"{symbol} is not replayed here (symbols: {', '.join(self._symbols)})")
        return u

    def _not_after_clock(self, t: datetime, what: str) -> None:
        now = self._clock.now()
        if t > now:
            raise LookAheadError(
                f"store: {what} asked about {t.isoformat()}, after the clock {now.isoformat()}"
            )

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
            log.warning("%s", text)

    def _local_days(self, start: datetime, end: datetime) -> list[date]:
        a, b = self._cal.local_date(start), self._cal.local_date(end)
        return [a + timedelta(days=i) for i in range((b - a).days + 1)]

    def _chain_day(self, symbol: str, day: date) -> ra.ChainDay | None:
        k = (symbol, day.isoformat())
        if k not in self._chain_days:
            table = self._store.read(Kind.CHAINS, symbol, k[1])
            self._chain_days[k] = ra.load_chain_day(table) if table is not None and table.num_rows else None
        return self._chain_days[k]

    def _latest_chain_day(self, symbol: str, t: int) -> tuple[str, ra.ChainDay] | None:
        day = self._cal.local_date(datetime.fromtimestamp(t, UTC))
        for _ in range(self._cfg.chain_lookback_days + 1):
            cd = self._chain_day(symbol, day)
            if cd is not None and cd.first_s <= t:
                return day.isoformat(), cd
            day -= timedelta(days=1)
        return None

    def _volume_oi(
        self, symbol: str, day: str, cd: ra.ChainDay, idx: np.ndarray, rows: np.ndarray, t: int
    ) -> tuple[np.ndarray, np.ndarray]:
        return reading.volume_and_oi(
            cd,
            idx,
            rows,
            t,
            trades=lambda: self._trade_rows(symbol, day, cd),
            oi=lambda: reading.open_interest(self._store, symbol, day, cd, t),
        )

    def _trade_rows(self, symbol: str, day: str, cd: ra.ChainDay) -> reading.TradeRows:
        found = self._trades.get((symbol, day))
        if found is None:
            found = self._trades[(symbol, day)] = reading.trade_rows(self._store, symbol, day, cd)
        return found

    def _spot_or(self, symbol: str, cd: ra.ChainDay, rows: np.ndarray) -> float:
        try:
            return self.spot(symbol)
        except DataError:
            finite = cd.spot[rows][np.isfinite(cd.spot[rows])]
            return float(finite[-1]) if finite.size else float("nan")

    def _minute_bars(self, symbol: str, day: date, *, regular: bool = True) -> ra.Bars | None:
        key = (symbol, day.isoformat() + ("" if regular else "+ext"))
        if key not in self._minute:
            only = regular and not self._cfg.extended_hours_bars
            self._minute[key] = reading.minute_bars(self._store, symbol, day, regular_only=only)
        return self._minute[key]

    def _daily_bars(self, symbol: str) -> ra.Bars | None:
        if symbol not in self._daily:
            first = self._sessions[0] if self._sessions else self._cal.local_date(self._clock.now())
            self._daily[symbol] = reading.daily_bars(
                self._store, symbol, self._cal, first, self._cfg.daily_years
            )
        return self._daily[symbol]

    def _find_splits(self, symbol: str) -> list[Split]:
        return reading.find_splits(
            self._store, symbol, self._cfg.splits, lambda day: self._minute_bars(symbol, day)
        )

    def _adjusted(self, symbol: str, bars: ra.Bars) -> BarSeries:
        splits = self.splits(symbol)
        if not splits or bars.start_s.size == 0:
            return ra.bar_series(symbol, bars)
        f = adjustment(bars.day, splits, self._cal.local_date(self._clock.now()))
        return BarSeries(
            symbol, bars.start_s, bars.open / f, bars.high / f, bars.low / f, bars.close / f, bars.volume * f
        )

    def _treasury(self) -> TreasuryCurves | None:
        if not self._curves_loaded:
            table = self._store.read(Kind.RATES, "us_treasury")
            self._curves = curves_from_table(table, str(self._store.root)) if table is not None else None
            self._curves_loaded = True
        return self._curves

    def _iv_series(self, symbol: str) -> tuple[np.ndarray, np.ndarray]:
        found = self._iv.get(symbol)
        if found is None:
            found = self._iv[symbol] = reading.iv_series(self._store, symbol)
        return found
