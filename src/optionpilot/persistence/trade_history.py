"""The trade history port on the database: the closed option trades Kelly sizing starts from (issue 12)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.domain.positions import PositionStatus
from optionpilot.persistence import tables as t
from optionpilot.ports.recorder import ClosedOptionTrade


class SqlTradeHistory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def closed_option_trades(
        self, account_id: str, since: datetime, until: datetime, *, mode: str, run_id: str
    ) -> list[ClosedOptionTrade]:
        p, legs, runs = t.positions.c, t.position_legs.c, t.runs.c
        # An option position has an option leg; the engine feeds Kelly the same ones (premium paid).
        has_option = (
            sa.select(legs.position_id)
            .where(legs.run_id == p.run_id, legs.position_id == p.position_id, legs.option_right.is_not(None))
            .exists()
        )
        q = sa.select(p.closed_at, p.realized_pnl, p.fees, p.entry_cost, p.meta).where(
            p.account_id == account_id,
            p.status == PositionStatus.CLOSED.value,
            p.closed_at > since,
            p.closed_at <= until,
            has_option,
        )
        if mode == "backtest":
            q = q.where(p.run_id == run_id)
        else:
            q = q.where(p.run_id.in_(sa.select(runs.run_id).where(runs.mode == mode)))
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(p.closed_at, p.run_id, p.position_id)).all()
        # Money is text on SQLite, so "premium paid" (cost > 0) is judged here, not in SQL; Kelly sizes
        # the intraday flow's premium, so the multi-leg sleeve's strategies are not its history.
        return [
            ClosedOptionTrade(account_id, closed, pnl - fees, cost)
            for closed, pnl, fees, cost, meta in rows
            if cost > 0 and (meta or {}).get("flow") != "multileg"
        ]
