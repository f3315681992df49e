"""`optionpilot run --broker sim`: the long-running loop on the simulated broker and an accelerated clock.

It is the backtest's wiring (`build_backtest`, mode "sim") driven at a pace a person can follow (`speed`
simulated minutes per real second; 0 runs flat out) and under the operator's controls: every tick is
committed on its own (so `status` sees it at once), the stored trading state of each account is taken at
the start (a restarted run keeps a halt), and the database is polled every `poll_s` real seconds for the
operator's commands (`kill`, `resume`, `close`), so `kill` is obeyed within a poll and a tick.

The pace uses the monotonic clock: a duration, not the time of day, which the simulated clock keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from optionpilot.app.backtest import Backtest, build_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.core.clock import Clock
from optionpilot.core.errors import ConfigError
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.controls.operator import OperatorControls
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.journal import Journal
from optionpilot.engine.pipeline import FLOWS, Flow, Pipeline
from optionpilot.engine.ticker import Tick, Ticker
from optionpilot.persistence.controls import SqlControlStore
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.market_data import MarketData


class PacedTicker:
    """The ticks of `inner`, each released `seconds_per_tick` after the one before (0: at once).

    While it waits it calls `idle` every `idle_s`: at a live pace a tick is a minute apart, and the operator
    must not wait that long for a kill to be taken.
    """

    def __init__(
        self,
        inner: Ticker,
        seconds_per_tick: float,
        *,
        idle: Callable[[], None] | None = None,
        idle_s: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.seconds_per_tick = seconds_per_tick
        self.idle = idle
        self.idle_s = idle_s
        self._sleep = sleep
        self._monotonic = monotonic

    @property
    def total(self) -> int:
        return self.inner.total

    def __iter__(self) -> Iterator[Tick]:
        due = self._monotonic()
        for tick in self.inner:
            while (wait := due - self._monotonic()) > 0:
                if self.idle is not None:
                    self.idle()
                self._sleep(min(wait, self.idle_s))
            due = max(due, self._monotonic()) + self.seconds_per_tick
            yield tick


class PollTimer:
    """True at most once every `every_s` real seconds (always true with 0)."""

    def __init__(self, every_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self._monotonic = monotonic
        self._last: float | None = None

    def __call__(self) -> bool:
        now = self._monotonic()
        if self._last is None or now - self._last >= self.every_s:
            self._last = now
            return True
        return False


@dataclass(slots=True)
class SimRun:
    bt: Backtest
    controls: OperatorControls
    store: SqlControlStore

    @property
    def run_id(self) -> str:
        return self.bt.run_id

    def record_health(self) -> None:
        """The last word on the run's health, as it ends (polls are at most every `poll_s`)."""
        self.store.record_health(self.run_id, _health(self.bt), self.bt.clock.now())


def build_sim_run(
    config: OptionPilotConfig,
    *,
    speed: float,
    poll_s: float = 0.5,
    flows: Collection[Flow] = FLOWS,
) -> SimRun:
    """The run with its controls attached to the pipeline (which gives each account its stored state at
    the first tick)."""
    if speed < 0:
        raise ConfigError(f"--speed {speed}: simulated minutes per second cannot be negative")
    recorder = SqlRecorder(config.run.db, DatabaseConfig(url=config.run.db, ticks_per_transaction=1))
    bt = build_backtest(config, recorder=recorder, flows=flows, mode="sim")
    store = SqlControlStore(recorder.engine)
    controls = attach_controls(
        bt.run_id, bt.accounts, bt.market, bt.pipeline, store, lambda: _health(bt), poll_s
    )
    pace = bt.ticker.step_minutes / speed if speed > 0 else 0.0
    bt.runner.ticker = PacedTicker(
        bt.ticker, pace, idle=lambda: between_ticks(bt.pipeline.journal, bt.clock, controls)
    )
    return SimRun(bt, controls, store)


def attach_controls(
    run_id: str,
    accounts: Sequence[AccountRuntime],
    market: MarketData,
    pipeline: Pipeline,
    store: SqlControlStore,
    health: Callable[[], Mapping[str, object]],
    poll_s: float,
) -> OperatorControls:
    """The operator's controls on the pipeline (which gives each account its stored state at the first
    tick), polling the database for commands every `poll_s` real seconds."""
    controls = OperatorControls(
        run_id, accounts, market, pipeline.marker, store, health=health, poll_due=PollTimer(poll_s)
    )
    pipeline.controls = controls
    return controls


def between_ticks(journal: Journal, clock: Clock, controls: OperatorControls) -> None:
    """The operator's commands between two ticks, stored as a tick of their own at the clock's time."""
    if not controls.started:
        return  # the first tick gives the accounts their stored states first
    journal.begin(clock.now())
    # The broker's events wait for the next tick: the pipeline's poll keeps the books they feed.
    controls.on_tick(clock.now())
    journal.commit()


def _health(bt: Backtest) -> Mapping[str, object]:
    return health_snapshot(bt.health, bt.clock, bt.pipeline, bt.accounts)


def health_snapshot(
    health: HealthTracker, clock: Clock, pipeline: Pipeline, accounts: Sequence[AccountRuntime]
) -> Mapping[str, object]:
    """What `status` shows of a running run (times on the run's clock): the health tracker's snapshot (last
    market data, last broker contact, errors and refusals in the last hour, whether entries are allowed),
    and per account its state and what it holds."""
    snap = health.snapshot().to_dict()
    tracked = {str(a["account"]): a for a in snap.pop("accounts")}
    return {
        **snap,
        "clock": clock.now().isoformat(),
        "bar_events": pipeline.bar_events,
        "accounts": {
            a.name: {
                **tracked.get(str(a.account_id), {}),
                "state": a.state.value,
                "state_reason": a.state_reason,
                "open_orders": len(a.orders.open_orders()),
                "open_positions": sum(1 for p in a.book.open_positions() if not p.is_flat),
                "day_start_equity": None if a.day_start_equity is None else str(a.day_start_equity),
                "halted": a.orders.halted,
            }
            for a in accounts
        },
    }
