"""Reads and writes of the multi-leg workflow between CLI invocations: scans, plans, the standing account.

A scan is a run of mode "scan": its candidates, and the allocation plans made from them, carry its run id.
The standing simulated account is a run of mode "standing" (`standing-<market>-<account>`); every verb
that trades appends to it through the ordinary recorder, so its ledger, positions and orders are in the
same tables as a backtest's. Its state is rebuilt from them: cash is the sum of its ledger, positions are
the rows not closed, with their legs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.core.calendars import Market
from optionpilot.core.errors import PersistenceError
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, ExecutionId, PositionId
from optionpilot.core.money import ZERO
from optionpilot.domain.instruments import OptionContract, OptionRight, Stock, Underlying
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, TimeInForce
from optionpilot.domain.positions import Position, PositionLeg, PositionStatus
from optionpilot.persistence import tables as t
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.persistence.rows import legs_from_json
from optionpilot.ports.recorder import RunInfo

SCAN_MODE = "scan"
STANDING_MODE = "standing"


class StandingRecorder(SqlRecorder):
    """The SQL recorder that can also append to a run started by an earlier process."""

    def open_run(self, info: RunInfo) -> bool:
        """Start `info`'s run, or resume it when it exists; True when it was started now."""
        self.rest_on_close = True
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(t.runs.c.run_id).where(t.runs.c.run_id == info.run_id)).first()
        if found is None:
            self.start_run(info)
            return True
        self.resume_run(info.run_id)
        return False


@dataclass(frozen=True, slots=True)
class StoredCandidate:
    run_id: str
    candidate_id: str
    ts: datetime
    underlying: str
    strategy_type: str
    legs: tuple[OrderLeg, ...]
    net_premium: Decimal
    max_profit: Decimal | None
    max_loss: Decimal | None
    breakevens: tuple[Decimal, ...]
    pop: float
    expected_value: Decimal
    delta: float
    gamma: float
    vega: float
    theta: float
    margin: Decimal
    score: float
    score_components: dict[str, float]
    conviction: str
    reason: str
    status: str


@dataclass(frozen=True, slots=True)
class StoredAllocation:
    plan_id: str
    candidate_id: str
    ts: datetime
    tier: str
    industry: str
    position_type: str
    lots: int
    capital: Decimal
    max_loss: Decimal
    expected_return: Decimal
    kelly_fraction: float
    reason: str


def latest_run(engine: Engine, mode: str) -> str | None:
    r = t.runs.c
    q = sa.select(r.run_id).where(r.mode == mode).order_by(r.started_at.desc(), r.run_id.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return None if row is None else str(row[0])


def run_ids(engine: Engine, mode: str) -> list[str]:
    r = t.runs.c
    with engine.connect() as conn:
        return [str(x[0]) for x in conn.execute(sa.select(r.run_id).where(r.mode == mode))]


def candidates(engine: Engine, run_id: str, ids: Sequence[str] | None = None) -> list[StoredCandidate]:
    """The candidates of one scan, best score first (or only `ids`)."""
    c = t.strategy_candidates.c
    q = sa.select(t.strategy_candidates).where(c.run_id == run_id)
    if ids is not None:
        q = q.where(c.candidate_id.in_(list(ids)))
    out: list[StoredCandidate] = []
    with engine.connect() as conn:
        for row in conn.execute(q.order_by(c.score.desc(), c.candidate_id)):
            m = row._mapping
            out.append(
                StoredCandidate(
                    **{k: m[k] for k in _CANDIDATE_PLAIN},
                    legs=legs_from_json(m["legs"]),
                    breakevens=tuple(Decimal(str(x)) for x in m["breakevens"] if x is not None),
                    score_components={str(k): float(v) for k, v in (m["score_components"] or {}).items()},
                )
            )
    return out


_CANDIDATE_PLAIN = (
    "run_id", "candidate_id", "ts", "underlying", "strategy_type", "net_premium", "max_profit", "max_loss",
    "pop", "expected_value", "delta", "gamma", "vega", "theta", "margin", "score", "conviction", "reason",
    "status",
)  # fmt: skip


def set_candidate_status(engine: Engine, run_id: str, candidate_ids: Sequence[str], status: str) -> int:
    if not candidate_ids:
        return 0
    c = t.strategy_candidates.c
    stmt = (
        t.strategy_candidates.update()
        .where(c.run_id == run_id, c.candidate_id.in_(list(candidate_ids)))
        .values(status=status)
    )
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount)


