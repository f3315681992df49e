"""The analytical views as the report and `runs show` use them: entries that never filled are no trades,
open legs carry their entry Greeks, and the report's input holds the daily summary and the open legs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.report_data import report_data
from optionpilot.app.settings import load_model
from optionpilot.core.ids import PositionId
from optionpilot.domain.positions import Position, PositionStatus
from optionpilot.persistence.read_models import ReadModels
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.recorder import TickRecords


def _record(db_url: str, scene: SimpleNamespace, kit: SimpleNamespace) -> None:
    spread = scene.ticks[2].positions[1]
    spread.entry_delta, spread.entry_theta, spread.entry_vega, spread.entry_iv = 9.5, 3.25, -6.0, 0.21
    ts = kit.T0 + timedelta(minutes=45)
    never_filled = Position(
        PositionId("pos-4"), kit.LARGE, "SPY", "long_call/day_trade", ts, "entry sent",
        PositionStatus.CLOSED, closed_at=ts, exit_reason="entry cancelled: not filled",
    )  # fmt: skip
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        for tick in scene.ticks:
            rec.record(tick)
        rec.record(TickRecords(ts=ts, positions=[never_filled]))
        rec.finish_run(scene.info.run_id, ts, "{}")


def test_an_entry_that_never_filled_is_not_a_losing_trade(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    _record(db_url, scene, kit)
    models = ReadModels.from_url(db_url)
    try:
        perf = {p.strategy_type: p for p in models.performance_by_strategy("run-1")}
        active = models.active_option_positions("run-1", date(2024, 3, 4))
    finally:
        models.engine.dispose()
    call = perf["long_call/day_trade"]
    assert (call.trades, call.wins, call.losses) == (1, 1, 0)
    assert {(a.instrument_key, a.entry_delta, a.entry_iv) for a in active} == {
        ("SPY240315P00490000", 9.5, 0.21),
        ("SPY240315P00495000", 9.5, 0.21),
    }


def test_the_report_input_holds_the_daily_summary_and_the_open_legs(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    _record(db_url, scene, kit)
    config = load_model(OptionPilotConfig, None, overrides={"run": {"db": db_url}})
    data = report_data(config, "run-1")
    large = next(a for a in data.accounts if a.account_id == "large")
    [day] = large.days
    assert day.day == date(2024, 3, 4) and (day.opened, day.closed) == (3, 2)  # pos-4 never filled
    assert day.net_pnl == Decimal("58.60") and day.rejections == 1
    assert [(o.instrument_key, o.days_to_expiry, o.entry_theta) for o in large.active] == [
        ("SPY240315P00490000", 11, 3.25),
        ("SPY240315P00495000", 11, 3.25),
    ]
    tiny = next(a for a in data.accounts if a.account_id == "tiny")
    assert tiny.active == () and [d.rejections for d in tiny.days] == [1]
