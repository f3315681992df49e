"""Minute option quote bars (the `intraday` sets): bid/ask OHLC per contract, stamped with the bar's start.

A bar's close is known only at its end, so quote_ts = start + 1 minute. The underlying price is the close
of the underlying's minute bar that ended by then, from the sibling `<root>_minute_trade_*.csv` file
(or the one given); none later is ever used.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from optionpilot.adapters.files.chain_table import (
    CHAIN_SCHEMA,
    NEW_YORK,
    US_CLOSE,
    ChainRead,
    ChainValues,
    close_us,
    number,
    parse_day,
    parse_right,
    utc_us,
)
from optionpilot.adapters.files.csv_rows import RowError, open_text, positive, read_csv_table
from optionpilot.core.errors import DataError

REQUIRED = (
    "datetime",
    "root",
    "right",
    "strike",
    "expiration",
    "bid_close",
    "bid_size",
    "ask_close",
    "ask_size",
)
BAR = timedelta(minutes=1)


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()).replace(tzinfo=NEW_YORK)


def underlying_closes(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(bar end as epoch microseconds, close) of a `datetime,symbol,open,high,low,close,volume` bar file."""
    ends: list[int] = []
    closes: list[float] = []
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        if "datetime" not in header or "close" not in header:
            raise DataError("underlying bars need datetime and close columns", source=str(path), line=1)
        it, ic = header.index("datetime"), header.index("close")
        for line, rec in enumerate(reader, start=2):
            try:
                end = _local(rec[it]) + BAR
                ends.append(int(end.timestamp() * 1_000_000))
                closes.append(float(rec[ic]))
            except (ValueError, IndexError):
                raise DataError("bad underlying bar", source=str(path), line=line) from None
    order = np.argsort(ends, kind="stable")
    return np.asarray(ends, dtype=np.int64)[order], np.asarray(closes)[order]


def _sibling_bars(path: Path, root: str) -> Path | None:
    found = sorted(path.parent.glob(f"{root.lower()}_minute_trade_*.csv"))
    return found[0] if found else None


def _parse(rec: list[str], ix: dict[str, int]) -> ChainValues:
    try:
        ts = (_local(rec[ix["datetime"]]) + BAR).astimezone(UTC)
        expiry = parse_day(rec[ix["expiration"]])
        right = parse_right(rec[ix["right"]])
    except ValueError:
        raise RowError("bad date or option type") from None
    try:
        strike = number(rec[ix["strike"]])
        bid, ask = number(rec[ix["bid_close"]]), number(rec[ix["ask_close"]])
        bid_size, ask_size = number(rec[ix["bid_size"]]), number(rec[ix["ask_size"]])
    except ValueError:
        raise RowError("bad number") from None
    strike = positive(strike, "strike")
    return ChainValues(
        underlying=rec[ix["root"]].strip(),
        quote_ts=utc_us(ts),
        expiry=expiry,
        expiry_ts=close_us(expiry, US_CLOSE, NEW_YORK),
        strike=strike,
        right=right,
        bid=bid,
        ask=ask,
        last=math.nan,
        bid_size=bid_size,
        ask_size=ask_size,
        volume=math.nan,
        open_interest=math.nan,
        underlying_price=math.nan,  # filled from the underlying's bars once all rows are read
    )


def read_minute_quotes(path: Path, underlying_bars: Path | None = None) -> ChainRead:
    table, report = read_csv_table(
        path,
        layout="minute option quote",
        required=REQUIRED,
        schema=CHAIN_SCHEMA,
        parse=_parse,
        empty_lacks_columns=True,
    )
    if table.num_rows:
        roots = set(table["underlying"].to_pylist())
        bars = underlying_bars or (_sibling_bars(path, roots.pop()) if len(roots) == 1 else None)
        if bars is not None:
            ends, closes = underlying_closes(bars)
            # Exactly int(t.timestamp() * 1e6), as underlying_closes converts the bar ends, so the two
            # compare alike (timestamp() divides the exact microseconds by 10**6 the same way).
            us = table["quote_ts"].cast(pa.int64()).to_pylist()
            qts = np.array([int(u / 1_000_000 * 1_000_000) for u in us], dtype=np.int64)
            pos = np.searchsorted(ends, qts, side="right") - 1  # the last bar that ended by the quote
            spot = np.where(pos >= 0, closes[np.maximum(pos, 0)], np.nan)
            i = CHAIN_SCHEMA.get_field_index("underlying_price")
            table = table.set_column(i, CHAIN_SCHEMA.field(i), pa.array(spot, type=pa.float64()))
    return ChainRead(table, report)
