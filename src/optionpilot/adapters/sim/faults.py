"""Faults a real broker shows, injected into the simulated broker's delivery (seeded; off by default).

The simulated broker stays correct (its own ledger, orders and fills are the truth); only what the
engine hears is disturbed, the way a wire disturbs it: every fill delivered one to `max_deliveries`
times, events of a poll out of order, an order's CANCELED/EXPIRED report ahead of fills it had (the
fills follow at the next poll), sends that time out whether or not the broker received them, and cancel
requests that reach the broker only after it traded the order (the fill then comes after the request).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.broker_config import FaultConfig
from optionpilot.core.errors import BrokerError, BrokerTimeout
from optionpilot.core.ids import ClientOrderId
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.fills import BrokerEvent, Fill, OrderUpdate
from optionpilot.domain.orders import Order, OrderStatus
from optionpilot.ports.broker import BrokerCapabilities, BrokerPosition


class FaultyBroker:
    """The Broker port over a SimulatedBroker, with the faults of `config` on what it reports."""

    def __init__(self, inner: SimulatedBroker, config: FaultConfig) -> None:
        self.inner = inner
        self.config = config
        self._rng = random.Random(config.seed)
        self._held: list[BrokerEvent] = []
        self._late_cancels: list[ClientOrderId] = []
        self.late_cancels = 0
        self.deliveries = 0  # fill deliveries, counting every copy
        self.timeouts = 0

    @property
    def capabilities(self) -> BrokerCapabilities:
        return self.inner.capabilities

    def submit(self, order: Order) -> None:
        roll = self._rng.random()
        if roll < self.config.timeout_lost:
            self.timeouts += 1
            raise BrokerTimeout(f"submit of {order.client_order_id} timed out (lost)", broker="sim")
        self.inner.submit(order)
        if roll < self.config.timeout_lost + self.config.timeout_received:
            self.timeouts += 1
            raise BrokerTimeout(f"submit of {order.client_order_id} timed out (received)", broker="sim")

    def cancel(self, client_order_id: ClientOrderId) -> None:
        if self._rng.random() < self.config.late_cancels:
            self._late_cancels.append(client_order_id)
            self.late_cancels += 1
            return
        self.inner.cancel(client_order_id)

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        self.inner.replace(client_order_id, new_order)

    def lookup(self, client_order_id: ClientOrderId) -> Order | None:
        return self.inner.lookup(client_order_id)

    def executions(self) -> Sequence[Fill]:
        return self.inner.executions()

    def account(self) -> AccountSnapshot:
        return self.inner.account()

    def positions(self) -> Sequence[BrokerPosition]:
        return self.inner.positions()

    def open_orders(self) -> Sequence[Order]:
        return self.inner.open_orders()

    def poll_events(self) -> Sequence[BrokerEvent]:
        out: list[BrokerEvent] = self._held  # held copies come as they were made, not copied again
        self._held = []
        events = self.inner.poll_events()
        for cid in self._late_cancels:
            # It may have filled or ended while the request travelled: its own reports say so.
            with contextlib.suppress(BrokerError):
                self.inner.cancel(cid)
        self._late_cancels = []
        for event in events:
            copies = self._rng.randint(1, self.config.max_deliveries) if isinstance(event, Fill) else 1
            out.extend([event] * copies)
        if self.config.fills_after_cancel:
            out = self._cancel_first(out)
        if self._rng.random() < self.config.delay_fills:
            # The status reports go ahead: the engine may ask to cancel an order the broker has filled.
            self._held.extend(e for e in out if isinstance(e, Fill))
            out = [e for e in out if not isinstance(e, Fill)]
        if self.config.shuffle:
            self._rng.shuffle(out)
        self.deliveries += sum(1 for e in out if isinstance(e, Fill))
        return out

    def _cancel_first(self, events: list[BrokerEvent]) -> list[BrokerEvent]:
        """Hold back the fills of orders that end canceled or expired in this poll, to the next poll."""
        ended = {
            e.client_order_id
            for e in events
            if isinstance(e, OrderUpdate) and e.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED)
        }
        if not ended:
            return events
        keep: list[BrokerEvent] = []
        for e in events:
            if isinstance(e, Fill) and e.client_order_id in ended:
                self._held.append(e)
            else:
                keep.append(e)
        return keep
