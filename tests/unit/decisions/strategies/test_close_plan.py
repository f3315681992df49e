"""Closing a position whose legs may be unquoted, and telling when a strategy is broken."""

from __future__ import annotations

from optionpilot.decisions.exits import LegState, plan_close, shape_problem


def test_every_leg_quoted_closes_all() -> None:
    d = plan_close([LegState("L", 2, True), LegState("S", -2, True)])
    assert d.value is not None and d.value.close == ("L", "S") and d.value.wait == ()


def test_an_unquoted_short_keeps_its_long_cover_and_waits() -> None:
    d = plan_close([LegState("L", 2, True), LegState("S", -2, False)])
    assert d.value is None and d.rule == "multileg_close.wait"
    assert "S" in d.reason and "cover" in d.reason


def test_quoted_shorts_are_bought_back_while_an_unquoted_long_waits() -> None:
    legs = [
        LegState("LP", 1, False),
        LegState("SP", -1, True),
        LegState("SC", -1, True),
        LegState("LC", 1, True),
    ]
    d = plan_close(legs)
    # Every short is quoted: buy them back, sell the quoted long too; the unquoted long waits.
    assert d.value is not None and set(d.value.close) == {"SP", "SC", "LC"} and d.value.wait == ("LP",)


def test_with_one_short_unquoted_no_long_is_sold() -> None:
    legs = [
        LegState("LP", 1, True),
        LegState("SP", -1, True),
        LegState("SC", -1, False),
        LegState("LC", 1, True),
    ]
    d = plan_close(legs)
    assert d.value is not None and d.value.close == ("SP",)
    assert set(d.value.wait) == {"LP", "SC", "LC"} and "cover" in d.reason


def test_nothing_quoted_waits_with_the_reason() -> None:
    d = plan_close([LegState("L", 1, False)])
    assert d.value is None and "no quote for L" in d.reason and "expiry" in d.reason


def test_shape_problems() -> None:
    butterfly = {"C1": 1, "C2": -2, "C3": 1}
    assert shape_problem(butterfly, {"C1": 3, "C2": -6, "C3": 3}, []) is None
    assert "delivered" in (shape_problem(butterfly, {"C1": 3, "SPY": -300}, ["SPY"]) or "")
    assert "gone" in (shape_problem(butterfly, {"C1": 3, "C2": -6}, []) or "")
    assert "proportion" in (shape_problem(butterfly, {"C1": 3, "C2": -4, "C3": 3}, []) or "")
    assert "not part" in (shape_problem(butterfly, {"C1": 1, "C2": -2, "C3": 1, "C9": 1}, []) or "")
    # A covered call's shares belong to it.
    assert shape_problem({"SPY": 100, "C": -1}, {"SPY": 200, "C": -2}, ["SPY"]) is None
