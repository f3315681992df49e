"""The vendor end-of-day chain layout shared by `spy_2021` and `vxx_2016` (quotes at the 16:00 close).

underlying,underlying_last,[exchange,]optionroot,[optionext,]type,expiration,quotedate,strike,last,bid,ask,
volume,openinterest,impliedvol,delta,gamma,theta,vega,optionalias
"""

from __future__ import annotations

import math
from pathlib import Path

from optionpilot.adapters.files.chain_table import (
    CHAIN_SCHEMA,
    NEW_YORK,
    US_CLOSE,
    ChainRead,
    ChainValues,
    close_us,
    number,
    parse_day,
    parse_right,
)
from optionpilot.adapters.files.csv_rows import RowError, positive, read_csv_table

REQUIRED = (
    "underlying", "underlying_last", "type", "expiration", "quotedate",
    "strike", "last", "bid", "ask", "volume", "openinterest",
)  # fmt: skip


def _parse(rec: list[str], ix: dict[str, int]) -> ChainValues:
    try:
        quote_day = parse_day(rec[ix["quotedate"]])
        expiry = parse_day(rec[ix["expiration"]])
    except ValueError:
        raise RowError("bad date") from None
    try:
        right = parse_right(rec[ix["type"]])
    except ValueError:
        raise RowError("bad option type") from None
    try:
        v = {k: number(rec[ix[k]]) for k in REQUIRED[5:]}
        spot = number(rec[ix["underlying_last"]])
    except ValueError:
        raise RowError("bad number") from None
    strike = positive(v["strike"], "strike")
    return ChainValues(
        underlying=rec[ix["underlying"]].strip(),
        quote_ts=close_us(quote_day, US_CLOSE, NEW_YORK),
        expiry=expiry,
        expiry_ts=close_us(expiry, US_CLOSE, NEW_YORK),
        strike=strike,
        right=right,
        bid=v["bid"],
        ask=v["ask"],
        last=v["last"],
        bid_size=math.nan,
        ask_size=math.nan,
        volume=v["volume"],
        open_interest=v["openinterest"],
        underlying_price=spot,
    )


def read_vendor_eod(path: Path) -> ChainRead:
    return ChainRead(
        *read_csv_table(
            path, layout="vendor end-of-day", required=REQUIRED, schema=CHAIN_SCHEMA, parse=_parse
        )
    )
