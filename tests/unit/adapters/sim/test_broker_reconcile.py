"""Random orders against a moving market: cash, positions, fills and fees reconcile to the cent."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.broker_config import SimBrokerConfig
from optionpilot.adapters.sim.fees import fill_fee
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId, IdMaker
from optionpilot.core.money import ZERO, to_tick
from optionpilot.domain.fills import BrokerEvent, ExpirySettlement, Fill, OrderUpdate
from optionpilot.domain.instruments import OptionContract, OptionRight, Stock, Underlying
from optionpilot.domain.orders import (
    TERMINAL,
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

ACCOUNT = AccountId("r")
SPY = Underlying("SPY")
START = datetime(2024, 6, 3, 13, 31, tzinfo=UTC)
EXPIRIES = (date(2024, 6, 5), date(2024, 6, 7), date(2024, 6, 14))
STRIKES = (520, 525, 530, 535, 540)
CONTRACTS = [
    OptionContract.for_underlying(SPY, e, Decimal(k), r)
    for e in EXPIRIES
    for k in STRIKES
    for r in (OptionRight.CALL, OptionRight.PUT)
]
TICK = Decimal("0.01")
# What a random order may be refused for; anything else is a bug.
EXPECTED_REFUSALS = {"multi_leg", "replace_refused"}

action = st.tuples(
    st.integers(0, 5),  # kind: single open, close, spread, stock, cancel, replace
    st.integers(0, len(CONTRACTS) - 1),
    st.integers(1, 6),  # quantity
    st.one_of(st.none(), st.integers(-30, 30)),  # limit offset from the touch, in ticks
    st.sampled_from(list(TimeInForce)),
    st.booleans(),  # buy or sell
)
step = st.tuples(
    st.sampled_from([1, 1, 1, 2, 5, 30, 240, 1100]),  # minutes to advance
    st.floats(-0.02, 0.02),  # spot return
    st.integers(0, 9),  # quote quality: 0 one-sided, 1 crossed, 2 no update (goes stale), else good
    st.integers(0, 30),  # displayed size
    st.lists(action, max_size=6),
)


class Market:
    def __init__(self) -> None:
        self.clock = SimulatedClock(START)
        self.data = StaticMarket(self.clock, [SPY])
        self.spot = 530.0
        self.data.set_spot("SPY", self.spot)

    def quote_all(self, quality: int, size: int) -> None:
        now = self.clock.now()
        for c in CONTRACTS:
            if c.expiry < now.date():
                continue
            fair = self.fair(c, now)
            half = max(0.01, fair * 0.02)
            bid, ask = to_tick(max(fair - half, 0.01), TICK), to_tick(fair + half, TICK)
            if quality == 0:
                bid = ZERO
            elif quality == 1:
                bid, ask = ask + TICK, bid
            self.data.set_quote(c, bid, ask, bid_size=size, ask_size=size + 3)

    def fair(self, c: OptionContract, now: datetime) -> float:
        k = float(c.strike)
        intrinsic = max(self.spot - k, 0.0) if c.is_call else max(k - self.spot, 0.0)
        days = max(
            (datetime(c.expiry.year, c.expiry.month, c.expiry.day, 20, tzinfo=UTC) - now).days + 0.2, 0.05
        )
        return intrinsic + 0.012 * self.spot * math.sqrt(days / 30) * math.exp(-abs(self.spot - k) / 12)


def run(
    steps: list[tuple[int, float, int, int, list[tuple[int, int, int, int | None, TimeInForce, bool]]]],
    style: MultiLegStyle,
) -> None:
    m = Market()
    cfg = SimBrokerConfig(slippage_ticks=1, slippage_spread_fraction=Decimal("0.1"))
    broker = SimulatedBroker(
        ACCOUNT,
        market=m.data,
        clock=m.clock,
        starting_cash=Decimal("25000"),
        config=cfg,
        multi_leg=style,
        ids=IdMaker("h"),
    )
    events: list[BrokerEvent] = []
    n = 0
    m.quote_all(9, 10)
    for minutes, ret, quality, size, actions in steps:
        for kind, ci, qty, offset, tif, is_buy in actions:
            n += 1
            cid = ClientOrderId(f"o{n}")
            c = CONTRACTS[ci]
            q = m.data.quote(c)
            side = Side.BUY if is_buy else Side.SELL
            legs: tuple[OrderLeg, ...]
            if kind == 0:
                legs = (OrderLeg(c, side),)
            elif kind == 1:
                held = {p.symbol: p.quantity for p in broker.positions()}.get(c.key, 0)
                if held == 0:
                    continue
                legs = (OrderLeg(c, Side.SELL if held > 0 else Side.BUY, effect=PositionEffect.CLOSE),)
                qty = min(qty, abs(held))
            elif kind == 2:
                other = CONTRACTS[ci + 2] if ci + 2 < len(CONTRACTS) else CONTRACTS[ci - 2]
                legs = (OrderLeg(c, side), OrderLeg(other, side.opposite))
            elif kind == 3:
                legs = (OrderLeg(Stock("SPY"), side),)
                offset = None
            else:
                working = broker.open_orders()
                if not working:
                    continue
                target = working[ci % len(working)]
                try:
                    if kind == 4:
                        broker.cancel(target.client_order_id)
                    else:
                        limit = target.limit_price
                        new = Order(
                            cid,
                            ACCOUNT,
                            target.legs,
                            qty,
                            target.order_type,
                            m.clock.now(),
                            limit_price=limit,
                            tif=tif,
                        )
                        broker.replace(target.client_order_id, new)
                except BrokerError as exc:
                    assert exc.code in EXPECTED_REFUSALS, exc
                continue
            limit = None
            if offset is not None and q is not None:
                touch = ZERO
                for leg in legs:
                    lq = m.data.quote(leg.instrument)  # type: ignore[arg-type]
                    if lq is not None:
                        touch += leg.side.sign * (lq.ask if leg.side is Side.BUY else lq.bid)
                limit = touch + offset * TICK
                if len(legs) == 1 and (limit <= 0) == (legs[0].side is Side.BUY):
                    limit = None
            order = Order(
                cid,
                ACCOUNT,
                legs,
                qty,
                OrderType.LIMIT if limit is not None else OrderType.MARKET,
                m.clock.now(),
                limit_price=limit,
                tif=tif,
            )
            try:
                broker.submit(order)
            except BrokerError as exc:
                assert exc.code in EXPECTED_REFUSALS, exc
        m.clock.advance_to(m.clock.now() + timedelta(minutes=minutes))
        cal = m.data.calendar
        day = cal.local_date(m.clock.now())
        if not (cal.is_session(day) and cal.session(day).open < m.clock.now() < cal.session(day).close):
            events.extend(broker.poll_events())  # after hours: day orders expire, options settle
            m.clock.advance_to(cal.session(cal.next_session(day)).open + timedelta(minutes=1))
        m.spot = max(400.0, m.spot * (1 + ret))
        m.data.set_spot("SPY", round(m.spot, 2))
        if quality != 2:
            m.quote_all(quality, size)
        events.extend(broker.poll_events())
    m.clock.advance_to(datetime(2024, 6, 14, 21, 0, tzinfo=UTC))
    m.data.set_spot("SPY", round(m.spot, 2))
    events.extend(broker.poll_events())
    check(broker, events, cfg)


def check(broker: SimulatedBroker, events: list[BrokerEvent], cfg: SimBrokerConfig) -> None:
    fills = [e for e in events if isinstance(e, Fill)]
    settles = [e for e in events if isinstance(e, ExpirySettlement)]
    cash = (
        Decimal("25000")
        + sum((f.cash_flow for f in fills), start=ZERO)
        + sum((s.cash for s in settles), start=ZERO)
    )
    acct = broker.account()
    assert acct.cash == cash == broker.ledger.balance
    assert acct.cash == acct.cash.quantize(TICK)  # whole cents
    held: dict[str, int] = defaultdict(int)
    for f in fills:
        held[f.instrument.key] += f.side.sign * f.quantity
        assert f.fee == fill_fee(
            cfg.fees.us, f.instrument, f.side, f.quantity, f.price, first_fill_of_order=False
        )  # the US has no per-order fee
        assert f.price > 0 and f.price % TICK == 0
    for s in settles:
        held[s.contract.key] -= s.quantity
        held["SPY"] += s.shares
    assert {k: v for k, v in held.items() if v} == {p.symbol: p.quantity for p in broker.positions()}
    assert not any(isinstance(p, OptionContract) for p in broker.positions())  # all expired by the end
    # Every order's fills add up to what its updates say, and finished orders stay finished.
    units: dict[str, int] = defaultdict(int)
    for f in fills:
        if f.leg_index == 0:
            units[f.client_order_id] += f.quantity // (broker.order(f.client_order_id).legs[0].ratio)  # type: ignore[union-attr]
    last: dict[str, OrderUpdate] = {}
    for e in events:
        if isinstance(e, OrderUpdate):
            assert e.client_order_id not in last or last[e.client_order_id].status not in TERMINAL
            last[e.client_order_id] = e
    for cid, u in last.items():
        assert (u.filled_quantity or 0) == units.get(cid, 0)
        if u.status is OrderStatus.FILLED:
            assert broker.order(ClientOrderId(cid)).quantity == units[cid]  # type: ignore[union-attr]


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(step, min_size=1, max_size=40))
def test_random_orders_reconcile_atomic(steps: list) -> None:  # type: ignore[type-arg]
    run(steps, MultiLegStyle.ATOMIC)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(step, min_size=1, max_size=40))
def test_random_orders_reconcile_legged(steps: list) -> None:  # type: ignore[type-arg]
    run(steps, MultiLegStyle.LEGGED)
