"""The multi-leg desk on sparse data: unquoted legs wait, failed exits are sent again, delivered shares
are closed, legs held on both sides are never entered and expire against each other."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, IdMaker, PositionId
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate
from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Underlying
from optionpilot.domain.orders import OrderLeg, Side
from optionpilot.domain.positions import Position, PositionStatus
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.multileg.config import StrategiesConfig
from optionpilot.engine.multileg.desk import EXIT_DUE, MultiLegDesk
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.engine.orders.reconciliation import reconcile
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY", asset_class=AssetClass.ETF)
START = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)  # Wednesday 11:00 New York
EXPIRY = date(2026, 12, 18)
EXPIRY_CLOSE = datetime(2026, 12, 18, 21, 0, tzinfo=UTC)
SHORT = OptionContract("SPY", EXPIRY, Decimal(570), OptionRight.PUT)
LONG = OptionContract("SPY", EXPIRY, Decimal(565), OptionRight.PUT)
MINUTE = timedelta(minutes=1)


class ListRecorder:
    def __init__(self) -> None:
        self.ticks: list[TickRecords] = []

    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None:
        self.ticks.append(records)

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


def bull_put(legs: tuple[OrderLeg, ...] | None = None, **changes: object) -> StrategyCandidate:
    c = StrategyCandidate(
        candidate_id="SPY-bull_put_spread-t1", ts=START, underlying="SPY", currency="USD",
        strategy=StrategyType.BULL_PUT_SPREAD,
        legs=legs or (OrderLeg(LONG, Side.BUY), OrderLeg(SHORT, Side.SELL)),
        expiry=EXPIRY, dte=51, multiplier=100, net_debit=Decimal("-1.20"), net_debit_mid=Decimal("-1.30"),
        max_profit=Decimal(120), max_loss=Decimal(380), breakevens=(Decimal("568.80"),), pop=0.7,
        expected_value=Decimal(10), delta=10.0, gamma=0.0, vega=-5.0, theta=2.0, margin=Decimal(380),
        spread_pct=0.05, sigma=0.2, reason="test", score=0.7, confidence=0.7, conviction=Conviction.HIGH,
    )  # fmt: skip
    return dataclasses.replace(c, **changes)  # type: ignore[arg-type]


class World:
    def __init__(self, start: datetime = START, cash: int = 50_000) -> None:
        self.clock = SimulatedClock(start)
        self.market = StaticMarket(self.clock, [SPY])
        self.market.set_spot("SPY", 580.0)
        self.quote()
        ids = IdMaker("t")
        aid = AccountId("acct")
        broker = SimulatedBroker(
            aid, market=self.market, clock=self.clock, starting_cash=Decimal(cash), ids=ids
        )
        self.book = AccountBook(aid, "USD", Decimal(cash), self.clock.now())
        self.journal = Journal(ListRecorder())
        self.journal.begin(self.clock.now())
        orders = OrderManager(aid, broker, self.book, ids, self.clock, self.journal)
        self.account = AccountRuntime(
            aid, "acct", SPY.market, "USD", Decimal(cash), broker, self.book, orders
        )
        self.desk = MultiLegDesk(self.account, self.market, self.clock, self.journal, ids, StrategiesConfig())

    def quote(
        self,
        short: tuple[str, str] | None = ("2.00", "2.10"),
        long: tuple[str, str] | None = ("0.80", "0.90"),
    ) -> None:
        for contract, q in ((SHORT, short), (LONG, long)):
            if q is None:
                self.market.delist(contract)
            else:
                self.market.set_quote(contract, *q)

    def step(self, minutes: int = 1, **q: tuple[str, str] | None) -> None:
        self.clock.advance_to(self.clock.now() + minutes * MINUTE)
        self.market.set_spot("SPY", self.market.spot("SPY"))
        self.quote(**q)  # type: ignore[arg-type]
        self.account.orders.process_events()

    def reconciled(self) -> bool:
        return reconcile(self.book, self.account.broker).ok


@pytest.fixture
def world() -> World:
    return World()


def open_spread(w: World, lots: int = 2) -> Position:
    d = w.desk.enter(bull_put(), lots, reason="plan")
    assert d.value is not None
    w.step()
    assert d.value.status is PositionStatus.OPEN
    return d.value


def test_an_exit_with_an_unquoted_short_waits_then_is_sent_when_quoted(world: World) -> None:
    w = world
    pos = open_spread(w)
    w.step(short=None, long=("0.10", "0.20"))  # the short put is not quoted any more
    pos.meta[EXIT_DUE] = "multileg_exit.stop: test stop"
    rows = w.desk.monitor(act=True)
    assert [r.rule for r in rows] == ["multileg_exit.retry"] and not rows[0].acted
    assert pos.status is PositionStatus.OPEN and not w.account.orders.open_orders()
    waits = [e.reason for e in w.journal.current.position_events if "waiting" in e.reason]
    assert waits and "SPY261218P00570000" in waits[-1]
    w.step(short=("0.60", "0.70"), long=("0.10", "0.20"))
    rows = w.desk.monitor(act=True)
    assert rows[0].acted and pos.status is PositionStatus.CLOSING
    w.step(short=("0.60", "0.70"), long=("0.10", "0.20"))
    assert pos.status is PositionStatus.CLOSED and pos.exit_reason == "multileg_exit.stop: test stop"
    assert w.reconciled()


def test_an_exit_order_that_expires_unfilled_is_sent_again(world: World) -> None:
    w = world
    pos = open_spread(w)
    w.step(short=("0.60", "0.70"), long=("0.10", "0.20"))
    [row] = w.desk.monitor(act=True)
    assert row.rule == "multileg_exit.profit_target" and pos.status is PositionStatus.CLOSING
    w.quote(short=None, long=None)  # no quote until the close: the market order holds, then expires
    close = datetime(2026, 10, 28, 20, 0, tzinfo=UTC)
    w.clock.advance_to(close)
    w.account.orders.process_events()
    assert not w.account.orders.open_orders() and pos.status is PositionStatus.CLOSING
    # Next morning: the position is managed again and the decided exit is sent again.
    w.clock.advance_to(datetime(2026, 10, 29, 13, 40, tzinfo=UTC))
    w.quote(short=("0.60", "0.70"), long=("0.10", "0.20"))
    [row] = w.desk.monitor(act=True)
    assert row.rule == "multileg_exit.retry" and row.acted and w.account.orders.open_orders(pos.position_id)
    w.step(short=("0.60", "0.70"), long=("0.10", "0.20"))
    assert pos.status is PositionStatus.CLOSED and pos.exit_reason.startswith("multileg_exit.profit_target")
    assert w.reconciled()


def test_shares_delivered_by_assignment_are_sold_at_the_next_look() -> None:
    w = World(cash=200_000)  # enough to pay for the shares (else the broker closes at intrinsic)
    pos = open_spread(w, lots=2)
    # Expiry with SPY between the strikes: the short 570 put is assigned (+200 shares at 570), the long
    # 565 put expires worthless.
    w.market.set_spot("SPY", 567.0, ts=EXPIRY_CLOSE)
    w.clock.advance_to(EXPIRY_CLOSE)
    w.account.orders.process_events()
    assert {k: leg.quantity for k, leg in pos.legs.items() if leg.quantity} == {"SPY": 200}
    w.clock.advance_to(datetime(2026, 12, 21, 14, 40, tzinfo=UTC))  # Monday
    w.market.set_spot("SPY", 566.0)
    [row] = w.desk.monitor(act=True)
    assert row.rule == "multileg_exit.broken" and row.acted and "shares delivered" in row.reason
    w.clock.advance_to(w.clock.now() + MINUTE)
    w.market.set_spot("SPY", 566.0)
    w.account.orders.process_events()
    assert pos.status is PositionStatus.CLOSED and pos.is_flat
    assert "shares delivered" in pos.exit_reason
    assert w.reconciled() and w.account.broker.positions() == []


def test_a_leg_on_the_other_side_of_a_held_one_is_not_entered(world: World) -> None:
    w = world
    open_spread(w)
    bear = (OrderLeg(SHORT, Side.BUY), OrderLeg(LONG, Side.SELL))  # long the 570 put, short the 565 put
    d = w.desk.enter(
        bull_put(bear, candidate_id="SPY-bear_put-t1", strategy=StrategyType.BEAR_PUT_SPREAD),
        1,
        reason="plan",
    )
    assert not d.ok and d.rule == "multileg.entry.netting" and "held" in d.reason


def test_legs_held_long_and_short_expire_against_each_other(world: World) -> None:
    w = world
    aid = w.account.account_id
    a = Position(PositionId("a"), aid, "SPY", "long_put", START, "test", meta={"flow": "multileg"})
    b = Position(PositionId("b"), aid, "SPY", "short_put", START, "test", meta={"flow": "multileg"})
    for p, qty, price in ((a, 2, "3.00"), (b, -2, "3.10")):
        p.status = PositionStatus.OPEN
        p.leg_for(SHORT).apply(qty, Decimal(price))
        w.book.add_position(p)
    cash = w.book.cash
    w.market.set_spot("SPY", 566.0, ts=EXPIRY_CLOSE)
    w.clock.advance_to(EXPIRY_CLOSE - MINUTE)
    assert w.desk.offset_expired() == 0  # not before the expiry close
    w.clock.advance_to(EXPIRY_CLOSE)
    assert w.desk.offset_expired() == 2
    # Intrinsic 4.00: the long realizes (4.00 - 3.00) x 200, the short (3.10 - 4.00) x 200.
    assert (a.realized_pnl, b.realized_pnl) == (Decimal(200), Decimal(-180))
    assert a.status is b.status is PositionStatus.CLOSED and "expired against each other" in a.exit_reason
    assert w.book.cash == cash and w.reconciled()


def test_an_entry_sent_after_the_close_counts_the_dte_of_the_session_it_fills_in() -> None:
    friday_evening = datetime(2026, 10, 30, 21, 30, tzinfo=UTC)
    w = World(friday_evening)
    expiry = date(2026, 11, 23)  # 24 days from Friday, 21 from Monday: inside the 21-DTE exit
    short = OptionContract("SPY", expiry, Decimal(570), OptionRight.PUT)
    long = OptionContract("SPY", expiry, Decimal(565), OptionRight.PUT)
    w.market.set_quote(short, "2.00", "2.10")
    w.market.set_quote(long, "0.80", "0.90")
    legs = (OrderLeg(long, Side.BUY), OrderLeg(short, Side.SELL))
    d = w.desk.enter(bull_put(legs, expiry=expiry, dte=24), 1, reason="plan")
    assert not d.ok and d.rule == "multileg.entry.time_exit" and "2026-11-02" in d.reason
