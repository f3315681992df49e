"""Contract selection by quality, not proximity (seeds 000, 001, 003), vectorized over a chain.

Candidates are the contracts of the right side, in the trade style's DTE window, near the target
strike (within 2%) or in the target delta band. Liquid candidates are scored
0.4 spread + 0.3 open interest + 0.2 volume + 0.1 delta fit; the best wins. Every candidate not
chosen gets a rejection naming its rule, so "why not this contract" has an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.core.calendars import MARKETS
from optionpilot.core.errors import DataError
from optionpilot.decisions.liquidity import OK, RULES, LiquidityConfig, describe, liquidity_codes
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.recommendations import Decision
from optionpilot.pricing import bs_greeks

DAY_TRADE = "day_trade"
SWING_TRADE = "swing_trade"
BULLISH = "bullish"
BEARISH = "bearish"
_YEAR_S = 365.0 * 86400.0


class SelectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # DTE windows by trade style (seed 001): 0-1 for day trades, 7-30 for swings.
    day_dte_min: int = Field(0, ge=0)
    day_dte_max: int = Field(1, ge=0)
    swing_dte_min: int = Field(7, ge=0)
    swing_dte_max: int = Field(30, ge=0)
    # Target strike: day trades 1.5% out of the money, swings at the money; conservative buys ITM.
    day_otm_pct: float = 0.015
    swing_otm_pct: float = 0.0
    conservative: bool = False
    conservative_itm_pct: float = Field(0.015, ge=0)
    # Candidates: strikes within 2% of the target, or (by delta) |delta| within the band (seed 003).
    candidates_by: Literal["strike", "delta"] = "strike"
    strike_window_pct: float = Field(0.02, gt=0)
    delta_min: float = Field(0.50, ge=0, le=1)
    delta_max: float = Field(0.60, ge=0, le=1)
    # Quality score (seed 003).
    weight_spread: float = Field(0.4, ge=0)
    weight_open_interest: float = Field(0.3, ge=0)
    weight_volume: float = Field(0.2, ge=0)
    weight_delta: float = Field(0.1, ge=0)
    open_interest_full: float = Field(1000.0, gt=0)
    volume_full: float = Field(500.0, gt=0)
    target_delta: float = Field(0.55, ge=0, le=1)
    delta_tolerance: float = Field(0.3, gt=0)
    # IV rank filter (seed 000): no long premium above the 80th percentile.
    max_iv_rank: float = Field(0.80, ge=0, le=1)
    require_iv_rank: bool = False
    # For Black-Scholes deltas when the chain has none.
    rate: float = 0.04
    dividend_yield: float = 0.0
    expiry_close_local: time = time(16, 0)

    @model_validator(mode="after")
    def _windows(self) -> SelectionConfig:
        if self.day_dte_min > self.day_dte_max or self.swing_dte_min > self.swing_dte_max:
            raise ValueError("selection: a DTE window's min exceeds its max")
        if self.delta_min > self.delta_max:
            raise ValueError("selection: delta_min exceeds delta_max")
        return self

    def dte_window(self, trade_style: str) -> tuple[int, int]:
        if trade_style == DAY_TRADE:
            return self.day_dte_min, self.day_dte_max
        if trade_style == SWING_TRADE:
            return self.swing_dte_min, self.swing_dte_max
        raise ValueError(f"selection: no DTE window for trade style {trade_style!r}")

    def moneyness(self, trade_style: str) -> float:
        """Signed distance of the target strike: + out of the money, - in the money."""
        if self.conservative:
            return -self.conservative_itm_pct
        return self.day_otm_pct if trade_style == DAY_TRADE else self.swing_otm_pct


@dataclass(frozen=True, slots=True)
class ContractRejection:
    index: int  # row in the chain snapshot
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Choice:
    index: int
    score: float
    expiry: date
    strike: float
    is_call: bool
    bid: float
    ask: float
    spread_pct: float
    delta: float  # NaN when unknown
    dte: int
    target_strike: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0


@dataclass(frozen=True, slots=True)
class SelectionResult:
    decision: Decision[Choice]
    rejections: tuple[ContractRejection, ...]
    candidates: int


def check_iv_rank(iv_rank: float | None, config: SelectionConfig) -> Decision[float]:
    if iv_rank is None:
        if config.require_iv_rank:
            return Decision.no("no IV history to rank today's IV", "selection.iv_rank_unknown")
        return Decision.yes(
            float("nan"), "IV rank unknown (too little history); not filtered", "selection.iv_rank"
        )
    if iv_rank > config.max_iv_rank:
        return Decision.no(
            f"IV rank {iv_rank:.2f} above {config.max_iv_rank:.2f}: long premium too dear",
            "selection.iv_rank",
            iv_rank=iv_rank,
        )
    return Decision.yes(
        iv_rank, f"IV rank {iv_rank:.2f} within {config.max_iv_rank:.2f}", "selection.iv_rank"
    )


def chain_deltas(chain: ChainSnapshot, volatility: float | np.ndarray, config: SelectionConfig) -> np.ndarray:
    """Black-Scholes deltas of every row, to the expiry's close in the exchange's time zone."""
    zone = ZoneInfo(MARKETS[chain.underlying.market].timezone)
    offset = chain.ts.astimezone(zone).utcoffset() or timedelta(0)
    close = config.expiry_close_local
    close_s = close.hour * 3600 + close.minute * 60 - int(offset.total_seconds())
    expiry_s = chain.expiry.astype("datetime64[D]").astype(np.int64) * 86400 + close_s
    t = np.maximum(expiry_s - chain.ts.timestamp(), 60.0) / _YEAR_S
    g = bs_greeks(chain.spot, chain.strike, t, config.rate, config.dividend_yield, volatility, chain.is_call)
    return np.asarray(g.delta, dtype=np.float64)


def _today(chain: ChainSnapshot) -> date:
    return chain.ts.astimezone(ZoneInfo(MARKETS[chain.underlying.market].timezone)).date()


def select_contract(
    chain: ChainSnapshot,
    direction: str,
    trade_style: str,
    *,
    iv_rank: float | None = None,
    delta: np.ndarray | None = None,
    volatility: float | np.ndarray | None = None,
    today: date | None = None,
    config: SelectionConfig | None = None,
    liquidity: LiquidityConfig | None = None,
) -> SelectionResult:
    """The best contract to buy for a signal, or why there is none.

    `delta` is the chain's own deltas per row when the vendor gives them; otherwise `volatility`
    (one IV, or one per row) prices Black-Scholes deltas. Without either, the delta fit is left out
    of the score (and selecting by delta is an error). `today` defaults to the chain's local date.
    """
    cfg = config or SelectionConfig()
    liq = liquidity or LiquidityConfig()
    if direction not in (BULLISH, BEARISH):
        raise DataError(
            f"selection {chain.underlying.symbol}: direction {direction!r} is not bullish/bearish"
        )
    dte_min, dte_max = cfg.dte_window(trade_style)
    iv_ok = check_iv_rank(iv_rank, cfg)
    if not iv_ok.ok:
        return SelectionResult(Decision.no(iv_ok.reason, iv_ok.rule, **iv_ok.details), (), 0)
    if not np.isfinite(chain.spot) or chain.spot <= 0:
        raise DataError(f"selection {chain.underlying.symbol} at {chain.ts.isoformat()}: spot {chain.spot!r}")
    day = today or _today(chain)

    if delta is None and volatility is not None:
        delta = chain_deltas(chain, volatility, cfg)
    if delta is None and cfg.candidates_by == "delta":
        raise DataError(
            f"selection {chain.underlying.symbol} at {chain.ts.isoformat()}: selecting by delta needs "
            "the chain's deltas or a volatility"
        )
    want_call = direction == BULLISH
    sign = 1.0 if want_call else -1.0
    target = chain.spot * (1.0 + sign * cfg.moneyness(trade_style))
    dte = (chain.expiry.astype("datetime64[D]") - np.datetime64(day, "D")).astype(np.int64)
    side = chain.is_call == want_call
    in_window = side & (dte >= dte_min) & (dte <= dte_max)
    if cfg.candidates_by == "strike":
        near = np.abs(chain.strike - target) / target <= cfg.strike_window_pct
    else:
        assert delta is not None
        abs_delta = np.abs(delta)
        near = (abs_delta >= cfg.delta_min) & (abs_delta <= cfg.delta_max)
    idx = np.flatnonzero(in_window & near)
    what = f"{chain.underlying.symbol} {'call' if want_call else 'put'} {trade_style}"
    window = f"DTE {dte_min}-{dte_max}"
    if idx.size == 0:
        return SelectionResult(
            Decision.no(
                f"{what}: no contract in {window} near target {target:.2f} "
                f"({int(in_window.sum())} in the window)",
                "selection.no_candidate",
                target_strike=target,
            ),
            (),
            0,
        )

    codes, spread = liquidity_codes(
        chain.bid[idx],
        chain.ask[idx],
        chain.open_interest[idx],
        chain.volume[idx],
        chain.expiry[idx],
        day,
        trade_style,
        liq,
    )
    rejections: list[ContractRejection] = []
    for j in np.flatnonzero(codes != OK):
        i = int(idx[j])
        reason = describe(
            int(codes[j]),
            float(chain.bid[i]),
            float(chain.ask[i]),
            int(chain.open_interest[i]),
            int(chain.volume[i]),
            chain.expiry[i].astype(object),
            day,
            trade_style,
            liq,
        )
        rejections.append(ContractRejection(i, RULES[int(codes[j])], reason))
    passed = codes == OK
    if not passed.any():
        counts: dict[str, int] = {}
        for r in rejections:
            counts[r.rule] = counts.get(r.rule, 0) + 1
        summary = ", ".join(f"{rule} x{n}" for rule, n in sorted(counts.items()))
        return SelectionResult(
            Decision.no(f"{what}: none of {idx.size} candidates is liquid ({summary})", "selection.illiquid"),
            tuple(rejections),
            int(idx.size),
        )

    good = idx[passed]
    sp = spread[passed]
    spread_score = np.clip(1.0 - sp / liq.max_spread(trade_style), 0.0, 1.0)
    oi_score = np.minimum(chain.open_interest[good] / cfg.open_interest_full, 1.0)
    vol_score = np.minimum(chain.volume[good] / cfg.volume_full, 1.0)
    score = (
        cfg.weight_spread * spread_score + cfg.weight_open_interest * oi_score + cfg.weight_volume * vol_score
    )
    d = np.full(good.size, np.nan) if delta is None else np.asarray(delta, dtype=np.float64)[good]
    if delta is not None:
        fit = np.clip(1.0 - np.abs(np.abs(d) - cfg.target_delta) / cfg.delta_tolerance, 0.0, 1.0)
        score = score + cfg.weight_delta * np.nan_to_num(fit, nan=0.0)
    # Best score; ties go to the strike nearest the target, then to the earlier row.
    order = np.lexsort((good, np.abs(chain.strike[good] - target), -score))
    best = int(order[0])
    i = int(good[best])
    for k in order[1:]:
        rejections.append(
            ContractRejection(
                int(good[k]),
                "selection.outscored",
                f"quality {score[k]:.3f} below the chosen {score[best]:.3f}",
            )
        )
    choice = Choice(
        index=i,
        score=float(score[best]),
        expiry=chain.expiry[i].astype(object),
        strike=float(chain.strike[i]),
        is_call=bool(chain.is_call[i]),
        bid=float(chain.bid[i]),
        ask=float(chain.ask[i]),
        spread_pct=float(sp[best]),
        delta=float(d[best]),
        dte=int(dte[i]),
        target_strike=float(target),
    )
    delta_txt = "delta unknown" if np.isnan(choice.delta) else f"delta {choice.delta:+.2f}"
    reason = (
        f"{what}: {choice.expiry.isoformat()} {choice.strike:g} (target {target:.2f}), "
        f"quality {choice.score:.3f} "
        f"best of {good.size} liquid of {idx.size}: spread {choice.spread_pct:.1%} of mid, "
        f"OI {int(chain.open_interest[i])}, volume {int(chain.volume[i])}, {delta_txt}; {iv_ok.reason}"
    )
    decision = Decision.yes(choice, reason, "selection.quality", score=choice.score, strike=choice.strike)
    return SelectionResult(decision, tuple(rejections), int(idx.size))
