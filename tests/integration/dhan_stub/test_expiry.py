"""The end of an expiry day on the stub: pending day orders expire, open options settle in cash."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from optionpilot.adapters.dhan_stub.config import DhanStubConfig
from optionpilot.adapters.dhan_stub.server import first_sessions


def test_day_orders_expire_and_expiring_options_settle_at_intrinsic(stub_factory: Any, kit: Any) -> None:
    probe = DhanStubConfig(client_id=kit.client_id, access_token=kit.token)
    sessions = first_sessions(probe)
    expiry_day = next(s for s in sessions if s.day >= date(2026, 10, 6) and s.day.weekday() == 1)
    # Four simulated minutes before the close of a Tuesday expiry, at 120x: two seconds to the close.
    stub = stub_factory(start=expiry_day.close - timedelta(minutes=4), speed=120.0)
    dhan = kit.sdk_for(stub)
    expiry = kit.ok(dhan.expiry_list(kit.nifty_id, "IDX_I"))["data"][0]
    assert expiry == expiry_day.day.isoformat()
    itm, other = kit.options(dhan, [(True, -4), (True, -6)])
    bought = kit.ok(kit.buy(dhan, itm, 75))["orderId"]
    kit.wait_for(lambda: kit.ok(dhan.get_order_by_id(bought))["orderStatus"] == "TRADED", "the buy filled")
    # Half the bid of an option 300 points in the money: it rests until the close.
    resting = kit.ok(kit.buy(dhan, other, 75, price=round(other.bid / 2 * 20) / 20))["orderId"]
    kit.wait_for(
        lambda: kit.ok(dhan.get_order_by_id(resting))["orderStatus"] == "EXPIRED", "the day order expired"
    )
    [position] = kit.wait_for(
        lambda: [p for p in kit.ok(dhan.get_positions()) if p["netQty"] == 0], "the settlement"
    )
    assert position["positionType"] == "CLOSED" and position["sellQty"] == 75
    spot = stub.state.broker.spot("NIFTY")
    assert abs(position["sellAvg"] - float(spot) + itm.strike) <= 0.05
    answer = kit.failed(kit.buy(dhan, itm, 75))
    assert "Market is closed" in answer["error_message"]
