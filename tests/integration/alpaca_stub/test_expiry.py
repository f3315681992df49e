"""Expiry on the stub: at the close, ITM options are exercised or assigned and OTM ones expire."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, TimeInForce
from alpaca.trading.models import NonTradeActivity
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

from optionpilot.adapters.alpaca_stub.server import RunningStub

Eventually = Callable[[Callable[[], Any], str], Any]


def test_expiring_options_leave_opexc_opasn_opexp(
    stub_factory: Callable[..., RunningStub],
    client_for: Callable[[RunningStub], TradingClient],
    pick: Callable[..., str],
    eventually: Eventually,
) -> None:
    # An hour before the first session's close at five simulated minutes a second: 12 s to trade in,
    # ample even on a loaded machine, before the close settles the day's expiries.
    stub = stub_factory(minutes_after_open=330.0, speed=300.0)
    client = client_for(stub)
    itm_call = pick(client, "SPY", "call", 0.97, 0)
    otm_call = pick(client, "SPY", "call", 1.03, 0)
    itm_put = pick(client, "SPY", "put", 1.03, 0)
    today = client.get_clock().timestamp.date()
    assert all(f"{today:%y%m%d}" in s for s in (itm_call, otm_call, itm_put))
    sent = [
        client.submit_order(MarketOrderRequest(symbol=s, qty=1, side=side, time_in_force=TimeInForce.DAY))
        for s, side in ((itm_call, OrderSide.BUY), (otm_call, OrderSide.BUY), (itm_put, OrderSide.SELL))
    ]
    for order in sent:
        eventually(lambda o=order: client.get_order_by_id(o.id).status is OrderStatus.FILLED, "the fills")
    resting = client.submit_order(
        LimitOrderRequest(
            symbol=itm_call, qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY, limit_price=500.0
        )
    )
    eventually(lambda: not client.get_clock().is_open, "the close")
    eventually(
        lambda: client.get_order_by_id(resting.id).status is OrderStatus.EXPIRED, "the day order expired"
    )
    eventually(
        lambda: len(client.get("/account/activities", {"activity_types": "OPEXC,OPASN,OPEXP"})) == 3,
        "settlement",
    )

    raw = client.get("/account/activities", {"activity_types": "OPEXC,OPASN,OPEXP", "direction": "asc"})
    settled = {a.symbol: a for a in (NonTradeActivity(**r) for r in raw)}
    assert {s: a.activity_type.value for s, a in settled.items()} == {
        itm_call: "OPEXC",
        otm_call: "OPEXP",
        itm_put: "OPASN",
    }
    # Exercising the call and being assigned on the put both deliver 100 shares of SPY.
    positions = {p.symbol: p.qty for p in client.get_all_positions()}
    assert positions == {"SPY": "200"}
    strike_call = int(itm_call[-8:]) / 1000
    strike_put = int(itm_put[-8:]) / 1000
    assert settled[itm_call].net_amount == -100 * strike_call
    assert settled[itm_put].net_amount == -100 * strike_put
