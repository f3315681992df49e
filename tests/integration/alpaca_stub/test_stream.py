"""The trade_updates stream: the SDK's TradingStream authenticates, listens and parses every update."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, OptionLegRequest
from websockets.sync.client import connect

from optionpilot.adapters.alpaca_stub.server import RunningStub

Eventually = Callable[[Callable[[], Any], str], Any]


def test_updates_of_an_order_arrive_parsed(
    stub: RunningStub,
    client: TradingClient,
    pick: Callable[..., str],
    listen: Callable[[RunningStub], Any],
    eventually: Eventually,
) -> None:
    listener = listen(stub)
    symbol = pick(client, "SPY", "call", 1.0, 7)
    order = client.submit_order(
        MarketOrderRequest(symbol=symbol, qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
    )
    eventually(lambda: "fill" in listener.events(order.id), "the fill on the stream")
    assert listener.events(order.id) == ["new", "fill"]
    fill = listener.of(order.id)[-1]
    assert fill.execution_id is not None and fill.qty == 2 and fill.position_qty == 2
    assert fill.price == float(client.get_order_by_id(order.id).filled_avg_price)
    stored = client.get("/account/activities", {"activity_types": "FILL"})
    # As real Alpaca: a FILL activity names the order and its cumulative quantity, not the execution id.
    got = [(a["order_id"], a["cum_qty"], "execution_id" in a) for a in stored]
    assert got == [(str(order.id), "2", False)]


def test_mleg_fill_and_cancel_on_the_stream(
    stub: RunningStub,
    client: TradingClient,
    pick: Callable[..., str],
    listen: Callable[[RunningStub], Any],
    eventually: Eventually,
) -> None:
    listener = listen(stub)
    a, b = pick(client, "SPY", "put", 1.0, 7), pick(client, "SPY", "put", 0.98, 7)
    legs = [
        OptionLegRequest(symbol=a, ratio_qty=1, side=OrderSide.BUY),
        OptionLegRequest(symbol=b, ratio_qty=1, side=OrderSide.SELL),
    ]
    spread = client.submit_order(
        MarketOrderRequest(qty=1, order_class=OrderClass.MLEG, time_in_force=TimeInForce.DAY, legs=legs)
    )
    resting = client.submit_order(
        LimitOrderRequest(
            qty=1, order_class=OrderClass.MLEG, time_in_force=TimeInForce.DAY, limit_price=0.01, legs=legs
        )
    )
    client.cancel_order_by_id(resting.id)
    eventually(lambda: "fill" in listener.events(spread.id), "the spread's fill")
    eventually(lambda: "canceled" in listener.events(resting.id), "the cancel")
    fill = listener.of(spread.id)[-1]
    assert fill.order.order_class is OrderClass.MLEG and len(fill.order.legs) == 2
    assert listener.events(resting.id) == ["new", "pending_cancel", "canceled"]


def test_stream_wire_format_and_auth(stub: RunningStub) -> None:
    with connect(stub.stream_url) as ws:
        ws.send(json.dumps({"action": "authenticate", "data": {"key_id": "PKTESTKEY", "secret_key": "bad"}}))
        frame = ws.recv()
        assert isinstance(frame, bytes)  # Alpaca's paper stream sends binary frames
        assert json.loads(frame)["data"]["status"] == "unauthorized"
    with connect(stub.stream_url) as ws:
        ws.send(
            json.dumps(
                {
                    "action": "authenticate",
                    "data": {"key_id": "PKTESTKEY", "secret_key": "test-secret-not-real"},
                }
            )
        )
        assert json.loads(ws.recv()) == {
            "stream": "authorization",
            "data": {"action": "authenticate", "status": "authorized"},
        }
        ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        assert json.loads(ws.recv()) == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
