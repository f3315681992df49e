"""What `status` reads of an account in one run: equity, the day's first equity, what is open, recent trouble.

Runs that trade under the operator's controls are the long-running modes (`run --broker sim`, paper, live)
and the standing accounts of the multi-leg verbs; backtests are history and have no operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.domain.orders import TERMINAL
from optionpilot.persistence import tables as t

OPERATED_MODES = ("sim", "paper", "live", "standing")
_TERMINAL = [s.value for s in TERMINAL]


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    mode: str
    status: str
    started_at: datetime
    heartbeat_at: datetime | None
    accounts: tuple[tuple[str, str], ...]  # (account id, name)


@dataclass(frozen=True, slots=True)
class AccountRow:
    equity: Decimal | None
    equity_at: datetime | None
    cash: Decimal | None
    day_open_equity: Decimal | None  # the first equity point of the latest point's day (UTC date)
    open_positions: int
    open_orders: int
    errors_last_hour: int  # incidents, other than state changes
    refusals_last_hour: int  # rejections


def operated_runs(engine: Engine, *, running_only: bool) -> list[RunRow]:
    """Runs of the operated modes, newest first (only those still running with `running_only`)."""
    r = t.runs.c
    query = sa.select(r.run_id, r.mode, r.status, r.started_at, r.heartbeat_at).where(
        r.mode.in_(OPERATED_MODES)
    )
    if running_only:
        query = query.where(r.status == "running")
    a = t.accounts.c
    with engine.connect() as conn:
        runs = conn.execute(query.order_by(r.started_at.desc(), r.run_id)).all()
        names: dict[str, list[tuple[str, str]]] = {}
        if runs:
            rows = conn.execute(
                sa.select(a.run_id, a.account_id, a.name).where(a.run_id.in_([x.run_id for x in runs]))
            ).all()
            for row in rows:
                names.setdefault(row.run_id, []).append((row.account_id, row.name))
    return [
        RunRow(x.run_id, x.mode, x.status, x.started_at, x.heartbeat_at, tuple(names.get(x.run_id, ())))
        for x in runs
    ]


def account_row(engine: Engine, run_id: str, account_id: str) -> AccountRow:
    e, p, o = t.equity_points.c, t.positions.c, t.orders.c
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(e.ts, e.equity, e.cash)
            .where(e.run_id == run_id, e.account_id == account_id)
            .order_by(e.ts.desc())
            .limit(1)
        ).first()
        day_open = None
        if last is not None:
            start = datetime.combine(last.ts.date(), datetime.min.time(), last.ts.tzinfo)
            day_open = conn.execute(
                sa.select(e.equity)
                .where(e.run_id == run_id, e.account_id == account_id, e.ts >= start)
                .order_by(e.ts)
                .limit(1)
            ).scalar_one_or_none()
        positions = conn.execute(
            sa.select(sa.func.count()).where(
                p.run_id == run_id, p.account_id == account_id, p.status.in_(["open", "closing"])
            )
        ).scalar_one()
        orders = conn.execute(
            sa.select(sa.func.count()).where(
                o.run_id == run_id, o.account_id == account_id, o.status.not_in(_TERMINAL)
            )
        ).scalar_one()
        errors = refusals = 0
        if last is not None:
            # The last hour of the run's own clock (a simulated run's hour passes in seconds).
            hour_ago = last.ts - timedelta(hours=1)
            i, j = t.incidents.c, t.rejections.c
            errors = conn.execute(
                sa.select(sa.func.count()).where(
                    i.run_id == run_id,
                    i.account_id == account_id,
                    i.ts >= hour_ago,
                    i.kind != "trading_state",
                )
            ).scalar_one()
            refusals = conn.execute(
                sa.select(sa.func.count()).where(
                    j.run_id == run_id, j.account_id == account_id, j.ts >= hour_ago
                )
            ).scalar_one()
    return AccountRow(
        equity=None if last is None else last.equity,
        equity_at=None if last is None else last.ts,
        cash=None if last is None else last.cash,
        day_open_equity=day_open,
        open_positions=int(positions),
        open_orders=int(orders),
        errors_last_hour=int(errors),
        refusals_last_hour=int(refusals),
    )


def position_owner(engine: Engine, position_id: str) -> tuple[str, str, str] | None:
    """(run id, account id, status) of the newest position row with that id."""
    p = t.positions.c
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(p.run_id, p.account_id, p.status)
            .where(p.position_id == position_id)
            .order_by(p.updated_at.desc())
            .limit(1)
        ).first()
    return None if row is None else (row.run_id, row.account_id, row.status)
