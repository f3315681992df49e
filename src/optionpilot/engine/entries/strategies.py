"""The second entry source: once a session, scan every underlying, rank strategies, allocate, enter.

Each account allocates what its multi-leg sleeve has room for (see `decisions.budgets`), against the
desk's entry state (the same screen `execute` applies), and the desk sends each planned strategy through
the account's dispatcher (netting, sleeve budget, net Greeks caps), the gate the intraday signals pass.
What the plan left out (the time exit included) is
stored as one rejection per rule (with the count and the first reason), so a run says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from optionpilot.core.clock import Clock
from optionpilot.decisions.budgets import sleeve_room
from optionpilot.decisions.strategies.allocation import allocate
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.domain.recommendations import Rejection
from optionpilot.engine.entries.dispatch import deployed
from optionpilot.engine.journal import Journal
from optionpilot.engine.multileg.config import StrategiesConfig
from optionpilot.engine.multileg.desk import MultiLegDesk
from optionpilot.engine.multileg.scan import scan_market
from optionpilot.ports.market_data import MarketData


class StrategyEntryStage:
    def __init__(
        self,
        *,
        market: MarketData,
        clock: Clock,
        journal: Journal,
        strategies: StrategiesConfig,
        on_candidates: Callable[[Sequence[StrategyCandidate]], None] | None = None,
    ) -> None:
        self.market = market
        self.clock = clock
        self.journal = journal
        self.strategies = strategies
        self.on_candidates = on_candidates
        self.candidates_evaluated = 0
        self.entries_sent = 0

    def run(self, now: datetime, symbols: Sequence[str], desks: Sequence[MultiLegDesk]) -> None:
        flow = self.strategies.flow
        result = scan_market(self.market, self.clock, symbols, self.strategies)
        self.candidates_evaluated += result.evaluated
        records = self.journal.current
        for symbol, why in result.skipped.items():
            records.rejections.append(Rejection(now, "scan", "multileg.scan.data", why, symbol))
        if self.on_candidates is not None:
            self.on_candidates([c for r in result.rankings.values() for c in r.candidates])
        # The allocator screens each against the desk's entry state (time exit on the fill day included).
        ranked = [c for r in result.rankings.values() for c in r.candidates]
        if not ranked:
            return
        for desk in desks:
            account = desk.account
            room = min(flow.max_new_positions, flow.max_open_positions - len(desk.open_positions()))
            if room <= 0:
                continue
            snapshot = account.broker.account()
            positions = account.book.open_positions()
            power = min(
                snapshot.buying_power,
                sleeve_room("multileg", snapshot.equity, deployed(positions, "multileg"), account.sleeves),
            )
            if power <= 0:
                records.rejections.append(
                    Rejection(
                        now, "dispatch", "budget.sleeve",
                        f"the multileg sleeve has no room ({account.sleeves.multileg:.0%} of equity)",
                        "", account.account_id,
                    )
                )  # fmt: skip
                continue
            plan = allocate(
                ranked,
                power,
                self.strategies.allocation,
                vix_regime=result.vix_regime,
                entry=desk.entry_state(),
            )
            left_out: dict[str, list[str]] = {}
            for skipped in plan.skipped:
                left_out.setdefault(skipped.rule, []).append(f"{skipped.candidate_id}: {skipped.reason}")
            for rule, whys in sorted(left_out.items()):
                records.rejections.append(
                    Rejection(now, "allocation", rule, whys[0], "", account.account_id, {"count": len(whys)})
                )
            for p in sorted(plan.positions, key=lambda p: -p.priority)[:room]:
                c = p.candidate
                d = desk.enter(c, p.lots, reason=p.reason)
                if d.ok:
                    self.entries_sent += 1
                else:
                    records.rejections.append(
                        Rejection(now, "entries", d.rule, d.reason, c.underlying, account.account_id)
                    )
