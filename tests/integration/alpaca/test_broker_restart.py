"""A restart against the same Alpaca account: a new adapter (a new process) sees every fill under the
execution ids the first one applied, and the engine's reconciliation adopts what the book missed."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from tests.integration.alpaca.broker_fixtures import Harness, harnesses, manager
from tests.integration.alpaca_stub.conftest import wait_for

from optionpilot.adapters.alpaca import broker as broker_module
from optionpilot.core.ids import PositionId
from optionpilot.domain.incidents import IncidentKind
from optionpilot.domain.orders import OrderStatus, OrderType, Side
from optionpilot.engine.orders.reconciliation import reconcile


@pytest.fixture
def harness() -> Iterator[Harness]:
    with harnesses() as make:
        yield make()


def test_a_new_process_reconciles_by_execution_id(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    first = h.broker()
    om = manager(first, h.clock, Decimal(100_000))
    low, high = h.symbol("call", 1.0), h.symbol("call", 1.05)
    p = PositionId("p1")
    placed = [
        om.place([h.order([(low, Side.BUY, 1)], 1).legs[0]], 2, position_id=p, purpose="entry", reason="t",
                 order_type=OrderType.MARKET),
        om.place(list(h.order([(low, Side.BUY, 1), (high, Side.SELL, 1)], 1).legs), 1, position_id=p,
                 purpose="entry", reason="t", limit_price=Decimal("40.00")),
    ]  # fmt: skip
    resting = om.place([h.order([(high, Side.BUY, 1)], 1).legs[0]], 1, position_id=p, purpose="entry",
                       reason="t", limit_price=Decimal("0.01"))  # fmt: skip

    def filled() -> bool:
        om.process_events()
        return all(om.orders[o.client_order_id].status is OrderStatus.FILLED for o in placed)

    wait_for(filled, "both entries filled")
    first.close()

    # The new process: the orders were stored before they were sent; the fills were not (a crash).
    monkeypatch.setattr(broker_module, "_PAGE", 2)  # three FILL activities: two pages
    second = h.broker()
    again = manager(second, h.clock, Decimal(100_000))
    again.restore([o for o in om.orders.values()], [])
    report = reconcile(again.book, second, orders=again)
    assert report.ok, report.summary()
    assert again.executions == om.executions and len(om.executions) == 3
    assert [i.kind for i in again.incidents] == [IncidentKind.ADOPTED] * 3
    assert again.book.holdings() == om.book.holdings() == {p.symbol: p.quantity for p in second.positions()}
    assert [o.client_order_id for o in second.open_orders()] == [resting.client_order_id]
