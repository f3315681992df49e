"""Every imported row checked at the edge, whatever the reader, before anything reaches the store.

A reader parses; this module decides whether a parsed row is believable. It knows columns by name, so a
new reader gets the checks by using the usual column names. A row that fails is dropped and counted
under its reason (the first that fails); a crossed quote is kept (real markets print them) and counted
as a flag so `data import` can say how many it let through.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from optionpilot.adapters.files.chain_table import ReadReport
from optionpilot.adapters.files.timestamps import local_days
from optionpilot.core.calendars import Market

# OCC and NSE underlyings: SPY, BRK.B, NIFTY, BANKNIFTY, M&M, BAJAJ-AUTO. Never a path separator, never
# "..", never lower case (readers upper-case what they read), at most 20 characters.
SYMBOL = re.compile(r"(?!.*\.\.)[A-Z0-9][A-Z0-9.&-]{0,19}")
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
_DAY0, _DAY1 = (np.datetime64(d, "D") for d in (FIRST_DAY, LAST_DAY))
_US0 = _DAY0.astype("datetime64[us]").astype(np.int64)
_US1 = (_DAY1 + 1).astype("datetime64[us]").astype(np.int64) - 1

# Largest believable value: BRK.A trades near 1e6, NSE indices near 1e5; 1e308 is a typo or an attack.
MAX_PRICE = 1e8
MAX_SIZE = 1e13
PRICES = frozenset(
    {"bid", "ask", "last", "open", "high", "low", "close", "underlying_price", "dividend"}
    | {f"{s}_{p}" for s in ("bid", "ask") for p in ("open", "high", "low", "close")}
)
SIZES = frozenset({"bid_size", "ask_size", "volume", "open_interest"})
SYMBOLS = ("underlying", "symbol")
# The time column of the option tables whose market-local day `expiry` may not precede.
_QUOTE_TIME = ("quote_ts", "start", "ts")

BAD_SYMBOL = "bad symbol"
BAD_DAY = "date outside 1900-2100"
NOT_FINITE = "number not finite or absurdly large"
NEGATIVE_PRICE = "negative price"
NEGATIVE_SIZE = "negative size"
BAD_STRIKE = "strike missing or not positive"
BAD_RIGHT = "option type not call or put"
EXPIRED = "expiry before the quote date"
BAD_RATE = "yield or tenor out of range"
BAD_SPLIT = "split factor not positive"
CROSSED = "crossed quote (bid above ask), kept"


def _np(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].to_numpy(zero_copy_only=False))


def _day_ordinals(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def check_rows(table: pa.Table, market: Market, report: ReadReport) -> pa.Table:
    """`table` without the rows that fail a check; each dropped row counted in `report` by reason."""
    n = table.num_rows
    if n == 0:
        return table
    reason = np.full(n, "", dtype=object)

    def fail(mask: np.ndarray, why: str) -> None:
        reason[mask & (reason == "")] = why

    names = set(table.column_names)
    for name in SYMBOLS:
        if name in names:
            syms = table[name].to_pylist()
            fail(np.array([not (isinstance(s, str) and SYMBOL.fullmatch(s)) for s in syms]), BAD_SYMBOL)
    for f in table.schema:
        if pa.types.is_date32(f.type):
            d = _day_ordinals(table[f.name])
            lo, hi = _DAY0.astype(np.int64), _DAY1.astype(np.int64)
            fail((d < lo) | (d > hi), BAD_DAY)
        elif pa.types.is_timestamp(f.type):
            us = np.asarray(table[f.name].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
            fail((us < _US0) | (us > _US1), BAD_DAY)
    for f in table.schema:
        if not pa.types.is_floating(f.type):
            continue
        v = np.asarray(_np(table, f.name), dtype=np.float64)
        # NaN is how readers mark a missing value; infinities and 1e308 are never data.
        limit = MAX_SIZE if f.name in SIZES else MAX_PRICE
        fail(np.isinf(v) | (np.abs(np.nan_to_num(v)) > limit), NOT_FINITE)
        if f.name in PRICES:
            fail(v < 0, NEGATIVE_PRICE)
        elif f.name in SIZES:
            fail(v < 0, NEGATIVE_SIZE)
        elif f.name == "strike":
            fail(~(v > 0), BAD_STRIKE)
        elif f.name == "split_factor":
            fail(v <= 0, BAD_SPLIT)
    if "yield" in names and "tenor_years" in names:
        y, t = _np(table, "yield").astype(np.float64), _np(table, "tenor_years").astype(np.float64)
        fail(~((y > -0.5) & (y < 1.0) & (t > 0) & (t <= 100)), BAD_RATE)
    if "right" in names:
        fail(~np.isin(np.asarray(table["right"].to_pylist(), dtype=object), ["C", "P"]), BAD_RIGHT)
    time_col = next((c for c in _QUOTE_TIME if c in names), None)
    if "expiry" in names and time_col is not None:
        ok = reason == ""
        us = np.asarray(table[time_col].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        quote_day = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        # Local days only of rows whose times are in range: the calendar cannot place year 1 or 9999.
        if ok.any():
            quote_day[ok] = local_days(us[ok], market).astype(np.int64)
        fail(_day_ordinals(table["expiry"]) < quote_day, EXPIRED)
    keep = reason == ""
    lines = _np(table, "source_line")
    for i in np.flatnonzero(~keep):
        report.skip(str(reason[i]), int(lines[i]))
    out = table.filter(pa.array(keep)) if not keep.all() else table
    report.rows_kept = out.num_rows
    if {"bid", "ask"} <= names and out.num_rows:
        crossed = pc.fill_null(pc.greater(out["bid"], out["ask"]), False)
        report.flagged[CROSSED] += int(pc.sum(crossed).as_py() or 0)
    return out
