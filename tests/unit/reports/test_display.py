from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from optionpilot.reports import display


def test_money() -> None:
    assert display.money(Decimal("121000"), "USD") == "$121,000.00"
    assert display.money(Decimal("-1234.565"), "USD") == "-$1,234.56"  # banker's rounding
    assert display.money(Decimal("5"), "USD", signed=True) == "+$5.00"
    assert display.money(Decimal("0"), "USD", signed=True) == "$0.00"
    assert display.money(Decimal("2500.5"), "INR") == "₹2,500.50"
    assert display.money(Decimal("1"), "CHF") == "1.00 CHF"
    assert display.money(None, "USD") == "—"


def test_percent_ratio_and_infinity() -> None:
    assert display.percent(0.1234) == "12.34%"
    assert display.percent(0.05, signed=True, digits=1) == "+5.0%"
    assert display.percent(None) == "—"
    assert display.ratio(math.inf) == "∞"
    assert display.ratio(1.23456) == "1.23"
    assert display.ratio(None) == "—"


@pytest.mark.parametrize("fn", [display.percent, display.ratio, display.number, display.compact])
def test_nan_never_reaches_the_page(fn: object) -> None:
    with pytest.raises(ValueError, match="NaN"):
        fn(float("nan"))  # type: ignore[operator]


def test_when_is_in_the_exchange_zone() -> None:
    t = datetime(2024, 3, 4, 14, 31, tzinfo=UTC)
    assert display.when(t, ZoneInfo("America/New_York")) == "2024-03-04 09:31"
    assert display.when(t, ZoneInfo("Asia/Kolkata")) == "2024-03-04 20:01"
    assert display.when(None, ZoneInfo("UTC")) == "—"


def test_compact() -> None:
    assert display.compact(130_000) == "130k"
    assert display.compact(2_500_000) == "2.5M"
    assert display.compact(250) == "250"
    assert display.compact(0.05) == "0.05"
