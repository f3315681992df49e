"""Expiry through the adapter: exercise, assignment and worthless expiry come as ExpirySettlement events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.alpaca.broker_fixtures import Harness, collect, harnesses

from optionpilot.domain.fills import ExpirySettlement, Fill, SettlementKind
from optionpilot.domain.orders import Side


@pytest.fixture
def harness() -> Iterator[Harness]:
    # An hour before the first close at five simulated minutes a second (as the stub's own expiry test).
    with harnesses() as make:
        yield make(speed=300.0, minutes_after_open=330.0)


def test_option_activities_become_settlements(harness: Harness) -> None:
    h = harness
    broker = h.broker()
    itm_call, otm_call = h.symbol("call", 0.97, 0), h.symbol("call", 1.03, 0)
    itm_put = h.symbol("put", 1.03, 0)
    orders = [
        h.order([(s, side, 1)], 1)
        for s, side in ((itm_call, Side.BUY), (otm_call, Side.BUY), (itm_put, Side.SELL))
    ]
    for o in orders:
        broker.submit(o)
    events = collect(broker, lambda ev: sum(isinstance(e, ExpirySettlement) for e in ev) == 3, "settlements")
    assert sum(isinstance(e, Fill) for e in events) == 3
    settled = {
        e.contract.key: (e.kind, e.quantity, e.shares) for e in events if isinstance(e, ExpirySettlement)
    }
    assert settled == {
        itm_call: (SettlementKind.EXERCISED, 1, 100),
        otm_call: (SettlementKind.EXPIRED, 1, 0),
        itm_put: (SettlementKind.ASSIGNED, -1, 100),
    }
    # A process started after the expiry (none listened) finds them in the activities, once each.
    restarted = h.broker()
    missed = restarted.settlements_missed(set())
    assert {s.event_id for s in missed} == {e.event_id for e in events if isinstance(e, ExpirySettlement)}
    assert restarted.settlements_missed({s.event_id for s in missed}) == []
