"""Which option-chain format a file holds, from its header (or JSON shape), and one `read_chain` for all."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from optionpilot.adapters.files.cboe_datashop import REQUIRED as CBOE_COLUMNS
from optionpilot.adapters.files.cboe_datashop import read_cboe_datashop
from optionpilot.adapters.files.chain_table import ChainRead
from optionpilot.adapters.files.csv_rows import open_text
from optionpilot.adapters.files.minute_quotes import REQUIRED as MINUTE_COLUMNS
from optionpilot.adapters.files.minute_quotes import read_minute_quotes
from optionpilot.adapters.files.nse_csv import REQUIRED as NSE_COLUMNS
from optionpilot.adapters.files.nse_csv import read_nse_csv
from optionpilot.adapters.files.nse_json import read_nse_json
from optionpilot.adapters.files.vendor_eod import REQUIRED as VENDOR_COLUMNS
from optionpilot.adapters.files.vendor_eod import read_vendor_eod
from optionpilot.core.errors import DataError


class ChainFormat(StrEnum):
    VENDOR_EOD = "vendor_eod"
    CBOE_DATASHOP = "cboe_datashop"
    NSE_CSV = "nse_csv"
    NSE_JSON = "nse_json"
    MINUTE_QUOTES = "minute_quotes"


_BY_COLUMNS: tuple[tuple[ChainFormat, tuple[str, ...]], ...] = (
    (ChainFormat.VENDOR_EOD, VENDOR_COLUMNS),
    (ChainFormat.CBOE_DATASHOP, CBOE_COLUMNS),
    (ChainFormat.NSE_CSV, NSE_COLUMNS),
    (ChainFormat.MINUTE_QUOTES, MINUTE_COLUMNS),
)

READERS: dict[ChainFormat, Callable[[Path], ChainRead]] = {
    ChainFormat.VENDOR_EOD: read_vendor_eod,
    ChainFormat.CBOE_DATASHOP: read_cboe_datashop,
    ChainFormat.NSE_CSV: read_nse_csv,
    ChainFormat.NSE_JSON: read_nse_json,
    ChainFormat.MINUTE_QUOTES: read_minute_quotes,
}


def detect_format(path: Path) -> ChainFormat:
    """The format of `path`; a DataError saying what was seen when it is none of ours."""
    if not path.is_file():
        raise DataError("no such file", source=str(path))
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(path.read_text())
            if isinstance(doc["records"]["data"], list):
                return ChainFormat.NSE_JSON
        except (ValueError, KeyError, TypeError):
            pass
        raise DataError(
            "cannot tell the format: JSON without records.data (NSE option chain)", source=str(path)
        )
    try:
        with open_text(path) as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot tell the format: unreadable as text ({exc})", source=str(path)) from None
    header = {h.strip().lower() for h in first.split(",")}
    for fmt, columns in _BY_COLUMNS:
        if set(columns) <= header:
            return fmt
    shown = first.strip()[:120]
    raise DataError(
        f"cannot tell the format: header {shown!r} matches none of {', '.join(f.value for f in ChainFormat)}",
        source=str(path),
        line=1,
    )


def read_chain(path: Path, fmt: ChainFormat | None = None) -> ChainRead:
    return READERS[fmt or detect_format(path)](path)
