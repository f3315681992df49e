"""trade_events: one execution id per leg fill by either road, statuses in our units, expiry activities."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests
from alpaca.common.exceptions import APIError

from optionpilot.adapters.alpaca import trade_events as te
from optionpilot.adapters.alpaca.broker_errors import broker_error, is_reused_client_id
from optionpilot.core.errors import BrokerTimeout
from optionpilot.core.ids import AccountId, ClientOrderId
from optionpilot.domain.fills import SettlementKind
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, Side

A = AccountId("a")
T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
C600 = OptionContract("SPY", date(2026, 1, 16), Decimal(600), OptionRight.CALL)
C610 = OptionContract("SPY", date(2026, 1, 16), Decimal(610), OptionRight.CALL)


def _spread() -> Order:
    legs = (OrderLeg(C600, Side.BUY, 2), OrderLeg(C610, Side.SELL, 2))
    return Order(ClientOrderId("cid-9"), A, legs, 3, OrderType.LIMIT, T0, limit_price=Decimal("4.00"))


def _mleg_doc(status: str, leg_filled: int) -> dict:
    legs = [
        {"id": "leg-a", "symbol": C600.key, "side": "buy", "filled_qty": str(leg_filled)},
        {"id": "leg-b", "symbol": C610.key, "side": "sell", "filled_qty": str(leg_filled)},
    ]
    return {"id": "ord-1", "client_order_id": "cid-9", "order_class": "mleg", "status": status,
            "filled_qty": str(leg_filled), "legs": legs}  # fmt: skip


def test_stream_and_activities_name_an_mleg_fill_alike() -> None:
    known = te.KnownOrders()
    known.remember(_spread())
    update = {
        "event": "partial_fill",
        "timestamp": "2026-01-05T15:01:00Z",
        "order": _mleg_doc("partially_filled", 4),
    }
    stream_ids = te.mleg_fill_ids(update)
    status = te.order_update(update["order"], known, T0)
    assert status.status is OrderStatus.PARTIALLY_FILLED and status.filled_quantity == 2  # 4 of ratio 2 -> 2
    activities = [
        {"id": "20260105150100000::x1", "activity_type": "FILL", "transaction_time": "2026-01-05T15:01:00Z",
         "order_id": leg, "cum_qty": "4", "qty": "4", "price": price, "side": side, "symbol": sym}
        for leg, price, side, sym in (("leg-a", "5.10", "buy", C600.key), ("leg-b", "2.05", "sell", C610.key))
    ]  # fmt: skip
    fills = [te.activity_fill(a, known, A) for a in activities]
    assert [f.execution_id for f in fills if f] == stream_ids
    assert [(f.leg_index, f.instrument, f.side, f.quantity, f.price) for f in fills if f] == [
        (0, C600, Side.BUY, 4, Decimal("5.10")),
        (1, C610, Side.SELL, 4, Decimal("2.05")),
    ]
    assert te.stream_fill(update, known, A) is None  # the net price alone cannot price the legs


def test_simple_stream_fill_matches_its_activity() -> None:
    known = te.KnownOrders()
    doc = {"id": "ord-2", "client_order_id": "cid-2", "order_class": "simple", "status": "filled",
           "filled_qty": "3", "symbol": C600.key, "side": "buy", "position_intent": "buy_to_open",
           "legs": None}  # fmt: skip
    fill = te.stream_fill({"event": "fill", "timestamp": "2026-01-05T15:02:00Z", "order": doc, "qty": "1",
                           "price": "5.2"}, known, A)  # fmt: skip
    activity = {"id": "x", "activity_type": "FILL", "transaction_time": "2026-01-05T15:02:00Z",
                "order_id": "ord-2", "cum_qty": "3", "qty": "1", "price": "5.2"}  # fmt: skip
    again = te.activity_fill(activity, known, A)
    assert fill is not None and again is not None and fill == again
    assert fill.instrument == C600 and fill.quantity == 1 and fill.client_order_id == "cid-2"


@pytest.mark.parametrize(
    ("kind", "qty", "want_qty", "want_kind", "shares"),
    [("OPEXC", "2", 2, SettlementKind.EXERCISED, 200), ("OPASN", "-1", -1, SettlementKind.ASSIGNED, -100),
     ("OPASN", "1", -1, SettlementKind.ASSIGNED, -100), ("OPEXP", "3", 3, SettlementKind.EXPIRED, 0)],
)  # fmt: skip
def test_option_activities_are_expiry_settlements(
    kind: str, qty: str, want_qty: int, want_kind: SettlementKind, shares: int
) -> None:
    doc = {"id": "20260116210000123::abc", "activity_type": kind, "date": "2026-01-16",
           "net_amount": "-120000", "symbol": C600.key, "qty": qty}  # fmt: skip
    s = te.settlement(doc, A)
    assert s is not None and s.kind is want_kind and s.quantity == want_qty and s.shares == shares
    assert s.contract == C600 and s.cash == Decimal(-120000) and s.event_id == "alpaca:20260116210000123::abc"
    assert s.ts == datetime(2026, 1, 16, 21, 0, 0, 123000, tzinfo=UTC)
    assert te.settlement({**doc, "activity_type": "FEE"}, A) is None


def _api_error(status: int, body: dict) -> APIError:
    response = requests.Response()
    response.status_code = status
    return APIError(json.dumps(body), requests.HTTPError(response=response))


def test_errors_map_to_refusals_or_unknown_outcomes() -> None:
    assert isinstance(broker_error(_api_error(504, {"code": 50400000, "message": "gateway"}), "submit x"),
                      BrokerTimeout)  # fmt: skip
    assert isinstance(broker_error(requests.ReadTimeout("slow"), "submit x"), BrokerTimeout)
    power = broker_error(
        _api_error(403, {"code": 40310000, "message": "insufficient buying power"}), "submit x"
    )
    assert power.code == "buying_power" and not isinstance(power, BrokerTimeout)
    assert broker_error(_api_error(429, {"code": 42910000, "message": "rate"}), "s").code == "rate_limit"
    assert is_reused_client_id(
        _api_error(422, {"code": 40010001, "message": "client_order_id must be unique"})
    )
    proxy = broker_error(_api_error(403, {"oops": 1}), "account")
    assert proxy.code == "forbidden" and "account" in str(proxy)
