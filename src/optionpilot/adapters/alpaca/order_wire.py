"""Our orders in Alpaca's terms and back: single-leg and `mleg` (2-4 option legs) requests, and lookups.

Alpaca wants leg ratios in lowest terms, so a domain order of `q` units with ratios (2, 4) goes as
`q * 2` units of (1, 2); the limit per Alpaca unit is then our limit / 2. `factor` is that divisor, kept
to turn Alpaca's filled quantities back into ours. Limit prices are rounded to Alpaca's increments (2
decimals at or above $1, 4 below) towards the trader: never pay more, never take less, than asked.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from alpaca.trading.enums import OrderClass, OrderSide, PositionIntent
from alpaca.trading.enums import TimeInForce as AlpacaTif
from alpaca.trading.models import Order as AlpacaOrder
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, OptionLegRequest, OrderRequest

from optionpilot.core.errors import BrokerError, DataError
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId
from optionpilot.domain.broker_status import map_broker_status
from optionpilot.domain.instruments import Instrument, OptionContract, Stock
from optionpilot.domain.orders import Order, OrderLeg, OrderType, PositionEffect, Side, TimeInForce
from optionpilot.domain.symbols import parse_occ

BROKER = "alpaca"
MAX_LEGS = 4
_CENT = Decimal("0.01")
_HUNDREDTH_CENT = Decimal("0.0001")
_STOCK_TIFS = {TimeInForce.DAY: AlpacaTif.DAY, TimeInForce.GTC: AlpacaTif.GTC, TimeInForce.IOC: AlpacaTif.IOC}


def _refuse(order: Order, message: str, code: str) -> BrokerError:
    return BrokerError(f"order {order.client_order_id}: {message}", broker=BROKER, code=code)


def ratio_factor(order: Order) -> int:
    """The greatest common divisor of the legs' ratios: how many Alpaca units make one of ours."""
    return math.gcd(*(leg.ratio for leg in order.legs))


def alpaca_price(net: Decimal) -> Decimal:
    """A signed net price (+ paid) on Alpaca's grid, rounded down: a debit never grows, a credit never
    shrinks. The grid is chosen on the rounded size, so 0.99999 goes to 0.9999 and -0.99999 to -1.00."""
    coarse = net.quantize(_CENT, rounding=ROUND_FLOOR)
    if abs(coarse) >= 1:
        return coarse
    fine = net.quantize(_HUNDREDTH_CENT, rounding=ROUND_FLOOR)
    return fine if abs(fine) < 1 else coarse


def position_intent(leg: OrderLeg) -> PositionIntent | None:
    if not isinstance(leg.instrument, OptionContract):
        return None
    opening = leg.effect is PositionEffect.OPEN
    if leg.side is Side.BUY:
        return PositionIntent.BUY_TO_OPEN if opening else PositionIntent.BUY_TO_CLOSE
    return PositionIntent.SELL_TO_OPEN if opening else PositionIntent.SELL_TO_CLOSE


def order_request(order: Order) -> OrderRequest:
    """The alpaca-py request for an order; a BrokerError (nothing sent) for what Alpaca cannot take."""
    options = any(isinstance(leg.instrument, OptionContract) for leg in order.legs)
    if len(order.legs) > MAX_LEGS:
        raise _refuse(order, f"{len(order.legs)} legs; Alpaca takes at most {MAX_LEGS}", "too_many_legs")
    if order.is_multi_leg and not all(isinstance(leg.instrument, OptionContract) for leg in order.legs):
        raise _refuse(order, "a multi-leg order on Alpaca takes option legs only", "mleg_stock_leg")
    if len({leg.instrument.key for leg in order.legs}) != len(order.legs):
        raise _refuse(order, "two legs on one contract", "duplicate_leg")
    if order.order_type not in (OrderType.MARKET, OrderType.LIMIT):
        raise _refuse(order, f"order type {order.order_type} is not market or limit", "order_type")
    if options and order.tif is not TimeInForce.DAY:
        raise _refuse(order, f"time in force {order.tif.value}: Alpaca takes only day on options", "tif")
    factor = ratio_factor(order)
    fields: dict[str, Any] = {
        "qty": order.quantity * factor,
        "time_in_force": AlpacaTif.DAY if options else _STOCK_TIFS[order.tif],
        "client_order_id": order.client_order_id,
    }
    limit = None if order.limit_price is None else alpaca_price(order.limit_price / factor)
    if order.is_multi_leg:
        fields["order_class"] = OrderClass.MLEG
        fields["legs"] = [
            OptionLegRequest(
                symbol=leg.instrument.key,
                ratio_qty=leg.ratio // factor,
                side=OrderSide(leg.side.value),
                position_intent=position_intent(leg),
            )
            for leg in order.legs
        ]
        # Alpaca's mleg limit is signed as ours: + a net debit, - a net credit.
        price = limit
    else:
        leg = order.legs[0]
        fields.update(symbol=leg.instrument.key, side=OrderSide(leg.side.value))
        if (intent := position_intent(leg)) is not None:
            fields["position_intent"] = intent
        # A single leg's limit is a positive price; the side says whether it is paid or received.
        price = None if limit is None else limit * leg.side.sign
        if price is not None and price <= 0:
            raise _refuse(
                order, f"limit {order.limit_price} has the wrong sign for a {leg.side.value}", "sign"
            )
    if order.order_type is OrderType.MARKET:
        return MarketOrderRequest(**fields)
    assert price is not None  # Order refuses a limit order without a price
    # alpaca-py types prices as float; a price on Alpaca's grid survives float and back exactly.
    return LimitOrderRequest(limit_price=float(price), **fields)


