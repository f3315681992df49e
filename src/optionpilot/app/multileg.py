"""Wiring of the multi-leg workflow: where a verb looks, the standing account, the verbs, the backtest.

Where a verb looks: the built-in simulator (the config's `market`, its last session, `minutes_before_close`
before the close) unless `data` names a store (its last session: at the close for end-of-day chains).

The standing simulated account (how state persists between CLI invocations): the database is the system
of record. Each account trades in a run of mode "standing" (`standing-<market>-<account>`), created with
its deposit on first use. Every later verb rebuilds it from those rows: the book's cash is the sum of its
ledger and its positions are the stored open positions, the order manager knows every stored order and
fill. The simulated broker keeps its own state apart (`adapters.sim.standing`: its ledger, positions,
orders and executions, written by the broker as they change) and is restored from that, not from the
engine's rows; the book is then reconciled with it before anything is sent.
Orders a verb leaves unfilled are canceled before it ends, so no order outlives its process.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from optionpilot.adapters.notify.notifier import Notifiers
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.adapters.sim.standing import BrokerStateStore, StandingSimBroker
from optionpilot.app.config import AccountConfig, OptionPilotConfig
from optionpilot.app.settings import masked_dump
from optionpilot.core.calendars import MARKETS, Market, Session, calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.decisions.budgets import SleeveConfig
from optionpilot.decisions.strategies.scoring import RiskTolerance
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.multileg.desk import MonitorRow, MultiLegDesk
from optionpilot.engine.multileg.scan import ScanResult, scan_market
from optionpilot.engine.orders.gate import PreTradeGate
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.engine.orders.reconciliation import ReconciliationReport, reconcile
from optionpilot.engine.orders.settle import work_then_cancel
from optionpilot.persistence import strategy_store as store
from optionpilot.persistence.candidate_codec import candidate_record
from optionpilot.persistence.controls import SqlControlStore
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.scan_records import IvPoint
from optionpilot.persistence.strategy_store import StandingRecorder
from optionpilot.ports.market_data import MarketData
from optionpilot.ports.recorder import RunInfo

log = logging.getLogger(__name__)


# -- where the verbs look ---------------------------------------------------------------------------------


@dataclass(slots=True)
class MarketView:
    config: OptionPilotConfig
    market_code: Market
    clock: SimulatedClock
    market: MarketData
    session: Session
    symbols: list[str]
    label: str
    end_of_day: bool = False  # a store of daily snapshots: the verbs look at its last close


def open_market(
    config: OptionPilotConfig,
    *,
    data: Path | None = None,
    market: Market | None = None,
    symbols: Sequence[str] | None = None,
) -> MarketView:
    wanted = [s.upper() for s in symbols] if symbols else None
    minutes = config.strategies.desk.minutes_before_close
    if data is not None:
        from optionpilot.adapters.files.replay import open_store_for_backtest

        if not (data / "chains").is_dir():
            raise ConfigError(
                f"--data {data}: not a market-data store (make one with `optionpilot data import`)"
            )
        spec = open_store_for_backtest(data, wanted)
        last = spec.sessions[-1]
        at = last.close - timedelta(minutes=minutes) if spec.intraday else last.close
        clock = SimulatedClock(at)
        return MarketView(
            config, spec.market, clock, spec.open(clock), last, list(spec.symbols), spec.label,
            end_of_day=not spec.intraday,
        )  # fmt: skip
    sim = config.market
    if market is not None and market is not sim.market:
        sim = SimMarketConfig.india() if market is Market.IN else SimMarketConfig()
    if wanted:
        sim = sim.only(wanted)
    last = calendar_for(sim.market).sessions_ending(sim.end, sim.sessions)[-1]
    clock = SimulatedClock(last.close - timedelta(minutes=minutes))
    mkt = SimulatedMarket(sim, clock, config.run.seed)
    syms = [p.symbol for p in sim.profiles]
    return MarketView(config, sim.market, clock, mkt, last, syms, f"sim{sim.market.value.lower()}")


# -- scan ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    run_id: str
    result: ScanResult
    stored: int


def _info(
    config: OptionPilotConfig,
    run_id: str,
    mode: str,
    view: MarketView,
    accounts: list[tuple[AccountId, str, Decimal, str]],
) -> RunInfo:
    return RunInfo(
        run_id=run_id,
        mode=mode,
        started_at=view.clock.now(),
        seed=config.run.seed,
        config_json=json.dumps(masked_dump(config), default=str),
        accounts=accounts,
    )


def run_scan(view: MarketView, db: str, *, risk: RiskTolerance | None = None) -> ScanOutcome:
    """Scan every symbol of `view`, store the ranked candidates and the ATM IV points in a new scan run."""
    rec = StandingRecorder(db, DatabaseConfig(url=db))
    try:
        day = view.market.calendar.local_date(view.clock.now())
        hist = store.iv_history(rec.engine, view.symbols, day)
        arrays = {s: np.asarray([v for _, v in pts], dtype=np.float64) for s, pts in hist.items()}
        result = scan_market(
            view.market, view.clock, view.symbols, view.config.strategies, risk=risk, iv_history=arrays
        )
        base = f"scan-{view.label}-{day:%Y%m%d}"
        taken = {r for r in store.run_ids(rec.engine, store.SCAN_MODE) if r.startswith(base)}
        # Insert and retry on the run id: two scans started together take -001 and -002.
        names = (f"{base}-{n:03d}" for n in itertools.count(len(taken) + 1))
        info = rec.claim_run(_info(view.config, base, store.SCAN_MODE, view, []), names)
        run_id = info.run_id
        rec.start_run(info)
        records = [candidate_record(c) for r in result.rankings.values() for c in r.candidates]
        rec.record_candidates(records)
        points = [IvPoint(s, day, iv, f"scan:{view.label}") for s, iv in result.atm_iv.items()]
        if points:
            rec.record_iv_history(points, run_id)
        rec.finish_run(
            run_id,
            view.clock.now(),
            json.dumps(
                {
                    "candidates": len(records),
                    "skipped": result.skipped,
                    "vix": result.vix,
                    "vix_regime": result.vix_regime.value,
                }
            ),
        )
    finally:
        rec.close()
    return ScanOutcome(run_id, result, len(records))


# -- the standing account ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Standing:
    run_id: str
    view: MarketView
    account: AccountRuntime
    desk: MultiLegDesk
    journal: Journal
    recorder: StandingRecorder
    created: bool
    start: ReconciliationReport
    reports: list[ReconciliationReport] = field(default_factory=list)

    def close(self) -> None:
        self.recorder.close()
        notifier = self.account.orders.notifier
        if isinstance(notifier, Notifiers):
            notifier.close()


def _account_for(config: OptionPilotConfig, market: Market, name: str | None) -> AccountConfig:
    mine = [a for a in config.accounts if a.market is market]
    if name is not None:
        for a in config.accounts:
            if a.name == name:
                if a.market is not market:
                    raise ConfigError(f"account {name} trades {a.market.value}, the data is {market.value}")
                return a
        raise ConfigError(
            f"no account named {name!r} in the config (have {[a.name for a in config.accounts]})"
        )
    if mine:
        return mine[0]
    cash = config.strategies.desk.standing_cash.get(market)
    if cash is None:
        raise ConfigError(f"strategies.desk.standing_cash has no amount for market {market.value}")
    # An account made for the multi-leg verbs alone: its whole equity is the multileg sleeve.
    sleeves = SleeveConfig(day=Decimal(0), swing=Decimal(0), multileg=Decimal(1))
    return AccountConfig(
        name=f"sim{market.value.lower()}", starting_cash=cash, market=market, sleeves=sleeves
    )


def open_standing(view: MarketView, db: str, account_name: str | None = None) -> Standing:
    config = view.config
    acct = _account_for(config, view.market_code, account_name)
    aid = AccountId(acct.name)
    currency = MARKETS[view.market_code].currency
    run_id = f"standing-{view.market_code.value.lower()}-{acct.name}"
    rec = StandingRecorder(db, DatabaseConfig(url=db))
    created = rec.open_run(
        _info(config, run_id, store.STANDING_MODE, view, [(aid, acct.name, acct.starting_cash, currency)])
    )
    cash = store.ledger_balance(rec.engine, run_id, aid)
    cash = acct.starting_cash if cash is None else cash
    unders = {u.symbol: u for u in view.market.underlyings()}
    since = view.clock.now() - timedelta(days=2)
    positions = store.load_positions(rec.engine, run_id, aid, unders, view.market_code, opened_since=since)
    ids = IdMaker(f"{run_id}-{store.stored_row_count(rec.engine, run_id):06d}")
    broker = StandingSimBroker(
        aid,
        market=view.market,
        clock=view.clock,
        starting_cash=cash,
        config=config.broker,
        multi_leg=acct.multi_leg,
        ids=ids,
    )
    # The broker's own state, kept apart from the engine's tables; the engine reconciles against it.
    state_store = BrokerStateStore(rec.engine, f"{run_id}/{acct.name}")
    state = state_store.load()
    if state is not None:
        broker.restore_state(state)
    elif not created:
        # A database from before the broker kept its own state: it starts from the engine's, once.
        log.warning("standing account %s: no simulated broker state, taken from the database", acct.name)
        broker.restore(leg for p in positions if p.is_open for leg in p.legs.values())
    broker.attach(state_store)
    book = AccountBook(aid, currency, cash, view.clock.now())
    for p in positions:
        book.add_position(p)
    journal = Journal(rec)
    journal.begin(view.clock.now())
    if created:
        journal.current.ledger.append(book.deposit)
    notifier = Notifiers.from_config(config.notify, view.clock)
    gate = PreTradeGate(view.market, config.strategy.risk.pretrade, end_of_day=view.end_of_day)
    orders = OrderManager(aid, broker, book, ids, view.clock, journal, notifier, gate)
    orders.restore(
        store.load_orders(rec.engine, run_id, aid), store.stored_executions(rec.engine, run_id, aid)
    )
    account = AccountRuntime(
        aid, acct.name, view.market_code, currency, acct.starting_cash, broker, book, orders,
        sleeves=acct.sleeves,
    )  # fmt: skip
    stored = SqlControlStore(rec.engine).states([acct.name]).get(acct.name)
    if stored is not None:
        # The operator's halt (or a rule's) holds for the verbs too: `execute` enters nothing until resume.
        account.state, account.state_reason = stored.state, stored.reason
    start = reconcile(book, broker, orders=orders)
    if not start.ok:
        # Fail closed: the account refuses new orders (its incident is stored), the command carries on.
        log.error("standing account %s halted: %s", acct.name, start.summary())
    journal.commit()  # the incidents, and any fill adopted from the broker, are stored now
    desk = MultiLegDesk(
        account, view.market, view.clock, journal, ids, config.strategies, config.strategy.risk
    )
    return Standing(run_id, view, account, desk, journal, rec, created, start)


def settle_orders(st: Standing) -> None:
    """Poll the broker minute by minute for fills, then cancel what is left, and store everything."""
    orders = st.account.orders
    work_then_cancel(
        orders, st.view.clock, st.view.session.close, st.view.config.strategies.desk.fill_wait_minutes
    )
    st.journal.commit()
    st.recorder.flush()
    st.reports.append(reconcile(st.account.book, st.account.broker, orders=orders))
    st.journal.commit()
    st.recorder.flush()


# -- monitor ------------------------------------------------------------------------------------------------


def run_monitor_cycle(st: Standing, *, act: bool) -> list[MonitorRow]:
    st.journal.begin(st.view.clock.now())
    st.account.orders.process_events()
    st.desk.offset_expired()
    rows = st.desk.monitor(act=act)
    settle_orders(st)
    return rows


__all__ = [
    "MarketView",
    "ScanOutcome",
    "Standing",
    "open_market",
    "open_standing",
    "run_monitor_cycle",
    "run_scan",
]
