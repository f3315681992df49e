"""Every data format we import: which one a file holds, which store table it feeds, and its reader."""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyarrow as pa

from optionpilot.adapters.files import bars, option_bars, vix_news
from optionpilot.adapters.files.chain_table import ReadReport
from optionpilot.adapters.files.csv_rows import open_text
from optionpilot.adapters.files.detect import ChainFormat, detect_format
from optionpilot.adapters.files.row_checks import check_rows
from optionpilot.adapters.files.treasury_rates import read_rates_table
from optionpilot.core.calendars import Market
from optionpilot.core.errors import DataError


class DataFormat(StrEnum):
    VENDOR_EOD = "vendor_eod"
    CBOE_DATASHOP = "cboe_datashop"
    NSE_CSV = "nse_csv"
    NSE_JSON = "nse_json"
    MINUTE_QUOTES = "minute_quotes"
    OPTION_DAILY_QUOTES = "option_daily_quotes"
    OPTION_TRADES = "option_trades"
    OPEN_INTEREST = "open_interest"
    MINUTE_BARS = "minute_bars"
    QUOTE_BARS = "quote_bars"
    DAILY_BARS = "daily_bars"
    VIX = "vix"
    TREASURY = "treasury"
    NEWS = "news"


class Kind(StrEnum):
    """The store table a format feeds."""

    CHAINS = "chains"
    OPTION_TRADES = "option_trades"
    OPEN_INTEREST = "open_interest"
    MINUTE_BARS = "minute_bars"
    QUOTE_BARS = "quote_bars"
    DAILY_BARS = "daily_bars"
    VIX = "vix"
    RATES = "rates"
    NEWS = "news"
    IV_HISTORY = "iv_history"  # computed from stored chains, not imported


KIND: dict[DataFormat, Kind] = {
    DataFormat.VENDOR_EOD: Kind.CHAINS,
    DataFormat.CBOE_DATASHOP: Kind.CHAINS,
    DataFormat.NSE_CSV: Kind.CHAINS,
    DataFormat.NSE_JSON: Kind.CHAINS,
    DataFormat.MINUTE_QUOTES: Kind.CHAINS,
    DataFormat.OPTION_DAILY_QUOTES: Kind.CHAINS,
    DataFormat.OPTION_TRADES: Kind.OPTION_TRADES,
    DataFormat.OPEN_INTEREST: Kind.OPEN_INTEREST,
    DataFormat.MINUTE_BARS: Kind.MINUTE_BARS,
    DataFormat.QUOTE_BARS: Kind.QUOTE_BARS,
    DataFormat.DAILY_BARS: Kind.DAILY_BARS,
    DataFormat.VIX: Kind.VIX,
    DataFormat.TREASURY: Kind.RATES,
    DataFormat.NEWS: Kind.NEWS,
}
# Intraday formats whose times must mostly fall in the regular session (the time-zone check).
INTRADAY = frozenset(
    {DataFormat.MINUTE_QUOTES, DataFormat.OPTION_TRADES, DataFormat.MINUTE_BARS, DataFormat.QUOTE_BARS}
)


@dataclass(frozen=True, slots=True)
class DataRead:
    fmt: DataFormat
    kind: Kind
    market: Market
    table: pa.Table
    report: ReadReport


# Checked in order, after the chain formats: (format, columns the header must hold).
_BY_COLUMNS: tuple[tuple[DataFormat, frozenset[str]], ...] = (
    (DataFormat.OPTION_DAILY_QUOTES, frozenset(option_bars.DAILY_QUOTE_COLUMNS)),
    (DataFormat.OPEN_INTEREST, frozenset(option_bars.OPEN_INTEREST_COLUMNS)),
    (DataFormat.OPTION_TRADES, frozenset(option_bars.OPTION_TRADE_COLUMNS)),
    (DataFormat.QUOTE_BARS, frozenset(bars.QUOTE_BAR_COLUMNS)),
    (DataFormat.DAILY_BARS, frozenset(bars.VENDOR_DAILY_COLUMNS)),
    (DataFormat.MINUTE_BARS, frozenset(bars.MINUTE_BAR_COLUMNS)),
    (DataFormat.VIX, frozenset(vix_news.VIX_COLUMNS)),
    (DataFormat.NEWS, frozenset(vix_news.NEWS_COLUMNS)),
    (DataFormat.TREASURY, frozenset({"1month", "3month", "1year", "10year"})),
)


