"""Incidents: what the order core saw and would not (or could not) explain, stored and alerted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from optionpilot.core.ids import AccountId, ClientOrderId


class IncidentKind(StrEnum):
    OVERFILL = "overfill"  # fills beyond the order's quantity: not applied
    FILL_AFTER_TERMINAL = "fill_after_terminal"  # a fill on a CANCELED/EXPIRED order: applied
    UNKNOWN_ORDER_FILL = "unknown_order_fill"  # a fill for a client id we never made
    UNKNOWN_OUTCOME = "unknown_outcome"  # a send whose result we had to look up
    RECONCILIATION = "reconciliation"  # the broker and our records differ
    ADOPTED = "adopted"  # a difference we could explain and took over from the broker
    TRADING_STATE = "trading_state"  # the account's trading state changed (breaker, new session, operator)
    ALERT = "alert"  # an alert trigger fired and a person was told (engine.alerts)


@dataclass(frozen=True, slots=True)
class Incident:
    ts: datetime
    account_id: AccountId
    kind: IncidentKind
    detail: str
    client_order_id: ClientOrderId | None = None

    @property
    def line(self) -> str:
        order = f" order {self.client_order_id}" if self.client_order_id else ""
        return f"incident {self.kind.value} on account {self.account_id}{order}: {self.detail}"
