"""The Dhan stub's settings and its faults (`--fault name[:rate]`, the Alpaca stub's plus `dh-904`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from optionpilot.adapters.sim.market_config import (
    ListingStyle,
    MonthlyRule,
    SimMarketConfig,
    StrikeBand,
    UnderlyingProfile,
    nse_index_profiles,
)
from optionpilot.adapters.stub_common.faults import parse_fault_text
from optionpilot.core.calendars import Market
from optionpilot.domain.instruments import ExerciseStyle, Settlement


class DhanFault(StrEnum):
    TIMEOUT_AFTER_ACCEPT = "timeout-after-accept"  # order stored, the answer held then a 504
    HTTP_504 = "http-504"  # an order write (place, modify, cancel) answered 504 (DH-909), not applied
    HTTP_429 = "http-429"  # an order write answered 429 (DH-904) and not applied
    DUPLICATE_UPDATES = "duplicate-updates"  # an order update sent twice
    DROP_STREAM = "drop-stream"  # the order-update socket closed instead of sending an update
    REJECT_LEG = "reject-leg"  # an accepted order rejected by the exchange right after TRANSIT
    PARTIAL_FILLS = "partial-fills"  # a fill takes half of what remains (in whole lots)
    DH_904 = "dh-904"  # any request, reads included, answered 429 DH-904 as if over Dhan's limit


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: DhanFault
    rate: float = Field(default=1.0, ge=0.0, le=1.0, description="chance per occasion")


def parse_fault(text: str) -> FaultSpec:
    name, rate = parse_fault_text(text, (f.value for f in DhanFault))
    return FaultSpec(name=DhanFault(name), rate=rate)


class RateLimits(BaseModel):
    """Dhan's published limits per client: orders per second/minute/hour/day, data and the chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    orders_per_second: int = Field(default=10, ge=1)
    orders_per_minute: int = Field(default=250, ge=1)
    orders_per_hour: int = Field(default=1000, ge=1)
    orders_per_day: int = Field(default=7000, ge=1)
    data_per_second: int = Field(default=5, ge=1)
    quote_per_second: int = Field(default=1, ge=1, description="market quote REST (ltp, ohlc, quote)")
    non_trading_per_second: int = Field(default=20, ge=1)
    option_chain_seconds: float = Field(default=3.0, ge=0, description="per underlying and expiry")


def nse_stock_profile() -> UnderlyingProfile:
    """RELIANCE: monthly stock options (last Tuesday), lot 500, physically settled on NSE."""
    return UnderlyingProfile(
        symbol="RELIANCE",
        market=Market.IN,
        currency="INR",
        spot=1400.0,
        tick=Decimal("0.05"),
        option_tick=Decimal("0.05"),
        base_vol=0.24,
        daily_volume=1.2e7,
        listing=ListingStyle.MONTHLY,
        expiry_weekday=1,
        monthly_rule=MonthlyRule.LAST,
        monthly_count=3,
        option_multiplier=500,
        option_style=ExerciseStyle.EUROPEAN,
        option_settlement=Settlement.PHYSICAL,
        strike_bands=(StrikeBand(within=0.15, step=Decimal(10)), StrikeBand(within=0.40, step=Decimal(20))),
        liquidity=0.7,
    )


def dhan_market() -> SimMarketConfig:
    """NIFTY and BANKNIFTY index options and RELIANCE stock options on the NSE calendar."""
    return SimMarketConfig.india(profiles=(*nse_index_profiles(), nse_stock_profile()))


class DhanStubConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8766, ge=0, le=65535, description="0 picks a free port")
    client_id: str = Field(min_length=1, max_length=20)
    access_token: SecretStr
    seed: int = Field(default=7, ge=0)
    speed: float = Field(default=60.0, gt=0, description="simulated seconds per real second")
    start: datetime | None = Field(default=None, description="None: 5 minutes before the first open")
    faults: tuple[FaultSpec, ...] = ()
    cash: Decimal = Field(default=Decimal(1_000_000), gt=0, description="rupees")
    freeze_quantity: dict[str, int] = Field(
        default_factory=lambda: {"NIFTY": 1800, "BANKNIFTY": 900, "RELIANCE": 10_000},
        description="units per order above which the exchange refuses it (use /orders/slicing)",
    )
    max_modifications: int = Field(default=25, ge=1, description="per order")
    limits: RateLimits = RateLimits()
    short_margin_rate: float = Field(default=0.12, gt=0, description="of spot x units, an unhedged short")
    hedged_margin_rate: float = Field(default=0.03, gt=0, description="a short covered by a long")
    step_seconds: float = Field(default=0.05, gt=0, description="real seconds between matching steps")
    feed_seconds: float = Field(default=0.25, gt=0, description="real seconds between feed packets")
    ping_seconds: float = Field(default=10.0, gt=0, description="Dhan pings the feed every 10 s")
    accept_timeout_hold_seconds: float = Field(
        default=10.0, ge=0, description="timeout-after-accept: how long the answer is held"
    )
    market: SimMarketConfig = Field(default_factory=dhan_market)
