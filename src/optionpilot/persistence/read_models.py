"""Read models for the report, the CLI and the web page: plain frozen rows, money as Decimal.

Money is summed here in Python, not in SQL, because SQLite keeps it as text and would sum it as floats.
The seeds' three analytical views are the queries `performance_by_strategy`, `daily_summary` and
`active_option_positions`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.core.money import ZERO
from optionpilot.domain.positions import PositionStatus
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import DatabaseConfig, create_engine
from optionpilot.persistence.explain import PositionExplanation, explain_position


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    mode: str
    seed: int | None
    started_at: datetime
    ended_at: datetime | None
    config_json: str
    summary_json: str | None
    status: str = "completed"  # running | completed | failed | interrupted
    error: str | None = None
    pid: int | None = None
    host: str | None = None
    heartbeat_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountRow:
    account_id: str
    name: str
    starting_cash: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class EquityRow:
    ts: datetime
    cash: Decimal
    equity: Decimal
    exposure: Decimal
    drawdown: Decimal  # equity minus its running peak: 0 or negative
    drawdown_pct: float  # drawdown over the running peak


@dataclass(frozen=True, slots=True)
class GreeksRow:
    ts: datetime
    delta: float
    gamma: float
    vega: float
    theta: float


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    position_id: str
    account_id: str
    underlying: str
    strategy_type: str
    opened_at: datetime
    closed_at: datetime
    entry_reason: str
    exit_reason: str
    entry_cost: Decimal
    realized_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    return_pct: float | None  # net P&L over the absolute entry cost; None when that cost is zero


@dataclass(frozen=True, slots=True)
class TradeFills:
    """What a position bought and sold: quantities and volume-weighted prices per share."""

    position_id: str
    opened_quantity: int
    entry_price: Decimal | None
    closed_quantity: int
    exit_price: Decimal | None


@dataclass(frozen=True, slots=True)
class RejectionCount:
    stage: str
    rule: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class StrategyPerformance:
    strategy_type: str
    trades: int
    wins: int
    losses: int
    win_rate: float
    net_pnl: Decimal
    avg_pnl: Decimal
    avg_win: Decimal
    avg_loss: Decimal
    best: Decimal
    worst: Decimal


@dataclass(frozen=True, slots=True)
class DailySummary:
    day: date
    positions_opened: int
    positions_closed: int
    wins: int
    losses: int
    net_pnl: Decimal  # of the positions closed that day
    fees: Decimal  # paid on that day's fills
    fills: int
    rejections: int


@dataclass(frozen=True, slots=True)
class ActiveOptionPosition:
    position_id: str
    account_id: str
    underlying: str
    strategy_type: str
    instrument_key: str
    option_right: str
    strike: Decimal
    expiry: date
    days_to_expiry: int
    quantity: int
    avg_price: Decimal
    multiplier: int
    opened_at: datetime
    entry_reason: str


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

    def performance_by_strategy(
        self, run_id: str, account_id: str | None = None
    ) -> list[StrategyPerformance]:
        by_type: dict[str, list[Decimal]] = defaultdict(list)
        for trade in self.closed_trades(run_id, account_id):
            by_type[trade.strategy_type].append(trade.net_pnl)
        return [_performance(kind, pnls) for kind, pnls in sorted(by_type.items())]

    def daily_summary(
        self, run_id: str, account_id: str | None = None, tz: tzinfo = UTC
    ) -> list[DailySummary]:
        """One row per day (in `tz`, the exchange's zone for a per-session view) with any activity."""
        p, f, r = t.positions.c, t.fills.c, t.rejections.c
        opened: Counter[date] = Counter()
        closed: Counter[date] = Counter()
        wins: Counter[date] = Counter()
        losses: Counter[date] = Counter()
        pnl: dict[date, Decimal] = defaultdict(lambda: ZERO)
        fees: dict[date, Decimal] = defaultdict(lambda: ZERO)
        fills: Counter[date] = Counter()
        rejections: Counter[date] = Counter()
        pq = sa.select(p.opened_at, p.closed_at, p.status, p.realized_pnl, p.fees).where(p.run_id == run_id)
        fq = sa.select(f.ts, f.fee).where(f.run_id == run_id)
        rq = sa.select(r.ts).where(r.run_id == run_id)
        if account_id is not None:
            pq = pq.where(p.account_id == account_id)
            fq = fq.where(f.account_id == account_id)
            rq = rq.where(r.account_id == account_id)
        with self.engine.connect() as conn:
            for opened_at, closed_at, status, realized, fee in conn.execute(pq):
                opened[opened_at.astimezone(tz).date()] += 1
                if status == PositionStatus.CLOSED.value and closed_at is not None:
                    day = closed_at.astimezone(tz).date()
                    closed[day] += 1
                    net = realized - fee
                    pnl[day] += net
                    wins[day] += net > 0
                    losses[day] += net <= 0
            for ts, fee in conn.execute(fq):
                day = ts.astimezone(tz).date()
                fills[day] += 1
                fees[day] += fee
            for (ts,) in conn.execute(rq):
                rejections[ts.astimezone(tz).date()] += 1
        days = sorted(set(opened) | set(closed) | set(fills) | set(rejections))
        return [
            DailySummary(
                d,
                opened[d],
                closed[d],
                wins[d],
                losses[d],
                pnl.get(d, ZERO),
                fees.get(d, ZERO),
                fills[d],
                rejections[d],
            )
            for d in days
        ]

    def active_option_positions(
        self, run_id: str, as_of: date, account_id: str | None = None
    ) -> list[ActiveOptionPosition]:
        """Open option legs, nearest expiry first; `as_of` (from the clock) gives the days to expiry."""
        p, leg = t.positions.c, t.position_legs.c
        q = (
            sa.select(
                p.position_id,
                p.account_id,
                p.underlying,
                p.strategy_type,
                leg.instrument_key,
                leg.option_right,
                leg.strike,
                leg.expiry,
                leg.quantity,
                leg.avg_price,
                leg.multiplier,
                p.opened_at,
                p.entry_reason,
            )
            .join(t.position_legs, sa.and_(leg.run_id == p.run_id, leg.position_id == p.position_id))
            .where(
                p.run_id == run_id,
                p.status.in_([PositionStatus.OPEN.value, PositionStatus.CLOSING.value]),
                leg.option_right.is_not(None),
                leg.quantity != 0,
            )
            .order_by(leg.expiry, p.position_id, leg.instrument_key)
        )
        if account_id is not None:
            q = q.where(p.account_id == account_id)
        with self.engine.connect() as conn:
            return [
                ActiveOptionPosition(
                    **{k: v for k, v in row._mapping.items() if k not in ("quantity", "avg_price")},
                    days_to_expiry=(row.expiry - as_of).days,
                    quantity=row.quantity,
                    avg_price=row.avg_price,
                )
                for row in conn.execute(q)
            ]


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, start=ZERO) / len(values) if values else ZERO


def _performance(kind: str, pnls: list[Decimal]) -> StrategyPerformance:
    won = [x for x in pnls if x > 0]
    lost = [x for x in pnls if x <= 0]
    return StrategyPerformance(
        strategy_type=kind,
        trades=len(pnls),
        wins=len(won),
        losses=len(lost),
        win_rate=len(won) / len(pnls),
        net_pnl=sum(pnls, start=ZERO),
        avg_pnl=_mean(pnls),
        avg_win=_mean(won),
        avg_loss=_mean(lost),
        best=max(pnls),
        worst=min(pnls),
    )
