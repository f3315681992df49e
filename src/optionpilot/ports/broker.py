"""The broker port: one account at one broker. Differences between brokers are capability data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from optionpilot.core.calendars import Market
from optionpilot.core.ids import ClientOrderId
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.fills import BrokerEvent, Fill
from optionpilot.domain.orders import Order, OrderType


class MultiLegStyle(StrEnum):
    ATOMIC = "atomic"  # one order carries every leg (Alpaca mleg: 2-4 legs)
    LEGGED = "legged"  # legs go one by one; a failed leg must be unwound (Dhan)


@dataclass(frozen=True, slots=True)
class BrokerCapabilities:
    name: str
    markets: frozenset[Market]
    multi_leg: MultiLegStyle
    max_legs: int
    order_types: frozenset[OrderType]
    supports_replace: bool = True
    # Alpaca offers none of these on options, so the engine runs trailing stops and brackets itself.
    supports_trailing_stop: bool = False
    supports_bracket: bool = False
    supports_oco: bool = False
    fractional_shares: bool = False


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    symbol: str  # the instrument key (OCC or NSE symbol, or the stock symbol)
    quantity: int  # signed
    avg_price: Decimal


class Broker(Protocol):
    """One trading account. `submit` only sends; what happened comes back from `poll_events`."""

    @property
    def capabilities(self) -> BrokerCapabilities: ...

    def submit(self, order: Order) -> None:
        """Send an order whose client_order_id is already stored. Raises BrokerError on refusal to send,
        BrokerTimeout when the outcome is unknown (the broker may have the order)."""
        ...

    def lookup(self, client_order_id: ClientOrderId) -> Order | None:
        """The broker's view of the order with this client id (working or finished), None if it has
        none. The order manager asks this before anything is sent again after an unknown outcome."""
        ...

    def executions(self) -> Sequence[Fill]:
        """Every fill the broker holds for the account, for reconciliation by execution id."""
        ...

    def cancel(self, client_order_id: ClientOrderId) -> None: ...

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        """Cancel-replace: the old order ends REPLACED, the new one (with its own id) is working."""
        ...

    def poll_events(self) -> Sequence[BrokerEvent]:
        """Everything that happened since the last poll, in order: updates, fills, settlements, holds."""
        ...

    def account(self) -> AccountSnapshot: ...

    def positions(self) -> Sequence[BrokerPosition]: ...

    def open_orders(self) -> Sequence[Order]: ...
