"""The alert monitor: counts records once, sends each key at most once per cooldown, stores every alert."""

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
from optionpilot.core.ids import AccountId, IdMaker, PositionId
from optionpilot.decisions.alerts import AlertsConfig
from optionpilot.domain.incidents import IncidentKind
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Underlying
from optionpilot.domain.orders import OrderLeg, PositionEffect, Side
from optionpilot.domain.recommendations import Rejection
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.alerts import RUN, AlertMonitor
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY", asset_class=AssetClass.ETF)
OPEN = datetime(2026, 10, 28, 13, 30, tzinfo=UTC)
SESSION = Session(date(2026, 10, 28), OPEN, OPEN + timedelta(hours=6, minutes=30))
AID = AccountId("acct")


class KeepingRecorder:
    def __init__(self) -> None:
        self.ticks: list[TickRecords] = []

    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None:
        self.ticks.append(records)

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


class Rig:
    def __init__(self, tmp_path: Path, config: AlertsConfig | None = None) -> None:
        self.clock = SimulatedClock(OPEN)
        market = StaticMarket(self.clock, [SPY])
        market.set_spot("SPY", 580.0)
        ids = IdMaker("t")
        broker = SimulatedBroker(AID, market=market, clock=self.clock, starting_cash=Decimal(10_000), ids=ids)
        book = AccountBook(AID, "USD", Decimal(10_000), self.clock.now())
        self.recorder = KeepingRecorder()
        self.journal = Journal(self.recorder)
        orders = OrderManager(AID, broker, book, ids, self.clock, self.journal)
        self.account = AccountRuntime(AID, "acct", SPY.market, "USD", Decimal(10_000), broker, book, orders)
        self.path = tmp_path / "alerts.jsonl"
        self.notifier = Notifiers(self.clock, [LogFileNotifier(self.path)])
        self.monitor = AlertMonitor(
            clock=self.clock,
            config=config or AlertsConfig(),
            journal=self.journal,
            accounts=[self.account],
            notifier=self.notifier,
        )

    def tick(self, minutes: int, *, zero_sizing: int = 0, flushed: int = 0) -> None:
        """One tick `minutes` after the open: `flushed` rejections stored ahead of a send, then the rest."""
        now = OPEN + timedelta(minutes=minutes)
        self.clock.advance_to(now)
        self.journal.begin(now)
        for n in range(zero_sizing):
            self.journal.current.rejections.append(
                Rejection(now, "sizing", "sizing.unaffordable", "no contract fits", "SPY", AID)
            )
            if n < flushed:
                self.journal.before_send()
        self.monitor.after_tick(SESSION, is_last=False)
        self.journal.commit()

    def sent(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]


def test_a_key_is_sent_once_per_cooldown_and_again_only_on_new_events(tmp_path: Path) -> None:
    rig = Rig(tmp_path, AlertsConfig(warning_cooldown_minutes=60))
    rig.tick(1, zero_sizing=1)
    rig.tick(2, zero_sizing=3)  # within the cooldown: held back
    assert [a["title"] for a in rig.sent()] == ["acct: zero_sizing"]
    assert rig.monitor.suppressed == 1
    rig.tick(70)  # the cooldown is over: what it held back is said
    assert [a["body"] for a in rig.sent()][-1].endswith("4 times in the window")
    rig.tick(140)  # over again, but nothing new since: quiet
    assert len(rig.sent()) == 2
    rig.tick(141, zero_sizing=1)
    texts = [a["body"] for a in rig.sent()]
    assert len(texts) == 3 and "5 times in the window" in texts[-1]


def test_records_flushed_before_a_send_are_counted_once(tmp_path: Path) -> None:
    rig = Rig(tmp_path, AlertsConfig(zero_sizing_min=3))
    rig.tick(1, zero_sizing=2, flushed=1)  # one goes ahead of a send, one stays in `current`
    assert rig.sent() == []
    rig.tick(2, zero_sizing=1)
    assert len(rig.sent()) == 1 and "3 times" in rig.sent()[0]["body"]


def test_every_alert_is_stored_as_an_incident_with_its_tick(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.tick(1, zero_sizing=1)
    stored = [i for t in rig.recorder.ticks for i in t.incidents]
    assert [(i.kind, i.account_id) for i in stored] == [(IncidentKind.ALERT, AID)]
    assert stored[0].detail.startswith("warning zero_sizing: ") and stored[0].ts == OPEN + timedelta(
        minutes=1
    )
    assert rig.monitor.sent == stored


def test_events_leave_the_window(tmp_path: Path) -> None:
    rig = Rig(tmp_path, AlertsConfig(window_minutes=30, zero_sizing_min=2, warning_cooldown_minutes=0))
    rig.tick(1, zero_sizing=1)
    rig.tick(40, zero_sizing=1)  # the first is 39 minutes old: out of the window
    assert rig.sent() == []
    rig.tick(41, zero_sizing=1)
    assert len(rig.sent()) == 1


def test_no_recommendations_alert_the_run_after_a_whole_quiet_session(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    close = SESSION.close
    rig.clock.advance_to(close)
    rig.journal.begin(close)
    rig.monitor.after_tick(SESSION, is_last=True)
    assert rig.sent() == []  # the session opened before the run's start: not a whole one
    nxt = Session(date(2026, 10, 29), OPEN + timedelta(days=1), close + timedelta(days=1))
    rig.clock.advance_to(nxt.close)
    rig.journal.begin(nxt.close)
    rig.monitor.after_tick(nxt, is_last=True)
    rig.journal.commit()
    assert [a["title"] for a in rig.sent()] == ["run: no_recommendations"]
    assert rig.monitor.sent[0].account_id == RUN and rig.sent()[0]["level"] == "critical"


def test_an_options_entry_order_counts_as_a_recommendation(tmp_path: Path) -> None:
    """The multi-leg flow sends entries with no recommendation record: its orders reset the quiet clock."""
    rig = Rig(tmp_path)
    put = OptionContract("SPY", date(2026, 12, 18), Decimal(570), OptionRight.PUT)
    nxt = Session(date(2026, 10, 29), OPEN + timedelta(days=1), SESSION.close + timedelta(days=1))
    rig.clock.advance_to(nxt.open + timedelta(minutes=30))
    rig.journal.begin(rig.clock.now())
    rig.account.orders.place(
        (OrderLeg(put, Side.BUY, 1, PositionEffect.OPEN),), 1, position_id=PositionId("p1"),
        purpose="entry", reason="multi-leg entry", limit_price=Decimal("1.00"),
    )  # fmt: skip
    rig.journal.commit()
    rig.clock.advance_to(nxt.close)
    rig.journal.begin(nxt.close)
    rig.monitor.after_tick(nxt, is_last=True)
    # Without the entry: 30.5 h since the run's start with a whole session in it (the test above).
    assert [a["title"] for a in rig.sent()] == []
