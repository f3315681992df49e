"""The pre-trade gate through the order manager and the simulated broker (issue 17): a refusal is stored
REJECTED with its rule and sends nothing; off-hours and holiday orders: 0 sent; a close is never held back
by a limit only entries obey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.core.calendars import Market, calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, IdMaker, PositionId
from optionpilot.decisions.breaker import TradingState, entry_allowed
from optionpilot.decisions.pretrade.config import ENTRY_PURPOSES, OPENING_PURPOSES, PreTradeConfig
from optionpilot.decisions.pretrade.flow import check_open_orders, check_order_rate
from optionpilot.decisions.pretrade.hours import check_market_hours
from optionpilot.decisions.pretrade.prices import NetQuote, check_collar, check_quote_age
from optionpilot.decisions.pretrade.sizes import check_order_notional, check_position_notional
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Stock, Underlying
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionStatus
from optionpilot.domain.recommendations import Decision, Rejection
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.gate import PreTradeGate
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.testing.static_market import StaticMarket

D = Decimal
SPY = Underlying("SPY", asset_class=AssetClass.ETF)
CALL = OptionContract("SPY", date(2026, 12, 18), D(580), OptionRight.CALL)
PUT = OptionContract("SPY", date(2026, 12, 18), D(570), OptionRight.PUT)
OPEN = datetime(2026, 11, 25, 14, 35, tzinfo=UTC)  # Wednesday before Thanksgiving, in the session


class KeepingRecorder:
    def __init__(self) -> None:
        self.records: list[TickRecords] = []

    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None:
        self.records.append(records)

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


class CountingBroker(SimulatedBroker):
    """The simulated broker, counting what reaches `submit` (whatever it then does with it)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.submitted: list[Order] = []

    def submit(self, order: Order) -> None:
        self.submitted.append(order)
        super().submit(order)


class World:
    def __init__(
        self,
        config: PreTradeConfig | None = None,
        cash: int = 100_000,
        at: datetime = OPEN,
        *,
        end_of_day: bool = False,
    ) -> None:
        self.clock = SimulatedClock(at)
        self.market = StaticMarket(self.clock, [SPY])
        self.market.set_spot("SPY", 580.0)
        self.quote_fresh()
        ids = IdMaker("t")
        aid = AccountId("acct")
        self.broker = CountingBroker(
            aid, market=self.market, clock=self.clock, starting_cash=D(cash), ids=ids
        )
        self.book = AccountBook(aid, "USD", D(cash), self.clock.now())
        self.recorder = KeepingRecorder()
        self.journal = Journal(self.recorder)
        self.journal.begin(self.clock.now())
        self.gate = PreTradeGate(self.market, config or PreTradeConfig(), end_of_day=end_of_day)
        self.orders = OrderManager(aid, self.broker, self.book, ids, self.clock, self.journal, gate=self.gate)
        self.account = AccountRuntime(
            aid, "acct", SPY.market, "USD", D(cash), self.broker, self.book, self.orders
        )
        self.held = Position(PositionId("held"), aid, "SPY", "long_call/swing_trade", at, "test")
        self.held.leg_for(CALL).apply(2, D("2.00"))
        self.held.status = PositionStatus.OPEN
        self.book.add_position(self.held)

    def quote_fresh(self) -> None:
        self.market.set_quote(CALL, "2.00", "2.10", ts=self.clock.now())
        self.market.set_quote(PUT, "1.00", "1.10", ts=self.clock.now())

    def entry(
        self, limit: str | None = "2.10", qty: int = 1, legs: tuple[OrderLeg, ...] | None = None
    ) -> Order:
        position = Position(
            PositionId(f"p{len(self.orders.orders)}"),
            self.book.account_id,
            "SPY",
            "entry",
            self.clock.now(),
            "t",
        )
        self.book.add_position(position)
        return self.orders.place(
            legs or (OrderLeg(CALL, Side.BUY, 1, PositionEffect.OPEN),),
            qty,
            position_id=position.position_id,
            purpose="entry",
            reason="test entry",
            order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
            limit_price=D(limit) if limit is not None else None,
        )

    def close(self, limit: str | None = None, qty: int = 1) -> Order:
        return self.orders.place(
            (OrderLeg(CALL, Side.SELL, 1, PositionEffect.CLOSE),),
            qty,
            position_id=self.held.position_id,
            purpose="exit",
            reason="test exit",
            order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
            limit_price=D(limit) if limit is not None else None,
        )

    def rejections(self) -> list[Rejection]:
        """Every rejection stored so far (the journal hands its records over on each send)."""
        return [r for t in [*self.recorder.records, self.journal.current] for r in t.rejections]

    def sent(self, order: Order) -> bool:
        return any(o.client_order_id == order.client_order_id for o in self.broker.submitted)


