"""Orders: single or multi-leg, a state machine driven by a transition table that refuses illegal moves."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from optionpilot.core.errors import IllegalTransition
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, PositionId
from optionpilot.domain.instruments import Instrument, OptionContract


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class PositionEffect(StrEnum):
    OPEN = "open"
    CLOSE = "close"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"


class OrderStatus(StrEnum):
    NEW = "new"  # made and stored, not yet sent
    SUBMITTED = "submitted"  # sent, no answer yet
    ACCEPTED = "accepted"  # the broker is working it
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    REPLACED = "replaced"


TERMINAL: frozenset[OrderStatus] = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
        OrderStatus.REPLACED,
    }
)


class OrderEvent(StrEnum):
    """What can happen to an order: our requests and the broker's reports."""

    SUBMIT = "submit"  # we sent it
    ACCEPT = "accept"  # the broker works it (also: a cancel request was refused)
    REJECT = "reject"
    CANCEL_REQUEST = "cancel_request"  # we asked to cancel; the broker has not answered
    CANCELED = "canceled"
    EXPIRED = "expired"
    PARTIAL_FILL = "partial_fill"
    FILL = "fill"  # the last fill: the whole quantity is done
    REPLACED = "replaced"


_S = OrderStatus
_E = OrderEvent
# The one table of legal moves, after NautilusTrader's order state table: a cell missing here is
# illegal. Two moves leave a terminal state, on purpose: a fill on a CANCELED or EXPIRED order.
# A fill and a cancel (or the close's expiry) cross on the wire, and the fill is real money, so the
# broker's fill is the truth and the order takes the fill's status (Nautilus ships
# `(CANCELED, FILLED) -> FILLED` as a "real world possibility"); the order manager records it as
# an incident and looks the order up to learn its final state.
STATE_TABLE: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (_S.NEW, _E.SUBMIT): _S.SUBMITTED,
    (_S.NEW, _E.REJECT): _S.REJECTED,  # refused before it was sent (risk, a broker refusal to send)
    (_S.NEW, _E.CANCELED): _S.CANCELED,  # canceled before it was sent
    (_S.SUBMITTED, _E.ACCEPT): _S.ACCEPTED,
    (_S.SUBMITTED, _E.REJECT): _S.REJECTED,
    (_S.SUBMITTED, _E.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.SUBMITTED, _E.CANCELED): _S.CANCELED,  # an IOC order that found nothing
    (_S.SUBMITTED, _E.EXPIRED): _S.EXPIRED,
    (_S.SUBMITTED, _E.PARTIAL_FILL): _S.PARTIALLY_FILLED,  # the ack may come after the fill
    (_S.SUBMITTED, _E.FILL): _S.FILLED,
    (_S.ACCEPTED, _E.REJECT): _S.REJECTED,  # refused when it came to fill (buying power at fill)
    (_S.ACCEPTED, _E.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.ACCEPTED, _E.CANCELED): _S.CANCELED,
    (_S.ACCEPTED, _E.EXPIRED): _S.EXPIRED,
    (_S.ACCEPTED, _E.PARTIAL_FILL): _S.PARTIALLY_FILLED,
    (_S.ACCEPTED, _E.FILL): _S.FILLED,
    (_S.ACCEPTED, _E.REPLACED): _S.REPLACED,
    (_S.PARTIALLY_FILLED, _E.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.PARTIALLY_FILLED, _E.CANCELED): _S.CANCELED,
    (_S.PARTIALLY_FILLED, _E.EXPIRED): _S.EXPIRED,
    (_S.PARTIALLY_FILLED, _E.PARTIAL_FILL): _S.PARTIALLY_FILLED,
    (_S.PARTIALLY_FILLED, _E.FILL): _S.FILLED,
    (_S.PARTIALLY_FILLED, _E.REPLACED): _S.REPLACED,
    (_S.PENDING_CANCEL, _E.ACCEPT): _S.ACCEPTED,  # the cancel was refused: the order still works
    (_S.PENDING_CANCEL, _E.REJECT): _S.REJECTED,
    (_S.PENDING_CANCEL, _E.CANCEL_REQUEST): _S.PENDING_CANCEL,  # asking again changes nothing
    (_S.PENDING_CANCEL, _E.CANCELED): _S.CANCELED,
    (_S.PENDING_CANCEL, _E.EXPIRED): _S.EXPIRED,  # the close came before the cancel
    (_S.PENDING_CANCEL, _E.PARTIAL_FILL): _S.PARTIALLY_FILLED,  # fills before the cancel landed
    (_S.PENDING_CANCEL, _E.FILL): _S.FILLED,
    (_S.CANCELED, _E.PARTIAL_FILL): _S.PARTIALLY_FILLED,  # real world possibility (see above)
    (_S.CANCELED, _E.FILL): _S.FILLED,  # real world possibility
    (_S.EXPIRED, _E.PARTIAL_FILL): _S.PARTIALLY_FILLED,  # the same race at the close
    (_S.EXPIRED, _E.FILL): _S.FILLED,
}

