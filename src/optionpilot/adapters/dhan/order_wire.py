"""Our orders in Dhan's words and Dhan's order and trade documents in ours.

Dhan counts quantity in units (a whole number of lots); our orders count contracts (lots). Dhan names
an order's statuses TRANSIT, PENDING, PART_TRADED, TRADED, CANCELLED, REJECTED, EXPIRED (and MODIFIED,
TRIGGERED, CLOSED); a status we do not know is read from the quantities, never guessed finished.
A sliced order is several Dhan orders under one correlation id, so its status is theirs combined.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from optionpilot.adapters.dhan.security_master import BROKER, Listing
from optionpilot.core.errors import BrokerError
from optionpilot.domain.orders import Order, OrderStatus, OrderType, Side

log = logging.getLogger(__name__)
IST = ZoneInfo("Asia/Kolkata")
PRODUCT = "MARGIN"  # carried overnight: an options position is not squared off at 15:20 like INTRADAY
MAX_CORRELATION = 30
_ALLOWED_ID = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-")
_STATUS = {
    "TRANSIT": OrderStatus.SUBMITTED,
    "PENDING": OrderStatus.ACCEPTED,
    "MODIFIED": OrderStatus.ACCEPTED,
    "TRIGGERED": OrderStatus.ACCEPTED,
    "PART_TRADED": OrderStatus.PARTIALLY_FILLED,
    "TRADED": OrderStatus.FILLED,
    "CANCELLED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "CLOSED": OrderStatus.FILLED,
}
_OPEN = frozenset({OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})


def correlation_id(order: Order) -> str:
    cid = str(order.client_order_id)
    if len(cid) > MAX_CORRELATION or not set(cid) <= _ALLOWED_ID:
        raise BrokerError(f"order {cid}: Dhan's correlation id takes 30 letters, digits, space, _ or -",
                          broker=BROKER, code="client_id")  # fmt: skip
    return cid


def to_tick(price: Decimal, tick: Decimal, side: Side) -> Decimal:
    """Onto the tick, never past the limit: a buy rounds down, a sell up."""
    steps = (price / tick).to_integral_value(rounding=ROUND_FLOOR if side is Side.BUY else ROUND_CEILING)
    return (steps * tick).quantize(Decimal("0.01"))


def limit_price(order: Order, listing: Listing, reference: Decimal | None, collar: Decimal) -> Decimal:
    """The limit sent: the order's own, checked against the collar around `reference` (the quote's
    mid); a market order becomes a limit at the collar's edge, since Dhan's market orders on options
    fill at whatever the book offers."""
    side = order.legs[0].side
    edge = None
    if reference is not None and reference > 0:
        edge = reference * (1 + collar) if side is Side.BUY else reference * (1 - collar)
    if order.order_type is OrderType.MARKET:
        if edge is None:
            raise BrokerError(f"order {order.client_order_id}: a market order needs a quote to price its "
                              "limit", broker=BROKER, code="no_quote")  # fmt: skip
        return to_tick(edge, listing.tick, side)
    if order.order_type is not OrderType.LIMIT or order.limit_price is None:
        raise BrokerError(f"order {order.client_order_id}: Dhan takes LIMIT orders (with a price) here",
                          broker=BROKER, code="order_type")  # fmt: skip
    # A multi-leg order's net price may be negative; a legged order's price is one option's, never.
    price = abs(order.limit_price)
    if edge is not None and ((side is Side.BUY and price > edge) or (side is Side.SELL and price < edge)):
        raise BrokerError(
            f"order {order.client_order_id}: limit {price} is outside the {collar:%} collar around "
            f"{reference}",
            broker=BROKER,
            code="collar",
        )
    return to_tick(price, listing.tick, side)


def units(order: Order, listing: Listing) -> int:
    return order.quantity * order.legs[0].ratio * listing.lot_size


def ist_time(text: object) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Combined:
    status: OrderStatus
    filled_units: int
    units: int
    reason: str


def status_of(doc: Mapping[str, Any]) -> OrderStatus:
    raw = str(doc.get("orderStatus", "")).upper()
    known = _STATUS.get(raw)
    if known is not None:
        return known
    filled, qty = int(doc.get("filledQty") or 0), int(doc.get("quantity") or 0)
    log.warning("Dhan order %s: unknown status %r, read from its quantities", doc.get("orderId"), raw)
    if qty and filled >= qty:
        return OrderStatus.FILLED
    return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.ACCEPTED


def combine(docs: Sequence[Mapping[str, Any]]) -> Combined:
    """One status for the Dhan orders (slices) of one of ours."""
    statuses = [status_of(d) for d in docs]
    filled = sum(int(d.get("filledQty") or 0) for d in docs)
    total = sum(int(d.get("quantity") or 0) for d in docs)
    reason = next((str(d.get("omsErrorDescription") or "") for d in docs
                   if status_of(d) is OrderStatus.REJECTED), "")  # fmt: skip
    if any(s in _OPEN for s in statuses):
        if filled:
            status = OrderStatus.PARTIALLY_FILLED
        elif all(s is OrderStatus.SUBMITTED for s in statuses):
            status = OrderStatus.SUBMITTED
        else:
            status = OrderStatus.ACCEPTED
    elif total and filled >= total:
        status = OrderStatus.FILLED
    elif OrderStatus.REJECTED in statuses and not filled:
        status = OrderStatus.REJECTED
    elif OrderStatus.EXPIRED in statuses and OrderStatus.CANCELED not in statuses:
        status = OrderStatus.EXPIRED
    else:
        status = OrderStatus.CANCELED
    return Combined(status, filled, total, reason)
