"""A breaker that trips in a backtest: no entry follows it in that session, exits go on, and it is stored."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.persistence import tables as t
from optionpilot.testing.backtests import run_backtest, sqlite_url

pytestmark = pytest.mark.slow


def test_no_entry_follows_a_tripped_daily_breaker(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    # A limit of 0.2% trips on ordinary days, so the run shows the breaker at work more than once.
    risk = {"daily_max_loss_pct": "0.002", "daily_halt_loss_pct": "0.5"}
    bt, result = run_backtest(url, market={"sessions": 5}, strategy={"risk": risk})
    assert result.reconciled
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        trips = conn.execute(
            sa.select(t.incidents.c.ts, t.incidents.c.account_id, t.incidents.c.detail).where(
                t.incidents.c.kind == "trading_state"
            )
        ).all()
        rules = set(
            conn.execute(sa.select(t.rejections.c.rule).where(t.rejections.c.run_id == bt.run_id)).scalars()
        )
    engine.dispose()
    tripped = [(ts, acct) for ts, acct, detail in trips if "-> reducing" in detail]
    assert tripped, "the 0.2% limit never tripped: the test proves nothing"
    zone = bt.market.calendar.zone
    for ts, acct in tripped:
        account = next(a for a in bt.accounts if a.account_id == acct)
        same_day = [
            p
            for p in account.book.positions.values()
            if p.opened_at > ts and p.opened_at.astimezone(zone).date() == ts.astimezone(zone).date()
        ]
        assert same_day == [], f"{acct} entered after its breaker tripped at {ts}"
    assert rules & {"risk.state_reducing"}
    for account in bt.accounts:
        assert account.book.cash == account.broker.account().cash  # exits and fills still reconcile
        assert account.day_start_equity is not None and account.day_start_equity > Decimal(0)


def test_the_account_maximum_loss_halts_for_good(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    # 0.1% of the starting equity trips at the first loss; the daily breaker is kept out of the way.
    risk = {"max_account_loss_pct": "0.001", "daily_max_loss_pct": "0.9", "daily_halt_loss_pct": "0.95"}
    bt, result = run_backtest(url, market={"sessions": 3}, strategy={"risk": risk})
    assert result.reconciled
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        trips = conn.execute(
            sa.select(t.incidents.c.ts, t.incidents.c.account_id, t.incidents.c.detail).where(
                t.incidents.c.kind == "trading_state", t.incidents.c.detail.contains("risk.account_loss")
            )
        ).all()
    engine.dispose()
    assert trips, "the 0.1% maximum loss never tripped: the test proves nothing"
    for ts, acct, detail in trips:
        assert "-> halted" in detail and "maximum loss" in detail
        account = next(a for a in bt.accounts if a.account_id == acct)
        assert account.state.value == "halted"  # no rule lifts it: only an operator
        assert [p for p in account.book.positions.values() if p.opened_at > ts] == []
