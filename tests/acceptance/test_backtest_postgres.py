"""The same backtest on PostgreSQL: stored, read back and reported like on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from optionpilot.app.report_data import report_data
from optionpilot.core.money import ZERO
from optionpilot.domain.positions import PositionStatus
from optionpilot.persistence.read_models import ReadModels
from optionpilot.reports.html import write_report
from optionpilot.testing.backtests import run_backtest

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_backtest_on_postgresql(pg_schema_url: str, tmp_path: Path) -> None:
    bt, result = run_backtest(pg_schema_url, market={"sessions": 1})
    assert result.reconciled
    models = ReadModels.from_url(pg_schema_url)
    for account in bt.accounts:
        closed = [p for p in account.book.positions.values() if p.status is PositionStatus.CLOSED]
        stored = models.closed_trades(bt.run_id, account.account_id)
        assert len(stored) == len(closed)
        assert sum((t.net_pnl for t in stored), start=ZERO) == sum(
            (p.realized_pnl - p.fees for p in closed), start=ZERO
        )
        curve = models.equity_curve(bt.run_id, account.account_id)
        assert curve and curve[-1].cash == account.book.cash
    assert write_report(report_data(bt.config, bt.run_id), tmp_path).exists()
