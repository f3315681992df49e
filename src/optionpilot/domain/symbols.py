"""OCC option symbols (US) and NSE trading symbols (India): format and parse, round-trip exact."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from optionpilot.core.calendars import Market
from optionpilot.core.errors import DataError
from optionpilot.domain.instruments import OptionContract, OptionRight

_OCC = re.compile(r"^(?P<root>[A-Z0-9.]{1,6}) *(?P<ymd>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
# NSE weekly symbols use one character for the month: 1-9, then O, N, D.
_WEEKLY_MONTH = "123456789OND"
_NSE_MONTHLY = re.compile(
    r"^(?P<root>[A-Z&-]+?)(?P<yy>\d{2})(?P<mon>[A-Z]{3})(?P<strike>\d+(?:\.\d+)?)(?P<right>CE|PE)$"
)
_NSE_WEEKLY = re.compile(
    r"^(?P<root>[A-Z&-]+?)(?P<yy>\d{2})(?P<m>[1-9OND])(?P<dd>\d{2})(?P<strike>\d+(?:\.\d+)?)(?P<right>CE|PE)$"
)


def format_occ(contract: OptionContract, *, padded: bool = False) -> str:
    """`SPY210115C00370000`; padded=True gives the 21-character OCC form with the root padded to six."""
    root = contract.root or contract.underlying
    if len(root) > 6:
        raise DataError(f"OCC root {root!r} is longer than 6 characters")
    milli = contract.strike * 1000
    if milli != milli.to_integral_value() or milli < 0 or milli >= 10**8:
        raise DataError(f"strike {contract.strike} cannot be written in OCC's 5.3 format")
    head = root.ljust(6) if padded else root
    return f"{head}{contract.expiry:%y%m%d}{contract.right.value}{int(milli):08d}"


def parse_occ(symbol: str, *, underlying: str | None = None, multiplier: int = 100) -> OptionContract:
    m = _OCC.match(symbol.strip())
    if m is None:
        raise DataError(f"{symbol!r} is not an OCC option symbol")
    ymd = m["ymd"]
    expiry = date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:]))
    strike = (Decimal(int(m["strike"])) / 1000).normalize()
    root = m["root"]
    under = underlying or root
    return OptionContract(
        underlying=under,
        expiry=expiry,
        strike=strike,
        right=OptionRight(m["right"]),
        market=Market.US,
        multiplier=multiplier,
        root=None if root == under else root,
    )


def _strike_text(strike: Decimal) -> str:
    text = format(strike.normalize(), "f")
    return text


def format_nse(contract: OptionContract, *, monthly: bool) -> str:
    """`NIFTY25JUL25000CE` (monthly) or `NIFTY2571725000CE` (weekly, one-character month)."""
    root = contract.root or contract.underlying
    right = "CE" if contract.is_call else "PE"
    yy = f"{contract.expiry:%y}"
    if monthly:
        return f"{root}{yy}{_MONTHS[contract.expiry.month - 1]}{_strike_text(contract.strike)}{right}"
    m = _WEEKLY_MONTH[contract.expiry.month - 1]
    return f"{root}{yy}{m}{contract.expiry:%d}{_strike_text(contract.strike)}{right}"


def parse_nse(symbol: str, *, lot_size: int, monthly_expiry: date | None = None) -> OptionContract:
    """Parse an NSE trading symbol. A monthly symbol carries no day, so its expiry date must be given."""
    from optionpilot.domain.instruments import ExerciseStyle, Settlement

    s = symbol.strip().upper()
    weekly = _NSE_WEEKLY.match(s)
    if weekly is not None:
        month = _WEEKLY_MONTH.index(weekly["m"]) + 1
        expiry = date(2000 + int(weekly["yy"]), month, int(weekly["dd"]))
        root, strike, right = weekly["root"], weekly["strike"], weekly["right"]
    else:
        monthly = _NSE_MONTHLY.match(s)
        if monthly is None:
            raise DataError(f"{symbol!r} is not an NSE option trading symbol")
        if monthly_expiry is None:
            raise DataError(f"{symbol!r} is a monthly symbol; its expiry day must be given")
        if monthly_expiry.month != _MONTHS.index(monthly["mon"]) + 1 or monthly_expiry.year % 100 != int(
            monthly["yy"]
        ):
            raise DataError(f"{symbol!r} does not expire in the month of {monthly_expiry.isoformat()}")
        expiry = monthly_expiry
        root, strike, right = monthly["root"], monthly["strike"], monthly["right"]
    return OptionContract(
        underlying=root,
        expiry=expiry,
        strike=Decimal(strike),
        right=OptionRight.CALL if right == "CE" else OptionRight.PUT,
        market=Market.IN,
        multiplier=lot_size,
        style=ExerciseStyle.EUROPEAN,
        settlement=Settlement.CASH,
    )


_DHAN = re.compile(
    r"^(?P<root>[A-Z&-]+?)-(?P<mon>[A-Z][a-z]{2})(?P<yyyy>\d{4})-(?P<strike>\d+(?:\.\d+)?)-(?P<right>CE|PE)$"
)


def format_dhan(contract: OptionContract) -> str:
    """Dhan's trading symbol, `NIFTY-Jul2025-25000-CE`: month and year only, like NSE's monthly symbol."""
    root = contract.root or contract.underlying
    right = "CE" if contract.is_call else "PE"
    return f"{root}-{contract.expiry:%b%Y}-{_strike_text(contract.strike)}-{right}"


def format_dhan_display(contract: OptionContract) -> str:
    """Dhan's custom symbol, `NIFTY 17 JUL 25000 CALL`, as its apps show it."""
    root = contract.root or contract.underlying
    right = "CALL" if contract.is_call else "PUT"
    month = _MONTHS[contract.expiry.month - 1]
    return f"{root} {contract.expiry.day} {month} {_strike_text(contract.strike)} {right}"


def parse_dhan(symbol: str, *, lot_size: int, expiry: date) -> OptionContract:
    """Parse a Dhan trading symbol; its expiry day comes from the scrip master (`SEM_EXPIRY_DATE`)."""
    from optionpilot.domain.instruments import ExerciseStyle, Settlement

    m = _DHAN.match(symbol.strip())
    if m is None:
        raise DataError(f"{symbol!r} is not a Dhan option trading symbol")
    month = _MONTHS.index(m["mon"].upper()) + 1 if m["mon"].upper() in _MONTHS else 0
    if (expiry.year, expiry.month) != (int(m["yyyy"]), month):
        raise DataError(f"{symbol!r} does not expire in the month of {expiry.isoformat()}")
    return OptionContract(
        underlying=m["root"],
        expiry=expiry,
        strike=Decimal(m["strike"]),
        right=OptionRight.CALL if m["right"] == "CE" else OptionRight.PUT,
        market=Market.IN,
        multiplier=lot_size,
        style=ExerciseStyle.EUROPEAN,
        settlement=Settlement.CASH,
    )


def contract_symbol(contract: OptionContract) -> str:
    if contract.market is Market.US:
        return format_occ(contract)
    return format_nse(contract, monthly=False)
