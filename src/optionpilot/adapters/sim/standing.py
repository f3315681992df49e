"""The standing simulated broker: a simulated account whose state outlives the process, as a real
broker keeps an account on its server.

Its state (cash ledger, positions with their average price, every order it was sent by client id,
every execution) is its own: it is written by the broker, after each call that changes it (submit,
cancel, replace, and each poll that produced events: fills, order updates, settlements), to the row
`account_key` of the table `sim_broker_state`, in the same database as the engine's but never read by
the engine. A new process restores the broker from that row, not from the engine's tables, so
reconciliation at start-up compares two independent records.

The table is created here (`create_all`, if missing), not by the engine's migrations: it stands for the
broker's server, which the engine's schema neither owns nor describes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.working import WorkingOrder
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExecutionId,
    FillId,
    PositionId,
)
from optionpilot.core.money import ZERO
from optionpilot.domain.accounts import CashLedger, LedgerEntry, LedgerKind
from optionpilot.domain.fills import BrokerEvent, Fill
from optionpilot.domain.instrument_codec import instrument_from_dict, instrument_to_dict
from optionpilot.domain.orders import (
    Order,
    OrderLeg,
    OrderStatus,
    OrderType,
    PositionEffect,
    Side,
    TimeInForce,
)

STATE_VERSION = 1

metadata = sa.MetaData()
sim_broker_state = sa.Table(
    "sim_broker_state",
    metadata,
    sa.Column("account_key", sa.String(160), primary_key=True),
    sa.Column("state_json", sa.Text, nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),  # the injected clock's time, ISO 8601
)


class BrokerStateStore:
    """The broker's own storage: one JSON document per account, replaced whole in one transaction."""

    def __init__(self, engine: sa.Engine, account_key: str) -> None:
        self.engine = engine
        self.account_key = account_key
        try:
            metadata.create_all(engine, checkfirst=True)
        except sa.exc.DBAPIError:
            # Another process created it between the check and the create.
            if not sa.inspect(engine).has_table(sim_broker_state.name):
                raise

    def load(self) -> dict[str, Any] | None:
        c = sim_broker_state.c
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(c.state_json).where(c.account_key == self.account_key)
            ).scalar_one_or_none()
        if text is None:
            return None
        try:
            state = json.loads(text)
        except ValueError as exc:
            raise BrokerError(
                f"simulated broker state of {self.account_key} is not JSON: {exc}", broker="sim", code="state"
            ) from exc
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise BrokerError(
                f"simulated broker state of {self.account_key} has an unknown format",
                broker="sim",
                code="state",
            )
        return state

    def save(self, state: Mapping[str, Any], at: datetime) -> None:
        c = sim_broker_state.c
        text = json.dumps(state, sort_keys=True)
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(sim_broker_state)
                .where(c.account_key == self.account_key)
                .values(state_json=text, updated_at=at.isoformat())
            ).rowcount
            if not done:
                conn.execute(
                    sa.insert(sim_broker_state).values(
                        account_key=self.account_key, state_json=text, updated_at=at.isoformat()
                    )
                )


