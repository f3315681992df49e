"""order_wire: Alpaca's price grid (rounded towards the trader), ratios in lowest terms, limit signs,
refusals before sending, and Alpaca's order back into ours."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from alpaca.trading.models import Order as AlpacaOrder
from hypothesis import given
from hypothesis import strategies as st

from optionpilot.adapters.alpaca.order_wire import alpaca_price, domain_order, order_request, ratio_factor
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId
from optionpilot.domain.instruments import OptionContract, OptionRight, Stock
from optionpilot.domain.orders import (
    Order,
    OrderLeg,
    OrderStatus,
    OrderType,
    PositionEffect,
    Side,
    TimeInForce,
)

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
A = AccountId("a")


def _call(strike: int) -> OptionContract:
    return OptionContract("SPY", date(2026, 1, 16), Decimal(strike), OptionRight.CALL)


def _order(legs: list[OrderLeg], qty: int = 1, limit: str | None = None, **kw: object) -> Order:
    return Order(
        ClientOrderId("cid-1"), A, tuple(legs), qty, OrderType.LIMIT if limit else OrderType.MARKET, T0,
        limit_price=None if limit is None else Decimal(limit), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


prices = st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=6, allow_nan=False)


@given(prices)
def test_price_is_on_alpacas_grid_and_never_worse_than_asked(net: Decimal) -> None:
    p = alpaca_price(net)
    places = -p.as_tuple().exponent  # type: ignore[operator]
    assert places == (2 if abs(p) >= 1 else 4)
    # Rounded down on the signed net: a debit paid never grows, a credit received never shrinks.
    assert p <= net
    assert net - p < (Decimal("0.01") if abs(p) >= 1 else Decimal("0.0001"))


@pytest.mark.parametrize(
    ("net", "sent"),
    [("1.234", "1.23"), ("-1.234", "-1.24"), ("0.12345", "0.1234"), ("-0.12345", "-0.1235"),
     ("0.99999", "0.9999"), ("-0.99999", "-1.00"), ("2", "2.00"), ("0.05", "0.0500")],
)  # fmt: skip
def test_price_examples(net: str, sent: str) -> None:
    assert str(alpaca_price(Decimal(net))) == sent


@given(st.lists(st.integers(1, 12), min_size=2, max_size=4), st.integers(1, 20))
def test_ratios_go_in_lowest_terms_with_the_quantity_scaled(ratios: list[int], qty: int) -> None:
    legs = [OrderLeg(_call(600 + 5 * i), Side.BUY if i % 2 else Side.SELL, r) for i, r in enumerate(ratios)]
    request = order_request(_order(legs, qty, limit="1.00"))
    sent = [int(leg.ratio_qty) for leg in request.legs or []]
    g = math.gcd(*ratios)
    assert math.gcd(*sent) == 1 and sent == [r // g for r in ratios]
    assert request.qty == qty * g and ratio_factor(_order(legs, qty)) == g


def test_mleg_limit_keeps_its_sign_and_is_divided_by_the_common_ratio() -> None:
    legs = [OrderLeg(_call(600), Side.BUY, 2), OrderLeg(_call(610), Side.SELL, 2)]
    debit = order_request(_order(legs, 1, limit="5.01"))
    assert debit.order_class == "mleg" and debit.limit_price == 2.50 and debit.qty == 2  # 2.505 down
    credit = order_request(_order(legs, 1, limit="-3.00"))
    assert credit.limit_price == -1.5
    assert [leg.position_intent for leg in debit.legs or []] == ["buy_to_open", "sell_to_open"]


def test_single_leg_limit_is_positive_with_the_side_saying_paid_or_received() -> None:
    sell = order_request(
        _order([OrderLeg(_call(600), Side.SELL, 1, PositionEffect.CLOSE)], 3, limit="-1.255")
    )
    assert sell.side == "sell" and sell.limit_price == 1.26 and sell.position_intent == "sell_to_close"
    assert sell.time_in_force == "day" and sell.client_order_id == "cid-1" and sell.symbol == _call(600).key
    with pytest.raises(BrokerError, match="wrong sign"):
        order_request(_order([OrderLeg(_call(600), Side.BUY, 1)], 1, limit="-1.00"))


@pytest.mark.parametrize(
    ("legs", "kw", "code"),
    [
        ([OrderLeg(_call(600 + 5 * i), Side.BUY) for i in range(5)], {}, "too_many_legs"),
        ([OrderLeg(_call(600), Side.BUY), OrderLeg(Stock("SPY"), Side.SELL)], {}, "mleg_stock_leg"),
        ([OrderLeg(_call(600), Side.BUY), OrderLeg(_call(600), Side.SELL)], {}, "duplicate_leg"),
        ([OrderLeg(_call(600), Side.BUY)], {"tif": TimeInForce.IOC}, "tif"),
    ],
)
def test_what_alpaca_cannot_take_is_refused_before_sending(legs: list[OrderLeg], kw: dict, code: str) -> None:
    with pytest.raises(BrokerError) as caught:
        order_request(_order(legs, 1, limit="1.00", **kw))
    assert caught.value.code == code and "cid-1" in str(caught.value)


def _alpaca(**fields: object) -> AlpacaOrder:
    base = {
        "id": str(uuid4()), "client_order_id": "cid-1", "created_at": T0, "updated_at": T0,
        "submitted_at": T0, "order_class": "simple", "time_in_force": "day", "status": "partially_filled",
        "extended_hours": False,
        "qty": "4", "filled_qty": "2", "type": "limit", "limit_price": "1.25", "side": "sell",
        "symbol": _call(600).key, "position_intent": "sell_to_open",
    }  # fmt: skip
    return AlpacaOrder(**{**base, **fields})


def test_an_order_we_sent_comes_back_in_our_units() -> None:
    legs = [OrderLeg(_call(600), Side.BUY, 2), OrderLeg(_call(610), Side.SELL, 2)]
    mine = _order(legs, 2, limit="5.00")
    seen = domain_order(_alpaca(order_class="mleg", qty="4", filled_qty="3", legs=None), A, mine)
    assert (
        seen.legs == mine.legs and seen.filled_quantity == 1 and seen.status is OrderStatus.PARTIALLY_FILLED
    )
    done = domain_order(_alpaca(status="filled", filled_qty="4"), A, mine)
    assert done.status is OrderStatus.FILLED and done.filled_quantity == 2


def test_an_order_we_never_saw_is_built_from_the_wire() -> None:
    seen = domain_order(_alpaca(), A, None)
    assert seen.legs == (OrderLeg(_call(600), Side.SELL, 1, PositionEffect.OPEN),)
    assert seen.limit_price == Decimal("-1.25") and seen.quantity == 4 and seen.filled_quantity == 2
    unknown = domain_order(_alpaca(status="done_for_day"), A, None)
    assert unknown.status is OrderStatus.ACCEPTED  # a status that does not say: still working, looked up
