"""Faults and rate limits as Dhan answers them, seen through the official SDK."""

from __future__ import annotations

from typing import Any

from dhanhq import dhanhq

from optionpilot.adapters.dhan_stub.config import DhanFault, RateLimits
from optionpilot.adapters.dhan_stub.limits import Limiter


def test_http_504_and_429_refuse_a_write_without_applying_it(stub_factory: Any, kit: Any) -> None:
    stub = stub_factory()
    dhan: dhanhq = kit.sdk_for(stub)
    opt = kit.near_the_money(dhan)
    faults = stub.state.broker.faults
    for fault, code in ((DhanFault.HTTP_504, "DH-909"), (DhanFault.HTTP_429, "DH-904")):
        faults.set_rate(fault, 1.0)
        assert kit.failed(kit.buy(dhan, opt, tag="t1"))["error_code"] == code
        faults.set_rate(fault, 0.0)
    assert kit.ok(dhan.get_order_list()) == []
    assert kit.failed(dhan.get_order_by_correlationID("t1"))["error_code"] == "DH-907"


def test_dh_904_refuses_reads_too(stub_factory: Any, kit: Any) -> None:
    stub = stub_factory(faults=[{"name": "dh-904", "rate": 1.0}])
    dhan: dhanhq = kit.sdk_for(stub)
    for answer in (dhan.get_positions(), dhan.get_fund_limits(), dhan.expiry_list(kit.nifty_id, "IDX_I")):
        assert kit.failed(answer)["error_code"] == "DH-904"
    assert stub.state.broker.faults.fired[DhanFault.DH_904] == 3


def test_a_timed_out_placement_is_found_by_its_correlation_id(stub_factory: Any, kit: Any) -> None:
    stub = stub_factory(accept_timeout_hold_seconds=0.2)
    dhan: dhanhq = kit.sdk_for(stub)
    opt = kit.near_the_money(dhan)
    stub.state.broker.faults.set_rate(DhanFault.TIMEOUT_AFTER_ACCEPT, 1.0)
    lost = kit.failed(kit.buy(dhan, opt, tag="unknown-1"))
    assert lost["error_code"] == "DH-909"
    stub.state.broker.faults.set_rate(DhanFault.TIMEOUT_AFTER_ACCEPT, 0.0)
    found = kit.ok(dhan.get_order_by_correlationID("unknown-1"))
    assert found["quantity"] == 75 and found["correlationId"] == "unknown-1"
    assert len(kit.ok(dhan.get_order_list())) == 1


def test_reject_leg_rejects_after_transit(stub_factory: Any, kit: Any) -> None:
    stub = stub_factory(faults=[{"name": "reject-leg", "rate": 1.0}])
    dhan: dhanhq = kit.sdk_for(stub)
    order_id = kit.ok(kit.buy(dhan, kit.near_the_money(dhan)))["orderId"]
    rejected = kit.wait_for(
        lambda: (o := kit.ok(dhan.get_order_by_id(order_id)))["orderStatus"] == "REJECTED" and o,
        "the rejection",
    )
    assert rejected["omsErrorDescription"] and rejected["filledQty"] == 0
    assert kit.ok(dhan.get_positions()) == []


def test_partial_fills_take_half_in_whole_lots(stub_factory: Any, kit: Any) -> None:
    stub = stub_factory(faults=[{"name": "partial-fills", "rate": 1.0}])
    dhan: dhanhq = kit.sdk_for(stub)
    opt = kit.near_the_money(dhan)
    order_id = kit.ok(kit.buy(dhan, opt, 600))["orderId"]
    kit.wait_for(lambda: kit.ok(dhan.get_order_by_id(order_id))["orderStatus"] == "TRADED", "all filled")
    fills = [t["tradedQuantity"] for t in kit.ok(dhan.get_trade_book(order_id))]
    assert len(fills) > 1 and sum(fills) == 600
    assert all(q % 75 == 0 for q in fills)
    assert fills[0] == 300


def _frozen_limiter(stub: Any, **limits: Any) -> None:
    """Dhan's limits on a clock that does not move, so no window ever empties during the test."""
    stub.state.limiter = Limiter(RateLimits(**limits), seconds=lambda: 0.0)


def test_order_writes_are_refused_over_the_limit_and_not_counted(stub_factory: Any, kit: Any) -> None:
    stub = stub_factory()
    _frozen_limiter(stub, orders_per_second=5)
    dhan: dhanhq = kit.sdk_for(stub)
    opt = kit.near_the_money(dhan, offset=4)
    answers = [kit.buy(dhan, opt, price=0.05) for _ in range(7)]
    assert [a["status"] for a in answers] == ["success"] * 5 + ["failure"] * 2
    assert kit.failed(answers[5])["error_code"] == "DH-904"
    assert "5 orders per second" in kit.failed(answers[5])["error_message"]
    assert len(kit.ok(dhan.get_order_list())) == 5  # reads have their own allowance


def test_data_requests_over_five_a_second_are_refused(stub_factory: Any, kit: Any) -> None:
    stub = stub_factory()
    _frozen_limiter(stub)
    dhan: dhanhq = kit.sdk_for(stub)
    for _ in range(5):
        kit.ok(dhan.expiry_list(kit.nifty_id, "IDX_I"))
    assert kit.failed(dhan.expiry_list(kit.nifty_id, "IDX_I"))["error_code"] == "DH-904"
