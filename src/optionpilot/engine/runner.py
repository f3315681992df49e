"""The runner: drives the pipeline from the ticker, one unit of work per tick, for any mode."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from optionpilot.core.clock import Clock
from optionpilot.core.crashpoints import crash_point
from optionpilot.core.errors import BrokerError, MarketDataError
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.alerts import AlertMonitor
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.reconciliation import ReconciliationReport, reconcile
from optionpilot.engine.pipeline import Pipeline
from optionpilot.engine.ticker import Tick, Ticker
from optionpilot.ports.recorder import Recorder, RunInfo


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: str
    ticks: int
    bar_events: int
    reconciliation: tuple[ReconciliationReport, ...]

    @property
    def reconciled(self) -> bool:
        return all(r.ok for r in self.reconciliation)


log = logging.getLogger(__name__)


class Runner:
    def __init__(
        self,
        *,
        info: RunInfo,
        clock: Clock,
        ticker: Ticker,
        accounts: Sequence[AccountRuntime],
        pipeline: Pipeline,
        journal: Journal,
        recorder: Recorder,
        monitor: AlertMonitor | None = None,
        resumed: bool = False,
        max_failed_ticks: int = 10,
    ) -> None:
        self.info = info
        self.clock = clock
        self.ticker = ticker
        self.accounts = list(accounts)
        self.pipeline = pipeline
        self.journal = journal
        self.recorder = recorder
        self.monitor = monitor
        # A run an earlier process opened (a broker account's, across restarts): stored, deposit made.
        self.resumed = resumed
        self.failed_ticks = 0
        self.max_failed_ticks = max_failed_ticks

    def run(self, on_tick: Callable[[Tick], None] | None = None) -> RunResult:
        if not self.resumed:
            self.recorder.start_run(self.info)
        self.journal.begin(self.clock.now())
        if not self.resumed:
            for account in self.accounts:
                self.journal.current.ledger.append(account.book.deposit)
        self._check_reconciled("start")
        self.journal.commit()
        crash_point("reconciled")
        ticks = 0
        failed_in_a_row = 0
        for tick in self.ticker:
            self.journal.begin(tick.now)
            try:
                self.pipeline.on_tick(tick)
                failed_in_a_row = 0
            except (BrokerError, MarketDataError) as exc:
                # A broker or data source that failed a request (a dropped connection, a 5xx): what the tick
                # did so far is stored below, the rest waits for the next tick. Many in a row end the run.
                failed_in_a_row += 1
                self.failed_ticks += 1
                log.error("tick %s: %s (the next tick tries again)", tick.now.isoformat(), exc)
                if failed_in_a_row >= self.max_failed_ticks:
                    self.journal.commit()
                    raise
            if self.monitor is not None:
                # Before the commit: the alerts of a tick are stored with its records.
                self.monitor.after_tick(tick.session, is_last=tick.is_last)
            self.journal.commit()
            ticks += 1
            if on_tick is not None:
                on_tick(tick)
        self.journal.begin(self.clock.now())
        self.pipeline.finish(self.clock.now())
        # Before the commit: what reconciliation adopts or halts on is stored with the last tick.
        reports = tuple(reconcile(a.book, a.broker, orders=a.orders) for a in self.accounts)
        self.journal.commit()
        summary = {
            "ticks": ticks,
            "bar_events": self.pipeline.bar_events,
            "failed_ticks": self.failed_ticks,
            "reconciliation": {r.account_id: r.summary() for r in reports},
            "flows": sorted(self.pipeline.flows),
        }
        sessions = getattr(self.ticker, "sessions", None)
        if sessions:  # a backtest's window, for `runs list` (a live ticker has none)
            summary["period"] = [sessions[0].day.isoformat(), sessions[-1].day.isoformat()]
        self.recorder.finish_run(self.info.run_id, self.clock.now(), json.dumps(summary))
        return RunResult(self.info.run_id, ticks, self.pipeline.bar_events, reports)

    def _check_reconciled(self, when: str) -> None:
        """A difference halts its account (fail closed, with an incident); the others trade on."""
        for account in self.accounts:
            report = reconcile(account.book, account.broker, orders=account.orders)
            if not report.ok:
                log.error("at %s: %s: account halted", when, report.summary())