def test_a_refusal_is_stored_rejected_with_its_rule_and_never_sent() -> None:
    w = World()
    order = w.entry(limit="5.00")  # the ask is 2.10: far through the collar
    stored = w.orders.orders[order.client_order_id]
    assert stored.status is OrderStatus.REJECTED and stored.status_reason.startswith("risk.collar: ")
    assert not w.sent(order) and w.broker.lookup(order.client_order_id) is None
    [rejection] = w.rejections()
    assert (rejection.stage, rejection.rule, rejection.underlying) == ("risk", "risk.collar", "SPY")
    assert "outside the collar" in rejection.reason
    assert order in w.journal.current.orders  # stored before it was judged
    ok = w.entry(limit="2.10")
    assert w.sent(ok) and w.orders.orders[ok.client_order_id].status is not OrderStatus.REJECTED


def test_off_hours_and_holiday_orders_send_nothing() -> None:
    for at, rule in (
        (datetime(2026, 11, 25, 21, 30, tzinfo=UTC), "risk.market_hours"),  # after the close
        (datetime(2026, 11, 25, 13, 0, tzinfo=UTC), "risk.market_hours"),  # before the open
        (datetime(2026, 11, 26, 16, 0, tzinfo=UTC), "risk.market_closed"),  # Thanksgiving
        (datetime(2026, 11, 27, 18, 30, tzinfo=UTC), "risk.market_hours"),  # after the 13:00 early close
        (datetime(2026, 11, 28, 16, 0, tzinfo=UTC), "risk.market_closed"),  # a Saturday
    ):
        w = World(at=at)
        placed = [w.entry(), w.entry(limit=None), w.close(), w.close(limit="1.00")]
        assert w.broker.submitted == [], at
        assert [w.orders.orders[o.client_order_id].status for o in placed] == [OrderStatus.REJECTED] * 4
        assert {r.rule for r in w.rejections()} == {rule}, at


def test_a_close_is_never_held_back_by_entry_only_limits() -> None:
    w = World(PreTradeConfig(max_open_orders=1, max_orders_per_minute=1))
    first = w.entry()
    assert w.sent(first)
    second = w.entry()  # one order working, one sent this minute
    assert not w.sent(second)
    assert w.orders.orders[second.client_order_id].status_reason.startswith("risk.open_orders")
    out = w.close()  # over both limits, and a limit far through the collar below
    assert w.sent(out)
    cheap = w.close(limit="0.05")  # a close priced through the market passes as it is
    assert w.sent(cheap)
    w.account.state, w.account.state_reason = TradingState.HALTED, "operator"
    w.clock.advance_to(OPEN + timedelta(minutes=5))
    w.quote_fresh()
    halted = w.entry()
    assert not w.sent(halted)
    assert w.rejections()[-1].rule == "risk.state_halted"
    assert w.sent(w.close(limit="2.00"))


def test_throttle_counts_a_rolling_minute() -> None:
    w = World(PreTradeConfig(max_orders_per_minute=2))
    assert w.sent(w.entry()) and w.sent(w.entry())
    assert w.orders.orders[w.entry().client_order_id].status_reason.startswith("risk.order_rate")
    w.clock.advance_to(OPEN + timedelta(seconds=59))
    assert not w.sent(w.entry())
    w.clock.advance_to(OPEN + timedelta(seconds=60))
    assert w.sent(w.entry())


def test_stale_quotes_stop_entries_and_market_closes_but_a_limit_close_goes() -> None:
    w = World()
    w.clock.advance_to(OPEN + timedelta(seconds=121))  # the quotes are now 121 s old
    entry = w.entry()
    market_close = w.close()
    limit_close = w.close(limit="2.00")
    assert not w.sent(entry) and not w.sent(market_close) and w.sent(limit_close)
    rules = [r.rule for r in w.rejections()]
    assert rules == ["risk.stale_quote", "risk.stale_quote"]
    # The position stays open for the position manager's next look: the close was refused, not lost.
    held = w.book.positions[w.held.position_id]
    assert held.is_open and held.legs[CALL.key].quantity == 2


