"""An order request checked as Alpaca checks it, and turned into an order of the book.

Options: `time_in_force=day`, market or limit, whole contracts, no extended hours; `mleg` has 2-4
option legs with unique symbols and ratios in lowest terms, and a limit signed + debit / - credit.
Limit prices: at most 2 decimals at or above $1, 4 below. A reused client_order_id is a 422.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from optionpilot.adapters.alpaca_stub.state import Book, IdMaker, Leg, Order
from optionpilot.adapters.alpaca_stub.wire import AlpacaError, ErrorCode, LegIn, OrderIn
from optionpilot.core.errors import DataError
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.symbols import parse_occ

STOCK_TIFS = frozenset({"day", "gtc"})
TYPES = frozenset({"market", "limit"})
# Resolves a symbol to a contract (None for a known stock); raises AlpacaError for an unknown one.
Resolver = Callable[[str], OptionContract | None]


def invalid(message: str) -> AlpacaError:
    return AlpacaError(422, ErrorCode.INVALID, message)


def unprocessable(message: str) -> AlpacaError:
    return AlpacaError(422, ErrorCode.UNPROCESSABLE, message)


def check_price(name: str, price: Decimal | None) -> None:
    if price is None:
        return
    places = -price.normalize().as_tuple().exponent  # type: ignore[operator]
    allowed = 2 if abs(price) >= 1 else 4
    if places > allowed:
        raise unprocessable(
            f"invalid {name} {price}. sub-penny increment does not fulfill minimum pricing criteria"
        )


def whole(name: str, value: Decimal) -> int:
    if value != value.to_integral_value():
        raise invalid(f"{name} must be a whole number for options and multi-leg orders, got {value}")
    return int(value)


def option_or_stock(symbol: str, known_stocks: frozenset[str]) -> OptionContract | None:
    if symbol in known_stocks:
        return None
    try:
        return parse_occ(symbol)
    except DataError:
        raise AlpacaError(422, ErrorCode.INVALID, f"asset {symbol!r} not found") from None


def _side(leg: LegIn) -> str:
    if leg.side is not None:
        return leg.side
    assert leg.position_intent is not None
    return "buy" if leg.position_intent.startswith("buy") else "sell"


def build_order(
    req: OrderIn,
    *,
    book: Book,
    ids: IdMaker,
    resolve: Resolver,
    now: datetime,
    session_day: date,
) -> Order:
    client_id = req.client_order_id or str(ids.new())
    if book.order_by_client_id(client_id) is not None:
        raise invalid("client_order_id must be unique")
    if req.type not in TYPES:
        raise unprocessable(f"order type {req.type!r} is not supported here; use market or limit")
    if req.notional is not None or req.qty is None:
        raise invalid("qty is required (notional orders are not supported for options)")
    if req.type == "limit":
        if req.limit_price is None:
            raise invalid("limit_price is required for limit orders")
    elif req.limit_price is not None:
        raise invalid("limit_price must not be given for market orders")
    check_price("limit_price", req.limit_price)
    mleg = req.order_class == "mleg"
    if req.order_class not in (None, "", "simple", "mleg"):
        raise unprocessable(f"order_class {req.order_class!r} is not supported here")
    legs = _mleg_legs(req, ids, resolve) if mleg else [_simple_leg(req, ids, resolve)]
    options = any(leg.contract is not None for leg in legs)
    qty = whole("qty", req.qty) if options else _stock_qty(req.qty)
    if options:
        if req.time_in_force != "day":
            raise unprocessable("invalid time_in_force for options: only day is allowed")
        if req.extended_hours:
            raise unprocessable("extended hours are not allowed for options")
    elif req.time_in_force not in STOCK_TIFS:
        raise unprocessable(f"time_in_force {req.time_in_force!r} is not supported here; use day or gtc")
    if not mleg and req.limit_price is not None and req.limit_price <= 0:
        raise invalid("limit_price must be positive")
    return Order(
        id=ids.new(),
        client_order_id=client_id,
        order_class="mleg" if mleg else "simple",
        type=req.type,
        time_in_force=req.time_in_force,
        qty=qty,
        limit_price=req.limit_price,
        legs=legs,
        created_at=now,
        session_day=session_day,
        updated_at=now,
    )


def _stock_qty(qty: Decimal) -> int:
    if qty != qty.to_integral_value():
        raise unprocessable("fractional quantities are not supported by the stub")
    return int(qty)


def _simple_leg(req: OrderIn, ids: IdMaker, resolve: Resolver) -> Leg:
    if req.legs:
        raise invalid("legs are only allowed with order_class mleg")
    if not req.symbol:
        raise invalid("symbol is required")
    side = req.side
    if side is None and req.position_intent is not None:
        side = "buy" if req.position_intent.startswith("buy") else "sell"
    if side is None:
        raise invalid("side is required")
    return Leg(ids.new(), req.symbol, side, 1, req.position_intent, resolve(req.symbol))


def _mleg_legs(req: OrderIn, ids: IdMaker, resolve: Resolver) -> list[Leg]:
    legs_in = req.legs or []
    if not 2 <= len(legs_in) <= 4:
        raise invalid(f"a multi-leg order needs 2 to 4 legs, got {len(legs_in)}")
    if len({leg.symbol for leg in legs_in}) != len(legs_in):
        raise invalid("legs must have unique symbols")
    ratios = [whole("ratio_qty", leg.ratio_qty) for leg in legs_in]
    if math.gcd(*ratios) != 1:
        raise invalid(f"ratio_qty of the legs must be in lowest terms, got {ratios}")
    legs: list[Leg] = []
    for leg_in, ratio in zip(legs_in, ratios, strict=True):
        if leg_in.side is None and leg_in.position_intent is None:
            raise invalid(f"leg {leg_in.symbol}: side or position_intent is required")
        contract = resolve(leg_in.symbol)
        if contract is None:
            raise invalid(f"leg {leg_in.symbol}: multi-leg orders take option legs only")
        legs.append(Leg(ids.new(), leg_in.symbol, _side(leg_in), ratio, leg_in.position_intent, contract))
    return legs
