from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from optionpilot.signals.features import Features
from optionpilot.signals.sentiment import TickerSentiment
from optionpilot.signals.watchlist import WatchlistConfig, build_watchlist

BASE = Features(
    symbol="SPY",
    ts=datetime(2024, 3, 4, 15, 0, tzinfo=UTC),
    session=date(2024, 3, 4),
    bars=120,
    close=101.0,
    volume=5000.0,
    sma20=100.0,
    sma50=99.0,
    distance_sma20=0.01,
    sma20_slope=0.004,
    volume_ratio=1.0,
    recent_volume_ratios=(1.0,),
    ret_5m=0.0,
    ret_15m=0.0,
    atr=0.2,
    realized_vol=0.2,
    trend_state=0,
    sma20_crosses=0,
)


def test_ranks_surge_momentum_sentiment_and_keeps_top_n() -> None:
    quiet = dataclasses.replace(BASE, symbol="AAA")
    surge = dataclasses.replace(BASE, symbol="BBB", volume_ratio=3.0, ret_15m=-0.008)
    newsy = dataclasses.replace(BASE, symbol="CCC", iv_rank=0.2)
    warming = dataclasses.replace(BASE, symbol="DDD", sma50=float("nan"), bars=10)
    wl = build_watchlist(
        [quiet, surge, newsy, warming],
        {"CCC": TickerSentiment("CCC", 0.8, 2.0, 4)},
        WatchlistConfig(top_n=2),
    )
    assert wl.symbols == ("BBB", "CCC")
    assert wl.entries[0].score == pytest.approx(0.4 + 0.3 + 0.1 * 0.5)
    assert wl.entries[1].score == pytest.approx(0.2 * 0.8 + 0.1 * 0.8)
    assert "volume ratio 3.00" in wl.entries[0].reason
    assert wl.skipped == {"DDD": "features warming up (10 bars)"}


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        WatchlistConfig(weight_volume=0.5)
