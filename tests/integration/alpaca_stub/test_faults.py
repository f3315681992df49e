"""Each fault of the stub behaves as specified, seen through the official SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, OptionLegRequest

from optionpilot.adapters.alpaca_stub.config import FaultName, FaultSpec
from optionpilot.adapters.alpaca_stub.server import RunningStub

Eventually = Callable[[Callable[[], Any], str], Any]
SDK_ATTEMPTS = 4  # the SDK's first try and its three retries of a 429 or 504


def _event(update: Any) -> str:
    # The SDK's TradeUpdate.event is TradeEvent | str; pydantic keeps the plain string.
    return str(getattr(update.event, "value", update.event))


def _faulty(stub_factory: Callable[..., RunningStub], name: FaultName, **kw: Any) -> RunningStub:
    return stub_factory(faults=(FaultSpec(name=name, rate=1.0),), **kw)


def _market(symbol: str, qty: int = 1, client_order_id: str | None = None) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol=symbol,
        qty=qty,
        side=OrderSide.BUY,
        time_in_force=TimeInForce.DAY,
        client_order_id=client_order_id,
    )


@pytest.mark.parametrize(("fault", "status"), [(FaultName.HTTP_504, 504), (FaultName.HTTP_429, 429)])
def test_http_errors_are_retried_by_the_sdk_and_not_applied(
    stub_factory: Callable[..., RunningStub],
    client_for: Callable[[RunningStub], TradingClient],
    pick: Callable[..., str],
    fault: FaultName,
    status: int,
) -> None:
    stub = _faulty(stub_factory, fault)
    client = client_for(stub)
    symbol = pick(client, "SPY", "call", 1.0, 7)
    with pytest.raises(APIError) as err:
        client.submit_order(_market(symbol, client_order_id="op-http-fault"))
    assert err.value.status_code == status
    assert stub.state.broker.faults.fired[fault] == SDK_ATTEMPTS
    assert stub.state.broker.book.orders == {}
    stub.state.broker.faults.set_rate(fault, 0.0)
    assert client.submit_order(_market(symbol, client_order_id="op-http-fault")).status is OrderStatus.NEW


def test_timeout_after_accept_with_a_client_id_is_one_order_and_a_422(
    stub_factory: Callable[..., RunningStub],
    client_for: Callable[[RunningStub], TradingClient],
    pick: Callable[..., str],
) -> None:
    stub = _faulty(stub_factory, FaultName.TIMEOUT_AFTER_ACCEPT, accept_timeout_hold_seconds=0.2)
    client = client_for(stub)
    symbol = pick(client, "SPY", "call", 1.0, 7)
    with pytest.raises(APIError) as err:
        client.submit_order(_market(symbol, client_order_id="op-accepted-1"))
    # The SDK resent the POST after the 504; the same client id made the resend a 422, not a second order.
    assert err.value.status_code == 422 and "client_order_id" in err.value.message
    assert len(stub.state.broker.book.orders) == 1
    assert client.get_order_by_client_id("op-accepted-1").symbol == symbol


def test_timeout_after_accept_without_a_client_id_duplicates(
    stub_factory: Callable[..., RunningStub],
    client_for: Callable[[RunningStub], TradingClient],
    pick: Callable[..., str],
) -> None:
    stub = _faulty(stub_factory, FaultName.TIMEOUT_AFTER_ACCEPT, accept_timeout_hold_seconds=0.05)
    client = client_for(stub)
    symbol = pick(client, "SPY", "call", 1.0, 7)
    with pytest.raises(APIError) as err:
        client.submit_order(_market(symbol))
    # The trap the adapter must avoid: every retry of the SDK was a new order.
    assert err.value.status_code == 504
    assert len(stub.state.broker.book.orders) == SDK_ATTEMPTS


def test_duplicate_updates_repeat_the_execution_id(
    stub_factory: Callable[..., RunningStub],
    client_for: Callable[[RunningStub], TradingClient],
    pick: Callable[..., str],
    listen: Callable[[RunningStub], Any],
    eventually: Eventually,
) -> None:
    stub = _faulty(stub_factory, FaultName.DUPLICATE_UPDATES)
    client = client_for(stub)
    listener = listen(stub)
    order = client.submit_order(_market(pick(client, "SPY", "call", 1.0, 7)))
    eventually(lambda: listener.events(order.id).count("fill") == 2, "both copies of the fill")
    assert listener.events(order.id) == ["new", "new", "fill", "fill"]
    fills = [u for u in listener.of(order.id) if _event(u) == "fill"]
    assert fills[0].execution_id == fills[1].execution_id
    assert len(stub.state.broker.book.executions) == 1


def test_drop_stream_loses_an_update_and_the_sdk_reconnects(
    stub: RunningStub,
    client: TradingClient,
    pick: Callable[..., str],
    listen: Callable[[RunningStub], Any],
    eventually: Eventually,
) -> None:
    listener = listen(stub)
    symbol = pick(client, "SPY", "call", 1.0, 7)
    stub.state.broker.faults.set_rate(FaultName.DROP_STREAM, 1.0)
    lost = client.submit_order(
        LimitOrderRequest(
            symbol=symbol, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, limit_price=0.05
        )
    )
    eventually(lambda: stub.state.hub.dropped == 1, "the stream dropped")
    stub.state.broker.faults.set_rate(FaultName.DROP_STREAM, 0.0)
    eventually(lambda: stub.state.hub.listeners == 1, "the SDK reconnected")
    later = client.submit_order(_market(symbol))
    eventually(lambda: "fill" in listener.events(later.id), "updates after the reconnect")
    assert listener.events(lost.id) == []  # lost on the stream: only a REST poll finds it
    assert client.get_order_by_id(lost.id).status is OrderStatus.NEW


def test_reject_leg_rejects_the_whole_mleg_order(
    stub_factory: Callable[..., RunningStub],
    client_for: Callable[[RunningStub], TradingClient],
    pick: Callable[..., str],
    listen: Callable[[RunningStub], Any],
    eventually: Eventually,
) -> None:
    stub = _faulty(stub_factory, FaultName.REJECT_LEG)
    client = client_for(stub)
    listener = listen(stub)
    legs = [
        OptionLegRequest(symbol=pick(client, "SPY", "call", 1.0, 7), ratio_qty=1, side=OrderSide.BUY),
        OptionLegRequest(symbol=pick(client, "SPY", "call", 1.02, 7), ratio_qty=1, side=OrderSide.SELL),
    ]
    order = client.submit_order(
        MarketOrderRequest(qty=1, order_class=OrderClass.MLEG, time_in_force=TimeInForce.DAY, legs=legs)
    )
    assert order.status is OrderStatus.NEW
    eventually(lambda: "rejected" in listener.events(order.id), "the rejection")
    rejected = client.get_order_by_id(order.id)
    assert rejected.status is OrderStatus.REJECTED and rejected.failed_at is not None
    assert rejected.filled_qty == "0" and client.get_all_positions() == []


def test_partial_fills_come_in_pieces_each_with_its_execution_id(
    stub_factory: Callable[..., RunningStub],
    client_for: Callable[[RunningStub], TradingClient],
    pick: Callable[..., str],
    listen: Callable[[RunningStub], Any],
    eventually: Eventually,
) -> None:
    stub = _faulty(stub_factory, FaultName.PARTIAL_FILLS)
    client = client_for(stub)
    listener = listen(stub)
    order = client.submit_order(_market(pick(client, "SPY", "call", 1.0, 7), qty=8))
    eventually(lambda: "fill" in listener.events(order.id), "the last fill")
    pieces = [u for u in listener.of(order.id) if u.execution_id is not None]
    assert [_event(u) for u in pieces[:-1]] == ["partial_fill"] * (len(pieces) - 1)
    assert len(pieces) >= 2 and sum(u.qty for u in pieces) == 8
    assert len({u.execution_id for u in pieces}) == len(pieces)
    activities = client.get("/account/activities", {"activity_types": "FILL", "direction": "asc"})
    assert [a["type"] for a in activities] == [_event(u) for u in pieces]


def test_rate_limit_answers_429(
    stub_factory: Callable[..., RunningStub], client_for: Callable[[RunningStub], TradingClient]
) -> None:
    stub = stub_factory(rate_limit_per_minute=5)
    client = client_for(stub)
    for _ in range(5):
        client.get_clock()
    with pytest.raises(APIError) as err:
        client.get_clock()
    assert err.value.status_code == 429 and err.value.code == 42910000
    assert stub.state.limiter.refused == SDK_ATTEMPTS