def latest_plan(engine: Engine, run_id: str) -> list[StoredAllocation]:
    """The allocations of the newest plan made from one scan."""
    a = t.allocations.c
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(a.plan_id).where(a.run_id == run_id).order_by(a.ts.desc(), a.plan_id.desc()).limit(1)
        ).first()
        if last is None:
            return []
        rows = conn.execute(
            sa.select(t.allocations).where(a.run_id == run_id, a.plan_id == last[0]).order_by(a.id)
        )
        return [
            StoredAllocation(**{k: row._mapping[k] for k in StoredAllocation.__dataclass_fields__})
            for row in rows
        ]


def plan_count(engine: Engine, run_id: str) -> int:
    a = t.allocations.c
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count(sa.distinct(a.plan_id))).where(a.run_id == run_id)).scalar()
    return int(n or 0)


def iv_history(engine: Engine, symbols: Sequence[str], before: date) -> dict[str, list[tuple[date, float]]]:
    """Daily ATM IV per symbol before `before`, oldest first (one value a day, whatever its source)."""
    h = t.iv_history.c
    q = (
        sa.select(h.symbol, h.day, h.atm_iv)
        .where(h.symbol.in_(list(symbols)), h.day < before)
        .order_by(h.symbol, h.day, h.source)
    )
    out: dict[str, dict[date, float]] = {}
    with engine.connect() as conn:
        for sym, day, iv in conn.execute(q):
            out.setdefault(str(sym), {})[day] = float(iv)
    return {s: sorted(days.items()) for s, days in out.items()}


def ledger_balance(engine: Engine, run_id: str, account_id: str) -> Decimal | None:
    """Cash of an account as the sum of its ledger (None when the account has no entries)."""
    e = t.ledger_entries.c
    with engine.connect() as conn:
        amounts = [
            row[0]
            for row in conn.execute(sa.select(e.amount).where(e.run_id == run_id, e.account_id == account_id))
        ]
    if not amounts:
        return None
    return sum(amounts, start=ZERO)


def stored_row_count(engine: Engine, run_id: str) -> int:
    """Rows a run has in its event tables: grows with every invocation that stored anything."""
    total = 0
    with engine.connect() as conn:
        for table in (t.order_events, t.settlements, t.ledger_entries, t.position_events):
            n = conn.execute(sa.select(sa.func.count()).where(table.c.run_id == run_id)).scalar()
            total += int(n or 0)
    return total


def load_orders(engine: Engine, run_id: str, account_id: str) -> list[Order]:
    """Every order the account stored, as last stored."""
    o = t.orders.c
    q = sa.select(t.orders).where(o.run_id == run_id, o.account_id == account_id)
    with engine.connect() as conn:
        rows = [r._mapping for r in conn.execute(q.order_by(o.created_at, o.client_order_id))]
    return [
        Order(
            client_order_id=ClientOrderId(m["client_order_id"]),
            account_id=AccountId(m["account_id"]),
            legs=legs_from_json(m["legs"]),
            quantity=int(m["quantity"]),
            order_type=OrderType(m["order_type"]),
            created_at=m["created_at"],
            limit_price=m["limit_price"],
            tif=TimeInForce(m["tif"]),
            position_id=None if m["position_id"] is None else PositionId(m["position_id"]),
            purpose=m["purpose"],
            reason=m["reason"],
            parent_id=None if m["parent_id"] is None else ClientOrderId(m["parent_id"]),
            status=OrderStatus(m["status"]),
            status_reason=m["status_reason"],
            filled_quantity=int(m["filled_quantity"]),
            broker_order_id=None if m["broker_order_id"] is None else BrokerOrderId(m["broker_order_id"]),
            updated_at=m["updated_at"],
        )
        for m in rows
    ]


