"""`optionpilot run --broker alpaca|dhan`: the engine on a broker's paper or live account, all day.

The engine is the backtest's (`app.engine_wiring`); what differs is handed in as a `BrokerSession`: the
broker's clock, its market data, the account and the broker's calendar. The account's run lives across
restarts (`<mode>-<broker>-<account>`): a restarted process resumes it, takes back the orders, fills
and positions it stored, and the runner reconciles them with the broker before the first tick. A
difference it cannot explain halts the account (fail closed); the operator's controls (`status`, `kill`,
`resume`, `close`) reach it between ticks as they reach `run --broker sim`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as day_time
from decimal import Decimal

from optionpilot.adapters.notify.notifier import Notifiers
from optionpilot.app.config import AccountConfig, OptionPilotConfig
from optionpilot.app.engine_wiring import Engine, Services, account_runtime, assemble_engine
from optionpilot.app.run_loop import attach_controls, between_ticks, health_snapshot
from optionpilot.app.settings import masked_dump
from optionpilot.core.calendars import MARKETS, Market, Session, calendar_for
from optionpilot.core.clock import BrokerClock, Clock, SimulatedClock
from optionpilot.core.errors import ConfigError
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.domain.fills import ExpirySettlement
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.controls.operator import OperatorControls
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.journal import Journal
from optionpilot.engine.live_ticker import LiveTicker
from optionpilot.engine.pipeline import FLOWS, Flow
from optionpilot.persistence import strategy_store as store
from optionpilot.persistence.controls import SqlControlStore
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.strategy_store import StandingRecorder
from optionpilot.ports.broker import Broker
from optionpilot.ports.market_data import MarketData
from optionpilot.ports.recorder import RunInfo


@dataclass(slots=True)
class BrokerSession:
    """One broker account, connected: what a live run needs from a broker adapter."""

    broker_name: str  # "alpaca", "dhan"
    mode: str  # "paper" or "live"
    market: Market
    clock: BrokerClock
    data: MarketData
    broker: Broker
    sessions: Callable[[datetime], Sequence[Session]]  # the broker's calendar around a time
    account_label: str  # the broker's account number: said loudly at the start of a live run
    equity: Decimal  # at connection: the starting cash of an account the engine has not traded yet
    request_stats: Callable[[], Mapping[str, float]] = lambda: {}
    # The broker's expiry settlements not among these stored event ids (exercise, assignment, expiry).
    settlements_missed: Callable[[set[str]], Sequence[ExpirySettlement]] = lambda known: []
    close: Callable[[], None] = lambda: None


@dataclass(slots=True)
class LiveRun:
    run_id: str
    config: OptionPilotConfig
    session: BrokerSession
    account: AccountRuntime
    engine: Engine
    recorder: StandingRecorder
    ticker: LiveTicker
    controls: OperatorControls
    store: SqlControlStore
    health: HealthTracker
    notifier: Notifiers
    created: bool
    stop_requested: list[str] = field(default_factory=list)

    @property
    def clock(self) -> BrokerClock:
        return self.session.clock

    def request_stop(self, why: str) -> None:
        """Stop sending new orders: the ticker ends between two ticks, the runner finishes the run."""
        self.stop_requested.append(why)

    def record_health(self) -> None:
        snap = _snapshot(self.health, self.clock, self.engine, self.account, self.session)
        self.store.record_health(self.run_id, snap, self.clock.now())


def live_account(config: OptionPilotConfig, session: BrokerSession, name: str | None) -> AccountConfig:
    """The configured account on this broker (by name, or the only one), else one named for the broker
    and mode whose whole equity is what the broker holds."""
    mine = [a for a in config.accounts if a.broker == session.broker_name]
    if name is not None:
        for a in mine:
            if a.name == name:
                return a
        raise ConfigError(
            f"--account {name}: no account with broker = {session.broker_name!r} of that name in the config"
        )
    if len(mine) > 1:
        names = ", ".join(a.name for a in mine)
        raise ConfigError(
            f"several accounts trade on {session.broker_name} ({names}): choose one with --account"
        )
    if mine:
        return mine[0]
    return AccountConfig(
        name=f"{session.broker_name}-{session.mode}",
        starting_cash=max(session.equity, Decimal("0.01")),
        market=session.market,
        broker=session.broker_name,
        multi_leg=session.broker.capabilities.multi_leg,
    )


def build_live_run(
    config: OptionPilotConfig,
    session: BrokerSession,
    *,
    account_name: str | None = None,
    flows: Collection[Flow] = FLOWS,
    max_sessions: int | None = None,
    until: day_time | None = None,
    poll_s: float = 0.5,
    settle_s: float = 2.0,
) -> LiveRun:
    acct = live_account(config, session, account_name)
    broker_clock = session.clock
    if acct.market is not session.market:
        raise ConfigError(
            f"accounts.{acct.name}.market is {acct.market.value}; "
            f"{session.broker_name} trades {session.market.value}"
        )
    aid = AccountId(acct.name)
    currency = MARKETS[session.market].currency
    # The engine's clock: the broker's time, held still during each tick (see LiveTicker).
    clock = SimulatedClock(broker_clock.now())
    run_id = f"{session.mode}-{session.broker_name}-{acct.name}"
    db = config.run.db
    rec = StandingRecorder(db, DatabaseConfig(url=db, ticks_per_transaction=1))
    info = RunInfo(
        run_id=run_id,
        mode=session.mode,
        started_at=clock.now(),
        seed=config.run.seed,
        config_json=json.dumps(masked_dump(config), default=str),
        accounts=[(aid, acct.name, acct.starting_cash, currency)],
    )
    created = rec.open_run(info)
    stored_cash = store.ledger_balance(rec.engine, run_id, aid)
    cash = acct.starting_cash if stored_cash is None else stored_cash
    unders = {u.symbol: u for u in session.data.underlyings()}
    positions = store.load_positions(rec.engine, run_id, aid, unders, session.market)
    # Ids of this process apart from every earlier one's (positions, legs): the run's row count so far.
    ids = IdMaker(f"{run_id}-{store.stored_row_count(rec.engine, run_id):06d}")
    notifier = Notifiers.from_config(config.notify, clock)
    health = HealthTracker(clock, config.health)
    services = Services(clock, session.data, Journal(rec), ids, notifier, health)
    book = AccountBook(aid, currency, cash, clock.now())
    for p in positions:
        book.add_position(p)
    account = account_runtime(config, acct, session.broker, book, services)
    account.orders.restore(
        store.load_orders(rec.engine, run_id, aid), store.stored_executions(rec.engine, run_id, aid)
    )
    missed = session.settlements_missed(store.stored_settlements(rec.engine, run_id, aid))
    if missed:
        # Before the start's reconciliation, which would otherwise see the positions differ and halt.
        services.journal.begin(clock.now())
        for settlement in missed:
            account.orders.adopt_settlement(settlement)
        services.journal.commit()
    control_store = SqlControlStore(rec.engine)
    stop: list[str] = []
    ticker = LiveTicker(
        broker_clock,
        session.sessions,
        calendar_for(session.market).zone,
        max_sessions=max_sessions,
        until=until,
        step_minutes=config.strategies.flow.step_minutes if set(flows) == {"multileg"} else 1,
        settle_s=settle_s,
        stop=lambda: bool(stop),
        engine_clock=clock,
    )
    engine = assemble_engine(
        config,
        services,
        info=info,
        recorder=rec,
        accounts=[account],
        ticker=ticker,
        flows=flows,
        mode=session.mode,
        resumed=True,
    )
    if created:
        services.journal.begin(clock.now())
        services.journal.current.ledger.append(book.deposit)
        services.journal.commit()
    journal = services.journal
    controls = attach_controls(
        run_id,
        [account],
        session.data,
        engine.pipeline,
        control_store,
        lambda: _snapshot(health, clock, engine, account, session),
        poll_s,
    )

    def idle() -> None:
        ticker.catch_up()
        between_ticks(journal, clock, controls)

    ticker.idle = idle
    return LiveRun(
        run_id, config, session, account, engine, rec, ticker, controls, control_store, health, notifier,
        created, stop,
    )  # fmt: skip


def _snapshot(
    health: HealthTracker, clock: Clock, engine: Engine, account: AccountRuntime, session: BrokerSession
) -> Mapping[str, object]:
    snap = dict(health_snapshot(health, clock, engine.pipeline, [account]))
    snap["broker_requests"] = dict(session.request_stats())
    return snap
