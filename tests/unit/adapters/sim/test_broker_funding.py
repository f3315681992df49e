"""The simulated broker when cash runs short: deliveries it cannot pay are closed at intrinsic value
(`expiry_delivery`), and orders that free buying power are accepted even from an account in deficit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.broker_config import ExpiryDelivery, SimBrokerConfig
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, ClientOrderId, IdMaker
from optionpilot.domain.accounts import LedgerKind
from optionpilot.domain.fills import ExpirySettlement, OrderUpdate, SettlementKind
from optionpilot.domain.instruments import OptionContract, OptionRight, Stock, Underlying
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, PositionEffect, Side
from optionpilot.testing.static_market import StaticMarket

MINUTE = timedelta(minutes=1)
ACCOUNT = AccountId("a1")
SPY = Underlying("SPY")
EXPIRY = date(2024, 6, 7)
START = datetime(2024, 6, 3, 13, 31, tzinfo=UTC)
CLOSE = datetime(2024, 6, 7, 20, 0, tzinfo=UTC)


def setup(
    cash: str, delivery: ExpiryDelivery = ExpiryDelivery.FUNDED
) -> tuple[SimulatedBroker, StaticMarket, SimulatedClock]:
    clock = SimulatedClock(START)
    market = StaticMarket(clock, [SPY])
    market.set_spot("SPY", 530.0)
    broker = SimulatedBroker(
        ACCOUNT,
        market=market,
        clock=clock,
        starting_cash=Decimal(cash),
        config=SimBrokerConfig(expiry_delivery=delivery),
        ids=IdMaker("x"),
    )
    return broker, market, clock


def buy(
    broker: SimulatedBroker, market: StaticMarket, clock: SimulatedClock, c: OptionContract, n: int
) -> None:
    market.set_quote(c, "6.00", "6.10", bid_size=100, ask_size=100)
    broker.submit(
        Order(ClientOrderId(f"b{c.key}"), ACCOUNT, (OrderLeg(c, Side.BUY),), n, OrderType.MARKET, clock.now())
    )
    clock.advance_to(clock.now() + MINUTE)
    market.set_quote(c, "6.00", "6.10", bid_size=100, ask_size=100)
    broker.poll_events()


def test_an_exercise_the_cash_cannot_pay_is_closed_at_intrinsic_value() -> None:
    broker, market, clock = setup("2000")
    call = OptionContract("SPY", EXPIRY, Decimal(525), OptionRight.CALL)
    buy(broker, market, clock, call, 2)  # 1,220 paid; exercising would cost 105,000
    cash = broker.account().cash
    market.set_spot("SPY", 532.0, ts=CLOSE)
    clock.advance_to(CLOSE)
    [s] = [e for e in broker.poll_events() if isinstance(e, ExpirySettlement)]
    # Closed at its intrinsic value 7.00 x 100 x 2: no shares, cash stays positive.
    assert (s.kind, s.shares, s.cash) == (SettlementKind.EXPIRED, 0, Decimal(1400))
    assert broker.positions() == []
    assert broker.account().cash == cash + 1400 > 0
    assert broker.ledger.total(LedgerKind.CASH_SETTLEMENT) == Decimal(1400)
    assert "delivery would leave cash" in broker.ledger.entries[-1].note


def test_with_always_the_shares_are_delivered_and_cash_goes_negative() -> None:
    broker, market, clock = setup("2000", ExpiryDelivery.ALWAYS)
    call = OptionContract("SPY", EXPIRY, Decimal(525), OptionRight.CALL)
    buy(broker, market, clock, call, 2)
    market.set_spot("SPY", 532.0, ts=CLOSE)
    clock.advance_to(CLOSE)
    [s] = [e for e in broker.poll_events() if isinstance(e, ExpirySettlement)]
    assert (s.kind, s.shares) == (SettlementKind.EXERCISED, 200)
    assert broker.account().cash < 0


def test_a_funded_delivery_is_made_as_before() -> None:
    broker, market, clock = setup("200000")
    call = OptionContract("SPY", EXPIRY, Decimal(525), OptionRight.CALL)
    buy(broker, market, clock, call, 2)
    market.set_spot("SPY", 532.0, ts=CLOSE)
    clock.advance_to(CLOSE)
    [s] = [e for e in broker.poll_events() if isinstance(e, ExpirySettlement)]
    assert (s.kind, s.shares, s.cash) == (SettlementKind.EXERCISED, 200, Decimal(-105_000))


def test_buying_back_short_shares_is_accepted_from_an_account_in_deficit() -> None:
    broker, market, clock = setup("20000")
    call = OptionContract("SPY", EXPIRY, Decimal(520), OptionRight.CALL)
    market.set_quote(call, "11.00", "11.20", bid_size=100, ask_size=100)
    broker.submit(
        Order(ClientOrderId("s"), ACCOUNT, (OrderLeg(call, Side.SELL),), 1, OrderType.MARKET, clock.now())
    )
    clock.advance_to(clock.now() + MINUTE)
    market.set_quote(call, "11.00", "11.20", bid_size=100, ask_size=100)
    broker.poll_events()
    market.set_spot("SPY", 800.0, ts=CLOSE)
    clock.advance_to(CLOSE)
    broker.poll_events()  # assigned: short 100 shares, which need 150% of their value
    assert broker.account().buying_power < 0
    next_open = datetime(2024, 6, 10, 13, 35, tzinfo=UTC)
    clock.advance_to(next_open)
    market.set_spot("SPY", 800.0)
    cover = Order(
        ClientOrderId("cover"),
        ACCOUNT,
        (OrderLeg(Stock("SPY"), Side.BUY, 1, PositionEffect.CLOSE),),
        100,
        OrderType.MARKET,
        clock.now(),
    )
    broker.submit(cover)
    clock.advance_to(next_open + MINUTE)
    market.set_spot("SPY", 800.0)
    events = broker.poll_events()
    statuses = [e.status for e in events if isinstance(e, OrderUpdate) and e.client_order_id == "cover"]
    assert statuses[-1] is OrderStatus.FILLED, events
    assert broker.positions() == []