def stored_executions(
    engine: Engine, run_id: str, account_id: str
) -> list[tuple[ExecutionId, ClientOrderId, int, int]]:
    """Every fill the account stored: (execution id, client order id, leg index, quantity)."""
    f = t.fills.c
    q = sa.select(f.execution_id, f.client_order_id, f.leg_index, f.quantity).where(
        f.run_id == run_id, f.account_id == account_id
    )
    with engine.connect() as conn:
        return [
            (ExecutionId(e), ClientOrderId(c), int(leg), int(n))
            for e, c, leg, n in conn.execute(q.order_by(f.id))
        ]


def stored_settlements(engine: Engine, run_id: str, account_id: str) -> set[str]:
    """The event ids of every expiry settlement (exercise, assignment, expiry) the account stored."""
    st = t.settlements.c
    q = sa.select(st.event_id).where(st.run_id == run_id, st.account_id == account_id)
    with engine.connect() as conn:
        return {str(e) for e in conn.execute(q).scalars()}


def load_positions(
    engine: Engine,
    run_id: str,
    account_id: str,
    underlyings: Mapping[str, Underlying],
    market: Market,
    *,
    opened_since: datetime | None = None,
) -> list[Position]:
    """Positions not closed, plus those opened since `opened_since`, with their legs rebuilt."""
    p, lg = t.positions.c, t.position_legs.c
    cond = p.status != PositionStatus.CLOSED.value
    if opened_since is not None:
        cond = sa.or_(cond, p.opened_at >= opened_since)
    q = sa.select(t.positions).where(p.run_id == run_id, p.account_id == account_id, cond)
    out: list[Position] = []
    with engine.connect() as conn:
        rows = list(conn.execute(q.order_by(p.opened_at, p.position_id)))
        ids = [r._mapping["position_id"] for r in rows]
        legs: dict[str, list[dict[str, Any]]] = {}
        if ids:
            for leg in conn.execute(
                sa.select(t.position_legs).where(lg.run_id == run_id, lg.position_id.in_(ids))
            ):
                legs.setdefault(leg._mapping["position_id"], []).append(dict(leg._mapping))
    for row in rows:
        m = row._mapping
        pos = Position(
            position_id=PositionId(m["position_id"]),
            account_id=AccountId(m["account_id"]),
            underlying=m["underlying"],
            strategy_type=m["strategy_type"],
            opened_at=m["opened_at"],
            entry_reason=m["entry_reason"],
            status=PositionStatus(m["status"]),
            realized_pnl=m["realized_pnl"],
            fees=m["fees"],
            entry_cost=m["entry_cost"],
            closed_at=m["closed_at"],
            exit_reason=m["exit_reason"],
            peak_value=m["peak_value"],
            partials_taken=int(m["partials_taken"]),
            meta={str(k): str(v) for k, v in (m["meta"] or {}).items()},
            entry_delta=_float_or_none(m["entry_delta"]),
            entry_theta=_float_or_none(m["entry_theta"]),
            entry_vega=_float_or_none(m["entry_vega"]),
            entry_iv=_float_or_none(m["entry_iv"]),
        )
        for lm in legs.get(m["position_id"], []):
            inst = _instrument(lm, underlyings, market)
            pos.legs[inst.key] = PositionLeg(
                inst, int(lm["quantity"]), lm["avg_price"], int(lm["opened_quantity"])
            )
        out.append(pos)
    return out


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _instrument(
    leg: Mapping[str, Any], underlyings: Mapping[str, Underlying], market: Market
) -> OptionContract | Stock:
    key = leg["instrument_key"]
    if leg["option_right"] is None:
        return Stock(leg["underlying"], market)
    u = underlyings.get(leg["underlying"])
    if u is None:
        raise PersistenceError(f"stored leg {key}: underlying {leg['underlying']} is not in this market")
    c = OptionContract.for_underlying(u, leg["expiry"], leg["strike"], OptionRight(leg["option_right"]))
    if c.multiplier != int(leg["multiplier"]):
        c = OptionContract(
            c.underlying, c.expiry, c.strike, c.right, c.market, int(leg["multiplier"]), c.style, c.settlement
        )
    if c.key != key:
        raise PersistenceError(f"stored leg {key} reads back as {c.key}; the stored position is inconsistent")
    return c
