"""What the dashboard reads that the report's read models do not: positions with their legs, orders with
their state history and fills, the decision log, the latest scan and allocation, and a cheap change marker.

Rows are plain dicts (the pages render them as tables and the API serves them as JSON); money stays
Decimal. Every query is scoped to one run and bounded (`limit`), so a page costs the same with 10,000
orders in the database as with 10.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.domain.orders import TERMINAL
from optionpilot.persistence import tables as t

Row = dict[str, Any]
_TERMINAL = [s.value for s in TERMINAL]

# Columns a caller may sort by, per table: a sort key from the query string never reaches SQL unchecked.
ORDER_SORTS = {
    "created_at": t.orders.c.created_at,
    "updated_at": t.orders.c.updated_at,
    "underlying": t.orders.c.underlying,
    "status": t.orders.c.status,
    "purpose": t.orders.c.purpose,
    "quantity": t.orders.c.quantity,
    "account_id": t.orders.c.account_id,
}


def positions(
    engine: Engine, run_id: str, *, open_only: bool, as_of: date | None, limit: int = 2000
) -> list[Row]:
    """Positions (open ones, or all) with their legs; `as_of` gives each leg's days to expiry."""
    p, lg = t.positions.c, t.position_legs.c
    q = sa.select(t.positions).where(p.run_id == run_id)
    if open_only:
        q = q.where(p.status != "closed")
    q = q.order_by(p.opened_at.desc(), p.position_id).limit(limit)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
        ids = [r["position_id"] for r in rows]
        legs: dict[str, list[Row]] = defaultdict(list)
        for chunk in _chunks(ids):
            lq = sa.select(t.position_legs).where(lg.run_id == run_id, lg.position_id.in_(chunk))
            for leg in conn.execute(lq.order_by(lg.position_id, lg.instrument_key)):
                m = dict(leg._mapping)
                expiry = m["expiry"]
                m["dte"] = (expiry - as_of).days if expiry is not None and as_of is not None else None
                legs[m["position_id"]].append(m)
    for r in rows:
        r.pop("run_id", None)
        r["legs"] = legs.get(r["position_id"], [])
        dtes = [leg["dte"] for leg in r["legs"] if leg["dte"] is not None and leg["quantity"] != 0]
        r["dte"] = min(dtes) if dtes else None
    return rows


def orders(
    engine: Engine,
    run_id: str,
    *,
    status: str | None = None,
    account: str | None = None,
    symbol: str | None = None,
    sort: str = "created_at",
    descending: bool = True,
    limit: int = 200,
) -> list[Row]:
    """Open orders first, then the most recent (sorted by `sort`), each with its events and fills."""
    o = t.orders.c
    q = sa.select(t.orders).where(o.run_id == run_id)
    if status == "open":
        q = q.where(o.status.not_in(_TERMINAL))
    elif status:
        q = q.where(o.status == status)
    if account:
        q = q.where(o.account_id == account)
    if symbol:
        q = q.where(o.underlying == symbol.upper())
    col = ORDER_SORTS.get(sort, o.created_at)
    is_open = sa.case((o.status.in_(_TERMINAL), 1), else_=0)
    q = q.order_by(is_open, col.desc() if descending else col.asc(), o.client_order_id).limit(limit)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
        ids = [r["client_order_id"] for r in rows]
        events: dict[str, list[Row]] = defaultdict(list)
        fills: dict[str, list[Row]] = defaultdict(list)
        e, f = t.order_events.c, t.fills.c
        for chunk in _chunks(ids):
            eq = sa.select(e.client_order_id, e.ts, e.status, e.reason, e.filled_quantity)
            for ev in conn.execute(eq.where(e.run_id == run_id, e.client_order_id.in_(chunk)).order_by(e.id)):
                events[ev.client_order_id].append(dict(ev._mapping))
            fq = sa.select(f.client_order_id, f.ts, f.instrument_key, f.side, f.quantity, f.price, f.fee)
            for fi in conn.execute(fq.where(f.run_id == run_id, f.client_order_id.in_(chunk)).order_by(f.id)):
                fills[fi.client_order_id].append(dict(fi._mapping))
    for r in rows:
        r.pop("run_id", None)
        r["open"] = r["status"] not in _TERMINAL
        r["events"] = events.get(r["client_order_id"], [])
        r["fills"] = fills.get(r["client_order_id"], [])
    return rows


