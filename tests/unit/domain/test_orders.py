from datetime import UTC, datetime
from decimal import Decimal

import pytest

from optionpilot.core.errors import IllegalTransition
from optionpilot.core.ids import AccountId, ClientOrderId
from optionpilot.domain.instruments import Stock
from optionpilot.domain.orders import STATE_TABLE, Order, OrderLeg, OrderStatus, OrderType, Side

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def make(qty: int = 10) -> Order:
    return Order(
        ClientOrderId("c1"),
        AccountId("a"),
        (OrderLeg(Stock("SPY"), Side.BUY),),
        qty,
        OrderType.LIMIT,
        T0,
        limit_price=Decimal("1.00"),
    )


def test_happy_path_with_partial_fills() -> None:
    o = make().transition(OrderStatus.SUBMITTED, T0).transition(OrderStatus.ACCEPTED, T0)
    o = o.transition(OrderStatus.PARTIALLY_FILLED, T0, filled_quantity=4)
    o = o.transition(OrderStatus.PARTIALLY_FILLED, T0, filled_quantity=7)
    o = o.transition(OrderStatus.FILLED, T0, filled_quantity=10)
    assert o.is_terminal and o.remaining == 0


def test_every_move_out_of_a_terminal_state_is_refused() -> None:
    filled = (
        make().transition(OrderStatus.SUBMITTED, T0).transition(OrderStatus.FILLED, T0, filled_quantity=10)
    )
    for status in OrderStatus:
        with pytest.raises(IllegalTransition, match="is not allowed"):
            filled.transition(status, T0)
    assert not [k for k in STATE_TABLE if k[0] is OrderStatus.FILLED]


def test_illegal_moves_are_refused() -> None:
    with pytest.raises(IllegalTransition, match="new -> filled"):
        make().transition(OrderStatus.FILLED, T0, filled_quantity=10)
    sent = make().transition(OrderStatus.SUBMITTED, T0)
    with pytest.raises(IllegalTransition, match="FILLED with 3/10"):
        sent.transition(OrderStatus.FILLED, T0, filled_quantity=3)
    part = sent.transition(OrderStatus.PARTIALLY_FILLED, T0, filled_quantity=5)
    with pytest.raises(IllegalTransition, match="outside"):
        part.transition(OrderStatus.PARTIALLY_FILLED, T0, filled_quantity=4)


def test_orders_validate_their_shape() -> None:
    with pytest.raises(ValueError, match="limit price"):
        Order(ClientOrderId("c"), AccountId("a"), (OrderLeg(Stock("X"), Side.BUY),), 1, OrderType.LIMIT, T0)
    with pytest.raises(ValueError, match="quantity"):
        make(0)
    with pytest.raises(ValueError, match="no legs"):
        Order(ClientOrderId("c"), AccountId("a"), (), 1, OrderType.MARKET, T0)
