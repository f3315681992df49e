"""What the market says before a strategy is chosen: direction, put-call ratio, IV environment, VIX regime,
volatility bucket (seed 004's analysis, as pure functions of prices, the chain and the IV history)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import DataError
from optionpilot.domain.chains import ChainSnapshot


class Direction(StrEnum):
    BULLISH = "bullish"
    BEARISH = "bearish"
    NEUTRAL = "neutral"


class IVEnvironment(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


class VixRegime(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


class VolBucket(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class AnalysisConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rsi_period: int = Field(14, ge=2)
    momentum_days: int = Field(20, ge=1)
    trend_fast: int = Field(20, ge=2)
    trend_slow: int = Field(50, ge=3)
    momentum_scale: float = Field(0.05, gt=0, description="a 20-day move this large counts as full strength")
    trend_scale: float = Field(0.03, gt=0, description="fast MA this far above the slow one: full strength")
    weight_momentum: float = Field(0.4, ge=0)
    weight_trend: float = Field(0.3, ge=0)
    weight_rsi: float = Field(0.2, ge=0)
    weight_pcr: float = Field(0.1, ge=0, description="high put OI read as put writers' support (NSE custom)")
    direction_threshold: float = Field(0.15, ge=0, le=1)
    iv_low_percentile: float = Field(25.0, ge=0, le=100)
    iv_high_percentile: float = Field(75.0, ge=0, le=100)
    vix_low: float = Field(15.0, gt=0)
    vix_high: float = Field(25.0, gt=0)
    vol_bucket_low: float = Field(0.20, gt=0, description="annualized realized vol below this: low")
    vol_bucket_high: float = Field(0.40, gt=0)


@dataclass(frozen=True, slots=True)
class MarketView:
    symbol: str
    direction: Direction
    strength: float  # 0..1
    score: float  # signed -1..1, what the direction came from
    momentum: float  # return over `momentum_days`
    rsi: float
    trend: float  # fast MA / slow MA - 1
    pcr_oi: float
    pcr_volume: float
    iv_environment: IVEnvironment
    iv_percentile: float | None
    vix: float | None
    vix_regime: VixRegime
    realized_vol: float
    vol_bucket: VolBucket
    reason: str
    has_history: bool = True  # False: no closes, so direction and momentum are unknown, not neutral


def rsi(closes: np.ndarray, period: int) -> float:
    """Wilder's RSI of the last `period` changes (simple average); 50 without history."""
    if closes.size <= period:
        return 50.0
    d = np.diff(closes[-(period + 1) :])
    up, down = float(np.clip(d, 0, None).mean()), float(np.clip(-d, 0, None).mean())
    if down == 0.0:
        return 100.0 if up > 0 else 50.0
    return 100.0 - 100.0 / (1.0 + up / down)


def _closes(closes: ArrayLike | None, symbol: str) -> np.ndarray:
    c = np.zeros(0) if closes is None else np.asarray(closes, dtype=np.float64)
    if c.ndim != 1 or not np.all(np.isfinite(c)) or (c.size and c.min() <= 0):
        raise DataError(f"{symbol}: closes must be a 1-d array of positive prices")
    return c


def put_call_ratios(chain: ChainSnapshot) -> tuple[float, float]:
    """Put/call on open interest and on volume; NaN where calls have none."""
    calls, puts = chain.is_call, ~chain.is_call
    oi_c, oi_p = float(chain.open_interest[calls].sum()), float(chain.open_interest[puts].sum())
    v_c, v_p = float(chain.volume[calls].sum()), float(chain.volume[puts].sum())
    return (oi_p / oi_c if oi_c > 0 else math.nan, v_p / v_c if v_c > 0 else math.nan)


def iv_environment(iv_percentile: float | None, config: AnalysisConfig | None = None) -> IVEnvironment:
    cfg = config or AnalysisConfig()
    if iv_percentile is None or not math.isfinite(iv_percentile):
        return IVEnvironment.NORMAL
    if iv_percentile < cfg.iv_low_percentile:
        return IVEnvironment.LOW
    if iv_percentile > cfg.iv_high_percentile:
        return IVEnvironment.HIGH
    return IVEnvironment.NORMAL


