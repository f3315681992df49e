"""The one vocabulary of the exit evaluators: what to do with a position, how urgently, and how much."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class ExitAction(StrEnum):
    HOLD = "HOLD"
    CLOSE = "CLOSE"  # close the whole position
    PARTIAL = "PARTIAL"  # close `quantity` (contracts or units), keep the rest
    ROLL = "ROLL"  # close and reopen further out (a winning long up, a threatened short out)
    ADJUST = "ADJUST"  # a defensive roll proposed for a person, unless rolls are executed


class Urgency(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    NORMAL = "NORMAL"


URGENCY_CODES = (Urgency.NORMAL, Urgency.MEDIUM, Urgency.HIGH)  # by the int8 codes of a batch


@dataclass(frozen=True, slots=True)
class ExitSignal:
    """The decision record of both evaluators (single-leg contracts, multi-leg units)."""

    action: ExitAction
    quantity: int  # contracts (single-leg) or units (multi-leg) to close now; 0 for HOLD
    urgency: Urgency = Urgency.NORMAL
    # Single-leg bookkeeping the position stores after this look (the peak price, partial exits taken).
    peak_price: Decimal | None = None
    partials_taken: int = 0
