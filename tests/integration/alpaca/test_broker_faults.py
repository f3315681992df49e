"""The known traps, each against the stub: 504 and 429 on a send, a timeout after Alpaca accepted, and
the stream faults through the engine's OrderManager with no fill applied twice."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from tests.integration.alpaca.broker_fixtures import ACCOUNT, Harness, harnesses, manager
from tests.integration.alpaca_stub.conftest import KEY, wait_for

from optionpilot.adapters.alpaca.broker import AlpacaBroker
from optionpilot.adapters.alpaca.settings import KEY_ENV, SECRET_ENV, URL_ENV, alpaca_settings
from optionpilot.adapters.alpaca.transport import RequestBudget
from optionpilot.adapters.alpaca_stub.config import FaultName, FaultSpec
from optionpilot.core.errors import BrokerError, BrokerTimeout
from optionpilot.core.ids import PositionId
from optionpilot.domain.incidents import IncidentKind
from optionpilot.domain.orders import OrderStatus, OrderType, Side


@pytest.fixture
def make() -> Iterator:
    with harnesses() as factory:
        yield factory


def _posts(h: Harness) -> int:
    return h.stub.state.requests.count(("POST", "/v2/orders"))


def test_http_504_sends_one_post_then_the_lookup_decides(make) -> None:
    h = make(faults=(FaultSpec(name=FaultName.HTTP_504),))
    budget = RequestBudget(190)
    broker = h.broker(budget)
    order = h.order([(h.symbol(), Side.BUY, 1)], 1, limit="0.01")
    before = budget.sent
    with pytest.raises(BrokerTimeout):
        broker.submit(order)
    # Every HTTP request passes the budget: one request, so the SDK retried nothing by itself.
    assert budget.sent - before == 1
    assert h.stub.state.broker.faults.fired[FaultName.HTTP_504] == 1
    assert broker.lookup(order.client_order_id) is None  # GET /v2/orders:by_client_order_id
    h.stub.state.broker.faults.set_rate(FaultName.HTTP_504, 0.0)
    broker.submit(order)  # the engine's resend under the same client id
    assert _posts(h) == 1 and h.stub_order(order.client_order_id) is not None


def test_timeout_after_accept_is_unknown_and_the_lookup_finds_the_order(make) -> None:
    h = make(faults=(FaultSpec(name=FaultName.TIMEOUT_AFTER_ACCEPT),), accept_timeout_hold_seconds=3.0)
    broker = h.broker(timeout_s=0.5)
    order = h.order([(h.symbol(), Side.BUY, 1)], 1, limit="0.01")
    with pytest.raises(BrokerTimeout):
        broker.submit(order)
    seen = broker.lookup(order.client_order_id)
    assert seen is not None and seen.status is OrderStatus.ACCEPTED
    assert seen.broker_order_id == str(h.stub_order(order.client_order_id).id)


class FakeTime:
    """The budget's time and sleep, so a 429's pause costs no real time; `on_sleep` runs at each wait."""

    def __init__(self, on_sleep=lambda: None) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.on_sleep = on_sleep

    def seconds(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s
        self.on_sleep()


def test_http_429_pauses_the_budget_and_the_send_is_repeated(make) -> None:
    h = make(faults=(FaultSpec(name=FaultName.HTTP_429),))
    faults = h.stub.state.broker.faults
    clock = FakeTime(lambda: faults.set_rate(FaultName.HTTP_429, 0.0))
    budget = RequestBudget(190, seconds=clock.seconds, sleep=clock.sleep)
    broker = h.broker(budget)
    order = h.order([(h.symbol(), Side.BUY, 1)], 1, limit="0.01")
    broker.submit(order)
    assert budget.throttled == 1 and clock.slept and clock.slept[0] > 0  # waited out the pause
    assert faults.fired[FaultName.HTTP_429] == 1 and _posts(h) == 1


def test_http_429_for_ever_gives_up_after_the_bounded_attempts(make) -> None:
    h = make(faults=(FaultSpec(name=FaultName.HTTP_429),))
    clock = FakeTime()
    budget = RequestBudget(190, seconds=clock.seconds, sleep=clock.sleep)
    broker = h.broker(budget)
    order = h.order([(h.symbol(), Side.BUY, 1)], 1, limit="0.01")
    with pytest.raises(BrokerError) as caught:
        broker.submit(order)
    assert caught.value.code == "rate_limit" and not isinstance(caught.value, BrokerTimeout)
    assert h.stub.state.broker.faults.fired[FaultName.HTTP_429] == 3 and _posts(h) == 0


@pytest.mark.parametrize(
    ("fault", "rate"),
    [
        (FaultName.DUPLICATE_UPDATES, 1.0),
        (FaultName.DROP_STREAM, 1.0),
        (FaultName.PARTIAL_FILLS, 1.0),
        (FaultName.REJECT_LEG, 0.5),
    ],
)
def test_stream_faults_apply_every_fill_once_through_the_order_manager(
    make, fault: FaultName, rate: float
) -> None:
    h = make(faults=(FaultSpec(name=fault, rate=rate),), seed=11)
    broker_budget = RequestBudget(190)
    broker = h.broker(broker_budget)
    om = manager(broker, h.clock, Decimal(100_000))
    low, high = h.symbol("call", 1.0), h.symbol("call", 1.05)
    p = PositionId("p1")
    placed = [
        om.place([h.order([(low, Side.BUY, 1)], 1).legs[0]], 4, position_id=p, purpose="entry", reason="t",
                 order_type=OrderType.MARKET),
        om.place(list(h.order([(low, Side.BUY, 1), (high, Side.SELL, 1)], 1).legs), 3, position_id=p,
                 purpose="entry", reason="t", limit_price=Decimal("40.00")),
        om.place([h.order([(high, Side.BUY, 1)], 1).legs[0]], 2, position_id=p, purpose="entry", reason="t",
                 order_type=OrderType.MARKET),
    ]  # fmt: skip

    def settled() -> bool:
        om.process_events()
        return all(om.orders[o.client_order_id].is_terminal for o in placed)

    wait_for(settled, f"every order done under {fault}")
    for _ in range(3):  # anything still on its way (a late duplicate, a poll after a drop)
        om.process_events()
    at_broker = broker.executions()
    assert broker_budget.most_in_a_minute <= broker_budget.per_minute
    assert h.stub.state.broker.faults.fired[fault] > 0 and at_broker  # the fault struck, fills happened
    if fault is FaultName.REJECT_LEG:
        assert {om.orders[o.client_order_id].status for o in placed} >= {OrderStatus.REJECTED}
    if fault is FaultName.DROP_STREAM:
        assert broker.stream is not None and broker.stream.generation > 1  # it reconnected
    if fault is FaultName.PARTIAL_FILLS:
        assert len(at_broker) > 2 + 2 + 1  # more fills than legs: orders came in pieces
    assert om.duplicate_fills == 0  # the adapter reported each execution once
    assert not [i for i in om.incidents if i.kind is IncidentKind.OVERFILL]
    assert om.executions == {f.execution_id for f in at_broker}
    assert om.fills_applied == len(at_broker)
    assert om.book.holdings() == {p.symbol: p.quantity for p in broker.positions()}
    for o in placed:
        mine, theirs = om.orders[o.client_order_id], h.stub_order(o.client_order_id)
        assert mine.filled_quantity == theirs.filled_qty


def test_wrong_keys_are_one_line_errors_and_the_stream_gives_up(make) -> None:
    h = make()
    env = {KEY_ENV: KEY, SECRET_ENV: "not-the-secret", URL_ENV["trading_url"]: h.stub.url}
    broker = AlpacaBroker(ACCOUNT, alpaca_settings(env), RequestBudget(190), h.clock)
    h.brokers.append(broker)
    with pytest.raises(BrokerError) as caught:
        broker.account()
    assert "HTTP 401" in str(caught.value) and "\n" not in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    assert broker.stream is not None
    broker.stream.start()
    wait_for(lambda: broker.stream is not None and broker.stream.refused, "the stream refused")
    assert "unauthorized" in str(broker.stream.refused) and broker.stream.generation == 0
