from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.domain.market import Bar
from optionpilot.signals.features import FeatureBook, FeatureConfig, FeatureTracker

NY = ZoneInfo("America/New_York")


def bar(i: int, close: float, volume: float = 1000.0, *, day: int = 0, symbol: str = "SPY") -> Bar:
    start = datetime(2024, 3, 4 + day, 9, 30, tzinfo=NY).astimezone(UTC) + timedelta(minutes=i)
    return Bar(symbol, start, close, close * 1.001, close * 0.999, close, volume)


def load_ibm(shared_data: Path) -> list[Bar]:
    path = shared_data / "bars" / "minute" / "ibm_minute_trade_20131004_20131011.csv"
    bars = []
    with path.open() as fh:
        for row in csv.DictReader(fh):
            t = datetime.fromisoformat(row["datetime"]).replace(tzinfo=NY).astimezone(UTC)
            bars.append(
                Bar(
                    "IBM",
                    t,
                    float(row["open"]),
                    float(row["high"]),
                    float(row["low"]),
                    float(row["close"]),
                    float(row["volume"]),
                )
            )
    return bars


def test_matches_numpy_on_real_bars(shared_data: Path) -> None:
    bars = load_ibm(shared_data)
    tr = FeatureTracker("IBM")
    feats = [tr.update(b) for b in bars]
    close = np.array([b.close for b in bars])
    high = np.array([b.high for b in bars])
    low = np.array([b.low for b in bars])
    for i in (60, 500, len(bars) - 1):
        f = feats[i]
        assert f is not None
        assert f.sma20 == pytest.approx(close[i - 19 : i + 1].mean(), rel=1e-12)
        assert f.sma50 == pytest.approx(close[i - 49 : i + 1].mean(), rel=1e-12)
        sma20_then = close[i - 39 : i - 19].mean()
        assert f.sma20_slope == pytest.approx((f.sma20 - sma20_then) / sma20_then, rel=1e-9, abs=1e-15)
        assert f.ret_5m == pytest.approx(close[i] / close[i - 5] - 1, abs=1e-15)
        assert f.ret_15m == pytest.approx(close[i] / close[i - 15] - 1, abs=1e-15)
        lr = np.diff(np.log(close[i - 30 : i + 1]))
        assert f.realized_vol == pytest.approx(lr.std(ddof=1) * math.sqrt(390 * 252), rel=1e-7)
    # Wilder's ATR, computed the slow way.
    trs = [high[0] - low[0]] + [
        max(high[j] - low[j], abs(high[j] - close[j - 1]), abs(low[j] - close[j - 1]))
        for j in range(1, len(bars))
    ]
    atr = sum(trs[:14]) / 14
    for j in range(14, 400):
        atr = (atr * 13 + trs[j]) / 14
    f399 = feats[399]
    assert f399 is not None and f399.atr == pytest.approx(atr, rel=1e-12)
    assert tr.skipped == {}
    # Only a session's first bar at a minute never seen before lacks a volume reference.
    not_ready = [f for f in feats[60:] if f is not None and not f.ready]
    assert all(math.isnan(f.volume_ratio) for f in not_ready) and len(not_ready) <= 5


def test_volume_ratio_uses_same_minute_of_previous_sessions() -> None:
    tr = FeatureTracker("SPY")
    # Session 1: minute 0 trades 5,000, the rest 1,000. Session 2: minute 0 trades 10,000.
    for i in range(30):
        tr.update(bar(i, 100.0, 5000.0 if i == 0 else 1000.0, day=0))
    f = tr.update(bar(0, 100.0, 10000.0, day=1))
    assert f is not None and f.volume_ratio == pytest.approx(2.0)  # against 5,000, not the 1,133 mean
    f = tr.update(bar(1, 100.0, 3000.0, day=1))
    assert f is not None and f.volume_ratio == pytest.approx(3.0)
    assert f.recent_volume_ratios[-2:] == pytest.approx((2.0, 3.0))


