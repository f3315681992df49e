"""`optionpilot runs list | show`: a stored run through the analytical views; bad input is one line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app
from optionpilot.core.ids import AccountId, PositionId
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.positions import Position, PositionLeg, PositionStatus
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.recorder import EquityPoint, RunInfo, TickRecords

runner = CliRunner()
T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
LARGE = AccountId("large")
PUT = OptionContract("SPY", date(2024, 3, 15), Decimal("495"), OptionRight.PUT)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    info = RunInfo("run-7", "backtest", T0, 7, "{}", [(LARGE, "large", Decimal("121000"), "USD")])
    held = Position(
        PositionId("pos-open"), LARGE, "SPY", "long_put/swing_trade", T0, "bearish", PositionStatus.OPEN,
        {PUT.key: PositionLeg(PUT, 2, Decimal("3.40"), 2)}, entry_cost=Decimal("680"),
        entry_delta=-41.25, entry_theta=-9.5, entry_vega=38.0, entry_iv=0.1834,
    )  # fmt: skip
    won = Position(
        PositionId("pos-won"), LARGE, "SPY", "long_call/day_trade", T0, "bullish", PositionStatus.CLOSED,
        realized_pnl=Decimal("84.00"), fees=Decimal("1.30"), entry_cost=Decimal("252"),
        closed_at=T0 + timedelta(hours=2), exit_reason="take profit",
    )  # fmt: skip
    end = T0 + timedelta(hours=5)
    with SqlRecorder(url) as rec:
        rec.start_run(info)
        rec.record(
            TickRecords(
                ts=end,
                positions=[held, won],
                equity=[EquityPoint(LARGE, end, Decimal("120400"), Decimal("121082.70"))],
            )
        )
        rec.finish_run("run-7", end, "{}")
    return url


def test_show_prints_the_views_of_each_account(db: str) -> None:
    result = runner.invoke(app, ["runs", "show", "run-7", "--db", db])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "run-7" in out and "completed" in out and "121,000.00 -> 121,082.70 USD" in out
    assert "long_call/day_trade" in out and "82.70" in out  # 84.00 - 1.30 fees
    assert "2024-03-04" in out
    assert "SPY240315P00495000" in out and "-41.25" in out and "18.3%" in out and "11" in out


def test_show_as_json(db: str) -> None:
    result = runner.invoke(app, ["runs", "show", "run-7", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["run"]["run_id"] == "run-7" and payload["run"]["status"] == "completed"
    [large] = payload["accounts"]
    [perf] = large["strategies"]
    assert (perf["strategy_type"], perf["trades"], perf["net_pnl"]) == ("long_call/day_trade", 1, "82.70")
    assert [(d["day"], d["positions_opened"], d["positions_closed"]) for d in large["days"]] == [
        ("2024-03-04", 2, 1)
    ]
    [leg] = large["open_option_legs"]
    assert (leg["days_to_expiry"], leg["entry_theta"], leg["entry_iv"]) == (11, -9.5, 0.1834)


def test_list_shows_the_runs(db: str) -> None:
    result = runner.invoke(app, ["runs", "list", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert [r["run_id"] for r in json.loads(result.output)] == ["run-7"]


def test_an_unknown_run_is_one_line(db: str) -> None:
    result = runner.invoke(app, ["runs", "show", "nope", "--db", db])
    assert result.exit_code == 2
    assert "run nope is not in" in result.output and "runs list" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_missing_database_file_is_one_line_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    result = runner.invoke(app, ["runs", "show", "run-7", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 2 and "no database at" in result.output
    assert not path.exists()


def test_an_unreachable_database_is_one_line() -> None:
    url = "postgresql+psycopg://optionpilot:secret@127.0.0.1:9/none"
    result = runner.invoke(app, ["runs", "list", "--db", url])
    assert result.exit_code == 2 and "cannot open database" in result.output
    assert "secret" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_database_without_runs_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.write_bytes(b"")
    result = runner.invoke(app, ["runs", "list", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 2 and "cannot read runs from" in result.output
    assert len(result.output.strip().splitlines()) == 1
