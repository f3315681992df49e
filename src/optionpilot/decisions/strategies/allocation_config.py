"""The allocator's configuration: tiers, industries and their position types, caps, Kelly, VIX preference."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.core.errors import ConfigError
from optionpilot.decisions.strategies.analysis import VixRegime
from optionpilot.decisions.strategies.catalog import VolView


class PositionType(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"


class IndustryWeight(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight: float = Field(gt=0)
    position_type: PositionType | None = None  # None: any direction


def _industries() -> dict[str, IndustryWeight]:
    L, S = PositionType.LONG, PositionType.SHORT
    return {
        "Index": IndustryWeight(weight=0.30, position_type=L),
        "Banking": IndustryWeight(weight=0.15, position_type=L),
        "Information Technology": IndustryWeight(weight=0.15, position_type=L),
        "Consumer": IndustryWeight(weight=0.10, position_type=L),
        "Energy": IndustryWeight(weight=0.10, position_type=S),
        "Unclassified": IndustryWeight(weight=0.20, position_type=None),
    }


def _symbols() -> dict[str, str]:
    idx = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SPY", "QQQ", "IWM", "DIA")
    it = ("AAPL", "MSFT", "NVDA", "GOOGL", "META", "TCS", "INFY")
    return {
        **dict.fromkeys(idx, "Index"),
        **dict.fromkeys(it, "Information Technology"),
        "AMZN": "Consumer",
        "TSLA": "Consumer",
        "HDFCBANK": "Banking",
        "ICICIBANK": "Banking",
        "RELIANCE": "Energy",
    }


def _vix_preference() -> dict[VixRegime, dict[VolView, float]]:
    return {
        VixRegime.LOW: {VolView.LONG: 1.15, VolView.FLAT: 1.0, VolView.SHORT: 0.90},
        VixRegime.NORMAL: {VolView.LONG: 1.0, VolView.FLAT: 1.0, VolView.SHORT: 1.0},
        VixRegime.HIGH: {VolView.LONG: 0.90, VolView.FLAT: 1.0, VolView.SHORT: 1.15},
    }


class AllocationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_shares: tuple[float, float, float] = (0.60, 0.30, 0.10)
    cash_reserve: float = Field(0.05, ge=0, lt=1)
    deploy_target: float = Field(0.95, gt=0, le=1, description="of allocatable capital")
    monthly_return_target: float = Field(0.04, ge=0)
    target_boost: float = Field(0.10, ge=0, description="priority boost when EV/month on margin >= target")
    min_positions: int = Field(20, ge=1)
    max_positions: int = Field(30, ge=1)
    max_position_pct: float = Field(0.08, gt=0, le=1, description="margin of one position / allocatable")
    max_underlying_pct: float = Field(0.20, gt=0, le=1)
    small_capital_positions: int = Field(
        2,
        ge=1,
        description="when not one candidate's unit fits the cap per position (capital too small to "
        "diversify), the plan takes at most this many positions, each up to allocatable / this number",
    )
    one_per_symbol: bool = Field(
        True, description="seed 004: one position per symbol, its best-ranked strategy that can be entered"
    )
    max_per_underlying: int = Field(3, ge=1, description="strategies per symbol when not one_per_symbol")
    kelly_fraction: float = Field(0.25, gt=0, le=1)
    kelly_payoff_cap: float = Field(3.0, gt=0, description="payoff ratio used when profit is unbounded")
    industries: dict[str, IndustryWeight] = Field(default_factory=_industries)
    symbol_industry: dict[str, str] = Field(default_factory=_symbols)
    unclassified: str = "Unclassified"
    vix_preference: dict[VixRegime, dict[VolView, float]] = Field(default_factory=_vix_preference)

    @model_validator(mode="after")
    def _check(self) -> AllocationConfig:
        if abs(sum(self.tier_shares) - 1.0) > 1e-9 or min(self.tier_shares) < 0:
            raise ConfigError(f"allocation.tier_shares must be >= 0 and sum to 1, got {self.tier_shares}")
        if self.unclassified not in self.industries:
            raise ConfigError(f"allocation.industries has no entry for unclassified {self.unclassified!r}")
        unknown = sorted({i for i in self.symbol_industry.values() if i not in self.industries})
        if unknown:
            raise ConfigError(f"allocation.symbol_industry names industries with no weight: {unknown}")
        if self.min_positions > self.max_positions:
            raise ConfigError("allocation.min_positions is above max_positions")
        return self
