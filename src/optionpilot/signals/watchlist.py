"""The watchlist: every few minutes, score the universe and keep the top N to trade, each with its reasons."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.signals.features import Features
from optionpilot.signals.sentiment import TickerSentiment


class WatchlistConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval_minutes: int = Field(5, ge=1)  # seed 000: the watchlist engine runs every 5 minutes
    top_n: int = Field(5, ge=1)
    # Component weights; they must sum to 1 so a score reads as 0..1.
    weight_volume: float = Field(0.4, ge=0)
    weight_momentum: float = Field(0.3, ge=0)
    weight_sentiment: float = Field(0.2, ge=0)
    weight_iv: float = Field(0.1, ge=0)
    # A component is full (1.0) at these values: the day-trade volume surge and seed 003's ret_15m.
    volume_ratio_full: float = Field(3.0, gt=1.0)
    ret_15m_full: float = Field(0.008, gt=0)
    sentiment_weight_full: float = Field(1.0, gt=0)
    min_score: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> WatchlistConfig:
        total = self.weight_volume + self.weight_momentum + self.weight_sentiment + self.weight_iv
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"watchlist weights must sum to 1, they sum to {total:g}")
        return self


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    symbol: str
    score: float
    components: dict[str, float]
    reason: str


@dataclass(frozen=True, slots=True)
class Watchlist:
    entries: tuple[WatchlistEntry, ...]
    # Symbols left out before scoring, and why (features not ready yet, no features at all).
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(e.symbol for e in self.entries)


def _clip01(x: float) -> float:
    return 0.0 if x <= 0.0 else (1.0 if x >= 1.0 else x)


def score_symbol(
    features: Features, sentiment: TickerSentiment | None, config: WatchlistConfig
) -> WatchlistEntry:
    """One symbol's score: volume surge, momentum (either way), sentiment strength, cheap IV."""
    surge = _clip01((features.volume_ratio - 1.0) / (config.volume_ratio_full - 1.0))
    momentum = _clip01(abs(features.ret_15m) / config.ret_15m_full)
    senti = 0.0
    if sentiment is not None and sentiment.weight > 0:
        senti = abs(sentiment.score) * _clip01(sentiment.weight / config.sentiment_weight_full)
    # Long premium is cheaper at a low IV rank; without IV history the component is neutral.
    iv = 0.5 if features.iv_rank is None else 1.0 - _clip01(features.iv_rank)
    score = (
        config.weight_volume * surge
        + config.weight_momentum * momentum
        + config.weight_sentiment * senti
        + config.weight_iv * iv
    )
    sent_txt = "none" if sentiment is None else f"{sentiment.score:+.2f} (weight {sentiment.weight:.2f})"
    iv_txt = "unknown" if features.iv_rank is None else f"{features.iv_rank:.2f}"
    reason = (
        f"score {score:.3f}: volume ratio {features.volume_ratio:.2f}, ret_15m {features.ret_15m:+.2%}, "
        f"sentiment {sent_txt}, IV rank {iv_txt}"
    )
    components = {"volume": surge, "momentum": momentum, "sentiment": senti, "iv": iv}
    return WatchlistEntry(features.symbol, score, components, reason)


def build_watchlist(
    features: Sequence[Features],
    sentiments: dict[str, TickerSentiment],
    config: WatchlistConfig | None = None,
) -> Watchlist:
    """Score every symbol whose features are ready; keep the best `top_n` (ties by symbol)."""
    cfg = config or WatchlistConfig()
    skipped: dict[str, str] = {}
    scored: list[WatchlistEntry] = []
    for f in features:
        if not f.ready:
            skipped[f.symbol] = f"features warming up ({f.bars} bars)"
            continue
        entry = score_symbol(f, sentiments.get(f.symbol), cfg)
        if not math.isfinite(entry.score):
            skipped[f.symbol] = "score is not a number"
            continue
        if entry.score < cfg.min_score:
            skipped[f.symbol] = f"score {entry.score:.3f} below {cfg.min_score:.3f}"
            continue
        scored.append(entry)
    scored.sort(key=lambda e: (-e.score, e.symbol))
    return Watchlist(tuple(scored[: cfg.top_n]), skipped)
