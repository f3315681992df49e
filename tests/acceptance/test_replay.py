"""Acceptance on real data: the intraday flow over GOOG minute option quotes, the daily flow over SPY 2021
end-of-day chains; both from the command line, both reconciled and reported."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def _run(data: Path, tmp_path: Path) -> tuple[str, Path]:
    db = tmp_path / "bt.sqlite"
    result = runner.invoke(
        app, ["backtest", "--data", str(data), "--out", str(tmp_path / "out"), "--db", f"sqlite:///{db}"]
    )
    assert result.exit_code == 0, result.output
    assert "reconciliation large: book and broker agree" in result.output
    assert "reconciliation tiny: book and broker agree" in result.output
    report = re.search(r"report: (\S+\.html)", result.output)
    assert report is not None and Path(report.group(1)).exists()
    return result.output, db


def test_goog_intraday_replay_runs_both_days_on_real_quotes(shared_data: Path, tmp_path: Path) -> None:
    output, db = _run(shared_data / "options/intraday/goog_20151223", tmp_path)
    assert "600 bar-events" in output  # 390 minutes on the 23rd, 210 on the half day of the 24th
    con = sqlite3.connect(db)
    days = {d for (d,) in con.execute("select distinct substr(ts, 1, 10) from equity_points")}
    assert {"2015-12-23", "2015-12-24"} <= days
    # Every rejection names the rule that rejected it; contract rejections count by liquidity rule.
    rows = con.execute("select stage, rule, reason from rejections").fetchall()
    assert rows
    assert all(rule and "." in rule and reason for _, rule, reason in rows)
    for stage, _, reason in rows:
        if stage == "selection" and "liquid" in reason:
            assert "liquidity." in reason


def test_spy_2021_daily_replay_runs_the_year(shared_data: Path, tmp_path: Path) -> None:
    output, db = _run(shared_data / "options/eod/spy_2021", tmp_path)
    assert "252 bar-events" in output  # one look per session of 2021
    con = sqlite3.connect(db)
    (orders,) = con.execute("select count(*) from orders").fetchone()
    assert orders > 0
