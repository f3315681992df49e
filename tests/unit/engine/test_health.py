"""Run health: the snapshot `status` shows, and a silent market or broker stops entries with its rule."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from optionpilot.adapters.notify.log_file import LogFileNotifier
from optionpilot.adapters.notify.notifier import Notifiers
from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.core.calendars import Session
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.decisions.alerts import AlertsConfig
from optionpilot.decisions.health import HealthConfig
from optionpilot.decisions.risk import RiskConfig
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Underlying
from optionpilot.domain.orders import OrderLeg, PositionEffect, Side
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.alerts import RUN, AlertMonitor
from optionpilot.engine.book import AccountBook
from optionpilot.engine.entries.dispatch import AccountDispatcher
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.journal import Journal
from optionpilot.engine.marks import PortfolioGreeks
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY", asset_class=AssetClass.ETF)
PUT = OptionContract("SPY", date(2026, 12, 18), Decimal(570), OptionRight.PUT)
OPEN = datetime(2026, 10, 28, 13, 30, tzinfo=UTC)
SESSION = Session(date(2026, 10, 28), OPEN, OPEN + timedelta(hours=6, minutes=30))
AID = AccountId("acct")


class NullRecorder:
    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None: ...

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


def watched(config: HealthConfig | None = None) -> tuple[AccountRuntime, HealthTracker]:
    clock = SimulatedClock(OPEN)
    market = StaticMarket(clock, [SPY])
    market.set_spot("SPY", 580.0)
    ids = IdMaker("t")
    broker = SimulatedBroker(AID, market=market, clock=clock, starting_cash=Decimal(100_000), ids=ids)
    book = AccountBook(AID, "USD", Decimal(100_000), clock.now())
    journal = Journal(NullRecorder())
    journal.begin(clock.now())
    orders = OrderManager(AID, broker, book, ids, clock, journal)
    acct = AccountRuntime(AID, "acct", SPY.market, "USD", Decimal(100_000), broker, book, orders)
    health = HealthTracker(clock, config)
    health.enter_session(SESSION)
    health.watch_broker(acct.account_id, lambda: acct.orders.last_heard)
    acct.health = health
    return acct, health


def entry(acct: AccountRuntime) -> str:
    d = AccountDispatcher(acct, RiskConfig()).admit(
        sleeve="day",
        trade_style="day_trade",
        cost=Decimal(500),
        legs=(OrderLeg(PUT, Side.BUY, 1, PositionEffect.OPEN),),
        snapshot=acct.broker.account(),
        net=PortfolioGreeks(),
    )
    return d.rule


def at(acct: AccountRuntime, minutes: float) -> None:
    acct.orders.clock.advance_to(OPEN + timedelta(minutes=minutes))  # type: ignore[attr-defined]


def test_entries_stop_when_market_data_goes_silent_and_resume_when_it_returns() -> None:
    acct, health = watched()
    at(acct, 4)
    health.data_seen(OPEN + timedelta(minutes=4))
    acct.orders.process_events()  # the broker answers a poll
    assert entry(acct) == "dispatch.admitted"
    at(acct, 9)
    acct.orders.process_events()
    assert entry(acct) == "dispatch.admitted"  # data 300 s old: at the limit, not over it
    at(acct, 9.5)
    acct.orders.process_events()
    assert entry(acct) == "risk.stale_data"
    health.data_seen(OPEN + timedelta(minutes=9.5))
    assert entry(acct) == "dispatch.admitted"


class SilentBroker:
    """The simulated broker whose polls fail, as a broker that stopped answering does."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def poll_events(self) -> list[object]:
        raise BrokerError("connection refused", broker="sim")

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_a_broker_that_stops_answering_stops_entries_and_counts_errors() -> None:
    acct, health = watched()
    acct.orders.process_events()
    acct.orders.broker = SilentBroker(acct.orders.broker)  # type: ignore[assignment]
    for minute in range(1, 7):
        at(acct, minute)
        health.data_seen(OPEN + timedelta(minutes=minute))
        acct.orders.process_events()  # fails: logged and counted, never raised into the tick
    assert acct.orders.broker_errors == 6 and acct.orders.last_heard == OPEN
    assert entry(acct) == "risk.broker_silent"
    snap = health.snapshot()
    assert not snap.healthy and snap.accounts[0].entries == "risk.broker_silent"
    assert snap.accounts[0].broker_silence_s == 360.0


def test_the_snapshot_is_json_and_counts_the_last_hour() -> None:
    acct, health = watched()
    health.data_seen(OPEN + timedelta(minutes=1))
    acct.orders.process_events()
    health.error(acct.account_id, OPEN, 2)
    health.refusal(acct.account_id, OPEN + timedelta(minutes=1))
    at(acct, 61)
    health.data_seen(OPEN + timedelta(minutes=61))
    acct.orders.process_events()
    snap = json.loads(json.dumps(health.snapshot().to_dict()))
    assert snap["in_session"] is True and snap["healthy"] is True
    assert snap["last_market_data"] == (OPEN + timedelta(minutes=61)).isoformat()
    (one,) = snap["accounts"]
    assert one["account"] == "acct" and one["entries"] == "allowed"
    assert (one["errors_last_hour"], one["refusals_last_hour"]) == (0, 1)  # the errors are 61 min old


def test_between_sessions_there_is_no_silence() -> None:
    acct, health = watched()
    acct.orders.clock.advance_to(SESSION.close + timedelta(hours=3))  # type: ignore[attr-defined]
    snap = health.snapshot()
    assert not snap.in_session and snap.data_silence_s == 0.0 and snap.healthy


def test_silence_alerts_reach_the_notifier_once_per_cooldown(tmp_path: Path) -> None:
    acct, health = watched()
    path = tmp_path / "alerts.jsonl"
    clock = acct.orders.clock
    monitor = AlertMonitor(
        clock=clock,
        config=AlertsConfig(),
        journal=acct.orders.journal,
        accounts=[acct],
        notifier=Notifiers(clock, [LogFileNotifier(path)]),
        health=health,
    )
    for minute in (4, 6, 8, 20):  # no bar and no poll since the open
        at(acct, minute)
        monitor.after_tick(SESSION, is_last=False)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["title"] for line in lines) == ["acct: broker_silent", "run: stale_data"]
    assert all(line["level"] == "critical" for line in lines)
    assert {i.account_id for i in monitor.sent} == {RUN, acct.account_id}
