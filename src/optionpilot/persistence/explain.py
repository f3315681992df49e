"""`explain_position`: recommendation -> orders -> fills -> position events, each with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.persistence import tables as t


@dataclass(frozen=True, slots=True)
class RecommendationStep:
    recommendation_id: str
    ts: datetime
    strategy_type: str
    quantity: int
    limit_price: Decimal | None
    confidence: float
    reason: str
    legs: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class OrderEventStep:
    ts: datetime
    status: str
    reason: str
    filled_quantity: int


@dataclass(frozen=True, slots=True)
class FillStep:
    fill_id: str
    ts: datetime
    instrument_key: str
    side: str
    quantity: int
    price: Decimal
    fee: Decimal


@dataclass(frozen=True, slots=True)
class OrderStep:
    client_order_id: str
    created_at: datetime
    purpose: str
    reason: str
    order_type: str
    quantity: int
    limit_price: Decimal | None
    status: str
    status_reason: str
    parent_id: str | None
    events: list[OrderEventStep]
    fills: list[FillStep]


@dataclass(frozen=True, slots=True)
class PositionEventStep:
    ts: datetime
    kind: str
    reason: str
    quantity: int
    price: Decimal | None


@dataclass(frozen=True, slots=True)
class PositionExplanation:
    run_id: str
    position_id: str
    account_id: str
    underlying: str
    strategy_type: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    entry_reason: str
    exit_reason: str
    realized_pnl: Decimal
    fees: Decimal
    recommendations: list[RecommendationStep]
    orders: list[OrderStep]
    events: list[PositionEventStep]

    @property
    def net_pnl(self) -> Decimal:
        return self.realized_pnl - self.fees

    def narrative(self) -> list[str]:
        """The story in time order, one line per step: why it bought, what happened, why it sold."""
        steps: list[tuple[datetime, int, str]] = []
        for rec in self.recommendations:
            price = f" limit {rec.limit_price}" if rec.limit_price is not None else ""
            steps.append(
                (
                    rec.ts,
                    0,
                    f"recommended {rec.strategy_type} x{rec.quantity}{price} "
                    f"(confidence {rec.confidence:.2f}): {rec.reason}",
                )
            )
        for order in self.orders:
            price = f" limit {order.limit_price}" if order.limit_price is not None else ""
            steps.append(
                (
                    order.created_at,
                    1,
                    f"order {order.client_order_id} ({order.purpose}, {order.order_type} "
                    f"x{order.quantity}{price}): {order.reason}",
                )
            )
            for ev in order.events:
                why = f": {ev.reason}" if ev.reason else ""
                steps.append(
                    (
                        ev.ts,
                        2,
                        f"  {order.client_order_id} {ev.status} {ev.filled_quantity}/{order.quantity}{why}",
                    )
                )
            for fill in order.fills:
                steps.append(
                    (
                        fill.ts,
                        3,
                        f"  fill {fill.side} {fill.quantity} {fill.instrument_key} @ {fill.price} "
                        f"fee {fill.fee}",
                    )
                )
        for pev in self.events:
            price = f" @ {pev.price}" if pev.price is not None else ""
            qty = f" {pev.quantity}" if pev.quantity else ""
            # An exit signal is a decision: it comes before the exit order it causes at the same time.
            rank = 0 if pev.kind == "exit_signal" else 4
            steps.append((pev.ts, rank, f"position {pev.kind}{qty}{price}: {pev.reason}"))
        steps.sort(key=lambda s: (s[0], s[1]))
        lines = [
            f"{self.position_id} {self.strategy_type} on {self.underlying} "
            f"({self.account_id}), {self.status}",
            f"why it entered: {self.entry_reason}",
        ]
        lines += [f"{ts.isoformat()} {text}" for ts, _, text in steps]
        if self.exit_reason:
            lines.append(f"why it exited: {self.exit_reason}")
        lines.append(f"realized {self.realized_pnl}, fees {self.fees}, net {self.net_pnl}")
        return lines


def explain_position(engine: Engine, run_id: str, position_id: str) -> PositionExplanation | None:
    """Everything recorded about one position, or None when the run holds no such position."""
    p, rec, o, ev, f, pe = (
        t.positions.c,
        t.recommendations.c,
        t.orders.c,
        t.order_events.c,
        t.fills.c,
        t.position_events.c,
    )
    with engine.connect() as conn:
        pos = conn.execute(
            sa.select(t.positions).where(p.run_id == run_id, p.position_id == position_id)
        ).first()
        if pos is None:
            return None
        recs = [
            RecommendationStep(
                r.recommendation_id,
                r.ts,
                r.strategy_type,
                r.quantity,
                r.limit_price,
                r.confidence,
                r.reason,
                r.legs,
            )
            for r in conn.execute(
                sa.select(t.recommendations)
                .where(rec.run_id == run_id, rec.position_id == position_id)
                .order_by(rec.ts, rec.id)
            )
        ]
        # Leg orders a legged broker needed carry the parent's id, not always the position's.
        parents = sa.select(o.client_order_id).where(o.run_id == run_id, o.position_id == position_id)
        order_rows = conn.execute(
            sa.select(t.orders)
            .where(o.run_id == run_id, sa.or_(o.position_id == position_id, o.parent_id.in_(parents)))
            .order_by(o.created_at, o.client_order_id)
        ).all()
        ids = [row.client_order_id for row in order_rows]
        events: dict[str, list[OrderEventStep]] = {cid: [] for cid in ids}
        for e in conn.execute(
            sa.select(t.order_events).where(ev.client_order_id.in_(ids)).order_by(ev.ts, ev.id)
        ):
            events[e.client_order_id].append(OrderEventStep(e.ts, e.status, e.reason, e.filled_quantity))
        fills: dict[str, list[FillStep]] = {cid: [] for cid in ids}
        fill_q = sa.select(t.fills).where(f.run_id == run_id, f.client_order_id.in_(ids)).order_by(f.ts, f.id)
        for x in conn.execute(fill_q):
            fills[x.client_order_id].append(
                FillStep(x.fill_id, x.ts, x.instrument_key, x.side, x.quantity, x.price, x.fee)
            )
        orders = [
            OrderStep(
                o_.client_order_id,
                o_.created_at,
                o_.purpose,
                o_.reason,
                o_.order_type,
                o_.quantity,
                o_.limit_price,
                o_.status,
                o_.status_reason,
                o_.parent_id,
                events[o_.client_order_id],
                fills[o_.client_order_id],
            )
            for o_ in order_rows
        ]
        pos_events = [
            PositionEventStep(x.ts, x.kind, x.reason, x.quantity, x.price)
            for x in conn.execute(
                sa.select(t.position_events)
                .where(pe.run_id == run_id, pe.position_id == position_id)
                .order_by(pe.ts, pe.id)
            )
        ]
    return PositionExplanation(
        run_id=run_id,
        position_id=position_id,
        account_id=pos.account_id,
        underlying=pos.underlying,
        strategy_type=pos.strategy_type,
        status=pos.status,
        opened_at=pos.opened_at,
        closed_at=pos.closed_at,
        entry_reason=pos.entry_reason,
        exit_reason=pos.exit_reason,
        realized_pnl=pos.realized_pnl,
        fees=pos.fees,
        recommendations=recs,
        orders=orders,
        events=pos_events,
    )
