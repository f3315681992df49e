"""The flow of DESIGN.md, one tick at a time: fills, bars and news, exits, entries, marks.

One pipeline runs both ways of trading on the same accounts (`flows`):
- "main": news, sentiment, features, the watchlist and signals, entries at each watchlist look, the
  single-leg and stock exits every minute;
- "multileg": once a session at `strategies.flow.scan_minute` the scan, allocation and entries of
  multi-leg strategies (`StrategyEntryStage`); every `strategies.flow.step_minutes` the desk manages them.
Both send entries through the account's dispatcher (sleeves, limits, netting), orders through its one
order manager, and mark equity from one book.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from optionpilot.core.clock import Clock
from optionpilot.core.ids import IdMaker
from optionpilot.core.money import ZERO
from optionpilot.decisions.breaker import TradingState, account_loss_state, daily_loss_state
from optionpilot.decisions.kelly import ClosedTrade
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.domain.market import NewsItem
from optionpilot.domain.positions import PositionEventKind
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.controls.operator import OperatorControls
from optionpilot.engine.controls.state import change_state
from optionpilot.engine.entries.dispatch import sleeve_of
from optionpilot.engine.entries.signals import EntryStage
from optionpilot.engine.entries.strategies import StrategyEntryStage
from optionpilot.engine.exits.stage import ExitStage
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.journal import Journal
from optionpilot.engine.marks import Marker, exposure
from optionpilot.engine.multileg.config import StrategiesConfig
from optionpilot.engine.multileg.desk import MultiLegDesk
from optionpilot.engine.rules import Rules
from optionpilot.engine.ticker import Tick
from optionpilot.ports.market_data import MarketData
from optionpilot.ports.news import NewsSource
from optionpilot.ports.recorder import EquityPoint, FeatureSnapshot, ScoredNews, TradeHistory
from optionpilot.ports.sentiment import SentimentScore
from optionpilot.signals.classifier import HeadlineSentimentModel
from optionpilot.signals.daily_trend import daily_trend
from optionpilot.signals.features import Features, FeatureTracker
from optionpilot.signals.iv import iv_percentile, iv_rank
from optionpilot.signals.sentiment import LexiconSentimentModel, SentimentBook

Flow = Literal["main", "multileg"]
FLOWS: tuple[Flow, ...] = ("main", "multileg")
MAIN_ONLY: tuple[Flow, ...] = ("main",)


class Pipeline:
    def __init__(
        self,
        *,
        market: MarketData,
        accounts: Sequence[AccountRuntime],
        journal: Journal,
        ids: IdMaker,
        rules: Rules,
        sentiment_model: HeadlineSentimentModel | None = None,
        news_sources: Sequence[NewsSource] = (),
        history: TradeHistory | None = None,
        run_id: str = "",
        mode: str = "backtest",
        flows: Collection[Flow] = MAIN_ONLY,
        clock: Clock | None = None,
        strategies: StrategiesConfig | None = None,
        on_candidates: Callable[[Sequence[StrategyCandidate]], None] | None = None,
        health: HealthTracker | None = None,
    ) -> None:
        self.market = market
        self.accounts = list(accounts)
        self.journal = journal
        self.rules = rules
        self.trackers: dict[str, FeatureTracker] = {}
        self.sentiment = SentimentBook(rules.sentiment)
        self.model = sentiment_model or LexiconSentimentModel()
        self.news_sources = list(news_sources)
        self.marker = Marker(market)
        self.strategies = strategies or StrategiesConfig()
        self.exits = ExitStage(market, self.marker, rules, self.strategies.exits)
        self.entries = EntryStage(market, self.marker, rules, ids)
        self.symbols = [u.symbol for u in market.underlyings()]
        self.iv_rank: dict[str, float | None] = {}
        self.iv_percentile: dict[str, float | None] = {}
        self.atm_iv: dict[str, float] = {}
        self.daily_trend: dict[str, int] = {}
        self.bar_events = 0
        self.news_items = 0
        self.history = history
        self.health = health  # told the session and when market data arrives
        self.run_id = run_id
        self.mode = mode
        self._history_loaded = False
        self._kelly_rows: dict[tuple[str, str], int] = {}  # (account, position) -> index in closed_trades
        self.flows = frozenset(flows)
        # The operator's controls (kill, resume, close, stored states) where a run has them (`run`).
        self.controls: OperatorControls | None = None
        unknown = self.flows - set(FLOWS)
        if not self.flows or unknown:
            raise ValueError(f"flows {sorted(flows)}: choose from {list(FLOWS)}")
        self.desks: list[MultiLegDesk] = []
        self.strategy_entries: StrategyEntryStage | None = None
        self.scanned: date | None = None
        if "multileg" in self.flows:
            if clock is None:
                raise ValueError("the multileg flow needs the clock")
            self.desks = [
                MultiLegDesk(a, market, clock, journal, ids, self.strategies, rules.risk)
                for a in self.accounts
            ]
            self.strategy_entries = StrategyEntryStage(
                market=market,
                clock=clock,
                journal=journal,
                strategies=self.strategies,
                on_candidates=on_candidates,
            )

    @property
    def entries_sent(self) -> int:
        return self.strategy_entries.entries_sent if self.strategy_entries is not None else 0

    @property
    def candidates_evaluated(self) -> int:
        return self.strategy_entries.candidates_evaluated if self.strategy_entries is not None else 0

    # -- the tick -----------------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> None:
        if not self._history_loaded:
            self._load_history(tick.now)
            if self.controls is not None:
                # Before the day opens: a REDUCING kept from an earlier session is lifted by `_open_day`.
                self.controls.load(tick.now)
        if self.health is not None:
            self.health.enter_session(tick.session)
        for account in self.accounts:
            self._poll(account)
            self._expire_entries(tick, account)
        for desk in self.desks:
            desk.offset_expired()
        if tick.is_first:
            self._open_day(tick.now)
        if self.controls is not None:
            self.controls.on_tick(tick.now)
        main = "main" in self.flows
        if main:
            if tick.is_first:
                self._session_start(tick)
            self._ingest(tick)
        else:
            self._data_seen(tick, len(self.market.bars_between(tick.since, tick.now)))
        latest = self._latest_features()
        multileg_due = self._multileg_due(tick)
        if main or multileg_due:
            for account in self.accounts:
                self.exits.run(tick, account, latest, multileg_due=multileg_due)
        if multileg_due:
            self._scan_and_enter(tick)
        if main and self._may_enter(tick):
            sentiments = {s: self.sentiment.get(s, tick.now) for s in self.symbols}
            self.entries.run(tick, self.accounts, latest, sentiments, self.atm_iv, self.journal.current)
        if tick.is_last or tick.minute_index % self.rules.engine.equity_interval_minutes == 0:
            self._mark(tick.now)
            self.journal.current.features.extend(
                FeatureSnapshot(tick.now, symbol, f.as_dict()) for symbol, f in latest.items() if f.ready
            )

    def _multileg_due(self, tick: Tick) -> bool:
        """The multileg flow looks every `step_minutes` while the session trades (not at the close)."""
        if self.strategy_entries is None:
            return False
        if tick.is_first and tick.is_last:
            return True  # end-of-day data: one look, at the close
        # Due when a multiple of the step was reached since the last tick: a live ticker that fell behind
        # skips minutes, and must not skip the look with them (in a backtest this is minute % step == 0).
        step = self.strategies.flow.step_minutes
        before = int((tick.since - tick.session.open).total_seconds() // 60)
        return not tick.is_last and tick.minute_index // step > before // step

    def _scan_and_enter(self, tick: Tick) -> None:
        """Once a session, from `scan_minute` on (or at the one look of end-of-day data)."""
        once = tick.is_first and tick.is_last
        due = once or tick.minute_index >= self.strategies.flow.scan_minute
        if self.strategy_entries is not None and due and self.scanned != tick.session.day:
            self.scanned = tick.session.day
            self.strategy_entries.run(tick.now, self.symbols, self.desks)

    def finish(self, now: datetime) -> None:
        """After the last tick: collect what the brokers still report (fills, expiries); mark again if any."""
        records = self.journal.current
        before = (len(records.fills), len(records.settlements))
        for account in self.accounts:
            self._poll(account)
        for desk in self.desks:
            desk.offset_expired()
        if (len(records.fills), len(records.settlements)) != before:
            self._mark(now)

    def _load_history(self, now: datetime) -> None:
        """Kelly's memory is the account's stored trades, so a restart does not reset it (issue 12);
        from here on the closes of this run are added as they happen."""
        self._history_loaded = True
        if self.history is None:
            return
        since = now - timedelta(days=self.rules.kelly.lookback_days)
        for account in self.accounts:
            stored = self.history.closed_option_trades(
                account.account_id, since, now, mode=self.mode, run_id=self.run_id
            )
            account.closed_trades[:0] = [ClosedTrade(t.closed_at, t.pnl, t.cost) for t in stored]

    def _poll(self, account: AccountRuntime) -> None:
        records = self.journal.current
        before = len(records.position_events)
        account.orders.process_events()
        for event in records.position_events[before:]:
            if event.account_id == account.account_id and event.kind in (
                PositionEventKind.CLOSED,
                PositionEventKind.EXERCISED,
                PositionEventKind.EXPIRED,
                PositionEventKind.ASSIGNED,
            ):
                position = account.book.positions[event.position_id]
                # Kelly sizes the intraday flow's option premium, so only its option trades feed it.
                if (
                    position.closed_at is not None
                    and position.entry_cost > 0
                    and position.option_legs()
                    and sleeve_of(position) != "multileg"
                ):
                    trade = ClosedTrade(
                        position.closed_at, position.realized_pnl - position.fees, position.entry_cost
                    )
                    # A roll flattens the position for a moment and it closes again later: one trade,
                    # counted once with its final P&L, as the database holds it.
                    key = (account.account_id, position.position_id)
                    at = self._kelly_rows.get(key)
                    if at is None:
                        self._kelly_rows[key] = len(account.closed_trades)
                        account.closed_trades.append(trade)
                    else:
                        account.closed_trades[at] = trade
                if (
                    event.kind in (PositionEventKind.EXERCISED, PositionEventKind.ASSIGNED)
                    and not position.is_flat
                ):
                    position.meta["delivered"] = "1"

    def _expire_entries(self, tick: Tick, account: AccountRuntime) -> None:
        """An entry limit the market ran away from is stale: cancel it rather than chase or fill late."""
        ttl = self.rules.engine.entry_order_ttl_minutes
        for order in account.orders.open_orders():
            if order.purpose != "entry" or order.parent_id is not None:
                continue
            age = (tick.now - order.created_at).total_seconds() / 60
            if age >= ttl and order.status.value != "pending_cancel":
                account.orders.cancel(
                    order.client_order_id, f"entry limit {order.limit_price} not filled within {ttl} min"
                )

    def _session_start(self, tick: Tick) -> None:
        day = tick.session.day
        for symbol in self.symbols:
            ratio = self.market.split_ratio(symbol, day)
            tracker = self.trackers.get(symbol)
            if ratio != 1.0 and tracker is not None:
                tracker.rescale(ratio)
            trend_cfg = self.rules.signals.daily_trend
            # Completed sessions before today only: the trend a swing follows is known at the open.
            daily = self.market.daily_history(symbol, day, trend_cfg.sessions_needed)
            self.daily_trend[symbol] = daily_trend(daily.close, trend_cfg)
            history = self.market.atm_iv_history(symbol, day, self.rules.iv.lookback_sessions + 1)
            if history.size == 0 or not math.isfinite(float(history[-1])):
                self.iv_rank[symbol] = None
                self.iv_percentile[symbol] = None
                continue
            current = float(history[-1])
            self.atm_iv[symbol] = current
            self.iv_rank[symbol] = iv_rank(current, history[:-1], self.rules.iv)
            self.iv_percentile[symbol] = iv_percentile(current, history[:-1], self.rules.iv)

    def _ingest(self, tick: Tick) -> None:
        bars = self.market.bars_between(tick.since, tick.now)
        self._data_seen(tick, len(bars))
        for bar in bars:
            tracker = self.trackers.get(bar.symbol)
            if tracker is None:
                tracker = self.trackers[bar.symbol] = FeatureTracker(bar.symbol, self.rules.features)
            tracker.update(
                bar,
                asof=tick.now,
                iv_rank=self.iv_rank.get(bar.symbol),
                iv_percentile=self.iv_percentile.get(bar.symbol),
                daily_trend=self.daily_trend.get(bar.symbol, 0),
            )
        news = list(self.market.news_between(tick.since, tick.now))
        for source in self.news_sources:
            news.extend(source.fetch(tick.since, tick.now))
        if not news:
            return
        if self.news_sources:
            # The same story can come from the market's stream and a file or feed: keep its first copy.
            unique: dict[str, NewsItem] = {}
            for item in sorted(news, key=lambda n: n.ts):
                unique.setdefault(item.id, item)
            news = list(unique.values())
        scores = self.model.score([n.headline for n in news])
        for item, s in zip(news, scores, strict=True):
            self.sentiment.add(item.ts, item.tickers, s)
            self.journal.current.news.append(
                ScoredNews(item, SentimentScore(s.label, s.score, s.confidence, s.model))
            )
        self.news_items += len(news)

    def _data_seen(self, tick: Tick, bars: int) -> None:
        self.bar_events += bars
        if bars and self.health is not None:
            self.health.data_seen(tick.now)

    def _latest_features(self) -> dict[str, Features]:
        out: dict[str, Features] = {}
        for symbol, tracker in self.trackers.items():
            if tracker.last is not None:
                out[symbol] = tracker.last
        return out

    def _may_enter(self, tick: Tick) -> bool:
        cfg = self.rules.engine
        if tick.is_first and tick.is_last:
            # One look per session (end-of-day data): decide at the close, fill on the next quote.
            return True
        minutes_left = (tick.session.close - tick.now).total_seconds() / 60
        return (
            tick.minute_index % cfg.watchlist_interval_minutes == 0
            and tick.minute_index >= cfg.warmup_minutes
            and minutes_left >= cfg.entry_cutoff_minutes
        )

    def _open_day(self, now: datetime) -> None:
        """The day's loss is measured from here; a REDUCING the breaker set yesterday is lifted."""
        for account in self.accounts:
            positions = account.book.open_positions()
            account.day_start_equity = account.book.equity(self.marker.marks(positions))
            if account.state is TradingState.REDUCING:
                self._set_state(
                    account, TradingState.ACTIVE, "a new session: the daily loss limit is reset", now
                )

    def _breaker(self, account: AccountRuntime, equity: Decimal, now: datetime) -> None:
        if account.day_start_equity is None:
            return
        risk = self.rules.risk
        d = daily_loss_state(
            account.day_start_equity,
            equity,
            account.state,
            max_loss_pct=risk.daily_max_loss_pct,
            halt_loss_pct=risk.daily_halt_loss_pct,
        )
        if d.value is not None and d.value is not account.state:
            self._set_state(account, d.value, f"{d.rule}: {d.reason}", now)
        if risk.max_account_loss_pct is not None and account.state is not TradingState.HALTED:
            total = account_loss_state(
                account.starting_cash, equity, account.state, max_loss_pct=risk.max_account_loss_pct
            )
            if total.value is TradingState.HALTED:
                self._set_state(account, total.value, f"{total.rule}: {total.reason}", now)

    def _set_state(self, account: AccountRuntime, state: TradingState, reason: str, now: datetime) -> None:
        listener = self.controls.persist if self.controls is not None else None
        change_state(account, state, reason, now, listener=listener)

    def _mark(self, now: datetime) -> None:
        for account in self.accounts:
            positions = account.book.open_positions()
            marks = self.marker.marks(positions)
            greeks = self.marker.greeks(positions, marks, now)
            equity = account.book.equity(marks)
            self._breaker(account, equity, now)
            self.journal.current.equity.append(
                EquityPoint(
                    account_id=account.account_id,
                    ts=now,
                    cash=account.book.cash,
                    equity=equity,
                    delta=greeks.delta,
                    gamma=greeks.gamma,
                    vega=greeks.vega,
                    theta=greeks.theta,
                    exposure=exposure(positions, marks) if positions else ZERO,
                )
            )
