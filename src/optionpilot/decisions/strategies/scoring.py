"""Scoring and ranking (seed 004): weighted components, conviction, and what a risk tolerance allows.

Components, each 0..1, weighted by `ScoreWeights` (seed 004 fixes time decay at 8%, the complexity
penalty at 5% and market momentum at 12%; the rest are ours, documented on the fields):
probability of profit; risk/reward (half max profit over max loss, or over margin when the loss is
unbounded, half the edge EV / risk);
direction fit (the strategy's bias against the market direction and its strength); IV fit (long-vol
strategies in a LOW IV environment, short-vol ones in HIGH); market momentum (the 20-day move against the
bias); liquidity (leg spreads); time-decay profile (30 days of theta on the margin); complexity (fewer
legs and one expiry score higher).

Confidence = score + up to `booster` when direction, IV and momentum all agree (seed 004 raised the
booster to 0.15); conviction VERY_HIGH >= 80%, HIGH >= 65%, MEDIUM >= 45%, else LOW.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.decisions.strategies.analysis import Direction, IVEnvironment, MarketView
from optionpilot.decisions.strategies.builder import ChainScan, MeasuredBatch
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate, materialize
from optionpilot.decisions.strategies.catalog import PROFILES, Bias, StrategyType, VolView

F64 = NDArray[np.float64]


class RiskTolerance(StrEnum):
    CONSERVATIVE = "conservative"
    MODERATE = "moderate"
    AGGRESSIVE = "aggressive"


class ScoreWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probability_of_profit: float = Field(0.20, ge=0)
    risk_reward: float = Field(0.18, ge=0)
    direction_fit: float = Field(0.15, ge=0)
    iv_fit: float = Field(0.12, ge=0)
    market_momentum: float = Field(0.12, ge=0, description="seed 004: added at 12%")
    liquidity: float = Field(0.10, ge=0)
    time_decay_profile: float = Field(0.08, ge=0, description="seed 004: cut from 15% to 8%")
    complexity_penalty: float = Field(0.05, ge=0, description="seed 004: cut from 10% to 5%")


class ConvictionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    very_high: float = Field(0.80, ge=0, le=1)
    high: float = Field(0.65, ge=0, le=1)
    medium: float = Field(0.45, ge=0, le=1)
    booster: float = Field(
        0.15, ge=0, le=1, description="added in full when direction, IV and momentum agree"
    )


class RiskProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_unbounded_loss: bool
    excluded: tuple[StrategyType, ...] = ()
    min_pop: float = Field(ge=0, le=1)
    max_complexity: int = Field(4, ge=1, le=4)


def _default_profiles() -> dict[RiskTolerance, RiskProfile]:
    naked = (StrategyType.SHORT_STRADDLE, StrategyType.SHORT_STRANGLE)
    ratios = (StrategyType.CALL_RATIO_SPREAD, StrategyType.PUT_RATIO_SPREAD)
    return {
        RiskTolerance.CONSERVATIVE: RiskProfile(
            allow_unbounded_loss=False, excluded=naked + ratios, min_pop=0.45, max_complexity=3
        ),
        RiskTolerance.MODERATE: RiskProfile(allow_unbounded_loss=False, excluded=naked, min_pop=0.30),
        RiskTolerance.AGGRESSIVE: RiskProfile(allow_unbounded_loss=True, min_pop=0.20),
    }


class ScoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weights: ScoreWeights = ScoreWeights()
    conviction: ConvictionConfig = ConvictionConfig()
    risk_profiles: dict[RiskTolerance, RiskProfile] = Field(default_factory=_default_profiles)
    risk_reward_full: float = Field(
        1.5, gt=0, description="max profit / max loss at which the component is 1"
    )
    momentum_scale: float = Field(0.05, gt=0)
    edge_scale: float = Field(0.05, gt=0, description="EV / risk giving 0.76 on the edge half of risk/reward")
    theta_scale: float = Field(
        0.02, gt=0, description="30 days of theta as a share of margin for a 0.76 score"
    )
    max_spread_pct: float = Field(0.25, gt=0, description="a leg spread this wide scores 0 on liquidity")
    per_type: int = Field(3, ge=1, description="ranked candidates kept per strategy type and symbol")


def conviction_of(confidence: float, config: ConvictionConfig | None = None) -> Conviction:
    cfg = config or ConvictionConfig()
    if confidence >= cfg.very_high:
        return Conviction.VERY_HIGH
    if confidence >= cfg.high:
        return Conviction.HIGH
    if confidence >= cfg.medium:
        return Conviction.MEDIUM
    return Conviction.LOW


def _direction_fit(bias: Bias, view: MarketView) -> float:
    s = view.strength
    if bias is Bias.NEUTRAL:
        return 1.0 if view.direction is Direction.NEUTRAL else 0.7 - 0.4 * s
    if view.direction is Direction.NEUTRAL:
        return 0.45
    return 0.6 + 0.4 * s if bias.value == view.direction.value else 0.1 * (1.0 - s)


_IV_FIT = {
    (VolView.LONG, IVEnvironment.LOW): 1.0,
    (VolView.LONG, IVEnvironment.NORMAL): 0.6,
    (VolView.LONG, IVEnvironment.HIGH): 0.2,
    (VolView.SHORT, IVEnvironment.LOW): 0.2,
    (VolView.SHORT, IVEnvironment.NORMAL): 0.6,
    (VolView.SHORT, IVEnvironment.HIGH): 1.0,
}


@dataclass(frozen=True, slots=True)
class BatchScores:
    total: F64
    confidence: F64
    components: dict[str, F64]
    allowed: NDArray[np.bool_]
    why_not: str  # the rule that excluded the type as a whole, or "" when filtering is per candidate


def score_batch(
    mb: MeasuredBatch, view: MarketView, tolerance: RiskTolerance, config: ScoringConfig | None = None
) -> BatchScores:
    cfg = config or ScoringConfig()
    kind = mb.batch.strategy
    prof = PROFILES[kind]
    m = mb.metrics
    n = len(mb)
    loss_inf = ~np.isfinite(m.max_loss)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = np.where(loss_inf, m.max_profit / mb.margin, m.max_profit / np.maximum(m.max_loss, 1e-12))
    mom = float(np.tanh(view.momentum / cfg.momentum_scale))
    mom_fit = {Bias.BULLISH: 0.5 + 0.5 * mom, Bias.BEARISH: 0.5 - 0.5 * mom, Bias.NEUTRAL: 1.0 - abs(mom)}[
        prof.bias
    ]
    dir_fit = _direction_fit(prof.bias, view)
    if not view.has_history:
        mom_fit = dir_fit = 0.5  # unknown, so neither rewarded nor punished
    risk = np.where(loss_inf, mb.margin, np.maximum(m.max_loss, 1e-12))
    edge = 0.5 + 0.5 * np.tanh(m.expected_value / risk / cfg.edge_scale)
    comps: dict[str, F64] = {
        "probability_of_profit": m.pop,
        "risk_reward": 0.5
        * np.clip(np.nan_to_num(rr, posinf=cfg.risk_reward_full) / cfg.risk_reward_full, 0.0, 1.0)
        + 0.5 * edge,
        "direction_fit": np.full(n, dir_fit),
        "iv_fit": np.full(n, _IV_FIT.get((prof.vol, view.iv_environment), 0.7)),
        "market_momentum": np.full(n, mom_fit),
        "liquidity": np.clip(1.0 - m.spread_pct / cfg.max_spread_pct, 0.0, 1.0),
        "time_decay_profile": 0.5 + 0.5 * np.tanh(m.theta * 30.0 / mb.margin / cfg.theta_scale),
        "complexity_penalty": np.full(n, 1.0 - (prof.complexity - 1) / 3.0),
    }
    w = cfg.weights.model_dump()
    total_w = sum(w.values()) or 1.0
    total = sum(w[k] * v for k, v in comps.items()) / total_w
    aligned = (
        (comps["direction_fit"] >= 0.75).astype(float)
        + (comps["iv_fit"] >= 0.75)
        + (comps["market_momentum"] >= 0.6)
    )
    confidence = np.clip(total + cfg.conviction.booster * aligned / 3.0, 0.0, 1.0)
    rp = cfg.risk_profiles[tolerance]
    why = ""
    if kind in rp.excluded:
        why = f"{kind.value} not allowed for a {tolerance.value} risk tolerance"
    elif prof.complexity > rp.max_complexity:
        why = f"{kind.value} too complex for a {tolerance.value} risk tolerance"
    allowed = np.full(n, not why)
    if not rp.allow_unbounded_loss:
        allowed &= ~loss_inf
    allowed &= m.pop >= rp.min_pop
    return BatchScores(np.asarray(total), np.asarray(confidence), comps, allowed, why)


@dataclass(frozen=True, slots=True)
class Ranking:
    symbol: str
    view: MarketView
    candidates: tuple[StrategyCandidate, ...]  # best first
    evaluated: int
    excluded: dict[str, int] = field(default_factory=dict)  # candidates left out, by reason

    @property
    def best(self) -> StrategyCandidate | None:
        return self.candidates[0] if self.candidates else None


def rank(
    scan: ChainScan,
    view: MarketView,
    tolerance: RiskTolerance = RiskTolerance.MODERATE,
    config: ScoringConfig | None = None,
) -> Ranking:
    """Score every candidate; keep the best `per_type` allowed ones of each type, best first."""
    cfg = config or ScoringConfig()
    picked: list[StrategyCandidate] = []
    excluded: dict[str, int] = dict(scan.dropped)
    best_per_type: dict[StrategyType, list[tuple[float, MeasuredBatch, int, BatchScores]]] = {}
    for mb in scan.batches:
        sc = score_batch(mb, view, tolerance, cfg)
        if sc.why_not:
            excluded[sc.why_not] = excluded.get(sc.why_not, 0) + len(mb)
            continue
        out = int((~sc.allowed).sum())
        if out:
            key = f"{mb.batch.strategy.value}: unbounded loss or POP below the {tolerance.value} minimum"
            excluded[key] = excluded.get(key, 0) + out
        idx = np.flatnonzero(sc.allowed)
        top = idx[np.argsort(-sc.total[idx], kind="stable")[: cfg.per_type]]
        best_per_type.setdefault(mb.batch.strategy, []).extend(
            (float(sc.total[i]), mb, int(i), sc) for i in top
        )
    for entries in best_per_type.values():
        entries.sort(key=lambda e: -e[0])
        for total, mb, i, sc in entries[: cfg.per_type]:
            conf = float(sc.confidence[i])
            comps = {k: float(v[i]) for k, v in sc.components.items()}
            picked.append(materialize(scan, mb, i, total, conf, conviction_of(conf, cfg.conviction), comps))
    picked.sort(key=lambda c: (-c.score, c.candidate_id))
    return Ranking(scan.prepared.symbol, view, tuple(picked), scan.n_candidates, excluded)
