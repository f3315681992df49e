"""The order lifecycle through the official SDK: place, fill, trades, positions, funds, modify, cancel."""

from __future__ import annotations

from typing import Any

from dhanhq import dhanhq

from optionpilot.adapters.dhan_stub.server import RunningDhanStub


def test_a_marketable_limit_buy_fills_and_shows_everywhere(
    stub: RunningDhanStub, dhan: dhanhq, kit: Any
) -> None:
    opt = kit.near_the_money(dhan)
    placed = kit.ok(kit.buy(dhan, opt, 150, tag="op-entry-1"))
    assert placed["orderStatus"] == "TRANSIT"
    order_id = placed["orderId"]
    done = kit.wait_for(
        lambda: (o := kit.ok(dhan.get_order_by_id(order_id)))["orderStatus"] == "TRADED" and o, "the fill"
    )
    assert done["filledQty"] == 150 and done["remainingQuantity"] == 0
    assert done["averageTradedPrice"] <= opt.ask
    assert done["correlationId"] == "op-entry-1"
    assert kit.ok(dhan.get_order_by_correlationID("op-entry-1"))["orderId"] == order_id
    trades = kit.ok(dhan.get_trade_book(order_id))
    assert sum(t["tradedQuantity"] for t in trades) == 150
    assert {t["orderId"] for t in kit.ok(dhan.get_trade_book())} == {order_id}
    day = done["createTime"][:10]
    assert kit.ok(dhan.get_trade_history(day, day, 0)) == kit.ok(dhan.get_trade_book())
    assert kit.ok(dhan.get_trade_history(day, day, 1)) == []
    [position] = kit.ok(dhan.get_positions())
    assert (position["securityId"], position["netQty"], position["positionType"]) == (
        opt.security_id,
        150,
        "LONG",
    )
    assert [o["orderId"] for o in kit.ok(dhan.get_order_list())] == [order_id]
    funds = kit.ok(dhan.get_fund_limits())
    paid = sum(t["tradedQuantity"] * t["tradedPrice"] for t in trades)
    assert abs(funds["availabelBalance"] - (1_000_000 - paid)) < 0.01


