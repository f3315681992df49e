"""Stock bars: 1-minute trade and quote bars (stamped with their start) and daily bars, two layouts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from optionpilot.adapters.files.chain_table import ReadReport, number, parse_day
from optionpilot.adapters.files.csv_rows import RowError, positive, read_csv_table
from optionpilot.adapters.files.timestamps import epoch_us, session_parts, to_utc
from optionpilot.core.calendars import Market

TS = pa.timestamp("us", tz="UTC")

MINUTE_BAR_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("start", TS),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("source_line", pa.int64()),
    ]
)
_QUOTE_FIELDS = ("bid_open", "bid_high", "bid_low", "bid_close", "bid_size")
_ASK_FIELDS = ("ask_open", "ask_high", "ask_low", "ask_close", "ask_size")
QUOTE_BAR_SCHEMA = pa.schema(
    [("symbol", pa.string()), ("start", TS)]
    + [(f, pa.float64()) for f in (*_QUOTE_FIELDS, *_ASK_FIELDS)]
    + [("source_line", pa.int64())]
)
DAILY_BAR_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("day", pa.date32()),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("split_factor", pa.float64()),  # the vendor's, where it gives one (NaN: not stated)
        ("dividend", pa.float64()),
        ("source_line", pa.int64()),
    ]
)
MINUTE_BAR_COLUMNS = ("datetime", "symbol", "open", "high", "low", "close", "volume")
QUOTE_BAR_COLUMNS = ("datetime", "symbol", *_QUOTE_FIELDS, *_ASK_FIELDS)
DAILY_BAR_COLUMNS = ("datetime", "symbol", "open", "high", "low", "close", "volume")
VENDOR_DAILY_COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume", "splitfactor", "divcash")


def _ohlc(o: float, h: float, lo: float, c: float) -> tuple[float, float, float, float]:
    for v, what in ((o, "open"), (h, "high"), (lo, "low"), (c, "close")):
        positive(v, what)
    if h < max(o, c, lo) or lo > min(o, c, h):
        raise RowError("high below or low above the other prices")
    return o, h, lo, c


def read_minute_bars(path: Path, market: Market = Market.US) -> tuple[pa.Table, ReadReport]:
    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        start = epoch_us(to_utc(rec[ix["datetime"]], market))
        o, h, lo, c = _ohlc(*(number(rec[ix[k]]) for k in ("open", "high", "low", "close")))
        return (rec[ix["symbol"]].strip().upper(), start, o, h, lo, c, number(rec[ix["volume"]]))

    return read_csv_table(
        path, layout="minute trade bar", required=MINUTE_BAR_COLUMNS, schema=MINUTE_BAR_SCHEMA, parse=parse
    )


def read_quote_bars(path: Path, market: Market = Market.US) -> tuple[pa.Table, ReadReport]:
    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        start = epoch_us(to_utc(rec[ix["datetime"]], market))
        values = [number(rec[ix[k]]) for k in (*_QUOTE_FIELDS, *_ASK_FIELDS)]
        if any(math.isnan(v) for v in values):
            raise RowError("missing bid or ask")
        return (rec[ix["symbol"]].strip().upper(), start, *values)

    return read_csv_table(
        path, layout="minute quote bar", required=QUOTE_BAR_COLUMNS, schema=QUOTE_BAR_SCHEMA, parse=parse
    )


def read_daily_bars(path: Path) -> tuple[pa.Table, ReadReport]:
    """`datetime,symbol,open,high,low,close,volume` or the vendor `symbol,date,close,...,splitFactor`."""
    with path.open() as fh:
        vendor = "splitfactor" in fh.readline().lower()

    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        day = parse_day(rec[ix["date" if vendor else "datetime"]])
        o, h, lo, c = _ohlc(*(number(rec[ix[k]]) for k in ("open", "high", "low", "close")))
        split = number(rec[ix["splitfactor"]]) if vendor else math.nan
        div = number(rec[ix["divcash"]]) if vendor else math.nan
        return (rec[ix["symbol"]].strip().upper(), day, o, h, lo, c, number(rec[ix["volume"]]), split, div)

    return read_csv_table(
        path,
        layout="daily bar",
        required=VENDOR_DAILY_COLUMNS if vendor else DAILY_BAR_COLUMNS,
        schema=DAILY_BAR_SCHEMA,
        parse=parse,
    )


def with_session(table: pa.Table, market: Market) -> pa.Table:
    """Adds the `session` column (pre, regular, post, closed): extended hours are kept, but apart."""
    start = table["start"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    parts = session_parts(np.asarray(start, dtype=np.int64), market)
    return table.append_column("session", pa.array(parts.tolist(), type=pa.string()))


def regular_only(table: pa.Table) -> pa.Table:
    return table.filter(pc.equal(table["session"], "regular"))
