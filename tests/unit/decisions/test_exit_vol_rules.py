"""Seed 003's conditional exits on volatility and seed 004's trailing stop and holding period."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from optionpilot.decisions.exits import (
    ExitAction,
    ExitConfig,
    ExitInputs,
    MultiLegExitConfig,
    PositionView,
    evaluate_exit,
    evaluate_exits,
    expected_move,
    explain,
)

D = Decimal


def view(**kw: object) -> PositionView:
    base: dict[str, object] = {
        "trade_style": "swing_trade", "is_call": True, "entry_price": D("2.00"), "peak_price": D("2.00"),
        "option_price": D("2.20"), "underlying_price": 100.0, "underlying_entry": 100.0, "quantity": 2,
        "original_quantity": 2, "dte": 20, "minutes_held": 60,
    }  # fmt: skip
    base.update(kw)
    return PositionView(**base)  # type: ignore[arg-type]


def only(*rules: str, **kw: object) -> ExitConfig:
    return ExitConfig(rule_sets={"*/swing_trade": rules, "*/day_trade": rules}, **kw)  # type: ignore[arg-type]


def test_a_vol_spike_against_the_position_closes_it() -> None:
    cfg = only("exits.vol_spike")
    # A long call: a 5-minute drop of 3.2 sigma is against it; a rise of 3.2 sigma is not.
    d = evaluate_exit(view(short_move_sigma=-3.2), cfg)
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "exits.vol_spike"
    assert "3.2 sigma" in d.reason
    assert evaluate_exit(view(short_move_sigma=3.2), cfg).rule == "exits.hold"
    assert evaluate_exit(view(short_move_sigma=-2.9), cfg).rule == "exits.hold"
    # A long put: the rise is against it.
    assert evaluate_exit(view(is_call=False, short_move_sigma=3.2), cfg).rule == "exits.vol_spike"
    assert evaluate_exit(view(short_move_sigma=None), cfg).rule == "exits.hold"


def test_profit_is_taken_at_sixty_percent_of_the_expected_move() -> None:
    # 100 x 25% x sqrt(14 / 365) = 4.896 (20 DTE at entry, capped at 14 days); 60% of it is 2.94.
    em = expected_move(100.0, 0.25, 20, 14)
    assert math.isclose(em, 100 * 0.25 * math.sqrt(14 / 365))
    cfg = only("exits.expected_move")
    base = {"entry_iv": 0.25, "entry_dte": 20}
    d = evaluate_exit(view(underlying_price=102.95, **base), cfg)
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "exits.expected_move"
    assert "60% of the expected move 4.90" in d.reason
    assert evaluate_exit(view(underlying_price=102.90, **base), cfg).rule == "exits.hold"
    # Not at a gain on the option: no profit to take.
    assert (
        evaluate_exit(view(underlying_price=103.0, option_price=D("1.90"), **base), cfg).rule == "exits.hold"
    )
    # No entry IV known: the rule cannot judge.
    assert evaluate_exit(view(underlying_price=110.0, entry_dte=20), cfg).rule == "exits.hold"


def test_a_long_is_sold_when_its_implied_vol_is_rich_against_realized() -> None:
    cfg = only("exits.iv_rich")
    d = evaluate_exit(view(iv=0.30, realized_vol=0.18), cfg)  # 1.67x
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "exits.iv_rich"
    assert evaluate_exit(view(iv=0.26, realized_vol=0.18), cfg).rule == "exits.hold"  # 1.44x
    # Rich, but at a loss: kept (the stop loss and the other rules judge it).
    assert evaluate_exit(view(iv=0.30, realized_vol=0.18, option_price=D("1.90")), cfg).rule == "exits.hold"
    assert evaluate_exit(view(iv=0.30, realized_vol=0.0), cfg).rule == "exits.hold"


def multi(**kw: object) -> ExitInputs:
    n = 1
    base: dict[str, object] = {
        "basis": np.full(n, 400.0), "value": np.full(n, 460.0), "max_profit": np.full(n, 600.0),
        "max_loss": np.full(n, 400.0), "dte": np.full(n, 40), "short_premium": np.zeros(n, bool),
        "theta": np.zeros(n), "units": np.ones(n, np.int64), "opened_units": np.ones(n, np.int64),
        "partials_taken": np.zeros(n, np.int64), "short_gap": np.full(n, math.nan),
    }  # fmt: skip
    base.update(kw)
    return ExitInputs(**base)  # type: ignore[arg-type]


def test_the_multi_leg_trailing_stop_arms_at_its_capture_and_fires_on_the_giveback() -> None:
    cfg = MultiLegExitConfig(rule_sets={"*/*": ("multileg_exit.stop", "multileg_exit.trailing")})
    # Debit 400, max profit 600: value 460 is capture 10%. Peak 30% (armed), now 10%: gave back 20 >= 15.
    b = evaluate_exits(multi(peak_capture=np.array([0.30])), cfg)
    d = explain(b, 0)
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "multileg_exit.trailing"
    assert "peak 30%" in d.reason
    # Peak 24%: never armed.
    assert explain(evaluate_exits(multi(peak_capture=np.array([0.24])), cfg), 0).rule == "multileg_exit.hold"
    # Peak 30%, now 20% (value 520): gave back only 10.
    b = evaluate_exits(multi(peak_capture=np.array([0.30]), value=np.array([520.0])), cfg)
    assert explain(b, 0).rule == "multileg_exit.hold"
    # The peak includes this look: capture 40% now with no peak stored is the new peak.
    b = evaluate_exits(multi(value=np.array([640.0])), cfg)
    assert b.peak_capture.tolist() == [0.4] and explain(b, 0).rule == "multileg_exit.hold"


def test_the_multi_leg_holding_period_closes_a_position_held_too_long() -> None:
    cfg = MultiLegExitConfig(max_hold_days=30, rule_sets={"*/*": ("multileg_exit.max_hold",)})
    b = evaluate_exits(multi(days_held=np.array([30])), cfg)
    d = explain(b, 0)
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "multileg_exit.max_hold"
    assert int(b.close_units[0]) == 1 and "held 30 days" in d.reason
    assert explain(evaluate_exits(multi(days_held=np.array([29])), cfg), 0).rule == "multileg_exit.hold"
