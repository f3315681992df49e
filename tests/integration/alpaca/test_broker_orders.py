"""AlpacaBroker against the in-process stub: orders, fills, lookups, refusals, cancel and replace."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from tests.integration.alpaca.broker_fixtures import Harness, collect, harnesses

from optionpilot.core.errors import BrokerError
from optionpilot.domain.fills import Fill, OrderUpdate
from optionpilot.domain.orders import OrderStatus, Side


@pytest.fixture
def harness() -> Iterator[Harness]:
    with harnesses() as make:
        yield make()


def _status(events: list, cid: str) -> list[OrderStatus]:
    return [e.status for e in events if isinstance(e, OrderUpdate) and e.client_order_id == cid]


def test_single_leg_market_order_fills_once_and_matches_executions(harness: Harness) -> None:
    broker = harness.broker()
    symbol = harness.symbol()
    order = harness.order([(symbol, Side.BUY, 1)], 2)
    broker.submit(order)
    cid = order.client_order_id
    events = collect(broker, lambda ev: OrderStatus.FILLED in _status(ev, cid), "the fill")
    fills = [e for e in events if isinstance(e, Fill)]
    assert [(f.client_order_id, f.quantity, f.instrument.key, f.side) for f in fills] == [
        (cid, 2, symbol, Side.BUY)
    ]
    seen = broker.lookup(cid)
    assert seen is not None and seen.status is OrderStatus.FILLED and seen.filled_quantity == 2
    assert seen.broker_order_id == str(harness.stub_order(cid).id)
    # The REST road gives the same execution id as the stream road.
    assert [f.execution_id for f in broker.executions()] == [fills[0].execution_id]
    assert [(p.symbol, p.quantity) for p in broker.positions()] == [(symbol, 2)]
    account = broker.account()
    assert account.cash == harness.stub.state.broker.book.cash.quantize(account.cash)
    assert account.equity > 0


def test_mleg_with_ratios_goes_in_lowest_terms_and_fills_every_leg(harness: Harness) -> None:
    broker = harness.broker()
    low, high = harness.symbol("call", 1.0), harness.symbol("call", 1.05)
    # Two units of (2 long, 2 short): Alpaca gets 4 units of (1, 1); a debit limit well above the touch.
    order = harness.order([(low, Side.BUY, 2), (high, Side.SELL, 2)], 2, limit="80.00")
    broker.submit(order)
    cid = order.client_order_id
    at_stub = harness.stub_order(cid)
    assert at_stub.qty == 4 and [leg.ratio for leg in at_stub.legs] == [1, 1]
    assert at_stub.limit_price == 40  # our limit per unit of two, per Alpaca unit of one
    events = collect(broker, lambda ev: OrderStatus.FILLED in _status(ev, cid), "the spread filled")
    fills = [e for e in events if isinstance(e, Fill)]
    assert {(f.leg_index, f.side, f.instrument.key) for f in fills} == {
        (0, Side.BUY, low),
        (1, Side.SELL, high),
    }
    assert all(f.price > 0 for f in fills)  # each leg's own price, from the FILL activities
    assert sum(f.quantity for f in fills if f.leg_index == 0) == 4
    assert sum(f.quantity for f in fills if f.leg_index == 1) == 4
    assert {f.execution_id for f in fills} == {f.execution_id for f in broker.executions()}
    last = [e for e in events if isinstance(e, OrderUpdate) and e.client_order_id == cid][-1]
    assert last.filled_quantity == 2  # back in our units
    seen = broker.lookup(cid)
    assert seen is not None and seen.quantity == 2 and seen.filled_quantity == 2


def test_reused_client_id_is_adopted_not_refused(harness: Harness) -> None:
    broker = harness.broker()
    order = harness.order([(harness.symbol(), Side.BUY, 1)], 1, limit="0.01")
    broker.submit(order)
    broker.submit(order)  # Alpaca answers 422 "client_order_id must be unique": it is ours, adopted
    ours = [
        o
        for o in harness.stub.state.broker.book.orders.values()
        if o.client_order_id == order.client_order_id
    ]
    assert len(ours) == 1


def test_buying_power_refusal_is_a_broker_error(harness: Harness) -> None:
    broker = harness.broker()
    order = harness.order([(harness.symbol(), Side.BUY, 1)], 5000)
    with pytest.raises(BrokerError) as caught:
        broker.submit(order)
    assert caught.value.code == "buying_power" and "buying power" in str(caught.value)
    assert harness.stub_order(order.client_order_id) is None


def test_unsupported_order_is_refused_before_sending(harness: Harness) -> None:
    broker = harness.broker()
    legs = [(harness.symbol("call", m), Side.BUY, 1) for m in (0.95, 1.0, 1.05, 1.1, 1.15)]
    with pytest.raises(BrokerError, match="at most 4"):
        broker.submit(harness.order(legs, 1, limit="1.00"))
    assert harness.stub.state.requests.count(("POST", "/v2/orders")) == 0


def test_cancel_reports_canceled_and_a_second_cancel_is_not_working(harness: Harness) -> None:
    broker = harness.broker()
    order = harness.order([(harness.symbol(), Side.BUY, 1)], 1, limit="0.01")
    broker.submit(order)
    cid = order.client_order_id
    assert [o.client_order_id for o in broker.open_orders()] == [cid]
    broker.cancel(cid)
    events = collect(broker, lambda ev: OrderStatus.CANCELED in _status(ev, cid), "the cancel")
    # Alpaca's sequence: pending_cancel, then canceled.
    assert _status(events, cid)[-2:] == [OrderStatus.PENDING_CANCEL, OrderStatus.CANCELED]
    with pytest.raises(BrokerError) as caught:
        broker.cancel(cid)
    assert caught.value.code == "not_working"


def test_replace_ends_the_old_order_only_when_alpaca_says_so(harness: Harness) -> None:
    broker = harness.broker()
    symbol = harness.symbol()
    old = harness.order([(symbol, Side.BUY, 1)], 1, limit="0.01")
    broker.submit(old)
    collect(broker, lambda ev: OrderStatus.ACCEPTED in _status(ev, old.client_order_id), "accepted")
    new = harness.order([(symbol, Side.BUY, 1)], 1, limit="0.02")
    broker.replace(old.client_order_id, new)
    # The new order at Alpaca carries our client id (passed in the PATCH), not one Alpaca made up.
    at_stub = harness.stub_order(new.client_order_id)
    assert at_stub is not None and at_stub.limit_price == Decimal("0.02")
    events = collect(
        broker, lambda ev: OrderStatus.REPLACED in _status(ev, old.client_order_id), "the old order replaced"
    )
    assert OrderStatus.ACCEPTED in _status(events, new.client_order_id)
    # pending_replace keeps the old order working (we have no such state); replaced then ends it.
    assert _status(events, old.client_order_id)[-1] is OrderStatus.REPLACED
    seen = broker.lookup(new.client_order_id)
    assert seen is not None and seen.limit_price == new.limit_price