def order_counts(engine: Engine, run_id: str) -> tuple[int, int]:
    """(all orders, open orders) of the run."""
    o = t.orders.c
    open_ = sa.func.sum(sa.case((o.status.in_(_TERMINAL), 0), else_=1))
    with engine.connect() as conn:
        total, n_open = conn.execute(sa.select(sa.func.count(), open_).where(o.run_id == run_id)).one()
    return int(total), int(n_open or 0)


def decisions(
    engine: Engine,
    run_id: str,
    *,
    symbol: str | None = None,
    account: str | None = None,
    rule: str | None = None,
    kinds: tuple[str, ...] = ("signal", "recommendation", "refusal", "entry", "exit"),
    limit: int = 300,
) -> list[Row]:
    """The decision log, newest first: signals, recommendations, refusals, entries and exits with reasons.

    `rule` matches a prefix (e.g. `risk.` or `multileg_exit.time`); each source is limited before they are
    merged, so the newest `limit` rows come out whatever the sizes of the tables."""
    sym = symbol.upper() if symbol else None
    out: list[Row] = []
    q: Any  # one select per source, each of its own columns
    r: Any
    with engine.connect() as conn:
        if "signal" in kinds and account is None:
            s = t.signals.c
            q = sa.select(s.ts, s.underlying, s.direction, s.trade_style, s.confidence, s.reason)
            q = q.where(s.run_id == run_id)
            q = q.where(s.underlying == sym) if sym else q
            if rule:
                q = q.where(sa.literal("signals.").concat(s.trade_style).startswith(rule))
            for r in conn.execute(q.order_by(s.ts.desc(), s.id.desc()).limit(limit)):
                out.append(
                    _decision(
                        r.ts,
                        "signal",
                        r.underlying,
                        None,
                        f"signals.{r.trade_style}",
                        f"{r.direction} {r.trade_style} ({r.confidence:.2f})",
                        r.reason,
                    )
                )
        if "recommendation" in kinds:
            c = t.recommendations.c
            q = sa.select(c.ts, c.underlying, c.account_id, c.strategy_type, c.quantity, c.status, c.reason)
            q = q.where(c.run_id == run_id)
            q = q.where(c.underlying == sym) if sym else q
            q = q.where(c.account_id == account) if account else q
            if rule:
                q = q.where(sa.literal("recommend.").concat(c.strategy_type).startswith(rule))
            for r in conn.execute(q.order_by(c.ts.desc(), c.id.desc()).limit(limit)):
                out.append(
                    _decision(
                        r.ts,
                        "recommendation",
                        r.underlying,
                        r.account_id,
                        f"recommend.{r.strategy_type}",
                        f"{r.strategy_type} x{r.quantity} ({r.status})",
                        r.reason,
                    )
                )
        if "refusal" in kinds:
            j = t.rejections.c
            q = sa.select(j.ts, j.underlying, j.account_id, j.stage, j.rule, j.reason).where(
                j.run_id == run_id
            )
            q = q.where(j.underlying == sym) if sym else q
            q = q.where(j.account_id == account) if account else q
            q = q.where(j.rule.startswith(rule)) if rule else q
            for r in conn.execute(q.order_by(j.ts.desc(), j.id.desc()).limit(limit)):
                out.append(
                    _decision(r.ts, "refusal", r.underlying or "", r.account_id, r.rule, r.stage, r.reason)
                )
        wanted = [
            k
            for k, label in (
                ("opened", "entry"),
                ("closed", "exit"),
                ("exit_signal", "exit"),
                ("reduced", "exit"),
                ("entry_failed", "entry"),
            )
            if label in kinds
        ]
        if wanted:
            e, p = t.position_events.c, t.positions.c
            q = (
                sa.select(
                    e.ts, e.kind, e.reason, e.quantity, e.price, e.position_id, p.underlying, p.account_id
                )
                .select_from(
                    t.position_events.join(
                        t.positions, sa.and_(p.run_id == e.run_id, p.position_id == e.position_id)
                    )
                )
                .where(e.run_id == run_id, e.kind.in_(wanted))
            )
            q = q.where(p.underlying == sym) if sym else q
            q = q.where(e.account_id == account) if account else q
            for r in conn.execute(q.order_by(e.ts.desc(), e.id.desc()).limit(limit * 2)):
                head = str(r.reason).split(":", 1)[0].strip()
                rule_name = head if "." in head and " " not in head else f"position.{r.kind}"
                if rule and not rule_name.startswith(rule):
                    continue
                label = "entry" if r.kind in ("opened", "entry_failed") else "exit"
                what = f"{r.kind} {r.quantity} @ {r.price if r.price is not None else '-'} ({r.position_id})"
                out.append(_decision(r.ts, label, r.underlying, r.account_id, rule_name, what, r.reason))
    out.sort(key=lambda d: d["ts"], reverse=True)
    return out[:limit]


