from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from optionpilot.signals.features import Features
from optionpilot.signals.rules import SignalConfig, evaluate_signal, is_choppy, momentum_confirmed
from optionpilot.signals.sentiment import TickerSentiment

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
    daily_trend=1,  # the daily trend a swing needs with it (seed 001)
)


def feat(**kw: Any) -> Features:
    return dataclasses.replace(BASE, **kw)


def test_strong_confirmed_surge_is_a_day_trade_call() -> None:
    d = evaluate_signal(BASE, None)
    assert d.ok and d.value is not None
    assert (d.value.direction, d.value.trade_style, d.rule) == ("bullish", "day_trade", "signals.day_trade")
    assert d.value.confidence == pytest.approx(1.0)
    assert "momentum confirmed" in d.reason and d.value.features["volume_ratio"] == 3.5


def test_bearish_mirror() -> None:
    f = feat(
        close=98.0, sma20=99.0, sma50=100.0, sma20_slope=-0.004, ret_5m=-0.004, ret_15m=-0.01, trend_state=-1
    )
    d = evaluate_signal(f, None)
    assert d.value is not None and (d.value.direction, d.value.trade_style) == ("bearish", "day_trade")


def test_volume_below_three_makes_it_a_swing() -> None:
    d = evaluate_signal(feat(volume_ratio=2.0, recent_volume_ratios=(2.0, 2.0)), None)
    assert d.value is not None and d.value.trade_style == "swing_trade"
    assert d.value.confidence == pytest.approx(0.4 + 0.3 + 0.3 * 2 / 3)


def test_unconfirmed_momentum_is_no_day_trade() -> None:
    f = feat(recent_volume_ratios=(1.2, 3.5))  # volume above 1.5 for only one bar
    assert not momentum_confirmed(f, "bullish", SignalConfig())
    d = evaluate_signal(f, None)
    assert d.value is not None and d.value.trade_style == "swing_trade"
    d3 = evaluate_signal(f, None, SignalConfig(day_requires_confirmation=False))
    assert d3.value is not None and d3.value.trade_style == "day_trade"


def test_sentiment_scales_but_never_decides() -> None:
    f = feat(volume_ratio=1.5, recent_volume_ratios=(1.5,), ret_5m=0.001, ret_15m=0.002)
    plain = evaluate_signal(f, None).value
    bull = evaluate_signal(f, TickerSentiment("SPY", 1.0, 2.0, 3)).value
    bear = evaluate_signal(f, TickerSentiment("SPY", -1.0, 2.0, 3)).value
    assert plain is not None and bull is not None and bear is not None
    assert bull.confidence == pytest.approx(plain.confidence * 1.3)
    assert bear.confidence == pytest.approx(plain.confidence * 0.7)
    assert bear.direction == "bullish"  # price and trend decide the direction
    no_trend = evaluate_signal(
        feat(trend_state=0, ret_5m=0.0, ret_15m=0.0), TickerSentiment("SPY", 1.0, 5, 5)
    )
    assert not no_trend.ok and no_trend.rule == "signals.direction"


def test_chop_means_no_options() -> None:
    f = feat(sma20_slope=0.001, sma20_crosses=4)
    assert is_choppy(f, SignalConfig())
    d = evaluate_signal(f, None)
    assert d.value is not None and d.value.trade_style == "stock" and d.rule == "signals.chop"
    off = evaluate_signal(f, None, SignalConfig(allow_stock=False))
    assert not off.ok and "too weak for options" in off.reason


def test_weak_signals_trade_stock_or_nothing() -> None:
    weak = feat(trend_state=0, ret_5m=0.0031, ret_15m=0.0081, volume_ratio=0.3, recent_volume_ratios=(0.3,))
    against = TickerSentiment("SPY", -1.0, 2.0, 2)
    assert evaluate_signal(weak, None).rule == "signals.swing_trade"  # 0.2 + 0.3 + 0.03 = 0.53
    d = evaluate_signal(weak, against)  # 0.53 x 0.7
    assert d.value is not None and d.value.trade_style == "stock" and d.rule == "signals.weak"
    assert d.value.confidence == pytest.approx(0.371)
    d2 = evaluate_signal(weak, against, SignalConfig(stock_min_confidence=0.4))
    assert not d2.ok and d2.rule == "signals.weak"


def test_conflicting_trend_and_momentum_and_warmup() -> None:
    d = evaluate_signal(feat(ret_5m=-0.004, ret_15m=-0.01), None)
    assert not d.ok and "momentum is down" in d.reason
    w = evaluate_signal(feat(sma50=float("nan")), None)
    assert not w.ok and w.rule == "signals.warmup"


def test_config_rejects_unknown_keys_and_bad_weights() -> None:
    with pytest.raises(ValueError):
        SignalConfig(day_min_conf=0.8)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="sum to 1"):
        SignalConfig(weight_trend=0.9)
