"""Broker status strings mapped to our order states, for the adapters (Alpaca, Dhan).

A status we do not know, or one that does not say whether the order still works, maps to a safe
state: the order stays working and must be looked up at the broker. It is never assumed filled
(money we do not have) nor dead (an order we would send again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from optionpilot.domain.orders import OrderStatus

log = logging.getLogger(__name__)

_S = OrderStatus


@dataclass(frozen=True, slots=True)
class MappedStatus:
    status: OrderStatus
    look_up: bool = False  # the status is unknown or ambiguous: ask the broker for the order


_WORKING_UNSURE = MappedStatus(_S.ACCEPTED, look_up=True)

ALPACA_STATUSES: dict[str, MappedStatus] = {
    "pending_new": MappedStatus(_S.SUBMITTED),
    "new": MappedStatus(_S.ACCEPTED),
    "accepted": MappedStatus(_S.ACCEPTED),
    "accepted_for_bidding": MappedStatus(_S.ACCEPTED),
    "held": MappedStatus(_S.ACCEPTED),  # waiting for a trigger or another leg
    "suspended": MappedStatus(_S.ACCEPTED),  # not eligible to trade now, still the broker's
    "stopped": MappedStatus(_S.ACCEPTED),  # a fill is guaranteed but has not come
    "pending_replace": MappedStatus(_S.ACCEPTED),  # we have no PENDING_REPLACE: it works until replaced
    "partially_filled": MappedStatus(_S.PARTIALLY_FILLED),
    "filled": MappedStatus(_S.FILLED),
    "pending_cancel": MappedStatus(_S.PENDING_CANCEL),
    "canceled": MappedStatus(_S.CANCELED),
    "expired": MappedStatus(_S.EXPIRED),
    "replaced": MappedStatus(_S.REPLACED),
    "rejected": MappedStatus(_S.REJECTED),
    # Done for the day or being calculated: filled, part filled or not at all, the string does not say.
    "done_for_day": _WORKING_UNSURE,
    "calculated": _WORKING_UNSURE,
}

DHAN_STATUSES: dict[str, MappedStatus] = {
    "TRANSIT": MappedStatus(_S.SUBMITTED),
    "PENDING": MappedStatus(_S.ACCEPTED),
    "TRIGGERED": MappedStatus(_S.ACCEPTED),
    "PART_TRADED": MappedStatus(_S.PARTIALLY_FILLED),
    "TRADED": MappedStatus(_S.FILLED),
    "CANCELLED": MappedStatus(_S.CANCELED),
    "EXPIRED": MappedStatus(_S.EXPIRED),
    "REJECTED": MappedStatus(_S.REJECTED),
    # A super order whose legs are all done: which of them traded is only in the order book.
    "CLOSED": _WORKING_UNSURE,
}

_BY_BROKER: dict[str, dict[str, MappedStatus]] = {"alpaca": ALPACA_STATUSES, "dhan": DHAN_STATUSES}


def map_broker_status(broker: str, status: str) -> MappedStatus:
    """Our state for a broker's status string; an unknown one stays working, to be looked up."""
    table = _BY_BROKER.get(broker.lower(), {})
    mapped = table.get(status) or table.get(status.lower()) or table.get(status.upper())
    if mapped is None:
        log.warning("unknown order status %r from %s: kept working and looked up", status, broker)
        return _WORKING_UNSURE
    return mapped
