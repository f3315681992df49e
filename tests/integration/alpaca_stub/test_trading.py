"""Trading REST through the official SDK: every call parses; orders placed, replaced, cancelled, filled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.models import Order, Position, TradeAccount, TradeActivity
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopOrderRequest,
)

from optionpilot.adapters.alpaca_stub.server import RunningStub

Eventually = Callable[[Callable[[], Any], str], Any]


def _limit(
    symbol: str, price: float, qty: int = 1, side: OrderSide = OrderSide.BUY, **kw: Any
) -> LimitOrderRequest:
    return LimitOrderRequest(
        symbol=symbol, qty=qty, side=side, time_in_force=TimeInForce.DAY, limit_price=price, **kw
    )


def test_account_clock_calendar_parse(client: TradingClient) -> None:
    account = client.get_account()
    assert isinstance(account, TradeAccount)
    assert account.cash == "100000" and account.status.value == "ACTIVE"
    clock = client.get_clock()
    assert clock.is_open and clock.next_close > clock.timestamp
    days = client.get_calendar(GetCalendarRequest(start=clock.timestamp.date(), end=clock.timestamp.date()))
    assert [d.date for d in days] == [clock.timestamp.date()]
    assert days[0].open.hour == 9 and days[0].open.minute == 30
    spy = client.get_asset("SPY")
    assert spy.symbol == "SPY" and spy.tradable and spy.exchange.value == "ARCA"
    assert {a.symbol for a in client.get_all_assets()} >= {"SPY", "QQQ"}


def test_limit_order_placed_found_replaced_and_cancelled(
    client: TradingClient, pick: Callable[..., str]
) -> None:
    symbol = pick(client, "SPY", "call", 1.0, 7)
    placed = client.submit_order(_limit(symbol, 0.05, client_order_id="op-test-1"))
    assert isinstance(placed, Order) and placed.status is OrderStatus.NEW
    assert placed.symbol == symbol and placed.limit_price == "0.05" and placed.qty == "1"

    assert client.get_order_by_id(placed.id).client_order_id == "op-test-1"
    assert client.get_order_by_client_id("op-test-1").id == placed.id

    replaced = client.replace_order_by_id(placed.id, ReplaceOrderRequest(limit_price=0.06, qty=2))
    assert replaced.id != placed.id and replaced.replaces == placed.id
    assert replaced.limit_price == "0.06" and replaced.qty == "2"
    old = client.get_order_by_id(placed.id)
    assert old.status is OrderStatus.REPLACED and old.replaced_by == replaced.id

    open_orders = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN))
    assert [o.id for o in open_orders] == [replaced.id]

    client.cancel_order_by_id(replaced.id)
    assert client.get_order_by_id(replaced.id).status is OrderStatus.CANCELED
    closed = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert {o.id for o in closed} == {placed.id, replaced.id}
    with pytest.raises(APIError) as cancel_again:
        client.cancel_order_by_id(replaced.id)
    assert cancel_again.value.status_code == 422


def test_cancel_all_orders(client: TradingClient, pick: Callable[..., str]) -> None:
    symbol = pick(client, "SPY", "put", 1.0, 7)
    ids = {client.submit_order(_limit(symbol, round(0.05 + i / 100, 2))).id for i in range(3)}
    answers = client.cancel_orders()
    assert {a.id for a in answers} == ids and {a.status for a in answers} == {200}
    assert client.get_orders() == []


def test_market_order_fills_into_a_position_and_activities(
    client: TradingClient, pick: Callable[..., str], eventually: Eventually
) -> None:
    symbol = pick(client, "SPY", "call", 1.0, 7)
    order = client.submit_order(
        MarketOrderRequest(symbol=symbol, qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
    )
    filled = eventually(
        lambda: (o := client.get_order_by_id(order.id)).status is OrderStatus.FILLED and o, "the fill"
    )
    assert filled.filled_qty == "3" and float(filled.filled_avg_price) > 0

    positions = client.get_all_positions()
    assert [(p.symbol, p.qty, p.side.value) for p in positions] == [(symbol, "3", "long")]
    one = client.get_open_position(symbol)
    assert isinstance(one, Position) and one.avg_entry_price == filled.filled_avg_price

    raw = client.get("/account/activities", {"activity_types": "FILL"})
    fills = [TradeActivity(**a) for a in raw]
    assert [(f.symbol, f.qty, f.side.value) for f in fills] == [(symbol, 3.0, "buy")]
    assert str(fills[0].order_id) == str(order.id)

    account = client.get_account()
    cost = 3 * 100 * float(filled.filled_avg_price)
    assert float(account.cash) == pytest.approx(100_000 - cost)

    closing = client.close_position(symbol, ClosePositionRequest(qty="1"))
    assert closing.side is OrderSide.SELL and closing.qty == "1"
    eventually(lambda: client.get_open_position(symbol).qty == "2", "the partial close")
    half = client.close_position(symbol, ClosePositionRequest(percentage="50"))
    assert half.qty == "1"
    eventually(lambda: client.get_open_position(symbol).qty == "1", "the close of half")
    client.close_all_positions(cancel_orders=True)
    eventually(lambda: client.get_all_positions() == [], "every position closed")


def test_stock_order_fills(client: TradingClient, eventually: Eventually) -> None:
    order = client.submit_order(
        MarketOrderRequest(symbol="SPY", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.GTC)
    )
    eventually(lambda: client.get_order_by_id(order.id).status is OrderStatus.FILLED, "the stock fill")
    position = client.get_open_position("SPY")
    assert position.qty == "10" and position.asset_class.value == "us_equity"


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code", "words"),
    [
        ({"time_in_force": TimeInForce.GTC}, 422, 42210000, "time_in_force"),
        ({"limit_price": 0.12345}, 422, 42210000, "sub-penny"),
        ({"limit_price": 1.255}, 422, 42210000, "sub-penny"),
        ({"qty": 1000, "limit_price": 20.0}, 403, 40310000, "buying power"),
    ],
)
def test_alpaca_validation_errors(
    client: TradingClient,
    pick: Callable[..., str],
    request_kwargs: dict[str, Any],
    status: int,
    code: int,
    words: str,
) -> None:
    symbol = pick(client, "SPY", "call", 1.0, 7)
    base: dict[str, Any] = {
        "symbol": symbol,
        "qty": 1,
        "side": OrderSide.BUY,
        "time_in_force": TimeInForce.DAY,
        "limit_price": 0.05,
    }
    with pytest.raises(APIError) as err:
        client.submit_order(LimitOrderRequest(**{**base, **request_kwargs}))
    assert err.value.status_code == status and err.value.code == code
    assert words in err.value.message
    assert client.get_orders() == []


def test_stop_orders_are_refused_for_options(client: TradingClient, pick: Callable[..., str]) -> None:
    symbol = pick(client, "SPY", "call", 1.0, 7)
    with pytest.raises(APIError) as err:
        client.submit_order(
            StopOrderRequest(
                symbol=symbol, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, stop_price=9
            )
        )
    assert err.value.status_code == 422


def test_reused_client_order_id_and_unknown_order(client: TradingClient, pick: Callable[..., str]) -> None:
    symbol = pick(client, "SPY", "call", 1.0, 7)
    client.submit_order(_limit(symbol, 0.05, client_order_id="same-id"))
    with pytest.raises(APIError) as reused:
        client.submit_order(_limit(symbol, 0.06, client_order_id="same-id"))
    assert reused.value.status_code == 422 and reused.value.code == 40010001
    assert "client_order_id" in reused.value.message
    with pytest.raises(APIError) as missing:
        client.get_order_by_id("00000000-0000-4000-8000-000000000000")
    assert missing.value.status_code == 404 and missing.value.code == 40410000
    with pytest.raises(APIError) as missing_client_id:
        client.get_order_by_client_id("never-sent")
    assert missing_client_id.value.status_code == 404


def test_selling_stock_not_held_is_refused(client: TradingClient) -> None:
    with pytest.raises(APIError) as err:
        client.submit_order(
            MarketOrderRequest(symbol="SPY", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
        )
    assert err.value.status_code == 403


def test_wrong_keys_are_refused(stub: RunningStub) -> None:
    intruder = TradingClient("PKTESTKEY", "wrong", paper=True, url_override=stub.url)
    with pytest.raises(APIError) as err:
        intruder.get_account()
    assert err.value.status_code == 401 and err.value.code == 40110000


def test_replace_beyond_buying_power_is_refused_and_the_order_stays(
    client: TradingClient, pick: Callable[..., str]
) -> None:
    symbol = pick(client, "SPY", "call", 1.0, 7)
    placed = client.submit_order(_limit(symbol, 0.05, qty=50))
    with pytest.raises(APIError) as err:
        client.replace_order_by_id(placed.id, ReplaceOrderRequest(limit_price=50.0))
    assert err.value.status_code == 403
    assert client.get_order_by_id(placed.id).status is OrderStatus.NEW
    assert [o.id for o in client.get_orders()] == [placed.id]
