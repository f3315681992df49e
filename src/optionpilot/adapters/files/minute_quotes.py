"""Minute option quote bars (the `intraday` sets): bid/ask OHLC per contract, stamped with the bar's start.

A bar's close is known only at its end, so quote_ts = start + 1 minute. The underlying price is the close
of the underlying's minute bar that ended by then, from the sibling `<root>_minute_trade_*.csv` file
(or the one given); none later is ever used.
"""

from __future__ import annotations

import csv
import gzip
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np

from optionpilot.adapters.files.chain_table import (
    NEW_YORK,
    US_CLOSE,
    ChainRead,
    ChainRows,
    ReadReport,
    close_utc,
    number,
    parse_day,
    parse_right,
)
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


def open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", newline="")
    return path.open(newline="")


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


def read_minute_quotes(path: Path, underlying_bars: Path | None = None) -> ChainRead:
    report = ReadReport(str(path))
    rows = ChainRows()
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise DataError(
                f"not the minute option quote layout: no column {', '.join(missing)}",
                source=str(path),
                line=1,
            )
        ix = {name: header.index(name) for name in REQUIRED}
        for line, rec in enumerate(reader, start=2):
            if not rec:
                continue
            report.rows_read += 1
            if len(rec) != len(header):
                report.skip("wrong number of fields", line)
                continue
            try:
                ts = (_local(rec[ix["datetime"]]) + BAR).astimezone(UTC)
                expiry = parse_day(rec[ix["expiration"]])
                right = parse_right(rec[ix["right"]])
            except ValueError:
                report.skip("bad date or option type", line)
                continue
            try:
                strike = number(rec[ix["strike"]])
                bid, ask = number(rec[ix["bid_close"]]), number(rec[ix["ask_close"]])
                bsz, asz = number(rec[ix["bid_size"]]), number(rec[ix["ask_size"]])
            except ValueError:
                report.skip("bad number", line)
                continue
            if not strike > 0:
                report.skip("strike missing or not positive", line)
                continue
            rows.add(
                underlying=rec[ix["root"]].strip(),
                quote_ts=ts,
                expiry=expiry,
                expiry_ts=close_utc(expiry, US_CLOSE, NEW_YORK),
                strike=strike,
                right=right,
                bid=bid,
                ask=ask,
                last=math.nan,
                bid_size=bsz,
                ask_size=asz,
                volume=math.nan,
                open_interest=math.nan,
                underlying_price=math.nan,
                source_line=line,
            )
    report.rows_kept = len(rows)
    if len(rows):
        roots = {str(u) for u in rows.cols["underlying"]}
        bars = underlying_bars or (_sibling_bars(path, roots.pop()) if len(roots) == 1 else None)
        if bars is not None:
            ends, closes = underlying_closes(bars)
            qts = np.array([int(t.timestamp() * 1_000_000) for t in rows.cols["quote_ts"]], dtype=np.int64)  # type: ignore[attr-defined]
            pos = np.searchsorted(ends, qts, side="right") - 1  # the last bar that ended by the quote
            spot = np.where(pos >= 0, closes[np.maximum(pos, 0)], np.nan)
            rows.cols["underlying_price"] = list(spot)
    return ChainRead(rows.table(), report)
