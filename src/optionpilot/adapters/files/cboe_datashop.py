"""CBOE DataShop "end of day with 15:45 quotes": we use the 15:45 snapshot, the one the underlying matches."""

from __future__ import annotations

import math
from datetime import time
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

SNAPSHOT = time(15, 45)
REQUIRED = (
    "underlying_symbol", "quote_date", "expiration", "strike", "option_type", "close", "trade_volume",
    "bid_size_1545", "bid_1545", "ask_size_1545", "ask_1545", "underlying_bid_1545", "underlying_ask_1545",
    "open_interest",
)  # fmt: skip


def _parse(rec: list[str], ix: dict[str, int]) -> ChainValues:
    try:
        day = parse_day(rec[ix["quote_date"]])
        expiry = parse_day(rec[ix["expiration"]])
        right = parse_right(rec[ix["option_type"]])
    except ValueError:
        raise RowError("bad date or option type") from None
    try:
        v = {k: number(rec[ix[k]]) for k in REQUIRED[3:] if k != "option_type"}
    except ValueError:
        raise RowError("bad number") from None
    strike = positive(v["strike"], "strike")
    ub, ua = v["underlying_bid_1545"], v["underlying_ask_1545"]
    return ChainValues(
        underlying=rec[ix["underlying_symbol"]].strip(),
        quote_ts=close_us(day, SNAPSHOT, NEW_YORK),
        expiry=expiry,
        expiry_ts=close_us(expiry, US_CLOSE, NEW_YORK),
        strike=strike,
        right=right,
        bid=v["bid_1545"],
        ask=v["ask_1545"],
        last=v["close"] if v["close"] > 0 else math.nan,  # 0 means no trade that day
        bid_size=v["bid_size_1545"],
        ask_size=v["ask_size_1545"],
        volume=v["trade_volume"],
        open_interest=v["open_interest"],
        underlying_price=0.5 * (ub + ua) if ub > 0 and ua > 0 else math.nan,
    )


def read_cboe_datashop(path: Path) -> ChainRead:
    return ChainRead(
        *read_csv_table(path, layout="CBOE DataShop", required=REQUIRED, schema=CHAIN_SCHEMA, parse=_parse)
    )
