"""The signal rule (seeds 001 and 003): price and trend decide the direction, volume confirms,
sentiment scales the confidence; confidence and volume choose the trade style."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.domain.recommendations import Decision, Signal
from optionpilot.signals.daily_trend import DailyTrendConfig
from optionpilot.signals.features import Features
from optionpilot.signals.sentiment import TickerSentiment

DAY_TRADE = "day_trade"
SWING_TRADE = "swing_trade"
STOCK = "stock"
BULLISH = "bullish"
BEARISH = "bearish"


class SignalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Trade style (seed 001).
    day_min_confidence: float = Field(0.70, ge=0, le=1)
    day_min_volume_ratio: float = Field(3.0, ge=0)
    swing_min_confidence: float = Field(0.50, ge=0, le=1)
    # Weaker signals trade the stock when allowed, from this confidence; below it, nothing.
    stock_min_confidence: float = Field(0.30, ge=0, le=1)
    allow_stock: bool = True
    # Momentum confirmation (seed 003): ret_5m > 0.3%, ret_15m > 0.8%, volume ratio > 1.5 for N bars.
    confirm_ret_5m: float = Field(0.003, ge=0)
    confirm_ret_15m: float = Field(0.008, ge=0)
    confirm_volume_ratio: float = Field(1.5, ge=0)
    confirm_bars: int = Field(2, ge=1, le=10)
    day_requires_confirmation: bool = True
    # Chop filter (seed 003): a flat SMA20 with price crossing it back and forth means no options.
    chop_max_abs_slope: float = Field(0.002, ge=0)
    chop_min_crosses: int = Field(2, ge=1)
    # Technical confidence: trend agreement, momentum strength and volume, summing to 1.
    weight_trend: float = Field(0.4, ge=0)
    weight_momentum: float = Field(0.3, ge=0)
    weight_volume: float = Field(0.3, ge=0)
    # Sentiment scales confidence by up to +/- this share (seed 003: it scales, it never decides).
    sentiment_scale: float = Field(0.3, ge=0, le=1)
    sentiment_weight_full: float = Field(1.0, gt=0)
    # A swing is held for days. Seed 001 enters one on "confidence >= 0.5 + daily trend": "confirm" wants
    # the daily trend pointing its way; "not_against" only refuses one against it (issue 12); "off" ignores
    # it.
    swing_daily_trend: Literal["confirm", "not_against", "off"] = "confirm"
    daily_trend: DailyTrendConfig = Field(default_factory=DailyTrendConfig)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> SignalConfig:
        total = self.weight_trend + self.weight_momentum + self.weight_volume
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"signal confidence weights must sum to 1, they sum to {total:g}")
        return self


def _clip01(x: float) -> float:
    return 0.0 if x <= 0.0 else (1.0 if x >= 1.0 else x)


def momentum_confirmed(f: Features, direction: str, config: SignalConfig) -> bool:
    """Seed 003's breakout confirmation, mirrored for the bearish side."""
    sign = 1.0 if direction == BULLISH else -1.0
    recent = f.recent_volume_ratios[-config.confirm_bars :]
    return (
        sign * f.ret_5m > config.confirm_ret_5m
        and sign * f.ret_15m > config.confirm_ret_15m
        and len(recent) >= config.confirm_bars
        and all(v > config.confirm_volume_ratio for v in recent)
    )


def is_choppy(f: Features, config: SignalConfig) -> bool:
    return abs(f.sma20_slope) < config.chop_max_abs_slope and f.sma20_crosses >= config.chop_min_crosses


def direction_of(f: Features, config: SignalConfig) -> tuple[str | None, str]:
    """Trend first; with a flat trend, momentum in both windows may set the direction alone."""
    up = f.ret_5m > config.confirm_ret_5m and f.ret_15m > config.confirm_ret_15m
    down = f.ret_5m < -config.confirm_ret_5m and f.ret_15m < -config.confirm_ret_15m
    if f.trend_state > 0:
        if down:
            return None, "uptrend but momentum is down: no direction"
        return BULLISH, "uptrend (close > SMA20 > SMA50, SMA20 rising)"
    if f.trend_state < 0:
        if up:
            return None, "downtrend but momentum is up: no direction"
        return BEARISH, "downtrend (close < SMA20 < SMA50, SMA20 falling)"
    if up:
        return BULLISH, "no trend; momentum up in 5 and 15 minutes"
    if down:
        return BEARISH, "no trend; momentum down in 5 and 15 minutes"
    return None, "no trend and no momentum"