def vix_regime(vix: float | None, config: AnalysisConfig | None = None) -> VixRegime:
    cfg = config or AnalysisConfig()
    if vix is None or not math.isfinite(vix):
        return VixRegime.NORMAL
    if vix < cfg.vix_low:
        return VixRegime.LOW
    if vix > cfg.vix_high:
        return VixRegime.HIGH
    return VixRegime.NORMAL


def volatility_bucket(realized_vol: float, config: AnalysisConfig | None = None) -> VolBucket:
    cfg = config or AnalysisConfig()
    if not realized_vol < cfg.vol_bucket_high:  # NaN counts as high: unknown is treated as risky
        return VolBucket.HIGH
    return VolBucket.LOW if realized_vol < cfg.vol_bucket_low else VolBucket.MEDIUM


def market_view(
    chain: ChainSnapshot,
    closes: ArrayLike | None = None,
    *,
    iv_percentile: float | None = None,
    vix: float | None = None,
    config: AnalysisConfig | None = None,
) -> MarketView:
    """Direction from momentum, trend and RSI (and put-call OI), plus the IV, VIX and volatility context.

    `closes` are daily closes up to the chain's day (oldest first); without them the direction is neutral.
    """
    cfg = config or AnalysisConfig()
    sym = chain.underlying.symbol
    c = _closes(closes, sym)
    pcr_oi, pcr_vol = put_call_ratios(chain)
    mom = float(c[-1] / c[-1 - cfg.momentum_days] - 1.0) if c.size > cfg.momentum_days else 0.0
    trend = (
        float(c[-cfg.trend_fast :].mean() / c[-cfg.trend_slow :].mean() - 1.0)
        if c.size >= cfg.trend_slow
        else 0.0
    )
    r = rsi(c, cfg.rsi_period)
    parts = {
        "momentum": (cfg.weight_momentum, math.tanh(mom / cfg.momentum_scale)),
        "trend": (cfg.weight_trend, math.tanh(trend / cfg.trend_scale)),
        "rsi": (cfg.weight_rsi, float(np.clip((r - 50.0) / 20.0, -1.0, 1.0))),
        "pcr": (
            cfg.weight_pcr,
            float(np.clip((pcr_oi - 1.0) / 0.5, -1.0, 1.0)) if math.isfinite(pcr_oi) else 0.0,
        ),
    }
    total_w = sum(w for w, _ in parts.values()) or 1.0
    score = sum(w * v for w, v in parts.values()) / total_w
    if score > cfg.direction_threshold:
        direction = Direction.BULLISH
    elif score < -cfg.direction_threshold:
        direction = Direction.BEARISH
    else:
        direction = Direction.NEUTRAL
    rets = np.diff(np.log(c[-21:])) if c.size > 2 else np.zeros(0)
    rv = float(rets.std(ddof=1) * math.sqrt(252)) if rets.size > 1 else math.nan
    env, regime = iv_environment(iv_percentile, cfg), vix_regime(vix, cfg)
    history = f"{c.size} closes" if c.size else "no price history (neutral)"
    reason = (
        f"{sym}: {direction.value} (score {score:+.2f}: momentum {mom:+.1%}, trend {trend:+.1%}, "
        f"RSI {r:.0f}, "
        f"PCR OI {pcr_oi:.2f}); IV {env.value}"
        + (f" at percentile {iv_percentile:.0f}" if iv_percentile is not None else " (no IV history)")
        + f"; VIX {regime.value}"
        + (f" {vix:.1f}" if vix is not None else " (none given)")
        + f"; {history}"
    )
    return MarketView(
        symbol=sym,
        direction=direction,
        strength=min(abs(score), 1.0),
        score=score,
        momentum=mom,
        rsi=r,
        trend=trend,
        pcr_oi=pcr_oi,
        pcr_volume=pcr_vol,
        iv_environment=env,
        iv_percentile=iv_percentile,
        vix=vix,
        vix_regime=regime,
        realized_vol=rv,
        vol_bucket=volatility_bucket(rv, cfg),
        reason=reason,
        has_history=c.size > cfg.momentum_days,
    )
