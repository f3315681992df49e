"""Margin rules: spreads at max loss, condors by their worse side, Reg-T naked shorts, cash-secured puts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from optionpilot.adapters.sim.margin import (
    Holding,
    MarginConfig,
    ShortPutRule,
    assess,
    naked_call_requirement,
    naked_put_requirement,
    spread_requirement,
)
from optionpilot.domain.instruments import OptionContract, OptionRight, Settlement, Stock

E1 = date(2024, 6, 7)
E2 = date(2024, 6, 14)
SPOT = {"XYZ": Decimal(100)}
CFG = MarginConfig()


def c(strike: int, expiry: date = E1, **kw: object) -> OptionContract:
    return OptionContract("XYZ", expiry, Decimal(strike), OptionRight.CALL, **kw)  # type: ignore[arg-type]


def p(strike: int, expiry: date = E1, **kw: object) -> OptionContract:
    return OptionContract("XYZ", expiry, Decimal(strike), OptionRight.PUT, **kw)  # type: ignore[arg-type]


def h(inst: OptionContract | Stock, qty: int, mark: str = "1") -> Holding:
    return Holding(inst, qty, Decimal(mark))


def total(*holdings: Holding, cfg: MarginConfig = CFG) -> Decimal:
    return assess(list(holdings), SPOT, cfg).total


def test_longs_need_nothing() -> None:
    assert total(h(c(100), 3), h(p(90), 1), h(Stock("XYZ"), 50)) == 0


def test_vertical_spreads_need_their_max_loss_and_debit_spreads_nothing() -> None:
    assert total(h(c(100), -2), h(c(105), 2)) == Decimal(5 * 100 * 2)  # call credit spread
    assert total(h(c(105), -2), h(c(100), 2)) == 0  # call debit spread
    assert total(h(p(95), -1), h(p(90), 1)) == Decimal(500)  # put credit spread
    assert total(h(p(90), -1), h(p(95), 1)) == 0  # put debit spread
    assert spread_requirement(c(100), c(110), 3) == Decimal(3000)
    with pytest.raises(ValueError, match="rights differ"):
        spread_requirement(c(100), p(110), 1)


def test_the_cheapest_cover_is_used_first() -> None:
    assert total(h(c(100), -1), h(c(110), 1), h(c(105), 1)) == Decimal(500)


def test_iron_condor_needs_only_its_worse_side() -> None:
    condor = [h(p(85), 1), h(p(90), -1), h(c(110), -1), h(c(120), 1)]
    assert total(*condor) == Decimal(1000)  # call side 10 wide beats the put side's 5
    # Short put above the short call: both sides can lose at once, so they add up.
    crossed = [h(p(110), -1), h(p(105), 1), h(c(100), -1), h(c(105), 1)]
    assert total(*crossed) == Decimal(1000)


def test_diagonal_cover_must_not_expire_first() -> None:
    assert total(h(c(100, E1), -1), h(c(105, E2), 1)) == Decimal(500)
    # The long expires before the short: the short is uncovered.
    naked = naked_call_requirement(c(100, E2), 1, Decimal(100), Decimal(1), CFG)
    assert total(h(c(100, E2), -1), h(c(105, E1), 1)) == naked


def test_a_long_of_another_multiplier_does_not_cover() -> None:
    adjusted = c(105, multiplier=150)
    assert assess([h(c(100), -1), h(adjusted, 1)], SPOT, CFG).naked_call_contracts == 1


def test_covered_calls_need_nothing_and_partial_cover_leaves_the_rest_naked() -> None:
    shares = Stock("XYZ")
    assert total(h(c(105), -2), h(shares, 200)) == 0
    m = assess([h(c(105), -2), h(shares, 150)], SPOT, CFG)
    assert m.naked_call_contracts == 1
    assert m.total == naked_call_requirement(c(105), 1, Decimal(100), Decimal(1), CFG)


def test_reg_t_naked_call() -> None:
    # 20% of 100 less 10 OTM = 10; floor 10% of 100 = 10; plus the option's value 1.00
    assert naked_call_requirement(c(110), 1, Decimal(100), Decimal(1), CFG) == Decimal(1100)
    # In the money: 20% of the underlying plus the value
    assert naked_call_requirement(c(95), 2, Decimal(100), Decimal(6), CFG) == Decimal((6 + 20) * 200)
    # Far out of the money: the 10% floor
    assert naked_call_requirement(c(150), 1, Decimal(100), Decimal("0.05"), CFG) == Decimal("1005")
    # Cash-settled index options use 15%
    index = c(100, settlement=Settlement.CASH)
    assert naked_call_requirement(index, 1, Decimal(100), Decimal(2), CFG) == Decimal(1700)


def test_short_puts_are_cash_secured_by_default_or_reg_t_on_request() -> None:
    assert total(h(p(90), -2, "0.5")) == Decimal(90 * 100 * 2)
    reg_t = MarginConfig(short_put_rule=ShortPutRule.REG_T)
    # 0.5 + max(20 - 10 OTM, 10% of the 90 strike = 9)
    assert total(h(p(90), -1, "0.5"), cfg=reg_t) == Decimal(1050)
    assert naked_put_requirement(p(70), 1, Decimal(100), Decimal("0.5"), reg_t) == Decimal(750)


def test_short_stock_needs_150_percent() -> None:
    m = assess([h(Stock("XYZ"), -100, "100")], SPOT, CFG)
    assert m.total == Decimal(15000)
    assert "short stock XYZ" in m.lines[0]


def test_missing_spot_is_named() -> None:
    with pytest.raises(KeyError, match="spot of XYZ"):
        assess([h(c(100), -1)], {}, CFG)


def test_config_is_strict() -> None:
    with pytest.raises(ValidationError):
        MarginConfig(naked_percent=Decimal("0.2"))  # type: ignore[call-arg]
