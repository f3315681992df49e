"""Closing by hand: what can be closed, in which legs, at which price."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from optionpilot.core.ids import AccountId, PositionId
from optionpilot.domain.instruments import OptionContract, OptionRight, Stock
from optionpilot.domain.orders import PositionEffect, Side
from optionpilot.domain.positions import Position, PositionLeg, PositionStatus
from optionpilot.engine.controls.flatten import closable, closing_legs, marketable_limit

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
EXP = date(2026, 1, 16)


def _condor_like(units: int) -> Position:
    p = Position(PositionId("p1"), AccountId("a"), "SPY", "bull_put_spread", T0, "test", PositionStatus.OPEN)
    short = OptionContract("SPY", EXP, Decimal(590), OptionRight.PUT)
    long = OptionContract("SPY", EXP, Decimal(580), OptionRight.PUT)
    p.legs = {short.key: PositionLeg(short, -2 * units), long.key: PositionLeg(long, 2 * units)}
    return p


def test_closing_all_or_part_of_a_spread_in_lowest_terms() -> None:
    p = _condor_like(3)  # 6 short, 6 long: units_of reads the first leg, 6 units of 1x1
    assert closable(p, None).value == 0
    keep = closable(p, 2)
    assert keep.value == 4 and keep.rule == "operator.close_part"
    combo, qty, stocks = closing_legs(p, 2)
    assert qty == 2 and stocks == []
    sides = {leg.instrument.strike: (leg.side, leg.ratio, leg.effect) for leg in combo}
    assert sides == {
        Decimal(590): (Side.BUY, 1, PositionEffect.CLOSE),
        Decimal(580): (Side.SELL, 1, PositionEffect.CLOSE),
    }


def test_a_quantity_the_position_does_not_have_is_refused_with_a_reason() -> None:
    p = _condor_like(1)
    for qty in (0, 3, -1):
        d = closable(p, qty)
        assert d.value is None and d.rule == "operator.quantity"
    flat = _condor_like(1)
    for leg in flat.legs.values():
        leg.quantity = 0
    assert closable(flat, None).rule == "operator.no_position"
    assert closable(None, None).rule == "operator.no_position"


def test_shares_go_as_their_own_order() -> None:
    p = Position(PositionId("p2"), AccountId("a"), "AAPL", "covered_call", T0, "test", PositionStatus.OPEN)
    call = OptionContract("AAPL", EXP, Decimal(250), OptionRight.CALL)
    p.legs = {"AAPL": PositionLeg(Stock("AAPL"), 100), call.key: PositionLeg(call, -1)}
    p.meta = {"unit_leg": call.key}
    combo, qty, stocks = closing_legs(p, 1)
    assert [(leg.side, leg.ratio) for leg in combo] == [(Side.BUY, 1)] and qty == 1
    assert [(leg.instrument.key, leg.side, n) for leg, n in stocks] == [("AAPL", Side.SELL, 100)]


def test_each_attempt_gives_more_and_a_sale_never_asks_to_pay() -> None:
    agg = Decimal("0.05")
    # Buying back a short at 2.00: 2.00, then 2.10, 2.20.
    assert [marketable_limit(Decimal("2.00"), n, agg, sale_alone=False) for n in range(3)] == [
        Decimal("2.00"), Decimal("2.10"), Decimal("2.20"),
    ]  # fmt: skip
    # Selling at a 1.00 bid (a credit of -1.00): -1.00, -0.95, -0.90.
    assert [marketable_limit(Decimal("-1.00"), n, agg, sale_alone=True) for n in range(3)] == [
        Decimal("-1.00"), Decimal("-0.95"), Decimal("-0.90"),
    ]  # fmt: skip
    # A cent at least per attempt, and a sale alone stays a credit of at least a cent.
    assert marketable_limit(Decimal("-0.02"), 5, agg, sale_alone=True) == Decimal("-0.01")
    assert marketable_limit(Decimal("0.05"), 1, agg, sale_alone=False) == Decimal("0.06")
    # A credit spread's close may cross zero: the net is what matters.
    assert marketable_limit(Decimal("-0.02"), 5, agg, sale_alone=False) == Decimal("0.03")
