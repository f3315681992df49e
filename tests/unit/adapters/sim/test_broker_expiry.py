"""Expiry through the simulated broker: exercise, assignment, cash settlement, lapse; India fees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.core.calendars import Market
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId, IdMaker
from optionpilot.domain.accounts import LedgerKind
from optionpilot.domain.fills import BrokerEvent, ExpirySettlement, Fill, OrderUpdate, SettlementKind
from optionpilot.domain.instruments import (
    AssetClass,
    ExerciseStyle,
    OptionContract,
    OptionRight,
    Settlement,
    Underlying,
)
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, Side, TimeInForce
from optionpilot.ports.broker import MultiLegStyle
from optionpilot.testing.static_market import StaticMarket

MINUTE = timedelta(minutes=1)
ACCOUNT = AccountId("a1")

SPY = Underlying("SPY")
US_EXPIRY = date(2024, 6, 7)  # a Friday
US_START = datetime(2024, 6, 3, 13, 31, tzinfo=UTC)
US_EXPIRY_CLOSE = datetime(2024, 6, 7, 20, 0, tzinfo=UTC)

NIFTY = Underlying(
    "NIFTY",
    market=Market.IN,
    asset_class=AssetClass.INDEX,
    currency="INR",
    option_multiplier=75,
    option_style=ExerciseStyle.EUROPEAN,
    option_settlement=Settlement.CASH,
    option_tick=Decimal("0.05"),
)
IN_EXPIRY = date(2025, 7, 17)  # a Thursday
IN_START = datetime(2025, 7, 14, 3, 46, tzinfo=UTC)  # 09:16 Mumbai
IN_EXPIRY_CLOSE = datetime(2025, 7, 17, 10, 0, tzinfo=UTC)  # 15:30 Mumbai


class Desk:
    def __init__(self, under: Underlying, start: datetime, cash: str, style: MultiLegStyle) -> None:
        self.under = under
        self.clock = SimulatedClock(start)
        self.market = StaticMarket(self.clock, [under], market=under.market)
        self.broker = SimulatedBroker(
            ACCOUNT,
            market=self.market,
            clock=self.clock,
            starting_cash=Decimal(cash),
            multi_leg=style,
            ids=IdMaker("x"),
        )
        self.n = 0
        self.events: list[BrokerEvent] = []

    def contract(self, strike: int, right: OptionRight, expiry: date) -> OptionContract:
        return OptionContract.for_underlying(self.under, expiry, Decimal(strike), right)

    def trade(self, c: OptionContract, side: Side, qty: int, bid: str, ask: str, tif: TimeInForce) -> None:
        """Send a market order and fill it on the next minute's quote."""
        self.n += 1
        self.market.set_quote(c, bid, ask, bid_size=100, ask_size=100)
        o = Order(
            ClientOrderId(f"o{self.n}"),
            ACCOUNT,
            (OrderLeg(c, side),),
            qty,
            OrderType.MARKET,
            self.clock.now(),
        )
        self.broker.submit(o)
        self.clock.advance_to(self.clock.now() + MINUTE)
        self.market.set_quote(c, bid, ask, bid_size=100, ask_size=100)
        self.events.extend(self.broker.poll_events())

    def to(self, t: datetime) -> list[BrokerEvent]:
        self.clock.advance_to(t)
        events = list(self.broker.poll_events())
        self.events.extend(events)
        return events


def us_desk(cash: str = "200000") -> Desk:
    d = Desk(SPY, US_START, cash, MultiLegStyle.ATOMIC)
    d.market.set_spot("SPY", 530.0)
    return d


def settlements(events: list[BrokerEvent]) -> dict[str, ExpirySettlement]:
    return {e.contract.key: e for e in events if isinstance(e, ExpirySettlement)}


