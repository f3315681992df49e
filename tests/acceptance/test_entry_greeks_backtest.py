"""A short backtest stores each entry's Greeks and IV, and the database's views agree with the report."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.app.report_data import report_data
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine
from optionpilot.persistence.read_models import ReadModels
from optionpilot.testing.backtests import run_backtest, sqlite_url

pytestmark = pytest.mark.slow


def test_entries_carry_their_greeks_and_the_views_match_the_report(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    bt, _ = run_backtest(url, market={"sessions": 3})
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            p, leg = t.positions.c, t.position_legs.c
            rows = conn.execute(
                sa.select(p.strategy_type, p.entry_delta, p.entry_theta, p.entry_vega, p.entry_iv)
                .where(p.run_id == bt.run_id)
                .where(
                    sa.exists().where(
                        leg.run_id == p.run_id,
                        leg.position_id == p.position_id,
                        leg.option_right.is_not(None),
                    )
                )
            ).all()
    finally:
        engine.dispose()
    assert rows, "the run entered no option position"
    for kind, delta, theta, vega, iv in rows:
        assert None not in (delta, theta, vega, iv), kind
        assert 0.0 < iv < 3.0, (kind, iv)
        if "/" in kind:  # a single-leg long option: bought vol, pays decay
            assert vega > 0 and theta < 0, (kind, vega, theta)
            assert (delta > 0) == kind.startswith("long_call"), (kind, delta)
    assert any("/" not in kind for kind, *_ in rows), "both flows trade: strategies carry Greeks too"
    data = report_data(bt.config, bt.run_id)
    models = ReadModels.from_url(url)
    try:
        for account in data.accounts:
            views = models.performance_by_strategy(bt.run_id, account.account_id)
            assert sum(v.trades for v in views) == len(account.trades)
            assert sum(v.net_pnl for v in views) == sum(tr.pnl for tr in account.trades)
            assert sum(d.closed for d in account.days) == len(account.trades)
    finally:
        models.engine.dispose()
