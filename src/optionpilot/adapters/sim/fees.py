"""Fee schedules of the simulated broker, one per market, and the fee of one fill.

Defaults (none of the seeds gives fees; these are the published retail schedules we model):

- US: $0.65 per option contract, no per-order fee, commission-free stock. Regulatory pass-through
  fees (SEC, FINRA TAF, ORF) are a few cents and left at 0; set `sell_turnover_rate` to model them.
- India (Dhan F&O): ₹20 per executed order plus turnover charges on the premium: exchange
  transaction charges 0.03503% both sides, STT 0.1% on sells, stamp duty 0.003% on buys, and 18% GST
  on brokerage plus exchange charges. India has no per-lot brokerage, so `option_per_contract` is 0;
  a per-contract charge is there for brokers that have one.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.calendars import Market
from optionpilot.core.money import ZERO, cents
from optionpilot.domain.instruments import Instrument, OptionContract
from optionpilot.domain.orders import Side


class FeeSchedule(BaseModel):
    """What one market's broker charges. Rates are fractions of the fill's notional (premium x size)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    option_per_contract: Decimal = Field(default=Decimal("0.65"), ge=0)
    option_per_order: Decimal = Field(default=ZERO, ge=0)
    stock_per_share: Decimal = Field(default=ZERO, ge=0)
    stock_per_order: Decimal = Field(default=ZERO, ge=0)
    turnover_rate: Decimal = Field(default=ZERO, ge=0, description="both sides: exchange charges")
    sell_turnover_rate: Decimal = Field(default=ZERO, ge=0, description="sells only: SEC fee, STT")
    buy_turnover_rate: Decimal = Field(default=ZERO, ge=0, description="buys only: stamp duty")
    tax_on_charges_rate: Decimal = Field(default=ZERO, ge=0, description="GST on brokerage + exchange")


def _us_fees() -> FeeSchedule:
    return FeeSchedule()


def _india_fees() -> FeeSchedule:
    return FeeSchedule(
        option_per_contract=ZERO,
        option_per_order=Decimal(20),
        stock_per_order=Decimal(20),
        turnover_rate=Decimal("0.0003503"),
        sell_turnover_rate=Decimal("0.001"),
        buy_turnover_rate=Decimal("0.00003"),
        tax_on_charges_rate=Decimal("0.18"),
    )


class FeesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    us: FeeSchedule = Field(default_factory=_us_fees)
    india: FeeSchedule = Field(default_factory=_india_fees)

    def for_market(self, market: Market) -> FeeSchedule:
        return self.us if market is Market.US else self.india


def fill_fee(
    schedule: FeeSchedule,
    instrument: Instrument,
    side: Side,
    quantity: int,
    price: Decimal,
    *,
    first_fill_of_order: bool,
) -> Decimal:
    """The fee of one fill, to the cent. The per-order fee is charged once, on an order's first fill."""
    if quantity <= 0:
        raise ValueError(f"fee asked for a fill of {quantity} {instrument.key}; quantity must be positive")
    notional = price * quantity * instrument.multiplier
    if isinstance(instrument, OptionContract):
        brokerage = schedule.option_per_contract * quantity
        per_order = schedule.option_per_order
    else:
        brokerage = schedule.stock_per_share * quantity
        per_order = schedule.stock_per_order
    if first_fill_of_order:
        brokerage += per_order
    exchange = schedule.turnover_rate * notional
    side_rate = schedule.sell_turnover_rate if side is Side.SELL else schedule.buy_turnover_rate
    tax = schedule.tax_on_charges_rate * (brokerage + exchange)
    return cents(brokerage + exchange + side_rate * notional + tax)
