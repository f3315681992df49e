"""The engine's wiring shared by every mode: an account's runtime, then pipeline, alert monitor and runner.

`build_backtest` (the simulator, replayed files, `run --broker sim`) and `build_live_run` (a broker's
paper or live account) both assemble the engine here, so no rule is wired twice: they differ only in the
clock, the market data, the broker and the ticker they hand in.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from optionpilot.adapters.news.config import MergeConfig, TaggingConfig
from optionpilot.adapters.news.merged import MergedNewsSource
from optionpilot.adapters.news.news_file import NewsFileSource
from optionpilot.adapters.notify.notifier import Notifiers
from optionpilot.app.config import AccountConfig, OptionPilotConfig
from optionpilot.core.clock import Clock
from optionpilot.core.ids import IdMaker
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.alerts import AlertMonitor
from optionpilot.engine.book import AccountBook
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.gate import PreTradeGate
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.engine.pipeline import Flow, Pipeline
from optionpilot.engine.rules import Rules
from optionpilot.engine.runner import Runner
from optionpilot.engine.ticker import Ticker
from optionpilot.persistence.candidate_codec import candidate_record
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.persistence.trade_history import SqlTradeHistory
from optionpilot.ports.broker import Broker
from optionpilot.ports.market_data import MarketData
from optionpilot.ports.news import NewsSource
from optionpilot.ports.recorder import Recorder, RunInfo
from optionpilot.signals.classifier import load_sentiment_model


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


@dataclass(frozen=True, slots=True)
class Services:
    """What every account and stage of one run shares."""

    clock: Clock
    market: MarketData
    journal: Journal
    ids: IdMaker
    notifier: Notifiers
    health: HealthTracker
    end_of_day: bool = False  # one quote snapshot a session (the pre-trade gate's stale guard reads it)


def account_runtime(
    config: OptionPilotConfig,
    account: AccountConfig,
    broker: Broker,
    book: AccountBook,
    s: Services,
    *,
    port: Broker | None = None,
) -> AccountRuntime:
    """One account on its broker: the pre-trade gate and the order manager in front of it.

    `port`: what orders go through when it is not the broker itself (the simulator's fault wrapper);
    reconciliation still asks the broker.
    """
    gate = PreTradeGate(s.market, config.strategy.risk.pretrade, end_of_day=s.end_of_day)
    orders = OrderManager(book.account_id, port or broker, book, s.ids, s.clock, s.journal, s.notifier, gate)
    runtime = AccountRuntime(
        book.account_id,
        account.name,
        account.market,
        book.currency,
        account.starting_cash,
        broker,
        book,
        orders,
        allow_short_stock=account.allow_short_stock,
        sleeves=account.sleeves,
        health=s.health,
    )
    s.health.watch_broker(book.account_id, _last_heard(orders))
    return runtime


@dataclass(frozen=True, slots=True)
class Engine:
    pipeline: Pipeline
    monitor: AlertMonitor
    runner: Runner


def assemble_engine(
    config: OptionPilotConfig,
    s: Services,
    *,
    info: RunInfo,
    recorder: Recorder,
    accounts: Sequence[AccountRuntime],
    ticker: Ticker,
    flows: Collection[Flow],
    mode: str,
    resumed: bool = False,
) -> Engine:
    """The pipeline over `accounts`, its alert monitor, and the runner that drives it from `ticker`.

    `resumed`: the run was opened by an earlier process (a broker account's run lives across restarts).
    """
    pipeline = Pipeline(
        market=s.market,
        accounts=list(accounts),
        journal=s.journal,
        ids=s.ids,
        rules=rules_from(config),
        news_sources=_news_sources(config, s.clock, s.market),
        sentiment_model=load_sentiment_model(
            config.strategy.sentiment.model, config.strategy.sentiment.model_path
        ),
        history=SqlTradeHistory(recorder.engine) if isinstance(recorder, SqlRecorder) else None,
        run_id=info.run_id,
        mode=mode,
        flows=flows,
        clock=s.clock,
        strategies=config.strategies,
        on_candidates=_candidate_store(recorder),
        health=s.health,
    )
    monitor = AlertMonitor(
        clock=s.clock,
        config=config.alerts,
        journal=s.journal,
        accounts=list(accounts),
        notifier=s.notifier,
        health=s.health,
    )
    runner = Runner(
        info=info,
        clock=s.clock,
        ticker=ticker,
        accounts=accounts,
        pipeline=pipeline,
        journal=s.journal,
        recorder=recorder,
        monitor=monitor,
        resumed=resumed,
    )
    return Engine(pipeline, monitor, runner)


def _last_heard(orders: OrderManager) -> Callable[[], datetime | None]:
    return lambda: orders.last_heard


def _candidate_store(rec: Recorder) -> Callable[[Sequence[StrategyCandidate]], None] | None:
    """Each scan's ranked candidates go to the database, so a run answers "why this strategy"."""
    if not isinstance(rec, SqlRecorder):
        return None

    def store(candidates: Sequence[StrategyCandidate]) -> None:
        if candidates:
            rec.record_candidates([candidate_record(c) for c in candidates])

    return store


def _news_sources(config: OptionPilotConfig, clock: Clock, market: MarketData) -> list[NewsSource]:
    if config.run.news is None:
        return []
    universe = tuple(u.symbol for u in market.underlyings())
    merged = MergedNewsSource(
        [("file", NewsFileSource.open(config.run.news, clock))],
        MergeConfig(tagging=TaggingConfig(universe=universe)),
    )
    return [merged]