def test_a_resting_order_is_modified_then_cancelled(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    opt = kit.near_the_money(dhan, offset=3)
    low = round(max(opt.bid / 2, 0.05) * 20) / 20
    order_id = kit.ok(kit.buy(dhan, opt, 75, price=low))["orderId"]
    kit.wait_for(lambda: kit.ok(dhan.get_order_by_id(order_id))["orderStatus"] == "PENDING", "pending")
    kit.ok(dhan.modify_order(order_id, "LIMIT", "", 150, low + 0.05, 0, 0, "DAY"))
    order = kit.ok(dhan.get_order_by_id(order_id))
    assert (order["quantity"], order["price"]) == (150, round(low + 0.05, 2))
    assert kit.ok(dhan.cancel_order(order_id))["orderStatus"] == "CANCELLED"
    again = kit.failed(dhan.cancel_order(order_id))
    assert again["error_code"] == "DH-906" and "CANCELLED" in again["error_message"]
    assert kit.ok(dhan.get_trade_book(order_id)) == []


def test_modifications_stop_at_twenty_five(stub_factory: Any, kit: Any) -> None:
    # Dhan's 10 orders a second would slow this loop; the limit has its own test.
    dhan = kit.sdk_for(stub_factory(limits={"orders_per_second": 1000}))
    opt = kit.near_the_money(dhan, offset=4)
    order_id = kit.ok(kit.buy(dhan, opt, 75, price=0.05))["orderId"]
    for i in range(25):
        kit.ok(dhan.modify_order(order_id, "LIMIT", "", 75, 0.05 * (i % 2 + 1), 0, 0, "DAY"))
    refused = kit.failed(dhan.modify_order(order_id, "LIMIT", "", 75, 0.1, 0, 0, "DAY"))
    assert refused["error_code"] == "DH-906" and "modification limit of 25" in refused["error_message"]


def test_dhan_validation_answers(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    opt = kit.near_the_money(dhan)
    cases = [
        (kit.buy(dhan, opt, 70), "DH-906", "multiples of lot size 75"),
        (kit.buy(dhan, opt, 75, price=opt.ask + 0.02), "DH-906", "tick size 0.05"),
        (kit.buy(dhan, opt, 1875), "DH-906", "freeze quantity 1800"),
        (
            dhan.place_order("999", "NSE_FNO", "BUY", 75, "LIMIT", "INTRADAY", 10.0),
            "DH-905",
            "Invalid SecurityId",
        ),
        (
            dhan.place_order(opt.security_id, "NSE_FNO", "BUY", 75, "LIMIT", "CNC", opt.ask),
            "DH-906",
            "CNC is not allowed",
        ),
        (
            dhan.place_order(opt.security_id, "NSE_FNO", "BUY", 75, "STOP_LOSS", "INTRADAY", opt.ask, 1.0),
            "DH-905",
            "not supported",
        ),
        (kit.sdk_for(stub, token="wrong").get_order_list(), "DH-901", "invalid or expired"),
    ]
    for answer, code, text in cases:
        remarks = kit.failed(answer)
        assert remarks["error_code"] == code, remarks
        assert text in remarks["error_message"], remarks
    assert kit.ok(dhan.get_order_list()) == []


def test_an_order_above_the_freeze_quantity_is_sliced(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    opt = kit.near_the_money(dhan, offset=5)
    children = kit.ok(
        dhan.place_slice_order(
            opt.security_id, "NSE_FNO", "BUY", 4275, "LIMIT", "INTRADAY", 0.05, tag="slice-1"
        )
    )
    orders = {o["orderId"]: o for o in kit.ok(dhan.get_order_list())}
    assert sorted(orders[c["orderId"]]["quantity"] for c in children) == [675, 1800, 1800]
    assert {o["correlationId"] for o in orders.values()} == {"slice-1"}


def test_ioc_cancels_what_does_not_fill_and_market_orders_fill_at_the_touch(
    stub: RunningDhanStub, dhan: dhanhq, kit: Any
) -> None:
    opt = kit.near_the_money(dhan, offset=2)
    ioc = kit.ok(kit.buy(dhan, opt, 75, price=0.05, validity="IOC"))["orderId"]
    kit.wait_for(lambda: kit.ok(dhan.get_order_by_id(ioc))["orderStatus"] == "CANCELLED", "the IOC cancelled")
    market = kit.ok(dhan.place_order(opt.security_id, "NSE_FNO", "BUY", 75, "MARKET", "INTRADAY", 0))[
        "orderId"
    ]
    kit.wait_for(
        lambda: kit.ok(dhan.get_order_by_id(market))["orderStatus"] == "TRADED", "the market order filled"
    )


def test_a_short_needs_margin_and_a_hedge_lowers_it(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    wing, short, put = kit.options(dhan, [(True, 4), (True, 2), (False, -3)])
    before = kit.ok(dhan.get_fund_limits())["availabelBalance"]
    wing_id = kit.ok(kit.buy(dhan, wing, 75))["orderId"]
    kit.wait_for(lambda: kit.ok(dhan.get_order_by_id(wing_id))["orderStatus"] == "TRADED", "the wing filled")
    short_id = kit.ok(kit.sell(dhan, short, 75))["orderId"]
    kit.wait_for(
        lambda: kit.ok(dhan.get_order_by_id(short_id))["orderStatus"] == "TRADED", "the short filled"
    )
    funds = kit.ok(dhan.get_fund_limits())
    assert 0 < funds["utilizedAmount"] < 0.05 * 25_000 * 75  # hedged: 3% of spot, not 12%
    assert funds["availabelBalance"] < before
    # Far more unhedged lots than the account can carry.
    naked = kit.failed(kit.sell(dhan, put, 1800))
    assert naked["error_code"] == "DH-906" and "Insufficient funds" in naked["error_message"]


def test_the_kill_switch_needs_a_flat_book_then_refuses_orders(
    stub: RunningDhanStub, dhan: dhanhq, kit: Any
) -> None:
    opt = kit.near_the_money(dhan, offset=3)
    resting = kit.ok(kit.buy(dhan, opt, 75, price=0.05))["orderId"]
    refused = kit.failed(dhan.kill_switch("activate"))
    assert "pending order" in refused["error_message"]
    kit.ok(dhan.cancel_order(resting))
    assert "activated" in kit.ok(dhan.kill_switch("activate"))["killSwitchStatus"]
    assert kit.ok(dhan.status_kill_switch())["killSwitchStatus"] == "ACTIVATE"
    blocked = kit.failed(kit.buy(dhan, opt, 75))
    assert blocked["error_code"] == "DH-906" and "Kill switch" in blocked["error_message"]
    kit.ok(dhan.kill_switch("deactivate"))
    kit.ok(kit.buy(dhan, opt, 75, price=0.05))


def test_exit_all_and_the_pnl_exit(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    held, resting = kit.options(dhan, [(True, 0), (True, 4)])

    def flat() -> bool:
        positions = kit.ok(dhan.get_positions())
        return bool(positions) and all(p["netQty"] == 0 for p in positions)

    first = kit.ok(kit.buy(dhan, held, 75))["orderId"]
    kit.wait_for(lambda: kit.ok(dhan.get_order_by_id(first))["orderStatus"] == "TRADED", "the buy filled")
    pending = kit.ok(kit.buy(dhan, resting, 75, price=0.05))["orderId"]
    kit.ok(dhan.exit_all_positions())
    assert kit.ok(dhan.get_order_by_id(pending))["orderStatus"] == "CANCELLED"
    kit.wait_for(flat, "flat after exit all")

    second = kit.ok(kit.buy(dhan, held, 150))["orderId"]
    kit.wait_for(
        lambda: kit.ok(dhan.get_order_by_id(second))["orderStatus"] == "TRADED", "the second buy filled"
    )
    # Bought at the ask, marked at the mid: the position is down by half the spread at once.
    kit.ok(dhan.set_pnl_exit(1_000_000, 1, ["INTRADAY"], True))
    kit.wait_for(lambda: kit.ok(dhan.get_pnl_exit())["pnlExitStatus"] == "DISABLED", "the P&L exit fired")
    kit.wait_for(flat, "flat after the P&L exit")
    assert kit.ok(dhan.status_kill_switch())["killSwitchStatus"] == "ACTIVATE"
    assert "Kill switch" in kit.failed(kit.buy(dhan, held, 75))["error_message"]
