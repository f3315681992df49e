"""The replay's arrays: a stored chain partition sorted for point-in-time lookups, and bars as columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import Underlying
from optionpilot.domain.market import BarSeries

US_PER_S = 1_000_000  # stored timestamps are microseconds


@dataclass(frozen=True, slots=True)
class ChainDay:
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


def load_chain_day(table: pa.Table) -> ChainDay:
    expiry = table["expiry"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    strike = table["strike"].to_numpy(zero_copy_only=False).astype(np.float64)
    is_call = pc.equal(table["right"], "C").to_numpy(zero_copy_only=False).astype(bool)
    ts_s = (
        np.asarray(table["quote_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        // US_PER_S
    )
    exp_s = (
        np.asarray(table["expiry_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        // US_PER_S
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
    return ChainDay(
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
class Bars:
    start_s: np.ndarray
    day: np.ndarray  # datetime64[D] local
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    length_s: np.ndarray


def chain_codes(table: pa.Table, cd: ChainDay) -> np.ndarray:
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


def bars_from(table: pa.Table, start: np.ndarray, length: np.ndarray, day: date) -> Bars:
    cols = (
        table[c].to_numpy(zero_copy_only=False).astype(np.float64)
        for c in ("open", "high", "low", "close", "volume")
    )
    o, h, lo, c, v = cols
    return Bars(start, np.full(start.size, np.datetime64(day, "D")), o, h, lo, c, v, length)


def select_bars(b: Bars, mask: np.ndarray) -> Bars:
    return Bars(**{f: getattr(b, f)[mask] for f in Bars.__dataclass_fields__})


def concat_bars(parts: list[Bars]) -> Bars:
    return Bars(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in Bars.__dataclass_fields__})


def bar_series(symbol: str, b: Bars | None) -> BarSeries:
    if b is None:
        e = np.zeros(0)
        return BarSeries(symbol, np.zeros(0, dtype=np.int64), e, e, e, e, e)
    return BarSeries(symbol, b.start_s, b.open, b.high, b.low, b.close, b.volume)


def empty_chain(u: Underlying, ts: datetime, spot: float) -> ChainSnapshot:
    z = np.zeros(0)
    zi = np.zeros(0, dtype=np.int64)
    return ChainSnapshot(
        u, ts, spot, np.zeros(0, dtype="datetime64[D]"), z, np.zeros(0, dtype=bool), z, z, zi, zi, zi, zi
    )
