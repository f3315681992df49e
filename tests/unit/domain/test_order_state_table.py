"""Every state x every event against an explicit expected table: a changed cell fails here."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from optionpilot.core.errors import IllegalTransition
from optionpilot.core.ids import AccountId, ClientOrderId
from optionpilot.domain.broker_status import ALPACA_STATUSES, DHAN_STATUSES, map_broker_status
from optionpilot.domain.instruments import Stock
from optionpilot.domain.orders import (
    EVENT_OF_STATUS,
    STATE_TABLE,
    TERMINAL,
    Order,
    OrderEvent,
    OrderLeg,
    OrderStatus,
    OrderType,
    Side,
    next_status,
)

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)

# Columns, in this order: submit accept reject cancel_request canceled expired partial_fill fill replaced.
# A cell is the state after the event; "." is illegal.
_COLUMNS = [
    OrderEvent.SUBMIT,
    OrderEvent.ACCEPT,
    OrderEvent.REJECT,
    OrderEvent.CANCEL_REQUEST,
    OrderEvent.CANCELED,
    OrderEvent.EXPIRED,
    OrderEvent.PARTIAL_FILL,
    OrderEvent.FILL,
    OrderEvent.REPLACED,
]
_ABBR = {
    "NEW": OrderStatus.NEW,
    "SUB": OrderStatus.SUBMITTED,
    "ACC": OrderStatus.ACCEPTED,
    "PF": OrderStatus.PARTIALLY_FILLED,
    "PC": OrderStatus.PENDING_CANCEL,
    "FIL": OrderStatus.FILLED,
    "CXL": OrderStatus.CANCELED,
    "REJ": OrderStatus.REJECTED,
    "EXP": OrderStatus.EXPIRED,
    "RPL": OrderStatus.REPLACED,
}
EXPECTED = """
      submit accept reject cxl_req canceled expired partial fill replaced
NEW   SUB    .      REJ    .       CXL      .       .       .    .
SUB   .      ACC    REJ    PC      CXL      EXP     PF      FIL  .
ACC   .      .      REJ    PC      CXL      EXP     PF      FIL  RPL
PF    .      .      .      PC      CXL      EXP     PF      FIL  RPL
PC    .      ACC    REJ    PC      CXL      EXP     PF      FIL  .
FIL   .      .      .      .       .        .       .       .    .
CXL   .      .      .      .       .        .       PF      FIL  .
REJ   .      .      .      .       .        .       .       .    .
EXP   .      .      .      .       .        .       PF      FIL  .
RPL   .      .      .      .       .        .       .       .    .
"""


def _expected() -> dict[tuple[OrderStatus, OrderEvent], OrderStatus | None]:
    cells: dict[tuple[OrderStatus, OrderEvent], OrderStatus | None] = {}
    for line in EXPECTED.strip().splitlines()[1:]:
        state, *row = line.split()
        assert len(row) == len(_COLUMNS), line
        for event, cell in zip(_COLUMNS, row, strict=True):
            cells[(_ABBR[state], event)] = None if cell == "." else _ABBR[cell]
    return cells


def test_every_state_and_event_against_the_expected_table() -> None:
    expected = _expected()
    product = [(s, e) for s in OrderStatus for e in OrderEvent]
    assert len(product) == len(OrderStatus) * len(OrderEvent) == 90
    assert set(expected) == set(product)  # the expected table covers the full product
    wrong = {
        cell: (next_status(*cell), expected[cell]) for cell in product if next_status(*cell) != expected[cell]
    }
    assert wrong == {}
    assert set(STATE_TABLE) <= set(product)


def _order_in(status: OrderStatus, filled: int) -> Order:
    return Order(
        ClientOrderId("c1"),
        AccountId("a"),
        (OrderLeg(Stock("SPY"), Side.BUY),),
        10,
        OrderType.LIMIT,
        T0,
        limit_price=Decimal("1"),
        status=status,
        filled_quantity=filled,
    )


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("target", list(OrderStatus))
def test_order_transition_follows_the_table(status: OrderStatus, target: OrderStatus) -> None:
    filled_before = 10 if status is OrderStatus.FILLED else 3 if status is OrderStatus.PARTIALLY_FILLED else 0
    order = _order_in(status, filled_before)
    event = EVENT_OF_STATUS.get(target)
    allowed = event is not None and _expected()[(status, event)] is target
    filled = (
        10
        if target is OrderStatus.FILLED
        else max(filled_before, 5 if target is OrderStatus.PARTIALLY_FILLED else 0)
    )
    if allowed:
        assert order.transition(target, T0, filled_quantity=filled).status is target
    else:
        with pytest.raises(IllegalTransition, match="is not allowed"):
            order.transition(target, T0, filled_quantity=filled)


def test_terminal_states_are_left_only_by_a_late_fill() -> None:
    for state in TERMINAL:
        leaving = {e for e in OrderEvent if next_status(state, e) is not None}
        if state in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
            assert leaving == {OrderEvent.PARTIAL_FILL, OrderEvent.FILL}
        else:
            assert leaving == set()


def test_a_fill_never_exceeds_the_order() -> None:
    with pytest.raises(IllegalTransition, match="outside"):
        _order_in(OrderStatus.ACCEPTED, 0).transition(OrderStatus.PARTIALLY_FILLED, T0, filled_quantity=11)


def test_every_alpaca_and_dhan_status_is_mapped_and_unknown_ones_stay_working(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alpaca = [
        "new",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "partially_filled",
        "filled",
        "done_for_day",
        "canceled",
        "expired",
        "replaced",
        "pending_cancel",
        "pending_replace",
        "stopped",
        "rejected",
        "suspended",
        "calculated",
        "held",
    ]
    dhan = [
        "TRANSIT",
        "PENDING",
        "REJECTED",
        "CANCELLED",
        "PART_TRADED",
        "TRADED",
        "EXPIRED",
        "CLOSED",
        "TRIGGERED",
    ]
    assert sorted(ALPACA_STATUSES) == sorted(alpaca)
    assert sorted(DHAN_STATUSES) == sorted(dhan)
    assert map_broker_status("alpaca", "partially_filled").status is OrderStatus.PARTIALLY_FILLED
    assert map_broker_status("dhan", "CANCELLED").status is OrderStatus.CANCELED
    assert map_broker_status("dhan", "TRADED").status is OrderStatus.FILLED
    unknown = map_broker_status("alpaca", "teleported")
    assert unknown.status is OrderStatus.ACCEPTED and unknown.look_up
    assert "teleported" in caplog.text
    # No ambiguous status may claim a fill or a death.
    for mapped in [*ALPACA_STATUSES.values(), *DHAN_STATUSES.values()]:
        if mapped.look_up:
            assert mapped.status not in TERMINAL
