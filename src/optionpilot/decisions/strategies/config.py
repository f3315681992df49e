"""Tunable numbers of the strategy scan: leg liquidity, the strike and expiry grid, model inputs, margin."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LegLiquidityConfig(BaseModel):
    """A contract may be a leg only when it has a live two-sided quote that is not too wide."""

    model_config = ConfigDict(extra="forbid")

    max_spread_pct: float = Field(0.25, gt=0, description="(ask - bid) / mid")
    min_bid: float = Field(0.0, ge=0, description="per share; a leg we sell must have a bid above this")
    min_open_interest: int = Field(1, ge=0)


class GridConfig(BaseModel):
    """Which strikes and expiries are worth enumerating. Widths and offsets are in strike steps."""

    model_config = ConfigDict(extra="forbid")

    min_dte: int = Field(1, ge=0, description="0-DTE chains are left out by default")
    max_dte: int = Field(60, ge=1)
    max_expiries: int = Field(8, ge=1, description="the nearest expiries in the window that are scanned")
    max_anchors: int = Field(
        25, ge=1, description="anchor strikes per expiry and right, the nearest the money"
    )
    strike_range_sigmas: float = Field(2.5, gt=0, description="anchor strikes within this many 1-SD moves")
    min_strike_range_pct: float = Field(0.02, ge=0, description="floor of that range, as a share of spot")
    widths: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 8, 10)
    atm_strikes: int = Field(3, ge=0, description="straddles and iron flies: this many strikes each side")
    offsets: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 10)
    wings: tuple[int, ...] = (1, 2, 4, 6)
    calendar_near_expiries: int = Field(4, ge=1, description="near legs of calendars: the first this many")
    far_expiries: int = Field(2, ge=1, description="calendars pair a near expiry with this many later ones")
    calendar_max_dte: int = Field(120, ge=1, description="the far leg of a calendar may be this far out")
    calendar_range_sigmas: float = Field(1.0, gt=0, description="calendars and diagonals sit near the money")
    diagonal_offsets: tuple[int, ...] = (1, 2, 3)
    ratio_widths: tuple[int, ...] = (1, 2, 3, 4, 6)


class MarginConfig(BaseModel):
    """Reg-T-like requirement of an uncovered short option (CBOE's rule, used by most US brokers)."""

    model_config = ConfigDict(extra="forbid")

    naked_pct_underlying: float = Field(0.20, gt=0, le=1)
    naked_min_pct: float = Field(0.10, gt=0, le=1, description="floor: of spot for calls, of strike for puts")


class ScanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    liquidity: LegLiquidityConfig = LegLiquidityConfig()
    grid: GridConfig = GridConfig()
    margin: MarginConfig = MarginConfig()
    risk_free_rate: float = Field(0.045, ge=-0.05, le=0.5, description="used when the caller gives none")
    dividend_yield: float = Field(0.0, ge=0, lt=1)
    drift: float | None = Field(
        None, ge=-1, le=1, description="annual drift behind POP and EV; None: rate - dividend yield (no view)"
    )
    days_per_year: float = Field(365.0, gt=0)
    grid_points: int = Field(101, ge=21, description="spots on which two-expiry payoffs are evaluated")
    grid_sigmas: float = Field(5.0, gt=1, description="that grid spans this many SDs each side")
