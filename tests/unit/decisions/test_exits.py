from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from optionpilot.core.errors import DataError
from optionpilot.decisions.exits import (
    ExitAction,
    ExitConfig,
    PositionView,
    evaluate_exit,
    partial_quantity,
    propose_roll,
    trailing_stop,
)

D = Decimal
BASE = PositionView(
    trade_style="day_trade",
    is_call=True,
    entry_price=D("2.00"),
    peak_price=D("2.00"),
    option_price=D("2.00"),
    underlying_price=100.0,
    underlying_entry=100.0,
    quantity=10,
    original_quantity=10,
    dte=1,
    minutes_held=5,
    minutes_to_close=200,
)
SWING = dataclasses.replace(BASE, trade_style="swing_trade", dte=20, minutes_to_close=None)


def view(base: PositionView = BASE, **kw: Any) -> PositionView:
    return dataclasses.replace(base, **kw)


def test_trailing_stop_seed_example() -> None:
    assert trailing_stop(D("17.15"), D("40.00"), D("0.25")) == D("34.2875")
    v = view(
        entry_price=D("17.15"), peak_price=D("40.00"), option_price=D("34.28"), partials_taken=2, quantity=3
    )
    d = evaluate_exit(v)
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "exits.trailing_stop"
    assert "34.2875" in d.reason
    hold = evaluate_exit(view(v, option_price=D("35.00")))
    assert hold.value is not None and hold.value.action is ExitAction.HOLD


def test_partial_ladder_on_ten_contracts() -> None:
    first = evaluate_exit(view(option_price=D("3.00")))  # +50%
    assert first.value is not None and first.rule == "exits.partial"
    assert (first.value.action, first.value.quantity, first.value.partials_taken) == (
        ExitAction.PARTIAL,
        5,
        1,
    )
    held = evaluate_exit(view(option_price=D("3.20"), peak_price=D("3.20"), quantity=5, partials_taken=1))
    assert held.value is not None and held.value.action is ExitAction.HOLD
    second = evaluate_exit(view(option_price=D("3.50"), peak_price=D("3.50"), quantity=5, partials_taken=1))
    assert second.value is not None and (second.value.quantity, second.value.partials_taken) == (3, 2)
    # 75% of 10 is 7.5, sold half up to 8: two ride to the trailing stop.
    rest = evaluate_exit(view(option_price=D("5.00"), peak_price=D("5.00"), quantity=2, partials_taken=2))
    assert (
        rest.value is not None
        and rest.value.action is ExitAction.HOLD
        and "trailing stop 4.2500" in rest.reason
    )


def test_jump_straight_past_both_levels() -> None:
    d = evaluate_exit(view(option_price=D("3.60")))
    assert d.value is not None and (d.value.quantity, d.value.partials_taken) == (8, 2)


def test_partial_quantity_keeps_one_to_ride() -> None:
    assert partial_quantity(10, 10, D("0.5")) == 5
    assert partial_quantity(2, 1, D("0.75")) == 0
    assert partial_quantity(1, 1, D("0.5")) == 0


def test_profit_target_closes_what_cannot_be_split() -> None:
    d = evaluate_exit(view(quantity=1, original_quantity=1, option_price=D("3.00")))
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "exits.profit_target"
    off = evaluate_exit(view(option_price=D("3.00")), ExitConfig(partials=False))
    assert off.value is not None and off.value.action is ExitAction.CLOSE and off.value.quantity == 10


def test_stop_loss_at_minus_25() -> None:
    d = evaluate_exit(view(option_price=D("1.50")))
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "exits.stop_loss"
    assert evaluate_exit(view(option_price=D("1.51"))).rule == "exits.hold"


def test_peak_is_updated_and_returned() -> None:
    d = evaluate_exit(view(option_price=D("2.40"), peak_price=D("2.20")))
    assert d.value is not None and d.value.peak_price == D("2.40") and d.value.action is ExitAction.HOLD


