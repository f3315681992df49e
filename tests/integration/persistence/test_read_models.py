"""Read models over a recorded scenario, the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from optionpilot.persistence.explain import explain_position
from optionpilot.persistence.read_models import ReadModels, RejectionCount
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.recorder import TickRecords


@pytest.fixture
def models(db_url: str, scene: SimpleNamespace, kit: SimpleNamespace) -> Iterator[ReadModels]:
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        for tick in scene.ticks:
            rec.record(tick)
        # A second run in the same database must not leak into the first run's answers.
        rec.start_run(kit.run_info("run-2"))
        rec.record(TickRecords(ts=kit.T0, equity=[kit.equity(kit.T0, "5", "5")]))
        rec.flush()
        yield ReadModels(rec.engine)


def test_runs_and_accounts(models: ReadModels) -> None:
    assert [r.run_id for r in models.runs()] == ["run-1", "run-2"]
    accounts = models.accounts("run-1")
    assert [(a.account_id, a.starting_cash) for a in accounts] == [
        ("large", Decimal(121000)),
        ("tiny", Decimal(1000)),
    ]


def test_equity_curve_with_drawdown(models: ReadModels) -> None:
    curve = models.equity_curve("run-1", "large")
    assert [row.equity for row in curve] == [Decimal("121000"), Decimal("120998.70"), Decimal("121105.40")]
    assert [row.drawdown for row in curve] == [Decimal(0), Decimal("-1.30"), Decimal(0)]
    assert curve[1].drawdown_pct == pytest.approx(-1.3 / 121000)
    assert [row.equity for row in models.equity_curve("run-2", "large")] == [Decimal(5)]


def test_greeks_over_time(models: ReadModels) -> None:
    greeks = models.greeks_over_time("run-1", "large")
    assert [g.delta for g in greeks] == [0.0, 110.5, 0.0]
    assert {(g.gamma, g.vega, g.theta) for g in greeks} == {(0.01, 3.5, -2.25)}


def test_closed_trades_carry_reasons_and_net_pnl(models: ReadModels) -> None:
    trades = models.closed_trades("run-1")
    by_id = {trade.position_id: trade for trade in trades}
    assert set(by_id) == {"pos-1", "pos-3"}
    win = by_id["pos-1"]
    assert win.entry_reason == "bullish signal 0.82"
    assert win.exit_reason == "take profit: +43% >= 40%"
    assert win.net_pnl == Decimal("105.40")
    assert win.return_pct == pytest.approx(105.40 / 252)
    assert by_id["pos-3"].net_pnl == Decimal("-46.80")
    assert models.closed_trades("run-1", account_id="tiny") == []


def test_rejections_counted_by_stage_rule_reason(models: ReadModels) -> None:
    assert models.rejection_counts("run-1") == [
        RejectionCount("liquidity", "liquidity.spread", "spread 14% of mid above 10%", 1),
        RejectionCount("sizing", "sizing.max_risk", "one contract costs more than 5% of equity", 1),
    ]
    assert [r.rule for r in models.rejection_counts("run-1", account_id="tiny")] == ["sizing.max_risk"]


def test_performance_by_strategy(models: ReadModels) -> None:
    perf = {p.strategy_type: p for p in models.performance_by_strategy("run-1")}
    assert set(perf) == {"long_call/day_trade", "long_put/swing_trade"}
    call = perf["long_call/day_trade"]
    assert (call.trades, call.wins, call.losses, call.win_rate) == (1, 1, 0, 1.0)
    assert call.net_pnl == call.best == call.avg_win == Decimal("105.40")
    put = perf["long_put/swing_trade"]
    assert (put.wins, put.losses, put.avg_loss) == (0, 1, Decimal("-46.80"))


def test_daily_summary(models: ReadModels) -> None:
    [day] = models.daily_summary("run-1", tz=ZoneInfo("America/New_York"))
    assert day.day == date(2024, 3, 4)
    assert (day.positions_opened, day.positions_closed, day.wins, day.losses) == (3, 2, 1, 1)
    assert day.net_pnl == Decimal("58.60")  # 105.40 - 46.80
    assert day.fees == Decimal("2.60") and day.fills == 2 and day.rejections == 2


def test_active_option_positions(models: ReadModels) -> None:
    active = models.active_option_positions("run-1", as_of=date(2024, 3, 4))
    assert [(a.position_id, a.instrument_key, a.quantity, a.days_to_expiry) for a in active] == [
        ("pos-2", "SPY240315P00490000", 1, 11),
        ("pos-2", "SPY240315P00495000", -1, 11),
    ]
    assert active[1].avg_price == Decimal("2.10") and active[1].strike == Decimal("495")


def test_explain_position_tells_why_it_bought_and_sold(models: ReadModels) -> None:
    story = explain_position(models.engine, "run-1", "pos-1")
    assert story is not None
    assert [r.reason for r in story.recommendations] == ["bullish signal 0.82, OTM 1.5%, liquidity ok"]
    assert [(o.purpose, o.status, len(o.events), len(o.fills)) for o in story.orders] == [
        ("entry", "filled", 4, 1),
        ("exit", "filled", 4, 1),
    ]
    assert story.orders[1].reason == "take profit: +43% >= 40%"
    assert [e.kind for e in story.events] == ["opened", "exit_signal", "closed"]
    assert story.net_pnl == Decimal("105.40")
    text = story.narrative()
    assert text[1] == "why it entered: bullish signal 0.82"
    assert text[-2] == "why it exited: take profit: +43% >= 40%"
    body = text[2:-2]
    assert body[0].endswith(
        "recommended long_call/day_trade x2 limit 1.25 (confidence 0.82): "
        "bullish signal 0.82, OTM 1.5%, liquidity ok"
    )
    assert any("fill sell 2 SPY240308C00510000 @ 1.80 fee 1.30" in line for line in body)
    stamps = [line.split(" ", 1)[0] for line in body]
    assert stamps == sorted(stamps)
    assert explain_position(models.engine, "run-1", "pos-404") is None
    assert explain_position(models.engine, "run-2", "pos-1") is None
