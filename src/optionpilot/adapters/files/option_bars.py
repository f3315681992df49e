"""Per-contract option files of the intraday sets: minute trade bars, open interest, daily quote bars."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa

from optionpilot.adapters.files.chain_table import (
    CHAIN_SCHEMA,
    NEW_YORK,
    US_CLOSE,
    ReadReport,
    close_utc,
    number,
    parse_day,
    parse_right,
)
from optionpilot.adapters.files.csv_rows import RowError, positive, read_csv_table
from optionpilot.adapters.files.timestamps import epoch_us, to_utc
from optionpilot.core.calendars import Market

TS = pa.timestamp("us", tz="UTC")
_CONTRACT = [
    ("underlying", pa.string()),
    ("expiry", pa.date32()),
    ("strike", pa.float64()),
    ("right", pa.string()),
]
OPTION_TRADE_SCHEMA = pa.schema(
    [
        ("start", TS),
        *_CONTRACT,
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("source_line", pa.int64()),
    ]
)
OPEN_INTEREST_SCHEMA = pa.schema(
    [("ts", TS), *_CONTRACT, ("open_interest", pa.float64()), ("source_line", pa.int64())]
)
OPTION_TRADE_COLUMNS = (
    "datetime",
    "root",
    "right",
    "strike",
    "expiration",
    "open",
    "high",
    "low",
    "close",
    "volume",
)
OPEN_INTEREST_COLUMNS = ("datetime", "root", "right", "strike", "expiration", "open_interest")
DAILY_QUOTE_COLUMNS = (
    "date",
    "root",
    "right",
    "strike",
    "expiration",
    "bid_close",
    "bid_size",
    "ask_close",
    "ask_size",
)


def _contract(rec: list[str], ix: dict[str, int]) -> tuple[str, object, float, str]:
    try:
        right = parse_right(rec[ix["right"]])
    except ValueError:
        raise RowError("bad option type") from None
    strike = positive(number(rec[ix["strike"]]), "strike")
    return rec[ix["root"]].strip().upper(), parse_day(rec[ix["expiration"]]), strike, right


def read_option_trades(path: Path, market: Market = Market.US) -> tuple[pa.Table, ReadReport]:
    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        start = epoch_us(to_utc(rec[ix["datetime"]], market))
        prices = [positive(number(rec[ix[k]]), k) for k in ("open", "high", "low", "close")]
        volume = number(rec[ix["volume"]])
        if not volume >= 0:
            raise RowError("volume missing or negative")
        return (start, *_contract(rec, ix), *prices, volume)

    return read_csv_table(
        path,
        layout="option minute trade",
        required=OPTION_TRADE_COLUMNS,
        schema=OPTION_TRADE_SCHEMA,
        parse=parse,
    )


def read_open_interest(path: Path, market: Market = Market.US) -> tuple[pa.Table, ReadReport]:
    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        ts = epoch_us(to_utc(rec[ix["datetime"]], market))
        oi = number(rec[ix["open_interest"]])
        if not oi >= 0:
            raise RowError("open interest missing or negative")
        return (ts, *_contract(rec, ix), oi)

    return read_csv_table(
        path,
        layout="option open interest",
        required=OPEN_INTEREST_COLUMNS,
        schema=OPEN_INTEREST_SCHEMA,
        parse=parse,
    )


def read_option_daily_quotes(path: Path) -> tuple[pa.Table, ReadReport]:
    """Daily bid/ask bars per contract: the closing quotes, known at the 16:00 close, in the chain schema."""
    schema = CHAIN_SCHEMA

    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        day = parse_day(rec[ix["date"]])
        under, expiry, strike, right = _contract(rec, ix)
        bid, ask = number(rec[ix["bid_close"]]), number(rec[ix["ask_close"]])
        ts = epoch_us(close_utc(day, US_CLOSE, NEW_YORK))
        expiry_ts = epoch_us(close_utc(expiry, US_CLOSE, NEW_YORK))  # type: ignore[arg-type]
        nan = math.nan
        return (
            under, ts, expiry, expiry_ts, strike, right, bid, ask, nan,
            number(rec[ix["bid_size"]]), number(rec[ix["ask_size"]]), nan, nan, nan,
        )  # fmt: skip

    return read_csv_table(
        path, layout="option daily quote", required=DAILY_QUOTE_COLUMNS, schema=schema, parse=parse
    )
