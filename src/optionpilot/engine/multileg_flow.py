"""The multileg flow as a pipeline for the runner: a daily scan, allocation and entries; exits every look.

Same runner, order manager, recorder and report as the main flow; only the stages differ. Each session,
at `scan_minute` (or at the one look of end-of-day data) it scans every underlying, allocates the
account's buying power and enters the plan's best strategies (the desk's once-a-day rule applies). At
every look it polls the broker, expires legs the account holds on both sides (`multileg_expiry`) and
manages open strategies; at the close it marks equity. It counts the underlying bars of each look as
bar-events, like the main flow, and hands each scan's ranked candidates to `on_candidates` (the app
stores them) before allocating.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal

from optionpilot.core.clock import Clock
from optionpilot.core.ids import IdMaker
from optionpilot.decisions.strategies.allocation import allocate
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.domain.recommendations import Rejection
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.journal import Journal
from optionpilot.engine.multileg import MultiLegDesk, closes_at_once, fill_day
from optionpilot.engine.multileg_config import StrategiesConfig
from optionpilot.engine.multileg_scan import scan_market
from optionpilot.engine.pipeline import Pipeline
from optionpilot.engine.rules import Rules
from optionpilot.engine.ticker import Tick
from optionpilot.ports.market_data import MarketData


class MultiLegPipeline(Pipeline):
    def __init__(
        self,
        *,
        market: MarketData,
        accounts: Sequence[AccountRuntime],
        journal: Journal,
        ids: IdMaker,
        rules: Rules,
        clock: Clock,
        strategies: StrategiesConfig,
        on_candidates: Callable[[Sequence[StrategyCandidate]], None] | None = None,
    ) -> None:
        super().__init__(market=market, accounts=accounts, journal=journal, ids=ids, rules=rules)
        self.clock = clock
        self.strategies = strategies
        self.desks = [MultiLegDesk(a, market, clock, journal, ids, strategies) for a in self.accounts]
        self.scanned: date | None = None
        self.candidates_evaluated = 0
        self.entries_sent = 0
        self.exit_signals = 0
        self.expired_offsets = 0
        self.on_candidates = on_candidates

    def on_tick(self, tick: Tick) -> None:
        for account in self.accounts:
            self._poll(account)
        for desk in self.desks:
            self.expired_offsets += desk.offset_expired()
        self.bar_events += len(self.market.bars_between(tick.since, tick.now))
        once = tick.is_first and tick.is_last
        trading = once or not tick.is_last
        if trading:
            for desk in self.desks:
                rows = desk.monitor(act=True)
                self.exit_signals += sum(1 for r in rows if r.rule != "multileg_exit.hold")
        due = once or tick.minute_index >= self.strategies.flow.scan_minute
        if trading and due and self.scanned != tick.session.day:
            self.scanned = tick.session.day
            self._scan_and_enter(tick)
        if tick.is_last or tick.minute_index % self.rules.engine.equity_interval_minutes == 0:
            self._mark(tick.now)

    def _scan_and_enter(self, tick: Tick) -> None:
        flow = self.strategies.flow
        result = scan_market(self.market, self.clock, self.symbols, self.strategies)
        self.candidates_evaluated += result.evaluated
        records = self.journal.current
        for symbol, why in result.skipped.items():
            records.rejections.append(Rejection(tick.now, "scan", "multileg.scan.data", why, symbol))
        if self.on_candidates is not None:
            self.on_candidates([c for r in result.rankings.values() for c in r.candidates])
        fills = fill_day(self.market, tick.now)
        ranked = [
            c
            for r in result.rankings.values()
            for c in r.candidates
            if not closes_at_once(c, self.strategies.exits, fills)
        ]
        if not ranked:
            return
        for desk in self.desks:
            account = desk.account
            open_now = len(desk.open_positions())
            room = min(flow.max_new_positions, flow.max_open_positions - open_now)
            if room <= 0:
                continue
            power = account.broker.account().buying_power * Decimal(repr(flow.capital_share))
            if power <= 0:
                continue
            plan = allocate(
                ranked,
                power,
                self.strategies.allocation,
                vix_regime=result.vix_regime,
                entry=desk.entry_state(),
            )
            for p in sorted(plan.positions, key=lambda p: -p.priority)[:room]:
                d = desk.enter(p.candidate, p.lots, reason=p.reason)
                if d.ok:
                    self.entries_sent += 1
                else:
                    records.rejections.append(
                        Rejection(
                            tick.now, "entries", d.rule, d.reason, p.candidate.underlying, account.account_id
                        )
                    )

    def finish(self, now: datetime) -> None:
        super().finish(now)
        for desk in self.desks:
            self.expired_offsets += desk.offset_expired()
