"""Issue 12 on the default backtest (seed 7, 20 sessions, "large" and "tiny"): the decision bugs that
lost money are gone, and Kelly's history is the database's."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.app.backtest import Backtest, build_backtest
from optionpilot.domain.positions import PositionStatus
from optionpilot.persistence.trade_history import SqlTradeHistory
from optionpilot.ports.recorder import ClosedOptionTrade
from optionpilot.testing.backtests import backtest_config, run_backtest, sqlite_url

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Backtest, str]:
    url = sqlite_url(tmp_path_factory.mktemp("trust"))
    bt, result = run_backtest(url, run={"seed": 7}, market={"sessions": 20})
    assert result.reconciled
    return bt, url


def test_no_bearish_signal_buys_the_stock(default_run: tuple[Backtest, str]) -> None:
    bt, url = default_run
    for account in bt.accounts:
        stock = [p for p in account.book.positions.values() if p.strategy_type.startswith("stock/")]
        assert all(p.meta["direction"] == "bullish" for p in stock), account.name
    with sa.create_engine(url).connect() as c:
        refused = c.execute(
            sa.text("SELECT COUNT(*) FROM rejections WHERE run_id=:r AND rule='risk.no_short_stock'"),
            {"r": bt.run_id},
        ).scalar_one()
    assert refused > 0, "bearish stock signals are refused with their rule stored"


def test_no_trailing_stop_sells_below_the_entry_fill(default_run: tuple[Backtest, str]) -> None:
    bt, url = default_run
    q = sa.text(
        "SELECT o.position_id, o.purpose, o.reason, f.quantity, f.price FROM fills f "
        "JOIN orders o ON o.client_order_id=f.client_order_id AND o.run_id=f.run_id WHERE f.run_id=:r"
    )
    paid: dict[str, list[tuple[int, Decimal]]] = defaultdict(list)
    trail: dict[str, list[tuple[int, Decimal]]] = defaultdict(list)
    with sa.create_engine(url).connect() as c:
        for pid, purpose, reason, qty, price in c.execute(q, {"r": bt.run_id}):
            if purpose in ("entry", "scale_in"):
                paid[pid].append((qty, Decimal(str(price))))
            elif str(reason).startswith("exits.trailing_stop"):
                trail[pid].append((qty, Decimal(str(price))))

    def avg(rows: list[tuple[int, Decimal]]) -> Decimal:
        return sum((q * p for q, p in rows), Decimal(0)) / sum(q for q, _ in rows)

    for pid, rows in trail.items():
        assert avg(rows) >= avg(paid[pid]), pid


def test_option_entries_go_on_to_the_end_and_kelly_never_blocks(default_run: tuple[Backtest, str]) -> None:
    bt, url = default_run
    sessions = bt.ticker.sessions
    last_quarter = sessions[len(sessions) * 3 // 4].open
    large = next(a for a in bt.accounts if a.name == "large")
    late = [
        p
        for p in large.book.positions.values()
        if p.option_legs() and p.opened_at >= last_quarter and p.entry_cost > 0
    ]
    assert late, "option entries stop before the last quarter of the run"
    with sa.create_engine(url).connect() as c:
        capped = c.execute(
            sa.text("SELECT COUNT(*) FROM rejections WHERE run_id=:r AND rule='sizing.capped'"),
            {"r": bt.run_id},
        ).scalar_one()
    assert capped == 0


def test_every_entry_passes_the_position_limits(default_run: tuple[Backtest, str]) -> None:
    bt, _ = default_run
    end = bt.clock.now()
    for account in bt.accounts:
        for styles, limit in ((("day_trade", "stock"), 5), (("swing_trade",), 2)):
            held = [
                p
                for p in account.book.positions.values()
                if p.meta.get("trade_style") in styles and p.entry_cost != 0
            ]
            for p in held:
                # Positions open at the moment p opened, p included.
                at = p.opened_at
                overlapping = [q for q in held if (q.opened_at <= at and (q.closed_at or end) > at) or q is p]
                assert len(overlapping) <= limit, (account.name, styles, at)


def test_kelly_history_is_read_back_from_the_database(default_run: tuple[Backtest, str]) -> None:
    bt, url = default_run
    history = SqlTradeHistory(sa.create_engine(url))
    end = bt.clock.now()
    since = bt.ticker.sessions[0].open - timedelta(days=1)
    seen = 0
    for account in bt.accounts:
        stored = history.closed_option_trades(
            account.account_id, since, end, mode="backtest", run_id=bt.run_id
        )
        memory = sorted((t.closed_at, t.pnl, t.cost) for t in account.closed_trades)
        assert sorted((t.closed_at, t.pnl, t.cost) for t in stored) == memory
        closed_options = [
            p
            for p in account.book.positions.values()
            if p.status is PositionStatus.CLOSED
            and p.option_legs()
            and p.entry_cost > 0
            and p.meta.get("flow") != "multileg"
        ]
        assert len(stored) == len(closed_options)
        seen += len(stored)
        # Another backtest over the same dates does not see this one's trades.
        assert not history.closed_option_trades(
            account.account_id, since, end, mode="backtest", run_id="another-run"
        )
    assert seen > 0


class LosingHistory:
    """A stored history of 25 losing option trades in the 30 days before the run: a restart's memory."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime, datetime, str, str]] = []

    def closed_option_trades(
        self, account_id: str, since: datetime, until: datetime, *, mode: str, run_id: str
    ) -> list[ClosedOptionTrade]:
        self.asked.append((account_id, since, until, mode, run_id))
        return [
            ClosedOptionTrade(account_id, until - timedelta(days=1, hours=i), Decimal(-60), Decimal(200))
            for i in range(25)
        ]


