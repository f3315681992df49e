"""How figures are written on the page: money, percents, ratios and times, with "—" for "not meaningful"."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from optionpilot.core.money import cents

NONE = "—"
INFINITY = "∞"
_SYMBOLS = {"USD": "$", "INR": "₹", "EUR": "€", "GBP": "£"}


def _check(x: float) -> None:
    # A NaN here means a metric forgot its edge case; refuse rather than print "nan".
    if math.isnan(x):
        raise ValueError("NaN reached the report; a metric must return None when it is not meaningful")


def money(value: Decimal | None, currency: str, *, signed: bool = False) -> str:
    if value is None:
        return NONE
    if not value.is_finite():
        raise ValueError(f"money value {value} is not finite")
    amount = cents(value)
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    symbol = _SYMBOLS.get(currency)
    body = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def percent(fraction: float | None, *, digits: int = 2, signed: bool = False) -> str:
    """A fraction as a percent: 0.1234 -> "12.34%"."""
    if fraction is None:
        return NONE
    _check(fraction)
    if math.isinf(fraction):
        return INFINITY if fraction > 0 else "-" + INFINITY
    return f"{fraction * 100:{'+' if signed else ''}.{digits}f}%"


def ratio(value: float | None, *, digits: int = 2) -> str:
    if value is None:
        return NONE
    _check(value)
    if math.isinf(value):
        return INFINITY if value > 0 else "-" + INFINITY
    return f"{value:.{digits}f}"


def number(value: float, *, digits: int = 2) -> str:
    _check(value)
    if math.isinf(value):
        return INFINITY if value > 0 else "-" + INFINITY
    return f"{value:,.{digits}f}"


def compact(value: float) -> str:
    """Short axis labels: 1.2k, 3.4M, 0.05."""
    _check(value)
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.4g}M"
    if a >= 1e4:
        return f"{value / 1e3:.4g}k"
    if a >= 100:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def when(t: datetime | None, zone: ZoneInfo) -> str:
    """A time in the exchange's own zone, to the minute."""
    if t is None:
        return NONE
    return t.astimezone(zone).strftime("%Y-%m-%d %H:%M")