def _decision(
    ts: datetime, kind: str, symbol: str, account: str | None, rule: str, what: str, reason: str
) -> Row:
    return {
        "ts": ts,
        "kind": kind,
        "symbol": symbol,
        "account": account,
        "rule": rule,
        "what": what,
        "reason": reason,
    }


def latest_scan(engine: Engine, run_id: str, limit: int = 200) -> tuple[datetime | None, list[Row]]:
    """The candidates of the run's latest scan, best score first, each with its allocation if it got one."""
    c, a = t.strategy_candidates.c, t.allocations.c
    with engine.connect() as conn:
        ts = conn.execute(sa.select(sa.func.max(c.ts)).where(c.run_id == run_id)).scalar_one()
        if ts is None:
            return None, []
        q = sa.select(t.strategy_candidates).where(c.run_id == run_id, c.ts == ts)
        rows = [
            dict(r._mapping) for r in conn.execute(q.order_by(c.score.desc(), c.candidate_id).limit(limit))
        ]
        plan = conn.execute(
            sa.select(a.plan_id).where(a.run_id == run_id).order_by(a.ts.desc(), a.id.desc()).limit(1)
        ).scalar_one_or_none()
        allocated: dict[str, Row] = {}
        if plan is not None:
            aq = sa.select(t.allocations).where(a.run_id == run_id, a.plan_id == plan)
            allocated = {r.candidate_id: dict(r._mapping) for r in conn.execute(aq)}
    for rank, r in enumerate(rows, start=1):
        r.pop("run_id", None)
        r["rank"] = rank
        alloc = allocated.get(r["candidate_id"])
        r["tier"] = alloc["tier"] if alloc else None
        r["lots"] = alloc["lots"] if alloc else None
    return ts, rows


def price_series(engine: Engine, run_id: str, symbol: str) -> list[tuple[datetime, float]]:
    """The close the signal stage saw for `symbol` at each look (the features it stored)."""
    f = t.features.c
    q = sa.select(f.ts, f["values"]).where(f.run_id == run_id, f.symbol == symbol).order_by(f.ts)
    with engine.connect() as conn:
        return [(ts, float(v["close"])) for ts, v in conn.execute(q) if isinstance(v, dict) and "close" in v]


def symbols(engine: Engine, run_id: str) -> list[str]:
    """Underlyings with a stored price or a position in the run."""
    f, p = t.features.c, t.positions.c
    with engine.connect() as conn:
        a = conn.execute(sa.select(f.symbol).where(f.run_id == run_id).distinct()).scalars().all()
        b = conn.execute(sa.select(p.underlying).where(p.run_id == run_id).distinct()).scalars().all()
    return sorted(set(a) | set(b))


def trade_marks(engine: Engine, run_id: str, symbol: str) -> list[Row]:
    """Entries and exits of positions on `symbol`: when, which, and the reason."""
    e, p = t.position_events.c, t.positions.c
    q = (
        sa.select(e.ts, e.kind, e.position_id, e.reason, p.strategy_type)
        .select_from(
            t.position_events.join(t.positions, sa.and_(p.run_id == e.run_id, p.position_id == e.position_id))
        )
        .where(e.run_id == run_id, p.underlying == symbol, e.kind.in_(("opened", "closed", "reduced")))
        .order_by(e.ts, e.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def incidents(engine: Engine, run_id: str, limit: int = 50) -> list[Row]:
    i = t.incidents.c
    q = sa.select(i.ts, i.account_id, i.kind, i.detail).where(i.run_id == run_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(i.ts.desc(), i.id.desc()).limit(limit))]


def change_marker(engine: Engine) -> tuple[object, ...]:
    """A cheap fingerprint of everything a page shows: it changes when any of these tables gains a row."""
    tables = (
        t.orders,
        t.order_events,
        t.fills,
        t.position_events,
        t.equity_points,
        t.incidents,
        t.rejections,
        t.runs,
        t.operator_commands,
    )
    with engine.connect() as conn:
        marks: list[object] = []
        for table in tables:
            key = table.c.id if "id" in table.c else None
            if key is not None:
                marks.append(conn.execute(sa.select(sa.func.max(key))).scalar_one())
            else:
                marks.append(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        s = t.account_states.c
        marks.append(conn.execute(sa.select(sa.func.max(s.changed_at))).scalar_one())
        r = t.runs.c
        marks.append(conn.execute(sa.select(sa.func.max(r.heartbeat_at))).scalar_one())
    return tuple(marks)


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
