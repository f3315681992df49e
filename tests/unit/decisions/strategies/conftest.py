"""Real chains for the strategy tests, parsed locally from the shared data (a small reader, on purpose)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from optionpilot.core.calendars import Market
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import AssetClass, ExerciseStyle, Settlement, Underlying

NSE_FILE = "options/eod/nse_2025/nse_nifty_banknifty_option_chain_20250716_20250717.csv"
SPY_FILE = "options/eod/spy_2021/prod_options_1y.csv"
NSE_LOTS = {"NIFTY": 75, "BANKNIFTY": 35}


def nse_underlying(symbol: str) -> Underlying:
    return Underlying(
        symbol=symbol,
        market=Market.IN,
        asset_class=AssetClass.INDEX,
        currency="INR",
        tick=Decimal("0.05"),
        option_multiplier=NSE_LOTS[symbol],
        option_style=ExerciseStyle.EUROPEAN,
        option_settlement=Settlement.CASH,
        option_tick=Decimal("0.05"),
    )


SPY = Underlying(symbol="SPY", asset_class=AssetClass.ETF)


def _snapshot(
    u: Underlying,
    ts: datetime,
    spot: float,
    rows: list[tuple[date, float, bool, float, float, int, int, int, int]],
) -> ChainSnapshot:
    cols = list(zip(*rows, strict=True))
    return ChainSnapshot(
        underlying=u,
        ts=ts,
        spot=spot,
        expiry=np.array(cols[0], dtype="datetime64[D]"),
        strike=np.array(cols[1], dtype=np.float64),
        is_call=np.array(cols[2], dtype=bool),
        bid=np.array(cols[3], dtype=np.float64),
        ask=np.array(cols[4], dtype=np.float64),
        bid_size=np.array(cols[5], dtype=np.int64),
        ask_size=np.array(cols[6], dtype=np.int64),
        volume=np.array(cols[7], dtype=np.int64),
        open_interest=np.array(cols[8], dtype=np.int64),
    )


@cache
def _nse(path: Path) -> dict[tuple[str, date], ChainSnapshot]:
    groups: dict[tuple[str, date], list[tuple[date, float, bool, float, float, int, int, int, int]]] = {}
    spots: dict[tuple[str, date], float] = {}
    with path.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            r = {k.strip().lower(): v for k, v in rec.items()}
            day = datetime.fromisoformat(r["snapshot_timestamp"]).date()
            key = (r["underlying"], day)
            spots[key] = float(r["underlyingvalue"])
            groups.setdefault(key, []).append(
                (
                    date.fromisoformat(r["expirydate"]),
                    float(r["strikeprice"]),
                    r["option_type"] == "CE",
                    float(r["bidprice"] or 0),
                    float(r["askprice"] or 0),
                    int(float(r["bidqty"] or 0)),
                    int(float(r["askqty"] or 0)),
                    int(float(r["totaltradedvolume"] or 0)),
                    int(float(r["openinterest"] or 0)),
                )
            )
    # 15:30 India is 10:00 UTC.
    return {
        k: _snapshot(
            nse_underlying(k[0]), datetime(k[1].year, k[1].month, k[1].day, 10, 0, tzinfo=UTC), spots[k], v
        )
        for k, v in groups.items()
    }


@cache
def _spy(path: Path) -> dict[date, ChainSnapshot]:
    groups: dict[date, list[tuple[date, float, bool, float, float, int, int, int, int]]] = {}
    spots: dict[date, float] = {}
    with path.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            r = {k.strip(): v for k, v in rec.items()}
            day = date.fromisoformat(r["quotedate"])
            spots[day] = float(r["underlying_last"])
            groups.setdefault(day, []).append(
                (
                    date.fromisoformat(r["expiration"]),
                    float(r["strike"]),
                    r["type"] == "call",
                    float(r["bid"]),
                    float(r["ask"]),
                    0,
                    0,
                    int(r["volume"]),
                    int(r["openinterest"]),
                )
            )
    close = timedelta(hours=21)  # 16:00 New York in winter; the date is what matters here
    return {
        d: _snapshot(SPY, datetime(d.year, d.month, d.day, tzinfo=UTC) + close, spots[d], v)
        for d, v in groups.items()
    }


@pytest.fixture(scope="session")
def nse_chains(shared_data: Path) -> dict[tuple[str, date], ChainSnapshot]:
    path = shared_data / NSE_FILE
    if not path.exists():
        pytest.skip(f"{path} is not there")
    return _nse(path)


@pytest.fixture(scope="session")
def spy_chains(shared_data: Path) -> dict[date, ChainSnapshot]:
    path = shared_data / SPY_FILE
    if not path.exists():
        pytest.skip(f"{path} is not there")
    return _spy(path)
