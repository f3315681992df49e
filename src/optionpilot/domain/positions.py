"""Positions the engine holds: one per entry, possibly of several legs (a spread is one position)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from optionpilot.core.ids import AccountId, PositionId
from optionpilot.core.money import CENT, ZERO
from optionpilot.domain.instruments import Instrument, OptionContract


class PositionStatus(StrEnum):
    OPENING = "opening"  # entry order working
    OPEN = "open"
    CLOSING = "closing"  # exit order working
    CLOSED = "closed"


class PositionEventKind(StrEnum):
    OPENED = "opened"
    ADDED = "added"
    REDUCED = "reduced"
    CLOSED = "closed"
    EXERCISED = "exercised"
    ASSIGNED = "assigned"
    EXPIRED = "expired"
    EXIT_SIGNAL = "exit_signal"
    ROLL_SIGNAL = "roll_signal"
    SCALE_IN_SIGNAL = "scale_in_signal"
    ENTRY_FAILED = "entry_failed"


_PRICE_PLACES = Decimal("0.000001")


@dataclass(slots=True)
class PositionLeg:
    """One instrument of a position. `open_cost` is the exact premium of the open quantity (+ paid for a
    long, - received for a short); `avg_price` is derived from it for display and marks. Realized P&L is
    taken from `open_cost`, so a leg opened and closed in pieces realizes exactly its cash flows."""

    instrument: Instrument
    quantity: int = 0  # signed: + long, - short
    avg_price: Decimal = ZERO  # per share, of the open quantity
    opened_quantity: int = 0  # the largest absolute size it reached
    open_cost: Decimal | None = None

    def __post_init__(self) -> None:
        if self.open_cost is None:
            self.open_cost = self.avg_price * self.quantity * self.instrument.multiplier

    @property
    def multiplier(self) -> int:
        return self.instrument.multiplier

    def _cost(self) -> Decimal:
        assert self.open_cost is not None
        return self.open_cost

    def _set(self, quantity: int, cost: Decimal) -> None:
        self.quantity = quantity
        self.open_cost = cost
        if quantity:
            self.avg_price = (cost / (quantity * self.multiplier)).quantize(_PRICE_PLACES).normalize()
        else:
            self.avg_price = ZERO

    def apply(self, signed_qty: int, price: Decimal) -> Decimal:
        """Add a signed fill; returns the premium P&L it realizes (before fees)."""
        mult = self.multiplier
        if self.quantity == 0 or (self.quantity > 0) == (signed_qty > 0):
            total = self.quantity + signed_qty
            self._set(total, self._cost() + price * signed_qty * mult)
            self.opened_quantity = max(self.opened_quantity, abs(total))
            return ZERO
        held = abs(self.quantity)
        closing = min(abs(signed_qty), held)
        direction = 1 if self.quantity > 0 else -1
        # The last piece releases whatever cost remains, so rounding never survives a full close.
        released = self._cost() if closing == held else (self._cost() * closing / held).quantize(CENT)
        realized = direction * price * closing * mult - released
        self._set(self.quantity + direction * -closing, self._cost() - released)
        rest = abs(signed_qty) - closing
        if rest > 0:  # flipped through zero: the remainder opens the other way
            sign = 1 if signed_qty > 0 else -1
            self._set(sign * rest, price * sign * rest * mult)
            self.opened_quantity = rest
        return realized


@dataclass(slots=True)
class Position:
    position_id: PositionId
    account_id: AccountId
    underlying: str
    strategy_type: str
    opened_at: datetime
    entry_reason: str
    status: PositionStatus = PositionStatus.OPENING
    legs: dict[str, PositionLeg] = field(default_factory=dict)
    realized_pnl: Decimal = ZERO  # premium P&L of closed quantity, before fees
    fees: Decimal = ZERO
    entry_cost: Decimal = ZERO  # net premium paid (+) or received (-) on entry, in currency
    closed_at: datetime | None = None
    exit_reason: str = ""
    # Trade-management memory the exit rules need (peak of the option's value, partials taken).
    peak_value: Decimal = ZERO
    partials_taken: int = 0
    meta: dict[str, str] = field(default_factory=dict)
    # Greeks of one unit of the position (one contract, or one lot of a strategy) when the entry was sent,
    # from the legs' quotes then: delta in shares, theta in currency per calendar day, vega in currency per
    # vol point; `entry_iv` is the implied vol of the option leg nearest the money. None where no quote or
    # no implied vol existed (and for positions stored before they were kept); shares alone have no IV.
    entry_delta: float | None = None
    entry_theta: float | None = None
    entry_vega: float | None = None
    entry_iv: float | None = None

    @property
    def is_open(self) -> bool:
        return self.status in (PositionStatus.OPEN, PositionStatus.CLOSING)

    @property
    def is_flat(self) -> bool:
        return all(leg.quantity == 0 for leg in self.legs.values())

    def leg_for(self, instrument: Instrument) -> PositionLeg:
        leg = self.legs.get(instrument.key)
        if leg is None:
            leg = PositionLeg(instrument)
            self.legs[instrument.key] = leg
        return leg

    def option_legs(self) -> list[PositionLeg]:
        return [leg for leg in self.legs.values() if isinstance(leg.instrument, OptionContract)]

    def cost_basis(self) -> Decimal:
        """Net premium of the open quantity: + paid for longs, - received for shorts."""
        return sum((leg.avg_price * leg.quantity * leg.multiplier for leg in self.legs.values()), start=ZERO)

    def market_value(self, prices: dict[str, Decimal]) -> Decimal:
        """Signed value of the open legs at the given per-share prices (missing legs at cost)."""
        total = ZERO
        for key, leg in self.legs.items():
            price = prices.get(key, leg.avg_price)
            total += price * leg.quantity * leg.multiplier
        return total
