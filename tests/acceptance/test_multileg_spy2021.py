"""The multileg backtest on SPY 2021 end-of-day chains (about 20 contracts a day, so legs often go
unquoted): the ledger reconciles, cash never goes below zero, no position is stuck `closing`, every
share delivered at expiry is closed, and every closed position says why."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.app.backtest import Backtest, build_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.replay import replay_source
from optionpilot.domain.instruments import Stock
from optionpilot.domain.positions import PositionStatus
from optionpilot.engine.multileg.desk import broken_because
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine
from optionpilot.testing.entries import entries_inside_the_time_exit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Backtest, str]:
    tmp = tmp_path_factory.mktemp("ml2021")
    db = f"sqlite:///{tmp / 'bt.sqlite'}"
    cfg = OptionPilotConfig.model_validate({"run": {"db": db, "out": str(tmp)}})
    source, cfg = replay_source(shared_data / "options/eod/spy_2021", cfg, None)
    bt = build_backtest(cfg, source=source, flows=("multileg",))
    result = bt.runner.run()
    assert result.reconciled, [r.summary() for r in result.reconciliation]
    assert result.bar_events == 252  # one daily bar of SPY per session of 2021
    return bt, db


def test_the_ledger_reconciles_to_the_cent_and_cash_never_goes_below_zero(run: tuple[Backtest, str]) -> None:
    bt, db = run
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            for account in bt.accounts:
                rows = conn.execute(
                    sa.select(t.ledger_entries.c.ts, t.ledger_entries.c.amount)
                    .where(
                        t.ledger_entries.c.run_id == bt.run_id,
                        t.ledger_entries.c.account_id == account.account_id,
                    )
                    .order_by(t.ledger_entries.c.ts)
                ).all()
                assert sum((r[1] for r in rows), start=Decimal(0)) == account.book.cash
                assert account.book.cash == account.broker.account().cash
                # Cash after each moment's entries (a combo's legs post one by one within a moment).
                by_ts: dict[object, Decimal] = defaultdict(Decimal)
                for ts, amount in rows:
                    by_ts[ts] += amount
                balance = Decimal(0)
                for ts in sorted(by_ts):
                    balance += by_ts[ts]
                    assert balance >= 0, f"{account.name}: cash {balance} at {ts}"
                marks = conn.execute(
                    sa.select(t.equity_points.c.cash).where(
                        t.equity_points.c.run_id == bt.run_id,
                        t.equity_points.c.account_id == account.account_id,
                    )
                ).scalars()
                assert min(Decimal(str(c)) for c in marks) >= 0  # compared as numbers, not stored text
    finally:
        engine.dispose()


def test_no_position_is_left_closing_without_an_order_and_delivered_shares_were_closed(
    run: tuple[Backtest, str],
) -> None:
    bt, db = run
    delivered = 0
    for account in bt.accounts:
        for p in account.book.positions.values():
            if p.status is PositionStatus.CLOSING:
                assert account.orders.open_orders(p.position_id), f"{p.position_id} closing with no order"
            if p.status is PositionStatus.CLOSED:
                assert p.exit_reason, f"{p.position_id} closed with no reason"
            shares = [
                leg for leg in p.legs.values() if isinstance(leg.instrument, Stock) and leg.opened_quantity
            ]
            if shares and p.strategy_type != "covered_call":
                delivered += 1
                assert p.status is PositionStatus.CLOSED, f"{p.position_id} still holds delivered shares"
            if p.status is PositionStatus.OPEN:
                # What is still open is a whole strategy, or a broken one waiting for quotes with its reason.
                assert broken_because(p) is None or p.meta.get("exit_due")
    assert delivered > 0  # the year has exercises and assignments: the path was taken
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            stuck = conn.execute(
                sa.select(sa.func.count()).where(
                    t.positions.c.run_id == bt.run_id, t.positions.c.status == "closing"
                )
            ).scalar_one()
            working = sum(
                1
                for a in bt.accounts
                for p in a.book.positions.values()
                if a.orders.open_orders(p.position_id)
            )
            assert stuck <= working
            candidates = conn.execute(
                sa.select(sa.func.count(sa.distinct(t.strategy_candidates.c.ts))).where(
                    t.strategy_candidates.c.run_id == bt.run_id
                )
            ).scalar_one()
            assert candidates == 252  # every session's scan stored its candidates
    finally:
        engine.dispose()


def test_no_entry_filled_inside_its_time_exit(run: tuple[Backtest, str]) -> None:
    # End-of-day data: an entry sent at the close fills on the next session, and that day's DTE counts.
    bt, _ = run
    filled, inside = entries_inside_the_time_exit(bt.accounts, bt.market.calendar.zone)
    assert filled > 0 and inside == []
