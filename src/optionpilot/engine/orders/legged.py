"""Multi-leg orders sent leg by leg, for a broker that cannot take them whole (or not that many legs).

The legs go one by one as market orders, buys first, so a short leg is never left naked when its
protective leg fails. A leg that fails ends the parent with the leg's reason and unwinds, leg by leg,
every leg already filled. This is the order manager's half for such orders: it changes orders only
through the manager (`LegDesk`), so the manager stays the one place where orders move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from optionpilot.core.clock import Clock
from optionpilot.core.ids import AccountId, ClientOrderId, IdMaker
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, PositionEffect, Side
from optionpilot.domain.recommendations import Rejection
from optionpilot.engine.journal import Journal


class LegDesk(Protocol):
    """What sending legs needs of the order manager: its orders, and its ways to store, send and move them."""

    @property
    def orders(self) -> Mapping[ClientOrderId, Order]: ...

    def _store(self, order: Order) -> None: ...

    def _send(self, order: Order) -> None: ...

    def _move(
        self, cid: ClientOrderId, status: OrderStatus, reason: str = "", *, filled_quantity: int | None = None
    ) -> Order | None: ...

    def _entry_failed(self, order: Order) -> None: ...


@dataclass(slots=True)
class _LeggedParent:
    """Progress of a multi-leg order being sent leg by leg."""

    parent: Order
    pending: list[OrderLeg]
    children: list[ClientOrderId] = field(default_factory=list)
    filled_legs: list[tuple[OrderLeg, int]] = field(default_factory=list)
    unwinding: bool = False


class LeggedOrders:
    def __init__(
        self, desk: LegDesk, account_id: AccountId, ids: IdMaker, clock: Clock, journal: Journal
    ) -> None:
        self._desk = desk
        self._account_id = account_id
        self._ids = ids
        self._clock = clock
        self._journal = journal
        self._legged: dict[ClientOrderId, _LeggedParent] = {}
        self._child_parent: dict[ClientOrderId, ClientOrderId] = {}

    def start(self, parent: Order) -> None:
        """Send a multi-leg order's first leg; the others follow as each one fills."""
        desk = self._desk
        desk._move(parent.client_order_id, OrderStatus.SUBMITTED, "sending legs one by one")
        # Buys first: a short leg must never be left naked if the protective leg fails.
        pending = sorted(parent.legs, key=lambda leg: 0 if leg.side is Side.BUY else 1)
        self._legged[parent.client_order_id] = _LeggedParent(desk.orders[parent.client_order_id], pending)
        self._send_next_leg(parent.client_order_id)

    def on_terminal(self, order: Order) -> bool:
        """Advance the parent of a leg (or unwind) that has ended; False when the order is no such leg."""
        parent_id = self._child_parent.get(order.client_order_id)
        if parent_id is None:
            return False
        self._advance(parent_id, order)
        return True

    def _send_next_leg(self, parent_id: ClientOrderId) -> None:
        state = self._legged[parent_id]
        leg = state.pending.pop(0)
        child = Order(
            client_order_id=self._ids.client_order_id(self._clock.now()),
            account_id=self._account_id,
            legs=(leg,),
            quantity=state.parent.quantity * leg.ratio,
            order_type=OrderType.MARKET,
            created_at=self._clock.now(),
            tif=state.parent.tif,
            position_id=state.parent.position_id,
            purpose=state.parent.purpose,
            reason=state.parent.reason,
            parent_id=parent_id,
        )
        state.children.append(child.client_order_id)
        self._child_parent[child.client_order_id] = parent_id
        self._desk._store(child)
        self._desk._send(child)

    def _advance(self, parent_id: ClientOrderId, child: Order) -> None:
        desk = self._desk
        state = self._legged[parent_id]
        if state.unwinding:
            state.children.remove(child.client_order_id)
            if not state.children:
                del self._legged[parent_id]
            return
        if child.filled_quantity:
            state.filled_legs.append((child.legs[0], child.filled_quantity))
        if child.status is OrderStatus.FILLED and state.pending:
            self._send_next_leg(parent_id)
            return
        if child.status is OrderStatus.FILLED:
            desk._move(
                parent_id, OrderStatus.FILLED, "all legs filled", filled_quantity=state.parent.quantity
            )
            del self._legged[parent_id]
            return
        # A leg failed: end the parent with the leg's reason and reverse every leg that filled.
        reason = f"leg {child.client_order_id} {child.status.value}: {child.status_reason}"
        parent = desk.orders[parent_id]
        desk._move(parent_id, OrderStatus.REJECTED, reason)
        self._journal.current.rejections.append(
            Rejection(
                ts=self._clock.now(),
                stage="broker",
                rule="legged.unwind",
                reason=f"{reason}; unwinding {len(state.filled_legs)} filled leg(s)",
                underlying=parent.underlying,
                account_id=self._account_id,
            )
        )
        if not state.filled_legs:
            del self._legged[parent_id]
            desk._entry_failed(desk.orders[parent_id])
            return
        state.unwinding = True
        state.pending = []
        state.children = []
        for leg, qty in state.filled_legs:
            reverse = dataclasses.replace(leg, side=leg.side.opposite, ratio=1, effect=_opposite(leg.effect))
            unwind = Order(
                client_order_id=self._ids.client_order_id(self._clock.now()),
                account_id=self._account_id,
                legs=(reverse,),
                quantity=qty,
                order_type=OrderType.MARKET,
                created_at=self._clock.now(),
                position_id=state.parent.position_id,
                purpose="unwind",
                reason=f"unwind of {parent_id} after {reason}",
                parent_id=parent_id,
            )
            state.children.append(unwind.client_order_id)
            self._child_parent[unwind.client_order_id] = parent_id
            desk._store(unwind)
        for cid in list(state.children):
            desk._send(desk.orders[cid])


def _opposite(effect: PositionEffect) -> PositionEffect:
    return PositionEffect.CLOSE if effect is PositionEffect.OPEN else PositionEffect.OPEN