def test_notional_caps_scale_with_the_account() -> None:
    small = World(cash=1_000)
    big = small.entry(qty=3)  # 3 x 2.10 x 100 = $630, over 50% of $1,000
    assert small.orders.orders[big.client_order_id].status_reason.startswith("risk.order_notional")
    assert small.sent(small.entry(qty=2))  # $420
    large = World(cash=121_000)
    assert large.sent(large.entry(qty=20))  # $4,200
    stock = large.entry(limit=None, qty=200, legs=(OrderLeg(Stock("SPY"), Side.BUY, 1, PositionEffect.OPEN),))
    assert not large.sent(stock)  # 200 x $580 = $116,000 is over 50% of equity
    assert large.orders.orders[stock.client_order_id].status_reason.startswith("risk.order_notional")
    half = large.entry(limit=None, qty=100, legs=(OrderLeg(Stock("SPY"), Side.BUY, 1, PositionEffect.OPEN),))
    assert large.sent(half)  # $58,000


def test_a_spread_is_collared_on_its_net_price() -> None:
    w = World()
    spread = (
        OrderLeg(CALL, Side.BUY, 1, PositionEffect.OPEN),
        OrderLeg(PUT, Side.SELL, 1, PositionEffect.OPEN),
    )
    # Net: buy the call at 2.10, sell the put at 1.00: natural 1.10, bid side 0.90, mid 1.00, band 0.10.
    assert w.sent(w.entry(limit="1.20", legs=spread))
    refused = w.entry(limit="1.21", legs=spread)
    assert w.orders.orders[refused.client_order_id].status_reason.startswith("risk.collar")


def test_end_of_day_data_decides_at_the_close_on_the_session_s_snapshot() -> None:
    """The end-of-day replay (and the verbs on a daily store) decide at the close on a snapshot of the
    session (Cboe's at 15:45): the close counts as in the session and that quote is not stale; a quote of
    an earlier session is. The simulated broker queues what it gets for the next open."""
    close = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    w = World(at=close - timedelta(minutes=15), end_of_day=True)
    w.clock.advance_to(close)
    assert w.sent(w.entry())
    assert w.sent(w.close())
    minute = World(at=close - timedelta(minutes=15))  # minute data: 15 minutes is stale
    minute.clock.advance_to(close)
    assert not minute.sent(minute.entry())
    w.clock.advance_to(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))  # the early close, no new snapshot
    assert not w.sent(w.entry())
    assert w.rejections()[-1].rule == "risk.stale_quote"


# -- the property: no sequence of orders gets one past a check that should refuse it -----------------------

STALE = OptionContract("SPY", date(2026, 12, 18), D(600), OptionRight.CALL)  # quoted once, long ago
MISSING = OptionContract("SPY", date(2026, 12, 18), D(610), OptionRight.CALL)  # never quoted
NYSE = calendar_for(Market.US)


@dataclass(frozen=True)
class Step:
    advance: int  # seconds forward, or -1: to a minute after the next session's open
    state: TradingState
    purpose: str
    what: str  # which instrument: fresh, stale or missing option quote, stock, a spread
    market_order: bool
    offset: Decimal  # the limit's distance from the natural price
    qty: int


step = st.builds(
    Step,
    advance=st.sampled_from([0, 0, 0, 0, 20, 20, 61, 61, 900, 6 * 3600, 86_400, 3 * 86_400, -1, -1]),
    state=st.sampled_from([*[TradingState.ACTIVE] * 4, TradingState.REDUCING, TradingState.HALTED]),
    purpose=st.sampled_from(["entry", "entry", "scale_in", "exit", "partial_exit", "roll", "unwind"]),
    what=st.sampled_from(["fresh", "fresh", "stale", "missing", "stock", "spread"]),
    market_order=st.booleans(),
    offset=st.sampled_from([D(x) for x in ("-1.00", "-0.30", "-0.05", "0", "0", "0.05", "0.30", "2.00")]),
    qty=st.sampled_from([1, 1, 2, 3, 5, 20, 120]),
)


def _legs(what: str, entry: bool) -> tuple[OrderLeg, ...]:
    effect = PositionEffect.OPEN if entry else PositionEffect.CLOSE
    side = Side.BUY if entry else Side.SELL
    if what == "stock":
        return (OrderLeg(Stock("SPY"), side, 1, effect),)
    if what == "spread":
        return (OrderLeg(CALL, side, 1, effect), OrderLeg(PUT, side.opposite, 1, effect))
    contract = {"fresh": CALL, "stale": STALE, "missing": MISSING}[what]
    return (OrderLeg(contract, side, 1, effect),)


def _later(now: datetime, advance: int) -> datetime:
    if advance >= 0:
        return now + timedelta(seconds=advance)
    return NYSE.session(NYSE.next_session(NYSE.local_date(now))).open + timedelta(minutes=1)