# A status report is the event that leads to that status.
EVENT_OF_STATUS: dict[OrderStatus, OrderEvent] = {
    _S.SUBMITTED: _E.SUBMIT,
    _S.ACCEPTED: _E.ACCEPT,
    _S.REJECTED: _E.REJECT,
    _S.PENDING_CANCEL: _E.CANCEL_REQUEST,
    _S.CANCELED: _E.CANCELED,
    _S.EXPIRED: _E.EXPIRED,
    _S.PARTIALLY_FILLED: _E.PARTIAL_FILL,
    _S.FILLED: _E.FILL,
    _S.REPLACED: _E.REPLACED,
}


def next_status(status: OrderStatus, event: OrderEvent) -> OrderStatus | None:
    """The state after `event`, or None when the table forbids it."""
    return STATE_TABLE.get((status, event))


@dataclass(frozen=True, slots=True)
class OrderLeg:
    instrument: Instrument
    side: Side
    ratio: int = 1
    effect: PositionEffect = PositionEffect.OPEN

    @property
    def multiplier(self) -> int:
        return self.instrument.multiplier


@dataclass(frozen=True, slots=True)
class Order:
    """One order of `quantity` units, each unit being every leg times its ratio.

    `limit_price` is per unit, per share: positive is a net debit paid, negative a net credit received.
    """

    client_order_id: ClientOrderId
    account_id: AccountId
    legs: tuple[OrderLeg, ...]
    quantity: int
    order_type: OrderType
    created_at: datetime
    limit_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.DAY
    position_id: PositionId | None = None
    purpose: str = "entry"  # entry, exit, partial_exit, roll, unwind
    reason: str = ""
    parent_id: ClientOrderId | None = None  # a leg order made from a multi-leg order for a legged broker
    status: OrderStatus = OrderStatus.NEW
    status_reason: str = ""
    filled_quantity: int = 0
    broker_order_id: BrokerOrderId | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.legs:
            raise ValueError(f"order {self.client_order_id}: no legs")
        if self.quantity <= 0:
            raise ValueError(f"order {self.client_order_id}: quantity {self.quantity} must be positive")
        if self.order_type is OrderType.LIMIT and self.limit_price is None:
            raise ValueError(f"order {self.client_order_id}: a limit order needs a limit price")
        if any(leg.ratio <= 0 for leg in self.legs):
            raise ValueError(f"order {self.client_order_id}: leg ratios must be positive")

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_multi_leg(self) -> bool:
        return len(self.legs) > 1

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled_quantity

    @property
    def underlying(self) -> str:
        first = self.legs[0].instrument
        return first.underlying if isinstance(first, OptionContract) else first.symbol

    def transition(
        self,
        status: OrderStatus,
        at: datetime,
        reason: str = "",
        *,
        filled_quantity: int | None = None,
        broker_order_id: BrokerOrderId | None = None,
    ) -> Order:
        """The order after the event that leads to `status`; raises IllegalTransition when the table
        forbids it (NEW is no event's outcome, so a move to NEW is always refused)."""
        event = EVENT_OF_STATUS.get(status)
        if event is None or next_status(self.status, event) is not status:
            raise IllegalTransition(
                f"order {self.client_order_id}: {self.status.value} -> {status.value} is not allowed"
            )
        filled = self.filled_quantity if filled_quantity is None else filled_quantity
        if filled < self.filled_quantity or filled > self.quantity:
            raise IllegalTransition(
                f"order {self.client_order_id}: filled quantity {filled} outside "
                f"[{self.filled_quantity}, {self.quantity}]"
            )
        if status is OrderStatus.FILLED and filled != self.quantity:
            raise IllegalTransition(f"order {self.client_order_id}: FILLED with {filled}/{self.quantity}")
        return dataclasses.replace(
            self,
            status=status,
            status_reason=reason,
            filled_quantity=filled,
            broker_order_id=broker_order_id or self.broker_order_id,
            updated_at=at,
        )
