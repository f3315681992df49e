"""CBOE DataShop "end of day with 15:45 quotes": we use the 15:45 snapshot, the one the underlying matches."""

from __future__ import annotations

import csv
import math
from datetime import time
from pathlib import Path

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

SNAPSHOT = time(15, 45)
REQUIRED = (
    "underlying_symbol", "quote_date", "expiration", "strike", "option_type", "close", "trade_volume",
    "bid_size_1545", "bid_1545", "ask_size_1545", "ask_1545", "underlying_bid_1545", "underlying_ask_1545",
    "open_interest",
)  # fmt: skip


def read_cboe_datashop(path: Path) -> ChainRead:
    report = ReadReport(str(path))
    rows = ChainRows()
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise DataError("empty file", source=str(path)) from None
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise DataError(
                f"not the CBOE DataShop layout: no column {', '.join(missing)}", source=str(path), line=1
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
                day = parse_day(rec[ix["quote_date"]])
                expiry = parse_day(rec[ix["expiration"]])
                right = parse_right(rec[ix["option_type"]])
            except ValueError:
                report.skip("bad date or option type", line)
                continue
            try:
                vals = {k: number(rec[ix[k]]) for k in REQUIRED[3:] if k != "option_type"}
            except ValueError:
                report.skip("bad number", line)
                continue
            if not vals["strike"] > 0:
                report.skip("strike missing or not positive", line)
                continue
            ub, ua = vals["underlying_bid_1545"], vals["underlying_ask_1545"]
            spot = 0.5 * (ub + ua) if ub > 0 and ua > 0 else math.nan
            last = vals["close"] if vals["close"] > 0 else math.nan  # 0 means no trade that day
            rows.add(
                underlying=rec[ix["underlying_symbol"]].strip(),
                quote_ts=close_utc(day, SNAPSHOT, NEW_YORK),
                expiry=expiry,
                expiry_ts=close_utc(expiry, US_CLOSE, NEW_YORK),
                strike=vals["strike"],
                right=right,
                bid=vals["bid_1545"],
                ask=vals["ask_1545"],
                last=last,
                bid_size=vals["bid_size_1545"],
                ask_size=vals["ask_size_1545"],
                volume=vals["trade_volume"],
                open_interest=vals["open_interest"],
                underlying_price=spot,
                source_line=line,
            )
    report.rows_kept = len(rows)
    return ChainRead(rows.table(), report)