def confidence_of(
    f: Features, direction: str, sentiment: TickerSentiment | None, config: SignalConfig
) -> tuple[float, dict[str, float]]:
    sign = 1.0 if direction == BULLISH else -1.0
    trend = 1.0 if f.trend_state * sign > 0 else (0.5 if f.trend_state == 0 else 0.0)
    momentum = 0.5 * _clip01(sign * f.ret_5m / config.confirm_ret_5m) + 0.5 * _clip01(
        sign * f.ret_15m / config.confirm_ret_15m
    )
    volume = _clip01(f.volume_ratio / config.day_min_volume_ratio)
    technical = (
        config.weight_trend * trend + config.weight_momentum * momentum + config.weight_volume * volume
    )
    aligned = 0.0
    if sentiment is not None and sentiment.weight > 0:
        aligned = sign * sentiment.score * _clip01(sentiment.weight / config.sentiment_weight_full)
    confidence = _clip01(technical * (1.0 + config.sentiment_scale * aligned))
    parts = {"trend": trend, "momentum": momentum, "volume": volume, "sentiment_aligned": aligned}
    return confidence, parts


def evaluate_signal(
    features: Features, sentiment: TickerSentiment | None, config: SignalConfig | None = None
) -> Decision[Signal]:
    """The signal for one symbol after its latest bar, or no signal; the reason is given either way."""
    cfg = config or SignalConfig()
    f = features
    if not f.ready:
        return Decision.no(f"{f.symbol}: features warming up ({f.bars} bars)", "signals.warmup")
    direction, why = direction_of(f, cfg)
    if direction is None:
        return Decision.no(f"{f.symbol}: {why}", "signals.direction", trend_state=float(f.trend_state))
    confidence, parts = confidence_of(f, direction, sentiment, cfg)
    confirmed = momentum_confirmed(f, direction, cfg)
    choppy = is_choppy(f, cfg)
    facts = (
        f"{why}; confidence {confidence:.2f}; volume ratio {f.volume_ratio:.2f}; "
        f"ret_5m {f.ret_5m:+.2%}, ret_15m {f.ret_15m:+.2%}; "
        f"momentum {'confirmed' if confirmed else 'unconfirmed'}"
    )
    if sentiment is not None and sentiment.weight > 0:
        facts += f"; sentiment {sentiment.score:+.2f}"

    if choppy:
        style, rule = STOCK, "signals.chop"
        facts += f"; chop: SMA20 slope {f.sma20_slope:+.4f} flat and {f.sma20_crosses} crosses, no options"
    elif (
        confidence >= cfg.day_min_confidence
        and f.volume_ratio >= cfg.day_min_volume_ratio
        and (confirmed or not cfg.day_requires_confirmation)
    ):
        style, rule = DAY_TRADE, "signals.day_trade"
    elif confidence >= cfg.swing_min_confidence:
        style, rule = SWING_TRADE, "signals.swing_trade"
    else:
        style, rule = STOCK, "signals.weak"

    if style == SWING_TRADE and cfg.swing_daily_trend != "off":
        aligned = f.daily_trend * (1 if direction == BULLISH else -1)
        if aligned < 0 or (aligned == 0 and cfg.swing_daily_trend == "confirm"):
            if aligned < 0:
                trend_word = "up" if f.daily_trend > 0 else "down"
                why = f"a {direction} swing against the daily {trend_word}trend"
            else:
                why = f"no daily trend confirms a {direction} swing (seed 001: confidence + daily trend)"
            return Decision.no(
                f"{f.symbol}: {facts}; {why}",
                "signals.daily_trend",
                confidence=confidence,
                daily_trend=float(f.daily_trend),
            )
        facts += f"; daily trend {f.daily_trend:+d}"

    if style == STOCK and not (cfg.allow_stock and confidence >= cfg.stock_min_confidence):
        limit = "stock trades are off" if not cfg.allow_stock else f"below {cfg.stock_min_confidence:.2f}"
        return Decision.no(f"{f.symbol}: {facts}; too weak for options, {limit}", rule, confidence=confidence)

    details = f.as_dict()
    details.update(parts)
    details["confidence"] = confidence
    details["momentum_confirmed"] = 1.0 if confirmed else 0.0
    reason = f"{f.symbol} {direction} {style}: {facts}"
    signal = Signal(
        ts=f.ts,
        underlying=f.symbol,
        direction=direction,
        confidence=confidence,
        trade_style=style,
        reason=reason,
        features=details,
    )
    return Decision.yes(signal, reason, rule, confidence=confidence, trade_style=style)
