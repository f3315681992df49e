"""Seed 004's absolute stop per position, in all three exit families, and its limit from equity."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import numpy as np

from optionpilot.decisions.exits import (
    ExitAction,
    ExitConfig,
    ExitInputs,
    MultiLegExitConfig,
    PositionView,
    StockView,
    evaluate_exit,
    evaluate_exits,
    evaluate_stock_exit,
    explain,
    position_loss_limit,
)

D = Decimal


def test_the_limit_is_a_share_of_equity_capped_by_an_amount() -> None:
    assert position_loss_limit(D(1_000), D("0.05"), None) == D(50)
    assert position_loss_limit(D(121_000), D("0.05"), None) == D(6_050)
    assert position_loss_limit(D(121_000), D("0.05"), D(5_000)) == D(5_000)
    assert position_loss_limit(D(121_000), None, D(5_000)) == D(5_000)
    assert position_loss_limit(D(121_000), None, None) is None


def _view(price: str, limit: float | None) -> PositionView:
    # Two contracts bought at 2.00: at 1.75 they have lost 50.00, inside the 25% stop loss.
    return PositionView(
        trade_style="swing_trade", is_call=True, entry_price=D("2.00"), peak_price=D("2.00"),
        option_price=D(price), underlying_price=100.0, underlying_entry=100.0, quantity=2,
        original_quantity=2, dte=20, minutes_held=60, loss_limit=limit, multiplier=100,
    )  # fmt: skip


def test_a_single_leg_position_closes_at_the_absolute_stop_before_its_percentage_stop() -> None:
    d = evaluate_exit(_view("1.75", 50.0))
    assert d.rule == "exits.absolute_stop" and d.value is not None and d.value.action is ExitAction.CLOSE
    assert "lost 50.00, the limit per position is 50.00" in d.reason
    assert evaluate_exit(_view("1.76", 50.0)).rule != "exits.absolute_stop"  # lost 48.00
    assert evaluate_exit(_view("1.75", None)).rule != "exits.absolute_stop"  # off


def test_shares_long_and_short_close_at_the_absolute_stop() -> None:
    base = {"cfg": ExitConfig(), "entry": 100.0, "style": "swing_trade", "minutes_to_close": 60.0}
    long = StockView(quantity=100, spot=99.5, loss_limit=50.0, **base)  # type: ignore[arg-type]
    assert evaluate_stock_exit(long).rule == "exits.stock_absolute_stop"
    short = StockView(quantity=-100, spot=100.5, loss_limit=50.0, **base)  # type: ignore[arg-type]
    assert evaluate_stock_exit(short).rule == "exits.stock_absolute_stop"
    small = StockView(quantity=100, spot=99.6, loss_limit=50.0, **base)  # type: ignore[arg-type]
    assert evaluate_stock_exit(small).rule != "exits.stock_absolute_stop"


def test_a_strategy_closes_at_the_absolute_stop() -> None:
    # A credit of 120 now worth -250: lost 130, far from its 50%-of-max-loss stop (190).
    inputs = ExitInputs(
        basis=np.array([-120.0, -120.0]), value=np.array([-250.0, -200.0]), max_profit=np.full(2, 120.0),
        max_loss=np.full(2, 380.0), dte=np.full(2, 30), short_premium=np.ones(2, bool), theta=np.zeros(2),
        units=np.ones(2, np.int64), opened_units=np.ones(2, np.int64), partials_taken=np.zeros(2, np.int64),
        short_gap=np.full(2, math.nan),
    )  # fmt: skip
    batch = evaluate_exits(dataclasses.replace(inputs, loss_limit=100.0), MultiLegExitConfig())
    assert explain(batch, 0).rule == "multileg_exit.absolute_stop"
    assert "lost 130.00, the limit per position is 100.00" in explain(batch, 0).reason
    assert explain(batch, 1).rule != "multileg_exit.absolute_stop"  # lost 80
    off = evaluate_exits(inputs, MultiLegExitConfig())
    assert explain(off, 0).rule != "multileg_exit.absolute_stop"
