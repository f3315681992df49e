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

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from optionpilot.adapters.sim.broker_config import ExpiryDelivery, SimBrokerConfig
from optionpilot.adapters.sim.fees import fill_fee
from optionpilot.adapters.sim.margin import Holding, Margin, assess
from optionpilot.adapters.sim.matching import LegMarket, combo_prices, fillable_units, slippage_ticks
from optionpilot.adapters.sim.settlement import SettlementOutcome, at_intrinsic, settle
from optionpilot.core.calendars import MARKETS, Session
from optionpilot.core.clock import Clock
from optionpilot.core.errors import BrokerError, ConfigError, DataError
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, FillId, IdMaker
from optionpilot.core.money import ZERO, to_tick
from optionpilot.domain.accounts import AccountSnapshot, CashLedger, LedgerEntry, LedgerKind
from optionpilot.domain.fills import BrokerEvent, ExpirySettlement, Fill, OrderUpdate, QuoteHold
from optionpilot.domain.instruments import Instrument, OptionContract, Stock, Underlying
from optionpilot.domain.market import Quote, QuoteProblem
from optionpilot.domain.orders import Order, OrderStatus, OrderType, PositionEffect, Side, TimeInForce
from optionpilot.domain.positions import PositionLeg
from optionpilot.ports.broker import BrokerCapabilities, BrokerPosition, MultiLegStyle
from optionpilot.ports.market_data import MarketData

# Stock orders see no displayed size (the market port has bars, not stock quotes).
_STOCK_DEPTH = 10**9


