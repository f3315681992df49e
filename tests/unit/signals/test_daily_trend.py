"""The daily trend a swing follows (issue 12): seed 003's trend state on completed sessions' closes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import numpy as np

from optionpilot.signals.daily_trend import DailyTrendConfig, daily_trend
from optionpilot.signals.features import Features
from optionpilot.signals.rules import SignalConfig, evaluate_signal

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
    volume_ratio=3.5,
    recent_volume_ratios=(2.0, 3.0, 3.5),
    ret_5m=0.004,
    ret_15m=0.010,
    atr=0.2,
    realized_vol=0.2,
    trend_state=1,
    sma20_crosses=0,
)

UP = 100.0 * np.cumprod(np.full(60, 1.004))
DOWN = 100.0 * np.cumprod(np.full(60, 0.996))


def test_a_rising_series_is_an_uptrend_and_a_falling_one_a_downtrend() -> None:
    assert daily_trend(UP) == 1
    assert daily_trend(DOWN) == -1
    assert daily_trend(np.full(60, 100.0)) == 0


def test_too_little_history_is_no_trend() -> None:
    cfg = DailyTrendConfig()
    assert cfg.sessions_needed == 50
    assert daily_trend(UP[: cfg.sessions_needed - 1]) == 0
    assert daily_trend(UP[: cfg.sessions_needed]) == 1


def test_a_close_back_under_sma20_ends_the_uptrend() -> None:
    broke = np.append(UP, UP[-25])  # the last close falls back below the 20-day mean
    assert daily_trend(broke) == 0


# A confident but unconfirmed bullish signal (no day trade): a swing.
SWING_SIGNAL = dataclasses.replace(BASE, volume_ratio=1.2, recent_volume_ratios=(1.0, 1.1, 1.2))


def test_a_swing_against_the_daily_trend_is_refused_with_the_reason() -> None:
    ok = evaluate_signal(dataclasses.replace(SWING_SIGNAL, daily_trend=1), None)
    assert ok.value is not None and ok.value.trade_style == "swing_trade"
    assert "daily trend +1" in ok.reason
    neutral = evaluate_signal(dataclasses.replace(SWING_SIGNAL, daily_trend=0), None)
    # Seed 001: a swing needs the daily trend with it, not merely not against it.
    assert not neutral.ok and neutral.rule == "signals.daily_trend"
    assert "no daily trend confirms a bullish swing" in neutral.reason
    lenient = SignalConfig(swing_daily_trend="not_against")
    allowed = evaluate_signal(dataclasses.replace(SWING_SIGNAL, daily_trend=0), None, lenient)
    assert allowed.value is not None and allowed.value.trade_style == "swing_trade"
    off = SignalConfig(swing_daily_trend="off")
    assert evaluate_signal(dataclasses.replace(SWING_SIGNAL, daily_trend=-1), None, off).ok
    against = evaluate_signal(dataclasses.replace(SWING_SIGNAL, daily_trend=-1), None)
    assert not against.ok and against.rule == "signals.daily_trend"
    assert "bullish swing against the daily downtrend" in against.reason


def test_a_day_trade_does_not_ask_the_daily_trend() -> None:
    d = evaluate_signal(dataclasses.replace(BASE, daily_trend=-1), None)
    assert d.value is not None and d.value.trade_style == "day_trade"
