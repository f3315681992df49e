"""The stub's book: orders by id and correlation id, trades, positions by security id, cash.

Only this module changes the book; the broker asks it to. A fill is applied once and leaves one trade.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from optionpilot.adapters.dhan_stub.instruments import Listed
from optionpilot.core.money import ZERO

OPEN_STATUSES = frozenset({"TRANSIT", "PENDING", "PART_TRADED"})


@dataclass(slots=True)
class Order:
    order_id: str
    exchange_order_id: str
    correlation_id: str | None
    listed: Listed
    side: str  # BUY | SELL
    product: str
    order_type: str  # LIMIT | MARKET
    validity: str  # DAY | IOC
    quantity: int
    price: Decimal  # 0 for a market order
    created_at: datetime
    session_day: date
    after_market: bool = False
    status: str = "TRANSIT"
    updated_at: datetime | None = None
    exchange_time: datetime | None = None
    filled_qty: int = 0
    filled_value: Decimal = ZERO
    last_price: Decimal = ZERO
    modifications: int = 0
    reject_pending: bool = False
    error_code: str = ""
    error_text: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled_qty

    @property
    def sign(self) -> int:
        return 1 if self.side == "BUY" else -1

    @property
    def average_price(self) -> Decimal:
        return self.filled_value / self.filled_qty if self.filled_qty else ZERO

    def touch(self, status: str, at: datetime) -> None:
        self.status = status
        self.updated_at = at


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: str
    order: Order
    at: datetime
    quantity: int
    price: Decimal


@dataclass(slots=True)
class Position:
    listed: Listed
    product: str
    buy_qty: int = 0
    buy_value: Decimal = ZERO
    sell_qty: int = 0
    sell_value: Decimal = ZERO

    @property
    def net_qty(self) -> int:
        return self.buy_qty - self.sell_qty

    @property
    def buy_avg(self) -> Decimal:
        return self.buy_value / self.buy_qty if self.buy_qty else ZERO

    @property
    def sell_avg(self) -> Decimal:
        return self.sell_value / self.sell_qty if self.sell_qty else ZERO

    @property
    def cost_price(self) -> Decimal:
        """The average price of the open side."""
        net = self.net_qty
        return self.buy_avg if net > 0 else self.sell_avg if net < 0 else ZERO

    @property
    def realized(self) -> Decimal:
        closed = min(self.buy_qty, self.sell_qty)
        return (self.sell_avg - self.buy_avg) * closed

    def unrealized(self, mark: Decimal | None) -> Decimal:
        if mark is None or self.net_qty == 0:
            return ZERO
        return (mark - self.cost_price) * self.net_qty


@dataclass
class Book:
    cash: Decimal
    orders: dict[str, Order] = field(default_factory=dict)
    trades: list[Trade] = field(default_factory=list)
    positions: dict[int, Position] = field(default_factory=dict)
    kill_switch_day: date | None = None  # trading is off for this session
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_order_ids(self) -> tuple[str, str]:
        n = next(self._seq)
        return f"52{n:010d}", f"1100000{n:09d}"

    def next_trade_id(self) -> str:
        return f"{next(self._seq) + 10**8:015d}"

    def add_order(self, order: Order) -> None:
        self.orders[order.order_id] = order

    def by_correlation(self, correlation_id: str) -> Order | None:
        """The latest order sent under this correlation id (slices share one)."""
        found = [o for o in self.orders.values() if o.correlation_id == correlation_id]
        return found[-1] if found else None

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def net(self, security_id: int) -> int:
        p = self.positions.get(security_id)
        return 0 if p is None else p.net_qty

    def apply_fill(self, order: Order, qty: int, price: Decimal, at: datetime) -> Trade:
        if qty <= 0 or qty > order.remaining:
            raise ValueError(f"fill of {qty} on order {order.order_id} with {order.remaining} left")
        order.filled_qty += qty
        order.filled_value += price * qty
        order.last_price = price
        order.exchange_time = at
        order.touch("TRADED" if order.remaining == 0 else "PART_TRADED", at)
        sid = order.listed.security_id
        position = self.positions.setdefault(sid, Position(order.listed, order.product))
        if order.side == "BUY":
            position.buy_qty += qty
            position.buy_value += price * qty
        else:
            position.sell_qty += qty
            position.sell_value += price * qty
        self.cash -= order.sign * price * qty
        trade = Trade(self.next_trade_id(), order, at, qty, price)
        self.trades.append(trade)
        return trade
