"""`run --broker alpaca --paper` on the stub: the engine trades a morning through the official SDK, its
book equals the broker's at the end, and a restart resumes the same account, reconciled before it trades."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path

from alpaca.trading.client import TradingClient

from optionpilot.adapters.alpaca_stub.server import RunningStub
from optionpilot.app.alpaca_session import connect_alpaca
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.live_run import LiveRun, build_live_run
from optionpilot.app.settings import load_model
from optionpilot.domain.orders import OrderStatus
from optionpilot.engine.runner import RunResult

from .conftest import KEY, SECRET, SYMBOLS, StubFactory, alpaca_env


def _run(stub: RunningStub, db: str, until: time) -> tuple[LiveRun, RunResult]:
    cfg = load_model(OptionPilotConfig, None, overrides={"run": {"db": db}}, environ={})
    session = connect_alpaca(cfg, alpaca_env(stub), live=False, symbols=SYMBOLS)
    try:
        run = build_live_run(cfg, session, until=until)
        return run, run.engine.runner.run()
    finally:
        session.close()


def _broker_holdings(stub: RunningStub) -> dict[str, int]:
    client = TradingClient(KEY, SECRET, paper=True, url_override=stub.url)
    return {p.symbol: int(p.qty) for p in client.get_all_positions()}  # a short position's qty is negative


def test_a_paper_morning_then_a_restart_on_the_same_account(alpaca_stub: StubFactory, tmp_path: Path) -> None:
    stub = alpaca_stub(speed=120.0)
    db = f"sqlite:///{tmp_path / 'live.sqlite'}"

    run, result = _run(stub, db, time(10, 40))
    assert run.created and run.run_id == "paper-alpaca-alpaca-paper"
    assert result.reconciled, [r.summary() for r in result.reconciliation]
    assert result.ticks > 30
    orders = list(run.account.orders.orders.values())
    filled = [o for o in orders if o.status is OrderStatus.FILLED]
    # The multileg flow scans at 10:00 and enters; its exit rules close what decays too fast.
    assert any(o.purpose == "entry" for o in filled), [(o.purpose, o.status) for o in orders]
    assert any(o.purpose in ("exit", "partial_exit") for o in filled), [(o.purpose, o.status) for o in orders]
    # The engine's book is the broker's: positions and cash.
    holdings = {k: v for k, v in run.account.book.holdings().items() if v}
    assert holdings == _broker_holdings(stub)
    assert run.account.book.cash == Decimal(str(run.session.broker.account().cash))
    stats = run.session.request_stats()
    assert 0 < stats["most_in_a_minute"] <= stats["per_minute"]
    assert stub.state.limiter.refused == 0

    again, result2 = _run(stub, db, time(10, 50))
    assert not again.created  # the same account's run, resumed
    assert result2.reconciled, [r.summary() for r in result2.reconciliation]
    assert set(again.account.orders.orders) >= {o.client_order_id for o in orders}
    assert {k: v for k, v in again.account.book.holdings().items() if v} == _broker_holdings(stub)
