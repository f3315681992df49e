"""Execution prices and sizes from quotes: slippage in ticks, limits on the net, displayed sizes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from optionpilot.adapters.sim.matching import (
    LegMarket,
    combo_prices,
    fillable_units,
    net_price,
    slippage_ticks,
)
from optionpilot.domain.market import Quote
from optionpilot.domain.orders import Side

T = datetime(2024, 6, 3, 14, 0, tzinfo=UTC)
TICK = Decimal("0.05")


def q(bid: str, ask: str, bid_size: int = 10, ask_size: int = 10) -> Quote:
    return Quote(Decimal(bid), Decimal(ask), bid_size, ask_size, T)


def test_slippage_is_whole_ticks_rounded_up() -> None:
    assert slippage_ticks(q("1.00", "1.20"), TICK, 0, Decimal(0)) == 0
    assert slippage_ticks(q("1.00", "1.20"), TICK, 1, Decimal("0.3")) == 1 + 2  # 0.06 spread -> 2 ticks
    with pytest.raises(ValueError, match="tick"):
        slippage_ticks(q("1.00", "1.20"), Decimal(0), 1, Decimal(0))


def test_sells_never_go_below_one_tick() -> None:
    leg = LegMarket(Side.SELL, 1, q("0.10", "0.20"), TICK, 5)
    assert leg.price(5) == Decimal("0.05")


def test_market_combo_pays_touch_plus_slippage() -> None:
    legs = [
        LegMarket(Side.BUY, 1, q("3.00", "3.10"), TICK, 1),
        LegMarket(Side.SELL, 2, q("1.00", "1.05"), TICK, 1),
    ]
    prices = combo_prices(legs, None)
    assert prices == (Decimal("3.15"), Decimal("0.95"))
    assert net_price(legs, prices) == Decimal("1.25")


def test_limit_not_crossed_gives_no_prices_and_crossed_never_passes_the_limit() -> None:
    legs = [
        LegMarket(Side.BUY, 1, q("3.00", "3.10"), TICK, 3),
        LegMarket(Side.SELL, 1, q("1.00", "1.05"), TICK, 3),
    ]
    assert combo_prices(legs, Decimal("2.05")) is None  # touch net 2.10
    for limit in ("2.10", "2.20", "2.25", "2.40", "2.50"):
        prices = combo_prices(legs, Decimal(limit))
        assert prices is not None
        net = net_price(legs, prices)
        assert net <= Decimal(limit)
        assert net >= Decimal("2.10")  # never better than the quotes
        assert all(p % TICK == 0 for p in prices)
    full = combo_prices(legs, Decimal("5"))
    assert full is not None and net_price(legs, full) == Decimal("2.40")  # all six ticks of slippage


def test_credit_limit() -> None:
    legs = [
        LegMarket(Side.SELL, 1, q("2.00", "2.10"), TICK, 0),
        LegMarket(Side.BUY, 1, q("0.90", "0.95"), TICK, 0),
    ]
    assert combo_prices(legs, Decimal("-1.10")) is None  # only 1.05 credit on offer
    assert combo_prices(legs, Decimal("-1.05")) == (Decimal("2.00"), Decimal("0.95"))


def test_fillable_units_respect_ratios_and_what_others_took() -> None:
    legs = [
        LegMarket(Side.BUY, 1, q("1", "1.1", ask_size=7), TICK),
        LegMarket(Side.SELL, 2, q("1", "1.1", bid_size=9), TICK),
    ]
    assert fillable_units(legs, [0, 0], 10) == 4  # 9 // 2
    assert fillable_units(legs, [5, 0], 10) == 2
    assert fillable_units(legs, [0, 9], 10) == 0
    assert fillable_units(legs, [0, 0], 3) == 3
