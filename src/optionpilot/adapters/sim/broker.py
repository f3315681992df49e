"""The simulated broker: one account, filling orders against the market as of the clock.

`submit` checks and queues; `poll_events` does the work. Each poll matches every working order
against the quotes at the clock (an order fills only on a quote stamped strictly after it was
sent, or after its last fill), expires DAY orders at the close and settles options after the close
of their expiry session (deliveries the cash cannot pay are closed at intrinsic value: see
`expiry_delivery`). Refusals to send (malformed or unsupported orders) raise BrokerError;
refusals about the account or the market (hours, quotes, positions, buying power) come back as a
REJECTED update with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from optionpilot.adapters.sim.admission import Admission
from optionpilot.adapters.sim.broker_config import SimBrokerConfig
from optionpilot.adapters.sim.broker_prices import BrokerPrices
from optionpilot.adapters.sim.buying_power import AccountRisk
from optionpilot.adapters.sim.fees import fill_fee
from optionpilot.adapters.sim.holdings import SimHoldings
from optionpilot.adapters.sim.hours import BrokerHours
from optionpilot.adapters.sim.margin import Margin
from optionpilot.adapters.sim.matching import LegMarket, combo_prices, fillable_units, slippage_ticks
from optionpilot.adapters.sim.order_checks import OrderChecks
from optionpilot.adapters.sim.working import WorkingOrder
from optionpilot.core.calendars import MARKETS
from optionpilot.core.clock import Clock
from optionpilot.core.errors import BrokerError, ConfigError
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, FillId, IdMaker
from optionpilot.core.money import ZERO
from optionpilot.domain.accounts import AccountSnapshot, CashLedger, LedgerEntry, LedgerKind
from optionpilot.domain.fills import BrokerEvent, Fill, OrderUpdate, QuoteHold
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.market import QuoteProblem
from optionpilot.domain.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from optionpilot.domain.positions import PositionLeg
from optionpilot.ports.broker import BrokerCapabilities, BrokerPosition, MultiLegStyle
from optionpilot.ports.market_data import MarketData


class SimulatedBroker:
    """One simulated account. Deterministic: the same calls at the same clock give the same events."""

    def __init__(
        self,
        account_id: AccountId,
        *,
        market: MarketData,
        clock: Clock,
        starting_cash: Decimal,
        config: SimBrokerConfig | None = None,
        multi_leg: MultiLegStyle = MultiLegStyle.ATOMIC,
        ids: IdMaker,
    ) -> None:
        if starting_cash < 0:
            raise ConfigError(f"account {account_id}: starting cash {starting_cash} must not be negative")
        self._account_id = account_id
        self._market = market
        self._clock = clock
        self._cfg = config or SimBrokerConfig()
        self._ids = ids
        self._calendar = market.calendar
        self._currency = MARKETS[self._calendar.market].currency
        self._fees = self._cfg.fees.for_market(self._calendar.market)
        underlyings = {u.symbol: u for u in market.underlyings()}
        self._max_age = timedelta(seconds=self._cfg.max_quote_age_seconds)
        self._caps = BrokerCapabilities(
            name=self._cfg.name,
            markets=frozenset({self._calendar.market}),
            multi_leg=multi_leg,
            max_legs=self._cfg.max_legs if multi_leg is MultiLegStyle.ATOMIC else 1,
            order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
        )
        ledger = CashLedger(account_id)
        ledger.post(
            LedgerEntry(
                account_id, clock.now(), LedgerKind.DEPOSIT, starting_cash, "opening", "starting cash"
            )
        )
        self._orders: dict[ClientOrderId, Order] = {}
        self._working: dict[ClientOrderId, WorkingOrder] = {}
        self._events: list[BrokerEvent] = []
        self._fills: list[Fill] = []
        # Size already taken from a displayed quote: (instrument key, side) -> (quote time, taken).
        self._consumed: dict[tuple[str, Side], tuple[datetime, int]] = {}
        self._checks = OrderChecks(account_id, self._caps, self._calendar.market, underlyings)
        self._hours = BrokerHours(self._calendar, queue_outside_hours=self._cfg.queue_outside_hours)
        self._prices = BrokerPrices(market, underlyings, self._cfg)
        self._holdings = SimHoldings(
            account_id,
            ledger,
            hours=self._hours,
            prices=self._prices,
            config=self._cfg,
            currency=self._currency,
            ids=ids,
        )
        self._risk = AccountRisk(self._holdings.positions, self._prices, self._fees, self._cfg.margin)
        self._admission = Admission(
            self._calendar,
            self._hours,
            self._prices,
            self._risk,
            self._holdings.positions,
            self._cfg,
            self._currency,
        )

    # ----------------------------------------------------------------------------------- the port

    @property
    def capabilities(self) -> BrokerCapabilities:
        return self._caps

    @property
    def account_id(self) -> AccountId:
        return self._account_id

    @property
    def ledger(self) -> CashLedger:
        """Every cash movement of the account; its balance is the account's cash."""
        return self._holdings.ledger

    def submit(self, order: Order) -> None:
        if order.client_order_id in self._orders:
            # As a real broker does: one client id, one order, however often it is sent.
            raise self._refuse(
                f"client order id {order.client_order_id} was already sent", "duplicate_client_id"
            )
        self._check_sendable(order)
        now = self._clock.now()
        sent = (
            order if order.status is OrderStatus.SUBMITTED else order.transition(OrderStatus.SUBMITTED, now)
        )
        self._orders[order.client_order_id] = sent
        self._admit(sent, now)

    def cancel(self, client_order_id: ClientOrderId) -> None:
        w = self._working.get(client_order_id)
        if w is None:
            raise BrokerError(self._not_working(client_order_id), broker=self._cfg.name, code="not_working")
        self._finish(w, OrderStatus.CANCELED, self._clock.now(), "canceled on request")

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        w = self._working.get(client_order_id)
        if w is None:
            raise BrokerError(self._not_working(client_order_id), broker=self._cfg.name, code="not_working")
        self._check_sendable(new_order)
        old_legs = [(leg.instrument.key, leg.side, leg.ratio) for leg in w.order.legs]
        new_legs = [(leg.instrument.key, leg.side, leg.ratio) for leg in new_order.legs]
        if old_legs != new_legs:
            raise self._refuse(f"replace of {client_order_id}: the new order must have the same legs", "legs")
        now = self._clock.now()
        sent = (
            new_order
            if new_order.status is OrderStatus.SUBMITTED
            else new_order.transition(OrderStatus.SUBMITTED, now)
        )
        refusal, reserve = self._admission.assess(
            sent, now, buying_power=lambda m: self._buying_power(m, exclude=client_order_id)
        )
        if refusal is not None:
            raise self._refuse(f"replace of {client_order_id} refused: {refusal}", "replace_refused")
        self._finish(w, OrderStatus.REPLACED, now, f"replaced by {new_order.client_order_id}")
        self._orders[new_order.client_order_id] = sent
        self._accept(sent, now, reserve)

    def poll_events(self) -> Sequence[BrokerEvent]:
        now = self._clock.now()
        if self._working:
            for w in list(self._working.values()):
                self._match(w, now)
            self._expire_day_orders(now)
        settle_at = self._holdings.next_settlement
        if settle_at is not None and now >= settle_at:
            self._settle_expired(now)
        if not self._events:
            return ()
        events, self._events = self._events, []
        return events

    def account(self) -> AccountSnapshot:
        now = self._clock.now()
        cash = self._holdings.ledger.balance
        margin = self._risk.margin(self._risk.holdings({}))
        reserved = sum((w.reserved for w in self._working.values()), start=ZERO)
        equity = self._holdings.equity()
        return AccountSnapshot(
            account_id=self._account_id,
            ts=now,
            cash=cash,
            buying_power=cash - margin.total - reserved,
            equity=equity,
            currency=self._currency,
        )

    def positions(self) -> Sequence[BrokerPosition]:
        return [
            BrokerPosition(symbol=key, quantity=p.quantity, avg_price=p.avg_price)
            for key, p in sorted(self._holdings.positions.items())
        ]

    def open_orders(self) -> Sequence[Order]:
        return [w.order for w in self._working.values()]

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """The broker's view of any order it was sent, working or finished."""
        return self._orders.get(client_order_id)

    def lookup(self, client_order_id: ClientOrderId) -> Order | None:
        return self._orders.get(client_order_id)

    def executions(self) -> Sequence[Fill]:
        return list(self._fills)

    # ------------------------------------------------------------------------------ refusals

    def _refuse(self, message: str, code: str) -> BrokerError:
        return self._checks.refuse(message, code)

    def _not_working(self, cid: ClientOrderId) -> str:
        known = self._orders.get(cid)
        if known is None:
            return f"order {cid} is unknown"
        return f"order {cid} is not working (it is {known.status.value})"

    def _check_sendable(self, order: Order) -> None:
        """What a real broker's API would refuse outright: the order cannot even be sent."""
        cid = order.client_order_id
        if cid in self._orders:
            raise self._refuse(
                f"order {cid} was already sent; client order ids are never reused", "duplicate"
            )
        self._checks.check_sendable(order)

    # ----------------------------------------------------------------------------- admission

    def _admit(self, order: Order, now: datetime) -> None:
        refusal, reserve = self._admission.assess(
            order, now, buying_power=lambda m: self._buying_power(m, exclude=None)
        )
        if refusal is not None:
            rejected = order.transition(OrderStatus.REJECTED, now, refusal)
            self._orders[order.client_order_id] = rejected
            self._events.append(OrderUpdate(order.client_order_id, OrderStatus.REJECTED, now, refusal, 0))
            return
        self._accept(order, now, reserve)

    def _accept(self, order: Order, now: datetime, reserve: Decimal) -> None:
        session = self._hours.trading_session(now)
        assert session is not None  # admission refused orders it could not place in a session
        boid = BrokerOrderId(self._ids.next("simord"))
        accepted = order.transition(OrderStatus.ACCEPTED, now, broker_order_id=boid)
        self._orders[order.client_order_id] = accepted
        self._working[order.client_order_id] = WorkingOrder(
            accepted, now, session.close, reserve / order.quantity if reserve > 0 else ZERO
        )
        self._events.append(OrderUpdate(order.client_order_id, OrderStatus.ACCEPTED, now, "", 0, boid))

    # ------------------------------------------------------------------------------ matching

    def _match(self, w: WorkingOrder, now: datetime) -> None:
        order = w.order
        legs: list[LegMarket] = []
        newest = w.not_before
        for leg in order.legs:
            inst = leg.instrument
            q = self._prices.quote(inst, now)
            problem = QuoteProblem.MISSING if q is None else q.problem(now, self._max_age)
            if problem is not None or q is None:
                self._hold(w, now, f"{inst.key}: {problem}")
                return
            if q.ts <= w.not_before or not self._hours.in_session(q.ts):
                return  # wait for the quote that follows
            newest = max(newest, q.ts)
            tick = self._prices.tick(inst)
            slip = slippage_ticks(q, tick, self._cfg.slippage_ticks, self._cfg.slippage_spread_fraction)
            legs.append(LegMarket(leg.side, leg.ratio, q, tick, slip))
        w.hold = None
        prices = combo_prices(legs, order.limit_price)
        consumed = [self._taken(leg.instrument.key, lm) for leg, lm in zip(order.legs, legs, strict=True)]
        units = 0 if prices is None else fillable_units(legs, consumed, order.remaining)
        if prices is None or units == 0:
            if order.tif is TimeInForce.IOC:
                why = "limit not reached" if prices is None else "no displayed size"
                self._finish(w, OrderStatus.CANCELED, now, f"IOC canceled: {why} on the quote that followed")
            return
        need, _, margin_now = self._risk.impact(
            order, units, list(prices), first_fill=not w.charged_order_fee
        )
        available = self._buying_power(margin_now, exclude=order.client_order_id)
        if need > available and need > 0:
            status = OrderStatus.CANCELED if order.filled_quantity else OrderStatus.REJECTED
            self._finish(
                w,
                status,
                now,
                f"insufficient buying power at fill: {units} units need {need:,.2f} {self._currency}, "
                f"account has {available:,.2f} {self._currency}",
            )
            return
        self._fill(w, now, units, prices, legs)
        w.not_before = newest
        if order.tif is TimeInForce.IOC and w.order.remaining > 0:
            self._finish(w, OrderStatus.CANCELED, now, "IOC canceled: rest of the order unfilled")

    def _hold(self, w: WorkingOrder, now: datetime, reason: str) -> None:
        kind = reason.split(" (age", 1)[0]  # a stale quote's age changes every minute; its kind does not
        if w.order.tif is TimeInForce.IOC:
            self._finish(w, OrderStatus.CANCELED, now, f"IOC canceled: {reason}")
            return
        if kind != w.hold:
            w.hold = kind
            self._events.append(QuoteHold(w.order.client_order_id, now, reason))

    def _taken(self, key: str, lm: LegMarket) -> int:
        seen = self._consumed.get((key, lm.side))
        return seen[1] if seen is not None and seen[0] == lm.quote.ts else 0

    def _fill(
        self, w: WorkingOrder, now: datetime, units: int, prices: Sequence[Decimal], legs: Sequence[LegMarket]
    ) -> None:
        order = w.order
        for i, (leg, price, lm) in enumerate(zip(order.legs, prices, legs, strict=True)):
            qty = units * leg.ratio
            fee = fill_fee(
                self._fees,
                leg.instrument,
                leg.side,
                qty,
                price,
                first_fill_of_order=not w.charged_order_fee and i == 0,
            )
            fill = Fill(
                fill_id=FillId(self._ids.next("fill")),
                client_order_id=order.client_order_id,
                account_id=self._account_id,
                leg_index=i,
                instrument=leg.instrument,
                side=leg.side,
                quantity=qty,
                price=price,
                fee=fee,
                ts=now,
                effect=leg.effect,
                execution_id=self._ids.execution_id(now),
            )
            key = leg.instrument.key
            self._consumed[(key, leg.side)] = (lm.quote.ts, self._taken(key, lm) + qty)
            self._holdings.book_fill(fill)
            self._fills.append(fill)
            self._events.append(fill)
        w.charged_order_fee = True
        filled = order.filled_quantity + units
        status = OrderStatus.FILLED if filled == order.quantity else OrderStatus.PARTIALLY_FILLED
        w.order = order.transition(status, now, filled_quantity=filled)
        self._orders[order.client_order_id] = w.order
        self._events.append(
            OrderUpdate(order.client_order_id, status, now, "", filled, w.order.broker_order_id)
        )
        if status is OrderStatus.FILLED:
            del self._working[order.client_order_id]

    def restore(self, holdings: Iterable[PositionLeg]) -> None:
        """Take over holdings stored by an earlier process (its cash comes from `starting_cash`), so a
        standing simulated account lives on between commands; reconciliation then checks both sides."""
        self._holdings.restore(holdings)

    def _finish(self, w: WorkingOrder, status: OrderStatus, now: datetime, reason: str) -> None:
        cid = w.order.client_order_id
        done = w.order.transition(status, now, reason)
        self._orders[cid] = done
        del self._working[cid]
        self._events.append(OrderUpdate(cid, status, now, reason, done.filled_quantity, done.broker_order_id))

    def _expire_day_orders(self, now: datetime) -> None:
        for w in list(self._working.values()):
            if w.order.tif is TimeInForce.DAY and now >= w.session_close:
                local = w.session_close.astimezone(self._calendar.zone)
                self._finish(
                    w, OrderStatus.EXPIRED, now, f"day order expired at the close {local:%Y-%m-%d %H:%M %Z}"
                )

    # ---------------------------------------------------------------------------- settlement

    def _settle_expired(self, now: datetime) -> None:
        self._events.extend(self._holdings.settle_expired(now))
        for w in list(self._working.values()):
            gone = [
                leg.instrument.key
                for leg in w.order.legs
                if isinstance(leg.instrument, OptionContract)
                and self._hours.expiry_close(leg.instrument.expiry) <= now
            ]
            if gone:
                self._finish(w, OrderStatus.CANCELED, now, f"{', '.join(gone)} expired")

    def _buying_power(self, margin_now: Margin, *, exclude: ClientOrderId | None) -> Decimal:
        reserved = sum((w.reserved for cid, w in self._working.items() if cid != exclude), start=ZERO)
        return self._holdings.ledger.balance - margin_now.total - reserved