def test_day_trade_time_rules() -> None:
    assert evaluate_exit(view(minutes_to_close=5)).rule == "exits.day_close"
    assert evaluate_exit(view(minutes_held=30, option_price=D("2.00"))).rule == "exits.follow_through"
    assert (
        evaluate_exit(view(minutes_held=30, option_price=D("2.05"), peak_price=D("2.05"))).rule
        == "exits.hold"
    )
    # 0-1 DTE always decays fast: theta rules guard swings, not day trades.
    assert evaluate_exit(view(theta_per_day=-1.0, dte=0)).rule == "exits.hold"


def test_swing_time_and_theta_rules() -> None:
    assert evaluate_exit(view(SWING, dte=2)).rule == "exits.swing_expiry"
    assert evaluate_exit(view(SWING, days_held=14)).rule == "exits.swing_time"
    assert evaluate_exit(view(SWING, dte=6, option_price=D("1.90"))).rule == "exits.theta_protect"
    assert (
        evaluate_exit(view(SWING, dte=6, option_price=D("2.10"), peak_price=D("2.10"))).rule == "exits.hold"
    )
    assert evaluate_exit(view(SWING, theta_per_day=-0.11)).rule == "exits.theta_share"  # 5.5% of 2.00
    assert evaluate_exit(view(SWING, theta_per_day=-0.09)).rule == "exits.hold"


def test_greek_and_trend_exits() -> None:
    assert evaluate_exit(view(delta=0.86)).rule == "exits.delta"
    assert evaluate_exit(view(is_call=False, delta=-0.86)).rule == "exits.delta"
    assert evaluate_exit(view(trend_flipped=True)).rule == "exits.trend_flip"


def test_no_option_quote_falls_back_to_the_underlying() -> None:
    d = evaluate_exit(view(option_price=None, underlying_price=99.3))
    assert d.rule == "exits.underlying_stop" and d.reason.startswith("no option quote, using the underlying")
    put = evaluate_exit(view(option_price=None, is_call=False, underlying_price=99.1))
    assert put.rule == "exits.underlying_target"
    hold = evaluate_exit(view(option_price=None, underlying_price=100.2))
    assert hold.rule == "exits.hold_underlying" and "no option quote" in hold.reason


def test_underlying_policy() -> None:
    cfg = ExitConfig(policy="underlying")
    assert evaluate_exit(view(sma20=100.5), cfg).rule == "exits.sma20_break"
    # +1% on the underlying but only +10% on the option: not yet.
    assert evaluate_exit(
        view(underlying_price=101.0, option_price=D("2.20"), peak_price=D("2.20")), cfg
    ).rule == ("exits.hold")
    done = evaluate_exit(view(underlying_price=101.0, option_price=D("2.40"), peak_price=D("2.40")), cfg)
    assert done.rule == "exits.underlying_target"
    # The option's -25% stop belongs to the option policy only.
    assert evaluate_exit(view(option_price=D("1.40")), cfg).rule == "exits.hold"


def test_bad_positions_are_errors() -> None:
    with pytest.raises(DataError, match="quantity"):
        evaluate_exit(view(quantity=0))
    with pytest.raises(DataError, match="trade style"):
        evaluate_exit(view(trade_style="stock"))


def test_rolls() -> None:
    up = propose_roll(view(option_price=D("4.00"), peak_price=D("4.00")))
    assert up.value is not None and up.value.action is ExitAction.ROLL and up.rule == "exits.roll_up"
    assert not propose_roll(view(option_price=D("3.00"))).ok
    short = view(SWING, is_long=False, dte=21, option_price=D("2.50"))
    out = propose_roll(short)
    assert out.value is not None and out.value.action is ExitAction.ROLL and out.rule == "exits.roll_out"
    assert not propose_roll(view(short, dte=30)).ok
    assert not propose_roll(view(short, option_price=D("1.50"))).ok
    assert propose_roll(view(option_price=None)).rule == "exits.roll_no_quote"


def test_an_entry_the_theta_rule_would_close_at_once_is_refused() -> None:
    from optionpilot.decisions.exits import entry_passes_exit_rules

    no = entry_passes_exit_rules("swing_trade", 8, Decimal("9.00"), -0.55)
    assert not no.ok and no.rule == "exits.entry_theta" and "6.1%" in no.reason
    assert entry_passes_exit_rules("swing_trade", 25, Decimal("9.00"), -0.30).ok
    assert entry_passes_exit_rules("day_trade", 0, Decimal("1.00"), -0.90).ok
