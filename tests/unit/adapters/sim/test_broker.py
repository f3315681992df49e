"""The simulated broker: submit, match on the quote that follows, holds, cancel/replace, buying power."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.broker_config import SimBrokerConfig
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId, IdMaker
from optionpilot.domain.fills import BrokerEvent, Fill, OrderUpdate, QuoteHold
from optionpilot.domain.instruments import OptionContract, OptionRight, Stock, Underlying
from optionpilot.domain.orders import (
    Order,
    OrderLeg,
    OrderStatus,
    OrderType,
    PositionEffect,
    Side,
    TimeInForce,
)
from optionpilot.ports.broker import MultiLegStyle
from optionpilot.testing.static_market import StaticMarket

ACCOUNT = AccountId("a1")
SPY = Underlying("SPY")
OPEN = datetime(2024, 6, 3, 13, 30, tzinfo=UTC)  # Monday 09:30 New York
CLOSE = datetime(2024, 6, 3, 20, 0, tzinfo=UTC)
EXPIRY = date(2024, 6, 7)
MINUTE = timedelta(minutes=1)


def call(strike: int | str, expiry: date = EXPIRY) -> OptionContract:
    return OptionContract.for_underlying(SPY, expiry, Decimal(strike), OptionRight.CALL)


def put(strike: int | str, expiry: date = EXPIRY) -> OptionContract:
    return OptionContract.for_underlying(SPY, expiry, Decimal(strike), OptionRight.PUT)


class World:
    def __init__(
        self,
        cash: str = "100000",
        *,
        config: SimBrokerConfig | None = None,
        style: MultiLegStyle = MultiLegStyle.ATOMIC,
    ) -> None:
        self.clock = SimulatedClock(OPEN + MINUTE)
        self.market = StaticMarket(self.clock, [SPY])
        self.market.set_spot("SPY", 530.0)
        self.ids = IdMaker("t")
        self.broker = SimulatedBroker(
            ACCOUNT,
            market=self.market,
            clock=self.clock,
            starting_cash=Decimal(cash),
            config=config or SimBrokerConfig(),
            multi_leg=style,
            ids=self.ids,
        )
        self.n = 0

    def order(
        self,
        *legs: OrderLeg,
        qty: int = 1,
        limit: str | None = None,
        tif: TimeInForce = TimeInForce.DAY,
    ) -> Order:
        self.n += 1
        return Order(
            client_order_id=ClientOrderId(f"o{self.n}"),
            account_id=ACCOUNT,
            legs=tuple(legs),
            quantity=qty,
            order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
            created_at=self.clock.now(),
            limit_price=Decimal(limit) if limit is not None else None,
            tif=tif,
        )

    def step(self, minutes: int = 1) -> None:
        self.clock.advance_to(self.clock.now() + minutes * MINUTE)

    def poll(self) -> list[BrokerEvent]:
        return list(self.broker.poll_events())


def buy(c: OptionContract | Stock, ratio: int = 1, effect: PositionEffect = PositionEffect.OPEN) -> OrderLeg:
    return OrderLeg(c, Side.BUY, ratio, effect)


def sell(c: OptionContract | Stock, ratio: int = 1, effect: PositionEffect = PositionEffect.OPEN) -> OrderLeg:
    return OrderLeg(c, Side.SELL, ratio, effect)


def fills(events: Sequence[BrokerEvent]) -> list[Fill]:
    return [e for e in events if isinstance(e, Fill)]


def updates(events: Sequence[BrokerEvent]) -> list[OrderUpdate]:
    return [e for e in events if isinstance(e, OrderUpdate)]


def statuses(events: Sequence[BrokerEvent]) -> list[OrderStatus]:
    return [u.status for u in updates(events)]


# ------------------------------------------------------------------------------ capabilities


def test_capabilities_are_declared_as_data() -> None:
    atomic = World().broker.capabilities
    legged = World(style=MultiLegStyle.LEGGED).broker.capabilities
    assert (atomic.multi_leg, atomic.max_legs) == (MultiLegStyle.ATOMIC, 4)
    assert (legged.multi_leg, legged.max_legs) == (MultiLegStyle.LEGGED, 1)
    assert atomic.order_types == {OrderType.MARKET, OrderType.LIMIT}
    assert not atomic.supports_trailing_stop and not atomic.supports_bracket


def test_poll_with_nothing_to_do_returns_nothing() -> None:
    w = World()
    assert w.poll() == []
    w.step(30)
    assert w.poll() == []


# -------------------------------------------------------------------------- marketable fills


def test_market_buy_fills_at_the_ask_of_the_quote_that_follows() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    o = w.order(buy(c), qty=2)
    w.broker.submit(o)
    events = w.poll()
    assert statuses(events) == [OrderStatus.ACCEPTED]  # the quote at submission is not traded on
    assert w.broker.open_orders()[0].status is OrderStatus.ACCEPTED
    w.step()
    w.market.set_quote(c, "2.20", "2.30")
    events = w.poll()
    [f] = fills(events)
    assert (f.side, f.quantity, f.price, f.fee) == (Side.BUY, 2, Decimal("2.30"), Decimal("1.30"))
    assert f.fill_id == "fill-t-000001"
    assert statuses(events) == [OrderStatus.FILLED]
    assert w.broker.open_orders() == []
    acct = w.broker.account()
    assert acct.cash == Decimal("100000") - Decimal("460") - Decimal("1.30")
    assert acct.equity == acct.cash + Decimal("2.25") * 200
    [pos] = w.broker.positions()
    assert (pos.symbol, pos.quantity, pos.avg_price) == (c.key, 2, Decimal("2.30"))


def test_order_does_not_fill_while_the_quote_is_not_newer_than_the_order() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.broker.submit(w.order(buy(c)))
    w.step()  # the clock moves but no new quote: the old one is still the one it was sent against
    assert fills(w.poll()) == []
    w.market.set_quote(c, "2.00", "2.10")
    assert fills(w.poll())[0].price == Decimal("2.10")


def test_market_sell_fills_at_the_bid_with_slippage_in_ticks_and_spread_fraction() -> None:
    cfg = SimBrokerConfig(slippage_ticks=1, slippage_spread_fraction=Decimal("0.25"))
    w = World(config=cfg)
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.broker.submit(w.order(buy(c)))
    w.step()
    w.market.set_quote(c, "2.00", "2.10")
    # 1 tick + ceil(0.25 * 0.10 / 0.01) = 1 + 3 ticks against us
    assert fills(w.poll())[0].price == Decimal("2.14")
    w.broker.submit(w.order(sell(c, effect=PositionEffect.CLOSE)))
    w.step()
    w.market.set_quote(c, "3.00", "3.20")
    assert fills(w.poll())[0].price == Decimal("3.00") - Decimal("0.06")


# ------------------------------------------------------------------------------------ limits


def test_buy_limit_waits_until_crossed_and_fills_at_the_better_price() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.broker.submit(w.order(buy(c), limit="1.95"))
    w.poll()
    w.step()
    w.market.set_quote(c, "1.90", "2.00")
    assert fills(w.poll()) == []  # ask 2.00 above the 1.95 limit
    w.step()
    w.market.set_quote(c, "1.80", "1.90")
    [f] = fills(w.poll())
    assert f.price == Decimal("1.90")  # better than the limit


def test_limit_caps_slippage_at_the_limit() -> None:
    w = World(config=SimBrokerConfig(slippage_ticks=5))
    c = call(530)
    w.market.set_quote(c, "1.80", "1.90")
    w.broker.submit(w.order(buy(c), limit="1.93"))
    w.step()
    w.market.set_quote(c, "1.80", "1.90")
    assert fills(w.poll())[0].price == Decimal("1.93")


def test_sell_limit_is_a_negative_credit() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.broker.submit(w.order(buy(c)))
    w.step()
    w.market.set_quote(c, "2.00", "2.10")
    w.poll()
    w.broker.submit(w.order(sell(c, effect=PositionEffect.CLOSE), limit="-2.50"))
    w.step()
    w.market.set_quote(c, "2.40", "2.60")
    assert fills(w.poll()) == []
    w.step()
    w.market.set_quote(c, "2.55", "2.65")
    assert fills(w.poll())[0].price == Decimal("2.55")


@pytest.mark.parametrize(("side", "limit"), [(Side.SELL, "2.50"), (Side.BUY, "-1.00"), (Side.BUY, "0")])
def test_single_leg_limit_with_the_wrong_sign_is_refused(side: Side, limit: str) -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    with pytest.raises(BrokerError, match="limit"):
        w.broker.submit(w.order(OrderLeg(c, side), limit=limit))


# ------------------------------------------------------------------------------- multi-leg


def test_vertical_spread_fills_all_legs_together_at_the_net() -> None:
    w = World()
    long_c, short_c = call(530), call(535)
    w.market.set_quote(long_c, "3.00", "3.10")
    w.market.set_quote(short_c, "1.00", "1.05")
    w.broker.submit(w.order(buy(long_c), sell(short_c), qty=3, limit="2.05"))
    w.step()
    w.market.set_quote(long_c, "3.00", "3.10")
    w.market.set_quote(short_c, "1.00", "1.05")
    assert fills(w.poll()) == []  # net 2.10 above the 2.05 limit
    w.step()
    w.market.set_quote(long_c, "2.95", "3.05")
    w.market.set_quote(short_c, "1.00", "1.05")
    events = w.poll()
    f_long, f_short = fills(events)
    assert (f_long.price, f_short.price, f_long.quantity, f_short.quantity) == (
        Decimal("3.05"),
        Decimal("1.00"),
        3,
        3,
    )
    assert f_long.client_order_id == f_short.client_order_id
    assert statuses(events) == [OrderStatus.FILLED]
    # Long spread: the short is covered, so buying power fell by the debit and fees only.
    acct = w.broker.account()
    assert acct.buying_power == acct.cash


def test_net_limit_gives_back_slippage_leg_by_leg_in_whole_ticks() -> None:
    w = World(config=SimBrokerConfig(slippage_ticks=2))
    long_c, short_c = call(530), call(535)
    w.market.set_quote(long_c, "2.95", "3.05")
    w.market.set_quote(short_c, "1.00", "1.05")
    w.broker.submit(w.order(buy(long_c), sell(short_c), limit="2.07"))
    w.step()
    w.market.set_quote(long_c, "2.95", "3.05")
    w.market.set_quote(short_c, "1.00", "1.05")
    f_long, f_short = fills(w.poll())
    assert f_long.price - f_short.price <= Decimal("2.07")
    assert (f_long.price, f_short.price) == (Decimal("3.05"), Decimal("0.98"))


def test_credit_spread_uses_its_max_loss_of_buying_power() -> None:
    w = World(cash="10000")
    short_p, long_p = put(525), put(520)
    w.market.set_quote(short_p, "2.00", "2.05")
    w.market.set_quote(long_p, "0.90", "0.95")
    w.broker.submit(w.order(sell(short_p), buy(long_p), qty=2, limit="-1.00"))
    w.step()
    w.market.set_quote(short_p, "2.00", "2.05")
    w.market.set_quote(long_p, "0.90", "0.95")
    assert len(fills(w.poll())) == 2
    acct = w.broker.account()
    fees = Decimal("0.65") * 4
    assert acct.cash == Decimal("10000") + Decimal("1.05") * 200 - fees
    assert acct.buying_power == acct.cash - Decimal(5) * 100 * 2


def test_legged_broker_refuses_multi_leg_orders_and_takes_legs_one_by_one() -> None:
    w = World(style=MultiLegStyle.LEGGED)
    long_c, short_c = call(530), call(535)
    w.market.set_quote(long_c, "3.00", "3.10")
    w.market.set_quote(short_c, "1.00", "1.05")
    with pytest.raises(BrokerError, match="legs one by one"):
        w.broker.submit(w.order(buy(long_c), sell(short_c)))
    w.broker.submit(w.order(buy(long_c)))
    w.broker.submit(w.order(sell(short_c)))
    w.step()
    w.market.set_quote(long_c, "3.00", "3.10")
    w.market.set_quote(short_c, "1.00", "1.05")
    assert [f.price for f in fills(w.poll())] == [Decimal("3.10"), Decimal("1.00")]
    assert {p.symbol: p.quantity for p in w.broker.positions()} == {long_c.key: 1, short_c.key: -1}


def test_too_many_legs_and_repeated_instruments_are_refused() -> None:
    w = World()
    cs = [call(k) for k in (520, 525, 530, 535, 540)]
    for c in cs:
        w.market.set_quote(c, "1.00", "1.10")
    with pytest.raises(BrokerError, match="at most 4"):
        w.broker.submit(w.order(*(buy(c) for c in cs)))
    with pytest.raises(BrokerError, match="same instrument"):
        w.broker.submit(w.order(buy(cs[0]), sell(cs[0])))
    with pytest.raises(BrokerError, match="lowest terms"):
        w.broker.submit(w.order(buy(cs[0], 2), sell(cs[1], 2)))


# -------------------------------------------------------------------------- partial fills


def test_order_larger_than_displayed_size_fills_partially_on_later_quotes() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10", ask_size=4)
    o = w.order(buy(c), qty=10)
    w.broker.submit(o)
    w.step()
    w.market.set_quote(c, "2.00", "2.10", ask_size=4)
    events = w.poll()
    assert [f.quantity for f in fills(events)] == [4]
    assert updates(events)[-1].status is OrderStatus.PARTIALLY_FILLED
    assert updates(events)[-1].filled_quantity == 4
    assert fills(w.poll()) == []  # the same quote's size is used up
    w.step()
    w.market.set_quote(c, "2.05", "2.15", ask_size=20)
    events = w.poll()
    [f] = fills(events)
    assert (f.quantity, f.price) == (6, Decimal("2.15"))
    assert f.fee == Decimal("3.90")  # per contract only: the US has no per-order fee
    assert statuses(events) == [OrderStatus.FILLED]


def test_two_orders_share_one_displayed_size() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10", ask_size=5)
    w.broker.submit(w.order(buy(c), qty=3))
    w.broker.submit(w.order(buy(c), qty=3))
    w.step()
    w.market.set_quote(c, "2.00", "2.10", ask_size=5)
    assert [f.quantity for f in fills(w.poll())] == [3, 2]


def test_ioc_takes_what_the_next_quote_offers_and_cancels_the_rest() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10", ask_size=4)
    w.broker.submit(w.order(buy(c), qty=10, tif=TimeInForce.IOC))
    w.step()
    w.market.set_quote(c, "2.00", "2.10", ask_size=4)
    events = w.poll()
    assert [f.quantity for f in fills(events)] == [4]
    assert statuses(events) == [OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELED]
    assert w.broker.open_orders() == []


# -------------------------------------------------------------------------------- holds


def test_bad_quotes_hold_the_order_and_say_why_once_per_reason() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.broker.submit(w.order(buy(c)))
    w.poll()
    w.step()
    w.market.set_quote(c, "0", "2.10")
    [hold] = w.poll()
    assert isinstance(hold, QuoteHold) and "one-sided" in hold.reason and c.key in hold.reason
    w.step()
    w.market.set_quote(c, "0", "2.15")
    assert w.poll() == []  # same reason: not repeated
    w.step()
    w.market.set_quote(c, "2.20", "2.10")
    [hold] = w.poll()
    assert isinstance(hold, QuoteHold) and "crossed" in hold.reason
    w.step(3)  # no new quote for three minutes: the crossed one is now also stale? No: still crossed
    assert w.poll() == []
    w.market.set_quote(c, "2.00", "2.10")
    w.step(5)  # the good quote ages past the 120 s limit
    [hold] = w.poll()
    assert isinstance(hold, QuoteHold) and "stale" in hold.reason
    w.step()
    assert w.poll() == []  # its age changed, its kind did not
    w.market.set_quote(c, "2.00", "2.10")
    assert fills(w.poll())[0].price == Decimal("2.10")


def test_missing_quote_holds_and_delisting_is_reported() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.broker.submit(w.order(buy(c)))
    w.step()
    w.market.delist(c)
    [hold] = [e for e in w.poll() if isinstance(e, QuoteHold)]
    assert "no quote" in hold.reason


# --------------------------------------------------------------- day orders, cancel, replace


def test_day_order_expires_at_the_close_and_gtc_keeps_working() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    day = w.order(buy(c), limit="1.00")
    gtc = w.order(buy(c), limit="1.00", tif=TimeInForce.GTC)
    w.broker.submit(day)
    w.broker.submit(gtc)
    w.poll()
    w.clock.advance_to(CLOSE)
    events = w.poll()
    [expired] = updates(events)
    assert (expired.client_order_id, expired.status) == (day.client_order_id, OrderStatus.EXPIRED)
    assert "expired at the close" in expired.reason
    assert [o.client_order_id for o in w.broker.open_orders()] == [gtc.client_order_id]
    # The next session's first quote fills the GTC order.
    w.clock.advance_to(datetime(2024, 6, 4, 13, 31, tzinfo=UTC))
    w.market.set_quote(c, "0.90", "0.95")
    assert fills(w.poll())[0].price == Decimal("0.95")


def test_cancel_ends_the_order_and_unknown_ids_are_refused() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    o = w.order(buy(c), limit="1.00")
    w.broker.submit(o)
    w.broker.cancel(o.client_order_id)
    assert statuses(w.poll()) == [OrderStatus.ACCEPTED, OrderStatus.CANCELED]
    with pytest.raises(BrokerError, match="not working"):
        w.broker.cancel(o.client_order_id)
    with pytest.raises(BrokerError, match="unknown"):
        w.broker.cancel(ClientOrderId("nope"))
    before = w.broker.account()
    assert before.buying_power == before.cash  # its reservation is released


def test_replace_ends_the_old_order_replaced_and_the_new_one_works() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    old = w.order(buy(c), qty=2, limit="1.00")
    w.broker.submit(old)
    new = w.order(buy(c), qty=2, limit="2.20")
    w.broker.replace(old.client_order_id, new)
    events = w.poll()
    assert [(u.client_order_id, u.status) for u in updates(events)] == [
        (old.client_order_id, OrderStatus.ACCEPTED),
        (old.client_order_id, OrderStatus.REPLACED),
        (new.client_order_id, OrderStatus.ACCEPTED),
    ]
    other = w.order(buy(call(535)), limit="1.00")
    with pytest.raises(BrokerError, match="same legs"):
        w.broker.replace(new.client_order_id, other)
    w.step()
    w.market.set_quote(c, "2.00", "2.10")
    assert [f.client_order_id for f in fills(w.poll())] == [new.client_order_id] * 1


def test_duplicate_client_order_id_is_refused() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    o = w.order(buy(c))
    w.broker.submit(o)
    with pytest.raises(BrokerError, match="already sent"):
        w.broker.submit(o)


# ---------------------------------------------------------------- refusals and rejections


def test_insufficient_buying_power_is_rejected_naming_the_amounts() -> None:
    w = World(cash="1000")
    c = call(530)
    w.market.set_quote(c, "4.00", "4.10")
    o = w.order(buy(c), qty=3)
    w.broker.submit(o)
    [rej] = updates(w.poll())
    assert rej.status is OrderStatus.REJECTED
    # 3 x 4.10 x 100 + 5% reserve on a market order + 3 x 0.65 fees
    assert "needs 1,293.45 USD" in rej.reason and "has 1,000.00 USD" in rej.reason
    assert w.broker.order(o.client_order_id) is not None
    assert w.broker.order(o.client_order_id).status is OrderStatus.REJECTED  # type: ignore[union-attr]


def test_working_orders_hold_buying_power() -> None:
    w = World(cash="700")
    c = call(530)
    w.market.set_quote(c, "4.00", "4.10")
    w.broker.submit(w.order(buy(c), limit="4.00"))
    w.broker.submit(w.order(buy(c), limit="4.00"))
    events = w.poll()
    assert statuses(events) == [OrderStatus.ACCEPTED, OrderStatus.REJECTED]
    assert "needs 400.65 USD, account has 299.35 USD" in updates(events)[1].reason
    assert w.broker.account().buying_power == Decimal("700") - Decimal("400.65")


def test_cash_secured_put_needs_the_strike_in_cash() -> None:
    w = World(cash="53000")
    p = put(525)
    w.market.set_quote(p, "2.00", "2.10")
    w.broker.submit(w.order(sell(p), limit="-2.00"))
    w.step()
    w.market.set_quote(p, "2.00", "2.10")
    [f] = fills(w.poll())
    acct = w.broker.account()
    assert acct.cash == Decimal("53000") + Decimal("200") - f.fee
    assert acct.buying_power == acct.cash - Decimal("52500")
    w.broker.submit(w.order(sell(p), limit="-2.00"))
    [rej] = updates(w.poll())
    assert rej.status is OrderStatus.REJECTED and "insufficient buying power" in rej.reason


def test_naked_calls_can_be_forbidden() -> None:
    from optionpilot.adapters.sim.margin import MarginConfig

    w = World(config=SimBrokerConfig(margin=MarginConfig(allow_naked_calls=False)))
    c = call(540)
    w.market.set_quote(c, "1.00", "1.05")
    w.broker.submit(w.order(sell(c)))
    [rej] = updates(w.poll())
    assert rej.status is OrderStatus.REJECTED and "uncovered short calls" in rej.reason


def test_closing_more_than_the_position_is_rejected() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.broker.submit(w.order(sell(c, effect=PositionEffect.CLOSE)))
    [rej] = updates(w.poll())
    assert rej.status is OrderStatus.REJECTED and "position is 0" in rej.reason


def test_orders_outside_market_hours_are_rejected_when_queueing_is_off() -> None:
    w = World(config=SimBrokerConfig(queue_outside_hours=False))
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.clock.advance_to(CLOSE + MINUTE)
    w.broker.submit(w.order(buy(c)))
    [rej] = updates(w.poll())
    assert rej.status is OrderStatus.REJECTED and "market closed at 2024-06-03 16:01 EDT" in rej.reason


def test_orders_after_the_close_queue_for_the_next_session() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    w.clock.advance_to(CLOSE + MINUTE)
    w.broker.submit(w.order(buy(c)))
    [acc] = updates(w.poll())
    assert acc.status is OrderStatus.ACCEPTED
    # Nothing trades overnight; the first quote of the next session fills it.
    next_open = CLOSE + timedelta(hours=17, minutes=30)
    w.clock.advance_to(next_open - MINUTE)
    assert not [f for f in w.poll() if isinstance(f, Fill)]
    w.market.set_quote(c, "2.20", "2.30", ts=next_open + MINUTE)
    w.clock.advance_to(next_open + MINUTE)
    fills = [f for f in w.poll() if isinstance(f, Fill)]
    assert len(fills) == 1 and fills[0].price == Decimal("2.30")
    # A DAY order queued after the close expires at the next session's close, not at once.
    assert w.broker.order(acc.client_order_id) is not None


def test_unquoted_contracts_are_rejected_and_unlisted_underlyings_refused() -> None:
    w = World()
    w.broker.submit(w.order(buy(call(600))))
    [rej] = updates(w.poll())
    assert rej.status is OrderStatus.REJECTED and "not quoted" in rej.reason
    qqq = OptionContract.for_underlying(Underlying("QQQ"), EXPIRY, Decimal(450), OptionRight.CALL)
    with pytest.raises(BrokerError, match="QQQ is not listed"):
        w.broker.submit(w.order(buy(qqq)))


def test_order_for_another_account_is_refused() -> None:
    w = World()
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    o = Order(ClientOrderId("x"), AccountId("other"), (buy(c),), 1, OrderType.MARKET, w.clock.now())
    with pytest.raises(BrokerError, match="account other"):
        w.broker.submit(o)


# ------------------------------------------------------------------------------- stocks


def test_stock_orders_trade_on_the_last_bar_plus_half_spread() -> None:
    w = World()
    spy = Stock("SPY")
    w.broker.submit(w.order(buy(spy), qty=10))
    w.step()
    w.market.set_spot("SPY", 531.0)
    [f] = fills(w.poll())
    assert (f.price, f.quantity, f.fee) == (Decimal("531.01"), 10, Decimal("0.00"))
    acct = w.broker.account()
    assert acct.equity == acct.cash + Decimal("5310")


def test_a_fill_that_would_overdraw_the_account_is_refused_at_the_fill() -> None:
    w = World(cash="1000")
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    o = w.order(buy(c), qty=4)
    w.broker.submit(o)  # 4 x 2.10 x 100 plus reserve fits in 1,000
    w.step()
    w.market.set_quote(c, "3.00", "3.10")  # the quote that follows is far higher
    events = w.poll()
    assert fills(events) == []
    assert statuses(events) == [OrderStatus.ACCEPTED, OrderStatus.REJECTED]
    reason = updates(events)[1].reason
    assert "insufficient buying power at fill: 4 units need 1,242.60 USD, account has 1,000.00 USD" in reason
    assert w.broker.account().cash == Decimal(1000)


def test_replace_beyond_buying_power_is_refused_and_the_old_order_keeps_working() -> None:
    w = World(cash="1000")
    c = call(530)
    w.market.set_quote(c, "2.00", "2.10")
    old = w.order(buy(c), qty=2, limit="2.00")
    w.broker.submit(old)
    with pytest.raises(BrokerError, match="insufficient buying power"):
        w.broker.replace(old.client_order_id, w.order(buy(c), qty=5, limit="2.00"))
    assert [o.client_order_id for o in w.broker.open_orders()] == [old.client_order_id]
