"""Tunable numbers of the pricing library."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PricingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days_per_year: float = Field(365.0, gt=0, description="calendar days per year, for T and theta per day")
    iv_max_iter: int = Field(100, ge=1, description="iteration cap of the implied-vol solver")
    iv_tol: float = Field(1e-13, gt=0, lt=1e-3, description="relative step at which the IV solver stops")
    parallel_min_size: int = Field(20_000, ge=1, description="arrays at least this long use every core")
    iv_rank_lookback: int = Field(252, ge=2, description="sessions of IV history for IV rank and percentile")
    tree_steps: int = Field(2_000, ge=10, description="steps of the binomial tree checking American prices")


DEFAULT_PRICING = PricingConfig()
