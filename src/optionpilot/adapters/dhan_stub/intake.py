"""An order request checked as Dhan checks it: segment, product, type, lots, freeze quantity, tick.

Only NSE_FNO options trade here (the simulator lists index options); a LIMIT price must sit on the
contract's tick (0.05) and quantities are units, a whole number of lots, at most the freeze quantity
per order (above it `/v2/orders/slicing` splits the order).
"""

from __future__ import annotations

from decimal import Decimal

from optionpilot.adapters.dhan_stub.instruments import OPTION_SEGMENT, Instruments, Listed
from optionpilot.adapters.dhan_stub.wire import OrderIn, bad_input, order_error

PRODUCTS = frozenset({"INTRADAY", "MARGIN"})
ORDER_TYPES = frozenset({"LIMIT", "MARKET"})
UNSUPPORTED_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_MARKET"})


def resolve(instruments: Instruments, segment: str, security_id: str) -> Listed:
    if segment != OPTION_SEGMENT:
        raise bad_input(f"exchangeSegment {segment!r} is not traded here; options trade on NSE_FNO")
    try:
        sid = int(security_id)
    except ValueError:
        raise bad_input(f"Invalid SecurityId {security_id!r}") from None
    listed = instruments.listed(sid)
    if listed is None:
        raise bad_input(f"Invalid SecurityId {security_id!r}: no such instrument in {segment}")
    return listed


def check_type(order_type: str, product: str | None = None) -> None:
    if order_type in UNSUPPORTED_TYPES:
        raise bad_input(f"orderType {order_type} is not supported by the stub; use LIMIT or MARKET")
    if order_type not in ORDER_TYPES:
        raise bad_input(f"invalid orderType {order_type!r}; use LIMIT or MARKET")
    if product is not None and product not in PRODUCTS:
        if product == "CNC":
            raise order_error("productType CNC is not allowed for derivatives; use INTRADAY or MARGIN")
        raise bad_input(f"invalid productType {product!r}; use INTRADAY or MARGIN")


def check_quantity(quantity: int, listed: Listed, freeze: int | None) -> None:
    lot = listed.lot_size
    if quantity % lot:
        raise order_error(f"Quantity {quantity} should be in multiples of lot size {lot}")
    if freeze is not None and quantity > freeze:
        raise order_error(
            f"Quantity {quantity} is above the freeze quantity {freeze} of "
            f"{listed.contract.underlying}; use order slicing"
        )


def check_price(order_type: str, price: Decimal, listed: Listed) -> None:
    if order_type == "MARKET":
        return
    if price <= 0:
        raise bad_input("price must be above 0 for a LIMIT order")
    if price % listed.tick:
        raise order_error(f"Price {price} is not a multiple of the tick size {listed.tick}")


def check_place(req: OrderIn, instruments: Instruments, freeze: dict[str, int], *, sliced: bool) -> Listed:
    listed = resolve(instruments, req.exchange_segment, req.security_id)
    check_type(req.order_type, req.product_type)
    if req.disclosed_quantity:
        raise bad_input("disclosedQuantity is not allowed for options")
    check_quantity(req.quantity, listed, None if sliced else freeze.get(listed.contract.underlying))
    check_price(req.order_type, req.price, listed)
    return listed


def slices(quantity: int, listed: Listed, freeze: int | None) -> list[int]:
    """The child quantities of a sliced order: whole lots, none above the freeze quantity."""
    if freeze is None or quantity <= freeze:
        return [quantity]
    lot = listed.lot_size
    most = freeze // lot * lot
    if most <= 0:
        raise order_error(f"freeze quantity {freeze} is below one lot of {lot}")
    out = [most] * (quantity // most)
    if quantity % most:
        out.append(quantity % most)
    return out
