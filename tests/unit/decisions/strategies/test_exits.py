"""Multi-leg exit rules against hand-worked positions."""

from __future__ import annotations

import math

import numpy as np

from optionpilot.decisions.exits import (
    ExitAction,
    ExitInputs,
    MultiLegExitConfig,
    Urgency,
    evaluate_exits,
    explain,
)


def one(
    *,
    basis: float,
    value: float,
    max_profit: float,
    max_loss: float,
    dte: int = 40,
    short_premium: bool = True,
    theta: float = 0.0,
    units: int = 1,
    opened: int | None = None,
    partials: int = 0,
    gap: float = math.nan,
) -> ExitInputs:
    return ExitInputs(
        basis=np.array([basis]),
        value=np.array([value]),
        max_profit=np.array([max_profit]),
        max_loss=np.array([max_loss]),
        dte=np.array([dte]),
        short_premium=np.array([short_premium]),
        theta=np.array([theta]),
        units=np.array([units]),
        opened_units=np.array([opened or units]),
        partials_taken=np.array([partials]),
        short_gap=np.array([gap]),
    )


def act(inp: ExitInputs, cfg: MultiLegExitConfig | None = None) -> tuple[ExitAction, Urgency, int, str]:
    b = evaluate_exits(inp, cfg)
    d = explain(b, 0)
    return b.action(0), b.urgency_of(0), int(b.close_units[0]), d.rule


def test_credit_spread_closes_at_half_its_max_profit() -> None:
    # Bull put spread sold for 1.20 x 100 = 120 credit, 5 wide: max profit 120, max loss 380.
    # Buying it back for 0.60 (value -60) captures 60 = 50% of 120: the target.
    assert act(one(basis=-120, value=-60, max_profit=120, max_loss=380)) == (
        ExitAction.CLOSE, Urgency.MEDIUM, 1, "multileg_exit.profit_target",
    )  # fmt: skip
    # At 0.61 it captures 59 (49%): hold.
    assert act(one(basis=-120, value=-61, max_profit=120, max_loss=380))[0] is ExitAction.HOLD


def test_stop_at_half_of_max_loss_is_high_urgency() -> None:
    # Loss of 190 = 50% of 380 stops; 189 does not.
    assert act(one(basis=-120, value=-310, max_profit=120, max_loss=380))[:2] == (
        ExitAction.CLOSE,
        Urgency.HIGH,
    )
    assert act(one(basis=-120, value=-309, max_profit=120, max_loss=380))[0] is ExitAction.HOLD


def test_unbounded_short_straddle_stops_at_twice_the_credit_and_absolute_stop() -> None:
    inp = one(basis=-500, value=-1500, max_profit=500, max_loss=math.inf)  # loss 1,000 = 2x credit
    assert act(inp)[3] == "multileg_exit.stop"
    assert act(one(basis=-500, value=-1499, max_profit=500, max_loss=math.inf))[0] is ExitAction.HOLD
    cfg = MultiLegExitConfig(stop_absolute=300.0)
    assert act(one(basis=-500, value=-800, max_profit=500, max_loss=math.inf), cfg)[3] == "multileg_exit.stop"


def test_time_exit_21_dte_short_premium_7_otherwise() -> None:
    assert act(one(basis=-120, value=-110, max_profit=120, max_loss=380, dte=21))[3] == "multileg_exit.time"
    assert act(one(basis=-120, value=-110, max_profit=120, max_loss=380, dte=22))[0] is ExitAction.HOLD
    debit = {"basis": 300.0, "value": 310.0, "max_profit": 700.0, "max_loss": 300.0, "short_premium": False}
    assert act(one(**debit, dte=8))[0] is ExitAction.HOLD  # type: ignore[arg-type]
    assert act(one(**debit, dte=7))[:2] == (ExitAction.CLOSE, Urgency.MEDIUM)  # type: ignore[arg-type]
    assert act(one(**debit, dte=2))[:2] == (ExitAction.CLOSE, Urgency.HIGH)  # type: ignore[arg-type]


