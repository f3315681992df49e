from decimal import Decimal

import pytest

from optionpilot.core.errors import DataError
from optionpilot.core.money import cents, to_decimal, to_tick


def test_to_decimal_uses_the_shortest_repr_of_floats() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal("  2.55 ") == Decimal("2.55")
    assert to_decimal(3) == Decimal(3)


@pytest.mark.parametrize("bad", ["abc", "", "nan", "inf", True])
def test_to_decimal_rejects_non_numbers_with_the_field_name(bad: object) -> None:
    with pytest.raises(DataError, match="bid"):
        to_decimal(bad, what="bid")  # type: ignore[arg-type]


def test_cents_rounds_half_even() -> None:
    assert cents(Decimal("1.005")) == Decimal("1.00")
    assert cents(Decimal("1.015")) == Decimal("1.02")


def test_to_tick_rounds_to_the_listed_increment() -> None:
    assert to_tick(2.537, Decimal("0.05")) == Decimal("2.55")
    assert to_tick(2.537, Decimal("0.01")) == Decimal("2.54")