def detect_data_format(path: Path) -> DataFormat:
    """The format of `path`; a DataError naming the file and what was seen when it is none of ours."""
    try:
        return DataFormat(detect_format(path).value)
    except DataError as exc:
        if "matches none" not in str(exc) or path.suffix.lower() == ".json":
            raise
    with open_text(path) as fh:
        first, second = fh.readline(), fh.readline()
    if not first.strip():
        raise DataError("empty file: cannot tell the format", source=str(path))
    header = {h.strip().lower() for h in first.split(",")}
    for fmt, columns in _BY_COLUMNS:
        if columns <= header:
            if fmt is DataFormat.MINUTE_BARS and _is_date_only(second, first):
                return DataFormat.DAILY_BARS
            return fmt
    shown = first.strip()[:120]
    raise DataError(
        f"cannot tell the format: header {shown!r} matches none of {', '.join(f.value for f in DataFormat)}",
        source=str(path),
        line=1,
    )


def _is_date_only(row: str, header: str) -> bool:
    """Daily and minute bars share a header; a daily file's first `datetime` has no time of day."""
    names = [h.strip().lower() for h in header.split(",")]
    values = row.split(",")
    if "datetime" not in names or len(values) != len(names):
        return False
    stamp = values[names.index("datetime")].strip()
    return len(stamp) == 10 or stamp.endswith(" 00:00:00")


def _chain(fmt: DataFormat) -> Callable[[Path], tuple[pa.Table, ReadReport]]:
    from optionpilot.adapters.files.detect import READERS

    return READERS[ChainFormat(fmt.value)]


def _rates(path: Path) -> tuple[pa.Table, ReadReport]:
    table = read_rates_table(path)
    report = ReadReport(str(path), rows_read=table.num_rows, rows_kept=table.num_rows)
    return table, report


_READERS: dict[DataFormat, Callable[[Path], tuple[pa.Table, ReadReport]]] = {
    DataFormat.OPTION_DAILY_QUOTES: option_bars.read_option_daily_quotes,
    DataFormat.OPTION_TRADES: option_bars.read_option_trades,
    DataFormat.OPEN_INTEREST: option_bars.read_open_interest,
    DataFormat.MINUTE_BARS: bars.read_minute_bars,
    DataFormat.QUOTE_BARS: bars.read_quote_bars,
    DataFormat.DAILY_BARS: bars.read_daily_bars,
    DataFormat.VIX: vix_news.read_vix,
    DataFormat.NEWS: vix_news.read_labelled_news,
    DataFormat.TREASURY: _rates,
}


def read_data(path: Path, fmt: DataFormat | None = None) -> DataRead:
    """The checked rows of `path`; any file that cannot be read is one DataError naming it."""
    try:
        fmt = fmt or detect_data_format(path)
        if not path.is_file():
            raise DataError("no such file", source=str(path))
        if fmt.value in {c.value for c in ChainFormat}:
            table, report = _chain(fmt)(path)
        else:
            table, report = _READERS[fmt](path)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error, zlib.error) as exc:
        # Permission denied, a directory, broken gzip, binary garbage: the file, not a row, is bad.
        raise DataError(f"unreadable: {exc}", source=str(path)) from None
    market = Market.IN if fmt in (DataFormat.NSE_CSV, DataFormat.NSE_JSON) else Market.US
    table = check_rows(table, market, report)
    if KIND[fmt] is Kind.MINUTE_BARS or KIND[fmt] is Kind.QUOTE_BARS:
        table = bars.with_session(table, market)
    return DataRead(fmt, KIND[fmt], market, table, report)
