"""Wiring a backtest: simulated clock, market simulator, simulated brokers, recorder and engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import masked_dump
from optionpilot.core.calendars import MARKETS, calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.order_manager import OrderManager
from optionpilot.engine.pipeline import Pipeline
from optionpilot.engine.rules import Rules
from optionpilot.engine.runner import Runner
from optionpilot.engine.ticker import BacktestTicker
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.read_models import ReadModels
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.recorder import Recorder, RunInfo


@dataclass(slots=True)
class Backtest:
    run_id: str
    config: OptionPilotConfig
    clock: SimulatedClock
    market: SimulatedMarket
    accounts: list[AccountRuntime]
    pipeline: Pipeline
    runner: Runner
    recorder: Recorder
    ticker: BacktestTicker


def rules_from(config: OptionPilotConfig) -> Rules:
    s = config.strategy
    return Rules(
        engine=config.engine,
        features=s.features,
        sentiment=s.sentiment,
        iv=s.iv,
        watchlist=s.watchlist,
        signals=s.signals,
        tiers=s.tiers,
        sizing=s.sizing,
        kelly=s.kelly,
        liquidity=s.liquidity,
        selection=s.selection,
        risk=s.risk,
        exits=s.exits,
    )


def run_id_for(config: OptionPilotConfig) -> str:
    """Stable for the same seed, market window and accounts, so reruns are easy to compare."""
    m = config.market
    return f"bt-s{config.run.seed}-{m.end:%Y%m%d}-{m.sessions}d-{len(m.profiles)}u"


def build_backtest(
    config: OptionPilotConfig, *, recorder: Recorder | None = None, run_id: str | None = None
) -> Backtest:
    market_cfg = config.market
    for account in config.accounts:
        if account.broker != "sim":
            raise ConfigError(
                f"accounts.{account.name}.broker: a backtest trades only on the simulated broker"
            )
        if account.market is not market_cfg.market:
            raise ConfigError(
                f"accounts.{account.name}.market is {account.market}, "
                f"the simulated market is {market_cfg.market}"
            )
    # A backtest commits 100 ticks per transaction; each tick is still all-or-nothing (see SqlRecorder).
    rec = (
        recorder
        if recorder is not None
        else SqlRecorder(config.run.db, DatabaseConfig(url=config.run.db, ticks_per_transaction=100))
    )
    rid = run_id or _unique(run_id_for(config), rec)
    ids = IdMaker(rid)
    # The clock starts a minute before the first session's open.
    calendar = calendar_for(market_cfg.market)
    sessions = calendar.sessions_ending(market_cfg.end, market_cfg.sessions)
    start = sessions[0].open - timedelta(minutes=1)
    clock = SimulatedClock(start)
    market = SimulatedMarket(market_cfg, clock, config.run.seed)
    # A backtest commits 100 ticks per transaction; each tick is still all-or-nothing (see SqlRecorder).
    rec = (
        recorder
        if recorder is not None
        else SqlRecorder(config.run.db, DatabaseConfig(url=config.run.db, ticks_per_transaction=100))
    )
    journal = Journal(rec)
    currency = MARKETS[market_cfg.market].currency
    accounts: list[AccountRuntime] = []
    for account in config.accounts:
        aid = AccountId(account.name)
        broker = SimulatedBroker(
            aid,
            market=market,
            clock=clock,
            starting_cash=account.starting_cash,
            config=config.broker,
            multi_leg=account.multi_leg,
            ids=ids,
        )
        book = AccountBook(aid, currency, account.starting_cash, clock.now())
        orders = OrderManager(aid, broker, book, ids, clock, journal)
        accounts.append(
            AccountRuntime(
                aid, account.name, account.market, currency, account.starting_cash, broker, book, orders
            )
        )
    pipeline = Pipeline(market=market, accounts=accounts, journal=journal, ids=ids, rules=rules_from(config))
    ticker = BacktestTicker(clock, sessions)
    info = RunInfo(
        run_id=rid,
        mode="backtest",
        started_at=clock.now(),
        seed=config.run.seed,
        config_json=json.dumps(masked_dump(config), default=str),
        accounts=[(a.account_id, a.name, a.starting_cash, a.currency) for a in accounts],
    )
    runner = Runner(
        info=info,
        clock=clock,
        ticker=ticker,
        accounts=accounts,
        pipeline=pipeline,
        journal=journal,
        recorder=rec,
    )
    return Backtest(rid, config, clock, market, accounts, pipeline, runner, rec, ticker)


def _unique(base: str, recorder: Recorder) -> str:
    """The base id, or base-2, base-3... when earlier runs of the same setup are in the database."""
    if not isinstance(recorder, SqlRecorder):
        return base
    taken = {r.run_id for r in ReadModels(recorder.engine).runs()}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
