"""Fee schedules: US per contract, India per order plus turnover charges and taxes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from optionpilot.adapters.sim.fees import FeeSchedule, FeesConfig, fill_fee
from optionpilot.core.calendars import Market
from optionpilot.domain.instruments import OptionContract, OptionRight, Stock
from optionpilot.domain.orders import Side

US_CALL = OptionContract("SPY", date(2024, 6, 7), Decimal(530), OptionRight.CALL)
NIFTY_PUT = OptionContract(
    "NIFTY", date(2025, 7, 17), Decimal(25000), OptionRight.PUT, market=Market.IN, multiplier=75
)


def test_us_default_is_65_cents_a_contract_with_no_order_fee() -> None:
    us = FeesConfig().for_market(Market.US)
    assert fill_fee(us, US_CALL, Side.BUY, 3, Decimal("2.10"), first_fill_of_order=True) == Decimal("1.95")
    assert fill_fee(us, US_CALL, Side.SELL, 1, Decimal("0.05"), first_fill_of_order=False) == Decimal("0.65")
    assert fill_fee(us, Stock("SPY"), Side.BUY, 100, Decimal("530"), first_fill_of_order=True) == Decimal(
        "0.00"
    )


def test_india_charges_20_per_order_once_plus_turnover_and_gst() -> None:
    india = FeesConfig().for_market(Market.IN)
    premium = Decimal("100.00") * 75  # 7,500 rupees
    exchange = premium * Decimal("0.0003503")  # 2.627...
    first = fill_fee(india, NIFTY_PUT, Side.SELL, 1, Decimal("100.00"), first_fill_of_order=True)
    assert first == ((20 + exchange) * Decimal("1.18") + premium * Decimal("0.001")).quantize(Decimal("0.01"))
    later = fill_fee(india, NIFTY_PUT, Side.SELL, 1, Decimal("100.00"), first_fill_of_order=False)
    assert later == (exchange * Decimal("1.18") + premium * Decimal("0.001")).quantize(Decimal("0.01"))
    assert first - later == Decimal("23.60")  # the order fee and its GST, charged once
    bought = fill_fee(india, NIFTY_PUT, Side.BUY, 1, Decimal("100.00"), first_fill_of_order=False)
    assert bought == (exchange * Decimal("1.18") + premium * Decimal("0.00003")).quantize(Decimal("0.01"))


def test_a_per_contract_charge_can_be_set_for_any_market() -> None:
    custom = FeeSchedule(option_per_contract=Decimal("0.50"), option_per_order=Decimal("1.00"))
    assert fill_fee(custom, US_CALL, Side.BUY, 4, Decimal("1"), first_fill_of_order=True) == Decimal("3.00")


def test_fee_schedules_are_strict_and_refuse_bad_quantities() -> None:
    with pytest.raises(ValidationError):
        FeeSchedule(per_contract=Decimal(1))  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        FeeSchedule(option_per_contract=Decimal(-1))
    with pytest.raises(ValueError, match="quantity must be positive"):
        fill_fee(FeeSchedule(), US_CALL, Side.BUY, 0, Decimal(1), first_fill_of_order=True)
