"""The seeds' three analytical views: performance by strategy, the daily summary, active option positions.

The report, `runs show` and the web page read them through `ReadModels`; money is summed in Python (see
`read_models`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.core.money import ZERO
from optionpilot.domain.positions import PositionStatus
from optionpilot.persistence import tables as t
from optionpilot.persistence.read_rows import ClosedTrade


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
    # The position's Greeks per unit and IV when it was entered (None before they were kept).
    entry_delta: float | None = None
    entry_theta: float | None = None
    entry_vega: float | None = None
    entry_iv: float | None = None


def performance_by_strategy(trades: Iterable[ClosedTrade]) -> list[StrategyPerformance]:
    """Closed trades by strategy type: counts, win rate and net P&L after fees (as the report counts them)."""
    by_type: dict[str, list[Decimal]] = defaultdict(list)
    for trade in trades:
        if trade.entry_cost == 0 and trade.realized_pnl == 0 and trade.fees == 0:
            continue  # an entry that never filled moved no money: a rejection, not a losing trade
        by_type[trade.strategy_type].append(trade.net_pnl)
    return [_performance(kind, pnls) for kind, pnls in sorted(by_type.items())]


def daily_summary(
    engine: Engine, run_id: str, account_id: str | None = None, tz: tzinfo = UTC
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
    pq = sa.select(p.opened_at, p.closed_at, p.status, p.realized_pnl, p.fees, p.entry_cost).where(
        p.run_id == run_id
    )
    fq = sa.select(f.ts, f.fee).where(f.run_id == run_id)
    rq = sa.select(r.ts).where(r.run_id == run_id)
    if account_id is not None:
        pq = pq.where(p.account_id == account_id)
        fq = fq.where(f.account_id == account_id)
        rq = rq.where(r.account_id == account_id)
    with engine.connect() as conn:
        for opened_at, closed_at, status, realized, fee, cost in conn.execute(pq):
            if status == PositionStatus.CLOSED.value and cost == 0 and realized == 0 and fee == 0:
                continue  # an entry that never filled: counted with the rejections, not the trades
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
    engine: Engine, run_id: str, as_of: date, account_id: str | None = None
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
            p.entry_delta,
            p.entry_theta,
            p.entry_vega,
            p.entry_iv,
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
    with engine.connect() as conn:
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
