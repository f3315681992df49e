"""An order the simulated broker holds working: what it fills against, until when, and what it reserves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from optionpilot.domain.orders import Order


@dataclass(slots=True)
class WorkingOrder:
    order: Order
    not_before: datetime  # fills need quotes stamped strictly after this
    session_close: datetime  # a DAY order expires here
    reserve_per_unit: Decimal  # buying power held per unfilled unit
    hold: str | None = None  # the hold last reported (its kind, not its text)
    charged_order_fee: bool = False

    @property
    def reserved(self) -> Decimal:
        return self.reserve_per_unit * self.order.remaining