class StandingSimBroker(SimulatedBroker):
    """A simulated broker that writes its state to `store` after every change it processes."""

    store: BrokerStateStore | None = None

    def attach(self, store: BrokerStateStore) -> None:
        """Write the state to `store` from now on (and once now)."""
        self.store = store
        self.save()

    def save(self) -> None:
        if self.store is not None:
            self.store.save(self.state(), self._clock.now())

    def submit(self, order: Order) -> None:
        try:
            super().submit(order)
        finally:
            self.save()

    def cancel(self, client_order_id: ClientOrderId) -> None:
        super().cancel(client_order_id)
        self.save()

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        super().replace(client_order_id, new_order)
        self.save()

    def poll_events(self) -> Sequence[BrokerEvent]:
        events = super().poll_events()
        if events:
            self.save()
        return events

    # -- the state, as JSON ------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "account_id": str(self._account_id),
            "ledger": [
                {
                    "ts": e.ts.isoformat(),
                    "kind": e.kind.value,
                    "amount": str(e.amount),
                    "ref": e.ref,
                    "note": e.note,
                }
                for e in self._holdings.ledger.entries
            ],
            "positions": [
                {
                    "instrument": instrument_to_dict(p.instrument),
                    "quantity": p.quantity,
                    "avg_price": str(p.avg_price),
                }
                for _, p in sorted(self._holdings.positions.items())
            ],
            "orders": [_order_json(o) for o in self._orders.values()],
            "executions": [_fill_json(f) for f in self._fills],
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Become the account `state` describes (replacing the opening deposit and anything held)."""
        aid = self._account_id
        try:
            ledger = CashLedger(aid)
            for e in state["ledger"]:
                ledger.post(
                    LedgerEntry(
                        aid, _ts(e["ts"]), LedgerKind(e["kind"]), Decimal(e["amount"]), e["ref"], e["note"]
                    )
                )
            positions = [
                (instrument_from_dict(p["instrument"]), int(p["quantity"]), Decimal(p["avg_price"]))
                for p in state["positions"]
            ]
            orders = [_order_from(o) for o in state["orders"]]
            fills = [_fill_from(f) for f in state["executions"]]
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            raise BrokerError(
                f"simulated broker state of {aid} cannot be read: {exc!r}", broker="sim", code="state"
            ) from exc
        self._holdings.ledger = ledger
        self._holdings.positions.clear()
        for inst, qty, avg in positions:
            if qty:
                self._holdings.apply(inst, qty, avg)
        self._orders = {o.client_order_id: o for o in orders}
        self._working.clear()
        for o in orders:
            if o.is_terminal or o.status in (OrderStatus.NEW, OrderStatus.SUBMITTED):
                continue
            since = o.updated_at or o.created_at
            session = self._hours.trading_session(o.created_at)
            close = session.close if session is not None else since
            self._working[o.client_order_id] = WorkingOrder(
                o, since, close, ZERO, charged_order_fee=bool(o.filled_quantity)
            )
        self._fills = fills


def _ts(text: str) -> datetime:
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is None:
        raise ValueError(f"time {text} has no zone")
    return ts


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _order_json(o: Order) -> dict[str, Any]:
    return {
        "client_order_id": o.client_order_id,
        "account_id": o.account_id,
        "legs": [
            {
                "instrument": instrument_to_dict(leg.instrument),
                "side": leg.side.value,
                "ratio": leg.ratio,
                "effect": leg.effect.value,
            }
            for leg in o.legs
        ],
        "quantity": o.quantity,
        "order_type": o.order_type.value,
        "created_at": o.created_at.isoformat(),
        "limit_price": _opt(o.limit_price),
        "tif": o.tif.value,
        "position_id": o.position_id,
        "purpose": o.purpose,
        "reason": o.reason,
        "parent_id": o.parent_id,
        "status": o.status.value,
        "status_reason": o.status_reason,
        "filled_quantity": o.filled_quantity,
        "broker_order_id": o.broker_order_id,
        "updated_at": None if o.updated_at is None else o.updated_at.isoformat(),
    }


def _order_from(d: Mapping[str, Any]) -> Order:
    return Order(
        client_order_id=ClientOrderId(d["client_order_id"]),
        account_id=AccountId(d["account_id"]),
        legs=tuple(
            OrderLeg(
                instrument_from_dict(leg["instrument"]),
                Side(leg["side"]),
                int(leg["ratio"]),
                PositionEffect(leg["effect"]),
            )
            for leg in d["legs"]
        ),
        quantity=int(d["quantity"]),
        order_type=OrderType(d["order_type"]),
        created_at=_ts(d["created_at"]),
        limit_price=None if d["limit_price"] is None else Decimal(d["limit_price"]),
        tif=TimeInForce(d["tif"]),
        position_id=None if d["position_id"] is None else PositionId(d["position_id"]),
        purpose=d["purpose"],
        reason=d["reason"],
        parent_id=None if d["parent_id"] is None else ClientOrderId(d["parent_id"]),
        status=OrderStatus(d["status"]),
        status_reason=d["status_reason"],
        filled_quantity=int(d["filled_quantity"]),
        broker_order_id=None if d["broker_order_id"] is None else BrokerOrderId(d["broker_order_id"]),
        updated_at=None if d["updated_at"] is None else _ts(d["updated_at"]),
    )


def _fill_json(f: Fill) -> dict[str, Any]:
    return {
        "execution_id": f.execution_id,
        "fill_id": f.fill_id,
        "account_id": f.account_id,
        "client_order_id": f.client_order_id,
        "leg_index": f.leg_index,
        "instrument": instrument_to_dict(f.instrument),
        "side": f.side.value,
        "quantity": f.quantity,
        "price": str(f.price),
        "fee": str(f.fee),
        "ts": f.ts.isoformat(),
        "effect": f.effect.value,
    }


def _fill_from(d: Mapping[str, Any]) -> Fill:
    return Fill(
        fill_id=FillId(d["fill_id"]),
        client_order_id=ClientOrderId(d["client_order_id"]),
        account_id=AccountId(d["account_id"]),
        leg_index=int(d["leg_index"]),
        instrument=instrument_from_dict(d["instrument"]),
        side=Side(d["side"]),
        quantity=int(d["quantity"]),
        price=Decimal(d["price"]),
        fee=Decimal(d["fee"]),
        ts=_ts(d["ts"]),
        effect=PositionEffect(d["effect"]),
        execution_id=ExecutionId(d["execution_id"]),
    )


__all__ = ["BrokerStateStore", "StandingSimBroker", "sim_broker_state"]