def test_kelly_starts_from_the_stored_history_and_only_scales_down(tmp_path: Path) -> None:
    bt = build_backtest(backtest_config(sqlite_url(tmp_path)))
    history = LosingHistory()
    bt.pipeline.history = history
    bt.runner.run()
    open_ = bt.ticker.sessions[0].open
    for _, since, until, *_ in history.asked:
        # Loaded once, at the first tick: the 30 days before it.
        assert open_ - timedelta(minutes=1) <= until <= open_ + timedelta(minutes=1)
        assert since == until - timedelta(days=30)
    assert all(mode == "backtest" and run_id == bt.run_id for *_, mode, run_id in history.asked)
    entries = [
        p
        for a in bt.accounts
        for p in a.book.positions.values()
        if p.option_legs()
        and p.opened_at < bt.ticker.sessions[0].close
        and p.meta.get("flow") != "multileg"  # Kelly sizes the intraday sleeves only
    ]
    assert entries, "Kelly at 0 from the stored history must not block option entries"
    for p in entries:
        assert "Kelly share 0.000 sees no edge: floored" in p.entry_reason, p.entry_reason
    for account in bt.accounts:
        assert len(account.closed_trades) >= 25


def test_an_account_allowed_to_short_sells_the_stock_on_a_bearish_signal(tmp_path: Path) -> None:
    cfg = backtest_config(sqlite_url(tmp_path), run={"seed": 7}, market={"sessions": 5})
    large = cfg.accounts[0].model_copy(update={"allow_short_stock": True})
    bt = build_backtest(cfg.model_copy(update={"accounts": [large, *cfg.accounts[1:]]}))
    result = bt.runner.run()
    assert result.reconciled, [r.summary() for r in result.reconciliation]
    positions = list(bt.accounts[0].book.positions.values())
    shorts = [p for p in positions if p.strategy_type.startswith("short_stock/")]
    assert shorts and all(p.meta["direction"] == "bearish" for p in shorts)
    assert all(p.status is PositionStatus.CLOSED for p in shorts)
    assert all("sell the stock short" in p.entry_reason for p in shorts)
    longs = [p for p in positions if p.strategy_type.startswith("stock/")]
    assert all(p.meta["direction"] == "bullish" for p in longs)
