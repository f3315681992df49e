"""Read models for the report, the CLI and the web page: plain frozen rows, money as Decimal.

Money is summed here in Python, not in SQL, because SQLite keeps it as text and would sum it as floats.
The seeds' three analytical views (`performance_by_strategy`, `daily_summary`, `active_option_positions`)
live in `persistence.views`; the rows in `persistence.read_rows`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.domain.positions import PositionStatus
from optionpilot.persistence import tables as t
from optionpilot.persistence import views
from optionpilot.persistence.database import DatabaseConfig, create_engine
from optionpilot.persistence.explain import PositionExplanation, explain_position
from optionpilot.persistence.read_rows import (
    AccountRow,
    ClosedTrade,
    EquityRow,
    GreeksRow,
    RejectionCount,
    RunRow,
    StateChangeRow,
    TradeFills,
)
from optionpilot.persistence.views import ActiveOptionPosition, DailySummary, StrategyPerformance

__all__ = [
    "AccountRow",
    "ActiveOptionPosition",
    "ClosedTrade",
    "DailySummary",
    "EquityRow",
    "GreeksRow",
    "ReadModels",
    "RejectionCount",
    "RunRow",
    "StrategyPerformance",
    "TradeFills",
]


class ReadModels:
    """Queries over one database; every method is scoped to one run."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, config: DatabaseConfig | None = None) -> ReadModels:
        """Open `url` (errors as PersistenceError naming the masked URL); the schema must be migrated."""
        return cls(create_engine(url, config))

    def explain_position(self, run_id: str, position_id: str) -> PositionExplanation | None:
        return explain_position(self.engine, run_id, position_id)

    def runs(self) -> list[RunRow]:
        q = sa.select(t.runs).order_by(t.runs.c.started_at, t.runs.c.run_id)
        with self.engine.connect() as conn:
            return [RunRow(**row._mapping) for row in conn.execute(q)]

    def accounts(self, run_id: str) -> list[AccountRow]:
        a = t.accounts.c
        q = sa.select(a.account_id, a.name, a.starting_cash, a.currency).where(a.run_id == run_id)
        with self.engine.connect() as conn:
            return [AccountRow(**row._mapping) for row in conn.execute(q.order_by(a.account_id))]

    def equity_curve(self, run_id: str, account_id: str) -> list[EquityRow]:
        e = t.equity_points.c
        q = (
            sa.select(e.ts, e.cash, e.equity, e.exposure)
            .where(e.run_id == run_id, e.account_id == account_id)
            .order_by(e.ts, e.id)
        )
        out: list[EquityRow] = []
        peak: Decimal | None = None
        with self.engine.connect() as conn:
            for ts, cash, equity, exposure in conn.execute(q):
                peak = equity if peak is None or equity > peak else peak
                dd = equity - peak
                out.append(EquityRow(ts, cash, equity, exposure, dd, float(dd / peak) if peak > 0 else 0.0))
        return out

    def greeks_over_time(self, run_id: str, account_id: str) -> list[GreeksRow]:
        e = t.equity_points.c
        q = (
            sa.select(e.ts, e.delta, e.gamma, e.vega, e.theta)
            .where(e.run_id == run_id, e.account_id == account_id)
            .order_by(e.ts, e.id)
        )
        with self.engine.connect() as conn:
            return [GreeksRow(*row) for row in conn.execute(q)]

    def closed_trades(self, run_id: str, account_id: str | None = None) -> list[ClosedTrade]:
        p = t.positions.c
        q = sa.select(
            p.position_id,
            p.account_id,
            p.underlying,
            p.strategy_type,
            p.opened_at,
            p.closed_at,
            p.entry_reason,
            p.exit_reason,
            p.entry_cost,
            p.realized_pnl,
            p.fees,
        ).where(p.run_id == run_id, p.status == PositionStatus.CLOSED.value)
        if account_id is not None:
            q = q.where(p.account_id == account_id)
        out: list[ClosedTrade] = []
        with self.engine.connect() as conn:
            for row in conn.execute(q.order_by(p.closed_at, p.position_id)):
                m = row._mapping
                net = m["realized_pnl"] - m["fees"]
                cost = abs(m["entry_cost"])
                closed_at = m["closed_at"] or m["opened_at"]
                out.append(
                    ClosedTrade(
                        **{k: m[k] for k in m if k != "closed_at"},
                        closed_at=closed_at,
                        net_pnl=net,
                        return_pct=float(net / cost) if cost > 0 else None,
                    )
                )
        return out

    def trade_fills(self, run_id: str, account_id: str | None = None) -> dict[str, TradeFills]:
        """Per position: contracts (or shares) opened and closed, and their average prices."""
        f, o = t.fills.c, t.orders.c
        q = (
            sa.select(o.position_id, f.effect, f.quantity, f.price)
            .select_from(t.fills.join(t.orders, f.client_order_id == o.client_order_id))
            .where(f.run_id == run_id, o.position_id.is_not(None))
        )
        if account_id is not None:
            q = q.where(f.account_id == account_id)
        sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
        with self.engine.connect() as conn:
            for pid, effect, qty, price in conn.execute(q):
                acc = sums[pid]
                base = 0 if effect == "open" else 2
                acc[base] += qty
                acc[base + 1] += price * qty
        out: dict[str, TradeFills] = {}
        for pid, (oq, ov, cq, cv) in sums.items():
            out[pid] = TradeFills(
                pid,
                int(oq),
                (ov / oq).quantize(Decimal("0.0001")) if oq else None,
                int(cq),
                (cv / cq).quantize(Decimal("0.0001")) if cq else None,
            )
        return out

    def feature_history(self, run_id: str, symbol: str) -> list[tuple[datetime, dict[str, float]]]:
        """The features the signal stage saw for `symbol`, in time order."""
        f = t.features.c
        q = sa.select(f.ts, f["values"]).where(f.run_id == run_id, f.symbol == symbol).order_by(f.ts)
        with self.engine.connect() as conn:
            return [(ts, dict(values)) for ts, values in conn.execute(q)]

    def open_position_count(self, run_id: str, account_id: str | None = None) -> int:
        """Positions not closed when the run ended (opening, open or closing)."""
        p = t.positions.c
        q = sa.select(sa.func.count()).where(p.run_id == run_id, p.status != PositionStatus.CLOSED.value)
        if account_id is not None:
            q = q.where(p.account_id == account_id)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def rejection_counts(self, run_id: str, account_id: str | None = None) -> list[RejectionCount]:
        """Counted by stage, rule and reason; most frequent first."""
        r = t.rejections.c
        n = sa.func.count().label("n")
        q = sa.select(r.stage, r.rule, r.reason, n).where(r.run_id == run_id)
        if account_id is not None:
            q = q.where(r.account_id == account_id)
        q = q.group_by(r.stage, r.rule, r.reason).order_by(n.desc(), r.stage, r.rule, r.reason)
        with self.engine.connect() as conn:
            return [RejectionCount(*row) for row in conn.execute(q)]

    def state_changes(self, run_id: str, account_id: str | None = None) -> list[StateChangeRow]:
        """Every change of an account's trading state, in time order (stored as `trading_state` incidents)."""
        i = t.incidents.c
        q = sa.select(i.ts, i.account_id, i.detail).where(i.run_id == run_id, i.kind == "trading_state")
        if account_id is not None:
            q = q.where(i.account_id == account_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(i.ts, i.id)).all()
        out = []
        for ts, account, detail in rows:
            change, _, reason = str(detail).partition(": ")
            before, _, after = change.partition(" -> ")
            out.append(StateChangeRow(ts, account, before.strip(), after.strip(), reason.strip()))
        return out

    def performance_by_strategy(
        self, run_id: str, account_id: str | None = None
    ) -> list[StrategyPerformance]:
        return views.performance_by_strategy(self.closed_trades(run_id, account_id))

    def daily_summary(
        self, run_id: str, account_id: str | None = None, tz: tzinfo = UTC
    ) -> list[DailySummary]:
        """One row per day (in `tz`, the exchange's zone for a per-session view) with any activity."""
        return views.daily_summary(self.engine, run_id, account_id, tz)

    def active_option_positions(
        self, run_id: str, as_of: date, account_id: str | None = None
    ) -> list[ActiveOptionPosition]:
        """Open option legs, nearest expiry first; `as_of` (from the clock) gives the days to expiry."""
        return views.active_option_positions(self.engine, run_id, as_of, account_id)
