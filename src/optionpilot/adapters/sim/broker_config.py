"""Settings of the simulated broker. No seed gives these; the defaults are documented choices."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.adapters.sim.fees import FeesConfig
from optionpilot.adapters.sim.margin import MarginConfig
from optionpilot.core.money import ZERO


class ExpiryDelivery(StrEnum):
    """What the broker does with options that would deliver shares at expiry."""

    ALWAYS = "always"  # deliver the shares, whatever it does to the cash
    FUNDED = "funded"  # deliver only when the cash stays >= 0; else close them at intrinsic value


class FaultConfig(BaseModel):
    """Faults injected into what the simulated broker reports (see adapters/sim/faults.py)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    seed: int = 0
    max_deliveries: int = Field(default=3, ge=1)  # each fill comes 1..max_deliveries times
    shuffle: bool = True  # a poll's events in a random order
    fills_after_cancel: bool = True  # a final cancel/expiry reported before the fills it had
    delay_fills: float = Field(default=0.2, ge=0, le=1)  # a poll's fills held to the next poll
    timeout_received: float = Field(default=0.05, ge=0, le=1)  # the broker got the order, we hear a timeout
    timeout_lost: float = Field(default=0.05, ge=0, le=1)  # the order never arrived, we hear a timeout
    # A cancel request reaches the broker only after its next matching: the order may fill meanwhile.
    late_cancels: float = Field(default=0.0, ge=0, le=1)


class SimBrokerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "sim"
    # Alpaca's multi-leg orders carry 2-4 legs.
    max_legs: int = Field(default=4, ge=2, le=8)
    # Adverse slippage on marketable legs: whole ticks plus a fraction of the spread (rounded up to
    # ticks). Zero by default: crossing the spread is already the main cost of a marketable order.
    slippage_ticks: int = Field(default=0, ge=0)
    slippage_spread_fraction: Decimal = Field(default=ZERO, ge=0, le=1)
    # Orders sent outside the session queue for the next one (as Alpaca does with DAY orders), rather
    # than being refused; they still fill only on a quote stamped after they were sent.
    queue_outside_hours: bool = True
    # A quote older than this cannot be traded on; the order holds and says so.
    max_quote_age_seconds: int = Field(default=120, gt=0)
    # Buying power held for a working market order above its estimate at the quote, as a fraction of
    # its gross premium, so a moving quote does not overdraw the account.
    market_order_reserve: Decimal = Field(default=Decimal("0.05"), ge=0)
    # Stock orders trade on the last minute bar's close plus/minus this many ticks (no stock quotes).
    stock_half_spread_ticks: int = Field(default=1, ge=0)
    # OCC exercise by exception: in the money by at least this much at the close is exercised.
    itm_threshold: Decimal = Field(default=Decimal("0.01"), gt=0)
    # A cash account cannot pay for shares it has no cash for: when the physical deliveries of one
    # expiry would leave cash below zero, every option of that settlement that would deliver is closed
    # at its intrinsic value instead (as a broker liquidates positions at risk before expiry).
    expiry_delivery: ExpiryDelivery = ExpiryDelivery.FUNDED
    fees: FeesConfig = Field(default_factory=FeesConfig)
    margin: MarginConfig = Field(default_factory=MarginConfig)
    faults: FaultConfig = Field(default_factory=FaultConfig)
