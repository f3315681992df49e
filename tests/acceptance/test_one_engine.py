"""The default backtest: both flows trade on both accounts through one engine, one ledger to the cent."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.app.backtest import build_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.engine.entries.dispatch import sleeve_of
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine

pytestmark = pytest.mark.slow


def test_the_default_backtest_trades_both_flows_on_both_accounts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'both.sqlite'}"
    cfg = OptionPilotConfig.model_validate({"run": {"db": url}})
    bt = build_backtest(cfg)  # the default: both flows
    result = bt.runner.run()
    assert result.reconciled, [r.summary() for r in result.reconciliation]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for account in bt.accounts:
                positions = list(account.book.positions.values())
                traded = Counter(sleeve_of(p) for p in positions if p.entry_cost != 0)
                # Each account holds intraday trades and scanned strategies side by side.
                assert traded["multileg"] > 0, (account.name, traded)
                assert traded["day"] + traded["swing"] > 0, (account.name, traded)
                assert all(p.meta.get("sleeve") in ("day", "swing", "multileg") for p in positions)
                rows = conn.execute(
                    sa.select(t.ledger_entries.c.amount).where(
                        t.ledger_entries.c.run_id == bt.run_id,
                        t.ledger_entries.c.account_id == account.account_id,
                    )
                )
                stored = sum((r[0] for r in rows), start=Decimal(0))
                # One ledger for both flows: stored, the engine's book and the broker agree to the cent.
                assert stored == account.book.cash == account.broker.account().cash
                closed = [p for p in positions if p.status.value == "closed" and p.entry_cost != 0]
                assert all(p.exit_reason for p in closed)
            rejections = conn.execute(
                sa.select(t.rejections.c.rule).where(t.rejections.c.run_id == bt.run_id)
            ).scalars()
            rules = set(rejections)
    finally:
        engine.dispose()
    # The sleeves are budgets the dispatcher holds entries to, with the reason stored.
    assert "budget.sleeve" in rules
    # The intraday flow's own limits still apply to its entries.
    assert rules & {"risk.day_positions", "risk.swing_positions", "risk.deployed"}
