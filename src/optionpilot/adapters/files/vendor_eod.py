"""The vendor end-of-day chain layout shared by `spy_2021` and `vxx_2016` (quotes at the 16:00 close).

underlying,underlying_last,[exchange,]optionroot,[optionext,]type,expiration,quotedate,strike,last,bid,ask,
volume,openinterest,impliedvol,delta,gamma,theta,vega,optionalias
"""

from __future__ import annotations

import csv
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

REQUIRED = (
    "underlying", "underlying_last", "type", "expiration", "quotedate",
    "strike", "last", "bid", "ask", "volume", "openinterest",
)  # fmt: skip


def read_vendor_eod(path: Path) -> ChainRead:
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
                f"not the vendor end-of-day layout: no column {', '.join(missing)}", source=str(path), line=1
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
                quote_day = parse_day(rec[ix["quotedate"]])
                expiry = parse_day(rec[ix["expiration"]])
            except ValueError:
                report.skip("bad date", line)
                continue
            try:
                right = parse_right(rec[ix["type"]])
            except ValueError:
                report.skip("bad option type", line)
                continue
            try:
                strike = number(rec[ix["strike"]])
                spot = number(rec[ix["underlying_last"]])
                bid, ask, last = (number(rec[ix[k]]) for k in ("bid", "ask", "last"))
                volume, oi = number(rec[ix["volume"]]), number(rec[ix["openinterest"]])
            except ValueError:
                report.skip("bad number", line)
                continue
            if not strike > 0:
                report.skip("strike missing or not positive", line)
                continue
            rows.add(
                underlying=rec[ix["underlying"]].strip(),
                quote_ts=close_utc(quote_day, US_CLOSE, NEW_YORK),
                expiry=expiry,
                expiry_ts=close_utc(expiry, US_CLOSE, NEW_YORK),
                strike=strike,
                right=right,
                bid=bid,
                ask=ask,
                last=last,
                volume=volume,
                open_interest=oi,
                underlying_price=spot,
                source_line=line,
            )
    report.rows_kept = len(rows)
    return ChainRead(rows.table(), report)
