"""The book rendered as Alpaca's JSON documents: orders (simple and mleg), positions and the account."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from optionpilot.adapters.alpaca_stub.state import Book, Leg, Order, Position, asset_id
from optionpilot.adapters.alpaca_stub.wire import num, rfc3339
from optionpilot.core.money import ZERO, cents
from optionpilot.domain.instruments import Underlying

_PRICE = Decimal("0.0001")


def _avg(value: Decimal, qty: int) -> str | None:
    if qty == 0:
        return None
    return num((value / qty).quantize(_PRICE))


def _common(o: Order) -> dict[str, Any]:
    return {
        "client_order_id": o.client_order_id,
        "created_at": rfc3339(o.created_at),
        "updated_at": rfc3339(o.updated_at or o.created_at),
        "submitted_at": rfc3339(o.created_at),
        "filled_at": rfc3339(o.filled_at),
        "expired_at": rfc3339(o.expired_at),
        "expires_at": None,
        "canceled_at": rfc3339(o.canceled_at),
        "failed_at": rfc3339(o.failed_at),
        "replaced_at": rfc3339(o.replaced_at),
        "replaced_by": None if o.replaced_by is None else str(o.replaced_by),
        "replaces": None if o.replaces is None else str(o.replaces),
        "notional": None,
        "time_in_force": o.time_in_force,
        "status": o.status,
        "extended_hours": False,
        "stop_price": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "order_class": o.order_class,
    }


def _leg_doc(o: Order, leg: Leg) -> dict[str, Any]:
    doc = _common(o)
    doc.update(
        {
            "id": str(leg.id),
            "client_order_id": str(leg.id),
            "asset_id": str(asset_id(leg.symbol)),
            "symbol": leg.symbol,
            "asset_class": leg.asset_class,
            "qty": num(leg.ratio * o.qty),
            "filled_qty": num(leg.filled_qty),
            "filled_avg_price": _avg(leg.filled_value, leg.filled_qty),
            "order_type": None,
            "type": None,
            "side": leg.side,
            "position_intent": leg.position_intent,
            "limit_price": None,
            "ratio_qty": num(leg.ratio),
            "legs": None,
        }
    )
    return doc


def order_doc(o: Order) -> dict[str, Any]:
    doc = _common(o)
    doc.update(
        {
            "id": str(o.id),
            "qty": num(o.qty),
            "filled_qty": num(o.filled_qty),
            "order_type": o.type,
            "type": o.type,
            "limit_price": num(o.limit_price),
        }
    )
    if o.order_class == "mleg":
        # Alpaca leaves the top-level instrument fields empty on a multi-leg order.
        doc.update(
            {
                "asset_id": "",
                "symbol": "",
                "asset_class": "",
                "side": "",
                "position_intent": "",
                "filled_avg_price": _avg(o.filled_value, o.filled_qty),
                "ratio_qty": None,
                "legs": [_leg_doc(o, leg) for leg in o.legs],
            }
        )
    else:
        leg = o.legs[0]
        doc.update(
            {
                "asset_id": str(asset_id(leg.symbol)),
                "symbol": leg.symbol,
                "asset_class": leg.asset_class,
                "side": leg.side,
                "position_intent": leg.position_intent,
                "filled_avg_price": _avg(leg.filled_value, leg.filled_qty),
                "ratio_qty": None,
                "legs": None,
            }
        )
    return doc


def position_doc(p: Position, mark: Decimal | None) -> dict[str, Any]:
    qty = abs(p.qty)
    avg = abs(p.cost) / (qty * p.multiplier) if qty else ZERO
    price = avg if mark is None else mark
    market_value = price * p.qty * p.multiplier
    pl = market_value - p.cost
    plpc = pl / abs(p.cost) if p.cost else ZERO
    return {
        "asset_id": str(asset_id(p.symbol)),
        "symbol": p.symbol,
        "exchange": "" if p.contract is not None else "ARCA",
        "asset_class": p.asset_class,
        "asset_marginable": p.contract is None,
        "avg_entry_price": num(avg.quantize(_PRICE)),
        "qty": num(p.qty),
        "qty_available": num(p.qty),
        "side": "long" if p.qty > 0 else "short",
        "market_value": num(cents(market_value)),
        "cost_basis": num(cents(p.cost)),
        "unrealized_pl": num(cents(pl)),
        "unrealized_plpc": num(plpc.quantize(_PRICE)),
        "unrealized_intraday_pl": num(cents(pl)),
        "unrealized_intraday_plpc": num(plpc.quantize(_PRICE)),
        "current_price": num(price.quantize(_PRICE)),
        "lastday_price": num(price.quantize(_PRICE)),
        "change_today": "0",
    }


def account_doc(
    book: Book,
    *,
    long_value: Decimal,
    short_value: Decimal,
    buying_power: Decimal,
    created_at: datetime,
) -> dict[str, Any]:
    equity = book.cash + long_value + short_value
    text = {k: num(cents(v)) for k, v in {"equity": equity, "cash": book.cash, "bp": buying_power}.items()}
    return {
        "id": str(book.account_id),
        "account_number": "PA" + book.account_id.hex[:10].upper(),
        "status": "ACTIVE",
        "crypto_status": None,
        "currency": "USD",
        "buying_power": text["bp"],
        "regt_buying_power": text["bp"],
        "non_marginable_buying_power": text["bp"],
        "options_buying_power": text["bp"],
        "cash": text["cash"],
        "accrued_fees": "0",
        "pending_transfer_in": "0",
        "pending_transfer_out": "0",
        "portfolio_value": text["equity"],
        "equity": text["equity"],
        "last_equity": text["equity"],
        "long_market_value": num(cents(long_value)),
        "short_market_value": num(cents(short_value)),
        "initial_margin": "0",
        "maintenance_margin": "0",
        "last_maintenance_margin": "0",
        "sma": "0",
        "multiplier": "1",
        "shorting_enabled": False,
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "trade_suspended_by_user": False,
        "created_at": rfc3339(created_at),
        "options_approved_level": 3,
        "options_trading_level": 3,
    }


def asset_doc(u: Underlying) -> dict[str, Any]:
    return {
        "id": str(asset_id(u.symbol)),
        "class": "us_equity",
        "exchange": "ARCA" if u.asset_class.value == "etf" else "NASDAQ",
        "symbol": u.symbol,
        "name": u.symbol,
        "status": "active",
        "tradable": True,
        "marginable": True,
        "shortable": False,
        "easy_to_borrow": False,
        "fractionable": False,
        "attributes": ["has_options"],
    }
