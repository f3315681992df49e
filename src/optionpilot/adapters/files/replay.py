"""Replaying the store: a point-in-time `MarketData` over stored bars, chains, rates and IV history.

Everything is as of the clock: a chain row is served once its `quote_ts` has passed, a minute bar once
its end has, a daily bar once its session has closed; asking about a later time raises LookAheadError.
Underlying history is split-adjusted for splits on or before the clock's day only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.adapters.files.corporate_actions import Split, SplitConfig, adjustment, detect_splits
from optionpilot.adapters.files.formats import DataFormat, Kind
from optionpilot.adapters.files.store import DataStore
from optionpilot.adapters.files.treasury_rates import TreasuryCurves, curves_from_table
from optionpilot.core.calendars import Market, Session, TradingCalendar, calendar_for
from optionpilot.core.clock import Clock, SimulatedClock
from optionpilot.core.errors import ConfigError, DataError, LookAheadError
from optionpilot.core.money import to_tick
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import AssetClass, ExerciseStyle, OptionContract, Settlement, Underlying
from optionpilot.domain.market import Bar, BarSeries, NewsItem, Quote

log = logging.getLogger(__name__)
_US = 1_000_000
_MINUTE_US = 60 * _US
_SHIFT = 1 << 40  # contract code above, seconds since the day partition's start below


class ReplayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fallback_rate: float = Field(
        0.02, description="US rate where the Treasury curves do not reach (they end in 2017); stated in notes"
    )
    inr_rate: float = Field(0.055, description="India rate (RBI repo, July 2025): no INR curve is stored")
    dividend_yields: dict[str, float] = Field(
        default_factory=dict, description="continuous, by symbol; else 0"
    )
    assumed_quote_size: int = Field(
        10, ge=0, description="size shown for quotes whose file has none (end-of-day chains); stated in notes"
    )
    lot_sizes: dict[str, int] = Field(
        default_factory=lambda: {"NIFTY": 75, "BANKNIFTY": 35}, description="NSE lot sizes, July 2025"
    )
    etfs: tuple[str, ...] = ("SPY", "QQQ", "IWM", "DIA", "VXX")
    indices: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "SPX", "NDX", "RUT")
    chain_lookback_days: int = Field(7, ge=0, description="calendar days back for the latest chain snapshot")
    history_lookback_days: int = Field(30, ge=1, description="calendar days back for minute history")
    daily_years: int = Field(3, ge=1, description="years of daily bars before the replay kept for history")
    extended_hours_bars: bool = Field(False, description="serve pre/post-market bars to the engine")
    splits: SplitConfig = Field(default_factory=SplitConfig)


@dataclass(frozen=True, slots=True)
class _ChainDay:
    """One stored chain partition as arrays, sorted by (contract, quote time) for point-in-time lookups."""

    key: np.ndarray  # code << 40 | seconds since base
    base_s: int
    starts: np.ndarray  # first row of each contract
    expiry: np.ndarray  # per contract, datetime64[D]
    expiry_s: np.ndarray  # per contract
    strike: np.ndarray
    is_call: np.ndarray
    ts_s: np.ndarray  # per row
    bid: np.ndarray
    ask: np.ndarray
    bid_size: np.ndarray
    ask_size: np.ndarray
    volume: np.ndarray
    oi: np.ndarray
    spot: np.ndarray
    first_s: int
    codes: dict[tuple[int, float, bool], int]

    def latest(self, t_s: int) -> np.ndarray:
        """Row of each contract's latest quote at or before t_s (-1 where none yet)."""
        n = self.starts.size
        if t_s < self.base_s:
            return np.full(n, -1, dtype=np.int64)
        q = (np.arange(n, dtype=np.int64) << 40) | (t_s - self.base_s)
        pos = np.searchsorted(self.key, q, side="right") - 1
        return np.where(pos >= self.starts, pos, -1)


