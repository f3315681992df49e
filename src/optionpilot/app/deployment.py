"""scan -> allocate -> execute on one market, measured: planned, sent and filled, and what was left out.

The three verbs run as the CLI runs them (a fresh database, the standing simulated account), so the figures
are the workflow's own. Capital is counted at the plan's figures: a planned position is `sent` when the desk
sent its entry at the planned lots, `filled` for the lots the broker filled before `execute` ended. On an
end-of-day store the verbs look at the close of its last session: an entry sent then can fill only on the
next session's quotes, which the store does not hold, so nothing fills there and `sent` is the measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.multileg import open_market, run_scan
from optionpilot.app.multileg_plan import ExecutedRow, run_allocate, run_execute
from optionpilot.app.replay import ensure_store
from optionpilot.core.calendars import Market
from optionpilot.core.money import ZERO
from optionpilot.decisions.strategies.allocation import AllocationPlan


@dataclass(frozen=True, slots=True)
class LeftOut:
    candidate_id: str
    symbol: str
    strategy: str
    stage: str  # allocate | execute
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Deployment:
    label: str
    capital: Decimal
    plan: AllocationPlan
    rows: tuple[ExecutedRow, ...]
    intraday: bool  # False: an end-of-day store, where nothing can fill (see the module)

    @property
    def planned(self) -> Decimal:
        return self.plan.deployed

    @property
    def sent(self) -> Decimal:
        return sum((r.planned_capital or ZERO for r in self.rows if r.sent), start=ZERO)

    @property
    def filled(self) -> Decimal:
        return sum(
            ((r.planned_capital or ZERO) * r.filled_lots / r.lots for r in self.rows if r.lots), start=ZERO
        )

    @property
    def entered(self) -> Decimal:
        """Filled where the market can fill within the verb, sent on an end-of-day store."""
        return self.filled if self.intraday else self.sent

    @property
    def ratio(self) -> float:
        return float(self.entered / self.planned) if self.planned > 0 else 0.0

    def left_out(self) -> list[LeftOut]:
        """Every candidate the plan left out, and every planned one `execute` did not fully enter."""
        out = [
            LeftOut(s.candidate_id, s.underlying, s.strategy, "allocate", s.rule, s.reason)
            for s in self.plan.skipped
        ]
        for r in self.rows:
            short = not r.sent if not self.intraday else r.filled_lots < r.lots
            if short:
                out.append(LeftOut(r.candidate_id, r.underlying, r.strategy, "execute", r.rule, r.reason))
        return out


def measure(
    config: OptionPilotConfig,
    db: str,
    capital: Decimal,
    *,
    data: Path | None = None,
    market: Market | None = None,
    work: Path | None = None,
) -> Deployment:
    """Run scan, allocate and execute against `db` (a fresh database) and measure the deployment.

    `data`: raw files or a store (raw files are imported into `work`); else the simulator of `market`.
    """
    store = None if data is None else ensure_store(data, work or Path(config.run.out))
    view = open_market(config, data=store, market=market)
    run_scan(view, db)
    plan = run_allocate(view, db, capital).plan
    view = open_market(config, data=store, market=market)  # execute opens its own view, as the CLI does
    rows, _ = run_execute(view, db)
    intraday = data is None or view.session.close > view.clock.now()
    return Deployment(view.label, capital, plan, tuple(rows), intraday)
