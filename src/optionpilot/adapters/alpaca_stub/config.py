"""The stub broker's settings and its fault specifications (`--fault name[:rate]`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from optionpilot.adapters.sim.fees import FeeSchedule
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.adapters.stub_common.faults import parse_fault_text
from optionpilot.core.money import ZERO


class FaultName(StrEnum):
    TIMEOUT_AFTER_ACCEPT = "timeout-after-accept"  # order stored, the answer held then a 504
    HTTP_504 = "http-504"  # a write request answered 504 and not applied
    HTTP_429 = "http-429"  # a write request answered 429 and not applied
    DUPLICATE_UPDATES = "duplicate-updates"  # a trade update sent twice
    DROP_STREAM = "drop-stream"  # the stream is closed instead of sending an update (it is lost)
    REJECT_LEG = "reject-leg"  # an accepted order rejected by the venue right after `new`
    PARTIAL_FILLS = "partial-fills"  # a fill takes half of what remains
    DATA_504 = "data-504"  # a market-data request (bars, snapshots, news) answered 504
    DATA_429 = "data-429"  # a market-data request answered 429


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: FaultName
    rate: float = Field(default=1.0, ge=0.0, le=1.0, description="chance per occasion")


def parse_fault(text: str) -> FaultSpec:
    """`name` or `name:rate`, e.g. `http-504:0.2`; a one-line ConfigError otherwise."""
    name, rate = parse_fault_text(text, (f.value for f in FaultName))
    return FaultSpec(name=FaultName(name), rate=rate)


def _alpaca_fees() -> FeeSchedule:
    # Alpaca charges no commission on options or stock; regulatory pass-through fees are cents.
    return FeeSchedule(option_per_contract=ZERO)


class StubConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535, description="0 picks a free port")
    api_key_id: str = Field(min_length=1)
    api_secret_key: SecretStr
    seed: int = Field(default=7, ge=0)
    speed: float = Field(default=60.0, gt=0, description="simulated seconds per real second")
    start: datetime | None = Field(default=None, description="None: 5 minutes before the first open")
    faults: tuple[FaultSpec, ...] = ()
    cash: Decimal = Field(default=Decimal(100_000), gt=0)
    rate_limit_per_minute: int = Field(default=200, ge=1, description="Alpaca's trading API limit")
    step_seconds: float = Field(default=0.05, gt=0, description="real seconds between matching steps")
    accept_timeout_hold_seconds: float = Field(
        default=10.0, ge=0, description="timeout-after-accept: how long the answer is held"
    )
    stock_spread_ticks: int = Field(default=1, ge=1, description="each side of the last price")
    stock_quote_size: int = Field(default=10_000, ge=1)
    market: SimMarketConfig = Field(default_factory=SimMarketConfig)
    fees: FeeSchedule = Field(default_factory=_alpaca_fees)
