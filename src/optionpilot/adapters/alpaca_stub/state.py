"""The stub's book: orders by id and client order id, positions, cash, activities and executions.

Only this module changes the book; matching and the routes ask it to. A fill is applied here once,
with its own execution id (sent on the stream), and leaves one FILL activity per leg. As on real Alpaca,
the activity carries no execution id: it names the order (an mleg leg's own id) and the cumulative
quantity, which is how a client matches it with the stream's update.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from optionpilot.adapters.alpaca_stub.wire import num, rfc3339
from optionpilot.core.money import ZERO
from optionpilot.domain.instruments import OptionContract

OPEN_STATUSES = frozenset({"new", "accepted", "partially_filled", "pending_new"})


class IdMaker:
    """Version-4 UUIDs from a seeded generator, so a rehearsal with the same seed has the same ids."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def new(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)


def asset_id(symbol: str) -> uuid.UUID:
    """A fixed id per symbol, the same in every run (Alpaca's asset ids never change)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"optionpilot-alpaca-stub:{symbol}")


@dataclass(slots=True)
class Leg:
    id: uuid.UUID
    symbol: str
    side: str  # buy | sell
    ratio: int
    position_intent: str | None
    contract: OptionContract | None  # None for a stock

    filled_qty: int = 0
    filled_value: Decimal = ZERO  # sum of price x quantity, for the average

    @property
    def asset_class(self) -> str:
        return "us_equity" if self.contract is None else "us_option"

    @property
    def multiplier(self) -> int:
        return 1 if self.contract is None else self.contract.multiplier

    @property
    def sign(self) -> int:
        return 1 if self.side == "buy" else -1


@dataclass(slots=True)
class Order:
    id: uuid.UUID
    client_order_id: str
    order_class: str  # simple | mleg
    type: str  # market | limit
    time_in_force: str
    qty: int
    limit_price: Decimal | None  # as sent: positive for a simple order; signed net for mleg
    legs: list[Leg]
    created_at: datetime
    session_day: date
    status: str = "new"
    updated_at: datetime | None = None
    filled_qty: int = 0
    filled_value: Decimal = ZERO  # net per unit x units, summed
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    replaced_at: datetime | None = None
    failed_at: datetime | None = None
    replaced_by: uuid.UUID | None = None
    replaces: uuid.UUID | None = None
    reject_pending: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> int:
        return self.qty - self.filled_qty

    @property
    def net_limit(self) -> Decimal | None:
        """The limit on the net per unit, + paid and - received (a simple sell's limit is a credit)."""
        if self.limit_price is None:
            return None
        if self.order_class == "mleg":
            return self.limit_price
        return self.limit_price if self.legs[0].side == "buy" else -self.limit_price

    def touch(self, status: str, at: datetime) -> None:
        self.status = status
        self.updated_at = at


@dataclass(slots=True)
class Position:
    symbol: str
    contract: OptionContract | None
    qty: int = 0  # signed: short below zero
    cost: Decimal = ZERO  # signed cost basis in dollars (multiplier included)

    @property
    def multiplier(self) -> int:
        return 1 if self.contract is None else self.contract.multiplier

    @property
    def asset_class(self) -> str:
        return "us_equity" if self.contract is None else "us_option"

    def add(self, qty: int, price: Decimal) -> None:
        """Apply a signed trade; a reduction keeps the average entry price of what is left."""
        if self.qty == 0 or (self.qty > 0) == (qty > 0):
            self.cost += price * qty * self.multiplier
        else:
            closing = min(abs(qty), abs(self.qty))
            self.cost -= self.cost * closing / abs(self.qty)
            rest = abs(qty) - closing
            if rest:
                self.cost = price * rest * self.multiplier * (1 if qty > 0 else -1)
        self.qty += qty
        if self.qty == 0:
            self.cost = ZERO


@dataclass(frozen=True, slots=True)
class Execution:
    id: uuid.UUID
    order_id: uuid.UUID
    at: datetime
    units: int
    prices: tuple[Decimal, ...]  # per leg
    net: Decimal  # per unit: + paid, - received


@dataclass
class Book:
    account_id: uuid.UUID
    cash: Decimal
    ids: IdMaker
    orders: dict[uuid.UUID, Order] = field(default_factory=dict)
    by_client_id: dict[str, uuid.UUID] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    activities: list[dict[str, Any]] = field(default_factory=list)
    executions: dict[uuid.UUID, Execution] = field(default_factory=dict)

    def add_order(self, order: Order) -> None:
        self.orders[order.id] = order
        self.by_client_id[order.client_order_id] = order.id

    def order_by_client_id(self, client_order_id: str) -> Order | None:
        found = self.by_client_id.get(client_order_id)
        return None if found is None else self.orders[found]

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def held(self, symbol: str) -> int:
        p = self.positions.get(symbol)
        return 0 if p is None else p.qty

    def apply_fill(
        self, order: Order, units: int, prices: tuple[Decimal, ...], at: datetime, fee: Decimal
    ) -> Execution:
        if units <= 0 or units > order.remaining:
            raise ValueError(f"fill of {units} on order {order.id} with {order.remaining} left")
        net = sum((leg.sign * leg.ratio * p for leg, p in zip(order.legs, prices, strict=True)), ZERO)
        execution = Execution(self.ids.new(), order.id, at, units, prices, net)
        order.filled_qty += units
        order.filled_value += net * units
        order.filled_at = at
        order.touch("filled" if order.remaining == 0 else "partially_filled", at)
        for leg, price in zip(order.legs, prices, strict=True):
            qty = leg.ratio * units
            leg.filled_qty += qty
            leg.filled_value += price * qty
            position = self.positions.setdefault(leg.symbol, Position(leg.symbol, leg.contract))
            position.add(leg.sign * qty, price)
            if position.qty == 0:
                del self.positions[leg.symbol]
            self.cash -= leg.sign * price * qty * leg.multiplier
            self.activities.append(
                {
                    "id": self.activity_id(at),
                    "account_id": str(self.account_id),
                    "activity_type": "FILL",
                    "transaction_time": rfc3339(at),
                    "type": "fill" if order.remaining == 0 else "partial_fill",
                    "price": num(price),
                    "qty": num(qty),
                    "side": leg.side,
                    "symbol": leg.symbol,
                    "leaves_qty": num(leg.ratio * order.remaining),
                    "order_id": str(order.id if order.order_class == "simple" else leg.id),
                    "cum_qty": num(leg.filled_qty),
                    "order_status": order.status,
                }
            )
        if fee > 0:
            self.cash -= fee
            self.add_non_trade(at, "FEE", -fee, "regulatory fees", symbol=None, qty=None)
        self.executions[execution.id] = execution
        return execution

    def add_non_trade(
        self,
        at: datetime,
        kind: str,
        net_amount: Decimal,
        description: str,
        *,
        symbol: str | None,
        qty: int | None,
    ) -> None:
        self.activities.append(
            {
                "id": self.activity_id(at),
                "account_id": str(self.account_id),
                "activity_type": kind,
                "date": at.date().isoformat(),
                "net_amount": num(net_amount),
                "description": description,
                "status": "executed",
                "symbol": symbol,
                "qty": None if qty is None else num(qty),
            }
        )

    def activity_id(self, at: datetime) -> str:
        # Alpaca's form: a sortable time stamp (to the millisecond), "::", a UUID.
        return f"{at:%Y%m%d%H%M%S}{at.microsecond // 1000:03d}::{self.ids.new()}"
