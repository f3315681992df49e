"""Dhan's order documents read defensively: statuses (unknown ones from the quantities), slices combined,
prices onto the tick and inside the collar; the security master from instruments-table rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from optionpilot.adapters.dhan import order_wire as ow
from optionpilot.adapters.dhan.security_master import Listing, SecurityMaster
from optionpilot.core.calendars import Market
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId
from optionpilot.domain.instruments import OptionContract, OptionRight, Settlement
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, Side

CALL = OptionContract("NIFTY", date(2026, 12, 31), Decimal(24000), OptionRight.CALL, Market.IN, 75)
LISTING = Listing(35001, CALL, 75, Decimal("0.05"))


def _order(side: Side, price: str | None, kind: OrderType = OrderType.LIMIT, cid: str = "t-1") -> Order:
    return Order(ClientOrderId(cid), AccountId("a"), (OrderLeg(CALL, side),), 2, kind,
                 datetime(2026, 12, 1, tzinfo=UTC), None if price is None else Decimal(price))  # fmt: skip


def _doc(status: str, qty: int, filled: int) -> dict[str, object]:
    return {"orderId": "1", "orderStatus": status, "quantity": qty, "filledQty": filled}


def test_slices_combine_and_unknown_statuses_are_read_from_quantities() -> None:
    assert ow.combine([_doc("TRADED", 1800, 1800), _doc("PENDING", 450, 0)]).status is (
        OrderStatus.PARTIALLY_FILLED
    )
    assert ow.combine([_doc("TRADED", 1800, 1800), _doc("TRADED", 450, 450)]).status is OrderStatus.FILLED
    part = ow.combine([_doc("TRADED", 1800, 1800), _doc("CANCELLED", 450, 0)])
    assert part.status is OrderStatus.CANCELED and part.filled_units == 1800
    assert ow.combine([_doc("REJECTED", 75, 0)]).status is OrderStatus.REJECTED
    assert ow.status_of(_doc("SOMETHING_NEW", 150, 75)) is OrderStatus.PARTIALLY_FILLED
    assert ow.status_of(_doc("SOMETHING_NEW", 150, 150)) is OrderStatus.FILLED
    assert ow.status_of(_doc("", 150, 0)) is OrderStatus.ACCEPTED  # never guessed finished


def test_prices_go_onto_the_tick_never_past_the_limit_and_inside_the_collar() -> None:
    collar = Decimal("0.05")
    assert ow.limit_price(_order(Side.BUY, "100.07"), LISTING, None, collar) == Decimal("100.05")
    assert ow.limit_price(_order(Side.SELL, "100.07"), LISTING, None, collar) == Decimal("100.10")
    assert ow.limit_price(_order(Side.BUY, "104"), LISTING, Decimal(100), collar) == Decimal("104.00")
    with pytest.raises(BrokerError, match="collar"):
        ow.limit_price(_order(Side.BUY, "106"), LISTING, Decimal(100), collar)
    with pytest.raises(BrokerError, match="collar"):
        ow.limit_price(_order(Side.SELL, "94"), LISTING, Decimal(100), collar)
    market = _order(Side.BUY, None, OrderType.MARKET)
    assert ow.limit_price(market, LISTING, Decimal(100), collar) == Decimal("105.00")
    with pytest.raises(BrokerError, match="needs a quote"):
        ow.limit_price(market, LISTING, None, collar)
    assert ow.units(_order(Side.BUY, "1"), LISTING) == 150


def test_correlation_ids_dhan_cannot_take_are_refused_before_sending() -> None:
    assert ow.correlation_id(_order(Side.BUY, "1", cid="op-abc_1")) == "op-abc_1"
    for bad in ("x" * 31, "a/b"):
        with pytest.raises(BrokerError, match="correlation id"):
            ow.correlation_id(_order(Side.BUY, "1", cid=bad))


def test_security_master_from_instrument_rows() -> None:
    row = {"exchange": "NSE", "instrument": "OPTIDX", "option_type": "CE", "underlying": "NIFTY",
           "expiry": date(2026, 12, 31), "strike": Decimal("24000.00"), "lot_size": 75,
           "tick_size": Decimal("0.05"), "security_id": 35001, "freeze_quantity": None}  # fmt: skip
    stock = {
        **row,
        "instrument": "OPTSTK",
        "underlying": "RELIANCE",
        "security_id": 35002,
        "freeze_quantity": 7000,
    }
    master = SecurityMaster.from_rows([row, stock, {**row, "option_type": None, "security_id": 13}],
                                      {"NIFTY": 1800})  # fmt: skip
    assert len(master) == 2
    listing = master.listing(CALL)
    assert listing.security_id == 35001 and master.freeze_quantity(listing) == 1800
    reliance = master.by_id("35002")
    assert reliance is not None and master.freeze_quantity(reliance) == 7000
    assert (
        reliance.contract.settlement is Settlement.PHYSICAL and listing.contract.settlement is Settlement.CASH
    )
    with pytest.raises(BrokerError, match="security master"):
        master.listing(
            OptionContract("NIFTY", date(2026, 12, 24), Decimal(24000), OptionRight.PUT, Market.IN)
        )
