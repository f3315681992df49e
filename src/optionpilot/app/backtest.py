"""Wiring a backtest: simulated clock, market simulator, simulated brokers, recorder and engine."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import timedelta

from optionpilot.adapters.notify.notifier import Notifiers
from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.faults import FaultyBroker
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.engine_wiring import Services, account_runtime, assemble_engine
from optionpilot.app.settings import masked_dump
from optionpilot.core.calendars import MARKETS, Market, Session, calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.alerts import AlertMonitor
from optionpilot.engine.book import AccountBook
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.journal import Journal
from optionpilot.engine.pipeline import FLOWS, Flow, Pipeline
from optionpilot.engine.runner import Runner
from optionpilot.engine.ticker import BacktestTicker
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.broker import Broker
from optionpilot.ports.market_data import MarketData
from optionpilot.ports.recorder import Recorder, RunInfo

_PREFIX = {"backtest": "bt", "sim": "run-sim"}


@dataclass(slots=True)
class Backtest:
    run_id: str
    config: OptionPilotConfig
    clock: SimulatedClock
    market: MarketData
    accounts: list[AccountRuntime]
    pipeline: Pipeline
    runner: Runner
    recorder: Recorder
    ticker: BacktestTicker
    notifier: Notifiers
    health: HealthTracker
    alerts: AlertMonitor


def run_id_for(config: OptionPilotConfig, flows: Collection[Flow] = FLOWS, prefix: str = "bt") -> str:
    """Stable for the same seed, market window, accounts and flows, so reruns are easy to compare."""
    m = config.market
    scenario = f"-{m.scenario.kind}" if m.scenario is not None else ""
    base = f"{prefix}-s{config.run.seed}-{m.end:%Y%m%d}-{m.sessions}d-{len(m.profiles)}u"
    return f"{base}{_flow_suffix(flows)}{scenario}"


def _flow_suffix(flows: Collection[Flow]) -> str:
    """Nothing for both flows (the default); `-main` or `-multileg` for one."""
    return "" if set(flows) == set(FLOWS) else "-" + "-".join(f for f in FLOWS if f in flows)


@dataclass(frozen=True, slots=True)
class MarketSource:
    """Where a backtest's market comes from: the simulator by default, or replayed files.

    `open` gets the backtest's clock and returns the market; `sessions` are the sessions to replay;
    `step_minutes` is how often the engine looks (1 for minute data, a session's length for daily data).
    """

    market: Market
    sessions: list[Session]
    open: Callable[[SimulatedClock], MarketData]
    step_minutes: int = 1
    label: str = "simulator"
    end_of_day: bool = False  # one quote snapshot a session (the pre-trade gate's stale guard reads it)


def simulator_source(config: OptionPilotConfig) -> MarketSource:
    market_cfg = config.market
    sessions = calendar_for(market_cfg.market).sessions_ending(market_cfg.end, market_cfg.sessions)
    return MarketSource(
        market_cfg.market, sessions, lambda clock: SimulatedMarket(market_cfg, clock, config.run.seed)
    )


def build_backtest(
    config: OptionPilotConfig,
    *,
    source: MarketSource | None = None,
    recorder: Recorder | None = None,
    run_id: str | None = None,
    flows: Collection[Flow] = FLOWS,
    mode: str = "backtest",
) -> Backtest:
    """A backtest of `flows` (both by default) on every configured account.

    `mode` names the run: "backtest", or "sim" for `optionpilot run --broker sim` (the same wiring, paced
    and under the operator's controls: `app.run_loop`).

        Minute data is looked at every minute; with the multi-leg flow alone, every `strategies.flow
        .step_minutes` (it needs no minute features). End-of-day data: one look a session, as the source says.
    """
    src = source or simulator_source(config)
    if set(flows) == {"multileg"} and src.step_minutes == 1:
        src = MarketSource(
            src.market, src.sessions, src.open, config.strategies.flow.step_minutes, src.label, src.end_of_day
        )
    for account in config.accounts:
        if account.broker != "sim":
            raise ConfigError(
                f"accounts.{account.name}.broker: a backtest trades only on the simulated broker"
            )
        if account.market is not src.market:
            raise ConfigError(f"accounts.{account.name}.market is {account.market}, the data is {src.market}")
    if not src.sessions:
        raise ConfigError(f"{src.label}: no trading session to replay")
    # A backtest commits 100 ticks per transaction; each tick is still all-or-nothing (see SqlRecorder).
    rec = (
        recorder
        if recorder is not None
        else SqlRecorder(config.run.db, DatabaseConfig(url=config.run.db, ticks_per_transaction=100))
    )
    # The clock starts a minute before the first session's open.
    sessions = src.sessions
    clock = SimulatedClock(sessions[0].open - timedelta(minutes=1))
    currency = MARKETS[src.market].currency
    info = RunInfo(
        run_id=run_id
        or (
            run_id_for(config, flows, _PREFIX.get(mode, mode))
            if source is None
            else f"bt-{src.label}{_flow_suffix(flows)}"
        ),
        mode=mode,
        started_at=clock.now(),
        seed=config.run.seed,
        config_json=json.dumps(masked_dump(config), default=str),
        accounts=[(AccountId(a.name), a.name, a.starting_cash, currency) for a in config.accounts],
    )
    if run_id is None and isinstance(rec, SqlRecorder):
        info = rec.claim_run(info, _candidates(info.run_id))
    rid = info.run_id
    ids = IdMaker(rid)
    market = src.open(clock)
    notifier = Notifiers.from_config(config.notify, clock)
    health = HealthTracker(clock, config.health)
    services = Services(clock, market, Journal(rec), ids, notifier, health, src.end_of_day)
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
        faults = config.broker.faults
        port: Broker = FaultyBroker(broker, faults) if faults.enabled else broker
        book = AccountBook(aid, currency, account.starting_cash, clock.now())
        accounts.append(account_runtime(config, account, broker, book, services, port=port))
    ticker = BacktestTicker(clock, sessions, src.step_minutes)
    engine = assemble_engine(
        config, services, info=info, recorder=rec, accounts=accounts, ticker=ticker, flows=flows, mode=mode
    )
    return Backtest(
        rid, config, clock, market, accounts, engine.pipeline, engine.runner, rec, ticker, notifier, health,
        engine.monitor,
    )  # fmt: skip


def _candidates(base: str) -> Iterator[str]:
    """The base id, then base-2, base-3...: the recorder takes the first no other run holds."""
    yield base
    n = 2
    while True:
        yield f"{base}-{n}"
        n += 1
