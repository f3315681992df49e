from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optionpilot.core.calendars import Market
from optionpilot.core.errors import DataError
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.symbols import format_nse, format_occ, parse_nse, parse_occ


def test_occ_known_symbols() -> None:
    c = OptionContract("SPY", date(2021, 1, 15), Decimal(370), OptionRight.CALL)
    assert format_occ(c) == "SPY210115C00370000"
    assert format_occ(c, padded=True) == "SPY   210115C00370000"
    goog = parse_occ("GOOGL 151224P00752500", underlying="GOOGL")
    assert goog.strike == Decimal("752.5") and goog.right is OptionRight.PUT
    assert goog.expiry == date(2015, 12, 24)


@given(
    root=st.from_regex(r"[A-Z]{1,6}", fullmatch=True),
    expiry=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    strike_milli=st.integers(min_value=1, max_value=99_999_999),
    call=st.booleans(),
)
def test_occ_round_trip(root: str, expiry: date, strike_milli: int, call: bool) -> None:
    strike = Decimal(strike_milli) / 1000
    c = OptionContract(root, expiry, strike, OptionRight.CALL if call else OptionRight.PUT)
    for padded in (False, True):
        back = parse_occ(format_occ(c, padded=padded))
        assert back.underlying == root and back.expiry == expiry and back.right == c.right
        assert back.strike == strike


def test_occ_rejects_bad_symbols_and_strikes() -> None:
    with pytest.raises(DataError, match="not an OCC"):
        parse_occ("SPY2101C370")
    c = OptionContract("SPY", date(2021, 1, 15), Decimal("370.0005"), OptionRight.CALL)
    with pytest.raises(DataError, match=r"5\.3"):
        format_occ(c)


def test_nse_weekly_and_monthly_round_trip() -> None:
    c = OptionContract("NIFTY", date(2025, 7, 17), Decimal(25000), OptionRight.CALL, Market.IN, multiplier=75)
    weekly = format_nse(c, monthly=False)
    assert weekly == "NIFTY2571725000CE"
    back = parse_nse(weekly, lot_size=75)
    assert (back.underlying, back.expiry, back.strike, back.right) == ("NIFTY", c.expiry, c.strike, c.right)
    monthly = format_nse(
        OptionContract("BANKNIFTY", date(2025, 7, 31), Decimal(57000), OptionRight.PUT, Market.IN, 35),
        monthly=True,
    )
    assert monthly == "BANKNIFTY25JUL57000PE"
    m = parse_nse(monthly, lot_size=35, monthly_expiry=date(2025, 7, 31))
    assert m.expiry == date(2025, 7, 31) and m.right is OptionRight.PUT and m.multiplier == 35
    with pytest.raises(DataError, match="expiry day must be given"):
        parse_nse(monthly, lot_size=35)
    with pytest.raises(DataError, match="does not expire in the month"):
        parse_nse(monthly, lot_size=35, monthly_expiry=date(2025, 8, 28))


def test_dhan_trading_and_display_symbols() -> None:
    from optionpilot.domain.symbols import format_dhan, format_dhan_display, parse_dhan

    c = OptionContract("NIFTY", date(2025, 7, 17), Decimal(25000), OptionRight.CALL, Market.IN, multiplier=75)
    assert format_dhan(c) == "NIFTY-Jul2025-25000-CE"
    assert format_dhan_display(c) == "NIFTY 17 JUL 25000 CALL"
    back = parse_dhan("NIFTY-Jul2025-25000-CE", lot_size=75, expiry=date(2025, 7, 17))
    assert (back.underlying, back.expiry, back.strike, back.right, back.multiplier) == (
        "NIFTY",
        c.expiry,
        c.strike,
        c.right,
        75,
    )
    with pytest.raises(DataError, match="does not expire in the month"):
        parse_dhan("NIFTY-Jul2025-25000-CE", lot_size=75, expiry=date(2025, 8, 28))
    with pytest.raises(DataError, match="not a Dhan"):
        parse_dhan("NIFTY25JUL25000CE", lot_size=75, expiry=date(2025, 7, 31))
