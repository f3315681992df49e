"""Dhan's JSON documents for the book: orders, trades, positions, fund limits and order updates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from optionpilot.adapters.dhan_stub.instruments import OPTION_SEGMENT, Listed
from optionpilot.adapters.dhan_stub.state import Order, Position, Trade
from optionpilot.adapters.dhan_stub.wire import ist, money
from optionpilot.domain.symbols import format_dhan, format_dhan_display


def _instrument(listed: Listed) -> dict[str, Any]:
    c = listed.contract
    return {
        "tradingSymbol": format_dhan(c),
        "securityId": str(listed.security_id),
        "exchangeSegment": OPTION_SEGMENT,
        "drvExpiryDate": f"{c.expiry.isoformat()} 14:30:00",
        "drvOptionType": "CALL" if c.is_call else "PUT",
        "drvStrikePrice": float(c.strike),
    }


def order_doc(order: Order, client_id: str) -> dict[str, Any]:
    return {
        "dhanClientId": client_id,
        "orderId": order.order_id,
        "exchangeOrderId": order.exchange_order_id if order.status != "TRANSIT" else "",
        "correlationId": order.correlation_id or "",
        "orderStatus": order.status,
        "transactionType": order.side,
        "productType": order.product,
        "orderType": order.order_type,
        "validity": order.validity,
        **_instrument(order.listed),
        "quantity": order.quantity,
        "disclosedQuantity": 0,
        "price": money(order.price),
        "triggerPrice": 0.0,
        "afterMarketOrder": order.after_market,
        "boProfitValue": 0.0,
        "boStopLossValue": 0.0,
        "legName": "NA",
        "createTime": ist(order.created_at),
        "updateTime": ist(order.updated_at or order.created_at),
        "exchangeTime": ist(order.exchange_time) if order.exchange_time else "0001-01-01 00:00:00",
        "omsErrorCode": order.error_code,
        "omsErrorDescription": order.error_text,
        "algoId": "",
        "remainingQuantity": order.remaining,
        "averageTradedPrice": money(order.average_price),
        "filledQty": order.filled_qty,
    }


def trade_doc(trade: Trade, client_id: str) -> dict[str, Any]:
    o = trade.order
    return {
        "dhanClientId": client_id,
        "orderId": o.order_id,
        "exchangeOrderId": o.exchange_order_id,
        "exchangeTradeId": trade.trade_id,
        "transactionType": o.side,
        "productType": o.product,
        "orderType": o.order_type,
        **_instrument(o.listed),
        "customSymbol": format_dhan_display(o.listed.contract),
        "tradedQuantity": trade.quantity,
        "tradedPrice": money(trade.price),
        "createTime": ist(trade.at),
        "updateTime": ist(trade.at),
        "exchangeTime": ist(trade.at),
    }


def position_doc(p: Position, mark: Decimal | None, client_id: str) -> dict[str, Any]:
    net = p.net_qty
    return {
        "dhanClientId": client_id,
        **_instrument(p.listed),
        "positionType": "LONG" if net > 0 else "SHORT" if net < 0 else "CLOSED",
        "productType": p.product,
        "buyAvg": money(p.buy_avg),
        "costPrice": money(p.cost_price),
        "buyQty": p.buy_qty,
        "sellAvg": money(p.sell_avg),
        "sellQty": p.sell_qty,
        "netQty": net,
        "realizedProfit": money(p.realized),
        "unrealizedProfit": money(p.unrealized(mark)),
        "rbiReferenceRate": 1.0,
        "multiplier": 1,
        "carryForwardBuyQty": 0,
        "carryForwardSellQty": 0,
        "carryForwardBuyValue": 0.0,
        "carryForwardSellValue": 0.0,
        "dayBuyQty": p.buy_qty,
        "daySellQty": p.sell_qty,
        "dayBuyValue": money(p.buy_value),
        "daySellValue": money(p.sell_value),
        "crossCurrency": False,
    }


def fund_doc(client_id: str, cash: Decimal, utilized: Decimal, start_of_day: Decimal) -> dict[str, Any]:
    available = cash - utilized
    return {
        "dhanClientId": client_id,
        # Dhan's own spelling, kept: clients read this key.
        "availabelBalance": money(available),
        "sodLimit": money(start_of_day),
        "collateralAmount": 0.0,
        "receiveableAmount": 0.0,
        "utilizedAmount": money(utilized),
        "blockedPayoutAmount": 0.0,
        "withdrawableBalance": money(max(available, Decimal(0))),
    }


def order_update(order: Order, client_id: str) -> dict[str, Any]:
    """The order-update websocket's message (`Type: order_alert`), Dhan's field names."""
    c = order.listed.contract
    return {
        "Type": "order_alert",
        "Data": {
            "Exchange": "NSE",
            "Segment": "D",
            "Source": "P",
            "SecurityId": str(order.listed.security_id),
            "ClientId": client_id,
            "ExchOrderNo": order.exchange_order_id if order.status != "TRANSIT" else "0",
            "OrderNo": order.order_id,
            "Product": "I" if order.product == "INTRADAY" else "M",
            "TxnType": "B" if order.side == "BUY" else "S",
            "OrderType": "LMT" if order.order_type == "LIMIT" else "MKT",
            "Validity": order.validity,
            "DiscQuantity": 0,
            "DiscQtyRem": 0,
            "RemainingQuantity": order.remaining,
            "Quantity": order.quantity,
            "TradedQty": order.filled_qty,
            "Price": money(order.price),
            "TriggerPrice": 0.0,
            "TradedPrice": money(order.last_price),
            "AvgTradedPrice": money(order.average_price),
            "OrderDateTime": ist(order.created_at),
            "ExchOrderTime": ist(order.exchange_time or order.updated_at or order.created_at),
            "LastUpdatedTime": ist(order.updated_at or order.created_at),
            "Remarks": "",
            "MktType": "NL",
            "ReasonDescription": order.error_text or "CONFIRMED",
            "LegNo": 1,
            "Instrument": order.listed.instrument,
            "Symbol": c.underlying,
            "ProductName": order.product,
            "Status": order.status,
            "LotSize": order.listed.lot_size,
            "StrikePrice": float(c.strike),
            "ExpiryDate": c.expiry.isoformat(),
            "OptType": "CE" if c.is_call else "PE",
            "DisplayName": format_dhan_display(c),
            "TickSize": float(order.listed.tick),
            "Multiplier": 1,
            "CorrelationId": order.correlation_id or "",
        },
    }
