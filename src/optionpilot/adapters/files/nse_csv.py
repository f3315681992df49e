"""NSE option chains flattened to CSV (one row per strike and side; times are India local)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from optionpilot.adapters.files.chain_table import (
    KOLKATA,
    NSE_CLOSE,
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
    "snapshot_timestamp", "underlying", "underlyingvalue", "expirydate", "strikeprice", "option_type",
    "bidprice", "bidqty", "askprice", "askqty", "lastprice", "openinterest", "totaltradedvolume",
)  # fmt: skip


def read_nse_csv(path: Path) -> ChainRead:
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
                f"not the NSE flat CSV layout: no column {', '.join(missing)}", source=str(path), line=1
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
                ts = datetime.fromisoformat(rec[ix["snapshot_timestamp"]].strip()).replace(tzinfo=KOLKATA)
                expiry = parse_day(rec[ix["expirydate"]])
                right = parse_right(rec[ix["option_type"]])
            except ValueError:
                report.skip("bad date or option type", line)
                continue
            try:
                v = {k: number(rec[ix[k]]) for k in REQUIRED[2:] if k not in ("expirydate", "option_type")}
            except ValueError:
                report.skip("bad number", line)
                continue
            if not v["strikeprice"] > 0:
                report.skip("strike missing or not positive", line)
                continue
            rows.add(
                underlying=rec[ix["underlying"]].strip(),
                quote_ts=ts.astimezone(close_utc(expiry, NSE_CLOSE, KOLKATA).tzinfo),
                expiry=expiry,
                expiry_ts=close_utc(expiry, NSE_CLOSE, KOLKATA),
                strike=v["strikeprice"],
                right=right,
                bid=v["bidprice"],
                ask=v["askprice"],
                last=v["lastprice"] if v["lastprice"] > 0 else float("nan"),
                bid_size=v["bidqty"],
                ask_size=v["askqty"],
                volume=v["totaltradedvolume"],
                open_interest=v["openinterest"],
                underlying_price=v["underlyingvalue"],
                source_line=line,
            )
    report.rows_kept = len(rows)
    return ChainRead(rows.table(), report)
