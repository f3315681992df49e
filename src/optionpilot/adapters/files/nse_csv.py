"""NSE option chains flattened to CSV (one row per strike and side; times are India local)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from optionpilot.adapters.files.chain_table import (
    CHAIN_SCHEMA,
    KOLKATA,
    NSE_CLOSE,
    ChainRead,
    ChainValues,
    close_us,
    number,
    parse_day,
    parse_right,
    utc_us,
)
from optionpilot.adapters.files.csv_rows import RowError, positive, read_csv_table

REQUIRED = (
    "snapshot_timestamp", "underlying", "underlyingvalue", "expirydate", "strikeprice", "option_type",
    "bidprice", "bidqty", "askprice", "askqty", "lastprice", "openinterest", "totaltradedvolume",
)  # fmt: skip


def _parse(rec: list[str], ix: dict[str, int]) -> ChainValues:
    try:
        ts = datetime.fromisoformat(rec[ix["snapshot_timestamp"]].strip()).replace(tzinfo=KOLKATA)
        expiry = parse_day(rec[ix["expirydate"]])
        right = parse_right(rec[ix["option_type"]])
    except ValueError:
        raise RowError("bad date or option type") from None
    try:
        v = {k: number(rec[ix[k]]) for k in REQUIRED[2:] if k not in ("expirydate", "option_type")}
    except ValueError:
        raise RowError("bad number") from None
    strike = positive(v["strikeprice"], "strike")
    return ChainValues(
        underlying=rec[ix["underlying"]].strip(),
        quote_ts=utc_us(ts.astimezone(UTC)),
        expiry=expiry,
        expiry_ts=close_us(expiry, NSE_CLOSE, KOLKATA),
        strike=strike,
        right=right,
        bid=v["bidprice"],
        ask=v["askprice"],
        last=v["lastprice"] if v["lastprice"] > 0 else float("nan"),
        bid_size=v["bidqty"],
        ask_size=v["askqty"],
        volume=v["totaltradedvolume"],
        open_interest=v["openinterest"],
        underlying_price=v["underlyingvalue"],
    )


def read_nse_csv(path: Path) -> ChainRead:
    return ChainRead(
        *read_csv_table(path, layout="NSE flat CSV", required=REQUIRED, schema=CHAIN_SCHEMA, parse=_parse)
    )
