"""The stub's trading core: the clock, the simulated market, the book, and what happens as time moves.

Requests and the matching loop both call `now()` first, which moves the market's clock up to the
accelerated clock, so every answer and every fill is as of one consistent instant. Trade updates are
queued in `outbox`; the server sends them on the stream.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from optionpilot.adapters.alpaca_stub.config import FaultName, StubConfig
from optionpilot.adapters.alpaca_stub.documents import order_doc
from optionpilot.adapters.alpaca_stub.faults import Faults
from optionpilot.adapters.alpaca_stub.intake import build_order, check_price, invalid, unprocessable
from optionpilot.adapters.alpaca_stub.matching import DisplayedSizes, match_order, touch_net
from optionpilot.adapters.alpaca_stub.requirements import buying_power, order_requirement
from optionpilot.adapters.alpaca_stub.state import Book, Execution, IdMaker, Leg, Order, Position
from optionpilot.adapters.alpaca_stub.wire import AlpacaError, ErrorCode, OrderIn, ReplaceIn, num, rfc3339
from optionpilot.adapters.sim.fees import fill_fee
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.stub_common.market_time import MarketTime, session_open_at, trading_day
from optionpilot.core.calendars import Session
from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError
from optionpilot.domain.instruments import Instrument, OptionContract, Stock
from optionpilot.domain.market import Quote
from optionpilot.domain.orders import Side
from optionpilot.domain.symbols import parse_occ


class StubBroker:
    def __init__(self, config: StubConfig, clock: Clock) -> None:
        self.config = config
        self.time = MarketTime(clock)
        self.clock = self.time.clock
        self.market = SimulatedMarket(config.market, self.clock, config.seed)
        self.calendar = self.market.calendar
        self.ids = IdMaker(config.seed)
        self.book = Book(account_id=self.ids.new(), cash=config.cash, ids=self.ids)
        self.faults = Faults(config.faults, config.seed)
        self.created_at = self.clock.now()
        self._underlyings = {u.symbol: u for u in self.market.underlyings()}
        self._stocks = frozenset(u.symbol for u in self.market.underlyings() if u.is_tradeable)
        self._sizes = DisplayedSizes()
        self._settled_through = self.calendar.local_date(self.created_at) - timedelta(days=1)
        self.outbox: list[dict[str, Any]] = []

    # -- time ---------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.time.now()

    def session_open_at(self, t: datetime) -> Session | None:
        return session_open_at(self.calendar, t)

    def trading_day(self, t: datetime) -> date:
        """The session a day order placed at `t` belongs to: today's until its close, else the next."""
        return trading_day(self.calendar, t)

    # -- instruments and quotes ---------------------------------------------------------------------

    def resolve(self, symbol: str) -> OptionContract | None:
        if symbol in self._stocks:
            return None
        try:
            parsed = parse_occ(symbol)
        except DataError:
            raise invalid(f"asset {symbol!r} not found") from None
        u = self._underlyings.get(parsed.underlying)
        if u is None:
            raise invalid(f"asset {symbol!r} not found")
        contract = OptionContract.for_underlying(u, parsed.expiry, parsed.strike, parsed.right)
        if self.market.quote(contract) is None:
            raise invalid(f"asset {symbol!r} is not tradable (not listed now)")
        return contract

    def quote(self, leg: Leg) -> Quote | None:
        if leg.contract is not None:
            return self.market.quote(leg.contract)
        return self.stock_quote(leg.symbol)

    def stock_quote(self, symbol: str) -> Quote:
        tick = self._underlyings[symbol].tick
        spot = Decimal(str(self.market.spot(symbol))).quantize(tick)
        half = tick * self.config.stock_spread_ticks
        size = self.config.stock_quote_size
        return Quote(spot - half, spot + half, size, size, self.clock.now())

    def tick(self, leg: Leg) -> Decimal:
        u = self._underlyings[leg.contract.underlying if leg.contract else leg.symbol]
        return u.option_tick if leg.contract is not None else u.tick

    def mark(self, symbol: str, contract: OptionContract | None) -> Decimal | None:
        if contract is None:
            return self.stock_quote(symbol).mid
        q = self.market.quote(contract)
        return None if q is None or q.bid <= 0 or q.ask <= 0 else q.mid

    def net_estimate(self, order: Order) -> Decimal:
        if order.net_limit is not None:
            return order.net_limit
        return touch_net(order.legs, self.quote) or Decimal(0)

    def buying_power(self) -> Decimal:
        return buying_power(self.book, self.net_estimate)

    # -- requests -----------------------------------------------------------------------------------

    def submit(self, req: OrderIn) -> Order:
        now = self.now()
        order = build_order(
            req,
            book=self.book,
            ids=self.ids,
            resolve=self.resolve,
            now=now,
            session_day=self.trading_day(now),
        )
        self._check_funds(order)
        self.book.add_order(order)
        self.faults_on_accept(order)
        self.publish("new", order, now)
        return order

    def faults_on_accept(self, order: Order) -> None:
        if self.faults.fires(FaultName.REJECT_LEG):
            order.reject_pending = True

    def _check_funds(self, order: Order) -> None:
        for leg in order.legs:
            if leg.contract is None and leg.side == "sell":
                available = max(self.book.held(leg.symbol), 0)
                if leg.ratio * order.qty > available:
                    raise AlpacaError(
                        403,
                        ErrorCode.BUYING_POWER,
                        f"insufficient qty available for order (requested: {order.qty}, "
                        f"available: {available})",
                    )
        need = order_requirement(self.book, order.legs, order.qty, self.net_estimate(order))
        have = self.buying_power()
        if need > have:
            raise AlpacaError(403, ErrorCode.BUYING_POWER, "insufficient buying power")

    def get(self, order_id: str) -> Order:
        for order in self.book.orders.values():
            if str(order.id) == order_id:
                return order
        raise AlpacaError(404, ErrorCode.NOT_FOUND, "order not found")

    def cancel(self, order_id: str) -> Order:
        order = self.get(order_id)
        now = self.now()
        if not order.is_open:
            raise unprocessable(f"order is not cancelable (status {order.status})")
        # Alpaca's sequence on the stream: pending_cancel, then canceled (here both at once; REST shows
        # the end state straight away).
        order.touch("pending_cancel", now)
        self.publish("pending_cancel", order, now)
        order.canceled_at = now
        order.touch("canceled", now)
        self.publish("canceled", order, now)
        return order

    def replace(self, order_id: str, req: ReplaceIn) -> Order:
        old = self.get(order_id)
        now = self.now()
        if not old.is_open:
            raise unprocessable(f"order is not replaceable (status {old.status})")
        options = any(leg.contract is not None for leg in old.legs)
        if options and req.time_in_force not in (None, "day"):
            raise unprocessable("invalid time_in_force for options: only day is allowed")
        if req.limit_price is not None and old.type != "limit":
            raise invalid("limit_price can only be replaced on a limit order")
        check_price("limit_price", req.limit_price)
        client_id = req.client_order_id or str(self.ids.new())
        if self.book.order_by_client_id(client_id) is not None:
            raise invalid("client_order_id must be unique")
        qty = int(req.qty) if req.qty is not None else old.remaining
        legs = [
            Leg(self.ids.new(), x.symbol, x.side, x.ratio, x.position_intent, x.contract) for x in old.legs
        ]
        new = Order(
            id=self.ids.new(),
            client_order_id=client_id,
            order_class=old.order_class,
            type=old.type,
            time_in_force=req.time_in_force or old.time_in_force,
            qty=qty,
            limit_price=req.limit_price if req.limit_price is not None else old.limit_price,
            legs=legs,
            created_at=now,
            session_day=old.session_day,
            updated_at=now,
            replaces=old.id,
        )
        # The old order's reservation is released before the new one is checked, as one replace.
        status = old.status
        old.touch("replaced", now)
        try:
            self._check_funds(new)
        except AlpacaError:
            old.touch(status, old.updated_at or now)
            raise
        # Alpaca's sequence on the stream: pending_replace, then replaced with the new order's new.
        old.touch("pending_replace", now)
        self.publish("pending_replace", old, now)
        old.touch("replaced", now)
        old.replaced_at, old.replaced_by = now, new.id
        self.book.add_order(new)
        self.publish("replaced", old, now)
        self.publish("new", new, now)
        return new

    def close_position(self, symbol: str, qty: int | None) -> Order:
        held = self.book.held(symbol)
        if held == 0:
            raise AlpacaError(404, ErrorCode.NOT_FOUND, f"position not found: {symbol}")
        size = abs(held) if qty is None else min(qty, abs(held))
        contract = self.book.positions[symbol].contract
        req = OrderIn(
            symbol=symbol,
            qty=Decimal(size),
            side="sell" if held > 0 else "buy",
            type="market",
            time_in_force="day",
            position_intent=None if contract is None else ("sell_to_close" if held > 0 else "buy_to_close"),
        )
        return self.submit(req)

    # -- the clock moves ----------------------------------------------------------------------------

    def step(self) -> None:
        now = self.now()
        for order in self.book.open_orders():
            if order.reject_pending:
                order.failed_at = now
                order.touch("rejected", now)
                self.publish("rejected", order, now)
            elif order.time_in_force == "day" and now >= self.calendar.session(order.session_day).close:
                order.expired_at = self.calendar.session(order.session_day).close
                order.touch("expired", now)
                self.publish("expired", order, now)
        if self.session_open_at(now) is not None:
            self._fill(now)
        self._settle_expiries(now)

    def _fill(self, now: datetime) -> None:
        sizes = self._sizes.at(now)
        for order in sorted(self.book.open_orders(), key=lambda o: o.created_at):
            match = match_order(order, self.quote, self.tick, sizes, now)
            if match is None:
                continue
            units = match.units
            if units > 1 and self.faults.fires(FaultName.PARTIAL_FILLS):
                units = max(1, order.remaining // 2) if units >= order.remaining else units // 2
            first = order.filled_qty == 0
            fee = sum(
                (
                    fill_fee(
                        self.config.fees,
                        _instrument(leg),
                        Side(leg.side),
                        leg.ratio * units,
                        price,
                        first_fill_of_order=first,
                    )
                    for leg, price in zip(order.legs, match.prices, strict=True)
                ),
                Decimal(0),
            )
            for leg in order.legs:
                sizes.take(leg, leg.ratio * units)
            execution = self.book.apply_fill(order, units, match.prices, now, fee)
            self.publish("fill" if order.remaining == 0 else "partial_fill", order, now, execution)

    def _settle_expiries(self, now: datetime) -> None:
        day = self.calendar.next_session(self._settled_through)
        while self.calendar.session(day).close <= now:
            self._settle(day, self.calendar.session(day).close)
            self._settled_through = day
            day = self.calendar.next_session(day)

    def _settle(self, day: date, at: datetime) -> None:
        """Options expiring on `day`: ITM by a cent or more are exercised or assigned, the rest expire."""
        for symbol, position in list(self.book.positions.items()):
            c = position.contract
            if c is None or c.expiry > day:
                continue
            spot = Decimal(str(self.market.spot(c.underlying)))
            qty = position.qty
            del self.book.positions[symbol]
            if c.intrinsic(spot) < Decimal("0.01"):
                self.book.add_non_trade(at, "OPEXP", Decimal(0), "Option Expiry", symbol=symbol, qty=qty)
                continue
            shares = qty * c.multiplier * (1 if c.is_call else -1)
            cash = -shares * c.strike
            kind = "OPEXC" if qty > 0 else "OPASN"
            self.book.cash += cash
            stock = self.book.positions.get(c.underlying)
            if stock is None:
                stock = self.book.positions[c.underlying] = Position(c.underlying, None)
            stock.add(shares, c.strike)
            if stock.qty == 0:
                del self.book.positions[c.underlying]
            label = "Option Exercise" if kind == "OPEXC" else "Option Assignment"
            self.book.add_non_trade(at, kind, cash, label, symbol=symbol, qty=qty)

    # -- the stream ---------------------------------------------------------------------------------

    def publish(self, event: str, order: Order, at: datetime, execution: Execution | None = None) -> None:
        data: dict[str, Any] = {"event": event, "timestamp": rfc3339(at), "order": order_doc(order)}
        if execution is not None:
            data["execution_id"] = str(execution.id)
            data["qty"] = num(execution.units)
            simple = order.order_class == "simple"
            data["price"] = num(execution.prices[0] if simple else execution.net)
            if simple:
                data["position_qty"] = num(self.book.held(order.legs[0].symbol))
        self.outbox.append({"stream": "trade_updates", "data": data})


def _instrument(leg: Leg) -> Instrument:
    return leg.contract if leg.contract is not None else Stock(leg.symbol)
