"""The Dhan stub's trading core: the clock, the simulated NSE market, the book, and what happens as time
moves (TRANSIT -> PENDING -> PART_TRADED/TRADED, rejections, IOC, expiry of day orders, cash settlement
of expired options). Order updates are queued in `outbox`; the server sends them on the socket.

Displayed quote sizes of the simulator are read as lots: a side shows `size x lot size` units a minute,
shared by all orders in that minute. Fills are at the touch (buys at the ask, sells at the bid).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from optionpilot.adapters.dhan_stub.config import DhanFault, DhanStubConfig
from optionpilot.adapters.dhan_stub.documents import order_update
from optionpilot.adapters.dhan_stub.instruments import Instruments, Listed
from optionpilot.adapters.dhan_stub.intake import check_place, check_price, check_quantity, check_type, slices
from optionpilot.adapters.dhan_stub.margins import requirement
from optionpilot.adapters.dhan_stub.state import Book, Order
from optionpilot.adapters.dhan_stub.wire import ModifyIn, OrderIn, bad_input, not_found, order_error
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.stub_common.faults import Faults
from optionpilot.adapters.stub_common.market_time import MarketTime, session_open_at, trading_day
from optionpilot.core.clock import Clock
from optionpilot.domain.market import Quote

QUOTE_MAX_AGE = timedelta(minutes=5)


class DhanBroker:
    def __init__(self, config: DhanStubConfig, clock: Clock) -> None:
        self.config = config
        self.client_id = config.client_id
        self.time = MarketTime(clock)
        self.market = SimulatedMarket(config.market, self.time.clock, config.seed)
        self.calendar = self.market.calendar
        self.instruments = Instruments(self.market)
        self.book = Book(cash=config.cash)
        self.faults = Faults(config.faults, config.seed)
        self.outbox: list[dict[str, Any]] = []
        self._taken: Counter[tuple[int, str]] = Counter()
        self._minute = -1
        start = self.now()
        self._settled_through = self.calendar.local_date(start) - timedelta(days=1)

    # -- time, instruments and quotes -----------------------------------------------------------

    def now(self) -> datetime:
        t = self.time.now()
        self.instruments.refresh(self.calendar.local_date(t))
        return t

    def today(self) -> date:
        return trading_day(self.calendar, self.now())

    def quote(self, listed: Listed) -> Quote | None:
        return self.market.quote(listed.contract)

    def spot(self, underlying: str) -> Decimal:
        return Decimal(str(self.market.spot(underlying)))

    def mark(self, listed: Listed) -> Decimal | None:
        q = self.quote(listed)
        return None if q is None or q.bid <= 0 or q.ask <= 0 else q.mid

    def utilized(self) -> Decimal:
        return requirement(self.book, self.spot, self._ask, self.config)

    def _ask(self, listed: Listed) -> Decimal:
        q = self.quote(listed)
        return Decimal(0) if q is None else q.ask

    # -- requests -------------------------------------------------------------------------------

    def _check_client(self, given: str) -> None:
        if given and given != self.client_id:
            raise bad_input(f"dhanClientId {given!r} does not match the client-id header")

    def _check_trading(self) -> None:
        if self.book.kill_switch_day == self.today():
            raise order_error("Kill switch is active: trading is disabled for the day")

    def place(self, req: OrderIn, *, sliced: bool = False) -> list[Order]:
        now = self.now()
        self._check_client(req.dhan_client_id)
        self._check_trading()
        listed = check_place(req, self.instruments, self.config.freeze_quantity, sliced=sliced)
        in_session = session_open_at(self.calendar, now) is not None
        if not in_session and not req.after_market_order:
            raise order_error("Market is closed; send afterMarketOrder for the next session")
        if req.after_market_order and in_session:
            raise order_error("afterMarketOrder is only allowed while the market is closed")
        freeze = self.config.freeze_quantity.get(listed.contract.underlying) if sliced else None
        orders: list[Order] = []
        for qty in slices(req.quantity, listed, freeze):
            order_id, exchange_id = self.book.next_order_ids()
            orders.append(
                Order(
                    order_id=order_id,
                    exchange_order_id=exchange_id,
                    correlation_id=req.correlation_id or None,
                    listed=listed,
                    side=req.transaction_type,
                    product=req.product_type,
                    order_type=req.order_type,
                    validity=req.validity,
                    quantity=qty,
                    price=req.price if req.order_type == "LIMIT" else Decimal(0),
                    created_at=now,
                    session_day=trading_day(self.calendar, now),
                    after_market=req.after_market_order,
                    updated_at=now,
                )
            )
        self._check_funds(orders)
        for order in orders:
            self.book.add_order(order)
            if self.faults.fires(DhanFault.REJECT_LEG):
                order.reject_pending = True
            self.publish(order)
        return orders

    def _check_funds(self, orders: list[Order]) -> None:
        need = requirement(self.book, self.spot, self._ask, self.config, extra=orders)
        if need > self.book.cash:
            short = (need - self.book.cash).quantize(Decimal("0.01"))
            raise order_error(f"Insufficient funds: the order needs Rs {short} more margin")

    def get(self, order_id: str) -> Order:
        self.now()
        order = self.book.orders.get(order_id)
        if order is None:
            raise not_found(f"no order {order_id!r} in the order book")
        return order

    def by_correlation(self, correlation_id: str) -> Order:
        self.now()
        order = self.book.by_correlation(correlation_id)
        if order is None:
            raise not_found(f"no order with correlationId {correlation_id!r}")
        return order

    def modify(self, order_id: str, req: ModifyIn) -> Order:
        order = self.get(order_id)
        now = self.now()
        self._check_client(req.dhan_client_id)
        self._check_trading()
        if req.order_id and req.order_id != order_id:
            raise bad_input(f"orderId {req.order_id!r} in the body does not match {order_id!r} in the path")
        if not order.is_open:
            raise order_error(f"Order {order_id} cannot be modified in status {order.status}")
        if order.modifications >= self.config.max_modifications:
            raise order_error(
                f"Order {order_id} reached the modification limit of {self.config.max_modifications}"
            )
        check_type(req.order_type)
        qty = req.quantity if req.quantity is not None else order.quantity
        freeze = self.config.freeze_quantity.get(order.listed.contract.underlying)
        check_quantity(qty, order.listed, freeze)
        if qty <= order.filled_qty:
            raise order_error(f"Quantity {qty} must be above the {order.filled_qty} already traded")
        price = req.price if req.price is not None else order.price
        if req.order_type == "MARKET":
            price = Decimal(0)
        check_price(req.order_type, price, order.listed)
        before = (order.order_type, order.quantity, order.price, order.validity)
        order.order_type, order.quantity, order.price = req.order_type, qty, price
        order.validity = req.validity or order.validity
        try:
            self._check_funds([])
        except Exception:
            order.order_type, order.quantity, order.price, order.validity = before
            raise
        order.modifications += 1
        order.updated_at = now
        self.publish(order)
        return order

    def cancel(self, order_id: str) -> Order:
        order = self.get(order_id)
        now = self.now()
        if not order.is_open:
            raise order_error(f"Order {order_id} cannot be cancelled in status {order.status}")
        order.touch("CANCELLED", now)
        self.publish(order)
        return order

    def set_kill_switch(self, on: bool) -> None:
        if on:
            if self.book.open_orders():
                raise order_error("Cancel every pending order before activating the kill switch")
            if any(p.net_qty for p in self.book.positions.values()):
                raise order_error("Close every open position before activating the kill switch")
            self.book.kill_switch_day = self.today()
        else:
            self.book.kill_switch_day = None

    def kill_switch_on(self) -> bool:
        return self.book.kill_switch_day == self.today()

    # -- the clock moves ------------------------------------------------------------------------

    def step(self) -> None:
        now = self.now()
        session = session_open_at(self.calendar, now)
        for order in self.book.open_orders():
            if order.status == "TRANSIT":
                if order.reject_pending:
                    order.error_code, order.error_text = "16388", "RMS: exchange rejected the order"
                    order.touch("REJECTED", now)
                else:
                    order.touch("PENDING", now)
                    order.exchange_time = now
                self.publish(order)
            elif now >= self.calendar.session(order.session_day).close:
                order.touch("EXPIRED", now)
                self.publish(order)
        if session is not None:
            self._fill(now)
        self._settle_expiries(now)

    def _fill(self, now: datetime) -> None:
        minute = int(now.timestamp() // 60)
        if minute != self._minute:
            self._minute, self._taken = minute, Counter()
        for order in sorted(self.book.open_orders(), key=lambda o: o.created_at):
            if order.status not in {"PENDING", "PART_TRADED"}:
                continue
            if order.session_day != self.calendar.local_date(now):
                continue
            self._fill_one(order, now)
            if order.validity == "IOC" and order.is_open:
                order.touch("CANCELLED", now)
                self.publish(order)

    def _fill_one(self, order: Order, now: datetime) -> None:
        q = self.quote(order.listed)
        if q is None or now - q.ts > QUOTE_MAX_AGE or (q.bid > 0 and q.ask > 0 and q.bid > q.ask):
            return
        buy = order.side == "BUY"
        price, size = (q.ask, q.ask_size) if buy else (q.bid, q.bid_size)
        if price <= 0 or size <= 0:
            return
        if order.order_type == "LIMIT" and (price > order.price if buy else price < order.price):
            return
        lot = order.listed.lot_size
        key = (order.listed.security_id, order.side)
        room = size * lot - self._taken[key]
        units = min(order.remaining, room) // lot * lot
        if units <= 0:
            return
        if units > lot and self.faults.fires(DhanFault.PARTIAL_FILLS):
            units = max(lot, units // 2 // lot * lot)
        self._taken[key] += units
        self.book.apply_fill(order, units, price, now)
        self.publish(order)

    def _settle_expiries(self, now: datetime) -> None:
        day = self.calendar.next_session(self._settled_through)
        while self.calendar.session(day).close <= now:
            self._settle(day)
            self._settled_through = day
            day = self.calendar.next_session(day)

    def _settle(self, day: date) -> None:
        """Expiring options close at intrinsic value at the expiry's close. Index options settle so on
        NSE; stock options are physically settled there, which the stub (it trades no NSE_EQ) does not
        model: their ITM quantity is closed in cash as well."""
        for position in self.book.positions.values():
            c = position.listed.contract
            net = position.net_qty
            if c.expiry > day or net == 0:
                continue
            value = c.intrinsic(self.spot(c.underlying)).quantize(Decimal("0.05"))
            if net > 0:
                position.sell_qty += net
                position.sell_value += value * net
            else:
                position.buy_qty -= net
                position.buy_value -= value * net
            self.book.cash += value * net

    # -- updates --------------------------------------------------------------------------------

    def publish(self, order: Order) -> None:
        self.outbox.append(order_update(order, self.client_id))
