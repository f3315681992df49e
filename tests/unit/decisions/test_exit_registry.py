"""One registry of exit rules and one way of choosing a position's rules, for both evaluators."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from pydantic import ValidationError

from optionpilot.core.errors import DataError
from optionpilot.decisions.exits import (
    REGISTRY,
    ExitAction,
    ExitConfig,
    ExitInputs,
    MultiLegExitConfig,
    PositionView,
    evaluate_exit,
    evaluate_exits,
    explain,
    select_rules,
)

D = Decimal


def test_selection_prefers_the_most_specific_key() -> None:
    table = {
        "*/*": ("a",),
        "*/swing_trade": ("b",),
        "iron_condor/*": ("c",),
        "iron_condor/swing_trade": ("d",),
    }
    assert select_rules(table, "iron_condor", "swing_trade") == ("d",)
    assert select_rules(table, "iron_condor", "day_trade") == ("c",)
    assert select_rules(table, "butterfly", "swing_trade") == ("b",)
    assert select_rules(table, "butterfly", "day_trade") == ("a",)
    with pytest.raises(DataError, match="no rule list"):
        select_rules({"*/swing_trade": ("b",)}, "single", "day_trade")


def test_config_refuses_unknown_rules_and_rules_of_the_other_family() -> None:
    with pytest.raises(ValidationError, match="unknown single_leg/stock exit rules"):
        ExitConfig(rule_sets={"*/day_trade": ("exits.nope",)})
    with pytest.raises(ValidationError, match="unknown multi_leg exit rules"):
        MultiLegExitConfig(rule_sets={"*/*": ("exits.stop_loss",)})
    with pytest.raises(ValidationError, match="strategy/style"):
        MultiLegExitConfig(rule_sets={"iron_condor": ("multileg_exit.stop",)})
    # Keys given replace only those keys: the swing list stays the default.
    cfg = ExitConfig(rule_sets={"*/day_trade": ("exits.stop_loss",)})
    assert cfg.rule_sets["*/swing_trade"] == ExitConfig().rule_sets["*/swing_trade"]


def test_both_families_are_in_the_one_registry() -> None:
    assert "exits.trailing_stop" in REGISTRY.names("single_leg")
    assert "multileg_exit.stop" in REGISTRY.names("multi_leg")
    assert not set(REGISTRY.names("single_leg")) & set(REGISTRY.names("multi_leg"))


def _view(**kw: object) -> PositionView:
    base: dict[str, object] = {
        "trade_style": "swing_trade", "is_call": True, "entry_price": D("2.00"), "peak_price": D("2.00"),
        "option_price": D("1.40"), "underlying_price": 100.0, "underlying_entry": 100.0, "quantity": 2,
        "original_quantity": 2, "dte": 20, "minutes_held": 60,
    }  # fmt: skip
    base.update(kw)
    return PositionView(**base)  # type: ignore[arg-type]


def test_the_rule_list_decides_which_single_leg_rules_run() -> None:
    # -30%: the default swing list stops it out.
    assert evaluate_exit(_view()).rule == "exits.stop_loss"
    # A list without the stop loss holds it; the action is the one vocabulary's.
    cfg = ExitConfig(rule_sets={"*/swing_trade": ("exits.swing_time",)})
    d = evaluate_exit(_view(), cfg)
    assert d.value is not None and d.value.action is ExitAction.HOLD and d.rule == "exits.hold"


def _multi(n: int, strategies: tuple[str, ...]) -> ExitInputs:
    return ExitInputs(
        basis=np.full(n, -120.0), value=np.full(n, -50.0), max_profit=np.full(n, 120.0),
        max_loss=np.full(n, 380.0), dte=np.full(n, 10), short_premium=np.ones(n, bool), theta=np.zeros(n),
        units=np.ones(n, np.int64), opened_units=np.ones(n, np.int64), partials_taken=np.zeros(n, np.int64),
        short_gap=np.full(n, math.nan), strategy=strategies,
    )  # fmt: skip


def test_multi_leg_rules_are_chosen_per_strategy_and_ordered() -> None:
    # Capture 58% at 10 DTE: both the time exit and the target fire; the default list puts time first.
    cfg = MultiLegExitConfig(
        rule_sets={"iron_condor/*": ("multileg_exit.profit_target", "multileg_exit.time"), "butterfly/*": ()}
    )
    b = evaluate_exits(_multi(3, ("bull_put_spread", "iron_condor", "butterfly")), cfg)
    assert [explain(b, i).rule for i in range(3)] == [
        "multileg_exit.time",
        "multileg_exit.profit_target",
        "multileg_exit.hold",
    ]
    assert b.actions() == [ExitAction.CLOSE, ExitAction.CLOSE, ExitAction.HOLD]


def test_stock_rules_are_registered_and_chosen_like_the_others() -> None:
    from optionpilot.decisions.exits import StockView, evaluate_stock_exit

    cfg = ExitConfig()
    base = {"cfg": cfg, "quantity": 100, "entry": 100.0, "style": "stock", "minutes_to_close": 60.0}
    assert evaluate_stock_exit(StockView(spot=99.3, **base)).rule == "exits.stock_stop"  # type: ignore[arg-type]
    assert evaluate_stock_exit(StockView(spot=100.9, **base)).rule == "exits.stock_target"  # type: ignore[arg-type]
    short = {**base, "quantity": -100}
    assert evaluate_stock_exit(StockView(spot=100.7, **short)).rule == "exits.stock_stop"  # type: ignore[arg-type]
    late = {**base, "minutes_to_close": 4.0}
    assert evaluate_stock_exit(StockView(spot=100.1, **late)).rule == "exits.flat_by_close"  # type: ignore[arg-type]
    swing = {**late, "style": "swing_trade"}
    held = evaluate_stock_exit(StockView(spot=100.1, **swing))  # type: ignore[arg-type]
    assert held.value is not None and held.value.action is ExitAction.HOLD
    # Delivered shares go first; a rule list without the stop keeps a loser.
    d = evaluate_stock_exit(StockView(spot=99.0, delivered=True, **base))  # type: ignore[arg-type]
    assert d.rule == "exits.delivered_shares"
    kept = ExitConfig(rule_sets={"stock/*": ("exits.stock_target",)})
    assert evaluate_stock_exit(StockView(spot=99.0, **{**base, "cfg": kept})).rule == "exits.hold"  # type: ignore[arg-type]
    assert "exits.stock_stop" in REGISTRY.names("stock")
