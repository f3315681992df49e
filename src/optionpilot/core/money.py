"""Decimal money: parse at the edge, quantize to the cent, never let a binary float into the ledger."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from optionpilot.core.errors import DataError

CENT = Decimal("0.01")
ZERO = Decimal(0)


def to_decimal(value: str | int | float | Decimal, *, what: str = "value") -> Decimal:
    """Convert a vendor number to Decimal via its shortest repr, so 0.1 becomes Decimal('0.1')."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise DataError(f"{what}: expected a number, got a boolean")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        try:
            result = Decimal(value.strip())
        except (InvalidOperation, AttributeError) as exc:
            raise DataError(f"{what}: {value!r} is not a number") from exc
    if not result.is_finite():
        raise DataError(f"{what}: {value!r} is not a finite number")
    return result


def cents(value: Decimal) -> Decimal:
    """Round to the cent with banker's rounding (what brokers use for fee splits)."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def to_tick(price: float, tick: Decimal) -> Decimal:
    """Round a float model price to the nearest listed tick, as a Decimal."""
    ticks = round(price / float(tick))
    return (Decimal(ticks) * tick).quantize(tick)