def test_debit_targets_75pct_of_bounded_profit_and_100pct_of_an_unbounded_debit() -> None:
    # Bull call spread paid 300, max profit 700: 75% is 525, so value 825 closes, 824 holds.
    assert (
        act(one(basis=300, value=825, max_profit=700, max_loss=300, short_premium=False))[0]
        is ExitAction.CLOSE
    )
    assert (
        act(one(basis=300, value=824, max_profit=700, max_loss=300, short_premium=False))[0]
        is ExitAction.HOLD
    )
    # Long call paid 250, unbounded: doubles at 500.
    inp = one(basis=250, value=500, max_profit=math.inf, max_loss=250, short_premium=False)
    assert act(inp)[3] == "multileg_exit.profit_target"


def test_scaling_exits_close_a_quarter_at_each_level_once() -> None:
    # 8 units of a debit spread: max profit 8 x 700 = 5,600; capture 25% = 1,400 -> close 2 units.
    base = {"basis": 2400.0, "max_profit": 5600.0, "max_loss": 2400.0, "short_premium": False, "units": 8}
    assert act(one(**base, value=3800.0)) == (ExitAction.PARTIAL, Urgency.NORMAL, 2, "multileg_exit.scaling")  # type: ignore[arg-type]
    assert act(one(**base, value=3800.0, partials=1))[0] is ExitAction.HOLD  # type: ignore[arg-type]
    assert act(one(**base, value=3799.0))[0] is ExitAction.HOLD  # type: ignore[arg-type]
    # One unit cannot be scaled out of.
    one_unit = {**base, "units": 1, "basis": 300.0, "max_profit": 700.0, "max_loss": 300.0}
    assert act(one(**one_unit, value=475.0))[0] is ExitAction.HOLD  # type: ignore[arg-type]


def test_theta_trigger_on_long_premium() -> None:
    # Long straddle worth 1,000 losing 45 a day (4.5% > 4%): close; 35 a day holds.
    base = {
        "basis": 1000.0,
        "value": 1000.0,
        "max_profit": math.inf,
        "max_loss": 1000.0,
        "short_premium": False,
    }
    assert act(one(**base, theta=-45.0))[3] == "multileg_exit.theta"  # type: ignore[arg-type]
    assert act(one(**base, theta=-35.0))[0] is ExitAction.HOLD  # type: ignore[arg-type]


def test_tested_short_strike_proposes_a_roll_without_closing() -> None:
    inp = one(basis=-120, value=-130, max_profit=120, max_loss=380, gap=0.005)
    assert act(inp) == (ExitAction.ADJUST, Urgency.MEDIUM, 0, "multileg_exit.adjust")
    breached = one(basis=-120, value=-150, max_profit=120, max_loss=380, gap=-0.01)
    assert act(breached)[:2] == (ExitAction.ADJUST, Urgency.HIGH)


def test_rules_are_evaluated_for_many_positions_at_once() -> None:
    n = 1000
    rng = np.random.default_rng(3)
    value = rng.normal(-60, 80, n)
    inp = ExitInputs(
        basis=np.full(n, -120.0), value=value, max_profit=np.full(n, 120.0), max_loss=np.full(n, 380.0),
        dte=np.full(n, 30), short_premium=np.ones(n, bool), theta=np.zeros(n), units=np.ones(n, np.int64),
        opened_units=np.ones(n, np.int64), partials_taken=np.zeros(n, np.int64), short_gap=np.full(n, np.nan),
    )  # fmt: skip
    b = evaluate_exits(inp)
    pnl = value + 120
    assert np.array_equal(b.rule == 1, -pnl >= 190)  # stops
    assert np.array_equal(b.rule == 3, (pnl / 120 >= 0.5) & ~(-pnl >= 190))  # targets
    assert len(b.flagged()) == int(((b.rule == 1) | (b.rule == 3)).sum())
