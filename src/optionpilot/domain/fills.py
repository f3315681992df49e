"""Fills and the other events a broker reports back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, ExecutionId, FillId
from optionpilot.domain.instruments import Instrument, OptionContract
from optionpilot.domain.orders import OrderStatus, PositionEffect, Side

_NO_EXECUTION = ExecutionId("")


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of one leg: `quantity` contracts (or shares) at `price` per share.

    `execution_id` is the broker's id of the execution: a fill is applied once per (account,
    execution id), however often the broker delivers it. A broker without one uses its fill id.
    """

    fill_id: FillId
    client_order_id: ClientOrderId
    account_id: AccountId
    leg_index: int
    instrument: Instrument
    side: Side
    quantity: int
    price: Decimal
    fee: Decimal
    ts: datetime
    effect: PositionEffect = PositionEffect.OPEN
    execution_id: ExecutionId = _NO_EXECUTION

    def __post_init__(self) -> None:
        if not self.execution_id:
            object.__setattr__(self, "execution_id", ExecutionId(self.fill_id))

    @property
    def notional(self) -> Decimal:
        return self.price * self.quantity * self.instrument.multiplier

    @property
    def cash_flow(self) -> Decimal:
        """Cash into the account: a buy pays the notional, a sell receives it; fees always pay."""
        return -self.side.sign * self.notional - self.fee


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    client_order_id: ClientOrderId
    status: OrderStatus
    ts: datetime
    reason: str = ""
    filled_quantity: int | None = None
    broker_order_id: BrokerOrderId | None = None


class SettlementKind(StrEnum):
    EXERCISED = "exercised"  # our long option was exercised
    ASSIGNED = "assigned"  # our short option was assigned
    EXPIRED = "expired"  # worthless


@dataclass(frozen=True, slots=True)
class ExpirySettlement:
    """What happened to a held option at expiry: cash moved, shares delivered, or nothing."""

    event_id: str
    account_id: AccountId
    contract: OptionContract
    quantity: int  # signed position that was settled: + long, - short
    kind: SettlementKind
    settlement_price: Decimal  # the underlying's price used
    cash: Decimal  # cash into the account (cash settlement, or shares bought/sold at the strike)
    shares: int  # shares delivered into (+) or out of (-) the account
    ts: datetime


@dataclass(frozen=True, slots=True)
class QuoteHold:
    """An order stays working because its quote cannot be traded on; says why."""

    client_order_id: ClientOrderId
    ts: datetime
    reason: str


BrokerEvent = OrderUpdate | Fill | ExpirySettlement | QuoteHold
