"""Working a batch of orders to the end for a verb that runs once (execute, monitor): wait, then cancel.

The verbs send orders and return; a limit that has not filled within `wait_minutes` (or by the close) is
cancelled with the reason, rather than left working while nobody watches it. The clock moves a minute at
a time (the simulated standing account's clock) and the broker is polled at each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from optionpilot.core.clock import SimulatedClock
from optionpilot.engine.orders.manager import OrderManager


def work_then_cancel(orders: OrderManager, clock: SimulatedClock, close: datetime, wait_minutes: int) -> None:
    """Poll minute by minute until nothing is open, `wait_minutes` passed or the close; cancel the rest."""
    for _ in range(wait_minutes):
        if not orders.open_orders():
            break
        nxt = clock.now() + timedelta(minutes=1)
        if nxt >= close:
            break
        clock.advance_to(nxt)
        orders.process_events()
    orders.process_events()
    why = f"not filled within {wait_minutes} minutes"
    if clock.now() >= close:
        # End-of-day data is looked at its close: an order could fill only on the next session's quotes.
        why = "sent at the close of the data's last session: no later quote to fill on"
    for o in orders.open_orders():
        if o.parent_id is None:
            orders.cancel(o.client_order_id, why)
    orders.process_events()