def test_us_options_are_exercised_assigned_or_expire_after_the_expiry_close() -> None:
    d = us_desk()
    long_call = d.contract(525, OptionRight.CALL, US_EXPIRY)
    short_put = d.contract(540, OptionRight.PUT, US_EXPIRY)
    otm_call = d.contract(535, OptionRight.CALL, US_EXPIRY)
    hair_put = d.contract(532, OptionRight.PUT, US_EXPIRY)  # exactly at the money at the close
    d.trade(long_call, Side.BUY, 2, "6.00", "6.10", TimeInForce.DAY)
    d.trade(short_put, Side.SELL, 1, "10.00", "10.20", TimeInForce.DAY)
    d.trade(otm_call, Side.BUY, 1, "1.00", "1.05", TimeInForce.DAY)
    d.trade(hair_put, Side.BUY, 1, "2.00", "2.05", TimeInForce.DAY)
    cash_before = d.broker.account().cash
    d.market.set_spot("SPY", 531.0, ts=US_EXPIRY_CLOSE - 2 * MINUTE)
    d.market.set_spot("SPY", 532.0, ts=US_EXPIRY_CLOSE)  # the close
    assert settlements(d.to(US_EXPIRY_CLOSE - MINUTE)) == {}  # not before the close
    late = US_EXPIRY_CLOSE + 30 * MINUTE
    d.market.set_spot("SPY", 540.0, ts=late)  # after-hours moves do not change the settlement price
    got = settlements(d.to(late))
    lc, sp, oc, hp = got[long_call.key], got[short_put.key], got[otm_call.key], got[hair_put.key]
    assert (lc.kind, lc.shares, lc.cash, lc.settlement_price) == (
        SettlementKind.EXERCISED,
        200,
        Decimal(-525 * 200),
        Decimal("532.00"),
    )
    assert (sp.kind, sp.quantity, sp.shares, sp.cash) == (
        SettlementKind.ASSIGNED,
        -1,
        100,
        Decimal(-540 * 100),
    )
    assert (oc.kind, oc.cash, oc.shares) == (SettlementKind.EXPIRED, Decimal(0), 0)
    assert hp.kind is SettlementKind.EXPIRED  # at the money: not exercised
    acct = d.broker.account()
    assert acct.cash == cash_before - 525 * 200 - 540 * 100
    [stock] = d.broker.positions()
    assert (stock.symbol, stock.quantity) == ("SPY", 300)
    assert stock.avg_price == (Decimal(525 * 200) + Decimal(540 * 100)) / 300
    assert d.broker.ledger.total(LedgerKind.EXERCISE) == Decimal(-525 * 200)
    assert d.broker.ledger.total(LedgerKind.ASSIGNMENT) == Decimal(-540 * 100)
    assert d.to(late + MINUTE) == []  # settled once


def test_short_call_assignment_without_shares_leaves_short_stock() -> None:
    d = us_desk()
    c = d.contract(520, OptionRight.CALL, US_EXPIRY)
    d.trade(c, Side.SELL, 1, "11.00", "11.20", TimeInForce.DAY)
    d.market.set_spot("SPY", 530.0, ts=US_EXPIRY_CLOSE)
    [s] = settlements(d.to(US_EXPIRY_CLOSE)).values()
    assert (s.kind, s.shares, s.cash) == (SettlementKind.ASSIGNED, -100, Decimal(52000))
    assert [(p.symbol, p.quantity) for p in d.broker.positions()] == [("SPY", -100)]
    # Short stock needs 150% of its value: buying power falls below cash.
    acct = d.broker.account()
    assert acct.buying_power == acct.cash - Decimal("1.5") * 530 * 100


