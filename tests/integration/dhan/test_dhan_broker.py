"""DhanBroker (the Broker port on the dhanhq SDK) against the in-process Dhan stub: orders, fills once,
slicing, modify, cancel, the faults (timeout-after-accept found by correlation id, DH-904 backed off),
and errors in one line."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from tests.integration.dhan.broker_fixtures import Harness, harness_factory

from optionpilot.adapters.dhan.request_budget import DhanBudget
from optionpilot.adapters.dhan_stub.config import DhanFault
from optionpilot.core.errors import BrokerError, BrokerTimeout
from optionpilot.domain.fills import Fill, OrderUpdate
from optionpilot.domain.orders import OrderStatus, Side

__all__ = ["harness_factory"]
Factory = Callable[..., Harness]


def _statuses(events: list[Any], cid: str) -> list[OrderStatus]:
    return [e.status for e in events if isinstance(e, OrderUpdate) and e.client_order_id == cid]


def _filled(cid: str) -> Callable[[list[Any]], bool]:
    return lambda events: OrderStatus.FILLED in _statuses(events, cid)


def test_a_limit_buy_fills_once_and_shows_in_positions_and_funds(harness_factory: Factory) -> None:
    h = harness_factory()
    opt = h.option()
    broker = h.broker()
    order = h.order(opt, Side.BUY, lots=2)
    broker.submit(order)
    h.poll_until(broker, _filled(order.client_order_id), "the fill")
    for _ in range(3):
        h.events.extend(broker.poll_events())  # more polls report nothing twice
    fills = [e for e in h.events if isinstance(e, Fill)]
    assert sum(f.quantity for f in fills) == 2 and all(f.price <= Decimal(str(opt.ask)) for f in fills)
    assert len({f.execution_id for f in fills}) == len(fills)
    assert _statuses(h.events, order.client_order_id).count(OrderStatus.FILLED) == 1
    assert {f.execution_id for f in broker.executions()} == {f.execution_id for f in fills}
    [pos] = broker.positions()
    assert pos.quantity == 2 and pos.symbol == order.legs[0].instrument.key
    account = broker.account()
    assert account.currency == "INR" and account.buying_power < Decimal(1_000_000)
    found = broker.lookup(order.client_order_id)
    assert found is not None and found.status is OrderStatus.FILLED and found.filled_quantity == 2
    assert broker.lookup(order.client_order_id.replace("t-", "u-")) is None  # type: ignore[arg-type]


def test_above_the_freeze_quantity_the_order_is_sliced_and_combined(harness_factory: Factory) -> None:
    h = harness_factory()
    opt = h.option()
    broker = h.broker()
    order = h.order(opt, Side.BUY, lots=30)  # 2,250 NIFTY units, the freeze is 1,800
    broker.submit(order)
    h.poll_until(broker, _filled(order.client_order_id), "every slice filled")
    assert len(h.sdk.get_order_list()["data"]) == 2
    fills = [e for e in h.events if isinstance(e, Fill)]
    assert sum(f.quantity for f in fills) == 30
    assert [p.quantity for p in broker.positions()] == [30]


def test_a_resting_order_is_modified_then_cancelled(harness_factory: Factory) -> None:
    h = harness_factory()
    opt = h.option(offset=3)
    broker = h.broker()
    low = max(round(opt.bid / 2 * 20) / 20, 0.05)
    order = h.order(opt, Side.BUY, price=low)
    broker.submit(order)
    h.poll_until(broker, lambda ev: OrderStatus.ACCEPTED in _statuses(ev, order.client_order_id), "resting")
    assert [o.client_order_id for o in broker.open_orders()] == [order.client_order_id]
    new = h.order(opt, Side.BUY, lots=2, price=low + 0.05)
    broker.replace(order.client_order_id, new)
    doc = h.sdk.get_order_list()["data"][0]
    assert (doc["quantity"], doc["price"]) == (150, round(low + 0.05, 2))
    h.poll_until(broker, lambda ev: OrderStatus.REPLACED in _statuses(ev, order.client_order_id), "replaced")
    broker.cancel(new.client_order_id)
    h.poll_until(broker, lambda ev: OrderStatus.CANCELED in _statuses(ev, new.client_order_id), "cancelled")
    with pytest.raises(BrokerError, match="not working") as err:
        broker.cancel(new.client_order_id)
    assert "\n" not in str(err.value)


def test_a_timed_out_placement_is_unknown_then_found_by_correlation_id(harness_factory: Factory) -> None:
    h = harness_factory(accept_timeout_hold_seconds=0.2)
    opt = h.option()
    broker = h.broker()
    h.stub.state.broker.faults.set_rate(DhanFault.TIMEOUT_AFTER_ACCEPT, 1.0)
    order = h.order(opt, Side.BUY)
    with pytest.raises(BrokerTimeout) as err:
        broker.submit(order)
    assert "\n" not in str(err.value)
    h.stub.state.broker.faults.set_rate(DhanFault.TIMEOUT_AFTER_ACCEPT, 0.0)
    found = broker.lookup(order.client_order_id)
    assert found is not None and found.client_order_id == order.client_order_id
    h.poll_until(broker, _filled(order.client_order_id), "the order found after the timeout fills")
    assert len(h.sdk.get_order_list()["data"]) == 1  # nothing was sent twice


def test_a_504_that_did_not_place_is_unknown_and_lookup_says_none(harness_factory: Factory) -> None:
    h = harness_factory()
    opt = h.option()
    broker = h.broker()
    h.stub.state.broker.faults.set_rate(DhanFault.HTTP_504, 1.0)
    order = h.order(opt, Side.BUY)
    with pytest.raises(BrokerTimeout):
        broker.submit(order)
    h.stub.state.broker.faults.set_rate(DhanFault.HTTP_504, 0.0)
    assert broker.lookup(order.client_order_id) is None


class StepTime:
    """The budget's clock; each wait moves it and, the first time, lifts the stub's DH-904 fault."""

    def __init__(self, lift: Callable[[], None]) -> None:
        self.now, self.waits, self._lift = 0.0, [], lift

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        self._lift()


def test_dh_904_is_backed_off_and_the_order_sent_once_after(harness_factory: Factory) -> None:
    h = harness_factory()
    opt = h.option()
    faults = h.stub.state.broker.faults
    t = StepTime(lambda: faults.set_rate(DhanFault.DH_904, 0.0))
    broker = h.broker(DhanBudget(seconds=t, sleep=t.sleep))
    faults.set_rate(DhanFault.DH_904, 1.0)
    order = h.order(opt, Side.BUY)
    broker.submit(order)
    assert t.waits and t.waits[0] >= 1.0  # the back-off, not a resend at once
    assert len(h.sdk.get_order_list()["data"]) == 1


def test_refusals_are_one_line_errors(harness_factory: Factory) -> None:
    h = harness_factory()
    opt = h.option()
    broker = h.broker(reference=lambda _c: Decimal(str(opt.ask)))
    far = h.order(opt, Side.BUY, price=opt.ask * 2)
    with pytest.raises(BrokerError, match="collar") as err:
        broker.submit(far)
    assert "\n" not in str(err.value)
    assert h.sdk.get_order_list()["data"] == []
    bad = h.broker()
    bad._master = type(h.master)([], {})  # an empty security master: the contract is unknown
    with pytest.raises(BrokerError, match="security master") as err:
        bad.submit(h.order(opt, Side.BUY))
    assert "\n" not in str(err.value)
    # Dhan's own refusal: an expired token (DH-901) says which variable to renew.
    env_broker = h.broker()
    env_broker._sdk.dhan_http.header["access-token"] = "expired"
    with pytest.raises(BrokerError, match="DH-901") as err:
        env_broker.account()
    assert "DHAN_ACCESS_TOKEN" in str(err.value) and "\n" not in str(err.value)


def test_fills_are_applied_once_across_restart(harness_factory: Factory) -> None:
    h = harness_factory()
    opt = h.option()
    first = h.broker()
    order = h.order(opt, Side.BUY)
    first.submit(order)
    h.poll_until(first, _filled(order.client_order_id), "the fill")
    # A new process: it knows the order from the broker (lookup by correlation id), and its executions
    # are the same ones, under the same ids.
    second = h.broker()
    assert second.lookup(order.client_order_id) is not None
    before = {f.execution_id for f in h.events if isinstance(f, Fill)}
    assert {f.execution_id for f in second.executions()} == before


def test_modifications_stop_at_twenty_five_before_dhan_refuses(harness_factory: Factory) -> None:
    h = harness_factory(limits={"orders_per_second": 1000})
    opt = h.option(offset=4)
    t = StepTime(lambda: None)
    broker = h.broker(DhanBudget(seconds=t, sleep=t.sleep))  # our 10 a second on a clock that steps
    current = h.order(opt, Side.BUY, price=0.05)
    broker.submit(current)
    for _ in range(25):
        new = h.order(opt, Side.BUY, price=0.05)
        broker.replace(current.client_order_id, new)
        current = new
    with pytest.raises(BrokerError, match="25 modifications") as err:
        broker.replace(current.client_order_id, h.order(opt, Side.BUY, price=0.05))
    assert "\n" not in str(err.value) and err.value.code == "modify_limit"
    assert t.waits  # 26 writes at 10 a second waited for the window


def test_kill_switch_and_pnl_exit_reach_dhan(harness_factory: Factory) -> None:
    h = harness_factory()
    broker = h.broker()
    broker.pnl_exit(Decimal(5000), Decimal(2000))
    rule = h.sdk.get_pnl_exit()["data"]
    assert (rule["pnlExitStatus"], rule["loss"], rule["profit"]) == ("ACTIVE", 2000.0, 5000.0)
    assert "ACTIVATE" in broker.kill_switch(True).upper()
    with pytest.raises(BrokerError, match=r"[Kk]ill switch") as err:
        broker.submit(h.order(h.option(), Side.BUY))
    assert "\n" not in str(err.value)


def test_partial_fills_each_once_under_dhans_trade_ids(harness_factory: Factory) -> None:
    h = harness_factory(faults=[{"name": "partial-fills", "rate": 1.0}])
    opt = h.option()
    broker = h.broker()
    order = h.order(opt, Side.BUY, lots=8)
    broker.submit(order)
    h.poll_until(broker, _filled(order.client_order_id), "all filled")
    h.events.extend(broker.poll_events())
    fills = [e for e in h.events if isinstance(e, Fill)]
    trades = h.sdk.get_trade_book()["data"]
    assert len(fills) == len(trades) > 1 and sum(f.quantity for f in fills) == 8
    assert {f.execution_id for f in fills} == {f"dhan-{t['orderId']}-{t['exchangeTradeId']}" for t in trades}


def test_an_exchange_rejection_is_reported_with_its_reason(harness_factory: Factory) -> None:
    h = harness_factory(faults=[{"name": "reject-leg", "rate": 1.0}])
    broker = h.broker()
    order = h.order(h.option(), Side.SELL)
    broker.submit(order)
    h.poll_until(broker, lambda ev: OrderStatus.REJECTED in _statuses(ev, order.client_order_id), "rejected")
    [update] = [e for e in h.events if isinstance(e, OrderUpdate) and e.status is OrderStatus.REJECTED]
    assert update.reason and update.filled_quantity == 0
    assert not [e for e in h.events if isinstance(e, Fill)] and broker.positions() == []
