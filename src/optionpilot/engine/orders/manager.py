"""The order manager: the only code that changes orders and positions.

Orders get our client order id and are stored before they are sent, always, so a retry or a restart
can never place one twice. A send whose outcome is unknown (BrokerTimeout) is resolved by looking the
order up at the broker by client id: found, its state is adopted; not found, it is sent again under
the same client id. Fills are applied once per execution id, never beyond the order's quantity (an
overfill is an incident, not a position), and a fill after a cancel is applied: the broker's fills
are the truth. A multi-leg order goes whole to an atomic broker; to a legged broker (or one
with fewer legs allowed) its legs go one by one, buys first, and a leg that fails unwinds the legs
already filled (`legged_orders`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from optionpilot.core.clock import Clock
from optionpilot.core.crashpoints import crash_point
from optionpilot.core.errors import BrokerError, BrokerTimeout, IllegalTransition
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, ExecutionId, IdMaker, PositionId
from optionpilot.core.money import ZERO
from optionpilot.domain.fills import ExpirySettlement, Fill, OrderUpdate, QuoteHold
from optionpilot.domain.incidents import Incident, IncidentKind
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, TimeInForce
from optionpilot.domain.recommendations import Rejection
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.gate import AccountFacts, PreTradeGate
from optionpilot.engine.orders.legged import LeggedOrders
from optionpilot.ports.broker import Broker, MultiLegStyle
from optionpilot.ports.notifier import Notifier

log = logging.getLogger(__name__)
_CRITICAL = (IncidentKind.RECONCILIATION, IncidentKind.TRADING_STATE)  # alerts a person must see now


class OrderManager:
    def __init__(
        self,
        account_id: AccountId,
        broker: Broker,
        book: AccountBook,
        ids: IdMaker,
        clock: Clock,
        journal: Journal,
        notifier: Notifier | None = None,
        gate: PreTradeGate | None = None,
    ) -> None:
        self.account_id = account_id
        self.gate = gate  # the pre-trade checks every order passes before it is sent (issue 17)
        self.notifier = notifier  # incidents (halts, overfills, unknown outcomes) reach a person
        self.broker = broker
        self.book = book
        self.ids = ids
        self.clock = clock
        self.journal = journal
        self.orders: dict[ClientOrderId, Order] = {}
        self._working: dict[ClientOrderId, Order] = {}  # not terminal: what open_orders() scans
        self._legs = LeggedOrders(self, account_id, ids, clock, journal)
        self.holds: dict[ClientOrderId, str] = {}
        self._cancel_reasons: dict[ClientOrderId, str] = {}
        self._executions: set[ExecutionId] = set()  # every fill applied, by the broker's execution id
        self._leg_filled: dict[tuple[ClientOrderId, int], int] = {}
        self.fills_applied = 0
        self.fills_after_cancel_request = 0
        self.duplicate_fills = 0
        self.incidents: list[Incident] = []
        self.unknown_outcomes: set[ClientOrderId] = set()
        # Set when a difference with the broker could not be explained: the account places nothing more.
        self.halted: str | None = None
        # Run health: when the broker last answered (a poll or a send) and how often it failed to.
        self.last_heard: datetime | None = None
        self.broker_errors = 0

    # -- placing -------------------------------------------------------------------------------

    def place(
        self,
        legs: Sequence[OrderLeg],
        quantity: int,
        *,
        position_id: PositionId,
        purpose: str,
        reason: str,
        order_type: OrderType = OrderType.LIMIT,
        limit_price: Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
    ) -> Order:
        order = Order(
            client_order_id=self.ids.client_order_id(self.clock.now()),
            account_id=self.account_id,
            legs=tuple(legs),
            quantity=quantity,
            order_type=order_type,
            created_at=self.clock.now(),
            limit_price=limit_price,
            tif=tif,
            position_id=position_id,
            purpose=purpose,
            reason=reason,
        )
        self._store(order)
        if self.halted is not None:
            # Fail closed: stored and refused here, so every stage sees an ordinary rejection.
            self._move(order.client_order_id, OrderStatus.REJECTED, f"account halted: {self.halted}")
            self._on_terminal(self.orders[order.client_order_id])
            return self.orders[order.client_order_id]
        if self.gate is not None and not self._passes_gate(order, self.gate):
            return self.orders[order.client_order_id]
        caps = self.broker.capabilities
        if order.is_multi_leg and (caps.multi_leg is MultiLegStyle.LEGGED or len(order.legs) > caps.max_legs):
            self._legs.start(order)
        else:
            self._send(order)
        return self.orders[order.client_order_id]

    def _passes_gate(self, order: Order, gate: PreTradeGate) -> bool:
        """The pre-trade checks on a stored order; a refusal is stored REJECTED with its rule and reason."""
        now, cid = self.clock.now(), order.client_order_id
        position = self.book.positions.get(order.position_id) if order.position_id else None
        facts = AccountFacts(
            working=lambda: sum(1 for c in self._working if c != cid),
            equity=lambda: self.broker.account().equity,
            held=lambda: abs(position.cost_basis()) if position is not None and position.is_open else ZERO,
        )
        verdict = gate.check(order, now, facts)
        if verdict.ok:
            gate.sent(now)
            return True
        self._move(cid, OrderStatus.REJECTED, f"{verdict.rule}: {verdict.reason}")
        self.journal.current.rejections.append(
            Rejection(now, "risk", verdict.rule, verdict.reason, order.underlying, self.account_id,
                      dict(verdict.details))
        )  # fmt: skip
        self._on_terminal(self.orders[cid])
        return False

    def _store(self, order: Order) -> None:
        self.orders[order.client_order_id] = order
        if order.is_terminal:
            self._working.pop(order.client_order_id, None)
        else:
            self._working[order.client_order_id] = order
        self.journal.current.orders.append(order)

    def _move(
        self,
        cid: ClientOrderId,
        status: OrderStatus,
        reason: str = "",
        *,
        filled_quantity: int | None = None,
        broker_order_id: BrokerOrderId | None = None,
    ) -> Order | None:
        order = self.orders[cid]
        unchanged_fill = filled_quantity is None or filled_quantity == order.filled_quantity
        if order.status is status and unchanged_fill:
            return None  # a repeated report: nothing moved
        try:
            new = order.transition(
                status,
                self.clock.now(),
                reason,
                filled_quantity=filled_quantity,
                broker_order_id=broker_order_id,
            )
        except IllegalTransition as exc:
            # A late or duplicate broker report must not corrupt the ledger; it is logged and kept out.
            log.warning("ignored broker report: %s", exc)
            return None
        self._store(new)
        return new

    def _send(self, order: Order) -> None:
        cid = order.client_order_id
        self._move(cid, OrderStatus.SUBMITTED, "sent to broker")
        self.journal.before_send()
        crash_point("order.stored")
        try:
            self.broker.submit(self.orders[cid])
            crash_point("order.sent")
            self.last_heard = self.clock.now()
        except BrokerTimeout as exc:
            self.broker_errors += 1
            self._incident(IncidentKind.UNKNOWN_OUTCOME, f"send: {exc}", cid)
            self.unknown_outcomes.add(cid)
            self.resolve_unknown(cid)
        except BrokerError as exc:
            self._move(cid, OrderStatus.REJECTED, str(exc))
            self._on_terminal(self.orders[cid])

    def resolve_unknown(self, cid: ClientOrderId, *, resend: bool = True) -> None:
        """Settle a send whose outcome is unknown: look the order up by client id before anything else.

        Found, the broker's state is adopted. Not found, it is sent once more under the same client id
        (a broker refuses a second order with one client id, so this can never double it); when that
        outcome is unknown too, it stays unknown, working, for the next lookup (`process_events`).
        """
        try:
            seen = self.broker.lookup(cid)
        except BrokerError as exc:
            self.broker_errors += 1
            log.warning("lookup of %s failed, tried again at the next poll: %s", cid, exc)
            return
        if seen is not None:
            self.unknown_outcomes.discard(cid)
            self._adopt(seen)
            return
        if not resend:
            return
        try:
            self.broker.submit(self.orders[cid])
        except BrokerTimeout as exc:
            log.warning("resend of %s has an unknown outcome again: %s", cid, exc)
            return
        except BrokerError as exc:
            self.unknown_outcomes.discard(cid)
            self._move(cid, OrderStatus.REJECTED, f"not at the broker after a timeout, resend refused: {exc}")
            self._on_terminal(self.orders[cid])
            return
        self.unknown_outcomes.discard(cid)

    def _adopt(self, seen: Order) -> None:
        """Take over the broker's status for an order (its fills come as fills, by execution id)."""
        cid = seen.client_order_id
        mine = self.orders[cid]
        if seen.status in (OrderStatus.NEW, OrderStatus.SUBMITTED) or seen.status is mine.status:
            return
        filled = max(seen.filled_quantity, mine.filled_quantity)
        new = self._move(cid, seen.status, seen.status_reason or "adopted from the broker",
                         filled_quantity=filled, broker_order_id=seen.broker_order_id)  # fmt: skip
        if new is not None and new.is_terminal:
            self._on_terminal(new)

    def restore(
        self, orders: Iterable[Order], fills: Iterable[tuple[ExecutionId, ClientOrderId, int, int]]
    ) -> None:
        """Take over the orders and fills (execution id, client id, leg, quantity) an earlier process
        stored, at start-up before reconciling: they count as applied, known by execution and client id."""
        for order in orders:
            self.orders[order.client_order_id] = order
            if not order.is_terminal:
                self._working[order.client_order_id] = order
        for execution_id, cid, leg_index, quantity in fills:
            self._executions.add(execution_id)
            self._leg_filled[(cid, leg_index)] = self._leg_filled.get((cid, leg_index), 0) + quantity

    @property
    def executions(self) -> frozenset[ExecutionId]:
        """Every execution id applied (or restored as applied)."""
        return frozenset(self._executions)

    def has_execution(self, execution_id: ExecutionId) -> bool:
        return execution_id in self._executions

    def adopt_fill(self, fill: Fill) -> None:
        """A fill the broker has for one of our orders and we missed (reconciliation): applied once."""
        self._incident(IncidentKind.ADOPTED, f"fill {fill.execution_id} missed, taken from the broker",
                       fill.client_order_id)  # fmt: skip
        self._on_fill(fill)

    def adopt_settlement(self, s: ExpirySettlement) -> None:
        """An exercise, assignment or expiry the broker reports and no process heard (it happened while
        none ran): applied, with an incident saying so."""
        what = f"expiry settlement {s.event_id} ({s.kind.value} {s.contract.key})"
        self._incident(IncidentKind.ADOPTED, f"{what} taken from the broker's activities")
        self._on_settlement(s)

    def adopt_status(self, seen: Order) -> None:
        self._incident(
            IncidentKind.ADOPTED, f"status {seen.status.value} taken from the broker", seen.client_order_id
        )
        self._adopt(seen)

    def record_incident(self, kind: IncidentKind, detail: str) -> Incident:
        """An event of the account an operator must hear of (stored, logged, sent to the notifier)."""
        return self._incident(kind, detail)

    def _incident(self, kind: IncidentKind, detail: str, cid: ClientOrderId | None = None) -> Incident:
        incident = Incident(self.clock.now(), self.account_id, kind, detail, cid)
        self.incidents.append(incident)
        self.journal.current.incidents.append(incident)
        # A breaker's state change is expected behaviour, said plainly; the others are faults.
        log.log(logging.WARNING if kind is IncidentKind.TRADING_STATE else logging.ERROR, "%s", incident.line)
        if self.notifier is not None:
            level = "critical" if kind in _CRITICAL else "error"
            self.notifier.notify(level, f"{self.account_id}: {kind.value}", incident.line)
        return incident

    def halt(self, reason: str) -> None:
        """Fail closed: the account refuses new orders until an operator has looked."""
        if self.halted is None:
            self.halted = reason
            self._incident(IncidentKind.RECONCILIATION, f"trading halted: {reason}")

    def cancel(self, cid: ClientOrderId, reason: str) -> None:
        order = self.orders[cid]
        if order.is_terminal:
            return
        if order.status is OrderStatus.NEW:
            self._move(cid, OrderStatus.CANCELED, reason)
            return
        self._move(cid, OrderStatus.PENDING_CANCEL, reason)
        self._cancel_reasons[cid] = reason
        try:
            self.broker.cancel(cid)
        except BrokerError as exc:
            # An order that finished before the cancel arrived is a race, not a broker fault.
            self.broker_errors += int(exc.code != "not_working")
            log.warning("cancel of %s failed: %s", cid, exc)

    def open_orders(self, position_id: PositionId | None = None) -> list[Order]:
        if not self._working:
            return []
        return [o for o in self._working.values() if position_id is None or o.position_id == position_id]

    # -- broker events -----------------------------------------------------------------------------

    def process_events(self) -> None:
        for cid in sorted(self.unknown_outcomes):
            self.resolve_unknown(cid)
        try:
            events = self.broker.poll_events()
        except BrokerError as exc:
            # A failed poll is tried again at the next tick; the silence it leaves stops entries (health).
            self.broker_errors += 1
            log.warning("poll of %s failed: %s", self.account_id, exc)
            return
        self.last_heard = self.clock.now()
        for event in events:
            if isinstance(event, Fill):
                self._on_fill(event)
            elif isinstance(event, OrderUpdate):
                self._on_update(event)
            elif isinstance(event, ExpirySettlement):
                self._on_settlement(event)
            elif isinstance(event, QuoteHold):
                self._on_hold(event)

    def _on_fill(self, fill: Fill) -> None:
        if fill.execution_id in self._executions:
            self.duplicate_fills += 1  # delivered again: applied once already
            return
        cid = fill.client_order_id
        order = self.orders.get(cid)
        if order is None:
            self._incident(
                IncidentKind.UNKNOWN_ORDER_FILL, f"fill {fill.execution_id} for an order we never made", cid
            )
            return
        leg_key = (cid, fill.leg_index)
        leg_total = self._leg_filled.get(leg_key, 0) + fill.quantity
        leg_max = order.quantity * order.legs[fill.leg_index].ratio
        self._executions.add(fill.execution_id)
        if leg_total > leg_max:
            self._incident(
                IncidentKind.OVERFILL,
                f"fill {fill.execution_id} of {fill.quantity} {fill.instrument.key} would make leg "
                f"{fill.leg_index} {leg_total}/{leg_max}: not applied",
                cid,
            )
            return
        self._leg_filled[leg_key] = leg_total
        if order.status is OrderStatus.PENDING_CANCEL:
            self.fills_after_cancel_request += 1
        if order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
            self._incident(
                IncidentKind.FILL_AFTER_TERMINAL,
                f"fill {fill.execution_id} of {fill.quantity} {fill.instrument.key} after the order was "
                f"{order.status.value}: applied (the broker's fills are the truth)",
                cid,
            )
        entries, events = self.book.apply_fill(fill, order)
        self.fills_applied += 1
        records = self.journal.current
        records.fills.append(fill)
        records.ledger.extend(entries)
        records.position_events.extend(events)
        if order.position_id is not None:
            records.positions.append(self.book.positions[order.position_id])
        self.holds.pop(cid, None)
        crash_point("fill.applied")
        self._follow_fills(order)

    def _follow_fills(self, order: Order) -> None:
        """Move the order by its fills, so a fill counts even when its status report is late or lost."""
        cid = order.client_order_id
        units = min(self._leg_filled.get((cid, i), 0) // leg.ratio for i, leg in enumerate(order.legs))
        if units <= order.filled_quantity:
            return
        was_terminal = order.is_terminal
        status = OrderStatus.FILLED if units == order.quantity else OrderStatus.PARTIALLY_FILLED
        new = self._move(cid, status, "filled" if units == order.quantity else "partly filled",
                         filled_quantity=units)  # fmt: skip
        if new is None:
            return
        if new.is_terminal:
            self._on_terminal(new)
        elif was_terminal:
            # The order left CANCELED/EXPIRED on a late fill: ask the broker what it is now.
            seen = self.broker.lookup(cid)
            if seen is not None and seen.is_terminal:
                self._adopt(seen)

    def _on_update(self, update: OrderUpdate) -> None:
        if update.client_order_id not in self.orders:
            log.error("update for unknown order %s", update.client_order_id)
            return
        new = self._move(
            update.client_order_id,
            update.status,
            update.reason,
            filled_quantity=update.filled_quantity,
            broker_order_id=update.broker_order_id,
        )
        if new is not None and new.is_terminal:
            self._on_terminal(new)

    def _on_hold(self, hold: QuoteHold) -> None:
        self.holds[hold.client_order_id] = hold.reason
        order = self.orders.get(hold.client_order_id)
        self.journal.current.rejections.append(
            Rejection(
                ts=hold.ts,
                stage="broker",
                rule="quote.untradeable",
                reason=f"order held: {hold.reason}",
                underlying=order.underlying if order else "",
                account_id=self.account_id,
            )
        )

    def _on_settlement(self, s: ExpirySettlement) -> None:
        entries, events = self.book.apply_settlement(s)
        records = self.journal.current
        records.settlements.append(s)
        records.ledger.extend(entries)
        records.position_events.extend(events)
        for event in events:
            records.positions.append(self.book.positions[event.position_id])

    def _on_terminal(self, order: Order) -> None:
        self.holds.pop(order.client_order_id, None)
        if self._legs.on_terminal(order):
            return
        if order.status is not OrderStatus.FILLED and order.filled_quantity == 0 and order.purpose == "entry":
            self._entry_failed(order)

    def _entry_failed(self, order: Order) -> None:
        if order.position_id is None:
            return
        why = self._cancel_reasons.get(order.client_order_id, order.status_reason)
        event = self.book.entry_failed(
            order.position_id, f"entry {order.status.value}: {why}", self.clock.now()
        )
        if event is not None:
            self.journal.current.positions.append(self.book.positions[order.position_id])
            self.journal.current.position_events.append(event)