@dataclass(slots=True)
class _Working:
    order: Order
    not_before: datetime  # fills need quotes stamped strictly after this
    session_close: datetime  # a DAY order expires here
    reserve_per_unit: Decimal  # buying power held per unfilled unit
    hold: str | None = None  # the hold last reported (its kind, not its text)
    charged_order_fee: bool = False

    @property
    def reserved(self) -> Decimal:
        return self.reserve_per_unit * self.order.remaining


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
        self._underlyings: dict[str, Underlying] = {u.symbol: u for u in market.underlyings()}
        self._max_age = timedelta(seconds=self._cfg.max_quote_age_seconds)
        self._caps = BrokerCapabilities(
            name=self._cfg.name,
            markets=frozenset({self._calendar.market}),
            multi_leg=multi_leg,
            max_legs=self._cfg.max_legs if multi_leg is MultiLegStyle.ATOMIC else 1,
            order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
        )
        self._ledger = CashLedger(account_id)
        self._ledger.post(
            LedgerEntry(
                account_id, clock.now(), LedgerKind.DEPOSIT, starting_cash, "opening", "starting cash"
            )
        )
        self._positions: dict[str, PositionLeg] = {}
        self._orders: dict[ClientOrderId, Order] = {}
        self._working: dict[ClientOrderId, _Working] = {}
        self._events: list[BrokerEvent] = []
        self._fills: list[Fill] = []
        # Size already taken from a displayed quote: (instrument key, side) -> (quote time, taken).
        self._consumed: dict[tuple[str, Side], tuple[datetime, int]] = {}
        self._sessions: dict[date, Session | None] = {}
        self._expiry_closes: dict[date, datetime] = {}
        self._next_settlement: datetime | None = None
        self._last_mark: dict[str, Decimal] = {}

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
        return self._ledger

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
        refusal, reserve = self._assess_order(sent, now, exclude=client_order_id)
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
        if self._next_settlement is not None and now >= self._next_settlement:
            self._settle_expired(now)
        if not self._events:
            return ()
        events, self._events = self._events, []
        return events

    def account(self) -> AccountSnapshot:
        now = self._clock.now()
        cash = self._ledger.balance
        margin = self._margin(self._holdings({}))
        reserved = sum((w.reserved for w in self._working.values()), start=ZERO)
        equity = cash + sum(
            (self._mark(p.instrument) * p.quantity * p.multiplier for p in self._positions.values()),
            start=ZERO,
        )
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
            for key, p in sorted(self._positions.items())
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
        return BrokerError(message, broker=self._cfg.name, code=code)

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
        if order.account_id != self._account_id:
            raise self._refuse(
                f"order {cid} is for account {order.account_id}, not {self._account_id}", "account"
            )
        if order.status not in (OrderStatus.NEW, OrderStatus.SUBMITTED):
            raise self._refuse(f"order {cid} is {order.status.value}; only new orders can be sent", "status")
        if order.order_type not in self._caps.order_types:
            raise self._refuse(
                f"order {cid}: {order.order_type.value} orders are not supported", "order_type"
            )
        n = len(order.legs)
        if n > 1 and self._caps.multi_leg is MultiLegStyle.LEGGED:
            raise self._refuse(
                f"order {cid} has {n} legs; this broker takes no multi-leg orders, send the legs one by one",
                "multi_leg",
            )
        if n > self._caps.max_legs:
            raise self._refuse(f"order {cid} has {n} legs; at most {self._caps.max_legs} are allowed", "legs")
        keys = [leg.instrument.key for leg in order.legs]
        if len(set(keys)) != n:
            raise self._refuse(f"order {cid} names the same instrument in two legs", "legs")
        if n > 1 and math.gcd(*(leg.ratio for leg in order.legs)) != 1:
            raise self._refuse(f"order {cid}: leg ratios must be in lowest terms", "legs")
        for leg in order.legs:
            self._check_instrument(cid, leg.instrument)
        if order.order_type is OrderType.LIMIT:
            self._check_limit(order)

    def _check_instrument(self, cid: ClientOrderId, inst: Instrument) -> None:
        if inst.market is not self._calendar.market:
            raise self._refuse(
                f"order {cid}: {inst.key} trades in {inst.market.value}, this broker in "
                f"{self._calendar.market.value}",
                "market",
            )
        symbol = inst.underlying if isinstance(inst, OptionContract) else inst.symbol
        under = self._underlyings.get(symbol)
        if under is None:
            raise self._refuse(f"order {cid}: {symbol} is not listed at this broker", "not_listed")
        if isinstance(inst, Stock) and not under.is_tradeable:
            raise self._refuse(f"order {cid}: {symbol} is an index; only its options trade", "not_tradeable")

    def _check_limit(self, order: Order) -> None:
        limit = order.limit_price
        assert limit is not None  # Order refuses a limit order without one
        cid = order.client_order_id
        if len({leg.instrument.multiplier for leg in order.legs}) > 1:
            raise self._refuse(f"order {cid}: a limit on the net needs legs of one multiplier", "legs")
        if len(order.legs) == 1:
            side = order.legs[0].side
            # Order.limit_price is a net: + debit paid, - credit received. A single sell with a positive
            # limit would be a market order in disguise, so it is refused rather than guessed at.
            if side is Side.BUY and limit <= 0:
                raise self._refuse(f"order {cid}: a buy limit must be a positive debit, got {limit}", "limit")
            if side is Side.SELL and limit >= 0:
                raise self._refuse(
                    f"order {cid}: a sell limit is a credit and must be negative (e.g. -2.50), got {limit}",
                    "limit",
                )

    # ----------------------------------------------------------------------------- admission

    def _admit(self, order: Order, now: datetime) -> None:
        refusal, reserve = self._assess_order(order, now, exclude=None)
        if refusal is not None:
            rejected = order.transition(OrderStatus.REJECTED, now, refusal)
            self._orders[order.client_order_id] = rejected
            self._events.append(OrderUpdate(order.client_order_id, OrderStatus.REJECTED, now, refusal, 0))
            return
        self._accept(order, now, reserve)

    def _accept(self, order: Order, now: datetime, reserve: Decimal) -> None:
        session = self._trading_session(now)
        assert session is not None  # _assess_order refused orders it could not place in a session
        boid = BrokerOrderId(self._ids.next("simord"))
        accepted = order.transition(OrderStatus.ACCEPTED, now, broker_order_id=boid)
        self._orders[order.client_order_id] = accepted
        self._working[order.client_order_id] = _Working(
            accepted, now, session.close, reserve / order.quantity if reserve > 0 else ZERO
        )
        self._events.append(OrderUpdate(order.client_order_id, OrderStatus.ACCEPTED, now, "", 0, boid))

    def _assess_order(
        self, order: Order, now: datetime, *, exclude: ClientOrderId | None
    ) -> tuple[str | None, Decimal]:
        """Why the market or the account refuses the order (or None), and the buying power it holds."""
        if self._trading_session(now) is None:
            local = now.astimezone(self._calendar.zone)
            return f"market closed at {local:%Y-%m-%d %H:%M %Z}", ZERO
        today = self._calendar.local_date(now)
        quotes: list[Quote] = []
        for leg in order.legs:
            inst = leg.instrument
            if isinstance(inst, OptionContract) and inst.expiry < today:
                return f"{inst.key} expired on {inst.expiry.isoformat()}", ZERO
            q = self._quote(inst, now)
            if q is None:
                return f"{inst.key} is not quoted: not listed or no market", ZERO
            quotes.append(q)
            if leg.effect is PositionEffect.CLOSE:
                held = self._positions[inst.key].quantity if inst.key in self._positions else 0
                closing = order.quantity * leg.ratio
                if (held > 0) == (leg.side is Side.BUY) or abs(held) < closing:
                    return f"close order for {closing} {inst.key} but the position is {held}", ZERO
        prices = [
            self._estimate_price(leg.side, q, leg.instrument)
            for leg, q in zip(order.legs, quotes, strict=True)
        ]
        need, margin_after, margin_now = self._impact(order, order.quantity, prices, first_fill=True)
        if order.order_type is OrderType.LIMIT:
            assert order.limit_price is not None
            # A limit fills at the limit or better: hold the limit's premium, not the quote's.
            quoted = self._premium(order, order.quantity, prices)
            need += order.limit_price * order.legs[0].instrument.multiplier * order.quantity - quoted
        else:
            gross = sum(
                (
                    p * leg.ratio * order.quantity * leg.instrument.multiplier
                    for leg, p in zip(order.legs, prices, strict=True)
                ),
                start=ZERO,
            )
            need += self._cfg.market_order_reserve * gross
        if (
            not self._cfg.margin.allow_naked_calls
            and margin_after.naked_call_contracts > margin_now.naked_call_contracts
        ):
            return "uncovered short calls are not allowed in this account", ZERO
        available = self._buying_power(margin_now, exclude=exclude)
        # An order that frees buying power (a close, a buy-back of short shares) only lowers the risk:
        # it is never refused for buying power, or an account in deficit could not get out of it.
        if need > available and need > 0:
            return (
                f"insufficient buying power: order needs {need:,.2f} {self._currency}, "
                f"account has {available:,.2f} {self._currency}",
                ZERO,
            )
        return None, max(need, ZERO)

    def _estimate_price(self, side: Side, q: Quote, inst: Instrument) -> Decimal:
        tick = self._tick(inst)
        slip = slippage_ticks(q, tick, self._cfg.slippage_ticks, self._cfg.slippage_spread_fraction) * tick
        touch = q.ask if side is Side.BUY else q.bid
        other = q.bid if side is Side.BUY else q.ask
        if touch > 0:
            return touch + slip if side is Side.BUY else max(touch - slip, ZERO)
        return other if other > 0 else self._mark(inst)

    # ------------------------------------------------------------------------------ matching

    def _match(self, w: _Working, now: datetime) -> None:
        order = w.order
        legs: list[LegMarket] = []
        newest = w.not_before
        for leg in order.legs:
            inst = leg.instrument
            q = self._quote(inst, now)
            problem = QuoteProblem.MISSING if q is None else q.problem(now, self._max_age)
            if problem is not None or q is None:
                self._hold(w, now, f"{inst.key}: {problem}")
                return
            if q.ts <= w.not_before or not self._in_session(q.ts):
                return  # wait for the quote that follows
            newest = max(newest, q.ts)
            tick = self._tick(inst)
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
        need, _, margin_now = self._impact(order, units, list(prices), first_fill=not w.charged_order_fee)
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

    def _hold(self, w: _Working, now: datetime, reason: str) -> None:
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
        self, w: _Working, now: datetime, units: int, prices: Sequence[Decimal], legs: Sequence[LegMarket]
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
            self._book_fill(fill)
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

    def _book_fill(self, fill: Fill) -> None:
        kind = LedgerKind.PREMIUM if isinstance(fill.instrument, OptionContract) else LedgerKind.STOCK
        self._post(fill.ts, kind, -fill.side.sign * fill.notional, fill.fill_id, fill.instrument.key)
        if fill.fee:
            self._post(fill.ts, LedgerKind.FEE, -fill.fee, fill.fill_id, f"fee {fill.instrument.key}")
        self._apply_position(fill.instrument, fill.side.sign * fill.quantity, fill.price)

    def restore(self, holdings: Iterable[PositionLeg]) -> None:
        """Take over holdings stored by an earlier process (its cash comes from `starting_cash`), so a
        standing simulated account lives on between commands; reconciliation then checks both sides."""
        for leg in holdings:
            if leg.quantity:
                self._apply_position(leg.instrument, leg.quantity, leg.avg_price)

    def _apply_position(self, inst: Instrument, signed_qty: int, price: Decimal) -> None:
        key = inst.key
        pos = self._positions.get(key)
        if pos is None:
            pos = self._positions[key] = PositionLeg(inst)
        pos.apply(signed_qty, price)
        if pos.quantity == 0:
            del self._positions[key]
        elif isinstance(inst, OptionContract):
            close = self._expiry_close(inst.expiry)
            if self._next_settlement is None or close < self._next_settlement:
                self._next_settlement = close

    def _post(self, ts: datetime, kind: LedgerKind, amount: Decimal, ref: str, note: str) -> None:
        self._ledger.post(LedgerEntry(self._account_id, ts, kind, amount, ref, note))

    def _finish(self, w: _Working, status: OrderStatus, now: datetime, reason: str) -> None:
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
        expiring = sorted(
            (key, p)
            for key, p in self._positions.items()
            if isinstance(p.instrument, OptionContract) and self._expiry_close(p.instrument.expiry) <= now
        )
        closes: dict[tuple[str, date], Decimal] = {}
        outcomes: list[tuple[str, OptionContract, int, Decimal, SettlementOutcome]] = []
        for key, pos in expiring:
            contract = pos.instrument
            assert isinstance(contract, OptionContract)
            session_close = self._expiry_close(contract.expiry)
            price_key = (contract.underlying, contract.expiry)
            if price_key not in closes:
                closes[price_key] = self._underlying_close(contract.underlying, session_close)
            price = closes[price_key]
            outcome = settle(contract, pos.quantity, price, self._cfg.itm_threshold)
            outcomes.append((key, contract, pos.quantity, price, outcome))
        after = self._ledger.balance + sum((o[4].cash for o in outcomes), start=ZERO)
        unfunded = self._cfg.expiry_delivery is ExpiryDelivery.FUNDED and after < 0
        for key, contract, quantity, price, outcome in outcomes:
            note = f"{outcome.kind.value} {key}"
            if unfunded and outcome.shares:
                outcome = at_intrinsic(contract, quantity, price)
                note = (
                    f"{key} closed at intrinsic {contract.intrinsic(price)}: delivery would leave cash at "
                    f"{after:,.2f} {self._currency}"
                )
            event_id = self._ids.next("settle")
            del self._positions[key]
            ledger_kind = outcome.ledger_kind
            if ledger_kind is not None and outcome.cash != 0:
                self._post(now, ledger_kind, outcome.cash, event_id, note)
            if outcome.shares:
                self._apply_position(
                    Stock(contract.underlying, contract.market), outcome.shares, contract.strike
                )
            self._events.append(
                ExpirySettlement(
                    event_id=event_id,
                    account_id=self._account_id,
                    contract=contract,
                    quantity=quantity,
                    kind=outcome.kind,
                    settlement_price=price,
                    cash=outcome.cash,
                    shares=outcome.shares,
                    ts=now,
                )
            )
        for w in list(self._working.values()):
            gone = [
                leg.instrument.key
                for leg in w.order.legs
                if isinstance(leg.instrument, OptionContract)
                and self._expiry_close(leg.instrument.expiry) <= now
            ]
            if gone:
                self._finish(w, OrderStatus.CANCELED, now, f"{', '.join(gone)} expired")
        closes_left = [
            self._expiry_close(p.instrument.expiry)
            for p in self._positions.values()
            if isinstance(p.instrument, OptionContract)
        ]
        self._next_settlement = min(closes_left) if closes_left else None

    def _underlying_close(self, symbol: str, session_close: datetime) -> Decimal:
        last = self._last_bar(symbol, session_close)
        if last is None:
            raise DataError(
                f"no bar of {symbol} at or before {session_close.isoformat()} to settle its options on",
                source="market data",
            )
        return to_tick(last[0], self._underlyings[symbol].tick)

    def _last_bar(self, symbol: str, t: datetime) -> tuple[float, datetime] | None:
        """Close and end time of the last complete bar at `t`: a minute bar, or with end-of-day data the
        last complete session's daily bar."""
        bars = self._market.history(symbol, t, 1)
        if len(bars):
            return float(bars.close[-1]), datetime.fromtimestamp(int(bars.start_s[-1]) + 60, UTC)
        day = self._calendar.local_date(t) + timedelta(days=1)
        daily = self._market.daily_history(symbol, day, 1)
        if len(daily) == 0:
            return None
        session_day = self._calendar.local_date(datetime.fromtimestamp(int(daily.start_s[-1]), UTC))
        end = self._calendar.session(session_day).close
        if end > t:
            return None
        return float(daily.close[-1]), end

    def _expiry_close(self, expiry: date) -> datetime:
        close = self._expiry_closes.get(expiry)
        if close is None:
            # Options expiring on a holiday expire at the close of the session before it.
            day = expiry if self._calendar.is_session(expiry) else self._calendar.previous_session(expiry)
            close = self._expiry_closes[expiry] = self._calendar.session(day).close
        return close

    # -------------------------------------------------------------------- quotes, marks, money

    def _session_of(self, t: datetime) -> Session | None:
        day = self._calendar.local_date(t)
        if day not in self._sessions:
            self._sessions[day] = self._calendar.session(day) if self._calendar.is_session(day) else None
        return self._sessions[day]

    def _trading_session(self, t: datetime) -> Session | None:
        """The session an order sent at `t` works in: the current one, or with queueing the next one."""
        session = self._session_of(t)
        if session is not None and session.open <= t < session.close:
            return session
        if not self._cfg.queue_outside_hours:
            return None
        day = self._calendar.local_date(t)
        if session is None or t >= session.close:
            day = self._calendar.next_session(day)
        return self._session_of(datetime.combine(day, time(12), self._calendar.zone))

    def _in_session(self, t: datetime) -> bool:
        """A quote belongs to a session when stamped after its open and no later than its close."""
        s = self._session_of(t)
        return s is not None and s.open < t <= s.close

    def _tick(self, inst: Instrument) -> Decimal:
        if isinstance(inst, OptionContract):
            return self._underlyings[inst.underlying].option_tick
        return self._underlyings[inst.symbol].tick

    def _quote(self, inst: Instrument, now: datetime) -> Quote | None:
        if isinstance(inst, OptionContract):
            return self._market.quote(inst)
        bar = self._last_bar(inst.symbol, now)
        if bar is None:
            return None
        tick = self._tick(inst)
        last = to_tick(bar[0], tick)
        half = self._cfg.stock_half_spread_ticks * tick
        return Quote(max(last - half, tick), last + half, _STOCK_DEPTH, _STOCK_DEPTH, bar[1])

    def _spot(self, symbol: str) -> Decimal:
        return to_tick(self._market.spot(symbol), self._underlyings[symbol].tick)

    def _mark(self, inst: Instrument) -> Decimal:
        """Options at the mid of a two-sided quote, else the last such mid, else intrinsic value."""
        if isinstance(inst, Stock):
            return self._spot(inst.symbol)
        q = self._market.quote(inst)
        key = inst.key
        if q is not None and q.bid > 0 and q.ask > 0 and q.bid <= q.ask:
            mark = self._last_mark[key] = q.mid
            return mark
        last = self._last_mark.get(key)
        return last if last is not None else inst.intrinsic(self._spot(inst.underlying))

    def _holdings(self, deltas: dict[str, tuple[Instrument, int]]) -> list[Holding]:
        qty = {key: (p.instrument, p.quantity) for key, p in self._positions.items()}
        for key, (inst, d) in deltas.items():
            held = qty.get(key)
            qty[key] = (inst, (held[1] if held else 0) + d)
        return [Holding(inst, n, self._mark(inst)) for inst, n in qty.values() if n != 0]

    def _margin(self, holdings: list[Holding]) -> Margin:
        unders = {h.instrument.underlying for h in holdings if isinstance(h.instrument, OptionContract)}
        return assess(holdings, {u: self._spot(u) for u in sorted(unders)}, self._cfg.margin)

    def _buying_power(self, margin_now: Margin, *, exclude: ClientOrderId | None) -> Decimal:
        reserved = sum((w.reserved for cid, w in self._working.items() if cid != exclude), start=ZERO)
        return self._ledger.balance - margin_now.total - reserved

    def _premium(self, order: Order, units: int, prices: Sequence[Decimal]) -> Decimal:
        """Net premium paid (+) or received (-) for `units` of the order at per-leg prices."""
        return sum(
            (
                leg.side.sign * p * leg.ratio * units * leg.instrument.multiplier
                for leg, p in zip(order.legs, prices, strict=True)
            ),
            start=ZERO,
        )

    def _impact(
        self, order: Order, units: int, prices: Sequence[Decimal], *, first_fill: bool
    ) -> tuple[Decimal, Margin, Margin]:
        """Buying power `units` of the order use at these prices: margin change, premium, fees."""
        deltas = {
            leg.instrument.key: (leg.instrument, leg.side.sign * leg.ratio * units) for leg in order.legs
        }
        margin_now = self._margin(self._holdings({}))
        margin_after = self._margin(self._holdings(deltas))
        fees = sum(
            (
                fill_fee(
                    self._fees,
                    leg.instrument,
                    leg.side,
                    leg.ratio * units,
                    p,
                    first_fill_of_order=first_fill and i == 0,
                )
                for i, (leg, p) in enumerate(zip(order.legs, prices, strict=True))
            ),
            start=ZERO,
        )
        need = margin_after.total - margin_now.total + self._premium(order, units, prices) + fees
        return need, margin_after, margin_now
