"""Reading one kind of stored data for the replay: bars, option trades, open interest, IV history, splits.

Plain functions of the store; `StoreMarket` keeps what they return, so each partition is read once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from optionpilot.adapters.files.corporate_actions import Split, SplitConfig, detect_splits
from optionpilot.adapters.files.formats import Kind
from optionpilot.adapters.files.replay.arrays import US_PER_S, Bars, ChainDay, bars_from, chain_codes
from optionpilot.adapters.files.store import DataStore
from optionpilot.core.calendars import TradingCalendar

TradeRows = tuple[np.ndarray, np.ndarray, np.ndarray]  # bar ends (s), contract code + 1, size


def _seconds(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.cast(pa.int64()).to_numpy(zero_copy_only=False)) // US_PER_S


def trade_rows(store: DataStore, symbol: str, day: str, cd: ChainDay) -> TradeRows:
    table = store.read(Kind.OPTION_TRADES, symbol, day)
    if table is None or not table.num_rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    ends = _seconds(table["start"]) + 60
    codes = chain_codes(table, cd) + 1  # 0: a contract not in the chain
    order = np.argsort(ends, kind="stable")
    return ends[order], codes[order], table["volume"].to_numpy(zero_copy_only=False)[order]


def volume_and_oi(
    cd: ChainDay,
    idx: np.ndarray,
    rows: np.ndarray,
    t: int,
    trades: Callable[[], TradeRows],
    oi: Callable[[], dict[int, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Volume so far and open interest of contracts `idx` (chain rows `rows`) at t: the chain's own, else
    summed from the stored option trades and taken from the stored open interest (read only when needed)."""
    vol = cd.volume[rows]
    interest = cd.oi[rows]
    if np.isnan(vol).any():
        ends, codes, sizes = trades()
        n = int(np.searchsorted(ends, t, side="right"))
        by_code = np.bincount(codes[:n], weights=sizes[:n], minlength=cd.starts.size + 1)[1:]
        vol = np.where(np.isnan(vol), by_code[idx], vol)
    if np.isnan(interest).any():
        known = oi()
        interest = np.where(np.isnan(interest), np.array([known.get(int(c), np.nan) for c in idx]), interest)
    return np.nan_to_num(vol).astype(np.int64), np.nan_to_num(interest).astype(np.int64)


def open_interest(store: DataStore, symbol: str, day: str, cd: ChainDay, t: int) -> dict[int, float]:
    """Open interest by contract code; published before the open (06:30 New York), the latest at t counts."""
    table = store.read(Kind.OPEN_INTEREST, symbol, day)
    if table is None or not table.num_rows:
        return {}
    ts = _seconds(table["ts"])
    codes = chain_codes(table, cd)
    values = table["open_interest"].to_numpy(zero_copy_only=False)
    out: dict[int, float] = {}
    for i in np.argsort(ts, kind="stable"):
        if ts[i] <= t and codes[i] >= 0:
            out[int(codes[i])] = float(values[i])
    return out


def minute_bars(store: DataStore, symbol: str, day: date, *, regular_only: bool) -> Bars | None:
    table = store.read(Kind.MINUTE_BARS, symbol, day.isoformat())
    if table is None or not table.num_rows:
        return None
    if regular_only:
        table = table.filter(pc.equal(table["session"], "regular"))
    if not table.num_rows:
        return None
    start = _seconds(table["start"])
    return bars_from(table, start, np.full(start.size, 60, dtype=np.int64), day)


def daily_bars(store: DataStore, symbol: str, cal: TradingCalendar, first: date, years: int) -> Bars | None:
    """Daily bars as sessions of `cal`, from `years` before `first` (the calendar covers a limited range)."""
    table = store.read(Kind.DAILY_BARS, symbol)
    if table is None or not table.num_rows:
        return None
    days = table["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    lo = max(days[0].astype(object), first - timedelta(days=years * 366))
    by_day = {s.day: s for s in cal.sessions(lo, days[-1].astype(object))}
    keep = np.array([d in by_day for d in days.astype(object)], dtype=bool)
    table, days = table.filter(pa.array(keep)), days[keep]
    sessions = [by_day[d] for d in days.astype(object)]
    start = np.array([int(s.open.timestamp()) for s in sessions], dtype=np.int64)
    length = np.array([int((s.close - s.open).total_seconds()) for s in sessions], dtype=np.int64)
    o, h, lo_, c, v = (
        table[name].to_numpy(zero_copy_only=False).astype(np.float64)
        for name in ("open", "high", "low", "close", "volume")
    )
    return Bars(start, days, o, h, lo_, c, v, length)


def vix_close(store: DataStore, day: date) -> float | None:
    table = store.read(Kind.VIX, "VIX")
    if table is None:
        return None
    hit = table.filter(pc.equal(table["day"], pa.scalar(day, pa.date32())))
    return float(hit["close"][0].as_py()) if hit.num_rows else None


def iv_series(store: DataStore, symbol: str) -> tuple[np.ndarray, np.ndarray]:
    table = store.read(Kind.IV_HISTORY, symbol)
    if table is None:
        return np.zeros(0, dtype="datetime64[D]"), np.zeros(0)
    return (
        table["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]"),
        table["atm_iv"].to_numpy(zero_copy_only=False).astype(np.float64),
    )


def find_splits(
    store: DataStore, symbol: str, cfg: SplitConfig, session_bars: Callable[[date], Bars | None]
) -> list[Split]:
    """Splits a vendor stated in the daily file, and those detected in the daily bars and in sessions only
    minute bars hold (`session_bars` gives a day's regular-session bars)."""
    table = store.read(Kind.DAILY_BARS, symbol)
    found: list[Split] = []
    known: set[date] = set()
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
            cfg,
            table["volume"].to_numpy(zero_copy_only=False),
        )
        known = set(days.tolist())
    extra: list[tuple[np.datetime64, float, float, float]] = []
    for name in store.days(Kind.MINUTE_BARS, symbol):
        day = date.fromisoformat(name)
        bars = session_bars(day)
        if bars is not None and day not in known:
            extra.append(
                (
                    np.datetime64(day, "D"),
                    float(bars.open[0]),
                    float(bars.close[-1]),
                    float(bars.volume.sum()),
                )
            )
    if extra:
        d, o, c, v = (np.array(x) for x in zip(*extra, strict=True))
        found += detect_splits(symbol, d, o, c, cfg, v)
    seen: dict[date, Split] = {}
    for s in found:
        seen.setdefault(s.day, s)
    return sorted(seen.values(), key=lambda s: s.day)