def _load_chain_day(table: pa.Table) -> _ChainDay:
    expiry = table["expiry"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    strike = table["strike"].to_numpy(zero_copy_only=False).astype(np.float64)
    is_call = pc.equal(table["right"], "C").to_numpy(zero_copy_only=False).astype(bool)
    ts_s = (
        np.asarray(table["quote_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64) // _US
    )
    exp_s = (
        np.asarray(table["expiry_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64) // _US
    )
    # One integer per contract: expiry day, strike in thousandths, call bit.
    ident = ((expiry.astype(np.int64) << 28) | np.round(strike * 1000).astype(np.int64)) << 1 | is_call
    uniq, first, code = np.unique(ident, return_index=True, return_inverse=True)
    base = int(ts_s.min()) if ts_s.size else 0
    key = (code.astype(np.int64) << 40) | (ts_s - base)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.searchsorted(key, np.arange(uniq.size, dtype=np.int64) << 40, side="left")

    def col(name: str) -> np.ndarray:
        return np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=np.float64)[order]

    codes = {
        (int(e), float(k), bool(c)): i
        for i, (e, k, c) in enumerate(
            zip(
                expiry[first].astype(np.int64).tolist(),
                strike[first].tolist(),
                is_call[first].tolist(),
                strict=True,
            )
        )
    }
    return _ChainDay(
        key=key,
        base_s=base,
        starts=starts,
        expiry=expiry[first],
        expiry_s=exp_s[first],
        strike=strike[first],
        is_call=is_call[first],
        ts_s=ts_s[order],
        bid=col("bid"),
        ask=col("ask"),
        bid_size=col("bid_size"),
        ask_size=col("ask_size"),
        volume=col("volume"),
        oi=col("open_interest"),
        spot=col("underlying_price"),
        first_s=base,
        codes=codes,
    )


@dataclass(frozen=True, slots=True)
class _Bars:
    start_s: np.ndarray
    day: np.ndarray  # datetime64[D] local
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    length_s: np.ndarray


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
        self._chain_days: dict[tuple[str, str], _ChainDay | None] = {}
        self._minute: dict[tuple[str, str], _Bars | None] = {}
        self._daily: dict[str, _Bars | None] = {}
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
                    bars = _select(daily, daily.day == np.datetime64(day, "D"))
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
        parts: list[_Bars] = []
        have = 0
        day = self._cal.local_date(end)
        for _ in range(self._cfg.history_lookback_days):
            bars = self._minute_bars(symbol, day)
            if bars is not None:
                sel = _select(bars, bars.start_s + bars.length_s <= e)
                parts.append(sel)
                have += sel.start_s.size
                if have >= count:
                    break
            day -= timedelta(days=1)
        if not parts:
            return _series(symbol, None)
        allb = _concat(parts[::-1])
        n = allb.start_s.size
        return self._adjusted(symbol, _select(allb, np.arange(n) >= n - max(count, 0)))

    def daily_history(self, symbol: str, end: date, count: int) -> BarSeries:
        self._require(symbol)
        now = self._clock.now()
        if end > self._cal.local_date(now) + timedelta(days=1):
            raise LookAheadError(f"store: daily_history up to {end} asked at {now.isoformat()}")
        daily = self._daily_bars(symbol)
        if daily is None:
            return _series(symbol, None)
        done = (daily.day < np.datetime64(end, "D")) & (daily.start_s + daily.length_s <= now.timestamp())
        sel = _select(daily, done)
        n = sel.start_s.size
        return self._adjusted(symbol, _select(sel, np.arange(n) >= n - max(count, 0)))

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
            snap = _empty_chain(u, self._clock.now(), self.spot(symbol))
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
        table = self._store.read(Kind.VIX, "VIX")
        if table is None:
            return None
        hit = table.filter(pc.equal(table["day"], pa.scalar(day, pa.date32())))
        return float(hit["close"][0].as_py()) if hit.num_rows else None

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
        cfg = self._cfg
        if self._market is Market.IN:
            return Underlying(
                symbol,
                Market.IN,
                AssetClass.INDEX if symbol in cfg.indices else AssetClass.EQUITY,
                "INR",
                tick=_NSE_TICK,
                option_multiplier=cfg.lot_sizes.get(symbol, 1),
                option_style=ExerciseStyle.EUROPEAN,
                option_settlement=Settlement.CASH,
                option_tick=_NSE_TICK,
            )
        asset = (
            AssetClass.ETF
            if symbol in cfg.etfs
            else AssetClass.INDEX
            if symbol in cfg.indices
            else AssetClass.EQUITY
        )
        if asset is AssetClass.INDEX:
            return Underlying(
                symbol,
                Market.US,
                asset,
                option_style=ExerciseStyle.EUROPEAN,
                option_settlement=Settlement.CASH,
            )
        return Underlying(symbol, Market.US, asset)

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

    def _chain_day(self, symbol: str, day: date) -> _ChainDay | None:
        k = (symbol, day.isoformat())
        if k not in self._chain_days:
            table = self._store.read(Kind.CHAINS, symbol, k[1])
            self._chain_days[k] = _load_chain_day(table) if table is not None and table.num_rows else None
        return self._chain_days[k]

    def _latest_chain_day(self, symbol: str, t: int) -> tuple[str, _ChainDay] | None:
        day = self._cal.local_date(datetime.fromtimestamp(t, UTC))
        for _ in range(self._cfg.chain_lookback_days + 1):
            cd = self._chain_day(symbol, day)
            if cd is not None and cd.first_s <= t:
                return day.isoformat(), cd
            day -= timedelta(days=1)
        return None

    def _volume_oi(
        self, symbol: str, day: str, cd: _ChainDay, idx: np.ndarray, rows: np.ndarray, t: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Volume so far and open interest: the chain's own, else from stored trades and open interest."""
        vol = cd.volume[rows]
        oi = cd.oi[rows]
        if np.isnan(vol).any():
            ends, codes, sizes = self._trade_rows(symbol, day, cd)
            n = int(np.searchsorted(ends, t, side="right"))
            by_code = np.bincount(codes[:n], weights=sizes[:n], minlength=cd.starts.size + 1)[1:]
            vol = np.where(np.isnan(vol), by_code[idx], vol)
        if np.isnan(oi).any():
            known = self._oi_rows(symbol, day, cd, t)
            oi = np.where(np.isnan(oi), np.array([known.get(int(c), np.nan) for c in idx]), oi)
        return np.nan_to_num(vol).astype(np.int64), np.nan_to_num(oi).astype(np.int64)

    def _trade_rows(self, symbol: str, day: str, cd: _ChainDay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        found = self._trades.get((symbol, day))
        if found is None:
            table = self._store.read(Kind.OPTION_TRADES, symbol, day)
            if table is None or not table.num_rows:
                found = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
            else:
                ends = np.asarray(table["start"].cast(pa.int64()).to_numpy(zero_copy_only=False)) // _US + 60
                codes = _codes(table, cd) + 1  # 0: a contract not in the chain
                order = np.argsort(ends, kind="stable")
                found = (ends[order], codes[order], table["volume"].to_numpy(zero_copy_only=False)[order])
            self._trades[(symbol, day)] = found
        return found

    def _oi_rows(self, symbol: str, day: str, cd: _ChainDay, t: int) -> dict[int, float]:
        # Open interest is published before the open (06:30 New York); the latest at or before t counts.
        table = self._store.read(Kind.OPEN_INTEREST, symbol, day)
        if table is None or not table.num_rows:
            return {}
        ts = np.asarray(table["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)) // _US
        codes = _codes(table, cd)
        values = table["open_interest"].to_numpy(zero_copy_only=False)
        out: dict[int, float] = {}
        for i in np.argsort(ts, kind="stable"):
            if ts[i] <= t and codes[i] >= 0:
                out[int(codes[i])] = float(values[i])
        return out

    def _spot_or(self, symbol: str, cd: _ChainDay, rows: np.ndarray) -> float:
        try:
            return self.spot(symbol)
        except DataError:
            finite = cd.spot[rows][np.isfinite(cd.spot[rows])]
            return float(finite[-1]) if finite.size else float("nan")

    def _minute_bars(self, symbol: str, day: date, *, regular: bool = True) -> _Bars | None:
        key = (symbol, day.isoformat() + ("" if regular else "+ext"))
        if key in self._minute:
            return self._minute[key]
        table = self._store.read(Kind.MINUTE_BARS, symbol, day.isoformat())
        bars = None
        if table is not None and table.num_rows:
            if regular and not self._cfg.extended_hours_bars:
                table = table.filter(pc.equal(table["session"], "regular"))
            if table.num_rows:
                start = np.asarray(table["start"].cast(pa.int64()).to_numpy(zero_copy_only=False)) // _US
                bars = _bars_from(table, start, np.full(start.size, 60, dtype=np.int64), day)
        self._minute[key] = bars
        return bars

    def _daily_bars(self, symbol: str) -> _Bars | None:
        if symbol in self._daily:
            return self._daily[symbol]
        table = self._store.read(Kind.DAILY_BARS, symbol)
        bars = None
        if table is not None and table.num_rows:
            days = table["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
            # Only the years around the replay: the calendar library covers a limited range of years.
            first = self._sessions[0] if self._sessions else self._cal.local_date(self._clock.now())
            lo = max(days[0].astype(object), first - timedelta(days=self._cfg.daily_years * 366))
            by_day = {s.day: s for s in self._cal.sessions(lo, days[-1].astype(object))}
            keep = np.array([d in by_day for d in days.astype(object)], dtype=bool)
            table, days = table.filter(pa.array(keep)), days[keep]
            sessions = [by_day[d] for d in days.astype(object)]
            start = np.array([int(s.open.timestamp()) for s in sessions], dtype=np.int64)
            length = np.array([int((s.close - s.open).total_seconds()) for s in sessions], dtype=np.int64)
            o, h, lo_, c, v = (
                table[name].to_numpy(zero_copy_only=False).astype(np.float64)
                for name in ("open", "high", "low", "close", "volume")
            )
            bars = _Bars(start, days, o, h, lo_, c, v, length)
        self._daily[symbol] = bars
        return bars

    def _find_splits(self, symbol: str) -> list[Split]:
        table = self._store.read(Kind.DAILY_BARS, symbol)
        found: list[Split] = []
        known: set[date]
        if table is not None and table.num_rows:
            stated = table.filter(
                pc.and_(pc.is_finite(table["split_factor"]), pc.not_equal(table["split_factor"], 1.0))
            )
            for row in stated.to_pylist():
                found.append(Split(symbol, row["day"], float(row["split_factor"]), float("nan"), "vendor"))
            days = table["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
            found += detect_splits(
                symbol,
                days,
                table["open"].to_numpy(zero_copy_only=False),
                table["close"].to_numpy(zero_copy_only=False),
                self._cfg.splits,
            )
            known = set(days.tolist())
        else:
            known = set()
        # Days only in minute bars (an intraday set beyond the daily file): each session's regular bars.
        extra: list[tuple[np.datetime64, float, float]] = []
        for name in self._store.days(Kind.MINUTE_BARS, symbol):
            day = date.fromisoformat(name)
            bars = self._minute_bars(symbol, day)
            if bars is not None and day not in known:
                extra.append((np.datetime64(day, "D"), float(bars.open[0]), float(bars.close[-1])))
        if extra:
            d, o, c = (np.array(x) for x in zip(*extra, strict=True))
            found += detect_splits(symbol, d, o, c, self._cfg.splits)
        seen: dict[date, Split] = {}
        for s in found:
            seen.setdefault(s.day, s)
        return sorted(seen.values(), key=lambda s: s.day)

    def _adjusted(self, symbol: str, bars: _Bars) -> BarSeries:
        splits = self.splits(symbol)
        if not splits or bars.start_s.size == 0:
            return _series(symbol, bars)
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
            table = self._store.read(Kind.IV_HISTORY, symbol)
            if table is None:
                found = (np.zeros(0, dtype="datetime64[D]"), np.zeros(0))
            else:
                found = (
                    table["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]"),
                    table["atm_iv"].to_numpy(zero_copy_only=False).astype(np.float64),
                )
            self._iv[symbol] = found
        return found


_NSE_TICK = Decimal("0.05")


def _codes(table: pa.Table, cd: _ChainDay) -> np.ndarray:
    expiry = table["expiry"].to_numpy(zero_copy_only=False).astype("datetime64[D]").astype(np.int64)
    strike = table["strike"].to_numpy(zero_copy_only=False)
    is_call = pc.equal(table["right"], "C").to_numpy(zero_copy_only=False)
    return np.array(
        [
            cd.codes.get((int(e), float(k), bool(c)), -1)
            for e, k, c in zip(expiry, strike, is_call, strict=True)
        ],
        dtype=np.int64,
    )


def _bars_from(table: pa.Table, start: np.ndarray, length: np.ndarray, day: date) -> _Bars:
    cols = (
        table[c].to_numpy(zero_copy_only=False).astype(np.float64)
        for c in ("open", "high", "low", "close", "volume")
    )
    o, h, lo, c, v = cols
    return _Bars(start, np.full(start.size, np.datetime64(day, "D")), o, h, lo, c, v, length)


def _select(b: _Bars, mask: np.ndarray) -> _Bars:
    return _Bars(**{f: getattr(b, f)[mask] for f in _Bars.__dataclass_fields__})


def _concat(parts: list[_Bars]) -> _Bars:
    return _Bars(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in _Bars.__dataclass_fields__})


def _series(symbol: str, b: _Bars | None) -> BarSeries:
    if b is None:
        e = np.zeros(0)
        return BarSeries(symbol, np.zeros(0, dtype=np.int64), e, e, e, e, e)
    return BarSeries(symbol, b.start_s, b.open, b.high, b.low, b.close, b.volume)


def _empty_chain(u: Underlying, ts: datetime, spot: float) -> ChainSnapshot:
    z = np.zeros(0)
    zi = np.zeros(0, dtype=np.int64)
    return ChainSnapshot(
        u, ts, spot, np.zeros(0, dtype="datetime64[D]"), z, np.zeros(0, dtype=bool), z, z, zi, zi, zi, zi
    )


# -- wiring a backtest ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplaySpec:
    """What `app.backtest.MarketSource` needs, field for field."""

    market: Market
    sessions: list[Session]
    open: Callable[[SimulatedClock], StoreMarket]
    step_minutes: int
    label: str
    symbols: list[str]
    intraday: bool


def open_store_for_backtest(
    store: Path, symbols: list[str] | None, config: ReplayConfig | None = None
) -> ReplaySpec:
    """The sessions, market and step of a replay of `store` (minute data: 1 minute; daily data: a session)."""
    ds = DataStore(store)
    if not (store / str(Kind.CHAINS)).is_dir():
        raise ConfigError(f"{store}: no option chains in this store (run `optionpilot data import` first)")
    available = ds.symbols(Kind.CHAINS)
    chosen = symbols or available
    missing = [s for s in chosen if s not in available]
    if missing:
        raise ConfigError(
            f"{store}: no chains of {', '.join(missing)} (the store has {', '.join(available)})"
        )
    markets = ds.markets()
    kinds = {markets.get(s, Market.US) for s in chosen}
    if len(kinds) != 1:
        raise ConfigError(
            f"{store}: {', '.join(chosen)} span markets {sorted(kinds)}; replay one market at a time"
        )
    market = kinds.pop()
    cal = calendar_for(market)
    minute_days: set[str] = set()
    for entry in ds.imports():
        if entry.get("fmt") == DataFormat.MINUTE_QUOTES.value:
            minute_days |= {d for s, d in entry.get("chain_days", []) if s in chosen}
    all_days = {d for s in chosen for d in ds.days(Kind.CHAINS, s)}
    intraday = bool(minute_days)
    days = sorted(minute_days if intraday else all_days)
    sessions = [cal.session(date.fromisoformat(d)) for d in days if cal.is_session(date.fromisoformat(d))]
    if not sessions:
        raise ConfigError(f"{store}: no trading session with chains of {', '.join(chosen)}")
    step = 1 if intraday else max(s.minutes for s in sessions)
    cfg = config or ReplayConfig()
    replay_days = [s.day for s in sessions]
    label = f"store-{'-'.join(chosen)}-{days[0]}-{days[-1]}"

    def open_market(clock: SimulatedClock) -> StoreMarket:
        return StoreMarket(ds, clock, chosen, market=market, sessions=replay_days, config=cfg)

    return ReplaySpec(market, sessions, open_market, step, label, list(chosen), intraday)
