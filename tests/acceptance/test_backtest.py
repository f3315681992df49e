"""Acceptance: whole backtests are deterministic, reconcile to the cent, and cannot look ahead."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from optionpilot.app.report_data import report_data
from optionpilot.core.errors import LookAheadError
from optionpilot.core.money import ZERO
from optionpilot.domain.accounts import LedgerKind
from optionpilot.domain.positions import PositionStatus
from optionpilot.engine.ticker import MINUTE
from optionpilot.persistence.read_models import ReadModels
from optionpilot.reports.html import write_report
from optionpilot.testing.backtests import backtest_config, run_backtest, sqlite_url

pytestmark = pytest.mark.slow


def _ledger(bt: object) -> list[tuple[str, str, str, Decimal, str]]:
    out = []
    for account in bt.accounts:  # type: ignore[attr-defined]
        out += [
            (str(e.account_id), e.ts.isoformat(), e.kind.value, e.amount, e.note)
            for e in account.book.ledger.entries
        ]
    return out


def test_the_same_seed_gives_the_same_ledger_twice(tmp_path: Path) -> None:
    a, ra = run_backtest(sqlite_url(tmp_path, "a.sqlite"))
    b, rb = run_backtest(sqlite_url(tmp_path, "b.sqlite"))
    assert ra.bar_events == rb.bar_events == 2 * 390 * 10
    la, lb = _ledger(a), _ledger(b)
    assert len(la) > 10, "the run should trade"
    assert la == lb  # by content: the ledger names no client order id
    # Client order ids are random per run, so the two runs share none (they may share a database).
    ids_a = {cid for account in a.accounts for cid in account.orders.orders}  # type: ignore[attr-defined]
    ids_b = {cid for account in b.accounts for cid in account.orders.orders}  # type: ignore[attr-defined]
    assert ids_a and ids_a.isdisjoint(ids_b)
    c, _ = run_backtest(sqlite_url(tmp_path, "c.sqlite"), run={"seed": 4})
    assert _ledger(c) != la


def test_the_ledger_reconciles_to_the_cent(tmp_path: Path) -> None:
    bt, result = run_backtest(sqlite_url(tmp_path))
    assert result.reconciled, [r.summary() for r in result.reconciliation]
    for account in bt.accounts:
        book, broker = account.book, account.broker
        snapshot = broker.account()
        assert book.cash == snapshot.cash
        # Cash = deposit + premiums + stock + fees + settlements, entry by entry.
        assert book.cash == sum((e.amount for e in book.ledger.entries), start=ZERO)
        fills_flow = sum((f.cash_flow for o in account.orders.orders.values() for f in [] if o), start=ZERO)
        assert fills_flow == ZERO
        closed = [p for p in book.positions.values() if p.status is PositionStatus.CLOSED]
        open_ = [p for p in book.positions.values() if p.status is not PositionStatus.CLOSED]
        if not open_:
            net = sum((p.realized_pnl - p.fees for p in closed), start=ZERO)
            assert book.cash - account.starting_cash == net
        fees = -book.ledger.total(LedgerKind.FEE)
        assert fees == sum((p.fees for p in book.positions.values()), start=ZERO)
        for entry in book.ledger.entries:
            assert entry.amount == entry.amount.quantize(Decimal("0.01")), entry


def test_the_database_holds_what_the_engine_did(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    bt, _ = run_backtest(url)
    models = ReadModels.from_url(url)
    for account in bt.accounts:
        trades = models.closed_trades(bt.run_id, account.account_id)
        closed = [p for p in account.book.positions.values() if p.status is PositionStatus.CLOSED]
        assert len(trades) == len(closed)
        assert sum((t.net_pnl for t in trades), start=ZERO) == sum(
            (p.realized_pnl - p.fees for p in closed), start=ZERO
        )
        for trade in trades:
            assert trade.entry_reason and trade.exit_reason, trade
            story = models.explain_position(bt.run_id, trade.position_id)
            assert story is not None and story.narrative()
    history = models.feature_history(bt.run_id, "SPY")
    assert history and {"sma20", "volume_ratio", "ret_5m"} <= set(history[-1][1])
    data = report_data(bt.config, bt.run_id)
    path = write_report(data, tmp_path / "out")
    html = path.read_text()
    assert "large" in html and "tiny" in html and bt.run_id in html


def test_no_stage_can_read_after_the_clock(tmp_path: Path) -> None:
    bt, _ = run_backtest(sqlite_url(tmp_path), market={"sessions": 1})
    market, now = bt.market, bt.clock.now()
    with pytest.raises(LookAheadError):
        market.bars_between(now - MINUTE, now + MINUTE)
    with pytest.raises(LookAheadError):
        market.news_between(now - MINUTE, now + MINUTE)
    with pytest.raises(LookAheadError):
        market.history("SPY", now + MINUTE, 5)


def test_a_stage_that_peeks_is_refused_mid_run(tmp_path: Path) -> None:
    from optionpilot.app.backtest import build_backtest
    from optionpilot.engine.ticker import Tick

    bt = build_backtest(backtest_config(sqlite_url(tmp_path), market={"sessions": 1}))
    honest = bt.pipeline.on_tick
    seen: list[int] = []

    def peeking(tick: Tick) -> None:
        honest(tick)
        # Everything visible is stamped at or before the clock ...
        chain = bt.market.chain("SPY", max_dte=3)
        assert chain.ts <= tick.now
        for bar in bt.market.bars_between(tick.since, tick.now):
            assert bar.end <= tick.now
        seen.append(tick.minute_index)
        # ... and asking for the next minute is refused.
        if tick.minute_index == 30:
            bt.market.bars_between(tick.now, tick.now + MINUTE)

    bt.pipeline.on_tick = peeking  # type: ignore[method-assign]
    with pytest.raises(LookAheadError):
        bt.runner.run()
    assert seen[-1] == 30


def test_a_net_delta_cap_is_enforced_with_its_reason(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    bt, result = run_backtest(url, market={"sessions": 1}, strategy={"risk": {"max_abs_net_delta": 1.0}})
    assert result.reconciled
    import sqlite3

    con = sqlite3.connect(tmp_path / "bt.sqlite")
    # Intraday entries are refused at the risk stage, scanned strategies at their entry: one gate.
    rules = {r for (r,) in con.execute("select rule from rejections where stage in ('risk', 'entries')")}
    assert "risk.net_delta" in rules
    # No option position was opened: any contract's delta exceeds one share.
    assert not [p for a in bt.accounts for p in a.book.positions.values() if p.option_legs()]
