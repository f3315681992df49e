"""`backtest --start/--end` from the command line, on the simulator and on the SPY 2021 store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from optionpilot.cli.main import app

runner = CliRunner()


def test_simulator_runs_the_sessions_of_the_period(tmp_path: Path) -> None:
    db = tmp_path / "bt.sqlite"
    args = ["backtest", "--symbols", "SPY", "--db", f"sqlite:///{db}", "--out", str(tmp_path / "out")]
    result = runner.invoke(app, [*args, "--start", "2026-01-16", "--end", "2026-01-20"])
    assert result.exit_code == 0, result.output
    assert "780 bar-events" in result.output  # two sessions of one symbol: the 19th is a holiday
    days = {d for (d,) in sqlite3.connect(db).execute("select distinct substr(ts, 1, 10) from equity_points")}
    assert {"2026-01-16", "2026-01-20"} <= days and "2026-01-19" not in days


def test_store_replays_the_period_and_names_its_range_otherwise(shared_data: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'bt.sqlite'}"
    data = str(shared_data / "options/eod/spy_2021")
    base = ["backtest", "--data", data, "--db", db, "--out", str(out)]
    result = runner.invoke(app, [*base, "--start", "2021-03-01", "--end", "2021-03-31"])
    assert result.exit_code == 0, result.output
    assert "23 bar-events" in result.output  # March 2021 had 23 NYSE sessions
    assert "bt-store-SPY-2021-03-01-2021-03-31" in result.output
    bad = runner.invoke(app, [*base, "--start", "2022-01-03"])
    assert bad.exit_code == 2
    (line,) = [x for x in bad.output.splitlines() if "error" in x]  # one line, no traceback
    assert "Traceback" not in bad.output and "252 sessions of SPY, from 2021-01-04 to 2021-12-31" in line
