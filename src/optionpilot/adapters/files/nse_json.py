"""NSE's raw option-chain JSON (`records.data[]`, each strike with a CE and/or PE side).

There are no lines to point at, so `source_line` is the 1-based index of the record in `records.data`.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from optionpilot.adapters.files.chain_table import (
    KOLKATA,
    NSE_CLOSE,
    ChainRead,
    ChainRows,
    ReadReport,
    close_utc,
    parse_day,
)
from optionpilot.core.errors import DataError


def _num(side: dict[str, Any], key: str) -> float:
    v = side.get(key)
    # Type first: a list or an object in a number's place is unhashable and cannot be compared.
    if isinstance(v, bool) or not (v is None or isinstance(v, int | float | str)):
        raise ValueError(f"{key} is not a number")
    if v is None or v in {"", "-"}:
        return math.nan
    try:
        return float(v)
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"{key} is too large") from None


def read_nse_json(path: Path) -> ChainRead:
    report = ReadReport(str(path))
    rows = ChainRows()
    try:
        doc = json.loads(path.read_text())
        records = doc["records"]
        data = records["data"]
        ts = datetime.strptime(records["timestamp"], "%d-%b-%Y %H:%M:%S").replace(tzinfo=KOLKATA)
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"not an NSE option-chain JSON (records.data and records.timestamp): {exc}", source=str(path)
        ) from None
    if not isinstance(data, list):
        raise DataError("not an NSE option-chain JSON: records.data is not a list", source=str(path))
    for n, rec in enumerate(data, start=1):
        if not isinstance(rec, dict):
            report.rows_read += 1
            report.skip("record is not an object", n)
            continue
        for right, key in (("C", "CE"), ("P", "PE")):
            side = rec.get(key)
            if side is None:
                continue
            report.rows_read += 1
            if not isinstance(side, dict):
                report.skip("record is not an object", n)
                continue
            try:
                expiry = parse_day(str(side.get("expiryDate", rec.get("expiryDate", ""))))
            except ValueError:
                report.skip("bad expiry date", n)
                continue
            try:
                strike = _num(side, "strikePrice")
                vals = {
                    k: _num(side, k)
                    for k in (
                        "bidprice",
                        "askPrice",
                        "lastPrice",
                        "bidQty",
                        "askQty",
                        "totalTradedVolume",
                        "openInterest",
                        "underlyingValue",
                    )
                }
            except ValueError:
                report.skip("bad number", n)
                continue
            if not strike > 0:
                report.skip("strike missing or not positive", n)
                continue
            spot = vals["underlyingValue"]
            if not spot > 0:
                spot = float(records.get("underlyingValue", math.nan) or math.nan)
            rows.add(
                underlying=str(side.get("underlying", "")).strip(),
                quote_ts=ts.astimezone(close_utc(expiry, NSE_CLOSE, KOLKATA).tzinfo),
                expiry=expiry,
                expiry_ts=close_utc(expiry, NSE_CLOSE, KOLKATA),
                strike=strike,
                right=right,
                bid=vals["bidprice"],
                ask=vals["askPrice"],
                last=vals["lastPrice"] if vals["lastPrice"] > 0 else math.nan,
                bid_size=vals["bidQty"],
                ask_size=vals["askQty"],
                volume=vals["totalTradedVolume"],
                open_interest=vals["openInterest"],
                underlying_price=spot,
                source_line=n,
            )
    report.rows_kept = len(rows)
    return ChainRead(rows.table(), report)
