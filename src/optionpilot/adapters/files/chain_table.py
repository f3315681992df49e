"""The normalised option-chain table every chain reader returns, and its read report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
US_CLOSE = time(16, 0)
NSE_CLOSE = time(15, 30)

CHAIN_SCHEMA = pa.schema(
    [
        ("underlying", pa.string()),
        ("quote_ts", pa.timestamp("us", tz="UTC")),
        ("expiry", pa.date32()),
        ("expiry_ts", pa.timestamp("us", tz="UTC")),  # when the contract stops trading (the expiry close)
        ("strike", pa.float64()),
        ("right", pa.string()),  # 'C' or 'P'
        ("bid", pa.float64()),  # NaN where the file has none
        ("ask", pa.float64()),
        ("last", pa.float64()),
        ("bid_size", pa.float64()),
        ("ask_size", pa.float64()),
        ("volume", pa.float64()),
        ("open_interest", pa.float64()),
        ("underlying_price", pa.float64()),
        ("source_line", pa.int64()),  # line in the file (header = 1), or record number for JSON
    ]
)


@dataclass
class ReadReport:
    """Rows read and rows skipped, by reason, with the lines skipped (the first few per reason)."""

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_lines: dict[str, list[int]] = field(default_factory=dict)
    max_lines_kept: int = 20
    # Every skipped row as (line, reason), for the rejects file; the lists above are for messages.
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Rows kept but worth a look (crossed quotes), by reason: counted, never dropped.
    flagged: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, line: int) -> None:
        self.skipped[reason] += 1
        self.rejected.append((line, reason))
        lines = self.skipped_lines.setdefault(reason, [])
        if len(lines) < self.max_lines_kept:
            lines.append(line)

    def summary(self) -> str:
        parts = [f"{self.source}: {self.rows_read} rows read, {self.rows_kept} kept"]
        for reason, n in self.skipped.most_common():
            parts.append(
                f"{n} skipped ({reason}; lines {', '.join(map(str, self.skipped_lines[reason][:5]))})"
            )
        return "; ".join(parts)


class ChainRead(NamedTuple):
    table: pa.Table
    report: ReadReport


class ChainValues(NamedTuple):
    """One row of CHAIN_SCHEMA without its source_line, times as epoch microseconds (see `utc_us`)."""

    underlying: str
    quote_ts: int
    expiry: date
    expiry_ts: int
    strike: float
    right: str
    bid: float
    ask: float
    last: float
    bid_size: float
    ask_size: float
    volume: float
    open_interest: float
    underlying_price: float


def close_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def utc_us(t: datetime) -> int:
    """Epoch microseconds of an aware time, exact (as pyarrow stores it) also before 1970."""
    return (t - _EPOCH) // _MICROSECOND


@lru_cache(maxsize=4096)
def close_us(day: date, at: time, tz: ZoneInfo) -> int:
    """`utc_us(close_utc(...))`, cached: a chain file holds few distinct days and expiries."""
    return utc_us(close_utc(day, at, tz))


class ChainRows:
    """Collects normalised rows column by column, then makes the table."""

    def __init__(self) -> None:
        self.cols: dict[str, list[object]] = {f.name: [] for f in CHAIN_SCHEMA}

    def add(
        self,
        *,
        underlying: str,
        quote_ts: datetime,
        expiry: date,
        expiry_ts: datetime,
        strike: float,
        right: str,
        bid: float,
        ask: float,
        last: float,
        volume: float,
        open_interest: float,
        underlying_price: float,
        source_line: int,
        bid_size: float = float("nan"),
        ask_size: float = float("nan"),
    ) -> None:
        c = self.cols
        c["underlying"].append(underlying)
        c["quote_ts"].append(quote_ts)
        c["expiry"].append(expiry)
        c["expiry_ts"].append(expiry_ts)
        c["strike"].append(strike)
        c["right"].append(right)
        c["bid"].append(bid)
        c["ask"].append(ask)
        c["last"].append(last)
        c["bid_size"].append(bid_size)
        c["ask_size"].append(ask_size)
        c["volume"].append(volume)
        c["open_interest"].append(open_interest)
        c["underlying_price"].append(underlying_price)
        c["source_line"].append(source_line)

    def __len__(self) -> int:
        return len(self.cols["strike"])

    def table(self) -> pa.Table:
        arrays = []
        for f in CHAIN_SCHEMA:
            values = self.cols[f.name]
            if pa.types.is_floating(f.type):
                arrays.append(pa.array(np.asarray(values, dtype=np.float64)))
            else:
                arrays.append(pa.array(values, type=f.type))
        return pa.Table.from_arrays(arrays, schema=CHAIN_SCHEMA)


def number(text: str) -> float:
    """A float from a vendor field; empty means missing (NaN). Raises ValueError on garbage."""
    t = text.strip()
    if not t:
        return float("nan")
    return float(t)


def parse_day(text: str) -> date:
    """ISO (2021-01-29, optionally with a time), US (01/29/2021) or NSE (29-Jan-2025) dates."""
    t = text.strip()
    if "/" in t:
        return datetime.strptime(t, "%m/%d/%Y").date()  # noqa: DTZ007 - a calendar date, no time
    if len(t) >= 10 and t[4] == "-":
        return date.fromisoformat(t[:10])
    return datetime.strptime(t, "%d-%b-%Y").date()  # noqa: DTZ007 - a calendar date, no time


def parse_right(text: str) -> str:
    t = text.strip().upper()
    if t in ("C", "CALL", "CE"):
        return "C"
    if t in ("P", "PUT", "PE"):
        return "P"
    raise ValueError(f"option type {text!r} is not call or put")