def _net_quote(w: World, legs: tuple[OrderLeg, ...]) -> NetQuote | None:
    """The test's own reading of the order's market: buys at the ask, sells at the bid."""
    now = w.clock.now()
    bid = ask = value = D(0)
    ages: list[timedelta] = []
    for leg in legs:
        if isinstance(leg.instrument, OptionContract):
            q = w.market.quote(leg.instrument)
            if q is None:
                return None
            lo, hi = q.bid, q.ask
            ages.append(now - q.ts)
        else:
            lo = hi = D(str(w.market.spot(leg.instrument.symbol)))
        sign = leg.side.sign
        bid += sign * (lo if sign > 0 else hi)
        ask += sign * (hi if sign > 0 else lo)
        value += sign * (lo + hi) / 2 * leg.multiplier
    return NetQuote(bid, ask, max(ages) if ages else None, value)


def _expected_refusals(
    w: World, legs: tuple[OrderLeg, ...], s: Step, limit: Decimal | None, sent: list[datetime]
) -> set[str]:
    """Every rule the pure checks say no with, for this order now (the test's own reading of the market)."""
    cfg, now = w.gate.config, w.clock.now()
    entry = s.purpose in ENTRY_PURPOSES
    refusals: set[str] = set()

    def judge(d: Decision[Any]) -> None:
        if not d.ok:
            refusals.add(d.rule)

    if s.purpose in OPENING_PURPOSES:
        judge(entry_allowed(w.account.state))
    day = NYSE.local_date(now)
    judge(check_market_hours(now, NYSE.session(day) if NYSE.is_session(day) else None, "XNYS"))
    quote = _net_quote(w, legs)
    judge(check_quote_age(quote, cfg, entry=entry, market_order=limit is None))
    if entry and quote is not None:
        if limit is not None:
            judge(check_collar(limit, quote, cfg))
        one_multiplier = len({leg.multiplier for leg in legs}) == 1
        if limit is not None and one_multiplier:
            notional = abs(limit) * legs[0].multiplier * s.qty
        else:
            notional = abs(quote.unit_value) * s.qty
        equity = w.broker.account().equity
        held = abs(w.held.cost_basis()) if s.purpose == "scale_in" else D(0)
        judge(check_order_notional(notional, equity, cfg))
        judge(check_position_notional(held, notional, equity, cfg))
        judge(check_open_orders(len(w.orders.open_orders()), cfg))
        judge(check_order_rate(sum(1 for t in sent if t > now - timedelta(minutes=1)), cfg))
    return refusals


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cash=st.sampled_from([1_000, 121_000]), steps=st.lists(step, min_size=1, max_size=20))
def test_no_order_reaches_the_broker_past_a_check_that_refuses_it(cash: int, steps: list[Step]) -> None:
    """Random orders (entries and closes, options, stock and spreads, market and limit, any size and price,
    in and out of hours, holidays, fresh, stale and missing quotes, every trading state): an order reaches
    `broker.submit` exactly when no applicable pure check refuses it."""
    w = World(PreTradeConfig(max_open_orders=5, max_orders_per_minute=2), cash=cash)
    w.market.set_quote(STALE, "3.00", "3.20", ts=OPEN - timedelta(minutes=10))
    sent: list[datetime] = []
    for s in steps:
        w.clock.advance_to(_later(w.clock.now(), s.advance))
        w.quote_fresh()
        w.account.state = s.state
        entry = s.purpose in ENTRY_PURPOSES
        legs = _legs(s.what, entry)
        probe = _net_quote(w, legs)
        mixed = len({leg.multiplier for leg in legs}) > 1
        limit = None
        if not (s.market_order or probe is None or mixed):
            assert probe is not None
            limit = (probe.ask if entry else probe.bid) + s.offset
        expected = _expected_refusals(w, legs, s, limit, sent)
        pid = w.held.position_id
        if s.purpose == "entry":
            pid = PositionId(f"p{len(w.orders.orders)}")
            w.book.add_position(Position(pid, w.book.account_id, "SPY", "entry", w.clock.now(), "t"))
        order = w.orders.place(
            legs, s.qty, position_id=pid, purpose=s.purpose, reason="property",
            order_type=OrderType.MARKET if limit is None else OrderType.LIMIT, limit_price=limit,
        )  # fmt: skip
        stored = w.orders.orders[order.client_order_id]
        if expected:
            assert not w.sent(order), (expected, s)
            assert stored.status is OrderStatus.REJECTED
            assert stored.status_reason.split(":", 1)[0] in expected, (stored.status_reason, expected)
        else:
            assert w.sent(order), (stored.status_reason, s)
            sent.append(w.clock.now())
