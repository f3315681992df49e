"""Multi-leg (`order_class: mleg`) orders through the official SDK: 2-4 legs, ratios, signed limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    OptionLegRequest,
    ReplaceOrderRequest,
)

Eventually = Callable[[Callable[[], Any], str], Any]


def _spread(client: TradingClient, pick: Callable[..., str]) -> tuple[str, str]:
    """A call debit spread: buy nearer the money, sell further out, same expiry."""
    return pick(client, "SPY", "call", 1.0, 7), pick(client, "SPY", "call", 1.02, 7)


def test_debit_spread_fills_as_one_order(
    client: TradingClient, pick: Callable[..., str], eventually: Eventually
) -> None:
    long_leg, short_leg = _spread(client, pick)
    assert long_leg != short_leg
    order = client.submit_order(
        MarketOrderRequest(
            qty=2,
            order_class=OrderClass.MLEG,
            time_in_force=TimeInForce.DAY,
            legs=[
                OptionLegRequest(symbol=long_leg, ratio_qty=1, side=OrderSide.BUY),
                OptionLegRequest(symbol=short_leg, ratio_qty=1, side=OrderSide.SELL),
            ],
        )
    )
    assert order.order_class is OrderClass.MLEG and order.symbol is None and order.side is None
    assert [(leg.symbol, leg.side, leg.ratio_qty) for leg in order.legs or []] == [
        (long_leg, OrderSide.BUY, "1"),
        (short_leg, OrderSide.SELL, "1"),
    ]
    filled = eventually(
        lambda: (o := client.get_order_by_id(order.id)).status is OrderStatus.FILLED and o, "the spread fill"
    )
    assert float(filled.filled_avg_price) > 0  # a debit
    assert all(leg.filled_qty == "2" for leg in filled.legs or [])
    held = {p.symbol: p.qty for p in client.get_all_positions()}
    assert held == {long_leg: "2", short_leg: "-2"}


def test_credit_limit_is_negative_and_waits_when_not_crossed(
    client: TradingClient, pick: Callable[..., str]
) -> None:
    long_leg, short_leg = _spread(client, pick)
    # Selling the spread for a credit far above its width never fills; the order stays working.
    order = client.submit_order(
        LimitOrderRequest(
            qty=1,
            order_class=OrderClass.MLEG,
            time_in_force=TimeInForce.DAY,
            limit_price=-90.0,
            legs=[
                OptionLegRequest(symbol=long_leg, ratio_qty=1, side=OrderSide.SELL),
                OptionLegRequest(symbol=short_leg, ratio_qty=1, side=OrderSide.BUY),
            ],
        )
    )
    assert order.limit_price == "-90"
    replaced = client.replace_order_by_id(order.id, ReplaceOrderRequest(limit_price=-80.0))
    assert replaced.limit_price == "-80" and replaced.order_class is OrderClass.MLEG
    assert client.get_order_by_id(replaced.id).status is OrderStatus.NEW
    client.cancel_order_by_id(replaced.id)
    assert client.get_all_positions() == []


def test_ratio_spread_with_three_legs(
    client: TradingClient, pick: Callable[..., str], eventually: Eventually
) -> None:
    a, b = _spread(client, pick)
    c = pick(client, "SPY", "call", 1.04, 7)
    order = client.submit_order(
        MarketOrderRequest(
            qty=1,
            order_class=OrderClass.MLEG,
            time_in_force=TimeInForce.DAY,
            legs=[
                OptionLegRequest(symbol=a, ratio_qty=1, side=OrderSide.BUY),
                OptionLegRequest(symbol=b, ratio_qty=2, side=OrderSide.SELL),
                OptionLegRequest(symbol=c, ratio_qty=1, side=OrderSide.BUY),
            ],
        )
    )
    eventually(lambda: client.get_order_by_id(order.id).status is OrderStatus.FILLED, "the butterfly fill")
    assert {p.symbol: p.qty for p in client.get_all_positions()} == {a: "1", b: "-2", c: "1"}


@pytest.mark.parametrize(
    ("ratios", "tif", "words"),
    [
        ((2, 4), TimeInForce.DAY, "lowest terms"),
        ((1, 1), TimeInForce.GTC, "time_in_force"),
    ],
)
def test_mleg_validation(
    client: TradingClient, pick: Callable[..., str], ratios: tuple[int, int], tif: TimeInForce, words: str
) -> None:
    long_leg, short_leg = _spread(client, pick)
    with pytest.raises(APIError) as err:
        client.submit_order(
            LimitOrderRequest(
                qty=1,
                order_class=OrderClass.MLEG,
                time_in_force=tif,
                limit_price=1.5,
                legs=[
                    OptionLegRequest(symbol=long_leg, ratio_qty=ratios[0], side=OrderSide.BUY),
                    OptionLegRequest(symbol=short_leg, ratio_qty=ratios[1], side=OrderSide.SELL),
                ],
            )
        )
    assert err.value.status_code == 422 and words in err.value.message


def test_five_legs_refused_by_the_stub_too(client: TradingClient, pick: Callable[..., str]) -> None:
    # The SDK refuses five legs itself, so the raw body goes through its REST client.
    symbols = [pick(client, "SPY", "call", 0.98 + i / 100, 7) for i in range(5)]
    body = {
        "qty": "1",
        "type": "market",
        "time_in_force": "day",
        "order_class": "mleg",
        "legs": [{"symbol": s, "ratio_qty": "1", "side": "buy"} for s in dict.fromkeys(symbols)],
    }
    with pytest.raises(APIError) as err:
        client.post("/orders", body)
    assert len(body["legs"]) == 5
    assert err.value.status_code == 422 and "2 to 4 legs" in err.value.message
