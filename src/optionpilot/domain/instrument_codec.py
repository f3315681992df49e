"""Instruments as plain JSON-able dicts: one form for the database's JSON columns and the broker's state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from optionpilot.core.calendars import Market
from optionpilot.domain.instruments import (
    ExerciseStyle,
    Instrument,
    OptionContract,
    OptionRight,
    Settlement,
    Stock,
)


def instrument_to_dict(instrument: Instrument) -> dict[str, Any]:
    """Raises DataError for an option whose symbol cannot be written (the key names it)."""
    if isinstance(instrument, OptionContract):
        return {
            "kind": "option",
            "key": instrument.key,
            "underlying": instrument.underlying,
            "expiry": instrument.expiry.isoformat(),
            "strike": str(instrument.strike),
            "right": instrument.right.value,
            "market": instrument.market.value,
            "multiplier": instrument.multiplier,
            "style": instrument.style.value,
            "settlement": instrument.settlement.value,
            "root": instrument.root,
        }
    return {
        "kind": "stock",
        "key": instrument.key,
        "symbol": instrument.symbol,
        "market": instrument.market.value,
    }


def instrument_from_dict(data: Mapping[str, Any]) -> Instrument:
    """Raises KeyError, ValueError, TypeError or ArithmeticError on a bad dict; callers name the source."""
    if data["kind"] == "stock":
        return Stock(symbol=data["symbol"], market=Market(data["market"]))
    return OptionContract(
        underlying=data["underlying"],
        expiry=date.fromisoformat(data["expiry"]),
        strike=Decimal(data["strike"]),
        right=OptionRight(data["right"]),
        market=Market(data["market"]),
        multiplier=int(data["multiplier"]),
        style=ExerciseStyle(data["style"]),
        settlement=Settlement(data["settlement"]),
        root=data.get("root"),
    )
