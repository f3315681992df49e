"""Sleeves: each way of trading gets its share of equity; an entry must fit its sleeve's budget."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from optionpilot.decisions.budgets import SleeveConfig, check_sleeve, sleeve_for_style, sleeve_room
from optionpilot.decisions.netting import opposite_side

D = Decimal


def test_default_sleeves_are_seed_001_70_30_inside_the_intraday_70_percent() -> None:
    s = SleeveConfig()
    assert (s.day, s.swing, s.multileg) == (D("0.49"), D("0.21"), D("0.30"))
    assert s.day / (s.day + s.swing) == D("0.7")


def test_sleeves_may_not_add_up_to_more_than_the_account() -> None:
    with pytest.raises(ValidationError, match="more than the whole account"):
        SleeveConfig(day=D("0.6"), swing=D("0.3"), multileg=D("0.3"))
    with pytest.raises(ValidationError):
        SleeveConfig.model_validate({"day": "0.5", "intraday": "0.2"})  # a wrong key is refused


def test_an_entry_fits_its_sleeve_or_is_refused_with_the_figures() -> None:
    cfg = SleeveConfig()
    ok = check_sleeve("swing", D(10_000), D(1_000), D(1_100), cfg)
    assert ok.ok and ok.value == D(0)  # exactly the 2,100 budget
    no = check_sleeve("swing", D(10_000), D(1_000), D("1100.01"), cfg)
    assert not no.ok and no.rule == "budget.sleeve"
    assert "swing sleeve (21% of equity, 2100.00)" in no.reason
    assert not check_sleeve("day", D(0), D(0), D(1), cfg).ok  # no equity, no budget


def test_room_and_style_to_sleeve() -> None:
    cfg = SleeveConfig()
    assert sleeve_room("multileg", D(100_000), D(25_000), cfg) == D(5_000)
    assert sleeve_room("multileg", D(100_000), D(40_000), cfg) == D(0)
    assert sleeve_for_style("swing_trade") == "swing"
    assert sleeve_for_style("day_trade") == sleeve_for_style("stock") == "day"


def test_netting_refuses_the_other_side_of_a_held_instrument() -> None:
    held = {"SPY-P570": -2, "SPY-P565": 2}
    no = opposite_side(held, [("SPY-P570", +1)])
    assert not no.ok and no.rule == "dispatch.netting" and "held short" in no.reason
    assert opposite_side(held, [("SPY-P570", -1), ("SPY-C600", +1)]).ok  # same side adds, new is free
