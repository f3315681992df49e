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

_S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.NEW: frozenset({_S.SUBMITTED, _S.REJECTED, _S.CANCELED}),
    _S.SUBMITTED: frozenset(
        {_S.ACCEPTED, _S.REJECTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.PENDING_CANCEL, _S.EXPIRED}
    ),
    _S.ACCEPTED: frozenset(
        {_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.PENDING_CANCEL, _S.EXPIRED, _S.REJECTED, _S.REPLACED}
    ),
    _S.PARTIALLY_FILLED: frozenset(
        {_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.PENDING_CANCEL, _S.EXPIRED, _S.REPLACED}
    ),
    _S.PENDING_CANCEL: frozenset({_S.CANCELED, _S.FILLED, _S.PARTIALLY_FILLED, _S.ACCEPTED}),
}


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
        """The order after a move; raises IllegalTransition when the table forbids it."""
        allowed = TRANSITIONS.get(self.status, frozenset())
        if status not in allowed:
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