def test_gtc_orders_on_an_expired_contract_are_canceled() -> None:
    d = us_desk()
    c = d.contract(525, OptionRight.CALL, US_EXPIRY)
    d.trade(c, Side.BUY, 1, "6.00", "6.10", TimeInForce.DAY)
    d.n += 1
    gtc = Order(
        ClientOrderId("gtc"),
        ACCOUNT,
        (OrderLeg(c, Side.BUY),),
        1,
        OrderType.LIMIT,
        d.clock.now(),
        limit_price=Decimal("0.50"),
        tif=TimeInForce.GTC,
    )
    d.broker.submit(gtc)
    d.market.set_spot("SPY", 500.0, ts=US_EXPIRY_CLOSE)
    events = d.to(US_EXPIRY_CLOSE)
    [upd] = [e for e in events if isinstance(e, OrderUpdate) and e.client_order_id == "gtc"][-1:]
    assert upd.status is OrderStatus.CANCELED and "expired" in upd.reason
    assert settlements(events)[c.key].kind is SettlementKind.EXPIRED
    assert d.broker.positions() == []


def test_orders_on_expired_contracts_are_rejected() -> None:
    d = us_desk()
    old = d.contract(525, OptionRight.CALL, date(2024, 5, 31))
    d.market.set_quote(old, "1.00", "1.10")
    d.broker.submit(
        Order(ClientOrderId("old"), ACCOUNT, (OrderLeg(old, Side.BUY),), 1, OrderType.MARKET, d.clock.now())
    )
    [upd] = d.broker.poll_events()
    assert isinstance(upd, OrderUpdate) and upd.status is OrderStatus.REJECTED and "expired" in upd.reason


# ---------------------------------------------------------------------------------- India


def in_desk() -> Desk:
    d = Desk(NIFTY, IN_START, "500000", MultiLegStyle.LEGGED)
    d.market.set_spot("NIFTY", 25100.0)
    return d


def test_india_index_options_settle_in_cash_and_pay_per_order_fees() -> None:
    d = in_desk()
    long_call = d.contract(25000, OptionRight.CALL, IN_EXPIRY)
    short_call = d.contract(25200, OptionRight.CALL, IN_EXPIRY)
    d.trade(long_call, Side.BUY, 2, "180.00", "181.00", TimeInForce.DAY)
    d.trade(short_call, Side.SELL, 2, "90.00", "90.50", TimeInForce.DAY)
    buy_fill, sell_fill = [e for e in d.events if isinstance(e, Fill)]
    # ₹20 per order + 0.03503% exchange charges + 18% GST on both + 0.003% stamp duty on buys
    premium = Decimal("181.00") * 2 * 75
    expected_buy = Decimal(20) + premium * Decimal("0.0003503")
    expected_buy += expected_buy * Decimal("0.18") + premium * Decimal("0.00003")
    assert buy_fill.fee == expected_buy.quantize(Decimal("0.01"))
    sold = Decimal("90.00") * 2 * 75
    expected_sell = Decimal(20) + sold * Decimal("0.0003503")
    expected_sell += expected_sell * Decimal("0.18") + sold * Decimal("0.001")
    assert sell_fill.fee == expected_sell.quantize(Decimal("0.01"))
    cash_before = d.broker.account().cash
    d.market.set_spot("NIFTY", 25312.35, ts=IN_EXPIRY_CLOSE)
    got = settlements(d.to(IN_EXPIRY_CLOSE + MINUTE))
    assert got[long_call.key].cash == Decimal("312.35") * 75 * 2
    assert got[short_call.key].cash == Decimal("-112.35") * 75 * 2
    assert got[long_call.key].shares == 0 and got[long_call.key].kind is SettlementKind.EXERCISED
    assert d.broker.account().cash == cash_before + Decimal(200) * 75 * 2
    assert d.broker.ledger.total(LedgerKind.CASH_SETTLEMENT) == Decimal(200) * 75 * 2
    assert d.broker.positions() == []
    assert d.broker.account().currency == "INR"


def test_india_stock_of_an_index_is_refused() -> None:
    from optionpilot.domain.instruments import Stock

    d = in_desk()
    o = Order(
        ClientOrderId("s"),
        ACCOUNT,
        (OrderLeg(Stock("NIFTY", Market.IN), Side.BUY),),
        1,
        OrderType.MARKET,
        d.clock.now(),
    )
    with pytest.raises(BrokerError, match="index"):
        d.broker.submit(o)