def test_volume_ratio_falls_back_to_session_mean_early_on() -> None:
    tr = FeatureTracker("SPY")
    f0 = tr.update(bar(0, 100.0, 1000.0))
    assert f0 is not None and math.isnan(f0.volume_ratio)  # nothing to compare with yet
    tr.update(bar(1, 100.0, 3000.0))
    f = tr.update(bar(2, 100.0, 4000.0))
    assert f is not None and f.volume_ratio == pytest.approx(2.0)  # 4,000 over the mean of 1,000 and 3,000


def test_trend_state_and_crosses() -> None:
    tr = FeatureTracker("SPY")
    f = None
    for i in range(80):
        f = tr.update(bar(i, 100.0 + 0.1 * i))
    assert f is not None and f.trend_state == 1 and f.sma20_slope > 0 and f.sma20_crosses == 0
    tr2 = FeatureTracker("SPY")
    for i in range(80):
        f = tr2.update(bar(i, 100.0 + (0.2 if i % 2 else -0.2)))
    assert f is not None and f.trend_state == 0 and abs(f.sma20_slope) < 1e-9
    assert f.sma20_crosses == 19  # every bar flips side within the 20-bar window


def test_bad_and_out_of_order_bars_are_skipped_and_counted() -> None:
    tr = FeatureTracker("SPY")
    first = tr.update(bar(1, 100.0))
    assert tr.update(bar(0, 101.0)) is first
    assert tr.update(bar(2, float("nan"))) is first
    assert tr.update(bar(3, 100.0, -5.0)) is first
    assert tr.update(bar(4, 100.0, symbol="QQQ")) is first
    assert tr.bars == 1
    assert tr.skipped == {
        "not after the previous bar": 1,
        "bad prices": 1,
        "bad volume": 1,
        "other symbol": 1,
    }


def test_refuses_a_bar_that_has_not_ended() -> None:
    tr = FeatureTracker("SPY")
    b = bar(0, 100.0)
    with pytest.raises(LookAheadError, match="SPY"):
        tr.update(b, asof=b.start + timedelta(seconds=30))
    assert tr.update(b, asof=b.end) is not None


def test_config_is_strict_and_checked() -> None:
    with pytest.raises(ValueError, match="extra"):
        FeatureConfig(sma_fastt=10)  # type: ignore[call-arg]
    with pytest.raises(DataError, match="sma_slow"):
        FeatureTracker("SPY", FeatureConfig(sma_fast=50, sma_slow=20))


def test_book_keeps_one_tracker_per_symbol() -> None:
    book = FeatureBook()
    book.update(bar(0, 100.0))
    book.update(bar(0, 50.0, symbol="QQQ"))
    spy, qqq = book.latest("SPY"), book.latest("QQQ")
    assert spy is not None and qqq is not None and (spy.close, qqq.close) == (100.0, 50.0)
    assert book.latest("IWM") is None


def test_a_split_restated_at_the_open_is_not_a_crash() -> None:
    def feed(rescale: bool) -> FeatureTracker:
        t = FeatureTracker("SPY")
        for i in range(390):  # a full day at ~645, gently rising
            t.update(bar(i, 645.0 + i * 0.01, 5000.0))
        if rescale:
            t.rescale(7.0)
        for i in range(10):  # the next day, after a 7-for-1 split
            t.update(bar(i, 92.2 + i * 0.0015, 35000.0, day=1))
        return t

    split_aware, naive = feed(True).last, feed(False).last
    assert naive is not None and naive.ret_15m < -0.5  # a naive tracker sees an 86% crash
    assert split_aware is not None
    assert abs(split_aware.ret_15m) < 0.01
    assert split_aware.sma50 == pytest.approx(92.2, rel=0.01)
    assert split_aware.atr < 1.0 < naive.atr
    assert split_aware.volume_ratio == pytest.approx(1.0, rel=0.05)
    with pytest.raises(DataError, match="split ratio"):
        FeatureTracker("SPY").rescale(0.0)