def replace_price(order: Order) -> float | None:
    """The limit of a replacing order as Alpaca's PATCH takes it (the same rules as a new order)."""
    if order.limit_price is None:
        return None
    price = alpaca_price(order.limit_price / ratio_factor(order))
    return float(price if order.is_multi_leg else price * order.legs[0].side.sign)


def instrument_of(symbol: str) -> Instrument:
    """An Alpaca symbol as an instrument: an OCC option symbol, else a stock."""
    try:
        return parse_occ(symbol)
    except DataError:
        return Stock(symbol)


def _int(value: str | float | None) -> int:
    return 0 if value in (None, "") else int(Decimal(str(value)))


def domain_order(seen: AlpacaOrder, account_id: AccountId, known: Order | None) -> Order:
    """Alpaca's order in our terms: our own record with Alpaca's status when we sent it, else built from
    the wire (an order another process sent, seen at reconciliation)."""
    mapped = map_broker_status(BROKER, str(getattr(seen.status, "value", seen.status)))
    boid = BrokerOrderId(str(seen.id))
    if known is not None:
        factor = ratio_factor(known)
        filled = min(_int(seen.filled_qty) // factor, known.quantity)
        if mapped.status.value == "filled":
            filled = known.quantity
        return dataclasses.replace(
            known,
            status=mapped.status,
            status_reason=f"alpaca: {getattr(seen.status, 'value', seen.status)}",
            filled_quantity=filled,
            broker_order_id=boid,
            updated_at=seen.updated_at,
        )
    if seen.legs and str(getattr(seen.order_class, "value", seen.order_class)) == "mleg":
        legs = tuple(_leg(x.symbol or "", x.side, x.ratio_qty, x.position_intent) for x in seen.legs)
    else:
        legs = (_leg(seen.symbol or "", seen.side, 1, seen.position_intent),)
    limit = None if seen.limit_price in (None, "") else Decimal(str(seen.limit_price))
    if limit is not None and len(legs) == 1:
        limit = limit * legs[0].side.sign
    kind = OrderType.LIMIT if limit is not None else OrderType.MARKET
    return Order(
        client_order_id=ClientOrderId(seen.client_order_id),
        account_id=account_id,
        legs=legs,
        quantity=max(_int(seen.qty), 1),
        order_type=kind,
        created_at=seen.created_at,
        limit_price=limit,
        status=mapped.status,
        status_reason=f"alpaca: {getattr(seen.status, 'value', seen.status)}",
        filled_quantity=_int(seen.filled_qty),
        broker_order_id=boid,
        updated_at=seen.updated_at,
    )


def _leg(symbol: str, side: object, ratio: object, intent: object) -> OrderLeg:
    side_text = str(getattr(side, "value", side) or "")
    intent_text = str(getattr(intent, "value", intent) or "")
    if side_text not in ("buy", "sell"):
        side_text = "buy" if intent_text.startswith("buy") else "sell"
    effect = PositionEffect.CLOSE if intent_text.endswith("close") else PositionEffect.OPEN
    return OrderLeg(instrument_of(symbol), Side(side_text), max(_int(str(ratio or 1)), 1), effect)
