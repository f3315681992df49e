"""The strategy types and what each one is: its view, its risk, its margin rule, how complex it is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StrategyType(StrEnum):
    LONG_CALL = "long_call"
    LONG_PUT = "long_put"
    BULL_CALL_SPREAD = "bull_call_spread"
    BEAR_PUT_SPREAD = "bear_put_spread"
    BULL_PUT_SPREAD = "bull_put_spread"
    BEAR_CALL_SPREAD = "bear_call_spread"
    LONG_STRADDLE = "long_straddle"
    SHORT_STRADDLE = "short_straddle"
    LONG_STRANGLE = "long_strangle"
    SHORT_STRANGLE = "short_strangle"
    IRON_CONDOR = "iron_condor"
    IRON_BUTTERFLY = "iron_butterfly"
    LONG_CALL_BUTTERFLY = "long_call_butterfly"
    LONG_PUT_BUTTERFLY = "long_put_butterfly"
    COVERED_CALL = "covered_call"
    CASH_SECURED_PUT = "cash_secured_put"
    CALL_CALENDAR = "call_calendar"
    PUT_CALENDAR = "put_calendar"
    CALL_DIAGONAL = "call_diagonal"
    PUT_DIAGONAL = "put_diagonal"
    CALL_RATIO_SPREAD = "call_ratio_spread"
    PUT_RATIO_SPREAD = "put_ratio_spread"


class Bias(StrEnum):
    BULLISH = "bullish"
    BEARISH = "bearish"
    NEUTRAL = "neutral"


class VolView(StrEnum):
    LONG = "long_vol"  # wins when volatility rises or the price moves a lot
    SHORT = "short_vol"  # wins when it stays calm
    FLAT = "flat"


class MarginRule(StrEnum):
    """How buying power is reserved (see `margin.py` for the formulas)."""

    MAX_LOSS = "max_loss"  # defined risk: the most the position can lose
    NAKED = "naked"  # Reg-T-like for uncovered short options
    RATIO = "ratio"  # the debit plus the Reg-T requirement of the uncovered short
    CASH_SECURED = "cash_secured"  # strike x multiplier
    SHARES = "shares"  # the shares bought for a covered call
    DEBIT_SPREAD_TIME = "calendar"  # the debit, plus any strike gap the long leg does not cover


@dataclass(frozen=True, slots=True)
class Profile:
    bias: Bias
    vol: VolView
    margin: MarginRule
    complexity: int  # 1 (one leg) .. 4 (four legs, two expiries, ratios)
    collects_premium: bool  # a credit at entry: time decay works for it


_P = Profile
PROFILES: dict[StrategyType, Profile] = {
    StrategyType.LONG_CALL: _P(Bias.BULLISH, VolView.LONG, MarginRule.MAX_LOSS, 1, False),
    StrategyType.LONG_PUT: _P(Bias.BEARISH, VolView.LONG, MarginRule.MAX_LOSS, 1, False),
    StrategyType.BULL_CALL_SPREAD: _P(Bias.BULLISH, VolView.FLAT, MarginRule.MAX_LOSS, 2, False),
    StrategyType.BEAR_PUT_SPREAD: _P(Bias.BEARISH, VolView.FLAT, MarginRule.MAX_LOSS, 2, False),
    StrategyType.BULL_PUT_SPREAD: _P(Bias.BULLISH, VolView.SHORT, MarginRule.MAX_LOSS, 2, True),
    StrategyType.BEAR_CALL_SPREAD: _P(Bias.BEARISH, VolView.SHORT, MarginRule.MAX_LOSS, 2, True),
    StrategyType.LONG_STRADDLE: _P(Bias.NEUTRAL, VolView.LONG, MarginRule.MAX_LOSS, 2, False),
    StrategyType.SHORT_STRADDLE: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.NAKED, 2, True),
    StrategyType.LONG_STRANGLE: _P(Bias.NEUTRAL, VolView.LONG, MarginRule.MAX_LOSS, 2, False),
    StrategyType.SHORT_STRANGLE: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.NAKED, 2, True),
    StrategyType.IRON_CONDOR: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.MAX_LOSS, 3, True),
    StrategyType.IRON_BUTTERFLY: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.MAX_LOSS, 3, True),
    StrategyType.LONG_CALL_BUTTERFLY: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.MAX_LOSS, 3, False),
    StrategyType.LONG_PUT_BUTTERFLY: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.MAX_LOSS, 3, False),
    StrategyType.COVERED_CALL: _P(Bias.BULLISH, VolView.SHORT, MarginRule.SHARES, 2, True),
    StrategyType.CASH_SECURED_PUT: _P(Bias.BULLISH, VolView.SHORT, MarginRule.CASH_SECURED, 1, True),
    StrategyType.CALL_CALENDAR: _P(Bias.NEUTRAL, VolView.LONG, MarginRule.DEBIT_SPREAD_TIME, 3, False),
    StrategyType.PUT_CALENDAR: _P(Bias.NEUTRAL, VolView.LONG, MarginRule.DEBIT_SPREAD_TIME, 3, False),
    StrategyType.CALL_DIAGONAL: _P(Bias.BULLISH, VolView.LONG, MarginRule.DEBIT_SPREAD_TIME, 4, False),
    StrategyType.PUT_DIAGONAL: _P(Bias.BEARISH, VolView.LONG, MarginRule.DEBIT_SPREAD_TIME, 4, False),
    StrategyType.CALL_RATIO_SPREAD: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.RATIO, 4, True),
    StrategyType.PUT_RATIO_SPREAD: _P(Bias.NEUTRAL, VolView.SHORT, MarginRule.RATIO, 4, True),
}
